//! A router that records the method and path of every route it serves, so that the route
//! inventory (and the access-matrix test built on it) cannot miss one.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodRouter, get, post};

use crate::app::AppState;
use crate::http::deadline;

/// A route that takes uploads: its body held to `limit` rather than the 1 MiB limit on every
/// other body, and its requests given an upload's time.
pub fn uploads(route: MethodRouter<AppState>, limit: DefaultBodyLimit) -> MethodRouter<AppState> {
    route
        .layer(limit)
        .layer(axum::middleware::from_fn(deadline::for_uploads))
}

#[derive(Default)]
pub struct Listed {
    router: Router<AppState>,
    routes: Vec<(Method, &'static str)>,
}

impl Listed {
    pub fn new() -> Self {
        Self::default()
    }

    fn add(mut self, method: Method, path: &'static str, route: MethodRouter<AppState>) -> Self {
        self.routes.push((method, path));
        // Routing the same path again merges the methods.
        self.router = self.router.route(path, route);
        self
    }

    pub fn get<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, get(handler))
    }

    pub fn post<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, post(handler))
    }

    /// A POST whose body the handler reads as a stream under a limit of its own (an upload),
    /// free of the 1 MiB limit on every other body and given an upload's time.
    pub fn post_streamed<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let route = uploads(post(handler), DefaultBodyLimit::disable());
        self.add(Method::POST, path, route)
    }

    pub fn merge(mut self, other: Listed) -> Self {
        self.routes.extend(other.routes);
        self.router = self.router.merge(other.router);
        self
    }

    pub fn routes(&self) -> &[(Method, &'static str)] {
        &self.routes
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
