//! Services outside MedVault that it may call, each behind a circuit breaker, each with a
//! fallback so that a failing service never fails a request.

pub mod assistant;
pub mod breaker;
pub mod insurer;
pub mod service;
