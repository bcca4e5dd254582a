//! Who may do what from where (docs/security.md): agent credentials and the
//! limits on guessing them, the API key for processes that are not panels,
//! the guard against cross-site writes, and the response headers that bound
//! what the pages may do.

pub mod api_key;
pub mod client_address;
pub mod credentials;
pub mod headers;
pub mod login_limits;
pub mod password_checks;
pub mod request_guard;
pub mod tokens;
