//! Where files' bytes live and how they are sealed: an object store (a local folder by default,
//! S3-compatible by configuration) holding each file encrypted with AES-256-GCM under a key from
//! the configuration, with the file's id as associated data, so that bytes moved from one file's
//! object to another's do not open. The key's id is stored beside each file, so keys can be
//! rotated: new files take the first key listed, older ones open with the key they name.

use std::path::Path;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use medvault_domain::{FileId, PatientId};
use medvault_store::Backend;
use medvault_store::repo::files::StoredFile;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::config::{Config, Secret};

/// One file key and the id files name it by.
struct FileKey {
    id: String,
    cipher: Aes256Gcm,
}

/// The store and the keys.
pub struct FileVault {
    store: Arc<dyn ObjectStore>,
    /// The first seals; all open.
    keys: Vec<FileKey>,
}

/// Where a sealed file went, and what opens it.
pub struct Sealed {
    pub key_id: String,
    pub nonce: String,
    pub object_path: String,
}

/// Why a stored file could not be given back.
#[derive(Debug)]
pub enum OpenFailure {
    /// Its bytes are not what was stored: changed, damaged, or sealed under another key.
    Integrity,
    /// The store did not answer, or holds nothing there.
    Unavailable(String),
}

/// Reads `MEDVAULT_FILE_KEYS`: `id:key` pairs, comma-separated, each key 32 bytes in base64.
fn parse_keys(raw: &Secret) -> anyhow::Result<Vec<FileKey>> {
    let mut keys: Vec<FileKey> = Vec::new();
    for part in raw
        .expose_secret()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (id, encoded) = part
            .split_once(':')
            .context("MEDVAULT_FILE_KEYS: each key is id:base64")?;
        let valid_id = !id.is_empty()
            && id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid_id {
            bail!("MEDVAULT_FILE_KEYS: a key id is 1 to 32 letters, digits, - or _");
        }
        let bytes = STANDARD
            .decode(encoded)
            .or_else(|_| URL_SAFE_NO_PAD.decode(encoded))
            .ok()
            .filter(|bytes| bytes.len() == 32)
            .with_context(|| format!("MEDVAULT_FILE_KEYS: key {id} must be 32 bytes in base64"))?;
        if keys.iter().any(|key| key.id == id) {
            bail!("MEDVAULT_FILE_KEYS: key id {id} is listed twice");
        }
        let cipher = Aes256Gcm::new_from_slice(&bytes)
            .map_err(|_| anyhow::anyhow!("MEDVAULT_FILE_KEYS: key {id} is not an AES-256 key"))?;
        keys.push(FileKey {
            id: id.to_owned(),
            cipher,
        });
    }
    if keys.is_empty() {
        bail!("MEDVAULT_FILE_KEYS names no key");
    }
    Ok(keys)
}

/// The configured keys or, for a single server on embedded SQLite, one made on first start and
/// kept (readable by its owner only) in the data folder.
fn load_keys(config: &Config) -> anyhow::Result<Vec<FileKey>> {
    if let Some(keys) = &config.file_keys {
        return parse_keys(keys);
    }
    if Backend::of_url(&config.database_url) == Backend::Postgres {
        bail!(
            "MEDVAULT_FILE_KEYS must be set when DATABASE_URL is PostgreSQL: every server sharing the database opens the same files"
        );
    }
    let path = config.data_dir.join("file-keys");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return parse_keys(&Secret::from(existing.trim().to_owned()));
    }
    std::fs::create_dir_all(&config.data_dir).context("cannot create the data folder")?;
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let line = format!("k1:{}", STANDARD.encode(key));
    crate::auth::keys::write_private(&path, &line)
        .with_context(|| format!("cannot write {}", path.display()))?;
    parse_keys(&Secret::from(line))
}

fn open_store(config: &Config) -> anyhow::Result<Arc<dyn ObjectStore>> {
    match &config.file_store {
        Some(url) if url.starts_with("s3://") => Ok(Arc::new(
            AmazonS3Builder::from_env()
                .with_url(url)
                .build()
                .context("MEDVAULT_FILE_STORE: cannot reach the S3 bucket")?,
        )),
        Some(url) => local(Path::new(url.strip_prefix("file://").unwrap_or(url))),
        None => local(&config.data_dir.join("files")),
    }
}

