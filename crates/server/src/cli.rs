//! The `medvault` command line.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use medvault_domain::{Role, UserStatus};
use medvault_store::repo::users;
use medvault_store::{ChainCheck, StoreOptions};

use crate::app::system_clock;
use crate::audit::RequestMeta;
use crate::auth::service::create_user;
use crate::config::Config;
use crate::server::{anyhow_of, bootstrap_admin, build_state, serve, shutdown_signal};

#[derive(Parser)]
#[command(
    name = "medvault",
    version,
    about = "MedVault: medical records with strict access control"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load data.
    Seed {
        /// Demo users, patients and records, with their sign-in details printed.
        #[arg(long, required_unless_present = "scale", conflicts_with = "scale")]
        demo: bool,
        /// A hospital's worth of made-up data, for load tests (see bench/).
        #[arg(long)]
        scale: bool,
        /// With --scale: doctors to make.
        #[arg(long, default_value_t = 200, requires = "scale")]
        doctors: usize,
        /// With --scale: patients to make, each with a sign-in and two doctors.
        #[arg(long, default_value_t = 10_000, requires = "scale")]
        patients: usize,
        /// With --scale: records, dealt round the charts.
        #[arg(long, default_value_t = 1_000_000, requires = "scale")]
        records: usize,
        /// With --scale: lab results, dealt round the charts a test at a time.
        #[arg(long, default_value_t = 1_000_000, requires = "scale")]
        lab_results: usize,
        /// With --scale: audit entries.
        #[arg(long, default_value_t = 5_000_000, requires = "scale")]
        audit_entries: usize,
    },
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Work with the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Work with the files kept with charts.
    Files {
        #[command(subcommand)]
        command: FilesCommand,
    },
    /// Import an institution's patients or staff from a CSV file, all or nothing: every row
    /// is checked first and any fault (named by line and column) imports nothing. Exits 2 when
    /// the file is refused.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Back up the database and the stored files into DEST (a new or empty folder), with a
    /// manifest of SHA-256 sums, while servers keep serving.
    Backup { dest: std::path::PathBuf },
    /// Restore a backup into an empty database (and its files into the file store). Refuses a
    /// backup whose sums or audit trail do not verify, or a database that holds anyone.
    Restore { src: std::path::PathBuf },
    /// Copy a whole MedVault database, the audit trail and its chains included, into another
    /// (empty) one: from embedded SQLite to PostgreSQL or Citus, or back. Stored files stay in
    /// MEDVAULT_FILE_STORE.
    Transfer {
        /// The database to read: a SQLite file or a postgres:// URL.
        #[arg(long)]
        from: String,
        /// The database to fill, migrated first if need be, and empty.
        #[arg(long)]
        to: String,
    },
    /// Read lab reports, with no server or database.
    Labs {
        #[command(subcommand)]
        command: LabsCommand,
    },
    /// The password-hashing process a server starts for itself (`auth/hash_worker.rs`).
    #[command(name = "hash-worker", hide = true)]
    HashWorker {
        #[arg(long, default_value_t = 1)]
        threads: usize,
    },
}

