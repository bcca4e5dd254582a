//! OpenCTI Desktop Implementations that ship with the panel:
//! - [`reference`]: a WebSocket client of this project's relay; the only
//!   user of [`crate::wire`] in the browser.
//! - [`javascript`]: an integrator's object of Interface functions, for any
//!   CTI server reachable from JavaScript.
//!
//! Both run in the browser only; the entry point (`frontend`) installs them.

pub mod javascript;
pub mod reference;
pub mod softphone;
pub mod softphone_handle;

use wasm_bindgen::JsValue;

/// Converts a serde value to a plain JavaScript value (objects, not Maps).
///
/// Through JSON text and `JSON.parse`, not a serde serializer into
/// JavaScript values: the panel's types are then (de)serialized by one
/// format only, which keeps their code once in the wasm module.
pub fn to_js<T: serde::Serialize + ?Sized>(value: &T) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .unwrap_or(JsValue::NULL)
}

/// Converts a JavaScript value to JSON (`undefined` becomes `null`; a value
/// JSON cannot carry, such as a function or a cycle, is an error).
pub fn from_js(value: &JsValue) -> Result<serde_json::Value, String> {
    if value.is_undefined() {
        return Ok(serde_json::Value::Null);
    }
    let text = js_sys::JSON::stringify(value)
        .map_err(|err| format!("{err:?}"))?
        .as_string()
        .ok_or_else(|| "not a JSON value".to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}
