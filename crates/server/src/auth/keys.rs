//! Keys derived from `MEDVAULT_SECRET`: one for API tokens, one for CSRF values, each bound to
//! its purpose so that a value made for one cannot pass as the other.

use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use medvault_store::Backend;
use sha2::Sha256;

use crate::config::{Config, Secret};

type HmacSha256 = Hmac<Sha256>;

pub struct Keys {
    pub token: [u8; 32],
    pub csrf: [u8; 32],
}

impl Keys {
    pub fn derive(secret: &Secret) -> Self {
        Keys {
            token: derive(secret, "medvault/token/v1"),
            csrf: derive(secret, "medvault/csrf/v1"),
        }
    }
}

fn derive(secret: &Secret, purpose: &str) -> [u8; 32] {
    hmac_sha256(secret.expose().as_bytes(), purpose.as_bytes())
}

fn mac_of(key: &[u8], message: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac
}

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    mac_of(key, message).finalize().into_bytes().into()
}

/// Whether `tag` is the HMAC of `message` under `key`, compared in constant time by the `hmac`
/// crate: a timing difference must not reveal how much of a forged tag was right.
pub fn verify_hmac(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    mac_of(key, message).verify_slice(tag).is_ok()
}

/// `n` random bytes from the operating system, as URL-safe base64.
pub fn random_token(n: usize) -> anyhow::Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The secret from the configuration or, for a single server on embedded SQLite, one made on
/// first start and kept (readable by its owner only) in the data folder.
pub fn load_secret(config: &Config) -> anyhow::Result<Secret> {
    if let Some(secret) = &config.secret {
        return Ok(secret.clone());
    }
    if Backend::of_url(&config.database_url) == Backend::Postgres {
        bail!(
            "MEDVAULT_SECRET must be set when DATABASE_URL is PostgreSQL: every server sharing the database needs the same one"
        );
    }
    let path = config.data_dir.join("secret.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(Secret::new(existing.trim()));
    }
    std::fs::create_dir_all(&config.data_dir).context("cannot create the data folder")?;
    let secret = random_token(48)?;
    write_private(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Secret::new(secret))
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(content.as_bytes())
}
