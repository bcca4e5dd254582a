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
pub fn to_js<T: serde::Serialize + ?Sized>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// Converts a JavaScript value to JSON (`undefined` becomes `null`).
pub fn from_js(value: &JsValue) -> Result<serde_json::Value, String> {
    if value.is_undefined() {
        return Ok(serde_json::Value::Null);
    }
    serde_wasm_bindgen::from_value(value.clone()).map_err(|e| e.to_string())
}
