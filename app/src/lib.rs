#![recursion_limit = "256"]
//! The isomorphic part of the Call Control Panel, one module per layer of
//! the OpenCTI architecture (docs/architecture.md), every import pointing
//! down the list:
//!
//! - [`panel`]: the Call Control Panel's views (rendered on the server,
//!   hydrated in the browser); they read the Interface's store and act only
//!   through the Interface.
//! - [`supervisor`]: the supervisor's page and the figures it shares with
//!   the server (it talks to the server's supervisor API, not through the
//!   Interface: a supervisor is no agent).
//! - [`implementations`]: the reference and JavaScript Implementations
//!   (browser only; the entry point installs them).
//! - [`interface`]: the OpenCTI Desktop Interface: store, active
//!   Implementation, listeners, local checks.
//! - [`wire`]: the reference adapter's native wire and its conversion to
//!   OpenCTI (server and reference Implementation only).
//! - [`opencti`]: OpenCTI itself: events, functions, errors, rules.

pub mod implementations;
pub mod interface;
pub mod languages;
pub mod opencti;
pub mod panel;
pub mod supervisor;
pub mod wire;

use languages::Locale;
use leptos::prelude::*;
use leptos_i18n::td_string;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    Lazy, StaticSegment,
    components::{Route, Router, Routes},
};
use panel::Panel;

/// The name cargo-leptos gives the generated JS, wasm and CSS files
/// (`[[workspace.metadata.leptos]] name`); the server needs it to link them.
pub const OUTPUT_NAME: &str = "ccp";

/// The name of the `<meta>` that carries the embedding allowlist (space
/// separated origins) from the server to the panel's postMessage bridge.
pub const ALLOWED_ORIGINS_META: &str = "opencti-allowed-origins";

/// The name of the `<meta>` that names the Pega Call adapter the panel
/// starts with (JSON: `implementation`, `linkDef`, `timeoutMs`), read by
/// `/opencti-pega.js`; the entry point then installs no reference
/// Implementation.
pub const PEGA_META: &str = "opencti-pega";

/// The Pega host layer (docs/integrating.md), loaded by every page so that
/// `OpenCTI.usePegaImplementation` is always there.
pub const PEGA_HOST_SCRIPT: &str = "/opencti-pega.js";

/// What the server puts into every page around the app.
#[derive(Debug, Clone, Default)]
pub struct PageSettings {
    /// The embedding allowlist.
    pub allowed_origins: Vec<String>,
    /// The configured Pega adapter: its settings (JSON) and its scripts'
    /// URLs, loaded in order after the host layer and before hydration.
    pub pega: Option<(String, Vec<String>)>,
}

/// The HTML document around the app, with default settings (error pages).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    shell_with(options, PageSettings::default())
}

/// The HTML document around the app; only the server renders it. The
/// allowlist goes into a `<meta>` the browser reads after hydration; the
/// page's language into `<html lang dir>`, where hydration reads it back.
/// Scripts marked `defer` run in document order before the hydration
/// module (module scripts are deferred too), so a configured adapter is
/// registered before the panel starts.
pub fn shell_with(options: LeptosOptions, settings: PageSettings) -> impl IntoView {
    let origins = settings.allowed_origins.join(" ");
    let (pega, adapter_scripts) = settings.pega.unzip();
    let adapter_scripts = adapter_scripts
        .unwrap_or_default()
        .into_iter()
        .map(|src| view! { <script defer src=src></script> })
        .collect::<Vec<_>>();
    let locale = page_locale();
    provide_context(locale);
    view! {
        <!DOCTYPE html>
        <html lang=locale.to_string() dir=languages::direction(locale)>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <meta name=ALLOWED_ORIGINS_META content=origins/>
                {pega.map(|settings| view! { <meta name=PEGA_META content=settings/> })}
                <script defer src=PEGA_HOST_SCRIPT></script>
                {adapter_scripts}
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The language of the page being rendered (server only): from the request,
/// and the response says it depends on `Accept-Language`.
#[cfg(feature = "ssr")]
fn page_locale() -> Locale {
    use http::header::{ACCEPT_LANGUAGE, VARY};
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.append_header(
            VARY,
            http::HeaderValue::from_static(ACCEPT_LANGUAGE.as_str()),
        );
    }
    use_context::<http::request::Parts>()
        .map(|parts| languages::for_request(&parts))
        .unwrap_or_default()
}

#[cfg(not(feature = "ssr"))]
fn page_locale() -> Locale {
    Locale::default()
}

/// The root component: `/` is the standalone softphone, `/embed` the same
/// panel without page chrome for iframes, `/supervisor` the supervisor's
/// view of agents and queues.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // The shell provided it on the server; the browser reads `<html lang>`.
    let locale = use_context::<Locale>()
        .or_else(languages::from_document)
        .unwrap_or_default();
    provide_context(locale);
    view! {
        <Stylesheet id="leptos" href=format!("/pkg/{OUTPUT_NAME}.css")/>
        <Title text=td_string!(locale, page.title)/>
        <Router>
            <Routes fallback=move || td_string!(locale, page.not_found).into_view()>
                <Route path=StaticSegment("") view=Standalone/>
                <Route path=StaticSegment("embed") view=Embedded/>
                <Route path=StaticSegment("supervisor") view={Lazy::<supervisor::page::SupervisorRoute>::new()}/>
            </Routes>
        </Router>
    }
}

/// `/`: the panel in a full window, under a header.
#[component]
fn Standalone() -> impl IntoView {
    let locale = languages::use_locale();
    view! {
        <div class="page">
            <header class="page-header">
                <span class="brand">"OpenCTI"</span>
                <span class="page-title">{td_string!(locale, page.title)}</span>
            </header>
            <main class="page-main"><Panel/></main>
        </div>
    }
}

/// `/embed`: the panel alone, filling an iframe.
#[component]
fn Embedded() -> impl IntoView {
    view! { <main class="embed"><Panel/></main> }
}
