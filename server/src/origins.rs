//! The embedding allowlist: which web origins may frame `/embed`, open the
//! relay's WebSocket and exchange postMessages with the panel. One list
//! feeds all three, so they cannot disagree.

/// Allowed origins, normalised (`scheme://host[:port]`, no trailing slash).
#[derive(Debug, Clone, Default)]
pub struct Origins {
    allowed: Vec<String>,
}

impl Origins {
    /// Checks and normalises the configured origins.
    pub fn new(origins: &[String]) -> Result<Self, String> {
        let allowed = origins
            .iter()
            .map(|o| normalise(o))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { allowed })
    }

    /// The allowlisted origins.
    pub fn list(&self) -> &[String] {
        &self.allowed
    }

    /// Whether a request's `Origin` may talk to this server, whose `Host`
    /// header is `host`: its own origin always may.
    pub fn allows(&self, origin: &str, host: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        let own = !host.is_empty()
            && (origin == format!("http://{host}") || origin == format!("https://{host}"));
        own || self.allowed.iter().any(|a| a.eq_ignore_ascii_case(origin))
    }

    /// The `frame-ancestors` sources for `/embed`: `'self' <allowlist>`.
    pub fn frame_ancestors_sources(&self) -> String {
        let mut value = String::from("'self'");
        for origin in &self.allowed {
            value.push(' ');
            value.push_str(origin);
        }
        value
    }
}

/// `scheme://host[:port]` with an http(s) scheme and nothing after the host.
fn normalise(origin: &str) -> Result<String, String> {
    let trimmed = origin.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))
        .ok_or_else(|| format!("origin {origin:?} must start with http:// or https://"))?;
    let valid_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if rest.is_empty() || !rest.chars().all(valid_char) {
        return Err(format!(
            "origin {origin:?} must be scheme://host[:port], without a path or wildcard"
        ));
    }
    Ok(trimmed.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_origin_and_allowlist() {
        let origins = Origins::new(&["http://localhost:3101/".into()]).unwrap();
        assert!(origins.allows("http://127.0.0.1:3100", "127.0.0.1:3100"));
        assert!(origins.allows("http://localhost:3101", "127.0.0.1:3100"));
        assert!(!origins.allows("http://localhost:3102", "127.0.0.1:3100"));
        assert!(!origins.allows("null", "127.0.0.1:3100"));
        assert_eq!(
            origins.frame_ancestors_sources(),
            "'self' http://localhost:3101"
        );
        assert_eq!(Origins::default().frame_ancestors_sources(), "'self'");
    }

    #[test]
    fn wildcards_and_paths_are_refused() {
        for bad in [
            "*",
            "http://*.example.com",
            "https://example.com/app",
            "example.com",
            "http://a b",
        ] {
            assert!(Origins::new(&[bad.into()]).is_err(), "{bad}");
        }
    }
}
