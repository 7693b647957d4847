//! How long a request may run before it is answered 503 `timed_out`: long enough for any page or
//! API call, short enough that a handler stuck on something outside frees its connection. An
//! upload (a file, a lab report, an import of up to 200,000 rows) takes time that grows with
//! its size and the sender's link, so its route asks for more with [`for_uploads`].
//!
//! The answer does not cancel work already handed to the database: a unit of work that was
//! running goes on to commit or roll back whole, which the error's message tells the client.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tokio::time::{Instant, timeout_at};

use crate::error::AppError;
use crate::router::{present, wants_json};

/// The time a request may take: `ordinary`, or `upload` on a route that takes uploads.
#[derive(Clone, Copy, Debug)]
pub struct Deadlines {
    pub ordinary: Duration,
    pub upload: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            ordinary: Duration::from_secs(30),
            // 200,000 imported rows on a loaded two-core machine, or 64 MiB over a slow link.
            upload: Duration::from_secs(15 * 60),
        }
    }
}

/// Set by an upload route on its request, for the middleware that times it.
#[derive(Clone, Default)]
struct Uploading(Arc<AtomicBool>);

/// Answers `timed_out` once a request has run past its deadline.
pub async fn middleware(
    State(deadlines): State<Deadlines>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let uploading = Uploading::default();
    request.extensions_mut().insert(uploading.clone());
    let json = wants_json(request.uri());
    let answer = next.run(request);
    tokio::pin!(answer);
    if let Ok(response) = timeout_at(started + deadlines.ordinary, &mut answer).await {
        return response;
    }
    // An upload route says so as its request reaches it, long before the ordinary deadline.
    if uploading.0.load(Ordering::Relaxed)
        && let Ok(response) = timeout_at(started + deadlines.upload, answer).await
    {
        return response;
    }
    present(AppError::TimedOut, json)
}

/// A layer for a route that takes uploads: its requests get the upload deadline.
pub async fn for_uploads(request: Request, next: Next) -> Response {
    if let Some(uploading) = request.extensions().get::<Uploading>() {
        uploading.0.store(true, Ordering::Relaxed);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_millis(400)).await;
        "done"
    }

    async fn status(app: &Router, path: &str) -> StatusCode {
        let request = Request::get(path).body(Body::empty()).expect("a request");
        app.clone()
            .oneshot(request)
            .await
            .expect("answered")
            .status()
    }

    #[tokio::test]
    async fn an_upload_route_runs_past_the_ordinary_deadline_and_stops_at_its_own() {
        let deadlines = Deadlines {
            ordinary: Duration::from_millis(100),
            upload: Duration::from_secs(30),
        };
        let short = Deadlines {
            upload: Duration::from_millis(200),
            ..deadlines
        };
        let routes = Router::new().route("/page", get(slow)).route(
            "/upload",
            get(slow).layer(axum::middleware::from_fn(for_uploads)),
        );
        let timed = |d: Deadlines| {
            routes
                .clone()
                .layer(axum::middleware::from_fn_with_state(d, middleware))
        };
        assert_eq!(
            status(&timed(deadlines), "/page").await,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(status(&timed(deadlines), "/upload").await, StatusCode::OK);
        assert_eq!(
            status(&timed(short), "/upload").await,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
