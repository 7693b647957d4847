//! Reads every generated file with MedVault's reader and compares its rows with the truth.
//!
//! A row is exactly right when its test (LOINC code), value, unit, range and flag all match.
//! Row precision is the share of rows found that are exactly right, recall the share of
//! printed rows found exactly right. Field-level figures count each field the same way. A
//! wrong field is "silent" when it was given at or above the review threshold in a row not
//! marked for review: the reader must flag what it may have got wrong.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use medvault_domain::labs::same_unit;
use medvault_ingest::{DraftRow, Limits, REVIEW_BELOW};

use crate::report::TruthRow;

const FIELDS: [&str; 5] = ["test", "value", "unit", "range", "flag"];

#[derive(Default)]
struct Tally {
    files: usize,
    unreadable: usize,
    printed: usize,
    found: usize,
    exact: usize,
    /// Per field: right, given, printed, silently wrong.
    fields: [[usize; 4]; 5],
    seconds: f64,
}

pub fn score(dir: &Path, threads: usize, json: bool) -> anyhow::Result<()> {
    let mut work: Vec<(String, PathBuf, Vec<TruthRow>)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let Some(stem) = name.strip_suffix(".truth.json") else {
            continue;
        };
        let truth: Vec<TruthRow> = serde_json::from_slice(&std::fs::read(&path)?)?;
        for input in std::fs::read_dir(dir)? {
            let input = input?.path();
            let file = input
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if let Some(rest) = file.strip_prefix(&format!("{stem}."))
                && !rest.ends_with("truth.json")
            {
                let kind = rest.split('.').next().unwrap_or_default().to_owned();
                work.push((kind, input.clone(), truth.clone()));
            }
        }
    }
    work.sort_by(|a, b| a.1.cmp(&b.1));
    let tallies: Mutex<BTreeMap<String, Tally>> = Mutex::new(BTreeMap::new());
    let queue = Mutex::new(work.into_iter());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.next());
                    let Some((kind, path, truth)) = next else {
                        break;
                    };
                    let started = std::time::Instant::now();
                    let rows = read(&path);
                    let seconds = started.elapsed().as_secs_f64();
                    if std::env::var_os("LABGEN_SHOW").is_some() {
                        show_mistakes(&path, &truth, rows.as_deref());
                    }
                    if let Ok(mut tallies) = tallies.lock() {
                        let tally = tallies.entry(kind).or_default();
                        tally.seconds += seconds;
                        tally.add(&truth, rows.as_deref());
                    }
                }
            });
        }
    });
    let tallies = tallies
        .into_inner()
        .ok()
        .context("a scoring thread failed")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&summary(&tallies))?);
    } else {
        print_table(&tallies);
    }
    Ok(())
}

fn read(path: &Path) -> Option<Vec<DraftRow>> {
    let bytes = std::fs::read(path).ok()?;
    let pages = medvault_ingest::read(&bytes, &Limits::default());
    Some(medvault_ingest::rows(&pages.ok()?))
}

impl Tally {
    fn add(&mut self, truth: &[TruthRow], rows: Option<&[DraftRow]>) {
        self.files += 1;
        self.printed += truth.len();
        let Some(rows) = rows else {
            self.unreadable += 1;
            for field in &mut self.fields {
                field[2] += truth.len();
            }
            return;
        };
        self.found += rows.len();
        let mut unmatched: Vec<&TruthRow> = truth.iter().collect();
        for row in rows {
            let matched = unmatched
                .iter()
                .position(|t| Some(t.code.as_str()) == row.code)
                .map(|i| unmatched.swap_remove(i));
            let verdicts = match matched {
                Some(truth) => verdicts(row, truth),
                None => [false; 5],
            };
            if verdicts.iter().all(|v| *v) {
                self.exact += 1;
            }
            let confidences = [
                Some(row.test_name.confidence),
                Some(row.value.confidence),
                row.unit.as_ref().map(|f| f.confidence),
                row.reference.as_ref().map(|f| f.confidence),
                row.flag.as_ref().map(|f| f.confidence),
            ];
            for (n, right) in verdicts.into_iter().enumerate() {
                let Some(tally) = self.fields.get_mut(n) else {
                    continue;
                };
                tally[0] += usize::from(right);
                tally[1] += 1;
                let sure = confidences.get(n).copied().flatten().unwrap_or(1.0) >= REVIEW_BELOW;
                tally[3] += usize::from(!right && sure && !row.needs_review);
            }
        }
        for field in &mut self.fields {
            field[2] += truth.len();
        }
    }
}

