//! Text from images by Tesseract, and images from PDF pages by poppler's `pdftoppm`, each run
//! as a child process held to the limits: a wall-clock time and an address-space cap per page
//! (through `prlimit`), one thread each (`OMP_THREAD_LIMIT=1`), killed when it overruns.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::clean;
use crate::layout::{Page, TextSource, Word};
use crate::read::{Limits, ReadError};

/// Renders one PDF page to a grey PNG at the limits' resolution, into `dir`.
pub fn rasterise(pdf: &Path, page: u32, dir: &Path, limits: &Limits) -> Result<PathBuf, ReadError> {
    let stem = dir.join(format!("page-{page}"));
    let number = page.to_string();
    let dpi = limits.dpi.to_string();
    let mut command = limited("pdftoppm", limits);
    command.args([
        "-r",
        &dpi,
        "-gray",
        "-png",
        "-singlefile",
        "-f",
        &number,
        "-l",
        &number,
    ]);
    command.arg(pdf).arg(&stem);
    run(command, limits, "pdftoppm")?;
    let image = stem.with_extension("png");
    if image.exists() {
        Ok(image)
    } else {
        Err(ReadError::OcrFailed(format!(
            "page {page} could not be drawn"
        )))
    }
}

/// One PDF page drawn as a PNG at `dpi`, for a reviewer to read beside its rows.
pub fn draw_page(
    pdf: &Path,
    page: u32,
    dpi: u32,
    dir: &Path,
    limits: &Limits,
) -> Result<Vec<u8>, ReadError> {
    let drawing = Limits {
        dpi,
        ..limits.clone()
    };
    let image = rasterise(pdf, page, dir, &drawing)?;
    let png = std::fs::read(&image)
        .map_err(|_| ReadError::OcrFailed(format!("page {page} could not be drawn")));
    let _ = std::fs::remove_file(&image);
    png
}

/// Tesseract's words on an image (every page of a multi-page TIFF), with their boxes and
/// confidences.
pub fn recognise(image: &Path, limits: &Limits) -> Result<Vec<Page>, ReadError> {
    // A TIFF may hold several pages, of which the cleaner would keep only the first.
    let is_tiff = image.extension().is_some_and(|e| e == "tif");
    let cleaned = image
        .parent()
        .filter(|_| !is_tiff)
        .and_then(|scratch| clean::cleaned(image, scratch));
    let mut command = limited("tesseract", limits);
    command
        .arg(cleaned.as_deref().unwrap_or(image))
        .arg("stdout")
        .args(["-l", "eng", "--psm", "6", "tsv"]);
    let tsv = run(command, limits, "tesseract");
    if let Some(cleaned) = cleaned {
        let _ = std::fs::remove_file(cleaned);
    }
    Ok(pages_of_tsv(&tsv?))
}

/// A command run under `prlimit`, with one thread.
fn limited(program: &str, limits: &Limits) -> Command {
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--as={}", limits.page_memory_bytes))
        .arg(format!("--cpu={}", limits.page_time.as_secs().max(1)))
        .arg("--")
        .arg(program)
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command
}

/// Runs a command to its end or its time limit, and returns what it printed.
fn run(mut command: Command, limits: &Limits, tool: &'static str) -> Result<String, ReadError> {
    if !installed(tool) {
        return Err(ReadError::ToolMissing(tool));
    }
    let mut child = command
        .spawn()
        .map_err(|_| ReadError::ToolMissing("prlimit"))?;
    let output = collect_output(&mut child);
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            // Past its memory a tool fails to allocate, or even to load (exit 127).
            Ok(Some(_)) => {
                return Err(ReadError::OcrFailed(format!(
                    "{tool} could not read the page (it may be damaged, or beyond the memory allowed for a page)"
                )));
            }
            Ok(None) if started.elapsed() > limits.page_time => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ReadError::TimedOut);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => return Err(ReadError::OcrFailed(format!("{tool} could not be watched"))),
        }
    }
    output
        .join()
        .map_err(|_| ReadError::OcrFailed(format!("{tool}'s output was lost")))
}

/// The programs OCR needs that are not installed (Debian: `tesseract-ocr`,
/// `tesseract-ocr-eng`, `poppler-utils`).
pub fn missing_tools() -> Vec<&'static str> {
    ["tesseract", "pdftoppm", "prlimit"]
        .into_iter()
        .filter(|tool| !installed(tool))
        .collect()
}

/// Whether OCR may run here; when it may not, tests skip it unless `MEDVAULT_OCR=required`
/// (as CI sets), which makes a missing tool a failure.
pub fn ready_for_tests() -> bool {
    let missing = missing_tools();
    if missing.is_empty() {
        return true;
    }
    let required = std::env::var("MEDVAULT_OCR").is_ok_and(|v| v == "required");
    assert!(
        !required,
        "MEDVAULT_OCR=required but {missing:?} not installed"
    );
    eprintln!(
        "skipped: {missing:?} not installed (Debian: tesseract-ocr tesseract-ocr-eng poppler-utils)"
    );
    false
}

/// Whether a program is on the PATH.
fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Reads the child's output on a thread of its own, so a full pipe never stalls it.
fn collect_output(child: &mut Child) -> std::thread::JoinHandle<String> {
    let stdout = child.stdout.take();
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stdout) = stdout {
            let _ = stdout.read_to_string(&mut text);
        }
        text
    })
}

/// Tesseract's TSV: one row per page, block, paragraph, line and word; words are level 5,
/// pages level 1 (with the page's size).
fn pages_of_tsv(tsv: &str) -> Vec<Page> {
    let mut pages: Vec<Page> = Vec::new();
    for row in tsv.lines().skip(1) {
        let cells: Vec<&str> = row.split('\t').collect();
        let [
            level,
            page,
            _,
            _,
            _,
            _,
            left,
            top,
            width,
            height,
            confidence,
            text,
        ] = cells.as_slice()
        else {
            continue;
        };
        let number = |s: &str| s.trim().parse::<f32>().unwrap_or(0.0);
        let page_number = page.trim().parse::<u32>().unwrap_or(1);
        match level.trim() {
            "1" => pages.push(Page {
                number: page_number,
                width: number(width),
                height: number(height),
                source: TextSource::Ocr,
                words: Vec::new(),
            }),
            "5" if !text.trim().is_empty() => {
                if let Some(page) = pages.last_mut() {
                    page.words.push(Word {
                        text: text.trim().to_owned(),
                        left: number(left),
                        top: number(top),
                        width: number(width),
                        height: number(height),
                        confidence: (number(confidence) / 100.0).clamp(0.0, 1.0),
                    });
                }
            }
            _ => {}
        }
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tesseract_tsv_becomes_pages_of_words() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t100\t200\t180\t40\t96.5\tSodium\n\
                   5\t1\t1\t1\t1\t2\t400\t201\t80\t40\t91\t140\n\
                   5\t1\t1\t1\t1\t3\t500\t201\t80\t40\t-1\t \n";
        let pages = pages_of_tsv(tsv);
        assert_eq!(pages.len(), 1);
        let words: Vec<(&str, f32)> = pages
            .iter()
            .flat_map(|p| p.words.iter().map(|w| (w.text.as_str(), w.confidence)))
            .collect();
        assert_eq!(words, [("Sodium", 0.965), ("140", 0.91)]);
        assert_eq!(pages.first().map(|p| p.width), Some(2480.0));
    }
}
