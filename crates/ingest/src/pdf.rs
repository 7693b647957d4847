//! A PDF's text layer as positioned words. The PDF is parsed by `pdf-extract` (on `lopdf`),
//! which hands over each character with its place on the page; characters are joined into
//! words here by their spacing. A malformed file that makes the parser panic is reported as
//! corrupt, never passed on as a crash.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pdf_extract::{Document, MediaBox, OutputDev, OutputError, Transform};

use crate::layout::{Page, TextSource, Word};
use crate::read::ReadError;

/// How many pages the PDF has, read without decoding their content.
pub fn page_count(bytes: &[u8]) -> Result<u32, ReadError> {
    let document = load(bytes)?;
    u32::try_from(document.get_pages().len()).map_err(|_| ReadError::CorruptPdf)
}

/// Each page's words from the PDF's text layer (a scanned page has none).
pub fn text_layer(bytes: &[u8]) -> Result<Vec<Page>, ReadError> {
    let document = load(bytes)?;
    let mut collector = Collector::default();
    match catch_unwind(AssertUnwindSafe(|| {
        pdf_extract::output_doc(&document, &mut collector)
    })) {
        Ok(Ok(())) => Ok(collector.pages),
        Ok(Err(_)) | Err(_) => Err(ReadError::CorruptPdf),
    }
}

fn load(bytes: &[u8]) -> Result<Document, ReadError> {
    let document = catch_unwind(|| Document::load_mem(bytes))
        .map_err(|_| ReadError::CorruptPdf)?
        .map_err(|error| match error {
            pdf_extract::Error::Decryption(_) => ReadError::Encrypted,
            _ => ReadError::CorruptPdf,
        })?;
    // An encrypted PDF that opens without a password (an owner password only) has been
    // decrypted by now; one still marked encrypted needs a user password.
    let needs_password = document.trailer.get(b"Encrypt").is_ok() && !document.was_encrypted();
    if needs_password || document.is_encrypted() {
        return Err(ReadError::Encrypted);
    }
    Ok(document)
}

/// Gathers characters into words, page by page.
#[derive(Default)]
struct Collector {
    pages: Vec<Page>,
    /// The page's height and its box's lower left, to turn PDF coordinates (from the bottom)
    /// into the page's (from the top).
    flip: (f64, f64, f64),
    word: Option<Word>,
}

impl Collector {
    fn finish_word(&mut self) {
        if let (Some(word), Some(page)) = (self.word.take(), self.pages.last_mut()) {
            page.words.push(word);
        }
    }
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        page_num: u32,
        media_box: &MediaBox,
        _: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        let height = media_box.ury - media_box.lly;
        self.flip = (height, media_box.llx, media_box.lly);
        self.pages.push(Page {
            number: page_num,
            width: (media_box.urx - media_box.llx) as f32,
            height: height as f32,
            source: TextSource::TextLayer,
            words: Vec::new(),
        });
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.finish_word();
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        char: &str,
    ) -> Result<(), OutputError> {
        let (page_height, left_edge, bottom_edge) = self.flip;
        let x = (trm.m31 - left_edge) as f32;
        let baseline = (page_height - (trm.m32 - bottom_edge)) as f32;
        // The glyph's size on the page: the font size through the text matrix.
        let across = font_size * (trm.m11 + trm.m21);
        let up = font_size * (trm.m12 + trm.m22);
        let size = (across * up).abs().sqrt() as f32;
        // Some fonts' widths do not reach the parser (Chromium's digits come with width 0);
        // a typical glyph's width stands in for them.
        let advance = if width > 0.05 { width as f32 } else { 0.55 } * size;
        if char.trim().is_empty() {
            self.finish_word();
            return Ok(());
        }
        let continues = self.word.as_ref().is_some_and(|word| {
            let end = word.right();
            (word.top + word.height * 0.8 - baseline).abs() < size * 0.5
                && x <= end + size * 0.15
                && x >= end - size * 0.5
        });
        if !continues {
            self.finish_word();
        }
        match &mut self.word {
            Some(word) => {
                word.text.push_str(char);
                word.width = (x + advance - word.left).max(word.width);
            }
            None => {
                self.word = Some(Word {
                    text: char.to_owned(),
                    left: x,
                    top: baseline - size * 0.8,
                    width: advance,
                    height: size,
                    confidence: 1.0,
                });
            }
        }
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}
