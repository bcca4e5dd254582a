//! The history API (DESIGN.md §10 "Operations"): `GET /api/calls` (JSON,
//! newest first, paged) and `GET /api/calls.csv` (the same as CSV, one row per
//! agent leg, RFC 4180 quoting), and a recorded call's audio,
//! `GET /api/calls/{callId}/recording` (with HTTP Range requests). For the
//! API key (`security::api_key`: open on a loopback address with no key set)
//! and for supervisors (their token); an agent's session token gets `403`.

use std::{
    collections::HashMap,
    path::PathBuf,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use app::{
    opencti::{ErrorCode, OpenCtiError},
    supervisor::{CallRecordView, LegView, PausedSpan, RecordingView},
};
use axum::{
    Json, Router,
    extract::{Path, Query, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::db::RecordFilter;
use super::writer::Recorder;
use crate::{
    media::recording::RecordingFile,
    relay::{Hub, SupervisorError},
    security::api_key::{ApiAccess, bearer},
    sim_api::ApiError,
    switch::{CallRecord, Leg, RecordingSpans},
};

/// Records a page holds unless `limit` says otherwise, and at most.
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;
/// The CSV export is for spreadsheets and reporting tools: bigger pages.
const DEFAULT_CSV_LIMIT: u32 = 10_000;
const MAX_CSV_LIMIT: u32 = 100_000;

/// What the history routes need.
#[derive(Clone)]
pub struct History {
    pub hub: Hub,
    pub access: ApiAccess,
    /// Where the recordings' files are (`--recordings-dir`).
    pub recordings_dir: PathBuf,
}

impl History {
    fn recorder(&self) -> &Recorder {
        self.hub.recorder()
    }
}

pub fn routes(history: History) -> Router {
    Router::new()
        .route("/api/calls", get(list))
        .route("/api/calls.csv", get(csv))
        .route("/api/calls/{call_id}/recording", get(recording))
        .layer(middleware::from_fn_with_state(history.clone(), allow))
        .with_state(history)
}

/// The API key or a supervisor's token; an agent's token is refused even
/// where the APIs are open (an agent hears only its own calls).
async fn allow(State(history): State<History>, req: Request, next: Next) -> Response {
    if let Some(token) = bearer(req.headers()) {
        match history.hub.supervisor_of(token) {
            Ok(_) => return next.run(req).await,
            Err(refusal @ SupervisorError::NotASupervisor(_)) => {
                return ApiError::from(refusal).into_response();
            }
            Err(_) => {}
        }
    }
    if history.access.allows(req.headers()) {
        return next.run(req).await;
    }
    crate::security::api_key::refusal(req.uri().path())
}

/// The query string of both routes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    agent: Option<String>,
    /// The caller's or the called number.
    number: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl Params {
    fn filter(self, default_limit: u32, max_limit: u32) -> Result<RecordFilter, ApiError> {
        let limit = self.limit.unwrap_or(default_limit);
        if limit == 0 || limit > max_limit {
            return Err(bad_request(format!("limit must be 1–{max_limit}")));
        }
        Ok(RecordFilter {
            agent: self.agent.filter(|a| !a.is_empty()),
            number: self.number.filter(|n| !n.is_empty()),
            from: self.from.as_deref().map(parse_time).transpose()?,
            to: self.to.as_deref().map(parse_time).transpose()?,
            limit,
            offset: self.offset.unwrap_or(0),
        })
    }
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, OpenCtiError::bad_request(message))
}

/// An ISO 8601 time (`2026-12-02T10:00:00Z`, fractions and offsets allowed)
/// or a date (`2026-12-02`, midnight UTC), as ms since the epoch.
fn parse_time(text: &str) -> Result<u64, ApiError> {
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_string()
    };
    humantime::parse_rfc3339_weak(&full)
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
        .ok_or_else(|| {
            bad_request(format!(
                "{text:?} is not an ISO 8601 time such as 2026-12-02T10:00:00Z"
            ))
        })
}

/// Milliseconds since the epoch as ISO 8601 (UTC, milliseconds).
fn iso(ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// A record as the API shows it (the type the supervisor page reads).
fn record_view(r: CallRecord, files: &HashMap<String, RecordingFile>) -> CallRecordView {
    CallRecordView {
        recording: r
            .recording
            .as_ref()
            .map(|spans| recording_view(&r.call_id, spans, files.get(&r.call_id))),
        legs: r.legs.iter().map(leg_view).collect(),
        data: r.data,
        call_id: r.call_id,
        direction: r.direction.as_str().to_string(),
        ani: r.ani,
        dnis: r.dnis,
        queue: r.queue,
        flow_path: r.flow_path,
        consult_of: r.consult_of,
        started_at: iso(r.started_at),
        answered_at: r.answered_at.map(iso),
        ended_at: iso(r.ended_at),
        outcome: r.outcome.as_str().to_string(),
    }
}

fn leg_view(leg: &Leg) -> LegView {
    LegView {
        agent_id: leg.agent_id.clone(),
        extension: leg.extension.clone(),
        answered: leg.answered,
        talk_seconds: seconds(leg.talk_ms),
        hold_seconds: seconds(leg.hold_ms),
        wrap_up_seconds: leg.wrap_up_ms.map(seconds),
        disposition: leg.disposition.clone(),
        note: leg.note.clone(),
    }
}

fn recording_view(
    call_id: &str,
    spans: &RecordingSpans,
    file: Option<&RecordingFile>,
) -> RecordingView {
    RecordingView {
        url: file.map(|_| format!("/api/calls/{call_id}/recording")),
        started_at: iso(spans.started_at),
        duration_seconds: file.map_or(0.0, |f| seconds(f.duration_ms)),
        bytes: file.map_or(0, |f| f.bytes),
        paused_spans: spans
            .paused
            .iter()
            .map(|&(from, to)| PausedSpan {
                from: iso(from),
                to: iso(to),
            })
            .collect(),
    }
}

fn unavailable(what: &str) -> ApiError {
    ApiError(
        StatusCode::SERVICE_UNAVAILABLE,
        OpenCtiError::new(
            ErrorCode::HttpError(503),
            format!("the {what} cannot be read now"),
        ),
    )
}

/// The records the query asks for.
async fn fetch(
    recorder: &Recorder,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
    default_limit: u32,
    max_limit: u32,
) -> Result<Vec<CallRecord>, ApiError> {
    let Query(params) = params.map_err(|e| bad_request(e.body_text()))?;
    let filter = params.filter(default_limit, max_limit)?;
    recorder.database().calls(&filter).await.map_err(|err| {
        tracing::error!("cannot read call records: {err}");
        unavailable("call records")
    })
}

/// `GET /api/calls`: a JSON array of records, newest first.
async fn list(
    State(history): State<History>,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<CallRecordView>>, ApiError> {
    let records = fetch(history.recorder(), params, DEFAULT_LIMIT, MAX_LIMIT).await?;
    let recorded: Vec<String> = records
        .iter()
        .filter(|r| r.recording.is_some())
        .map(|r| r.call_id.clone())
        .collect();
    let files = history
        .recorder()
        .database()
        .recording_files(&recorded)
        .await
        .map_err(|err| {
            tracing::error!("cannot read recordings: {err}");
            unavailable("recordings")
        })?;
    Ok(Json(
        records
            .into_iter()
            .map(|r| record_view(r, &files))
            .collect(),
    ))
}

/// `GET /api/calls/{callId}/recording`: the call's audio (WAV), whole or
/// the ranges asked for (`Range: bytes=…`, as an audio element seeks).
async fn recording(
    State(history): State<History>,
    Path(call_id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let not_found = || {
        ApiError(
            StatusCode::NOT_FOUND,
            OpenCtiError::new(
                ErrorCode::HttpError(404),
                format!("call {call_id} has no recording"),
            ),
        )
    };
    let file = history
        .recorder()
        .database()
        .recording_file(&call_id)
        .await
        .map_err(|err| {
            tracing::error!("cannot read recordings: {err}");
            unavailable("recordings")
        })?
        .ok_or_else(not_found)?;
    // Names are the server's own (`C12-1733…wav`); never a path.
    if file.file.contains(['/', '\\']) || file.file.starts_with('.') {
        return Err(not_found());
    }
    let path = history.recordings_dir.join(&file.file);
    if !path.is_file() {
        return Err(not_found());
    }
    let response = match ServeFile::new(path).oneshot(request).await {
        Ok(response) => response.map(axum::body::Body::new),
        Err(infallible) => match infallible {},
    };
    Ok(response)
}

/// The CSV columns, in order.
const CSV_HEADER: [&str; 17] = [
    "callId",
    "direction",
    "ani",
    "dnis",
    "queue",
    "startedAt",
    "answeredAt",
    "endedAt",
    "outcome",
    "agentId",
    "extension",
    "talkSeconds",
    "holdSeconds",
    "wrapUpSeconds",
    "disposition",
    "note",
    "data",
];

/// `GET /api/calls.csv`: the same records, one row per agent leg (a call no
/// agent had is one row with the agent columns empty).
async fn csv(
    State(history): State<History>,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let records = fetch(history.recorder(), params, DEFAULT_CSV_LIMIT, MAX_CSV_LIMIT).await?;
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let failed = |err: csv::Error| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            OpenCtiError::new(
                ErrorCode::HttpError(500),
                format!("cannot write CSV: {err}"),
            ),
        )
    };
    out.write_record(CSV_HEADER).map_err(failed)?;
    for r in records {
        let call = [
            r.call_id.clone(),
            r.direction.as_str().to_string(),
            r.ani.clone(),
            r.dnis.clone(),
            r.queue.clone().unwrap_or_default(),
            iso(r.started_at),
            r.answered_at.map(iso).unwrap_or_default(),
            iso(r.ended_at),
            r.outcome.as_str().to_string(),
        ];
        let data = serde_json::to_string(&r.data).unwrap_or_default();
        let legs: Vec<[String; 7]> = if r.legs.is_empty() {
            vec![Default::default()]
        } else {
            r.legs
                .iter()
                .map(|l| {
                    [
                        l.agent_id.clone(),
                        l.extension.clone(),
                        seconds(l.talk_ms).to_string(),
                        seconds(l.hold_ms).to_string(),
                        l.wrap_up_ms
                            .map(|w| seconds(w).to_string())
                            .unwrap_or_default(),
                        l.disposition.clone().unwrap_or_default(),
                        l.note.clone().unwrap_or_default(),
                    ]
                })
                .collect()
        };
        for leg in legs {
            out.write_record(call.iter().chain(leg.iter()).chain(std::iter::once(&data)))
                .map_err(failed)?;
        }
    }
    let body = out
        .into_inner()
        .map_err(|e| failed(e.into_error().into()))?;
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let disposition = format!(
        "attachment; filename=\"calls-{}.csv\"",
        stamp.replace(':', "")
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_iso_8601_both_ways() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        let ms = parse_time("2026-12-02T10:00:00Z").ok().unwrap();
        assert_eq!(iso(ms), "2026-12-02T10:00:00.000Z");
        assert_eq!(
            parse_time("2026-12-02").ok().unwrap(),
            parse_time("2026-12-02T00:00:00Z").ok().unwrap()
        );
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn limits_are_checked() {
        let params = |limit| Params {
            limit: Some(limit),
            ..Params::default()
        };
        assert!(params(0).filter(100, 1000).is_err());
        assert!(params(1001).filter(100, 1000).is_err());
        assert_eq!(params(5).filter(100, 1000).ok().unwrap().limit, 5);
        assert_eq!(Params::default().filter(100, 1000).ok().unwrap().limit, 100);
    }
}
