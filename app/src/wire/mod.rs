//! The reference CTI adapter's wire: native frames and CSTA-style requests
//! and events ([`native`]), and their conversion to OpenCTI ([`convert`]).
//! Only the server and the reference Implementation use it; the Interface,
//! its store and the panel know nothing of it.

pub mod convert;
pub mod native;
