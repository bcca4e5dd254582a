//! `window.OpenCTI`: every Interface function under its JavaScript name
//! (each returns a Promise that resolves with the result or rejects with a
//! plain `{errCode, errMessage}` object, never throwing), `on`/`off`,
//! `getState`, `getCapabilities`, `useImplementation` and `publishEvent`.
//! Installed once the panel has hydrated and can take commands; then the
//! window gets the DOM event [`INSTALLED_EVENT`], synchronously, so that a
//! script of the page (the Pega host layer) can choose the Implementation
//! before anything else can call the Interface.

use std::{cell::RefCell, rc::Rc};

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::future_to_promise;

use app::{
    implementations::{from_js, javascript::JavaScript, to_js},
    interface::{Interface, Request},
    opencti::{OpenCtiError, events::OpenCtiEvent, functions},
};
use leptos::prelude::*;

/// The event dispatched on `window` once `window.OpenCTI` is defined.
pub const INSTALLED_EVENT: &str = "opencti:installed";

fn reject(err: &OpenCtiError) -> Promise {
    Promise::reject(&to_js(err))
}

/// Calls an Interface function from positional JavaScript arguments.
fn dispatch(interface: Interface, name: &str, args: Vec<JsValue>) -> Promise {
    let values: Result<Vec<serde_json::Value>, String> = args.iter().map(from_js).collect();
    let request = values
        .map_err(|e| OpenCtiError::bad_request(format!("{name}: {e}")))
        .and_then(|values| Request::from_positional(name, values));
    let request = match request {
        Ok(request) => request,
        Err(err) => return reject(&err),
    };
    future_to_promise(async move {
        match interface.call(request).await {
            Ok(value) => Ok(to_js(&value)),
            Err(err) => Err(to_js(&err)),
        }
    })
}

/// `publishEvent(event)`: applies a valid OpenCTI event before returning; an
/// invalid one is logged with `console.error` and rejected.
fn publish_event(interface: Interface, event: JsValue) -> Promise {
    let parsed = from_js(&event)
        .and_then(|v| serde_json::from_value::<OpenCtiEvent>(v).map_err(|e| e.to_string()));
    match parsed {
        Ok(event) => {
            interface.sink().publish(vec![event]);
            Promise::resolve(&JsValue::NULL)
        }
        Err(message) => {
            let err = OpenCtiError::bad_request(format!("invalid OpenCTI event: {message}"));
            web_sys::console::error_2(
                &JsValue::from_str(&format!("OpenCTI.publishEvent: {}", err.err_message)),
                &event,
            );
            reject(&err)
        }
    }
}

/// Installs `window.OpenCTI` (once).
pub fn install(interface: Interface) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if Reflect::has(&window, &JsValue::from_str("OpenCTI")).unwrap_or(false) {
        return;
    }
    let api = Object::new();
    let set = |key: &str, value: &JsValue| {
        let _ = Reflect::set(&api, &JsValue::from_str(key), value);
    };

    // One closure per function. JavaScript passes missing arguments as
    // `undefined`, which are trimmed from the end, so `holdCall(id)` and
    // `holdCall(id, extra)` reach the checks as one and two arguments. (No
    // `new Function`: the page's Content-Security-Policy forbids eval.)
    for function in functions::Function::ALL {
        let name = function.js_name();
        let call = Closure::<dyn Fn(JsValue, JsValue, JsValue, JsValue, JsValue) -> Promise>::new(
            move |a: JsValue, b: JsValue, c: JsValue, d: JsValue, e: JsValue| {
                let mut args = vec![a, b, c, d, e];
                while args.last().is_some_and(JsValue::is_undefined) {
                    args.pop();
                }
                dispatch(interface, name, args)
            },
        );
        set(name, call.as_ref());
        call.forget();
    }

    let get_state = Closure::<dyn Fn() -> JsValue>::new(move || to_js(&interface.state_event()));
    set("getState", get_state.as_ref());
    get_state.forget();

    let get_capabilities = Closure::<dyn Fn() -> JsValue>::new(move || {
        to_js(&interface.declaration().get_untracked())
    });
    set("getCapabilities", get_capabilities.as_ref());
    get_capabilities.forget();

    let publish = Closure::<dyn Fn(JsValue) -> Promise>::new(move |event: JsValue| {
        publish_event(interface, event)
    });
    set("publishEvent", publish.as_ref());
    publish.forget();

    let use_implementation = Closure::<dyn Fn(JsValue, JsValue) -> Promise>::new(
        move |object: JsValue, declaration: JsValue| match JavaScript::new(object, declaration) {
            Ok(implementation) => {
                interface.use_implementation(Rc::new(implementation));
                Promise::resolve(&to_js(&interface.declaration().get_untracked()))
            }
            Err(err) => reject(&err),
        },
    );
    set("useImplementation", use_implementation.as_ref());
    use_implementation.forget();

    // on/off: callbacks by pyEventType or "*".
    let subscriptions: Rc<RefCell<Vec<(String, Function, u64)>>> = Rc::default();
    let on = {
        let subscriptions = subscriptions.clone();
        Closure::<dyn Fn(String, JsValue)>::new(move |event_type: String, callback: JsValue| {
            let Ok(callback) = callback.dyn_into::<Function>() else {
                web_sys::console::error_1(&"OpenCTI.on: the callback must be a function".into());
                return;
            };
            let filter = event_type.clone();
            let target = callback.clone();
            let id = interface.listen(Rc::new(move |event: &OpenCtiEvent| {
                if (filter == "*" || filter == event.event_type())
                    && let Err(err) = target.call1(&JsValue::NULL, &to_js(event))
                {
                    web_sys::console::error_2(&"OpenCTI: an event callback threw".into(), &err);
                }
            }));
            subscriptions.borrow_mut().push((event_type, callback, id));
        })
    };
    set("on", on.as_ref());
    on.forget();
    let off =
        Closure::<dyn Fn(String, JsValue)>::new(move |event_type: String, callback: JsValue| {
            subscriptions.borrow_mut().retain(|(t, f, id)| {
                let same = *t == event_type && Object::is(f, &callback);
                if same {
                    interface.unlisten(*id);
                }
                !same
            });
        });
    set("off", off.as_ref());
    off.forget();

    let _ = Reflect::set(&window, &JsValue::from_str("OpenCTI"), &api);
    if let Ok(event) = web_sys::Event::new(INSTALLED_EVENT) {
        let _ = window.dispatch_event(&event);
    }
}
