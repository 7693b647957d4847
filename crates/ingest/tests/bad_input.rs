//! Files that are not readable reports get a clear reason, never a crash or a hang: empty,
//! damaged, encrypted, without pages, too long, an image bomb, a photo with no text, and pages
//! that overrun their time or memory. Runs the real Tesseract and poppler.

// Test code may stop at the first surprise: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::type_complexity)]

use std::time::{Duration, Instant};

use medvault_ingest::{Limits, ReadError, read, rows};

fn read_bytes(name: &str, bytes: &[u8], limits: &Limits) -> Result<usize, ReadError> {
    let started = Instant::now();
    let pages = read(bytes, limits);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{name} took too long"
    );
    pages.map(|pages| rows(&pages).len())
}

/// A PDF of `pages` empty pages, with a valid cross-reference table.
fn pdf_with_pages(pages: usize, trailer_extra: &str) -> Vec<u8> {
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            (0..pages)
                .map(|n| format!("{} 0 R", n + 3))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    ];
    objects.extend(
        (0..pages).map(|_| "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>".to_owned()),
    );
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (n, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{object}\nendobj\n", n + 1).bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    out
}

#[test]
fn unreadable_files_get_their_reason() {
    let limits = Limits::default();
    assert_eq!(read_bytes("empty", b"", &limits), Err(ReadError::Empty));
    assert_eq!(
        read_bytes("corrupt", b"%PDF-1.7\n1 0 obj\n<< /Type /Cat", &limits)
            .map_err(|e| matches!(e, ReadError::NotAReport(_))),
        Err(true),
        "a PDF cut short has no trailer"
    );
    assert_eq!(
        read_bytes(
            "garbled",
            b"%PDF-1.7\n\x00\x01garbage that is no PDF at all\n%%EOF\n",
            &limits
        ),
        Err(ReadError::CorruptPdf)
    );
    assert_eq!(
        read_bytes("zero-pages", &pdf_with_pages(0, ""), &limits),
        Err(ReadError::NoPages)
    );
    assert_eq!(
        read_bytes("thousand-pages", &pdf_with_pages(1000, ""), &limits),
        Err(ReadError::TooManyPages {
            pages: 1000,
            max: 50
        })
    );
    let encrypted = pdf_with_pages(
        1,
        "/Encrypt << /Filter /Standard /V 1 /R 2 /O <0000000000000000000000000000000000000000000000000000000000000000> /U <0000000000000000000000000000000000000000000000000000000000000000> /P -4 >> /ID [<01020304050607080910111213141516> <01020304050607080910111213141516>]",
    );
    assert_eq!(
        read_bytes("encrypted", &encrypted, &limits),
        Err(ReadError::Encrypted)
    );
    // A PNG whose header claims 100,000 × 100,000 pixels: refused before anything decodes it.
    let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bomb.extend(100_000u32.to_be_bytes());
    bomb.extend(100_000u32.to_be_bytes());
    bomb.extend([8, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(matches!(
        read_bytes("bomb", &bomb, &limits),
        Err(ReadError::NotAReport(_))
    ));
}

/// A picture of soft shapes and no text, as PNG.
fn picture_without_text(width: u32, height: u32) -> Vec<u8> {
    let image = image::GrayImage::from_fn(width, height, |x, y| {
        let (dx, dy) = (x as f32 - 300.0, y as f32 - 200.0);
        let ear = ((x as f32 - 200.0).powi(2) + (y as f32 - 90.0).powi(2)).sqrt() < 40.0;
        let head = (dx * dx / 4.0 + dy * dy).sqrt() < 120.0;
        image::Luma([if ear || head { 90 } else { 200 }])
    });
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

#[test]
fn a_photo_without_results_reads_as_no_rows() {
    if !medvault_ingest::ocr::ready_for_tests() {
        return;
    }
    assert_eq!(
        read_bytes("cat", &picture_without_text(600, 400), &Limits::default()),
        Ok(0)
    );
}

#[test]
fn a_page_that_overruns_its_limits_is_stopped() {
    if !medvault_ingest::ocr::ready_for_tests() {
        return;
    }
    // A page the size of a 300 dpi scan.
    let picture = picture_without_text(2550, 3300);
    let hurried = Limits {
        page_time: Duration::from_millis(1),
        ..Limits::default()
    };
    assert_eq!(
        read_bytes("hurried", &picture, &hurried),
        Err(ReadError::TimedOut)
    );
    let starved = Limits {
        page_memory_bytes: 70 << 20,
        ..Limits::default()
    };
    let starved = read_bytes("starved", &picture, &starved);
    assert!(
        matches!(starved, Err(ReadError::OcrFailed(_))),
        "{starved:?}"
    );
}
