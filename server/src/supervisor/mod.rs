//! The supervisor's side of the server: figures computed from the switch's
//! observations, exported at `/metrics`.

pub mod figures;
pub mod metrics;

pub use figures::Figures;
