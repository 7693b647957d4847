//! Cleaning a scan before OCR: a page speckled by its scanner's sensor (many pixels far from
//! their neighbours) is passed through a 3 × 3 median filter, which removes specks and grain
//! but keeps the strokes of 10-point type at 300 dpi. Clean pages are left as they are: the
//! filter costs a clean page a little sharpness (see docs/labs.md for the figures).

use std::path::{Path, PathBuf};

use image::{GrayImage, Luma};

/// Pages larger than this are not decoded here (a 300 dpi A3 page is 17 megapixels).
const MAX_PIXELS: u64 = 40_000_000;

/// Share of sampled pixels far from their neighbourhood's median above which a page counts
/// as noisy.
const NOISY_SHARE: f64 = 0.01;

/// The cleaned page written beside the input, or `None` when it needs no cleaning (or cannot
/// be decoded here, in which case Tesseract reads the original).
pub fn cleaned(image: &Path, scratch: &Path) -> Option<PathBuf> {
    let (width, height) = image::image_dimensions(image).ok()?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return None;
    }
    let page = image::open(image).ok()?.to_luma8();
    if noise_share(&page) < NOISY_SHARE {
        return None;
    }
    let out = scratch.join(format!(
        "{}-clean.png",
        image.file_stem()?.to_string_lossy()
    ));
    median(&page).save(&out).ok()?;
    Some(out)
}

/// The share of pixels (one in sixteen sampled) that differ from their 3 × 3 median by more
/// than a quarter of the grey scale.
fn noise_share(page: &GrayImage) -> f64 {
    let (mut far, mut seen) = (0u64, 0u64);
    for y in (1..page.height().saturating_sub(1)).step_by(4) {
        for x in (1..page.width().saturating_sub(1)).step_by(4) {
            let centre = i32::from(page.get_pixel(x, y).0[0]);
            let median = i32::from(median_at(page, x, y));
            far += u64::from((centre - median).abs() > 64);
            seen += 1;
        }
    }
    if seen == 0 {
        0.0
    } else {
        far as f64 / seen as f64
    }
}

fn median(page: &GrayImage) -> GrayImage {
    let mut out = page.clone();
    for y in 1..page.height().saturating_sub(1) {
        for x in 1..page.width().saturating_sub(1) {
            out.put_pixel(x, y, Luma([median_at(page, x, y)]));
        }
    }
    out
}

/// The median of the pixel at (x, y) and its eight neighbours, all inside the page.
fn median_at(page: &GrayImage, x: u32, y: u32) -> u8 {
    let mut values = [0u8; 9];
    for (slot, (dx, dy)) in values.iter_mut().zip(
        [-1i32, 0, 1]
            .iter()
            .flat_map(|dy| [-1i32, 0, 1].iter().map(move |dx| (*dx, *dy))),
    ) {
        let px = x.saturating_add_signed(dx);
        let py = y.saturating_add_signed(dy);
        *slot = page.get_pixel(px, py).0[0];
    }
    values.sort_unstable();
    values[4]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specks_are_removed_and_strokes_kept() {
        let mut page = GrayImage::from_pixel(40, 40, Luma([255]));
        // A 4-pixel stroke, and specks around it.
        for y in 5..35 {
            for x in 18..22 {
                page.put_pixel(x, y, Luma([0]));
            }
        }
        for (x, y) in [(5, 5), (30, 9), (8, 30), (33, 33)] {
            page.put_pixel(x, y, Luma([0]));
        }
        assert!(noise_share(&page) > 0.0);
        let clean = median(&page);
        assert_eq!(clean.get_pixel(5, 5).0[0], 255, "a speck goes");
        assert_eq!(clean.get_pixel(20, 20).0[0], 0, "a stroke stays");
    }
}
