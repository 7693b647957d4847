//! Building the application from a configuration, and serving it until asked to stop.

use secrecy::ExposeSecret;
use std::sync::Arc;

use anyhow::Context;
use medvault_domain::{Role, UserStatus};
use medvault_store::repo::users;
use medvault_store::{Store, StoreOptions};
use tokio::net::TcpListener;

use crate::app::{AppState, Clock, Shared};
use crate::audit::RequestMeta;
use crate::auth::keys::{Keys, load_secret};
use crate::auth::live::LiveSessions;
use crate::auth::password::PasswordHasher;
use crate::auth::service::create_user;
use crate::auth::throttle;
use crate::auth::token::TokenCodec;
use crate::config::Config;
use crate::error::AppError;
use crate::files::vault::FileVault;
use crate::heavy::Heavy;
use crate::ops::Metrics;
use crate::outside::assistant::Assistant;
use crate::outside::insurer::Insurer;

/// Opens the database (running migrations) and assembles the shared state.
pub fn build_state(config: Config, clock: Clock) -> anyhow::Result<AppState> {
    let secret = load_secret(&config)?;
    let mut options = StoreOptions::default();
    if let Some(max) = config.db_max_connections {
        options.max_connections = max;
    }
    let store = Store::open(&config.database_url, &options).context("cannot open the database")?;
    let keys = Keys::derive(&secret, &config.previous_secrets)?;
    let sessions = Arc::new(LiveSessions::default());
    let listener = sessions.clone();
    store.watch_sessions(Arc::new(move |news| listener.hear(news)));
    Ok(AppState::new(Shared {
        tokens: Arc::new(TokenCodec::new(&keys.token)),
        keys: Arc::new(keys),
        passwords: Arc::new(PasswordHasher::new(
            &config.hash_program,
            config.hash_concurrency,
        )),
        store: Arc::new(store),
        sessions,
        files: Arc::new(FileVault::from_config(&config)?),
        heavy: Heavy::default(),
        assistant: match &config.assistant {
            Some((url, timeout)) => Some(Arc::new(Assistant::new(url, *timeout)?)),
            None => None,
        },
        insurer: match &config.insurer {
            Some((url, timeout)) => Some(Arc::new(Insurer::new(url, *timeout)?)),
            None => None,
        },
        imports: Default::default(),
        config: Arc::new(config),
        clock,
    }))
}

pub fn anyhow_of(error: AppError) -> anyhow::Error {
    match error {
        AppError::Internal(inner) => inner,
        other => anyhow::anyhow!(other.public_message()),
    }
}

/// Creates the admin named by `ADMIN_EMAIL` / `ADMIN_PASSWORD` when no admin exists yet.
pub async fn bootstrap_admin(state: &AppState) -> anyhow::Result<()> {
    let Some((email, password)) = state.config.bootstrap_admin.clone() else {
        return Ok(());
    };
    if state
        .read(|conn| Ok(users::any_admin(conn)?))
        .await
        .map_err(anyhow_of)?
    {
        return Ok(());
    }
    let meta = RequestMeta {
        correlation_id: "bootstrap".into(),
        ..RequestMeta::default()
    };
    create_user(
        state,
        &meta,
        None,
        &email,
        password.expose_secret(),
        "Administrator",
        Role::Admin,
        UserStatus::Active,
    )
    .await
    .map_err(|e| {
        anyhow::anyhow!(
            "cannot create the first admin from ADMIN_EMAIL: {}",
            e.public_message()
        )
    })?;
    tracing::info!("created the first admin from ADMIN_EMAIL");
    Ok(())
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // A certificate that cannot be used stops the start, before anything runs.
    let tls = match &state.config.tls {
        Some((cert, key)) => Some(crate::http::tls::acceptor(cert, key)?),
        None => None,
    };
    let pruning = tokio::spawn(prune_throttle(state.clone()));
    let reading = tokio::spawn(crate::lab_reports::worker::run(state.clone()));
    let verifying = tokio::spawn(crate::appointments::eligibility::run(state.clone()));
    let limits = state.config.connections;
    let router = crate::router::build(state, Metrics::install()?);
    crate::http::listener::serve(listener, router, (limits, tls), shutdown).await;
    pruning.abort();
    reading.abort();
    verifying.abort();
    Ok(())
}

/// Every few minutes, forgets sign-in counters that no longer count. Any server may do it; two
/// doing it at once delete the same rows.
async fn prune_throttle(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
    loop {
        every.tick().await;
        let now = state.now();
        match state
            .write(move |conn| Ok(throttle::prune(conn, now)?))
            .await
        {
            Ok(pruned) => tracing::debug!(pruned, "pruned sign-in counters"),
            Err(error) => {
                tracing::warn!(error = %error.public_message(), "cannot prune sign-in counters")
            }
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
