//! Integration tests: each boots the real application on 127.0.0.1:0 against a fresh database,
//! SQLite by default or PostgreSQL with `MEDVAULT_TEST_DATABASE=postgres`. One binary, to keep
//! link time low.

// Test code may stop at the first surprise: that is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod access;
mod access_report;
mod appointments;
mod assistant;
mod audit;
mod audit_viewer;
mod auth;
mod backup;
mod bad_input;
mod browser;
mod certificates;
mod cli;
mod clinical_lists;
mod connections;
mod crash;
#[cfg(feature = "postgres-tls")]
mod database_tls;
mod distribution;
mod files;
mod guardians;
mod hashing;
mod helpers;
mod idempotency;
mod imports;
mod insurance;
mod lab_reports;
mod lab_results;
mod logs;
mod matrix;
mod multi_server;
mod ops;
mod outage;
mod prescriptions;
mod process;
mod profile;
mod record_versions;
mod records;
mod refused_forms;
mod roles;
mod sessions;
mod throttle;
#[cfg(feature = "otlp")]
mod traces;
mod web;
mod web_access;
