//! Accepting connections: HTTP/1.1 over hyper, in the clear or inside TLS, with a bound on how
//! long a client may take to send its headers (and to finish its TLS handshake) and on how many
//! connections are open at once, so that slow or idle clients cannot hold the server's
//! descriptors until it stops answering.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How connections are bounded.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections open at once; beyond, new ones wait in the kernel's queue.
    pub max_connections: usize,
    /// How long a client has to send a request's headers; then its connection is closed.
    pub header_timeout: Duration,
}

/// Serves `router` on `listener` (over TLS with `tls`) until `shutdown` completes, then lets
/// requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    (limits, tls): (Limits, Option<TlsAcceptor>),
    shutdown: impl std::future::Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(());
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors, say: wait a moment rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Reap finished connections as we go, so the set does not grow with every one served.
        while connections.try_join_next().is_some() {}
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let stopping = stopping.clone();
        let tls = tls.clone();
        connections.spawn(async move {
            let one = (router, peer, limits, stopping);
            match tls {
                None => serve_one(stream, one).await,
                // A handshake gets the time headers get; one that fails or stalls is dropped.
                Some(tls) => {
                    let shaken = tokio::time::timeout(limits.header_timeout, tls.accept(stream));
                    if let Ok(Ok(stream)) = shaken.await {
                        serve_one(stream, one).await;
                    }
                }
            }
            drop(permit);
        });
    }
    drop(stop);
    while connections.join_next().await.is_some() {}
}

/// Serves one connection's requests until it closes, or until the server stops.
async fn serve_one<S>(
    stream: S,
    (router, peer, limits, mut stopping): (Router, SocketAddr, Limits, watch::Receiver<()>),
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request.map(axum::body::Body::new))
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stopping.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
