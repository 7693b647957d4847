//! A report the generator did not design: another lab's layout (a flag column before the name,
//! SI units, panel headings, a comment), printed by Chromium with embedded fonts whose digits
//! carry no widths. Read from its text layer, every row must be exactly right; read from a
//! 300 dpi scan of it by Tesseract, nearly every row, and any wrong field flagged.

// Test code may stop at the first surprise: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::type_complexity)]

use std::process::Command;

use medvault_ingest::{DraftRow, Limits, read, rows};

const PDF: &[u8] = include_bytes!("fixtures/outside-layout.pdf");

/// Code, value, unit, low, high, printed flag.
const TRUTH: [(&str, f64, &str, Option<f64>, Option<f64>, Option<&str>); 13] = [
    ("2951-2", 139.0, "mmol/L", Some(133.0), Some(146.0), None),
    ("2823-3", 5.6, "mmol/L", Some(3.5), Some(5.3), Some("high")),
    ("22664-7", 6.1, "mmol/L", Some(2.5), Some(7.8), None),
    (
        "2160-0",
        131.0,
        "umol/L",
        Some(59.0),
        Some(104.0),
        Some("high"),
    ),
    (
        "98979-8",
        52.0,
        "mL/min/1.73m2",
        Some(60.0),
        None,
        Some("low"),
    ),
    ("718-7", 108.0, "g/L", Some(115.0), Some(165.0), Some("low")),
    ("6690-2", 6.4, "10^9/L", Some(4.0), Some(11.0), None),
    ("777-3", 312.0, "10^9/L", Some(150.0), Some(450.0), None),
    ("787-2", 78.0, "fL", Some(80.0), Some(100.0), None),
    (
        "4548-4",
        53.0,
        "mmol/mol",
        Some(20.0),
        Some(41.0),
        Some("high"),
    ),
    ("2093-3", 4.9, "mmol/L", None, Some(5.0), None),
    ("2085-9", 1.3, "mmol/L", Some(1.0), None, None),
    ("2571-8", 1.6, "mmol/L", None, Some(1.7), None),
];

/// Whether the row holds the truth; a flag the lab did not print may be worked out from the
/// range, but then only for review.
fn right(
    row: &DraftRow,
    truth: &(&str, f64, &str, Option<f64>, Option<f64>, Option<&str>),
) -> bool {
    let (code, value, unit, low, high, flag) = *truth;
    let range = row.reference.as_ref().map(|r| (r.value.low, r.value.high));
    let flag_right = match (flag, &row.flag) {
        (Some(printed), Some(read)) => read.value == printed,
        (None, None) => true,
        (None, Some(_)) => row.needs_review,
        (Some(_), None) => false,
    };
    row.code == Some(code)
        && (row.value.value - value).abs() < 1e-9
        && row
            .unit
            .as_ref()
            .is_some_and(|u| medvault_domain::labs::same_unit(&u.value, unit))
        && range == Some((low, high))
        && flag_right
}

fn read_rows(bytes: &[u8]) -> Vec<DraftRow> {
    rows(&read(bytes, &Limits::default()).unwrap())
}

#[test]
fn its_text_layer_reads_exactly() {
    let rows = read_rows(PDF);
    assert_eq!(rows.len(), TRUTH.len(), "{rows:#?}");
    for (row, truth) in rows.iter().zip(TRUTH.iter()) {
        assert!(right(row, truth), "{truth:?} read as {row:#?}");
    }
}

#[test]
fn its_scan_reads_with_every_doubt_flagged() {
    if !medvault_ingest::ocr::ready_for_tests() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("outside-scan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf = dir.join("report.pdf");
    std::fs::write(&pdf, PDF).unwrap();
    let drawn = Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-png", "-singlefile"])
        .arg(&pdf)
        .arg(dir.join("scan"))
        .status()
        .unwrap();
    assert!(drawn.success());
    let scan = std::fs::read(dir.join("scan.png")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let rows = read_rows(&scan);
    let mut exact = 0;
    for truth in &TRUTH {
        match rows.iter().find(|row| row.code == Some(truth.0)) {
            Some(row) if right(row, truth) => exact += 1,
            Some(row) => assert!(
                row.needs_review,
                "{truth:?} read wrongly and not flagged: {row:#?}"
            ),
            None => {}
        }
    }
    assert!(exact >= 12, "{exact} of 13 rows right: {rows:#?}");
}
