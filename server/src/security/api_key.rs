//! The API key: what a process that is not an agent's panel presents to use
//! the simulator and history APIs, and to open the relay without a browser
//! `Origin`. On a loopback listen address with no key configured, only local
//! processes can reach the server at all, and they need none.

use std::{net::SocketAddr, path::Path};

use app::opencti::{ErrorCode, OpenCtiError};
use axum::{
    Json,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use subtle::ConstantTimeEq;

/// Shortest key accepted (a key is a secret, not a password to remember).
pub const MIN_KEY_CHARS: usize = 16;

/// Why a key cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("cannot read the API key file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the API key must have at least {MIN_KEY_CHARS} characters (try `openssl rand -hex 32`)"
    )]
    TooShort,
}

/// The key: the first line of `file`, else the environment variable
/// `CCP_API_KEY`, else none. The server and `server sim` read it alike.
pub fn read_key(file: Option<&Path>) -> Result<Option<String>, ApiKeyError> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path).map_err(|source| ApiKeyError::Read {
            path: path.display().to_string(),
            source,
        })?,
        None => match std::env::var("CCP_API_KEY") {
            Ok(key) => key,
            Err(_) => return Ok(None),
        },
    };
    Ok(Some(
        text.lines().next().unwrap_or_default().trim().to_string(),
    ))
}

/// Who may call the APIs that no agent session covers.
#[derive(Clone)]
pub struct ApiAccess {
    key: Option<String>,
    loopback: bool,
}

impl ApiAccess {
    /// The key of [`read_key`], for a server listening on `listen`.
    pub fn load(file: Option<&Path>, listen: SocketAddr) -> Result<Self, ApiKeyError> {
        Self::new(read_key(file)?, listen)
    }

    pub fn new(key: Option<String>, listen: SocketAddr) -> Result<Self, ApiKeyError> {
        if key
            .as_ref()
            .is_some_and(|k| k.chars().count() < MIN_KEY_CHARS)
        {
            return Err(ApiKeyError::TooShort);
        }
        Ok(Self {
            key,
            loopback: listen.ip().is_loopback(),
        })
    }

    /// Whether a key is configured.
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// Whether the APIs are open without a key: loopback and no key set.
    pub fn open(&self) -> bool {
        self.loopback && self.key.is_none()
    }

    /// Whether the request may use the APIs: the server is open, or the
    /// request carries `Authorization: Bearer <key>` (compared in constant
    /// time).
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        if self.open() {
            return true;
        }
        let (Some(key), Some(sent)) = (self.key.as_deref(), bearer(headers)) else {
            return false;
        };
        bool::from(key.as_bytes().ct_eq(sent.as_bytes()))
    }
}

/// The `Authorization: Bearer` token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Middleware: `401` with an OpenCTI error unless [`ApiAccess::allows`].
pub async fn require_key(State(access): State<ApiAccess>, req: Request, next: Next) -> Response {
    if access.allows(req.headers()) {
        return next.run(req).await;
    }
    refusal(req.uri().path())
}

/// The `401` of a request to `path` without a valid key.
pub fn refusal(path: &str) -> Response {
    tracing::warn!(path, "refused an API request without a valid API key");
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(OpenCtiError::new(
            ErrorCode::Unauthorized,
            "this API needs `Authorization: Bearer <API key>` (see --api-key-file)",
        )),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123";

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    #[test]
    fn loopback_without_a_key_is_open() {
        let access = ApiAccess::new(None, "127.0.0.1:3000".parse().unwrap()).unwrap();
        assert!(access.open());
        assert!(access.allows(&HeaderMap::new()));
    }

    #[test]
    fn elsewhere_or_with_a_key_the_key_is_needed() {
        for listen in ["127.0.0.1:3000", "0.0.0.0:3000"] {
            let access = ApiAccess::new(Some(KEY.into()), listen.parse().unwrap()).unwrap();
            assert!(!access.open());
            assert!(!access.allows(&HeaderMap::new()));
            assert!(!access.allows(&headers("Bearer 0123456789abcdef012")));
            assert!(!access.allows(&headers(&format!("Basic {KEY}"))));
            assert!(access.allows(&headers(&format!("Bearer {KEY}"))));
            assert!(access.allows(&headers(&format!("bearer  {KEY}"))));
        }
        let keyless = ApiAccess::new(None, "0.0.0.0:3000".parse().unwrap()).unwrap();
        assert!(!keyless.allows(&headers("Bearer ")));
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(matches!(
            ApiAccess::new(Some("short".into()), "0.0.0.0:1".parse().unwrap()),
            Err(ApiKeyError::TooShort)
        ));
    }
}
