//! OpenCTI itself: what every Implementation speaks to the Interface,
//! whatever its CTI server. Compiled for the server and the browser alike.
//!
//! - [`error`]: the error codes and the `{errCode, errMessage}` object.
//! - [`events`]: the events in Pega Call's JSON format (`py*` fields).
//! - [`functions`]: the Interface functions, telephony modes and an
//!   Implementation's declaration (`getCapabilities()`).
//! - [`rules`]: the one permission table (function × agent state × call
//!   state × mode) that the panel, the Interface and the switch all read.
//! - [`directory`]: transfer targets (`getDirectory()`).
//! - [`validate`]: checks of user input (numbers, digits, attached data).
//!
//! Nothing here knows any CTI server's wire: that is each Implementation's
//! business (the reference one's is in [`crate::wire`]).

pub mod directory;
pub mod error;
pub mod events;
pub mod functions;
pub mod rules;
pub mod validate;

pub use error::{ErrorCode, OpenCtiError};

/// Attached call data ("user data"): string keys to string values, ordered so
/// that serialisation is stable.
pub type UserData = std::collections::BTreeMap<String, String>;
