//! Refuses cross-site writes: a state-changing request (`POST`, `PUT`,
//! `PATCH`, `DELETE`) whose `Origin` is neither the server's own nor
//! allowlisted gets `403`, and so does one with a body that is not
//! `application/json`. A web page the agent visits can send a form post
//! (`application/x-www-form-urlencoded`, `multipart/form-data` or
//! `text/plain`) to any address without a preflight; it can never send JSON
//! across origins without one, which the server does not grant.

use std::sync::Arc;

use app::opencti::OpenCtiError;
use axum::{
    Json,
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::origins::Origins;

/// Middleware over every route.
pub async fn refuse_cross_site_writes(
    State(origins): State<Arc<Origins>>,
    req: Request,
    next: Next,
) -> Response {
    if !changes_state(req.method()) {
        return next.run(req).await;
    }
    match refusal(&origins, req.headers()) {
        None => next.run(req).await,
        Some(reason) => {
            tracing::warn!(
                method = %req.method(),
                path = req.uri().path(),
                origin = req
                    .headers()
                    .get(header::ORIGIN)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
                "refused a request: {reason}"
            );
            (
                StatusCode::FORBIDDEN,
                Json(OpenCtiError::bad_request(reason)),
            )
                .into_response()
        }
    }
}

fn changes_state(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// Why a state-changing request with these headers is refused, if it is.
pub fn refusal(origins: &Origins, headers: &HeaderMap) -> Option<&'static str> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        if !origin.to_str().is_ok_and(|o| origins.allows(o, host)) {
            return Some("the request comes from an origin that is not allowed");
        }
    }
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|len| len.trim() != "0");
    let content_type = headers.get(header::CONTENT_TYPE);
    if (has_body || content_type.is_some()) && !content_type.is_some_and(is_json) {
        return Some("the body must be JSON (Content-Type: application/json)");
    }
    None
}

fn is_json(value: &axum::http::HeaderValue) -> bool {
    value.to_str().is_ok_and(|v| {
        v.split(';')
            .next()
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        for (name, value) in pairs {
            h.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn own_and_allowlisted_origins_may_send_json() {
        let origins = Origins::new(&["https://crm.example.com".into()]).unwrap();
        for origin in ["http://127.0.0.1:3000", "https://crm.example.com"] {
            let h = headers(&[
                (header::ORIGIN, origin),
                (header::CONTENT_TYPE, "application/json; charset=utf-8"),
                (header::CONTENT_LENGTH, "2"),
            ]);
            assert_eq!(refusal(&origins, &h), None, "{origin}");
        }
        // No Origin (curl, the CLI) and no body (hang up) is fine.
        assert_eq!(refusal(&origins, &headers(&[])), None);
        assert_eq!(
            refusal(&origins, &headers(&[(header::CONTENT_LENGTH, "0")])),
            None
        );
    }

    #[test]
    fn other_origins_and_form_posts_are_refused() {
        let origins = Origins::default();
        for pairs in [
            vec![(header::ORIGIN, "http://evil.test")],
            vec![(header::ORIGIN, "null")],
            vec![
                (header::ORIGIN, "http://127.0.0.1:3000"),
                (header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            ],
            vec![
                (header::CONTENT_TYPE, "text/plain"),
                (header::CONTENT_LENGTH, "5"),
            ],
            vec![(header::CONTENT_LENGTH, "5")],
            vec![(header::TRANSFER_ENCODING, "chunked")],
            vec![(header::CONTENT_TYPE, "multipart/form-data; boundary=x")],
        ] {
            assert!(refusal(&origins, &headers(&pairs)).is_some(), "{pairs:?}");
        }
    }
}
