//! The simulated far end of calls (customers on the public network): place
//! inbound calls, answer outbound ones, hang up.

use app::{
    opencti::{ErrorCode, OpenCtiError, UserData, validate},
    wire::native::{CallOrigin, Cause, ConnectionState, NativeEvent, Party},
};
use serde::Serialize;

use super::{Call, Destination, Switch};
use crate::media::AudioStats;

use ConnectionState::*;

/// A call as `GET /api/sim/calls` lists it (DESIGN.md §9).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimCall {
    pub call_id: String,
    pub from: String,
    pub to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    pub parties: Vec<SimParty>,
    pub data: UserData,
    pub digits: String,
    pub started_at: u64,
    /// What the simulated far end sent and heard (the media plane fills it
    /// in; silent until then).
    pub audio: AudioStats,
}

/// One device on a simulator call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimParty {
    pub dn: String,
    pub state: ConnectionState,
}

/// Why a simulator request failed: an unknown call (404) or an OpenCTI error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error("there is no call {0}")]
    UnknownCall(String),
    #[error(transparent)]
    Refused(#[from] OpenCtiError),
}

impl Switch {
    /// A call from the caller `from` (a public number, or any other caller
    /// ID: `validate::caller_id`) to a queue or an extension,
    /// carrying `data`. An extension whose agent is on a call (or that has
    /// nobody logged in) gives a `failed` party: the caller hears busy.
    pub fn sim_place_call(
        &mut self,
        from: &str,
        to: &str,
        data: UserData,
    ) -> Result<String, SimError> {
        let from = validate::caller_id(from)?;
        let to_number = validate::destination(to)?;
        validate::user_data(&data)?;
        let target = self.classify(&to_number);
        if matches!(target, Destination::External(_)) {
            return Err(OpenCtiError::new(
                ErrorCode::InvalidDestination,
                format!("{to_number} is neither a queue, an extension nor a flow"),
            )
            .into());
        }
        if self.classify(&from) != Destination::External(from.clone()) {
            return Err(OpenCtiError::new(
                ErrorCode::InvalidDestination,
                format!("{from} is an internal number: the simulator calls from outside"),
            )
            .into());
        }
        let call_id = self.new_call_id();
        let (far, queue) = match &target {
            Destination::Flow(f) => (
                Party {
                    dn: f.clone(),
                    state: Connected,
                },
                None,
            ),
            Destination::Queue(q) => (
                Party {
                    dn: q.clone(),
                    state: Queued,
                },
                Some(q.clone()),
            ),
            _ => {
                let free = self.agent_at(&to_number).is_some() && !self.device_busy(&to_number);
                let state = if free { Alerting } else { Failed };
                (
                    Party {
                        dn: to_number.clone(),
                        state,
                    },
                    None,
                )
            }
        };
        let alerting = far.state == Alerting;
        let mut call = Call::new(
            call_id.clone(),
            CallOrigin::Inbound,
            from.clone(),
            to_number.clone(),
            self.now,
        );
        call.queue = queue;
        call.data = data;
        call.parties = vec![
            Party {
                dn: from,
                state: Connected,
            },
            far,
        ];
        self.media.touch(&call_id);
        self.calls.insert(call_id.clone(), call);
        if let Destination::Flow(flow) = &target {
            self.start_flow(&call_id, flow);
        } else if alerting {
            self.tell_call(
                &call_id,
                &to_number,
                Some(Cause::NewCall),
                NativeEvent::Delivered,
            );
            self.ring_phone(&call_id, &to_number, false);
        } else {
            self.enqueue(&call_id);
            self.route();
        }
        Ok(call_id)
    }

    /// The far end hangs up. Before anybody answered, the call is abandoned.
    pub fn sim_hang_up(&mut self, call_id: &str) -> Result<(), SimError> {
        let call = self
            .calls
            .get(call_id)
            .ok_or_else(|| SimError::UnknownCall(call_id.into()))?;
        if call.callback.is_some() && self.far_end(call).is_none() {
            // A callback not yet dialled: the customer no longer wants it.
            self.end_call(call_id, Cause::CallCancelled);
            return Ok(());
        }
        let far = self.far_end(call).ok_or_else(|| {
            OpenCtiError::invalid_state(format!(
                "call {call_id} has no party on the public network"
            ))
        })?;
        let answered = call
            .parties
            .iter()
            .any(|p| p.dn != far && p.state == Connected);
        let cause = if answered {
            Cause::NormalClearing
        } else {
            Cause::CallCancelled
        };
        self.clear_party(call_id, &far, cause);
        Ok(())
    }

    /// The far end of an outbound call answers.
    pub fn sim_answer(&mut self, call_id: &str) -> Result<(), SimError> {
        let call = self
            .calls
            .get(call_id)
            .ok_or_else(|| SimError::UnknownCall(call_id.into()))?;
        let far = call
            .parties
            .iter()
            .find(|p| {
                p.state == Alerting && matches!(self.classify(&p.dn), Destination::External(_))
            })
            .map(|p| p.dn.clone())
            .ok_or_else(|| {
                OpenCtiError::invalid_state(format!(
                    "nobody on the public network is ringing on call {call_id}"
                ))
            })?;
        self.connect(call_id, &far);
        Ok(())
    }

    /// The auto-answer timer fired for `dn` on `call_id`; ignored if the call
    /// or the ringing is gone.
    pub fn sim_answer_party(&mut self, call_id: &str, dn: &str) {
        if self.calls.get(call_id).and_then(|c| c.state_of(dn)) == Some(Alerting) {
            self.connect(call_id, dn);
        }
    }

    /// The calls in progress, oldest first.
    pub fn sim_calls(&self) -> Vec<SimCall> {
        let mut calls: Vec<&Call> = self.calls.values().collect();
        calls.sort_by_key(|c| (c.started_at, c.id.len(), c.id.clone()));
        calls
            .into_iter()
            .map(|c| SimCall {
                call_id: c.id.clone(),
                from: c.calling.clone(),
                to: c.called.clone(),
                queue: c.queue.clone(),
                parties: c
                    .parties
                    .iter()
                    .map(|p| SimParty {
                        dn: p.dn.clone(),
                        state: p.state,
                    })
                    .collect(),
                data: c.data.clone(),
                digits: c.digits.clone(),
                started_at: c.started_at,
                audio: AudioStats::silent(),
            })
            .collect()
    }

    /// The party on the public network that the simulator plays: the caller
    /// if still there, else the first external party.
    fn far_end(&self, call: &Call) -> Option<String> {
        let external = |dn: &str| matches!(self.classify(dn), Destination::External(_));
        if external(&call.calling) && call.state_of(&call.calling).is_some() {
            return Some(call.calling.clone());
        }
        call.parties
            .iter()
            .find(|p| external(&p.dn))
            .map(|p| p.dn.clone())
    }
}
