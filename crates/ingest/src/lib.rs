//! MedVault's lab report reader. A report (a PDF with a text layer, a scanned PDF, or a PNG,
//! JPEG or TIFF image) becomes pages of positioned words, from the text layer where there is
//! one and from Tesseract otherwise, and then draft result rows, each field with a confidence,
//! for a doctor to confirm. Nothing here touches the database or the network.

pub mod classify;
mod clean;
pub mod layout;
pub mod ocr;
pub mod parse;
pub mod pdf;
pub mod read;
mod tokens;

pub use classify::{DocumentKind, classify};
pub use layout::{Page, TextSource, Word};
pub use parse::{Bounds, DraftRow, Field, REVIEW_BELOW, rows};
pub use read::{Limits, ReadError, page_image, read};