fn local(folder: &Path) -> anyhow::Result<Arc<dyn ObjectStore>> {
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create the file folder {}", folder.display()))?;
    Ok(Arc::new(
        LocalFileSystem::new_with_prefix(folder)
            .with_context(|| format!("cannot use the file folder {}", folder.display()))?,
    ))
}

impl FileVault {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        Ok(FileVault {
            store: open_store(config)?,
            keys: load_keys(config)?,
        })
    }

    /// The id of the key that seals new files.
    pub fn current_key_id(&self) -> &str {
        self.keys.first().map_or("", |key| key.id.as_str())
    }

    /// Seals `content` as file `id` of `patient` under the current key and stores it.
    pub async fn put(
        &self,
        patient: PatientId,
        id: FileId,
        content: Vec<u8>,
    ) -> Result<Sealed, anyhow::Error> {
        let key = self.keys.first().context("no file key")?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let aad = id.to_string();
        let sealed = key
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &content,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("cannot seal a file"))?;
        // Named by its key too: a file re-sealed under a new key goes to a new object, so that
        // its row switches to it in one step and a re-seal stopped half-way loses nothing.
        let object_path = format!("{patient}/{id}.{}", key.id);
        self.store
            .put(&ObjectPath::from(object_path.as_str()), sealed.into())
            .await
            .context("cannot store a file")?;
        Ok(Sealed {
            key_id: key.id.clone(),
            nonce: hex::encode(nonce),
            object_path,
        })
    }

    /// The plaintext of a stored file, opened with the key it names and checked against its
    /// SHA-256: bytes that do not open or do not match are an integrity failure, never returned.
    pub async fn open(&self, file: &StoredFile) -> Result<Vec<u8>, OpenFailure> {
        let key = self
            .keys
            .iter()
            .find(|key| key.id == file.key_id)
            .ok_or_else(|| OpenFailure::Unavailable(format!("no file key {}", file.key_id)))?;
        let nonce: [u8; 12] = hex::decode(&file.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or(OpenFailure::Integrity)?;
        let stored = self
            .store
            .get(&ObjectPath::from(file.object_path.as_str()))
            .await
            .map_err(|e| OpenFailure::Unavailable(e.to_string()))?
            .bytes()
            .await
            .map_err(|e| OpenFailure::Unavailable(e.to_string()))?;
        let aad = file.id.to_string();
        let plaintext = key
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &stored,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| OpenFailure::Integrity)?;
        if hex::encode(Sha256::digest(&plaintext)) != file.sha256 {
            return Err(OpenFailure::Integrity);
        }
        Ok(plaintext)
    }

    /// Where every stored object is, for a backup: sealed bytes are copied as they are, so a
    /// backup holds nothing in the clear and restores only with the same keys.
    pub async fn locations(&self) -> Result<Vec<String>, anyhow::Error> {
        let mut found = Vec::new();
        let mut folders = vec![None];
        while let Some(folder) = folders.pop() {
            let listed = self
                .store
                .list_with_delimiter(folder.as_ref())
                .await
                .context("cannot list the stored files")?;
            found.extend(listed.objects.into_iter().map(|o| o.location.to_string()));
            folders.extend(listed.common_prefixes.into_iter().map(Some));
        }
        found.sort();
        Ok(found)
    }

    /// An object's sealed bytes, as stored.
    pub async fn sealed(&self, location: &str) -> Result<Vec<u8>, anyhow::Error> {
        let got = self.store.get(&ObjectPath::from(location)).await;
        let bytes = got.context("cannot read a stored file")?.bytes().await;
        Ok(bytes.context("cannot read a stored file")?.to_vec())
    }

    /// Stores sealed bytes at `location`, as a backup held them.
    pub async fn put_sealed(&self, location: &str, bytes: Vec<u8>) -> Result<(), anyhow::Error> {
        self.store
            .put(&ObjectPath::from(location), bytes.into())
            .await
            .context("cannot store a file")?;
        Ok(())
    }

    /// Removes a stored object: one whose row was never written, or a purged file's.
    pub async fn remove(&self, object_path: &str) -> Result<(), anyhow::Error> {
        self.store
            .delete(&ObjectPath::from(object_path))
            .await
            .context("cannot remove a stored file")
    }
}
