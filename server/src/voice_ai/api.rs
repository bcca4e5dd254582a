//! `POST /api/calls/{callId}/conversation-events` (DESIGN.md §10 "Voice
//! AI"): an AI engine's events about a call, `202 Accepted` once they are on
//! their way to the agents. Behind the API key, like the history API.

use app::opencti::OpenCtiError;
use axum::{
    Json, Router,
    extract::{
        Path, State,
        rejection::{JsonRejection, PathRejection},
    },
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

use super::messages::read_events;
use crate::{relay::Hub, sim_api::ApiError};

pub fn routes() -> Router<Hub> {
    Router::new().route(
        "/api/calls/{call_id}/conversation-events",
        post(conversation_events),
    )
}

async fn conversation_events(
    State(hub): State<Hub>,
    call_id: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Path(call_id) = call_id?;
    let Json(body) = body?;
    let events = read_events(body)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, OpenCtiError::bad_request(e)))?;
    let count = events.len();
    hub.conversation(&call_id, events)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "callId": call_id, "accepted": count })),
    )
        .into_response())
}
