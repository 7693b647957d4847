//! What scanners and phones do to a page: a slant, blur, noise, JPEG artefacts, low
//! resolution, and a photo's perspective.

use image::imageops::{self, FilterType};
use image::{GrayImage, Luma};

use crate::report::Rng;

/// A page image turned by `degrees` about its centre.
pub fn rotate(page: &GrayImage, degrees: f32) -> GrayImage {
    let (cos, sin) = (degrees.to_radians().cos(), degrees.to_radians().sin());
    let (cx, cy) = (page.width() as f32 / 2.0, page.height() as f32 / 2.0);
    warp(page, |x, y| {
        let (dx, dy) = (x - cx, y - cy);
        (cx + dx * cos + dy * sin, cy - dx * sin + dy * cos)
    })
}

/// A page seen from a little off square: its corners moved inwards by up to `amount` of its
/// size, as a hand-held phone sees a sheet on a desk.
pub fn perspective(page: &GrayImage, rng: &mut Rng, amount: f32) -> GrayImage {
    let (w, h) = (page.width() as f32, page.height() as f32);
    let mut jitter = |size: f32| size * amount * rng.unit() as f32;
    // Where each corner of the photo comes from on the page.
    let corners = [
        ((0.0, 0.0), (jitter(w), jitter(h))),
        ((w, 0.0), (w - jitter(w), jitter(h))),
        ((w, h), (w - jitter(w), h - jitter(h))),
        ((0.0, h), (jitter(w), h - jitter(h))),
    ];
    let Some(homography) = homography(&corners) else {
        return page.clone();
    };
    warp(page, |x, y| {
        let [a, b, c, d, e, f, g, hh] = homography;
        let z = g * x + hh * y + 1.0;
        ((a * x + b * y + c) / z, (d * x + e * y + f) / z)
    })
}

/// Gaussian blur, as an out-of-focus scan.
pub fn blur(page: &GrayImage, sigma: f32) -> GrayImage {
    imageops::blur(page, sigma)
}

/// Sensor noise and specks.
pub fn noise(page: &GrayImage, rng: &mut Rng, strength: f32) -> GrayImage {
    let mut out = page.clone();
    for pixel in out.pixels_mut() {
        // The sum of three uniforms is near enough to normal.
        let n = (rng.unit() + rng.unit() + rng.unit() - 1.5) as f32 * 2.0 * strength;
        let speck = rng.unit();
        let value = if speck < 0.002 {
            0.0
        } else if speck > 0.998 {
            255.0
        } else {
            f32::from(pixel.0[0]) + n
        };
        *pixel = Luma([value.clamp(0.0, 255.0) as u8]);
    }
    out
}

/// The page at a fraction of its resolution.
pub fn downscale(page: &GrayImage, fraction: f32) -> GrayImage {
    let width = (page.width() as f32 * fraction) as u32;
    let height = (page.height() as f32 * fraction) as u32;
    imageops::resize(page, width.max(1), height.max(1), FilterType::Triangle)
}

/// Each output pixel sampled (bilinearly) from where `source` says it comes from; white
/// beyond the page.
fn warp(page: &GrayImage, source: impl Fn(f32, f32) -> (f32, f32)) -> GrayImage {
    let mut out = GrayImage::from_pixel(page.width(), page.height(), Luma([255]));
    let at = |x: i64, y: i64| -> f32 {
        if x < 0 || y < 0 || x >= i64::from(page.width()) || y >= i64::from(page.height()) {
            255.0
        } else {
            f32::from(page.get_pixel(x as u32, y as u32).0[0])
        }
    };
    for (x, y, pixel) in out.enumerate_pixels_mut() {
        let (sx, sy) = source(x as f32, y as f32);
        let (x0, y0) = (sx.floor() as i64, sy.floor() as i64);
        let (fx, fy) = (sx - sx.floor(), sy - sy.floor());
        let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
        let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
        *pixel = Luma([(top * (1.0 - fy) + bottom * fy).clamp(0.0, 255.0) as u8]);
    }
    out
}

type Point = (f32, f32);

/// The projective map taking each `(from, to)` pair's first point to its second, as its
/// eight coefficients (the ninth is 1), by Gaussian elimination.
fn homography(pairs: &[(Point, Point); 4]) -> Option<[f32; 8]> {
    let mut rows: Vec<[f64; 9]> = Vec::with_capacity(8);
    for &((x, y), (u, v)) in pairs {
        let (x, y, u, v) = (f64::from(x), f64::from(y), f64::from(u), f64::from(v));
        rows.push([x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u]);
        rows.push([0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v]);
    }
    for column in 0..8 {
        let pivot = (column..8).max_by(|&a, &b| {
            let value = |r: usize| {
                rows.get(r)
                    .and_then(|row| row.get(column))
                    .map_or(0.0, |v| v.abs())
            };
            value(a).total_cmp(&value(b))
        })?;
        rows.swap(column, pivot);
        let lead = *rows.get(column)?.get(column)?;
        if lead.abs() < 1e-12 {
            return None;
        }
        let pivot_row = *rows.get(column)?;
        for (r, row) in rows.iter_mut().enumerate() {
            if r != column {
                let factor = row.get(column).copied().unwrap_or(0.0) / lead;
                for (cell, pivot_cell) in row.iter_mut().zip(pivot_row.iter()) {
                    *cell -= factor * pivot_cell;
                }
            }
        }
    }
    let mut solution = [0f32; 8];
    for (n, value) in solution.iter_mut().enumerate() {
        let row = rows.get(n)?;
        *value = (row.get(8)? / row.get(n)?) as f32;
    }
    Some(solution)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_homography_maps_each_corner_where_it_was_asked() {
        let pairs = [
            ((0.0, 0.0), (10.0, 5.0)),
            ((100.0, 0.0), (95.0, 8.0)),
            ((100.0, 100.0), (90.0, 97.0)),
            ((0.0, 100.0), (4.0, 92.0)),
        ];
        let h = homography(&pairs);
        assert!(h.is_some());
        let [a, b, c, d, e, f, g, hh] = h.unwrap_or_default();
        for ((x, y), (u, v)) in pairs {
            let z = g * x + hh * y + 1.0;
            assert!(((a * x + b * y + c) / z - u).abs() < 1e-2);
            assert!(((d * x + e * y + f) / z - v).abs() < 1e-2);
        }
    }
}
