//! Typed configuration from the environment. Every variable is listed in `docs/configuration.md`;
//! secrets are redacted from `Debug`, so a config can be logged safely.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use secrecy::ExposeSecret;

use crate::auth::throttle::Limits;
use crate::http::listener::Limits as ConnectionLimits;

/// A value that must never reach a log line: redacted in `Debug`, wiped from memory when dropped.
pub type Secret = secrecy::SecretString;

#[derive(Clone, Debug)]
pub struct Config {
    /// `MEDVAULT_LISTEN`: the address to serve on.
    pub listen: SocketAddr,
    /// `MEDVAULT_DATA_DIR`: where the SQLite file and the generated secret live.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: `postgres://…`, or a SQLite file path.
    pub database_url: String,
    /// `MEDVAULT_SECRET`: signs tokens and CSRF values; servers sharing a database share it.
    pub secret: Option<Secret>,
    /// `MEDVAULT_METRICS_TOKEN`: when set, `/metrics` answers only a scraper that sends it as a
    /// bearer token.
    pub metrics_token: Option<Secret>,
    /// `MEDVAULT_PREVIOUS_SECRETS`: earlier secrets, comma-separated, that still verify what they
    /// signed (for rotating `MEDVAULT_SECRET`).
    pub previous_secrets: Vec<Secret>,
    /// `ADMIN_EMAIL` and `ADMIN_PASSWORD`: the first admin, created if no admin exists.
    pub bootstrap_admin: Option<(String, Secret)>,
    /// `MEDVAULT_OPEN_REGISTRATION`: self-registered doctors are active at once.
    pub open_registration: bool,
    /// `MEDVAULT_TOKEN_TTL_SECS`: how long an API token lives.
    pub token_ttl: Duration,
    /// `MEDVAULT_SESSION_IDLE_SECS`: a web session ends after this long without a request.
    pub session_idle: Duration,
    /// `MEDVAULT_SESSION_MAX_SECS`: a web session ends this long after sign-in, whatever happens.
    pub session_max: Duration,
    /// `MEDVAULT_INTERN_MAX_SHIFT_SECS`: the longest an intern grant may run.
    pub intern_max_shift: Duration,
    /// `MEDVAULT_EMERGENCY_ACCESS_SECS`: how long a break-the-glass access lasts.
    pub emergency_access: Duration,
    /// `MEDVAULT_SECURE_COOKIES`: mark cookies `Secure` and send HSTS (set it when served over
    /// HTTPS by a proxy; on whenever MedVault serves HTTPS itself).
    pub secure_cookies: bool,
    /// `MEDVAULT_TLS_CERT` and `MEDVAULT_TLS_KEY`: PEM files of the certificate chain and its
    /// private key, to serve HTTPS; plain HTTP without them.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// `MEDVAULT_HASH_CONCURRENCY`: password hashes computed at once, at most.
    pub hash_concurrency: usize,
    /// The executable started as the password-hashing process (`medvault hash-worker`): the one
    /// running ([`this_executable`]), unless whoever builds the configuration names another (a
    /// test harness does).
    pub hash_program: PathBuf,
    /// `MEDVAULT_DB_MAX_CONNECTIONS`: the pool's size.
    pub db_max_connections: Option<u32>,
    /// `MEDVAULT_TRUSTED_PROXIES`: peers whose `X-Forwarded-For` names the real client.
    pub trusted_proxies: Vec<IpAddr>,
    /// `MEDVAULT_LOGIN_LIMIT_PER_ADDRESS`: wrong passwords from one address before it waits.
    pub login_limits: Limits,
    /// `MEDVAULT_LOG_FORMAT`: `json` (default) or `pretty`.
    pub log_format: LogFormat,
    /// `MEDVAULT_FILE_STORE`: where files' sealed bytes live: a folder (`file:///srv/medvault`,
    /// or a path) or an S3-compatible bucket (`s3://bucket`, with the `AWS_*` variables);
    /// `MEDVAULT_DATA_DIR/files` by default.
    pub file_store: Option<String>,
    /// `MEDVAULT_FILE_KEYS`: `id:base64` AES-256 keys, comma-separated; the first seals new
    /// files, every one listed opens the files that name it.
    pub file_keys: Option<Secret>,
    /// `MEDVAULT_MAX_UPLOAD_BYTES`: the largest file a chart takes (25 MB by default).
    pub max_upload_bytes: u64,
    /// `MEDVAULT_MAX_CONNECTIONS` (client connections open at once; more wait to be accepted)
    /// and `MEDVAULT_HEADER_TIMEOUT_SECS` (how long a client may take to send its headers).
    pub connections: ConnectionLimits,
    /// How this server reads lab reports (see [`LabReading`]).
    pub lab_reading: LabReading,
    /// `MEDVAULT_AI_URL`: the optional summary service (see `outside::assistant`), and
    /// `MEDVAULT_AI_TIMEOUT_MS`, how long a call to it may take (3000).
    pub assistant: Option<(String, std::time::Duration)>,
    /// `MEDVAULT_INSURANCE_URL`: the insurer's eligibility service (see `outside::insurer`),
    /// and `MEDVAULT_INSURANCE_TIMEOUT_MS`, how long a call to it may take (2000). Unset,
    /// bookings of insured patients stay pending verification.
    pub insurer: Option<(String, std::time::Duration)>,
    /// Where traces go (a build with the `otlp` feature): OpenTelemetry's own
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, as it is, or `OTEL_EXPORTER_OTLP_ENDPOINT` with
    /// `/v1/traces` added. Unset, there are no traces.
    pub traces_endpoint: Option<String>,
}

