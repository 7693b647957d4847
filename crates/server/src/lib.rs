//! The MedVault server: configuration, HTTP API, web UI and command line, on top of the domain
//! and store crates. The binary is a thin wrapper over [`cli::main`].

pub mod access;
pub mod alerts;
pub mod api;
pub mod app;
pub mod appointments;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod clinical;
pub mod config;
pub mod dashboards;
pub mod docs;
pub mod error;
pub mod files;
pub mod http;
pub mod imports;
pub mod insights;
pub mod institutions;
pub mod lab_reports;
pub mod labs;
pub mod names;
pub mod ops;
pub mod outside;
pub mod patients;
pub mod prescriptions;
pub mod records;
pub mod router;
pub mod routes;
pub mod seed;
pub mod server;
pub mod telemetry;
pub mod users;
pub mod web;
