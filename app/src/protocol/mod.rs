//! The OpenCTI protocol, shared by the server and the browser: one definition
//! of every type that crosses a boundary, compiled for both.
//!
//! - [`error`]: OpenCTI error codes and the `{errCode, errMessage}` object.
//! - [`events`]: OpenCTI events in Pega Call's JSON format (`py*` fields).
//! - [`native`]: the reference adapter's CSTA-style wire protocol.
//! - [`convert`]: native events → OpenCTI events (what an Implementation does).
//! - [`functions`]: the Interface functions, telephony modes and the rules
//!   that say which action is allowed in which state.
//! - [`validate`]: checks of user input shared by the Interface and the switch.

pub mod convert;
pub mod error;
pub mod events;
pub mod functions;
pub mod native;
pub mod validate;

pub use error::{ErrorCode, OpenCtiError};

/// Attached call data ("user data"): string keys to string values, ordered so
/// that serialisation is stable.
pub type UserData = std::collections::BTreeMap<String, String>;
