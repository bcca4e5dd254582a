//! The supervisor's HTTP API. Every route but sign-in needs a supervisor's
//! token (`Authorization: Bearer`); an agent's session token gets `403`
//! with `OPENCTI_UNAUTHORIZED`, none or an ended one `401`.
//!
//! - `POST /api/supervisor/login` `{userId, password}` → the session
//! - `POST /api/supervisor/logout` → `204`
//! - `GET /api/supervisor/snapshot` → the figures (`app::supervisor::Snapshot`)
//! - `POST /api/supervisor/actions` `{agentId, action, reason}` → the audit entry
//! - `GET /api/supervisor/audit?limit=N` → the latest actions, newest first

use app::{
    opencti::{ErrorCode, OpenCtiError},
    supervisor::{ActionRequest, SupervisorLogin},
};
use axum::{
    Json, Router,
    extract::{Query, State, rejection::JsonRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;

use crate::{
    relay::{Hub, SupervisorError},
    security::client_address::ClientAddress,
    sim_api::ApiError,
};

/// Audit entries a page holds unless `limit` says otherwise, and at most.
const DEFAULT_AUDIT_LIMIT: u32 = 50;
const MAX_AUDIT_LIMIT: u32 = 1000;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/supervisor/login", post(login))
        .route("/api/supervisor/logout", post(logout))
        .route("/api/supervisor/snapshot", get(snapshot))
        .route("/api/supervisor/actions", post(act))
        .route("/api/supervisor/audit", get(audit))
}

impl From<SupervisorError> for ApiError {
    fn from(refusal: SupervisorError) -> Self {
        let status = match &refusal {
            SupervisorError::SignIn(_) => StatusCode::UNAUTHORIZED,
            SupervisorError::NotASupervisor(_) => StatusCode::FORBIDDEN,
            SupervisorError::Refused(e) if e.err_code == ErrorCode::BadRequest => {
                StatusCode::BAD_REQUEST
            }
            SupervisorError::Refused(_) => StatusCode::CONFLICT,
            SupervisorError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        let error = refusal.error().clone();
        ApiError(status, error)
    }
}

/// The bearer token of the request, or the sign-in refusal.
fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError(
                StatusCode::UNAUTHORIZED,
                OpenCtiError::new(
                    ErrorCode::Unauthorized,
                    "sign in as a supervisor: Authorization: Bearer <supervisor token>",
                ),
            )
        })
}

async fn login(
    State(hub): State<Hub>,
    client: ClientAddress,
    body: Result<Json<SupervisorLogin>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let session = hub
        .supervisor_login(&body.user_id, &body.password, client.0)
        .await?;
    Ok(Json(session).into_response())
}

async fn logout(State(hub): State<Hub>, headers: HeaderMap) -> Result<Response, ApiError> {
    hub.supervisor_logout(bearer(&headers)?)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn snapshot(State(hub): State<Hub>, headers: HeaderMap) -> Result<Response, ApiError> {
    Ok(Json(hub.supervisor_snapshot(bearer(&headers)?)?).into_response())
}

async fn act(
    State(hub): State<Hub>,
    headers: HeaderMap,
    body: Result<Json<ActionRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let token = bearer(&headers)?;
    // The role first: an agent learns nothing from a malformed body.
    hub.supervisor_of(token)?;
    let Json(request) = body?;
    Ok(Json(hub.supervisor_act(token, &request)?).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    limit: Option<u32>,
}

async fn audit(
    State(hub): State<Hub>,
    headers: HeaderMap,
    params: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    hub.supervisor_of(bearer(&headers)?)?;
    let Query(params) = params.map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            OpenCtiError::bad_request(e.body_text()),
        )
    })?;
    let limit = params.limit.unwrap_or(DEFAULT_AUDIT_LIMIT);
    if limit == 0 || limit > MAX_AUDIT_LIMIT {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            OpenCtiError::bad_request(format!("limit must be 1–{MAX_AUDIT_LIMIT}")),
        ));
    }
    // What was just done is in the log: wait (briefly) for the writer.
    hub.recorder()
        .flush(std::time::Duration::from_secs(2))
        .await;
    match hub.recorder().database().audit(limit).await {
        Ok(entries) => Ok(Json(entries).into_response()),
        Err(err) => {
            tracing::error!("cannot read the audit log: {err}");
            Err(ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                OpenCtiError::new(ErrorCode::LinkDown, "the audit log cannot be read now"),
            ))
        }
    }
}