#[derive(Subcommand)]
enum LabsCommand {
    /// Read a lab report (a PDF, PNG, JPEG or TIFF; scans through Tesseract) and print the
    /// result rows found in it as JSON, each field with its confidence. Exits 2 when the file
    /// cannot be read, with the reason as JSON.
    Parse {
        file: std::path::PathBuf,
        /// Pages read at most.
        #[arg(long, default_value_t = 50)]
        max_pages: u32,
        /// Seconds allowed for one page's OCR.
        #[arg(long, default_value_t = 60)]
        page_seconds: u64,
        /// Pages recognised at once.
        #[arg(long, default_value_t = 1)]
        threads: usize,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Charts to open and register (columns: mrn, name, birth_date, sex, phone, email,
    /// address_line, city, region, postal_code, country, preferred_language; name, and an mrn or
    /// an email, on every row).
    Patients {
        #[command(flatten)]
        file: ImportArgs,
    },
    /// People to give a place on the staff (columns: email, role, and for a new account name and
    /// account_role).
    Staff {
        #[command(flatten)]
        file: ImportArgs,
    },
}

#[derive(clap::Args)]
struct ImportArgs {
    file: std::path::PathBuf,
    /// The institution's id.
    #[arg(long)]
    institution: String,
    /// The email of the account the import acts as: an administrator, or the institution's.
    #[arg(long)]
    by: String,
    /// Check every row and say what would happen, changing nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Subcommand)]
enum FilesCommand {
    /// Re-seal every file sealed under an older key with the first key of MEDVAULT_FILE_KEYS,
    /// so the older keys can be dropped. Safe to stop and run again.
    Reseal,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain; name the first entry that was altered, inserted or removed. Exits
    /// non-zero if the chain is broken.
    Verify,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin. The password is read from standard input (one line), never from the
    /// command line, where other users of the machine could see it.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::HashWorker { threads }) = cli.command {
        return match crate::auth::hash_worker::run(threads) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("medvault hash-worker: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    // Reading a report needs no configuration, database or runtime.
    if let Some(Command::Labs {
        command:
            LabsCommand::Parse {
                file,
                max_pages,
                page_seconds,
                threads,
            },
    }) = &cli.command
    {
        let limits = medvault_ingest::Limits {
            max_pages: *max_pages,
            page_time: std::time::Duration::from_secs(*page_seconds),
            threads: *threads,
            ..medvault_ingest::Limits::default()
        };
        return match crate::lab_reports::cli::parse(file, &limits) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(2),
            Err(error) => {
                eprintln!("medvault: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    let result = Config::from_env().and_then(|config| {
        // Kept until the command ends, so the last spans are sent.
        let _telemetry = crate::telemetry::init(&config)?;
        // The blocking pool runs database work (and the file store's reads and writes), which
        // goes no faster than the connections the pool holds; long work that is not the
        // database's runs on threads of its own (`heavy.rs`). With a thread for every
        // connection and no more, a thread that hands its connection back takes the next task
        // waiting, connection and all. With twice as many, those beyond the connections waited
        // in the pool, each connection handed back woke one of them while the others spun on
        // the pool's lock, and each kept buffers of its own: a chart page's p99 was a seventh
        // higher (docs/performance.md). While the database refuses connections, the store says
        // so at once (`Store::connection`), so that the few threads do not hold up the answers.
        let connections = config
            .db_max_connections
            .unwrap_or(StoreOptions::default().max_connections);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .max_blocking_threads(connections as usize)
            .enable_all()
            .build()?;
        runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // Its reasons are printed already.
        Err(error) if error.is::<Refused>() => ExitCode::from(2),
        Err(error) => {
            eprintln!("medvault: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// An input refused for reasons printed already: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct Refused;

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => run_server(config).await,
        Command::Migrate => {
            build_state(config, system_clock())?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::Seed {
            scale: true,
            doctors,
            patients,
            records,
            lab_results,
            audit_entries,
            ..
        } => {
            let state = build_state(config, system_clock())?;
            let scale = crate::seed::scale::Scale {
                doctors,
                patients,
                records,
                lab_results,
                audit_entries,
            };
            crate::seed::scale::fill(&state, scale).await
        }
        Command::Seed { .. } => {
            let state = build_state(config, system_clock())?;
            crate::seed::demo(&state).await
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let state = build_state(config, system_clock())?;
            let check = state
                .read(|conn| Ok(medvault_store::repo::audit::verify(conn)?))
                .await
                .map_err(anyhow_of)?;
            match check {
                ChainCheck::Intact { entries } => {
                    println!(
                        "Audit trail intact: {entries} entries, each following the one before it in its chain."
                    );
                    Ok(())
                }
                ChainCheck::Broken { id, problem } => {
                    anyhow::bail!("audit trail broken at entry {id}: it {problem}")
                }
            }
        }
        Command::Backup { dest } => {
            let state = build_state(config, system_clock())?;
            let made = crate::backup::backup(&state, &dest).await?;
            let rows: u64 = made.tables.iter().map(|t| t.size).sum();
            println!(
                "Backed up {rows} rows of {} tables and {} files into {}.",
                made.tables.len(),
                made.files.len(),
                dest.display()
            );
            Ok(())
        }
        Command::Restore { src } => {
            let state = build_state(config, system_clock())?;
            let entries = crate::backup::restore(&state, &src).await?;
            println!("Restored; the audit trail verifies: {entries} entries.");
            Ok(())
        }
        Command::Transfer { from, to } => {
            let (rows, entries) =
                tokio::task::spawn_blocking(move || crate::backup::transfer(&from, &to)).await??;
            println!(
                "Copied {rows} rows; the audit trail verifies on the target: {entries} entries."
            );
            Ok(())
        }
        Command::Labs { .. } | Command::HashWorker { .. } => {
            anyhow::bail!("this command runs before configuration is read")
        }
        Command::Import { what } => {
            let (kind, args) = match what {
                ImportCommand::Patients { file } => (crate::imports::Kind::Patients, file),
                ImportCommand::Staff { file } => (crate::imports::Kind::Staff, file),
            };
            let state = build_state(config, system_clock())?;
            let who = (args.institution.as_str(), args.by.as_str());
            if crate::imports::cli::run(&state, kind, &args.file, who, args.dry_run).await? {
                Ok(())
            } else {
                Err(Refused.into())
            }
        }
        Command::Files {
            command: FilesCommand::Reseal,
        } => {
            let state = build_state(config, system_clock())?;
            let outcome = crate::files::reseal_all(&state).await?;
            println!(
                "Re-sealed {} files under key {}.",
                outcome.resealed,
                state.files.current_key_id()
            );
            if !outcome.damaged.is_empty() {
                let damaged: Vec<String> =
                    outcome.damaged.iter().map(ToString::to_string).collect();
                anyhow::bail!(
                    "{} files failed their integrity check and were left under their old key: {}",
                    damaged.len(),
                    damaged.join(", ")
                );
            }
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::Create { email, name },
        } => {
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let state = build_state(config, system_clock())?;
            let meta = RequestMeta {
                correlation_id: "cli".into(),
                ..RequestMeta::default()
            };
            let user = create_user(
                &state,
                &meta,
                None,
                &email,
                password,
                &name,
                Role::Admin,
                UserStatus::Active,
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.public_message()))?;
            println!("Admin created: {} ({})", user.email, user.id);
            Ok(())
        }
    }
}

async fn run_server(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let state = build_state(config, system_clock())?;
    bootstrap_admin(&state).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, backend = state.store.backend().as_str(), "MedVault is serving");
    let has_users = state
        .read(|conn| {
            Ok(!users::list(conn, &Default::default(), None, 1)?
                .items
                .is_empty())
        })
        .await
        .map_err(anyhow_of)?;
    if !has_users {
        eprintln!(
            "\nMedVault is running at http://{address}/ with no accounts yet. Either:\n  \
             - create your own at http://{address}/register, or\n  \
             - stop it and run `medvault seed --demo` for demo accounts (their passwords are printed), or\n  \
             - set ADMIN_EMAIL and ADMIN_PASSWORD (or run `medvault admin create`) for the first admin.\n"
        );
    } else {
        eprintln!("\nMedVault is running at http://{address}/\n");
    }
    serve(listener, state, shutdown_signal()).await
}
