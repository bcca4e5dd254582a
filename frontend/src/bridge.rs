//! The postMessage bridge between the panel and a host page (DESIGN.md §7,
//! §9): commands in (`opencti:call`, `opencti:clickToDial`), results and
//! events out (`opencti:result`, `opencti:event`, `opencti:ready`). Only the
//! origins of the server's embedding allowlist (plus the panel's own) are
//! answered or posted to — never `*`.

use std::{cell::RefCell, collections::HashSet, rc::Rc};

use js_sys::{Object, Reflect};
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::MessageEvent;

use app::{
    ALLOWED_ORIGINS_META,
    implementations::{from_js, to_js},
    interface::{Interface, Request},
    opencti::{OpenCtiError, events::OpenCtiEvent},
};

/// The allowlist the server rendered into the page, plus the page's own origin.
fn allowed_origins() -> Vec<String> {
    let window = web_sys::window();
    let mut origins: Vec<String> = window
        .as_ref()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(&format!("meta[name=\"{ALLOWED_ORIGINS_META}\"]"))
                .ok()
                .flatten()
        })
        .and_then(|meta| meta.get_attribute("content"))
        .map(|content| content.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    if let Some(own) = window.and_then(|w| w.location().origin().ok()) {
        origins.push(own);
    }
    origins.dedup();
    origins
}

/// The window that embeds or opened the panel, if any. Hosts are
/// cross-origin WindowProxy objects, so they are handled as plain values
/// (a `Window` method of this realm cannot be called on them).
fn host_window() -> Option<JsValue> {
    let window = web_sys::window()?;
    let parent = Reflect::get(&window, &"parent".into())
        .ok()
        .filter(|p| !Object::is(p, &window));
    parent
        .or_else(|| Reflect::get(&window, &"opener".into()).ok())
        .filter(JsValue::is_object)
}

/// `target.postMessage(message, origin)` through the target's own method.
fn post(target: &JsValue, message: &JsValue, origin: &str) {
    let method = Reflect::get(target, &"postMessage".into())
        .ok()
        .filter(JsValue::is_function)
        // From another realm `instanceof Function` fails: cast unchecked.
        .map(JsCast::unchecked_into::<js_sys::Function>);
    match method {
        Some(method) => {
            if let Err(err) = method.call2(target, message, &JsValue::from_str(origin)) {
                web_sys::console::warn_2(&"OpenCTI: cannot post to the host".into(), &err);
            }
        }
        None => web_sys::console::warn_1(&"OpenCTI: the host window has no postMessage".into()),
    }
}

/// Posts `message` to the host once per allowed origin, so that the browser
/// delivers only the copy whose target origin matches the host's.
fn broadcast(origins: &[String], message: &JsValue) {
    if let Some(host) = host_window() {
        for origin in origins {
            post(&host, message, origin);
        }
    }
}

fn result(id: &Value, outcome: Result<Value, OpenCtiError>) -> JsValue {
    to_js(&match outcome {
        Ok(value) => json!({"type": "opencti:result", "id": id, "ok": true, "value": value}),
        Err(error) => json!({"type": "opencti:result", "id": id, "ok": false, "error": error}),
    })
}

/// Starts the bridge: answers allowed hosts' commands, forwards every applied
/// event, and announces `opencti:ready`.
pub fn install(interface: Interface) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let origins = Rc::new(allowed_origins());
    let warned: Rc<RefCell<HashSet<String>>> = Rc::default();

    let on_message = {
        let origins = origins.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            let origin = event.origin();
            let Ok(message) = from_js(&event.data()) else {
                return;
            };
            let is_ours = message
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with("opencti:"));
            if !is_ours
                || matches!(
                    message["type"].as_str(),
                    Some("opencti:result" | "opencti:event" | "opencti:ready")
                )
            {
                return;
            }
            if !origins.contains(&origin) {
                if warned.borrow_mut().insert(origin.clone()) {
                    web_sys::console::warn_1(
                        &format!("OpenCTI: ignored messages from {origin}: not an allowed origin")
                            .into(),
                    );
                }
                return;
            }
            // A cross-origin WindowProxy: kept as a plain value (see `post`).
            let Some(source) = Reflect::get(&event, &"source".into())
                .ok()
                .filter(JsValue::is_object)
            else {
                web_sys::console::warn_1(&"OpenCTI: a message without a source window".into());
                return;
            };
            let id = message.get("id").cloned().unwrap_or(Value::Null);
            match Request::from_host_message(&message) {
                Ok(request) => wasm_bindgen_futures::spawn_local(async move {
                    let outcome = interface.call(request).await;
                    post(&source, &result(&id, outcome), &origin);
                }),
                Err(err) => post(&source, &result(&id, Err(err)), &origin),
            }
        })
    };
    let _ = window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    on_message.forget();

    if host_window().is_none() {
        return;
    }
    {
        let origins = origins.clone();
        interface.listen(Rc::new(move |event: &OpenCtiEvent| {
            let message = Object::new();
            let _ = Reflect::set(&message, &"type".into(), &"opencti:event".into());
            let _ = Reflect::set(&message, &"event".into(), &to_js(event));
            broadcast(&origins, &message);
        }));
    }
    broadcast(&origins, &to_js(&json!({"type": "opencti:ready"})));
}
