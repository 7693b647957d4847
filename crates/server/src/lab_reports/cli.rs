//! `medvault labs parse FILE`: the report reader on its own, for lab staff and scripts, with no
//! server and no database. It prints the rows it finds as JSON, each field with its
//! confidence; a file it cannot read gives a JSON error and exit status 2.

use std::path::Path;

use medvault_ingest::{DraftRow, Limits, ReadError, TextSource};
use serde::Serialize;

/// What `labs parse` prints.
#[derive(Serialize)]
struct Parsed {
    pages: Vec<PageSummary>,
    rows: Vec<DraftRow>,
}

#[derive(Serialize)]
struct PageSummary {
    number: u32,
    source: TextSource,
    words: usize,
}

#[derive(Serialize)]
struct Failed {
    error: ErrorBody,
}

#[derive(Serialize)]
struct ErrorBody {
    #[serde(flatten)]
    code: ReadError,
    message: String,
}

/// Reads the report at `path` and prints its rows; `Ok(false)` when it could not be read (the
/// error is printed).
pub fn parse(path: &Path, limits: &Limits) -> anyhow::Result<bool> {
    let bytes = std::fs::read(path)
        .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()))?;
    let read = medvault_ingest::read(&bytes, limits);
    let (json, ok) = match read {
        Ok(pages) => {
            let parsed = Parsed {
                pages: pages
                    .iter()
                    .map(|page| PageSummary {
                        number: page.number,
                        source: page.source,
                        words: page.words.len(),
                    })
                    .collect(),
                rows: medvault_ingest::rows(&pages),
            };
            (serde_json::to_string_pretty(&parsed)?, true)
        }
        Err(error) => {
            let failed = Failed {
                error: ErrorBody {
                    message: error.to_string(),
                    code: error,
                },
            };
            (serde_json::to_string_pretty(&failed)?, false)
        }
    };
    println!("{json}");
    Ok(ok)
}
