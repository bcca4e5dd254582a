//! The JavaScript Implementation: an integrator plugs in any CTI server by
//! registering a plain object whose methods are the Interface functions
//! (each may return a Promise), and pushes that server's events with
//! `OpenCTI.publishEvent(event)`. A call resolves when the object's Promise
//! does: events published before that are applied by then (publishEvent
//! applies before it returns), which is the same guarantee the reference
//! Implementation gives.

use js_sys::{Array, Function, Object, Promise, Reflect};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{from_js, to_js};
use crate::{
    interface::{Implementation, LocalFuture, Request, request::parameters},
    opencti::{
        ErrorCode, OpenCtiError,
        directory::Directory,
        functions::{Declaration, Function as OpenCtiFunction},
    },
};

/// An integrator's object and what it declared.
pub struct JavaScript {
    object: Object,
    declaration: Declaration,
}

impl JavaScript {
    /// `useImplementation(object, declaration)`: the declaration
    /// `{version, capabilities, name?}` is the second argument, or else the
    /// object's own `version`, `capabilities` and `name` properties. With no
    /// `capabilities` anywhere, the Interface functions the object defines
    /// are its capabilities (implementations written before declarations).
    pub fn new(object: JsValue, declaration: JsValue) -> Result<Self, OpenCtiError> {
        let object: Object = object
            .dyn_into()
            .map_err(|_| OpenCtiError::bad_request("useImplementation needs an object"))?;
        let source: JsValue = if declaration.is_object() {
            declaration
        } else {
            object.clone().into()
        };
        let get = |key: &str| {
            Reflect::get(&source, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
        };
        let capabilities: Vec<String> = match from_js(&get("capabilities")) {
            Ok(Value::Array(items)) => items
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Ok(Value::Null) => OpenCtiFunction::ALL
                .iter()
                .map(|f| f.js_name())
                .filter(|name| {
                    Reflect::get(&object, &JsValue::from_str(name)).is_ok_and(|m| m.is_function())
                })
                .map(str::to_string)
                .collect(),
            _ => {
                return Err(OpenCtiError::bad_request(
                    "capabilities must be an array of the Interface functions the implementation supports",
                ));
            }
        };
        let version = get("version")
            .as_string()
            .unwrap_or_else(|| "unknown".into());
        let name = get("name")
            .as_string()
            .unwrap_or_else(|| "javascript".into());
        Ok(Self {
            object,
            declaration: Declaration {
                implementation: name,
                version,
                capabilities,
            },
        })
    }

    fn positional(request: &Request) -> Vec<JsValue> {
        let args = request_args(request);
        parameters(request.function())
            .iter()
            .map(|name| args.get(*name).map(to_js).unwrap_or(JsValue::UNDEFINED))
            .collect()
    }
}

/// A request's arguments keyed by their JavaScript parameter names.
fn request_args(request: &Request) -> serde_json::Map<String, Value> {
    use serde_json::json;
    let mut args = serde_json::Map::new();
    let mut set = |name: &str, value: Value| {
        if !value.is_null() {
            args.insert(name.to_string(), value);
        }
    };
    // The call ids fill the parameters that name calls, in order.
    let call_params = parameters(request.function())
        .iter()
        .filter(|p| p.to_ascii_lowercase().ends_with("callid"));
    for (name, id) in call_params.zip(request.call_ids()) {
        set(name, json!(id));
    }
    if let Some((destination, options)) = request.dial() {
        set("destination", json!(destination));
        if let Some(data) = &options.user_data {
            set("options", json!({ "userData": data }));
        }
    }
    match request {
        Request::Login {
            agent_id,
            password,
            extension,
            options,
        } => {
            set("agentId", json!(agent_id));
            set("password", json!(password));
            set("extension", json!(extension));
            set("options", json!({"telephonyMode": options.telephony_mode}));
        }
        Request::Logout { reason_code } => set("reasonCode", json!(reason_code)),
        Request::AgentReady { work_mode } => set("workMode", json!(work_mode)),
        Request::AgentNotReady {
            work_mode,
            reason_code,
        } => {
            set("workMode", json!(work_mode));
            set("reasonCode", json!(reason_code));
        }
        Request::SendDtmf { digits, .. } => set("digits", json!(digits)),
        Request::DropParty { party, .. } => set("party", json!(party)),
        Request::CompleteWrapUp { disposition, note } => {
            set("disposition", json!(disposition));
            set("note", json!(note));
        }
        _ => {}
    }
    args
}

/// A rejection from integrator code: its `{errCode, errMessage}` when it has
/// one (a code OpenCTI does not know, such as a vendor's own, becomes
/// `OPENCTI_CALL_REJECTED` with the vendor's code kept in the message),
/// else the thrown value's text.
fn rejection(value: JsValue) -> OpenCtiError {
    if let Some(err) = super::from_js(&value)
        .ok()
        .and_then(|json| serde_json::from_value::<OpenCtiError>(json).ok())
    {
        return err;
    }
    let field = |key: &str| {
        Reflect::get(&value, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
    };
    if let Some(code) = field("errCode") {
        let message = field("errMessage").unwrap_or_default();
        return OpenCtiError::new(
            ErrorCode::CallRejected,
            format!("{message} ({code})").trim_start().to_string(),
        );
    }
    let message = value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "the implementation refused the call".into());
    OpenCtiError::new(ErrorCode::CallRejected, message)
}

impl Implementation for JavaScript {
    fn declaration(&self) -> Declaration {
        self.declaration.clone()
    }

    fn invoke(&self, request: Request) -> LocalFuture<Result<Value, OpenCtiError>> {
        let name = request.function().js_name();
        let method = Reflect::get(&self.object, &JsValue::from_str(name))
            .ok()
            .and_then(|m| m.dyn_into::<Function>().ok());
        let args: Array = Self::positional(&request).into_iter().collect();
        let object = self.object.clone();
        let is_directory = matches!(request, Request::GetDirectory);
        Box::pin(async move {
            let method = method.ok_or_else(|| {
                OpenCtiError::new(
                    ErrorCode::NotSupported,
                    format!("the implementation has no {name} function"),
                )
            })?;
            let returned = method.apply(&object, &args).map_err(rejection)?;
            let settled = JsFuture::from(Promise::resolve(&returned))
                .await
                .map_err(rejection)?;
            let value = from_js(&settled).map_err(OpenCtiError::bad_request)?;
            if is_directory {
                // The panel reads only the OpenCTI shape: check it here.
                serde_json::from_value::<Directory>(value.clone()).map_err(|e| {
                    OpenCtiError::bad_request(format!("getDirectory resolved with {e}"))
                })?;
            }
            Ok(value)
        })
    }
}
