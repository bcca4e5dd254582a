//! Response headers that tell the browser what the pages may do: a
//! Content-Security-Policy on every HTML response (scripts only from this
//! server, plus Leptos's hydration script by its per-response nonce; the
//! wasm module; framing by the embedding allowlist on `/embed` only),
//! `nosniff`, no `Referer` to other sites, and HSTS when served over TLS.

use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

use crate::origins::Origins;

/// Builds the policies; one per server (the allowlist is fixed at start).
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    /// `frame-ancestors` sources for `/embed`: `'self'` and the allowlist.
    embed_ancestors: String,
    /// `connect-src` sources beyond `'self'`: a configured Pega adapter's
    /// CTI link (`--pega-config`).
    connect_sources: String,
    tls: bool,
}

impl SecurityHeaders {
    pub fn new(origins: &Origins, tls: bool) -> Self {
        Self {
            embed_ancestors: origins.frame_ancestors_sources(),
            connect_sources: String::new(),
            tls,
        }
    }

    /// Lets pages also connect to `sources` (scheme, host and port each).
    pub fn with_connect_sources(mut self, sources: &[String]) -> Self {
        self.connect_sources = sources.iter().map(|s| format!(" {s}")).collect();
        self
    }

    /// The policy for a page (`embed`: the `/embed` route); `nonce` lets
    /// Leptos's inline hydration script run (pages rendered without one run
    /// no inline script at all).
    pub fn content_security_policy(&self, embed: bool, nonce: Option<&str>) -> HeaderValue {
        let ancestors = if embed {
            self.embed_ancestors.as_str()
        } else {
            "'self'"
        };
        let nonce = nonce
            .filter(|n| {
                n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+/=-_".contains(c))
            })
            .map(|n| format!(" 'nonce-{n}'"))
            .unwrap_or_default();
        let connect = &self.connect_sources;
        // `blob:` media: the supervisor's player fetches a recording with
        // its token (an audio element sends none) and plays it from memory.
        let policy = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{nonce}; \
             style-src 'self'; img-src 'self' data:; media-src 'self' blob:; \
             connect-src 'self'{connect}; \
             object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors {ancestors}"
        );
        // Every part is ASCII without control characters.
        HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'",
        ))
    }
}

/// Whether `path` is the embedding route, which the allowlist may frame.
pub fn is_embed(path: &str) -> bool {
    matches!(path, "/embed" | "/embed/")
}

/// Middleware over every route: the fixed headers on every response, and a
/// nonce-less policy on HTML that was rendered without one (error pages).
pub async fn security_headers(
    State(policy): State<SecurityHeaders>,
    req: Request,
    next: Next,
) -> Response {
    let embed = is_embed(req.uri().path());
    let mut response = next.run(req).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    if is_html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            policy.content_security_policy(embed, None),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if policy.tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embed_may_be_framed_by_the_allowlist_only() {
        let origins = Origins::new(&["https://crm.example.com".into()]).unwrap();
        let headers = SecurityHeaders::new(&origins, false);
        let embed = headers.content_security_policy(is_embed("/embed"), Some("abc+/="));
        let embed = embed.to_str().unwrap();
        assert!(embed.contains("frame-ancestors 'self' https://crm.example.com"));
        assert!(embed.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc+/='"));
        let page = headers.content_security_policy(is_embed("/"), None);
        let page = page.to_str().unwrap();
        assert!(page.ends_with("frame-ancestors 'self'"));
        assert!(page.contains("script-src 'self' 'wasm-unsafe-eval';"));
        assert!(page.contains("connect-src 'self';"));
    }

    #[test]
    fn pages_may_connect_to_a_configured_cti_link() {
        let headers = SecurityHeaders::new(&Origins::default(), false)
            .with_connect_sources(&["wss://cti.example.com:7443".into()]);
        let csp = headers.content_security_policy(false, None);
        assert!(
            csp.to_str()
                .unwrap()
                .contains("connect-src 'self' wss://cti.example.com:7443;")
        );
    }

    #[test]
    fn a_nonce_cannot_inject_sources() {
        let headers = SecurityHeaders::new(&Origins::default(), false);
        let csp = headers.content_security_policy(false, Some("x' 'unsafe-inline"));
        assert!(!csp.to_str().unwrap().contains("unsafe-inline"));
    }
}
