//! `labgen generate DIR` makes synthetic lab reports with their ground truth; `labgen score DIR`
//! reads each with MedVault's reader and prints row- and field-level precision and recall for
//! each kind of file (see docs/labs.md).
//!
//! Kinds: `text` (a PDF with a text layer), `scan` (the same pages as a 300 dpi scanned PDF),
//! and images of single-page reports degraded as scanners and phones do: `rotated`,
//! `blurred`, `noisy`, `jpeg` (heavy compression), `lowres` (150 dpi) and `photo` (perspective,
//! slant, blur and compression together). Needs poppler's `pdftoppm`; scoring needs Tesseract.

mod degrade;
mod pdf;
mod report;
mod score;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use image::GrayImage;
use image::codecs::jpeg::JpegEncoder;

use report::{Layout, Rng};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    match args.first().map(String::as_str) {
        Some("generate") => {
            let dir = PathBuf::from(args.get(1).context("labgen generate DIR")?);
            let count: usize = option("--count").unwrap_or("5").parse()?;
            let seed: u64 = option("--seed").unwrap_or("1").parse()?;
            generate(&dir, count, seed)
        }
        Some("score") => {
            let dir = PathBuf::from(args.get(1).context("labgen score DIR")?);
            let threads: usize = option("--threads").unwrap_or("2").parse()?;
            score::score(&dir, threads, args.iter().any(|a| a == "--json"))
        }
        _ => bail!(
            "usage: labgen generate DIR [--count N] [--seed S] | labgen score DIR [--threads N] [--json]"
        ),
    }
}

fn generate(dir: &Path, count: usize, seed: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng::new(seed);
    for layout in Layout::ALL {
        for n in 0..count {
            let stem = dir.join(format!("{}-{n:02}", format!("{layout:?}").to_lowercase()));
            let report = report::report(&mut rng, layout);
            let text = pdf::text_pdf(&report.pages);
            std::fs::write(stem.with_extension("text.pdf"), &text)?;
            std::fs::write(
                stem.with_extension("truth.json"),
                serde_json::to_vec_pretty(&report.truth)?,
            )?;
            let scans = scan(&stem.with_extension("text.pdf"), report.pages.len())?;
            let jpegs = scans
                .iter()
                .map(|page| Ok((page.width(), page.height(), jpeg(page, 90)?)))
                .collect::<anyhow::Result<Vec<_>>>()?;
            std::fs::write(stem.with_extension("scan.pdf"), pdf::image_pdf(&jpegs))?;
            if let [page] = scans.as_slice() {
                degraded(&stem, page, &mut rng)?;
            }
        }
    }
    println!(
        "Wrote {} reports to {}.",
        count * Layout::ALL.len(),
        dir.display()
    );
    Ok(())
}

/// Each page of the PDF as a 300 dpi grey image, as a scanner gives it.
fn scan(pdf: &Path, pages: usize) -> anyhow::Result<Vec<GrayImage>> {
    let out = pdf.with_extension("page");
    let status = Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-png"])
        .arg(pdf)
        .arg(&out)
        .status()
        .context("pdftoppm (Debian: poppler-utils) is needed")?;
    if !status.success() {
        bail!("pdftoppm failed on {}", pdf.display());
    }
    let mut images = Vec::new();
    for n in 1..=pages {
        // pdftoppm numbers pages with as many digits as the count needs.
        let path = PathBuf::from(format!("{}-{n}.png", out.display()));
        images.push(image::open(&path)?.to_luma8());
        std::fs::remove_file(path)?;
    }
    Ok(images)
}

fn degraded(stem: &Path, page: &GrayImage, rng: &mut Rng) -> anyhow::Result<()> {
    let sign = if rng.unit() < 0.5 { -1.0 } else { 1.0 };
    let degrees = sign * (1.5 + rng.unit() as f32 * 2.5);
    degrade::rotate(page, degrees).save(stem.with_extension("rotated.png"))?;
    degrade::blur(page, 1.3).save(stem.with_extension("blurred.png"))?;
    degrade::noise(page, rng, 30.0).save(stem.with_extension("noisy.png"))?;
    std::fs::write(stem.with_extension("jpeg.jpg"), jpeg(page, 20)?)?;
    degrade::downscale(page, 0.5).save(stem.with_extension("lowres.png"))?;
    let photo = degrade::perspective(page, rng, 0.04);
    let photo = degrade::rotate(&photo, -degrees / 2.0);
    let photo = degrade::blur(&photo, 0.8);
    std::fs::write(stem.with_extension("photo.jpg"), jpeg(&photo, 60)?)?;
    Ok(())
}

fn jpeg(page: &GrayImage, quality: u8) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality).encode_image(page)?;
    Ok(out)
}
