//! The media plane's side of a call's audio fork (Voice AI): which calls are
//! forked, and the frames handed over every 20 ms. Where the frames go (a
//! WebSocket, in `crate::voice_ai::fork`) is not the engine's business; it
//! never waits for it: a full queue loses the frame, and counts it.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use prometheus_client::metrics::histogram::Histogram;
use tokio::sync::mpsc;

use super::plan::{Endpoint, MediaPlan, Sides};

/// One 20 ms of a forked call, each direction µ-law encoded: `inbound` is
/// what the customer side said, `outbound` what the agent side said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkFrame {
    pub inbound: Vec<u8>,
    pub outbound: Vec<u8>,
    /// When the mixer made it, for the fork's delay.
    pub created: Instant,
}

/// What a new fork is told about its call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkStart {
    pub call_id: String,
    /// `ani` (the customer's number) and `agents` (comma-separated ids).
    pub parameters: BTreeMap<String, String>,
}

/// Opens a fork for a call: returns where its frames go (frames lost on
/// the way are counted in the figures). Dropping the sender ends the fork.
pub type ForkOpener =
    Arc<dyn Fn(ForkStart, Arc<ForkFigures>) -> mpsc::Sender<ForkFrame> + Send + Sync>;

/// Frames queued per fork before the engine starts losing them: a second
/// of audio.
pub const FORK_QUEUE: usize = 50;

/// Upper bounds (seconds) of the fork delay histogram's buckets.
pub const DELAY_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0,
];

/// The forks' shared figures, for `/metrics`.
#[derive(Debug)]
pub struct ForkFigures {
    pub active: AtomicU64,
    pub dropped: AtomicU64,
    /// From the mixer making a frame to the fork having written it to the
    /// AI endpoint's socket.
    pub delay: Histogram,
}

impl Default for ForkFigures {
    fn default() -> Self {
        Self {
            active: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            delay: Histogram::new(DELAY_BUCKETS),
        }
    }
}

impl ForkFigures {
    pub fn active(&self) -> u64 {
        self.active.load(Ordering::Relaxed)
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// A frame reached the AI endpoint's socket.
    pub fn delivered(&self, frame: &ForkFrame) {
        self.delay.observe(frame.created.elapsed().as_secs_f64());
    }

    /// Counts one lost 20 ms of a call (both directions).
    pub fn lose_frame(&self) {
        self.dropped.fetch_add(2, Ordering::Relaxed);
    }
}

/// A forked call as the mixer sees it.
pub struct Tap {
    pub sender: mpsc::Sender<ForkFrame>,
    /// The customer side: far ends on the call.
    pub customers: Vec<Endpoint>,
    /// The agent side: agents on the call who are not holding it.
    pub agents: Vec<Endpoint>,
}

/// The calls to fork: every call that has an agent and a far end on it
/// (answered, from the switch's point of view) and may be forked, with its
/// two sides.
pub fn forked_calls(plan: &MediaPlan) -> Vec<(ForkStart, Vec<Endpoint>, Vec<Endpoint>)> {
    plan.calls
        .iter()
        .filter(|call| call.forkable)
        .filter_map(|call| {
            let Sides {
                customers,
                agents,
                talking,
            } = call.sides()?;
            let ani = customers
                .iter()
                .filter_map(|c| match c {
                    Endpoint::FarEnd { dn, .. } => Some(dn.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(",");
            let agent_ids = agents
                .iter()
                .filter_map(|a| match a {
                    Endpoint::Agent(id) | Endpoint::Phone { dn: id, .. } => Some(id.as_str()),
                    Endpoint::FarEnd { .. } | Endpoint::Prompt { .. } => None,
                })
                .collect::<Vec<_>>()
                .join(",");
            let start = ForkStart {
                call_id: call.call_id.clone(),
                parameters: [("ani".to_string(), ani), ("agents".to_string(), agent_ids)].into(),
            };
            Some((start, customers, talking))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::plan::{CallMedia, Member};

    fn member(endpoint: Endpoint, holding: bool) -> Member {
        Member { endpoint, holding }
    }

    #[test]
    fn only_calls_with_an_agent_and_a_far_end_are_forked() {
        let customer = Endpoint::FarEnd {
            call_id: "C1".into(),
            dn: "+15550001".into(),
        };
        let plan = MediaPlan {
            calls: vec![
                CallMedia {
                    call_id: "C1".into(),
                    members: vec![
                        member(customer.clone(), false),
                        member(Endpoint::Agent("1001".into()), true),
                    ],
                    forkable: true,
                    recording: None,
                },
                // Queued or ringing: the customer alone.
                CallMedia {
                    call_id: "C2".into(),
                    members: vec![member(
                        Endpoint::FarEnd {
                            call_id: "C2".into(),
                            dn: "+15550002".into(),
                        },
                        false,
                    )],
                    forkable: true,
                    recording: None,
                },
                // Agent to agent: no customer.
                CallMedia {
                    call_id: "C3".into(),
                    members: vec![
                        member(Endpoint::Agent("1002".into()), false),
                        member(Endpoint::Agent("1003".into()), false),
                    ],
                    forkable: true,
                    recording: None,
                },
                // Answered, but kept from the engine.
                CallMedia {
                    call_id: "C4".into(),
                    members: vec![
                        member(
                            Endpoint::FarEnd {
                                call_id: "C4".into(),
                                dn: "+15550004".into(),
                            },
                            false,
                        ),
                        member(Endpoint::Agent("1004".into()), false),
                    ],
                    forkable: false,
                    recording: None,
                },
            ]
            .into_iter()
            .map(std::sync::Arc::new)
            .collect(),
            agents: Default::default(),
        };
        let forked = forked_calls(&plan);
        assert_eq!(forked.len(), 1);
        let (start, customers, talking) = &forked[0];
        assert_eq!(start.call_id, "C1");
        assert_eq!(start.parameters["ani"], "+15550001");
        assert_eq!(start.parameters["agents"], "1001");
        assert_eq!(customers, &[customer]);
        assert!(talking.is_empty(), "a holding agent says nothing");
    }
}
