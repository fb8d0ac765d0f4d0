//! The Vietnamese web UI, served by the same binary (no external resources).

use axum::Router;
use axum::response::Html;
use axum::routing::get;

use super::Shared;

/// Routes of the web UI.
pub fn routes() -> Router<Shared> {
    Router::new().route("/", get(home))
}

async fn home() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>Kho</title><h1>Kho lưu trữ</h1></html>",
    )
}
