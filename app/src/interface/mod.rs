//! The OpenCTI Desktop Interface: the fixed set of functions that the panel,
//! `window.OpenCTI` and the postMessage bridge call. [`Interface`] owns the
//! one state store, the active Implementation with its declaration, and the
//! listeners of applied events; [`Interface::call`] is the only way an action
//! leaves the panel. It checks each call locally first (capabilities, then
//! the [rules](crate::opencti::rules) and input validation), so a bad click
//! never reaches an Implementation.

pub mod audio;
pub mod conversation;
mod implementation;
pub mod request;
mod runtime;
pub mod store;

pub use implementation::{EventSink, Implementation, LocalFuture};
pub use request::Request;
pub use store::Store;

use std::rc::Rc;

use leptos::prelude::*;
use serde_json::Value;

use crate::opencti::{
    ErrorCode, OpenCtiError,
    directory::Directory,
    events::OpenCtiEvent,
    functions::{Declaration, Function},
    rules::{self, Action},
    validate,
};

/// Something that wants every event the store applies (`OpenCTI.on`
/// callbacks, the postMessage bridge, the alerts).
pub type Listener = Rc<dyn Fn(&OpenCtiEvent)>;

/// The Interface. A cheap handle (`Copy`), shared through Leptos context.
/// One per page: its active Implementation and listeners live in a
/// thread-local of this module (wasm is single-threaded), its store and
/// declaration in signals the panel renders from.
#[derive(Clone, Copy)]
pub struct Interface {
    store: RwSignal<Store>,
    audio: RwSignal<audio::AudioState>,
    declaration: RwSignal<Declaration>,
    problem: RwSignal<Option<OpenCtiError>>,
}

impl Default for Interface {
    fn default() -> Self {
        Self::new()
    }
}

impl Interface {
    /// A logged-out store and no Implementation (until one is installed).
    pub fn new() -> Self {
        Self {
            store: RwSignal::new(Store::default()),
            audio: RwSignal::new(audio::AudioState::default()),
            declaration: RwSignal::new(Declaration::none()),
            problem: RwSignal::new(None),
        }
    }

    /// The page's Interface: the one the entry point provided, or a new one
    /// (server rendering).
    pub fn use_or_provide() -> Self {
        use_context::<Self>().unwrap_or_else(|| {
            let interface = Self::new();
            provide_context(interface);
            interface
        })
    }

    /// The context's Interface (panics outside the panel: a programming error).
    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// The store, for rendering.
    pub fn store(&self) -> ReadSignal<Store> {
        self.store.read_only()
    }

    /// The softphone's state (meaningful only with [`Interface::softphone`]).
    pub fn audio(&self) -> ReadSignal<audio::AudioState> {
        self.audio.read_only()
    }

    /// The active Implementation's softphone, if it declares `audio`.
    pub fn softphone(&self) -> Option<Rc<dyn audio::Softphone>> {
        let declared = self
            .declaration
            .with_untracked(|d| d.capabilities.iter().any(|c| c == audio::AUDIO_CAPABILITY));
        declared
            .then(runtime::implementation)
            .flatten()
            .and_then(|i| i.softphone())
    }

    /// The active Implementation's declaration (`getCapabilities()`).
    pub fn declaration(&self) -> ReadSignal<Declaration> {
        self.declaration.read_only()
    }

    /// The latest failed call, until [`Interface::dismiss_problem`].
    pub fn problem(&self) -> ReadSignal<Option<OpenCtiError>> {
        self.problem.read_only()
    }

    pub fn dismiss_problem(&self) {
        self.problem.set(None);
    }

    /// Makes `implementation` the active one.
    pub fn use_implementation(&self, implementation: Rc<dyn Implementation>) {
        self.declaration.set(implementation.declaration());
        runtime::set_implementation(implementation);
    }

    /// The narrow handle an Implementation publishes through.
    pub fn sink(&self) -> EventSink {
        EventSink::new(*self)
    }

