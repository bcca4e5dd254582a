//! The browser runtime of the Interface: the active Implementation, the
//! listeners of published events, and the path every call takes
//! (check, then invoke).

use std::{cell::RefCell, future::Future, pin::Pin, rc::Rc};

use leptos::prelude::*;
use serde_json::Value;

use crate::{
    client::Cti,
    interface::{self, Declaration, Request},
    protocol::{OpenCtiError, events::OpenCtiEvent, native::Directory},
};

/// A boxed local future (browser futures are not `Send`).
pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// An OpenCTI Desktop Implementation: it turns Interface calls into its CTI
/// server's requests, and that server's events into OpenCTI events, which it
/// hands to [`publish`].
pub trait Implementation {
    fn declaration(&self) -> Declaration;
    /// Performs a call that already passed the Interface's checks.
    fn invoke(&self, cti: Cti, request: Request) -> LocalFuture<Result<Value, OpenCtiError>>;

    /// Transfer targets for the panel's directory; none unless the CTI
    /// server can list them.
    fn directory(&self) -> LocalFuture<Result<Directory, OpenCtiError>> {
        Box::pin(async {
            Ok(Directory {
                agents: vec![],
                queues: vec![],
            })
        })
    }
}

/// The active implementation's directory.
pub async fn directory() -> Result<Directory, OpenCtiError> {
    let implementation = RUNTIME.with(|r| r.borrow().implementation.clone());
    match implementation {
        Some(implementation) => implementation.directory().await,
        None => Ok(Directory {
            agents: vec![],
            queues: vec![],
        }),
    }
}

/// Something that wants every event the store applies (JS `on` callbacks,
/// the postMessage bridge).
pub type Listener = Rc<dyn Fn(&OpenCtiEvent)>;

#[derive(Default)]
struct Runtime {
    implementation: Option<Rc<dyn Implementation>>,
    listeners: Vec<(u64, Listener)>,
    next_listener: u64,
}

thread_local! {
    static RUNTIME: RefCell<Runtime> = RefCell::new(Runtime::default());
}

/// Makes `implementation` the active one.
pub fn use_implementation(cti: Cti, implementation: Rc<dyn Implementation>) {
    cti.declaration.set(implementation.declaration());
    RUNTIME.with(|r| r.borrow_mut().implementation = Some(implementation));
}

/// Registers a listener; returns its handle for [`unlisten`].
pub fn listen(listener: Listener) -> u64 {
    RUNTIME.with(|r| {
        let mut r = r.borrow_mut();
        r.next_listener += 1;
        let id = r.next_listener;
        r.listeners.push((id, listener));
        id
    })
}

pub fn unlisten(id: u64) {
    RUNTIME.with(|r| r.borrow_mut().listeners.retain(|(i, _)| *i != id));
}

/// Applies events to the store and tells the listeners. With `seq`, events
/// already applied (an old or repeated number) are dropped.
pub fn publish(cti: Cti, seq: Option<u64>, events: Vec<OpenCtiEvent>) {
    let mut applied = true;
    cti.store.update(|store| match seq {
        Some(seq) => applied = store.apply_numbered(seq, &events),
        None => events.iter().for_each(|e| store.apply(e)),
    });
    if !applied {
        return;
    }
    let listeners: Vec<Listener> = RUNTIME.with(|r| {
        r.borrow()
            .listeners
            .iter()
            .map(|(_, l)| l.clone())
            .collect()
    });
    for event in &events {
        for listener in &listeners {
            listener(event);
        }
    }
}

/// One Interface call: the local check against the store, then the active
/// Implementation.
pub async fn call(cti: Cti, request: Request) -> Result<Value, OpenCtiError> {
    let implementation = RUNTIME
        .with(|r| r.borrow().implementation.clone())
        .ok_or_else(|| {
            OpenCtiError::new(
                crate::protocol::ErrorCode::LinkDown,
                "no implementation is active",
            )
        })?;
    let declaration = cti.declaration.get_untracked();
    cti.store
        .with_untracked(|store| interface::check(store, &declaration, &request))?;
    implementation.invoke(cti, request).await
}
