//! The supervisor page's live feed (browser only): a socket on the relay
//! that subscribes with the supervisor's token (`Supervise`) and hands
//! each `Supervisor` frame to the page. A dropped socket comes back by
//! itself (1, 2, 4… up to 15 s apart); a refused token signs the page out.

use std::{cell::RefCell, rc::Rc};

use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::page::{Desk, FeedState};
use crate::{
    opencti::ErrorCode,
    wire::native::{ClientFrame, ServerFrame},
};

/// Longest pause between two reconnection attempts, in ms.
const MAX_RETRY_MS: u32 = 15_000;

/// The feed of one signed-in supervisor; [`FeedLink::stop`] ends it.
#[derive(Clone)]
pub struct FeedLink {
    inner: Rc<RefCell<Inner>>,
}

struct Inner {
    desk: Desk,
    token: String,
    socket: Option<WebSocket>,
    /// The socket's callbacks, alive as long as the socket.
    handlers: Vec<Box<dyn std::any::Any>>,
    attempt: u32,
    stopped: bool,
}

impl FeedLink {
    pub fn open(desk: Desk, token: String) -> Self {
        let link = Self {
            inner: Rc::new(RefCell::new(Inner {
                desk,
                token,
                socket: None,
                handlers: vec![],
                attempt: 0,
                stopped: false,
            })),
        };
        link.connect();
        link
    }

    pub fn stop(&self) {
        let mut inner = self.inner.borrow_mut();
        inner.stopped = true;
        if let Some(socket) = inner.socket.take() {
            socket.set_onclose(None);
            let _ = socket.close();
        }
        inner.handlers.clear();
    }

    fn connect(&self) {
        let Some(url) = socket_url() else {
            return;
        };
        let Ok(socket) = WebSocket::new(&url) else {
            self.retry();
            return;
        };
        let on_open = {
            let this = self.clone();
            Closure::<dyn FnMut()>::new(move || this.subscribe())
        };
        let on_message = {
            let this = self.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if let Some(text) = e.data().as_string() {
                    this.on_text(&text);
                }
            })
        };
        let on_close = {
            let this = self.clone();
            Closure::<dyn FnMut(CloseEvent)>::new(move |_: CloseEvent| this.on_close())
        };
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut inner = self.inner.borrow_mut();
        inner.handlers = vec![Box::new(on_open), Box::new(on_message), Box::new(on_close)];
        inner.socket = Some(socket);
    }

    fn subscribe(&self) {
        let inner = self.inner.borrow();
        let frame = ClientFrame::Supervise {
            id: "supervise".into(),
            token: inner.token.clone(),
        };
        if let (Some(socket), Ok(text)) = (&inner.socket, serde_json::to_string(&frame)) {
            let _ = socket.send_with_str(&text);
        }
    }

    fn on_text(&self, text: &str) {
        let Ok(frame) = serde_json::from_str::<ServerFrame>(text) else {
            return;
        };
        let desk = self.inner.borrow().desk;
        match frame {
            ServerFrame::Supervisor {
                snapshot,
                changes_only,
            } => {
                self.inner.borrow_mut().attempt = 0;
                desk.apply(snapshot, changes_only);
            }
            ServerFrame::Response {
                ok: false,
                error: Some(error),
                ..
            }
            | ServerFrame::Error { error }
                if error.err_code == ErrorCode::Unauthorized =>
            {
                self.stop();
                desk.signed_out();
            }
            _ => {}
        }
    }

    fn on_close(&self) {
        let desk = {
            let mut inner = self.inner.borrow_mut();
            inner.socket = None;
            if inner.stopped {
                return;
            }
            inner.desk
        };
        desk.feed.set(FeedState::Down);
        self.retry();
    }

    fn retry(&self) {
        let delay = {
            let mut inner = self.inner.borrow_mut();
            inner.attempt += 1;
            (1_000u32 << inner.attempt.min(4)).min(MAX_RETRY_MS) / 2
        };
        let this = self.clone();
        gloo_timers::callback::Timeout::new(delay, move || {
            if !this.inner.borrow().stopped {
                this.connect();
            }
        })
        .forget();
    }
}

/// The relay's address on this page's server.
fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let host = location.host().ok()?;
    let secure = location.protocol().ok()? == "https:";
    Some(format!("{}://{host}/ws", if secure { "wss" } else { "ws" }))
}