    /// Registers a listener of applied events; returns its handle.
    pub fn listen(&self, listener: Listener) -> u64 {
        runtime::listen(listener)
    }

    pub fn unlisten(&self, id: u64) {
        runtime::unlisten(id);
    }

    /// The store as a SnapshotEvent (`getState()`), untracked.
    pub fn state_event(&self) -> OpenCtiEvent {
        self.store.with_untracked(Store::state_event)
    }

    /// Applies events to the store, then tells the listeners.
    pub(crate) fn apply(&self, events: Vec<OpenCtiEvent>) {
        self.store
            .update(|store| events.iter().for_each(|e| store.apply(e)));
        let listeners = runtime::listeners();
        for event in &events {
            for listener in &listeners {
                listener(event);
            }
        }
    }

    /// Whether the panel offers `function` at all: the Implementation
    /// supports it and the agent's telephony mode allows it (reactive).
    pub fn offered(&self, function: Function) -> bool {
        self.declaration.with(|d| d.supports(function))
            && self
                .store
                .with(|s| !s.logged_in() || s.telephony_mode.allows(function))
    }

    /// Whether `action` is allowed now (reactive): the panel enables its
    /// button with this.
    pub fn permits(&self, action: Action<'_>) -> bool {
        self.declaration.with(|d| d.supports(action.function))
            && self.store.with(|s| rules::allows(action, &s.view()))
    }

    /// The local check of a call: capabilities first, then the rules, then
    /// the arguments.
    pub fn check(&self, request: &Request) -> Result<(), OpenCtiError> {
        let function = request.function();
        self.declaration.with_untracked(|d| d.check(function))?;
        let calls = request.call_ids();
        let action = Action {
            function,
            calls: &calls,
            reason: request.reason(),
        };
        self.store
            .with_untracked(|s| rules::check(action, &s.view()))?;
        validate_arguments(request)
    }

    /// Runs an Interface call: the local check, then the active
    /// Implementation. `login` resolves with the SnapshotEvent the store then
    /// holds. A failure is also kept for the panel's toast.
    pub async fn call(self, request: Request) -> Result<Value, OpenCtiError> {
        let result = self.run(request).await;
        if let Err(err) = &result {
            let _ = self.problem.try_set(Some(err.clone()));
        }
        result
    }

    async fn run(self, request: Request) -> Result<Value, OpenCtiError> {
        self.check(&request)?;
        let implementation = runtime::implementation()
            .ok_or_else(|| OpenCtiError::new(ErrorCode::LinkDown, "no implementation is active"))?;
        let is_login = matches!(request, Request::Login { .. });
        let value = implementation.invoke(request).await?;
        if is_login {
            // The server's version may only be known now.
            self.declaration.set(implementation.declaration());
            return serde_json::to_value(self.state_event())
                .map_err(|e| OpenCtiError::bad_request(e.to_string()));
        }
        Ok(value)
    }

    /// Runs an Interface call from a button: errors go to the toast.
    pub fn act(self, request: Request) {
        leptos::task::spawn_local(async move {
            let _ = self.call(request).await;
        });
    }

    /// `getDirectory()`, typed for the panel's directory.
    pub async fn directory(self) -> Result<Directory, OpenCtiError> {
        let value = self.call(Request::GetDirectory).await?;
        serde_json::from_value(value)
            .map_err(|e| OpenCtiError::bad_request(format!("getDirectory: {e}")))
    }
}

/// Checks of the arguments themselves (numbers, digits, attached data).
fn validate_arguments(request: &Request) -> Result<(), OpenCtiError> {
    if let Some((destination, options)) = request.dial() {
        validate::destination(destination)?;
        if let Some(data) = &options.user_data {
            validate::user_data(data)?;
        }
    }
    if let Request::SendDtmf { digits, .. } = request {
        validate::dtmf(digits)?;
    }
    Ok(())
}
