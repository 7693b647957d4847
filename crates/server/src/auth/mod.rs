//! Who is calling: passwords, sessions, tokens, cookies and CSRF, and the extractors that turn a
//! request into an authenticated [`Caller`]. What the caller may do is decided by the policy.

pub mod api;
pub mod cookies;
pub mod csrf;
pub mod extract;
pub mod hash_worker;
pub mod keys;
pub mod live;
pub mod password;
pub mod service;
pub mod throttle;
pub mod token;
pub mod web;

pub use extract::{ApiCaller, Caller, WebCaller};
