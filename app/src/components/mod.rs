//! Call Control Panel components. They render only from the Interface's state
//! store and act only through the Interface.

pub mod panel;
