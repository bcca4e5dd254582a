//! The supervisor's side of the server: figures computed from the switch's
//! observations, exported at `/metrics`, and the supervisor's API (its
//! sign-in, role check and live feed are the hub's: `relay::supervision`).

pub mod api;
pub mod figures;
pub mod metrics;

pub use figures::Figures;
