//! Call Control Panel components. They render only from the Interface's state
//! store ([`crate::client::Cti`]) and act only through the Interface.

pub mod agent_bar;
pub mod calls;
pub mod dialer;
pub mod directory;
pub mod login;
pub mod panel;
pub mod recent;
pub mod shortcuts;
pub mod status;
