//! Lab reports: files read into draft result rows for a doctor to confirm.

pub mod cli;
