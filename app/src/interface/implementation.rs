//! What an OpenCTI Desktop Implementation is to the Interface: something that
//! performs checked calls, and publishes its CTI server's events, converted
//! to OpenCTI, through an [`EventSink`].

use std::{future::Future, pin::Pin, rc::Rc};

use leptos::prelude::*;
use serde_json::Value;

use super::{
    Interface, Request,
    audio::{AudioState, Softphone},
};
use crate::opencti::{
    OpenCtiError,
    events::{LinkState, OpenCtiEvent},
    functions::Declaration,
};

/// A boxed local future (browser futures are not `Send`).
pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// An OpenCTI Desktop Implementation.
pub trait Implementation {
    fn declaration(&self) -> Declaration;

    /// Performs a call that passed the Interface's checks. The future
    /// resolves once every event the call caused has been published, so a
    /// dependent call can follow at once. `login` publishes the agent's
    /// SnapshotEvent before it resolves.
    fn invoke(&self, request: Request) -> LocalFuture<Result<Value, OpenCtiError>>;

    /// Its softphone, when it carries call audio (and declares `audio`).
    fn softphone(&self) -> Option<Rc<dyn Softphone>> {
        None
    }
}

/// The one way an Implementation changes what the panel shows: it publishes
/// OpenCTI events and its link state. It cannot read or write the store.
#[derive(Clone, Copy)]
pub struct EventSink {
    interface: Interface,
}

impl EventSink {
    pub(super) fn new(interface: Interface) -> Self {
        Self { interface }
    }

    /// Reports what the softphone is doing.
    pub fn audio(&self, state: AudioState) {
        self.interface.audio.set(state);
    }

    /// Reads what the softphone last reported.
    pub fn read_audio<T>(&self, read: impl FnOnce(&AudioState) -> T) -> T {
        self.interface.audio.with_untracked(read)
    }

    /// Changes what the softphone reports, in place.
    pub fn update_audio(&self, change: impl FnOnce(&mut AudioState)) {
        self.interface.audio.update(change);
    }

    /// Says again what the Implementation supports (`getCapabilities()`),
    /// when its session changed it (a desk phone has no softphone).
    pub fn declare(&self, declaration: crate::opencti::functions::Declaration) {
        self.interface.declaration.set(declaration);
    }

    /// Applies the events to the store and tells the listeners.
    pub fn publish(&self, events: Vec<OpenCtiEvent>) {
        if !events.is_empty() {
            self.interface.apply(events);
        }
    }

    /// Reports the link to the CTI server. While an agent is logged in, a
    /// change is published as a SnapshotEvent with the new `pyLinkState`, as
    /// OpenCTI reports it.
    pub fn link_state(&self, state: LinkState) {
        let snapshot = self.interface.store.with_untracked(|s| {
            (s.logged_in() && s.link_state != state).then(|| {
                let mut snapshot = s.snapshot();
                snapshot.link_state = state;
                snapshot
            })
        });
        if let Some(snapshot) = snapshot {
            self.publish(vec![OpenCtiEvent::SnapshotEvent(snapshot)]);
        }
    }
}
