//! The HTTP surface: panel pages (SSR), static files, the relay's WebSocket,
//! the simulator API, the health check, and the framing policy headers.

use std::{net::SocketAddr, sync::Arc};

use app::{App, OUTPUT_NAME, shell, shell_with_origins};
use axum::{
    Json, Router,
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::{self, Next},
    response::Response,
    routing::get,
};
use leptos::prelude::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::compression::CompressionLayer;

use crate::{
    config::ServeArgs,
    origins::Origins,
    records::{self, api::HistoryState},
    relay::{
        Hub,
        socket::{self, SocketState},
    },
    sim_api,
};

/// Builds the whole application router.
pub fn router(args: &ServeArgs, local: SocketAddr, hub: Hub, origins: Origins) -> Router {
    let options = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(args.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(local)
        .build();
    let routes = generate_route_list(App);
    let embed_csp = origins.frame_ancestors();
    let allowlist = origins.list().to_vec();
    let origins = Arc::new(origins);

    let history = HistoryState {
        recorder: hub.recorder().clone(),
        open: local.ip().is_loopback(),
    };
    let api = Router::new()
        .route("/ws", get(socket::upgrade))
        .with_state(SocketState {
            hub: hub.clone(),
            origins,
        })
        .merge(records::api::routes().with_state(history))
        .merge(
            Router::new()
                .route("/healthz", get(health))
                .merge(sim_api::routes())
                .with_state(hub),
        );

    let pages = Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell_with_origins(options.clone(), allowlist.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let embed_csp = embed_csp.clone();
            async move { framing_headers(req, next, embed_csp).await }
        }));

    api.merge(pages).layer(CompressionLayer::new())
}

/// `GET /healthz`: 200 while the server serves, with the record writer's
/// figures (a backlog that grows means the database is failing).
async fn health(State(hub): State<Hub>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "records": hub.health() }))
}

/// `/embed` may be framed by the allowlist; every other page only by itself.
async fn framing_headers(req: Request, next: Next, embed_csp: HeaderValue) -> Response {
    let is_embed = matches!(req.uri().path(), "/embed" | "/embed/");
    let mut response = next.run(req).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        let csp = if is_embed {
            embed_csp
        } else {
            HeaderValue::from_static("frame-ancestors 'self'")
        };
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}