/// Reading lab reports: `MEDVAULT_LAB_WORKERS` reports at once on this server (1; 0 leaves
/// reading to other servers), `MEDVAULT_LAB_MAX_PAGES` pages a report at most (50),
/// `MEDVAULT_LAB_PAGE_SECS` for one page's OCR (60), and `MEDVAULT_LAB_LEASE_SECS`, how long a
/// server holds a report it reads before another may take it, renewed while it reads (120).
#[derive(Clone, Debug)]
pub struct LabReading {
    pub workers: usize,
    pub limits: medvault_ingest::Limits,
    pub lease: std::time::Duration,
}

/// The running executable. On Linux by its link in `/proc`, which reaches the file the server
/// was started from even after an upgrade has replaced or removed it, where its path would name
/// the new version's binary or nothing.
pub fn this_executable() -> anyhow::Result<PathBuf> {
    if cfg!(target_os = "linux") {
        return Ok(PathBuf::from("/proc/self/exe"));
    }
    std::env::current_exe().context("cannot find this executable, to start password hashing")
}

/// The collector's traces address, as OpenTelemetry's variables give it.
fn traces_endpoint(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<String>> {
    let endpoint = match (
        lookup("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        lookup("OTEL_EXPORTER_OTLP_ENDPOINT"),
    ) {
        (Some(traces), _) => traces,
        (None, Some(base)) => format!("{}/v1/traces", base.trim_end_matches('/')),
        (None, None) => return Ok(None),
    };
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        bail!("OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// address");
    }
    Ok(Some(endpoint))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl Config {
    /// Reads the configuration from the process environment, where any variable MedVault reads
    /// may instead name a file that holds its value (`MEDVAULT_SECRET_FILE`), as container
    /// secrets come.
    pub fn from_env() -> anyhow::Result<Self> {
        let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let unreadable = std::cell::RefCell::new(None);
        let config = Self::from_lookup(|name| {
            value_or_file(name, env).unwrap_or_else(|error| {
                unreadable.borrow_mut().get_or_insert(error);
                None
            })
        });
        match unreadable.into_inner() {
            Some(error) => Err(error),
            None => config,
        }
    }

    /// Reads the configuration through `lookup`, so tests need not touch the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let parse_secs = |name: &str, default: u64| -> anyhow::Result<Duration> {
            match lookup(name) {
                None => Ok(Duration::from_secs(default)),
                Some(raw) => {
                    let secs: u64 = raw
                        .parse()
                        .with_context(|| format!("{name} must be a number of seconds"))?;
                    // A year at most: longer is a mistake, and far longer would overflow dates.
                    if secs == 0 || secs > 366 * 24 * 3600 {
                        bail!("{name} must be from 1 second to a year");
                    }
                    Ok(Duration::from_secs(secs))
                }
            }
        };
        // A whole number of at least `min`, or `default` when unset.
        let whole = |name: &str, default: usize, min: usize| -> anyhow::Result<usize> {
            match lookup(name) {
                None => Ok(default),
                Some(raw) => raw
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= min && *n <= 10_000)
                    .with_context(|| format!("{name} must be a whole number from {min} to 10000")),
            }
        };
        // An outside service: `{prefix}_URL`, and `{prefix}_TIMEOUT_MS` for one call.
        let outside_service =
            |prefix: &str, default_ms: usize| -> anyhow::Result<Option<(String, Duration)>> {
                match lookup(&format!("{prefix}_URL")) {
                    None => Ok(None),
                    Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                        let ms = whole(&format!("{prefix}_TIMEOUT_MS"), default_ms, 1)?;
                        Ok(Some((url, Duration::from_millis(ms as u64))))
                    }
                    Some(_) => bail!("{prefix}_URL must be an http:// or https:// address"),
                }
            };
        let flag = |name: &str| -> anyhow::Result<bool> {
            match lookup(name).as_deref() {
                None | Some("false" | "0" | "no") => Ok(false),
                Some("true" | "1" | "yes") => Ok(true),
                Some(_) => bail!("{name} must be true or false"),
            }
        };
        let data_dir =
            PathBuf::from(lookup("MEDVAULT_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = lookup("DATABASE_URL")
            .unwrap_or_else(|| data_dir.join("medvault.db").to_string_lossy().into_owned());
        let secret = lookup("MEDVAULT_SECRET").map(Secret::from);
        if secret
            .as_ref()
            .is_some_and(|secret| secret.expose_secret().len() < 32)
        {
            bail!("MEDVAULT_SECRET must be at least 32 characters");
        }
        let previous_secrets: Vec<Secret> = lookup("MEDVAULT_PREVIOUS_SECRETS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| Secret::from(part.to_owned()))
            .collect();
        if previous_secrets
            .iter()
            .any(|secret| secret.expose_secret().len() < 32)
        {
            bail!("each of MEDVAULT_PREVIOUS_SECRETS must be at least 32 characters");
        }
        let bootstrap_admin = match (lookup("ADMIN_EMAIL"), lookup("ADMIN_PASSWORD")) {
            (Some(email), Some(password)) => Some((email, Secret::from(password))),
            (None, None) => None,
            _ => bail!("ADMIN_EMAIL and ADMIN_PASSWORD must be set together"),
        };
        let log_format = match lookup("MEDVAULT_LOG_FORMAT").as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(_) => bail!("MEDVAULT_LOG_FORMAT must be json or pretty"),
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let per_address = match lookup("MEDVAULT_LOGIN_LIMIT_PER_ADDRESS") {
            None => 20,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|limit| *limit >= 1)
                .context("MEDVAULT_LOGIN_LIMIT_PER_ADDRESS must be a whole number from 1")?,
        };
        let tls = match (lookup("MEDVAULT_TLS_CERT"), lookup("MEDVAULT_TLS_KEY")) {
            (Some(cert), Some(key)) => Some((PathBuf::from(cert), PathBuf::from(key))),
            (None, None) => None,
            _ => bail!("MEDVAULT_TLS_CERT and MEDVAULT_TLS_KEY go together: set both, or neither"),
        };
        Ok(Config {
            listen: lookup("MEDVAULT_LISTEN")
                .unwrap_or_else(|| "127.0.0.1:8080".into())
                .parse()
                .context("MEDVAULT_LISTEN must be an address such as 127.0.0.1:8080")?,
            data_dir,
            database_url,
            secret,
            metrics_token: lookup("MEDVAULT_METRICS_TOKEN").map(Secret::from),
            previous_secrets,
            bootstrap_admin,
            open_registration: flag("MEDVAULT_OPEN_REGISTRATION")?,
            token_ttl: parse_secs("MEDVAULT_TOKEN_TTL_SECS", 3600)?,
            session_idle: parse_secs("MEDVAULT_SESSION_IDLE_SECS", 30 * 60)?,
            session_max: parse_secs("MEDVAULT_SESSION_MAX_SECS", 12 * 3600)?,
            intern_max_shift: parse_secs("MEDVAULT_INTERN_MAX_SHIFT_SECS", 12 * 3600)?,
            emergency_access: parse_secs("MEDVAULT_EMERGENCY_ACCESS_SECS", 3600)?,
            secure_cookies: flag("MEDVAULT_SECURE_COOKIES")? || tls.is_some(),
            tls,
            hash_concurrency: match lookup("MEDVAULT_HASH_CONCURRENCY") {
                Some(raw) => raw
                    .parse()
                    .context("MEDVAULT_HASH_CONCURRENCY must be a number")?,
                // Half the cores: Argon2id is bound by memory more than by the processor, so a
                // second hash at once on two cores gave a fifth more sign-ins for three fifths
                // more processor time, and took the caches reads need (docs/performance.md).
                None => cores / 2,
            }
            .max(1),
            hash_program: this_executable()?,
            db_max_connections: lookup("MEDVAULT_DB_MAX_CONNECTIONS")
                .map(|raw| {
                    raw.parse()
                        .context("MEDVAULT_DB_MAX_CONNECTIONS must be a number")
                })
                .transpose()?,
            trusted_proxies: lookup("MEDVAULT_TRUSTED_PROXIES")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(|part| {
                    part.parse().with_context(|| {
                        format!("MEDVAULT_TRUSTED_PROXIES: {part} is not an IP address")
                    })
                })
                .collect::<anyhow::Result<_>>()?,
            file_store: lookup("MEDVAULT_FILE_STORE"),
            file_keys: lookup("MEDVAULT_FILE_KEYS").map(Secret::from),
            max_upload_bytes: match lookup("MEDVAULT_MAX_UPLOAD_BYTES") {
                None => 25 * 1024 * 1024,
                Some(raw) => raw
                    .parse::<u64>()
                    .ok()
                    .filter(|max| (1..=1 << 30).contains(max))
                    .context(
                        "MEDVAULT_MAX_UPLOAD_BYTES must be a number of bytes from 1 to 1 GiB",
                    )?,
            },
            login_limits: Limits { per_address },
            log_format,
            connections: ConnectionLimits {
                max_connections: match lookup("MEDVAULT_MAX_CONNECTIONS") {
                    None => 4096,
                    Some(raw) => raw
                        .parse::<usize>()
                        .ok()
                        .filter(|max| *max >= 1)
                        .context("MEDVAULT_MAX_CONNECTIONS must be a whole number from 1")?,
                },
                header_timeout: parse_secs("MEDVAULT_HEADER_TIMEOUT_SECS", 10)?,
            },
            lab_reading: LabReading {
                workers: whole("MEDVAULT_LAB_WORKERS", 1, 0)?,
                limits: medvault_ingest::Limits {
                    max_pages: u32::try_from(whole("MEDVAULT_LAB_MAX_PAGES", 50, 1)?)
                        .context("MEDVAULT_LAB_MAX_PAGES is too large")?,
                    page_time: parse_secs("MEDVAULT_LAB_PAGE_SECS", 60)?,
                    ..medvault_ingest::Limits::default()
                },
                lease: parse_secs("MEDVAULT_LAB_LEASE_SECS", 120)?,
            },
            assistant: outside_service("MEDVAULT_AI", 3000)?,
            insurer: outside_service("MEDVAULT_INSURANCE", 2000)?,
            traces_endpoint: traces_endpoint(&lookup)?,
        })
    }
}

