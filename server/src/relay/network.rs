//! The hub's services for the SIP edge: network signals out, the outside
//! parties' acts in. Each runs on the switch like any request.

use app::wire::native::Cause;
use tokio::sync::mpsc;

use super::Hub;
use crate::switch::{NetworkSignal, Reach, SimError};

impl Hub {
    /// Sends the switch's network signals to the SIP edge (listening on
    /// `local`) from now on.
    pub fn attach_network(
        &self,
        edge: mpsc::UnboundedSender<NetworkSignal>,
        local: std::net::SocketAddr,
    ) {
        if self.inner.network.set((edge, local)).is_err() {
            tracing::warn!("the SIP edge was already attached");
        }
    }

    /// Where the SIP edge listens, if it is on.
    pub fn sip_addr(&self) -> Option<std::net::SocketAddr> {
        self.inner.network.get().map(|(_, local)| *local)
    }

    /// Whether `number` can take a call from outside now.
    pub fn reach(&self, number: &str) -> Reach {
        self.lock().switch.reach_of(number)
    }

    pub fn network_hang_up(&self, call_id: &str, dn: &str) -> Result<(), SimError> {
        self.with_switch(|s| s.network_hang_up(call_id, dn))
    }

    pub fn network_alerting(&self, call_id: &str) -> Result<(), SimError> {
        self.with_switch(|s| s.network_alerting(call_id))
    }

    pub fn network_answer(&self, call_id: &str) -> Result<(), SimError> {
        self.with_switch(|s| s.network_answer(call_id))
    }

    pub fn network_failed(&self, call_id: &str, cause: Cause) -> Result<(), SimError> {
        self.with_switch(|s| s.network_failed(call_id, cause))
    }

    pub fn network_digits(&self, call_id: &str, digits: &str) -> Result<(), SimError> {
        self.with_switch(|s| s.network_digits(call_id, digits))
    }

    pub fn phone_dial(&self, extension: &str, number: &str) -> Result<String, SimError> {
        self.with_switch(|s| s.phone_dial(extension, number))
    }

    pub fn phone_answered(&self, call_id: &str, extension: &str) -> Result<(), SimError> {
        self.with_switch(|s| s.phone_answered(call_id, extension))
    }

    pub fn phone_hung_up(&self, call_id: &str, extension: &str) -> Result<(), SimError> {
        self.with_switch(|s| s.phone_hung_up(call_id, extension))
    }

    /// Keys pressed on a desk phone during a call: the agent's DTMF.
    pub fn phone_digits(
        &self,
        call_id: &str,
        extension: &str,
        digits: &str,
    ) -> Result<(), SimError> {
        self.with_switch(|s| s.phone_digits(call_id, extension, digits))
    }
}