/// Whether each field of a row matches the truth: test, value, unit, range, flag.
fn verdicts(row: &DraftRow, truth: &TruthRow) -> [bool; 5] {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1.0);
    let same = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => close(a, b),
        (None, None) => true,
        _ => false,
    };
    let unit = row.unit.as_ref().map_or("", |u| u.value.as_str());
    let range = row.reference.as_ref().map(|r| r.value);
    let flag = row.flag.as_ref().map(|f| match f.value {
        "critical-high" => "high",
        "critical-low" => "low",
        other => other,
    });
    [
        row.code == Some(truth.code.as_str()),
        close(row.value.value, truth.value),
        same_unit(unit, &truth.unit),
        same(range.and_then(|r| r.low), truth.low) && same(range.and_then(|r| r.high), truth.high),
        flag == truth.flag.as_deref(),
    ]
}

/// Prints each row that is not exactly right beside its truth (`LABGEN_SHOW=1`).
fn show_mistakes(path: &Path, truth: &[TruthRow], rows: Option<&[DraftRow]>) {
    let name = path.display();
    let Some(rows) = rows else {
        println!("{name}: unreadable");
        return;
    };
    for t in truth {
        match rows.iter().find(|r| r.code == Some(t.code.as_str())) {
            Some(row) if verdicts(row, t).iter().all(|v| *v) => {}
            Some(row) => println!(
                "{name}: {} {} {} {:?}-{:?} {:?} | read {:?} -> {} {:?} {:?} {:?} review={}",
                t.printed_name,
                t.value,
                t.unit,
                t.low,
                t.high,
                t.flag,
                row.line,
                row.value.value,
                row.unit.as_ref().map(|u| &u.value),
                row.reference.as_ref().map(|r| r.value),
                row.flag.as_ref().map(|f| f.value),
                row.needs_review
            ),
            None => println!("{name}: missed {} {} {}", t.printed_name, t.value, t.unit),
        }
    }
    for row in rows
        .iter()
        .filter(|r| !truth.iter().any(|t| Some(t.code.as_str()) == r.code))
    {
        println!("{name}: extra {:?} as {:?}", row.line, row.code);
    }
}

/// Each kind's figures as JSON, for tests and scripts: row precision and recall, and the
/// count of wrong fields not flagged.
fn summary(tallies: &BTreeMap<String, Tally>) -> serde_json::Value {
    let ratio = |part: usize, whole: usize| {
        if whole == 0 {
            0.0
        } else {
            part as f64 / whole as f64
        }
    };
    tallies
        .iter()
        .map(|(kind, t)| {
            let silent: usize = t.fields.iter().map(|f| f[3]).sum();
            let figures = serde_json::json!({
                "files": t.files,
                "unreadable": t.unreadable,
                "rows_printed": t.printed,
                "rows_found": t.found,
                "row_precision": ratio(t.exact, t.found),
                "row_recall": ratio(t.exact, t.printed),
                "silent_wrong_fields": silent,
            });
            (kind.clone(), figures)
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "–".to_owned()
    } else {
        format!("{:.1} %", 100.0 * part as f64 / whole as f64)
    }
}

fn print_table(tallies: &BTreeMap<String, Tally>) {
    println!(
        "| kind | files | rows printed | rows found | exactly right | row precision | row recall | seconds a file |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (kind, t) in tallies {
        println!(
            "| {kind} | {}{} | {} | {} | {} | {} | {} | {:.1} |",
            t.files,
            if t.unreadable > 0 {
                format!(" ({} unread)", t.unreadable)
            } else {
                String::new()
            },
            t.printed,
            t.found,
            t.exact,
            percent(t.exact, t.found),
            percent(t.exact, t.printed),
            t.seconds / t.files.max(1) as f64,
        );
    }
    println!();
    println!("| kind | field | precision | recall | wrong but not flagged |");
    println!("|---|---|---:|---:|---:|");
    for (kind, t) in tallies {
        for (name, [right, given, printed, silent]) in FIELDS.iter().zip(t.fields) {
            println!(
                "| {kind} | {name} | {} | {} | {silent} |",
                percent(right, given),
                percent(right, printed)
            );
        }
    }
}
