//! The supervisor's view of the contact center (`/supervisor`): live agents
//! and queues, with the figures the server computes from the switch's
//! observations, and the actions a supervisor takes on agents.
//!
//! - [`types`]: what the server and the page exchange (shared, re-exported).
//! - [`page`]: the page; [`signin`], [`dashboard`] ([`agents`], [`queues`],
//!   [`audit`], [`sort_header`]) its parts; [`table`] their sorting, filtering and
//!   formatting (pure).
//! - [`feed`] and [`http`]: the page's links to the server (browser only).

pub mod agents;
pub mod audit;
pub mod calls;
pub mod dashboard;
pub mod feed;
mod history;
pub mod http;
pub mod page;
pub mod queues;
pub mod signin;
pub mod sort_header;
pub mod table;
mod types;

pub use history::*;
pub use types::*;
