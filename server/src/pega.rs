//! The Pega host's server side (`--pega-config FILE`): which Pega Call
//! OpenCTI adapter the panel starts with, the adapter's scripts (served from
//! the panel's own origin, as the page's Content-Security-Policy requires),
//! and the link definition handed to the adapter's `login`. The host layer
//! itself, `/opencti-pega.js`, runs in the browser; see docs/integrating.md.
//!
//! ```toml
//! implementation = "AcmeCti"          # pega.cti.desktopApi.AcmeCti
//! scripts = ["acme-cti.js"]           # relative to this file, loaded in order
//! timeout_seconds = 10                # a request never called back fails then
//! [link]
//! primary_host = "cti.example.com"
//! primary_port = 7443
//! [link.custom_properties]
//! tenant = "acme"
//! ```

use std::{collections::BTreeMap, path::Path, sync::Arc};

use axum::{
    Router,
    extract::{Path as UrlPath, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use serde_json::json;

/// Where the adapter's scripts are served.
pub const SCRIPTS_PATH: &str = "/pega";

/// What stops a Pega configuration from being used.
#[derive(Debug, thiserror::Error)]
pub enum PegaConfigError {
    #[error("cannot read the Pega configuration {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{config}: cannot read the adapter script {script}: {source}")]
    Script {
        config: String,
        script: String,
        source: std::io::Error,
    },
}

/// The file's contents.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct PegaFile {
    /// The adapter's name under `pega.cti.desktopApi`.
    implementation: String,
    /// Script files (relative to the configuration file), loaded in order
    /// before the panel starts.
    #[serde(default)]
    scripts: Vec<String>,
    /// How long a request may wait for the adapter's callback.
    #[serde(default = "default_timeout")]
    timeout_seconds: u64,
    #[serde(default)]
    link: LinkConfig,
}

fn default_timeout() -> u64 {
    10
}

/// The CTI link the adapter connects to (Pega's CTI link definition).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkConfig {
    #[serde(default)]
    primary_host: String,
    #[serde(default)]
    primary_port: Option<u16>,
    /// Free-form settings of the adapter (`CustomProperties`).
    #[serde(default)]
    custom_properties: BTreeMap<String, String>,
}

/// One adapter script, read at start (a missing file stops the server).
#[derive(Debug, Clone)]
struct Script {
    name: String,
    body: Arc<str>,
}

/// A loaded Pega configuration.
#[derive(Debug, Clone)]
pub struct PegaHost {
    file: PegaFile,
    scripts: Arc<Vec<Script>>,
}

