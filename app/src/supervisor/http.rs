//! The supervisor API from the page (browser only): JSON in, JSON out,
//! every refusal as the server's OpenCTI error.

use serde::{Serialize, de::DeserializeOwned};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::opencti::{ErrorCode, OpenCtiError};

fn unreachable_server() -> OpenCtiError {
    OpenCtiError::new(ErrorCode::LinkDown, "the server cannot be reached")
}

/// Sends `method` to `path` with the supervisor's `token` and a JSON
/// `body`; the server's response, whatever its status.
pub async fn send(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&impl Serialize>,
) -> Result<web_sys::Response, OpenCtiError> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| unreachable_server())?;
    if let Some(token) = token {
        let _ = headers.set("Authorization", &format!("Bearer {token}"));
    }
    if let Some(body) = body {
        let json =
            serde_json::to_string(body).map_err(|e| OpenCtiError::bad_request(e.to_string()))?;
        let _ = headers.set("Content-Type", "application/json");
        init.set_body(&json.into());
    }
    init.set_headers(&headers);
    let request =
        web_sys::Request::new_with_str_and_init(path, &init).map_err(|_| unreachable_server())?;
    let window = web_sys::window().ok_or_else(unreachable_server)?;
    JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| unreachable_server())?
        .dyn_into()
        .map_err(|_| unreachable_server())
}

/// Calls `path` with `method`, the supervisor's `token` and a JSON `body`;
/// the reply's JSON, or the OpenCTI error the server answered with.
pub async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&impl Serialize>,
) -> Result<T, OpenCtiError> {
    let response = send(method, path, token, body).await?;
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    if !response.ok() {
        return Err(
            serde_json::from_str::<OpenCtiError>(&text).unwrap_or_else(|_| {
                OpenCtiError::new(
                    ErrorCode::HttpError(response.status()),
                    format!("the server answered {}", response.status()),
                )
            }),
        );
    }
    let text = if text.is_empty() { "null" } else { &text };
    serde_json::from_str(text)
        .map_err(|e| OpenCtiError::bad_request(format!("unreadable reply: {e}")))
}
