//! Cross-cutting HTTP concerns: correlation ids, request logs and metrics, security headers,
//! deadlines, and the JSON body extractor that answers bad input with the error shape.

pub mod correlation;
pub mod deadline;
pub mod edge;
pub mod idempotency;
pub mod input;
pub mod json;
pub mod listener;
pub mod observe;
pub mod security;
pub mod tls;
pub mod versions;