/// The value of `name` as `get` finds it, or else read from the file `NAME_FILE` names (its last
/// line break trimmed): a secret need not stand in the environment, where any process of the
/// same user may read it.
fn value_or_file(
    name: &str,
    get: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<String>> {
    let file = format!("{name}_FILE");
    match (get(name), get(&file)) {
        (Some(_), Some(_)) => bail!("{name} and {file} are both set; keep one"),
        (Some(value), None) => Ok(Some(value)),
        (None, None) => Ok(None),
        (None, Some(path)) => {
            let value = std::fs::read_to_string(&path)
                .with_context(|| format!("{file}: cannot read {path}"))?;
            let value = value.strip_suffix('\n').unwrap_or(&value);
            let value = value.strip_suffix('\r').unwrap_or(value);
            Ok(Some(value.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn a_variable_may_be_read_from_the_file_its_file_variable_names() {
        let folder = tempfile::tempdir().expect("a folder");
        let path = folder.path().join("secret");
        std::fs::write(&path, "a secret of more than thirty-two bytes\n").expect("written");
        let named = path.display().to_string();
        let vars = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let read = |vars: HashMap<String, String>, name: &str| {
            value_or_file(name, |n| vars.get(n).cloned())
        };
        let from_file = vars(&[("MEDVAULT_SECRET_FILE", &named)]);
        assert_eq!(
            read(from_file, "MEDVAULT_SECRET").expect("read").as_deref(),
            Some("a secret of more than thirty-two bytes")
        );
        let both = vars(&[("MEDVAULT_SECRET_FILE", &named), ("MEDVAULT_SECRET", "x")]);
        assert!(read(both, "MEDVAULT_SECRET").is_err(), "two values");
        let missing = vars(&[("ADMIN_PASSWORD_FILE", "/no/such")]);
        let error = read(missing, "ADMIN_PASSWORD").expect_err("unreadable");
        assert!(
            error
                .to_string()
                .contains("ADMIN_PASSWORD_FILE: cannot read /no/such")
        );
        // Only what MedVault asks for is looked up: another program's `_FILE` is not read.
        let other = vars(&[("TF_CLI_CONFIG_FILE", "/no/such")]);
        assert_eq!(read(other, "MEDVAULT_SECRET").expect("unset"), None);
    }

    #[test]
    fn defaults_give_an_embedded_database_under_the_data_dir() {
        let config = config(&[]).expect("defaults are valid");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(config.database_url.ends_with("medvault.db"));
        assert_eq!(config.session_idle, Duration::from_secs(1800));
        assert!(!config.open_registration);
    }

    #[test]
    fn password_hashing_takes_half_the_cores_unless_told() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let default = config(&[]).expect("defaults are valid").hash_concurrency;
        assert_eq!(default, (cores / 2).max(1));
        let told = config(&[("MEDVAULT_HASH_CONCURRENCY", "3")]).expect("valid");
        assert_eq!(told.hash_concurrency, 3);
        let none = config(&[("MEDVAULT_HASH_CONCURRENCY", "0")]).expect("valid");
        assert_eq!(none.hash_concurrency, 1, "at least one");
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let config = config(&[
            ("MEDVAULT_SECRET", "0123456789abcdef0123456789abcdef-top"),
            ("ADMIN_EMAIL", "root@example.org"),
            ("ADMIN_PASSWORD", "correct horse battery"),
        ])
        .expect("valid");
        let shown = format!("{config:?}");
        assert!(!shown.contains("battery"));
        assert!(!shown.contains("abcdef-top"));
    }

    #[test]
    fn bad_values_are_named() {
        let error = config(&[("MEDVAULT_LISTEN", "nowhere")]).expect_err("invalid");
        assert!(error.to_string().contains("MEDVAULT_LISTEN"));
        assert!(config(&[("MEDVAULT_SECRET", "short")]).is_err());
        assert!(config(&[("ADMIN_EMAIL", "a@example.org")]).is_err());
        assert!(config(&[("MEDVAULT_TOKEN_TTL_SECS", "0")]).is_err());
        assert!(config(&[("MEDVAULT_SESSION_MAX_SECS", "99999999999999")]).is_err());
        assert!(config(&[("MEDVAULT_LOGIN_LIMIT_PER_ADDRESS", "0")]).is_err());
        let limits = config(&[("MEDVAULT_LOGIN_LIMIT_PER_ADDRESS", "200")])
            .expect("valid")
            .login_limits;
        assert_eq!(limits.per_address, 200);
        assert!(config(&[("MEDVAULT_TRUSTED_PROXIES", "10.0.0.1, proxy")]).is_err());
        let proxies = config(&[("MEDVAULT_TRUSTED_PROXIES", "10.0.0.1, ::1")])
            .expect("valid")
            .trusted_proxies;
        assert_eq!(proxies.len(), 2);
    }
}
