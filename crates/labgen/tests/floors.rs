//! The reader against its floors, on freshly generated reports of every layout and kind, with
//! real Tesseract and poppler: text-layer PDFs at least 99 % of rows exactly right, clean scans
//! 97 %, degraded scans and photos 90 %, and no wrong field left unflagged.

// Test code may stop at the first surprise: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::type_complexity)]

use std::process::Command;

#[test]
fn every_kind_of_report_is_read_above_its_floor() {
    if !medvault_ingest::ocr::ready_for_tests() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("labgen-floors-{}", std::process::id()));
    let labgen = env!("CARGO_BIN_EXE_medvault-labgen");
    let generated = Command::new(labgen)
        .args([
            "generate",
            dir.to_str().unwrap_or_default(),
            "--count",
            "1",
            "--seed",
            "7",
        ])
        .status()
        .unwrap();
    assert!(generated.success());
    let scored = Command::new(labgen)
        .args(["score", dir.to_str().unwrap_or_default(), "--json"])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        scored.status.success(),
        "{}",
        String::from_utf8_lossy(&scored.stderr)
    );
    let figures: serde_json::Value = serde_json::from_slice(&scored.stdout).unwrap();
    let kinds = [
        "text", "scan", "rotated", "blurred", "noisy", "jpeg", "lowres", "photo",
    ];
    for kind in kinds {
        let f = &figures[kind];
        let floor = match kind {
            "text" => 0.99,
            "scan" => 0.97,
            _ => 0.90,
        };
        let recall = f["row_recall"].as_f64().unwrap();
        let precision = f["row_precision"].as_f64().unwrap();
        assert!(
            recall >= floor,
            "{kind}: recall {recall} under {floor}: {f}"
        );
        assert!(
            precision >= floor,
            "{kind}: precision {precision} under {floor}: {f}"
        );
        assert_eq!(f["silent_wrong_fields"], 0, "{kind}: {f}");
        assert_eq!(f["unreadable"], 0, "{kind}: {f}");
    }
}
