//! Browser-only parts of the Interface (compiled with the `hydrate`
//! feature): the runtime that holds the active Implementation, the two
//! Implementations, and the `window.OpenCTI` JavaScript API.

pub mod alerts;
pub mod bridge;
pub mod javascript;
pub mod js_api;
pub mod reference;
pub mod runtime;

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
