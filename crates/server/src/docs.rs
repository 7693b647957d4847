//! The OpenAPI document and a browsable page for it that needs no internet: Swagger UI is
//! vendored under `static/swagger-ui/`.

use std::sync::Arc;

use axum::http::header;
use axum::response::Html;

use crate::routes::Listed;

const DOCS_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MedVault API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-ui/init.js"></script></body></html>"#;

pub fn routes(openapi_json: Arc<String>) -> Listed {
    Listed::new()
        .get("/api/openapi.json", move || {
            let body = openapi_json.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    body.as_str().to_owned(),
                )
            }
        })
        .get("/docs", || async { Html(DOCS_PAGE) })
}