impl PegaHost {
    /// Reads and checks the configuration and its scripts.
    pub fn load(path: &Path) -> Result<Self, PegaConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PegaConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let file: PegaFile = toml::from_str(&text).map_err(|e| PegaConfigError::Invalid {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut scripts = Vec::new();
        for script in &file.scripts {
            let body = std::fs::read_to_string(base.join(script)).map_err(|source| {
                PegaConfigError::Script {
                    config: shown.clone(),
                    script: script.clone(),
                    source,
                }
            })?;
            scripts.push(Script {
                name: script_name(script),
                body: body.into(),
            });
        }
        let host = Self {
            file,
            scripts: Arc::new(scripts),
        };
        host.validate()
            .map_err(|message| PegaConfigError::Invalid {
                path: shown,
                message,
            })?;
        Ok(host)
    }

    fn validate(&self) -> Result<(), String> {
        let name = &self.file.implementation;
        let identifier = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        if !identifier {
            return Err(format!(
                "implementation {name:?} must be a JavaScript name (pega.cti.desktopApi.<name>)"
            ));
        }
        if self.file.timeout_seconds == 0 || self.file.timeout_seconds > 300 {
            return Err("timeout_seconds must be between 1 and 300".into());
        }
        let host = &self.file.link.primary_host;
        if !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_:[]".contains(c))
        {
            return Err(format!("link.primary_host {host:?} is not a host name"));
        }
        if !host.is_empty() && self.file.link.primary_port.is_none() {
            return Err("link.primary_host needs link.primary_port".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for script in self.scripts.iter() {
            if !script.name.ends_with(".js")
                || !script
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                return Err(format!(
                    "script {:?}: a file name of letters, digits, '.', '_' and '-' ending in .js",
                    script.name
                ));
            }
            if !seen.insert(script.name.as_str()) {
                return Err(format!(
                    "two scripts are named {:?}: they are served by file name",
                    script.name
                ));
            }
        }
        Ok(())
    }

    /// What the host layer reads from the page (`<meta name="opencti-pega">`):
    /// the adapter's name, the link definition as Pega passes it, and the
    /// request timeout.
    pub fn page_settings(&self) -> serde_json::Value {
        let link = &self.file.link;
        let properties: Vec<_> = link
            .custom_properties
            .iter()
            .map(|(name, value)| json!({ "pyPropertyName": name, "pyPropertyValue": value }))
            .collect();
        json!({
            "implementation": self.file.implementation,
            "timeoutMs": self.file.timeout_seconds * 1000,
            "linkDef": {
                "pyPrimaryHost": link.primary_host,
                "pyPrimaryPort": link.primary_port.map(|p| p.to_string()).unwrap_or_default(),
                "CustomProperties": properties,
            },
        })
    }

    /// The scripts' URLs, in loading order.
    pub fn script_urls(&self) -> Vec<String> {
        self.scripts
            .iter()
            .map(|s| format!("{SCRIPTS_PATH}/{}", s.name))
            .collect()
    }

    /// Where the adapter may connect (`connect-src`): its CTI link, over
    /// WebSocket or HTTP, plain or secure.
    pub fn connect_sources(&self) -> Vec<String> {
        let link = &self.file.link;
        match link.primary_port {
            Some(port) if !link.primary_host.is_empty() => ["ws", "wss", "http", "https"]
                .iter()
                .map(|scheme| format!("{scheme}://{}:{port}", link.primary_host))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// `GET /pega/{file}`: the adapter's scripts.
    pub fn routes(&self) -> Router {
        Router::new()
            .route(&format!("{SCRIPTS_PATH}/{{file}}"), get(script))
            .with_state(self.scripts.clone())
    }
}

/// The file name a script is served under.
fn script_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

async fn script(
    State(scripts): State<Arc<Vec<Script>>>,
    UrlPath(file): UrlPath<String>,
) -> Response {
    match scripts.iter().find(|s| s.name == file) {
        Some(script) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            script.body.to_string(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_configuration_gives_the_link_definition_in_pegas_shape_and_the_connect_sources() {
        let dir = tempfile::tempdir().unwrap();
        let dir_path = dir.path();
        write(
            dir_path,
            "acme.js",
            "pega.cti.desktopApi.Acme = function () {};",
        );
        let config = write(
            dir_path,
            "pega.toml",
            r#"
implementation = "Acme"
scripts = ["acme.js"]
timeout_seconds = 3
[link]
primary_host = "cti.example.com"
primary_port = 7443
[link.custom_properties]
tenant = "acme"
region = "eu"
"#,
        );
        let host = PegaHost::load(&config).unwrap();
        assert_eq!(
            host.page_settings(),
            json!({
                "implementation": "Acme",
                "timeoutMs": 3000,
                "linkDef": {
                    "pyPrimaryHost": "cti.example.com",
                    "pyPrimaryPort": "7443",
                    "CustomProperties": [
                        { "pyPropertyName": "region", "pyPropertyValue": "eu" },
                        { "pyPropertyName": "tenant", "pyPropertyValue": "acme" },
                    ],
                },
            })
        );
        assert_eq!(host.script_urls(), vec!["/pega/acme.js"]);
        assert_eq!(
            host.connect_sources(),
            vec![
                "ws://cti.example.com:7443",
                "wss://cti.example.com:7443",
                "http://cti.example.com:7443",
                "https://cti.example.com:7443",
            ]
        );
    }

    #[test]
    fn bad_configurations_stop_the_server_with_a_message_naming_the_place() {
        let dir = tempfile::tempdir().unwrap();
        let dir_path = dir.path();
        write(dir_path, "a.js", "");
        write(dir_path, "b", "");
        let cases = [
            (
                "implementation = \"not a name\"",
                "must be a JavaScript name",
            ),
            (
                "implementation = \"A\"\nscripts = [\"missing.js\"]",
                "missing.js",
            ),
            ("implementation = \"A\"\nscripts = [\"b\"]", "ending in .js"),
            (
                "implementation = \"A\"\nscripts = [\"a.js\", \"./a.js\"]",
                "two scripts",
            ),
            (
                "implementation = \"A\"\ntimeout_seconds = 0",
                "timeout_seconds",
            ),
            (
                "implementation = \"A\"\n[link]\nprimary_host = \"x\"",
                "primary_port",
            ),
            (
                "implementation = \"A\"\n[link]\nprimary_host = \"x y\"\nprimary_port = 1",
                "host name",
            ),
            ("implementation = \"A\"\ncolour = \"red\"", "unknown field"),
        ];
        for (text, expected) in cases {
            let config = write(dir_path, "pega.toml", text);
            let err = PegaHost::load(&config).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(err.contains("pega.toml"), "{text:?}: {err}");
        }
    }

    #[test]
    fn without_a_link_the_page_has_no_extra_connect_sources() {
        let dir = tempfile::tempdir().unwrap();
        let dir_path = dir.path();
        let config = write(dir_path, "pega.toml", "implementation = \"Local\"");
        let host = PegaHost::load(&config).unwrap();
        assert!(host.connect_sources().is_empty());
        assert_eq!(host.page_settings()["linkDef"]["pyPrimaryPort"], "");
    }
}
