//! The panel's handle on the Interface: the reactive store the components
//! render from, the active Implementation's declaration, and `call`, the one
//! way an action leaves the panel. Isomorphic: on the server it renders the
//! logged-out state; in the browser, `call` goes to [`crate::browser`].

use leptos::prelude::*;
use serde_json::Value;

use crate::{
    interface::{Declaration, Request, Store},
    protocol::{OpenCtiError, functions::Function},
};

/// Shared by every component through context.
#[derive(Clone, Copy)]
pub struct Cti {
    pub store: RwSignal<Store>,
    pub declaration: RwSignal<Declaration>,
    /// The latest failed action, shown as a toast until dismissed.
    pub problem: RwSignal<Option<OpenCtiError>>,
}

impl Cti {
    /// A logged-out store and the reference implementation's declaration.
    pub fn new() -> Self {
        Self {
            store: RwSignal::new(Store::default()),
            declaration: RwSignal::new(reference_declaration()),
            problem: RwSignal::new(None),
        }
    }

    /// The context's handle (panics outside the panel: a programming error).
    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// Whether the panel offers `function` now (capability and mode).
    pub fn offered(&self, function: Function) -> bool {
        let declaration = self.declaration.get();
        self.store
            .with(|s| crate::interface::offered(s, &declaration, function))
    }

    /// Runs an Interface call; on failure the toast shows its message.
    pub async fn call(self, request: Request) -> Result<Value, OpenCtiError> {
        let result = self.dispatch(request).await;
        if let Err(err) = &result {
            self.problem.set(Some(err.clone()));
        }
        result
    }

    /// Runs an Interface call from a button: fire and forget, errors go to the toast.
    pub fn act(self, request: Request) {
        #[cfg(feature = "hydrate")]
        wasm_bindgen_futures::spawn_local(async move {
            let _ = self.call(request).await;
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = request;
    }

    /// Transfer targets from the active implementation (none on the server).
    pub async fn directory(self) -> Result<crate::protocol::native::Directory, OpenCtiError> {
        #[cfg(feature = "hydrate")]
        return crate::browser::runtime::directory().await;
        #[cfg(not(feature = "hydrate"))]
        Ok(crate::protocol::native::Directory {
            agents: vec![],
            queues: vec![],
        })
    }

    #[cfg(feature = "hydrate")]
    async fn dispatch(self, request: Request) -> Result<Value, OpenCtiError> {
        crate::browser::runtime::call(self, request).await
    }

    #[cfg(not(feature = "hydrate"))]
    async fn dispatch(self, _request: Request) -> Result<Value, OpenCtiError> {
        Err(OpenCtiError::new(
            crate::protocol::ErrorCode::LinkDown,
            "the panel is not running in a browser",
        ))
    }
}

impl Default for Cti {
    fn default() -> Self {
        Self::new()
    }
}

/// The reference implementation supports every function.
pub fn reference_declaration() -> Declaration {
    Declaration {
        implementation: "reference".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        capabilities: Function::ALL
            .iter()
            .map(|f| f.js_name().to_string())
            .collect(),
    }
}
