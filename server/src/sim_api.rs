//! The simulator's HTTP API (DESIGN.md §9): the far end of calls.
//! `POST /api/sim/calls`, `GET /api/sim/calls`,
//! `POST /api/sim/calls/{callId}/hangup`, `POST /api/sim/calls/{callId}/answer`,
//! (DESIGN.md §10 "Voice AI") `POST /api/sim/calls/{callId}/say`, and
//! `POST /api/sim/calls/{callId}/dtmf` (the caller presses keys).

use app::opencti::{ErrorCode, OpenCtiError, UserData};
use axum::{
    Json, Router,
    extract::{
        Path, State,
        rejection::{JsonRejection, PathRejection},
    },
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    media::MediaError,
    relay::Hub,
    switch::SimError,
    voice_ai::speech::{self, SpeechError},
};

/// The simulator's routes.
pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/sim/calls", get(list).post(place))
        .route("/api/sim/calls/{call_id}/hangup", post(hang_up))
        .route("/api/sim/calls/{call_id}/answer", post(answer))
        .route("/api/sim/calls/{call_id}/say", post(say))
        .route("/api/sim/calls/{call_id}/dtmf", post(dtmf))
}

/// `POST /api/sim/calls/{callId}/dtmf` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Dtmf {
    digits: String,
}

/// `POST /api/sim/calls/{callId}/say` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Say {
    text: String,
}

/// `POST /api/sim/calls` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaceCall {
    from: String,
    to: String,
    /// Attached data: strings, numbers and booleans (stored as strings).
    #[serde(default)]
    data: serde_json::Map<String, Value>,
}

/// An error answered with its OpenCTI body and the fitting HTTP status.
pub struct ApiError(pub StatusCode, pub OpenCtiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

impl From<SimError> for ApiError {
    fn from(err: SimError) -> Self {
        match err {
            SimError::UnknownCall(_) => {
                let message = err.to_string();
                ApiError(
                    StatusCode::NOT_FOUND,
                    OpenCtiError::new(ErrorCode::HttpError(404), message),
                )
            }
            SimError::Refused(err) => {
                let status = match err.err_code {
                    ErrorCode::BadRequest | ErrorCode::InvalidDestination => {
                        StatusCode::BAD_REQUEST
                    }
                    _ => StatusCode::CONFLICT,
                };
                ApiError(status, err)
            }
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError(
            StatusCode::BAD_REQUEST,
            OpenCtiError::bad_request(format!("unreadable call id: {}", rejection.body_text())),
        )
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if let JsonRejection::MissingJsonContentType(_) = rejection {
            // DESIGN.md §10: a body that is not JSON is refused like a
            // cross-site write (a form post is never JSON).
            return ApiError(
                StatusCode::FORBIDDEN,
                OpenCtiError::bad_request("the body must be JSON (Content-Type: application/json)"),
            );
        }
        ApiError(
            StatusCode::BAD_REQUEST,
            OpenCtiError::bad_request(format!("malformed JSON body: {}", rejection.body_text())),
        )
    }
}

async fn place(
    State(hub): State<Hub>,
    body: Result<Json<PlaceCall>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let mut data = UserData::new();
    for (key, value) in body.data {
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                return Err(ApiError(
                    StatusCode::BAD_REQUEST,
                    OpenCtiError::bad_request(format!(
                        "data.{key} must be a string, number or boolean"
                    )),
                ));
            }
        };
        data.insert(key, text);
    }
    let call_id = hub.sim_place_call(&body.from, &body.to, data)?;
    Ok((StatusCode::CREATED, Json(json!({ "callId": call_id }))).into_response())
}

async fn list(State(hub): State<Hub>) -> Response {
    Json(hub.sim_calls()).into_response()
}

async fn hang_up(
    State(hub): State<Hub>,
    call_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(call_id) = call_id?;
    hub.sim_hang_up(&call_id)?;
    Ok(Json(json!({ "callId": call_id })).into_response())
}

async fn answer(
    State(hub): State<Hub>,
    call_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(call_id) = call_id?;
    hub.sim_answer(&call_id)?;
    Ok(Json(json!({ "callId": call_id })).into_response())
}

/// The simulated far end presses `digits` (as a SIP caller's RFC 4733
/// events): they join the call's `digits`.
async fn dtmf(
    State(hub): State<Hub>,
    call_id: Result<Path<String>, PathRejection>,
    body: Result<Json<Dtmf>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Path(call_id) = call_id?;
    let Json(body) = body?;
    hub.network_digits(&call_id, &body.digits)?;
    Ok(Json(json!({ "callId": call_id })).into_response())
}

/// The simulated customer says `text` (synthesised speech) into the call,
/// after what it is already saying; the answer comes once it is queued.
async fn say(
    State(hub): State<Hub>,
    call_id: Result<Path<String>, PathRejection>,
    body: Result<Json<Say>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Path(call_id) = call_id?;
    let Json(body) = body?;
    if !hub.has_call(&call_id) {
        return Err(SimError::UnknownCall(call_id).into());
    }
    let samples = speech::synthesize(&body.text).await.map_err(|err| {
        let status = match err {
            SpeechError::BadText => StatusCode::BAD_REQUEST,
            SpeechError::Missing(..) => StatusCode::SERVICE_UNAVAILABLE,
            SpeechError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        tracing::warn!(call = %call_id, "say: {err}");
        let code = match status {
            StatusCode::BAD_REQUEST => ErrorCode::BadRequest,
            other => ErrorCode::HttpError(other.as_u16()),
        };
        ApiError(status, OpenCtiError::new(code, err.to_string()))
    })?;
    let seconds = samples.len() as f64 / crate::media::sound::SAMPLE_RATE as f64;
    hub.sim_say(&call_id, samples).await.map_err(|err| {
        let status = match err {
            MediaError::NotConnected(_) => StatusCode::CONFLICT,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError(status, err.into())
    })?;
    Ok(Json(json!({ "callId": call_id, "seconds": seconds })).into_response())
}
