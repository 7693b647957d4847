//! Keys derived from `MEDVAULT_SECRET` with HKDF-SHA256: one for API tokens, one for CSRF
//! values, each bound to its purpose so that a value made for one cannot pass as the other.
//!
//! Each key has an id, derived from the secret too, which tokens carry. Secrets listed in
//! `MEDVAULT_PREVIOUS_SECRETS` still verify what was signed under them, so `MEDVAULT_SECRET` can
//! be rotated without signing anyone out: set the new one, move the old one to the previous
//! list, and drop it once the longest-lived token it signed has expired.

use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use medvault_store::Backend;
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::config::{Config, Secret};

type HmacSha256 = Hmac<Sha256>;

/// One derived key and the id that names it.
#[derive(Clone)]
pub struct Key {
    pub id: String,
    pub bytes: [u8; 32],
}

/// The key for one purpose: the current secret's, which signs, and the previous secrets', which
/// only verify.
#[derive(Clone)]
pub struct KeyRing {
    pub current: Key,
    pub previous: Vec<Key>,
}

impl KeyRing {
    /// Every key, the current one first.
    pub fn all(&self) -> impl Iterator<Item = &Key> {
        std::iter::once(&self.current).chain(&self.previous)
    }
}

pub struct Keys {
    pub token: KeyRing,
    pub csrf: KeyRing,
}

impl Keys {
    pub fn derive(current: &Secret, previous: &[Secret]) -> anyhow::Result<Self> {
        let ring = |purpose: &str| -> anyhow::Result<KeyRing> {
            Ok(KeyRing {
                current: derive(current, purpose)?,
                previous: previous
                    .iter()
                    .map(|secret| derive(secret, purpose))
                    .collect::<anyhow::Result<_>>()?,
            })
        };
        Ok(Keys {
            token: ring("medvault/token/v2")?,
            csrf: ring("medvault/csrf/v2")?,
        })
    }
}

fn derive(secret: &Secret, purpose: &str) -> anyhow::Result<Key> {
    let hkdf = Hkdf::<Sha256>::new(None, secret.expose_secret().as_bytes());
    let mut bytes = [0u8; 32];
    hkdf.expand(purpose.as_bytes(), &mut bytes)
        .map_err(|_| anyhow::anyhow!("cannot derive the {purpose} key"))?;
    let mut id = [0u8; 6];
    hkdf.expand(format!("{purpose}/id").as_bytes(), &mut id)
        .map_err(|_| anyhow::anyhow!("cannot derive the {purpose} key id"))?;
    Ok(Key {
        id: URL_SAFE_NO_PAD.encode(id),
        bytes,
    })
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
        return Ok(Secret::from(existing.trim().to_owned()));
    }
    std::fs::create_dir_all(&config.data_dir).context("cannot create the data folder")?;
    let secret = random_token(48)?;
    write_private(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Secret::from(secret))
}

pub fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(content.as_bytes())
}
