//! A report file to pages of words: a PDF's text layer where its pages have one, Tesseract on
//! the pages that do not and on images, each page on a thread of its own (up to the limits'
//! count at once), within the limits on pages, time and memory.

use std::path::Path;
use std::time::Duration;

use medvault_domain::files::{self, FileKind, Refusal};
use serde::Serialize;

use crate::layout::Page;
use crate::{ocr, pdf};

/// What reading one report may take.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Pages read at most; a longer document is refused.
    pub max_pages: u32,
    /// Wall-clock (and CPU) time for one page's drawing or OCR.
    pub page_time: Duration,
    /// Address space for one page's drawing or OCR.
    pub page_memory_bytes: u64,
    /// Resolution pages are drawn at for OCR.
    pub dpi: u32,
    /// Pages drawn and recognised at once.
    pub threads: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pages: 50,
            page_time: Duration::from_secs(60),
            page_memory_bytes: 1 << 30,
            dpi: 300,
            threads: 1,
        }
    }
}

/// Why a file could not be read as a report, in words for its uploader.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "code", content = "detail", rename_all = "snake_case")]
pub enum ReadError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not a PDF, PNG, JPEG or TIFF: {0}")]
    NotAReport(String),
    #[error("the PDF is encrypted; upload it without a password")]
    Encrypted,
    #[error("the PDF is damaged and cannot be read")]
    CorruptPdf,
    #[error("the PDF has no pages")]
    NoPages,
    #[error("the document has {pages} pages; at most {max} are read")]
    TooManyPages { pages: u32, max: u32 },
    #[error("a page took longer than the time allowed to read it")]
    TimedOut,
    #[error("{0}")]
    OcrFailed(String),
    #[error("{0} is not installed on the server")]
    ToolMissing(&'static str),
}

impl ReadError {
    /// The machine-readable code, as the error serializes.
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Empty => "empty",
            ReadError::NotAReport(_) => "not_a_report",
            ReadError::Encrypted => "encrypted",
            ReadError::CorruptPdf => "corrupt_pdf",
            ReadError::NoPages => "no_pages",
            ReadError::TooManyPages { .. } => "too_many_pages",
            ReadError::TimedOut => "timed_out",
            ReadError::OcrFailed(_) => "ocr_failed",
            ReadError::ToolMissing(_) => "tool_missing",
        }
    }
}

