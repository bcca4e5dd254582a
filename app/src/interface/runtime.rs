//! The browser-side half of the [`Interface`](super::Interface): the active
//! Implementation and the listeners. They hold JavaScript objects, which are
//! neither `Send` nor `Sync`, so they live in a thread-local (the page's wasm
//! runs on one thread) that only the Interface touches.

use std::{cell::RefCell, rc::Rc};

use super::{Implementation, Listener};

#[derive(Default)]
struct Runtime {
    implementation: Option<Rc<dyn Implementation>>,
    listeners: Vec<(u64, Listener)>,
    next_listener: u64,
}

thread_local! {
    static RUNTIME: RefCell<Runtime> = RefCell::new(Runtime::default());
}

pub fn set_implementation(implementation: Rc<dyn Implementation>) {
    RUNTIME.with(|r| r.borrow_mut().implementation = Some(implementation));
}

pub fn implementation() -> Option<Rc<dyn Implementation>> {
    RUNTIME.with(|r| r.borrow().implementation.clone())
}

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

/// The listeners now (a copy: a listener may add or remove listeners).
pub fn listeners() -> Vec<Listener> {
    RUNTIME.with(|r| {
        r.borrow()
            .listeners
            .iter()
            .map(|(_, l)| l.clone())
            .collect()
    })
}
