//! `--pega-config`: the page loads the Pega host layer and the configured
//! adapter's scripts (served from the panel's own origin) before hydration,
//! carries the adapter's settings and link definition, and may connect to
//! the adapter's CTI link; a configuration that cannot work stops the start.

use clap::Parser;
use server::config::Cli;

use crate::common::TestServer;

fn configuration(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::write(
        dir.join("acme-cti.js"),
        "pega.cti.desktopApi.AcmeCti = function () {};\n",
    )
    .unwrap();
    let path = dir.join("pega.toml");
    std::fs::write(
        &path,
        r#"
implementation = "AcmeCti"
scripts = ["acme-cti.js"]
timeout_seconds = 2
[link]
primary_host = "127.0.0.1"
primary_port = 4999
[link.custom_properties]
tenant = "acme"
"#,
    )
    .unwrap();
    path
}

#[tokio::test]
async fn the_page_starts_the_configured_adapter_and_may_reach_its_cti_link() {
    let dir = tempfile::tempdir().unwrap();
    let config = configuration(dir.path());
    let server = TestServer::start(&["--pega-config", config.to_str().unwrap()]).await;
    let page = server.http().get(server.url("/")).send().await.unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("connect-src 'self' ws://127.0.0.1:4999 wss://127.0.0.1:4999"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    let host = html.find(r#"<script defer src="/opencti-pega.js"></script>"#);
    let adapter = html.find(r#"<script defer src="/pega/acme-cti.js"></script>"#);
    let hydration = html.find(r#"<script type="module""#);
    assert!(
        matches!((host, adapter, hydration), (Some(h), Some(a), Some(m)) if h < a && a < m),
        "host layer, then the adapter, then hydration: {html}"
    );
    let settings = html
        .split(r#"<meta name="opencti-pega" content=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the adapter's settings");
    let settings: serde_json::Value =
        serde_json::from_str(&settings.replace("&quot;", "\"").replace("&amp;", "&")).unwrap();
    assert_eq!(
        settings,
        serde_json::json!({
            "implementation": "AcmeCti",
            "timeoutMs": 2000,
            "linkDef": {
                "pyPrimaryHost": "127.0.0.1",
                "pyPrimaryPort": "4999",
                "CustomProperties": [{"pyPropertyName": "tenant", "pyPropertyValue": "acme"}],
            },
        })
    );

    let script = server
        .http()
        .get(server.url("/pega/acme-cti.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(script.text().await.unwrap().contains("desktopApi.AcmeCti"));
    let other = server
        .http()
        .get(server.url("/pega/other.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn without_a_configuration_the_page_has_the_host_layer_only() {
    let server = TestServer::start(&[]).await;
    let page = server.http().get(server.url("/")).send().await.unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("connect-src 'self';"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<script defer src="/opencti-pega.js"></script>"#));
    assert!(!html.contains("opencti-pega\" content"));
    assert!(!html.contains("/pega/"));
}

#[tokio::test]
async fn a_missing_adapter_script_stops_the_start_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = configuration(dir.path());
    std::fs::remove_file(dir.path().join("acme-cti.js")).unwrap();
    let cli = Cli::try_parse_from([
        "server",
        "--database",
        "sqlite::memory:",
        "--pega-config",
        config.to_str().unwrap(),
    ])
    .unwrap();
    let local = "127.0.0.1:0".parse().unwrap();
    let err = server::app_router(&cli.serve, local)
        .await
        .err()
        .expect("the start is refused")
        .to_string();
    assert!(
        err.contains("acme-cti.js") && err.contains("pega.toml"),
        "{err}"
    );
}
