//! What a stored file may be, decided from its content, never from its name or the type a
//! client declares: PDF, PNG, JPEG, TIFF or plain text, each checked for what makes a file
//! dangerous or absurd to keep (markup a browser would run, a polyglot, an image that would
//! need gigabytes to decode).

use crate::values::InvalidValue;

/// The kinds of file a chart keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
    Tiff,
    Text,
}

impl FileKind {
    pub const ALL: [FileKind; 5] = [
        FileKind::Pdf,
        FileKind::Png,
        FileKind::Jpeg,
        FileKind::Tiff,
        FileKind::Text,
    ];

    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Tiff => "image/tiff",
            FileKind::Text => "text/plain; charset=utf-8",
        }
    }

    pub fn of_content_type(stored: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.content_type() == stored)
    }

    /// How people call it.
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Pdf => "PDF",
            FileKind::Png => "PNG image",
            FileKind::Jpeg => "JPEG image",
            FileKind::Tiff => "TIFF image",
            FileKind::Text => "text",
        }
    }
}

/// Why a file is not kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    /// Not one of the kinds kept (HTML, SVG, an executable, an archive…).
    NotAllowed,
    /// Holds markup or script a browser could be made to run: a polyglot.
    ActiveContent,
    /// An image larger than any scan needs, and too large to decode safely.
    TooManyPixels {
        width: u64,
        height: u64,
    },
    /// Says it is one kind but is not a whole one.
    Malformed(FileKind),
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::Empty => "the file is empty".to_owned(),
            Refusal::NotAllowed => {
                "only PDF, PNG, JPEG, TIFF and plain text files are kept (judged by their content, not their name)".to_owned()
            }
            Refusal::ActiveContent => {
                "the file holds web markup or script, which a chart does not keep".to_owned()
            }
            Refusal::TooManyPixels { width, height } => format!(
                "the image is {width} × {height} pixels; at most {MAX_SIDE} a side and {} megapixels are kept",
                MAX_PIXELS / 1_000_000
            ),
            Refusal::Malformed(kind) => format!("the file is not a whole {}", kind.label()),
        }
    }
}

/// The largest image kept: a page scanned at 1200 dpi fits.
pub const MAX_SIDE: u64 = 20_000;
pub const MAX_PIXELS: u64 = 200_000_000;

/// The kind the first bytes say, if it is one kept. Text is anything else that is UTF-8
/// without NUL or other control characters (tabs and line ends aside).
pub fn sniff(content: &[u8]) -> Option<FileKind> {
    let head = content.get(..content.len().min(8)).unwrap_or_default();
    if head.starts_with(b"%PDF-") {
        Some(FileKind::Pdf)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileKind::Png)
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileKind::Jpeg)
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        Some(FileKind::Tiff)
    } else if is_plain_text(content) {
        Some(FileKind::Text)
    } else {
        None
    }
}

fn is_plain_text(content: &[u8]) -> bool {
    std::str::from_utf8(content).is_ok_and(|text| {
        text.chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
    })
}

/// How much of a response a browser reads to decide what it is.
const SNIFFING_WINDOW: usize = 1445;

/// Markup a browser would act on, in any case.
const ACTIVE: [&[u8]; 6] = [
    b"<script",
    b"<html",
    b"<svg",
    b"<!doctype html",
    b"<iframe",
    b"<?xml",
];

fn contains_ignoring_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

/// Checks a whole file: its kind from its content, then what that kind must and must not be.
pub fn check(content: &[u8]) -> Result<FileKind, Refusal> {
    if content.is_empty() {
        return Err(Refusal::Empty);
    }
    let kind = sniff(content).ok_or(Refusal::NotAllowed)?;
    // A browser decides what a response is from its first 1,445 bytes (the WHATWG sniffing
    // window), so that is where a binary file must hold no markup: deeper in, a scan's
    // compressed pixels spell "<svg" by chance (about one 8 MB image in thirty), and such a
    // file is never shown as markup (downloads are attachments with nosniff). Text is
    // read whole.
    let searched = match kind {
        FileKind::Text => content,
        _ => content
            .get(..content.len().min(SNIFFING_WINDOW))
            .unwrap_or_default(),
    };
    if ACTIVE
        .iter()
        .any(|needle| contains_ignoring_case(searched, needle))
    {
        return Err(if kind == FileKind::Text {
            Refusal::NotAllowed
        } else {
            Refusal::ActiveContent
        });
    }
    match kind {
        FileKind::Pdf => {
            // A PDF ends with its trailer; one that runs script is refused.
            let tail = content
                .get(content.len().saturating_sub(1024)..)
                .unwrap_or_default();
            if !contains_ignoring_case(tail, b"%%EOF") {
                return Err(Refusal::Malformed(kind));
            }
            if contains_ignoring_case(content, b"/JavaScript") {
                return Err(Refusal::ActiveContent);
            }
        }
        FileKind::Png => within_limits(png_size(content).ok_or(Refusal::Malformed(kind))?)?,
        FileKind::Jpeg => within_limits(jpeg_size(content).ok_or(Refusal::Malformed(kind))?)?,
        FileKind::Tiff => within_limits(tiff_size(content).ok_or(Refusal::Malformed(kind))?)?,
        FileKind::Text => {}
    }
    Ok(kind)
}

fn within_limits((width, height): (u64, u64)) -> Result<(), Refusal> {
    if width == 0
        || height == 0
        || width > MAX_SIDE
        || height > MAX_SIDE
        || width * height > MAX_PIXELS
    {
        return Err(Refusal::TooManyPixels { width, height });
    }
    Ok(())
}

/// `N` bytes of `content` from `at`, if it has them.
fn array<const N: usize>(content: &[u8], at: usize) -> Option<[u8; N]> {
    content.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn be32(content: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_be_bytes(array(content, at)?)))
}