/// Runs `work` with an empty folder of its own for a file's page images, removed afterwards.
fn in_scratch<T>(work: impl FnOnce(&Path) -> Result<T, ReadError>) -> Result<T, ReadError> {
    let scratch = std::env::temp_dir().join(format!("medvault-report-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&scratch)
        .map_err(|_| ReadError::OcrFailed("no room to read the file".into()))?;
    let done = work(&scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    done
}

/// The pages of a report, read within `limits`.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<Page>, ReadError> {
    in_scratch(|scratch| read_in(bytes, limits, scratch))
}

fn read_in(bytes: &[u8], limits: &Limits, scratch: &Path) -> Result<Vec<Page>, ReadError> {
    let kind = files::check(bytes).map_err(|refusal| match refusal {
        Refusal::Empty => ReadError::Empty,
        other => ReadError::NotAReport(other.message()),
    })?;
    let input = scratch.join(match kind {
        FileKind::Pdf => "report.pdf",
        FileKind::Png => "report.png",
        FileKind::Jpeg => "report.jpg",
        FileKind::Tiff => "report.tif",
        FileKind::Text => return Err(ReadError::NotAReport("plain text is not a report".into())),
    });
    std::fs::write(&input, bytes)
        .map_err(|_| ReadError::OcrFailed("no room to read the file".into()))?;
    if kind != FileKind::Pdf {
        let pages = ocr::recognise(&input, limits)?;
        return within_page_limit(pages, limits);
    }
    let count = pdf::page_count(bytes)?;
    if count == 0 {
        return Err(ReadError::NoPages);
    }
    if count > limits.max_pages {
        return Err(ReadError::TooManyPages {
            pages: count,
            max: limits.max_pages,
        });
    }
    let layer = pdf::text_layer(bytes).unwrap_or_default();
    let mut pages: Vec<Page> = Vec::with_capacity(count as usize);
    let mut scanned = Vec::new();
    for number in 1..=count {
        match layer.iter().find(|page| page.number == number) {
            Some(page) if has_text(page) => pages.push(page.clone()),
            _ => scanned.push(number),
        }
    }
    pages.extend(recognise_pages(&input, &scanned, limits, scratch)?);
    pages.sort_by_key(|page| page.number);
    Ok(pages)
}

/// A page whose text layer holds words enough to be read, not a scan with a stray caption.
fn has_text(page: &Page) -> bool {
    page.words
        .iter()
        .filter(|word| word.text.chars().any(char::is_alphanumeric))
        .count()
        >= 5
}

/// OCR of the given pages of a PDF, `limits.threads` at a time.
fn recognise_pages(
    pdf: &Path,
    numbers: &[u32],
    limits: &Limits,
    scratch: &Path,
) -> Result<Vec<Page>, ReadError> {
    let mut pages = Vec::new();
    for batch in numbers.chunks(limits.threads.max(1)) {
        let results: Vec<Result<Vec<Page>, ReadError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .iter()
                .map(|&number| {
                    scope.spawn(move || {
                        let image = ocr::rasterise(pdf, number, scratch, limits)?;
                        let read = ocr::recognise(&image, limits);
                        let _ = std::fs::remove_file(&image);
                        read.map(|pages| {
                            pages
                                .into_iter()
                                .map(|page| Page { number, ..page })
                                .collect()
                        })
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle.join().unwrap_or_else(|_| {
                        Err(ReadError::OcrFailed("a page could not be read".into()))
                    })
                })
                .collect()
        });
        for result in results {
            pages.extend(result?);
        }
    }
    Ok(pages)
}

/// A page of a report as an image a browser shows: a PDF's page drawn at `dpi`, a PNG or JPEG
/// as it is, a TIFF's first page as PNG. With its content type.
pub fn page_image(
    bytes: &[u8],
    page: u32,
    dpi: u32,
    limits: &Limits,
) -> Result<(Vec<u8>, &'static str), ReadError> {
    let kind = files::check(bytes).map_err(|refusal| ReadError::NotAReport(refusal.message()))?;
    match kind {
        FileKind::Pdf => {
            let count = pdf::page_count(bytes)?;
            if page == 0 || page > count {
                return Err(ReadError::NoPages);
            }
            let png = in_scratch(|scratch| {
                let input = scratch.join("report.pdf");
                std::fs::write(&input, bytes)
                    .map_err(|_| ReadError::OcrFailed("no room to draw the page".into()))?;
                ocr::draw_page(&input, page, dpi, scratch, limits)
            })?;
            Ok((png, "image/png"))
        }
        _ if page != 1 => Err(ReadError::NoPages),
        FileKind::Png => Ok((bytes.to_vec(), "image/png")),
        FileKind::Jpeg => Ok((bytes.to_vec(), "image/jpeg")),
        FileKind::Tiff => {
            let decoded = image::load_from_memory_with_format(bytes, image::ImageFormat::Tiff)
                .map_err(|_| ReadError::OcrFailed("the TIFF could not be decoded".into()))?;
            let mut png = Vec::new();
            decoded
                .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .map_err(|_| ReadError::OcrFailed("the page could not be drawn".into()))?;
            Ok((png, "image/png"))
        }
        FileKind::Text => Err(ReadError::NotAReport("plain text is not a report".into())),
    }
}

fn within_page_limit(pages: Vec<Page>, limits: &Limits) -> Result<Vec<Page>, ReadError> {
    let count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    if count > limits.max_pages {
        return Err(ReadError::TooManyPages {
            pages: count,
            max: limits.max_pages,
        });
    }
    Ok(pages)
}
