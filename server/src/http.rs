//! The HTTP surface: panel pages (SSR), static files, the relay's WebSocket,
//! the simulator and history APIs, the health check, and the guards and
//! headers of `security` around them.

use std::{net::SocketAddr, sync::Arc};

use app::{App, OUTPUT_NAME, PageSettings, shell, shell_with};
use axum::{
    Json, Router,
    extract::State,
    http::{StatusCode, header, request::Parts},
    middleware,
    response::{IntoResponse, Response},
    routing::get,
};
use leptos::{nonce::use_nonce, prelude::*};
use leptos_axum::{LeptosRoutes, ResponseOptions, generate_route_list};
use tower_http::compression::CompressionLayer;

use crate::{
    config::ServeArgs,
    origins::Origins,
    pega::PegaHost,
    records,
    relay::{
        Hub,
        socket::{self, SocketState},
    },
    security::{
        api_key::{self, ApiAccess},
        headers::{self, SecurityHeaders},
        request_guard,
    },
    sim_api, supervisor, voice_ai,
};

/// What decides who may use which part of the surface.
pub struct Surface {
    pub origins: Origins,
    pub access: ApiAccess,
    /// Whether the simulator's routes are served at all.
    pub simulator: bool,
    /// Whether the server is reached over TLS (HSTS).
    pub tls: bool,
    /// The Pega adapter the panel starts with (`--pega-config`).
    pub pega: Option<PegaHost>,
}

/// Builds the whole application router.
pub fn router(args: &ServeArgs, local: SocketAddr, hub: Hub, surface: Surface) -> Router {
    let options = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(args.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(local)
        .build();
    let routes = generate_route_list(App);
    let pega = surface.pega;
    let policy = SecurityHeaders::new(&surface.origins, surface.tls).with_connect_sources(
        &pega
            .as_ref()
            .map(PegaHost::connect_sources)
            .unwrap_or_default(),
    );
    let settings = PageSettings {
        allowed_origins: surface.origins.list().to_vec(),
        pega: pega
            .as_ref()
            .map(|p| (p.page_settings().to_string(), p.script_urls())),
    };
    let origins = Arc::new(surface.origins);

    let mut keyed = Router::new()
        .merge(voice_ai::api::routes().with_state(hub.clone()))
        .merge(
            Router::new()
                .route("/metrics", get(metrics))
                .with_state(hub.clone()),
        );
    if surface.simulator {
        keyed = keyed.merge(sim_api::routes().with_state(hub.clone()));
    }
    let keyed = keyed.layer(middleware::from_fn_with_state(
        surface.access.clone(),
        api_key::require_key,
    ));

    let api = Router::new()
        .route("/ws", get(socket::upgrade))
        .with_state(SocketState {
            hub: hub.clone(),
            origins: origins.clone(),
            access: surface.access.clone(),
        })
        .merge(keyed)
        .merge(records::api::routes(records::api::History {
            hub: hub.clone(),
            access: surface.access.clone(),
            recordings_dir: args.recordings_dir(),
        }))
        .merge(supervisor::api::routes().with_state(hub.clone()))
        .merge(Router::new().route("/healthz", get(health)).with_state(hub))
        .merge(pega.map(|p| p.routes()).unwrap_or_default());

    let page_policy = policy.clone();
    let pages = Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            move || page_content_security_policy(&page_policy),
            {
                let options = options.clone();
                move || shell_with(options.clone(), settings.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options);

    api.merge(pages)
        .layer(middleware::from_fn_with_state(
            origins,
            request_guard::refuse_cross_site_writes,
        ))
        .layer(middleware::from_fn_with_state(
            policy,
            headers::security_headers,
        ))
        .layer(CompressionLayer::new())
}

/// Runs in each page's rendering context: the policy names the nonce that
/// Leptos puts on its hydration script for this response.
fn page_content_security_policy(policy: &SecurityHeaders) {
    let (Some(response), Some(parts)) = (use_context::<ResponseOptions>(), use_context::<Parts>())
    else {
        return;
    };
    let nonce = use_nonce();
    response.insert_header(
        header::CONTENT_SECURITY_POLICY,
        policy.content_security_policy(headers::is_embed(parts.uri.path()), nonce.as_deref()),
    );
}

/// `GET /metrics`: the supervisor's figures for Prometheus (behind the
/// API key, like the history API).
async fn metrics(State(hub): State<Hub>) -> Response {
    let (snapshot, handle_times) = hub.supervisor_figures();
    let replay = hub.replay_figures();
    let relay = supervisor::metrics::RelayFigures {
        replay_events: replay.events,
        replay_bytes: replay.bytes,
        replay_evicted_for_total: replay.evicted_for_total,
        logins_refused_busy: hub.logins_refused_busy(),
    };
    match supervisor::metrics::render(&snapshot, &handle_times, hub.media_figures(), relay) {
        Ok(text) => (
            [(header::CONTENT_TYPE, supervisor::metrics::CONTENT_TYPE)],
            text,
        )
            .into_response(),
        Err(err) => {
            tracing::error!("cannot encode /metrics: {err}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `GET /healthz`: 200 while the server serves, with the record writer's
/// figures (a backlog that grows means the database is failing).
async fn health(State(hub): State<Hub>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "records": hub.health() }))
}
