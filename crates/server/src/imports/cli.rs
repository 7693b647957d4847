//! `medvault import patients|staff FILE --institution ID --by EMAIL [--dry-run]`: an import from
//! the command line, acting as the account named by `--by` (whose rights at the institution
//! decide, and whom the audit trail names), with a progress bar on standard error.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use medvault_domain::{Actor, Email, InstitutionId};
use medvault_store::repo::users;

use super::{Kind, Progress, Report};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::error::AppError;
use crate::server::anyhow_of;

/// Runs one import; `Ok(false)` when the file was refused (its faults printed).
pub async fn run(
    state: &AppState,
    kind: Kind,
    file: &Path,
    (institution, by): (&str, &str),
    dry_run: bool,
) -> anyhow::Result<bool> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let institution: InstitutionId = institution
        .parse()
        .context("--institution is not an institution id")?;
    let email = Email::parse(by).map_err(|e| anyhow::anyhow!("--by {e}"))?;
    let user = state
        .read(move |conn| Ok(users::find_by_email(conn, &email)?))
        .await
        .map_err(anyhow_of)?
        .context("--by names no account")?;
    let actor = Actor {
        user_id: user.id,
        role: user.role,
        patient_id: None,
    };
    let meta = RequestMeta {
        correlation_id: format!("import-{}", uuid::Uuid::new_v4()),
        ..RequestMeta::default()
    };
    let progress = Progress::default();
    let drawing = tokio::spawn(draw(progress.clone()));
    let file = (kind, institution, bytes.as_slice());
    let done = super::import(state, (actor, &meta), file, dry_run, progress.clone()).await;
    drawing.abort();
    // The bar as the import left it, which the last redraw may have come before.
    let (rows_done, total) = progress.now();
    eprintln!("\r{}", bar(rows_done, total));
    match done {
        Ok(report) => {
            println!("{}", summary(&report));
            Ok(true)
        }
        Err(AppError::InvalidRows(faults)) => {
            eprintln!("Nothing was imported: rows cannot be ({}).", faults.len());
            for fault in faults.iter().take(1_000) {
                eprintln!("  line {}, {}: {}", fault.line, fault.field, fault.message);
            }
            Ok(false)
        }
        Err(other) => Err(anyhow::anyhow!(other.public_message())),
    }
}

fn summary(report: &Report) -> String {
    let verb = if report.dry_run {
        "Dry run, nothing changed: would import"
    } else {
        "Imported"
    };
    format!(
        "{verb} {} rows: {} created, {} added, {} changed, {} unchanged.",
        report.rows, report.created, report.added, report.changed, report.unchanged
    )
}

/// Redraws the bar every 200 ms until aborted.
async fn draw(progress: Progress) {
    let mut every = tokio::time::interval(Duration::from_millis(200));
    loop {
        every.tick().await;
        let (done, total) = progress.now();
        eprint!("\r{}", bar(done, total));
        let _ = std::io::stderr().flush();
    }
}

/// `[#########...........]  45% 45000/100000 rows`.
pub fn bar(done: usize, total: usize) -> String {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(0).min(WIDTH);
    let percent = (done * 100).checked_div(total).unwrap_or(0);
    format!(
        "[{}{}] {percent:>3}% {done}/{total} rows",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_rows_done() {
        assert_eq!(bar(0, 0), format!("[{}]   0% 0/0 rows", ".".repeat(30)));
        assert_eq!(
            bar(50, 100),
            format!("[{}{}]  50% 50/100 rows", "#".repeat(15), ".".repeat(15))
        );
        assert!(bar(100, 100).starts_with(&format!("[{}]", "#".repeat(30))));
    }
}