fn be16(content: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(array(content, at)?))
}

/// A PNG's size, from its first chunk, which must be IHDR.
fn png_size(content: &[u8]) -> Option<(u64, u64)> {
    if content.get(12..16)? != b"IHDR" {
        return None;
    }
    Some((be32(content, 16)?, be32(content, 20)?))
}

/// A JPEG's size, from its first start-of-frame segment.
fn jpeg_size(content: &[u8]) -> Option<(u64, u64)> {
    let mut at = 2;
    loop {
        if *content.get(at)? != 0xFF {
            return None;
        }
        let marker = *content.get(at + 1)?;
        let length = usize::from(be16(content, at + 2)?);
        // SOF0 to SOF15, except DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let height = be16(content, at + 5)?;
            let width = be16(content, at + 7)?;
            return Some((u64::from(width), u64::from(height)));
        }
        at = at.checked_add(2 + length)?;
    }
}

/// A TIFF's size, from the first image's directory.
fn tiff_size(content: &[u8]) -> Option<(u64, u64)> {
    let little = content.starts_with(b"II");
    let u16_at = |at: usize| -> Option<u64> {
        let pair = array(content, at)?;
        Some(u64::from(if little {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }))
    };
    let u32_at = |at: usize| -> Option<u64> {
        let quad = array(content, at)?;
        Some(u64::from(if little {
            u32::from_le_bytes(quad)
        } else {
            u32::from_be_bytes(quad)
        }))
    };
    let directory = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::try_from(u16_at(directory)?).ok()?;
    let (mut width, mut height) = (None, None);
    for n in 0..entries {
        let entry = directory + 2 + n * 12;
        let value = match u16_at(entry + 2)? {
            3 => u16_at(entry + 8)?,
            4 => u32_at(entry + 8)?,
            _ => continue,
        };
        match u16_at(entry)? {
            256 => width = Some(value),
            257 => height = Some(value),
            _ => {}
        }
    }
    Some((width?, height?))
}

/// A file's name as the uploader gave it, kept for display and for the download's name only:
/// stored objects get names the server makes. A path, a control character or a NUL byte is
/// refused rather than quietly mended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(InvalidValue::new("file", "needs a file name"));
        }
        if name.chars().count() > 200 {
            return Err(InvalidValue::new(
                "file",
                "name is too long (200 characters at most)",
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(InvalidValue::new(
                "file",
                "name contains control characters",
            ));
        }
        if name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(InvalidValue::new(
                "file",
                "name must be a file's name, not a path",
            ));
        }
        Ok(FileName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        bytes.extend(width.to_be_bytes());
        bytes.extend(height.to_be_bytes());
        bytes.extend([8, 2, 0, 0, 0]);
        bytes
    }

    #[test]
    fn the_kind_comes_from_the_content() {
        assert_eq!(
            check(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"),
            Ok(FileKind::Pdf)
        );
        assert_eq!(check(&png(800, 600)), Ok(FileKind::Png));
        assert_eq!(check("Glucose 5.4 mmol/L\n".as_bytes()), Ok(FileKind::Text));
        assert_eq!(check(b""), Err(Refusal::Empty));
        assert_eq!(check(b"MZ\x90\0\x03\0\0\0"), Err(Refusal::NotAllowed));
        assert_eq!(
            check(b"<html><body>hi</body></html>"),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            check(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            Err(Refusal::NotAllowed)
        );
    }

    #[test]
    fn pixels_that_spell_markup_deep_in_an_image_are_pixels() {
        let mut image = png(2550, 3300);
        image.extend(std::iter::repeat_n(0x55, 4096));
        image.extend(b"<SvG");
        assert_eq!(check(&image), Ok(FileKind::Png));
        let mut polyglot = png(800, 600);
        polyglot.extend(b"<script>alert(1)</script>");
        assert_eq!(check(&polyglot), Err(Refusal::ActiveContent));
    }

    #[test]
    fn polyglots_huge_images_and_broken_files_are_refused() {
        assert_eq!(
            check(b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF"),
            Err(Refusal::ActiveContent)
        );
        assert_eq!(
            check(b"%PDF-1.4\n/OpenAction << /S /JavaScript >>\n%%EOF"),
            Err(Refusal::ActiveContent)
        );
        assert_eq!(
            check(&png(50_000, 50_000)),
            Err(Refusal::TooManyPixels {
                width: 50_000,
                height: 50_000
            })
        );
        assert_eq!(
            check(b"%PDF-1.4\ntruncated"),
            Err(Refusal::Malformed(FileKind::Pdf))
        );
        assert_eq!(
            check(&png(10, 10)[..14]),
            Err(Refusal::Malformed(FileKind::Png))
        );
    }

    #[test]
    fn image_sizes_are_read_from_jpeg_and_tiff_headers() {
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01,
            0xE0, 0x02, 0x80,
        ];
        assert_eq!(jpeg_size(&jpeg), Some((640, 480)));
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend([2, 0]);
        tiff.extend([0, 1, 3, 0, 1, 0, 0, 0, 0x20, 0x03, 0, 0]); // width 800, SHORT
        tiff.extend([1, 1, 4, 0, 1, 0, 0, 0, 0x58, 0x02, 0, 0]); // height 600, LONG
        assert_eq!(tiff_size(&tiff), Some((800, 600)));
    }

    #[test]
    fn names_are_names_not_paths() {
        assert!(FileName::parse("lab report 2026-03.pdf").is_ok());
        for bad in [
            "../../etc/passwd",
            "a/b.pdf",
            "c:\\x.pdf",
            "nul\0.pdf",
            "",
            "..",
            "tab\there",
        ] {
            assert!(FileName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
