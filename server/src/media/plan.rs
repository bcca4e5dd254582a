//! Who hears whom: the switch's calls as the media plane sees them. The
//! switch derives a [`MediaPlan`] from its state after every change (it stays
//! pure: no media inside); the engine mixes by it every 20 ms.

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    sync::Arc,
};

use app::opencti::events::RecordingState;

/// A source and sink of audio.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// The agent's browser (its one peer connection for the session).
    Agent(String),
    /// A party on the public network, on one call: simulated, or a SIP
    /// trunk's party (an RTP leg).
    FarEnd { call_id: String, dn: String },
    /// An agent's SIP desk phone, on one call (its dialog's RTP leg).
    Phone { call_id: String, dn: String },
    /// A flow's prompts, on one call in the flow: what its caller hears.
    Prompt { call_id: String },
}

impl Endpoint {
    /// Whether it is the agents' side of a call (a browser or a desk phone).
    pub fn is_agent_side(&self) -> bool {
        matches!(self, Self::Agent(_) | Self::Phone { .. })
    }
}

/// A party on a call who is connected or holding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub endpoint: Endpoint,
    /// This party put the call on hold: it neither hears nor is heard there.
    pub holding: bool,
}

/// The members of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallMedia {
    pub call_id: String,
    pub members: Vec<Member>,
    /// Whether its audio may go to the Voice AI engine (its queue allows
    /// it and its data does not say `voiceAI=off`).
    pub forkable: bool,
    /// Its recording, once the switch started it: paused, it is written as
    /// silence.
    pub recording: Option<RecordingState>,
}

/// The two sides of an answered call, for those who listen to it whole
/// (the Voice AI fork, the recorder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sides<'a> {
    /// The customer side: far ends on the call.
    pub customers: Vec<Endpoint>,
    /// Every agent side on the call, holding or not.
    pub agents: Vec<&'a Endpoint>,
    /// The agents on the call who are not holding it: who is heard.
    pub talking: Vec<Endpoint>,
}

impl CallMedia {
    /// Its sides, when it has an agent and a far end on it (answered, from
    /// the switch's point of view).
    pub fn sides(&self) -> Option<Sides<'_>> {
        let customers: Vec<Endpoint> = self
            .members
            .iter()
            .filter(|m| matches!(m.endpoint, Endpoint::FarEnd { .. }))
            .map(|m| m.endpoint.clone())
            .collect();
        let agents: Vec<&Endpoint> = self
            .members
            .iter()
            .filter(|m| m.endpoint.is_agent_side())
            .map(|m| &m.endpoint)
            .collect();
        if customers.is_empty() || agents.is_empty() {
            return None;
        }
        let talking = self
            .members
            .iter()
            .filter(|m| m.endpoint.is_agent_side() && !m.holding)
            .map(|m| m.endpoint.clone())
            .collect();
        Some(Sides {
            customers,
            agents,
            talking,
        })
    }
}

/// Every call's members, and who is logged in (a peer of anybody else is
/// closed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaPlan {
    /// Shared with the switch, which derives a call again only when it
    /// changed.
    pub calls: Vec<Arc<CallMedia>>,
    /// Shared with the switch, which copies it only when somebody logs in
    /// or out: a plan is derived after every change, and with 10,000 agents
    /// logged in, building and comparing the set each time was most of the
    /// server's work (an `Arc` of an `Eq` type compares by pointer first).
    pub agents: Arc<BTreeSet<String>>,
}

/// What one endpoint hears in a 20 ms frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hearing {
    /// Nothing: no call, or only calls it holds.
    Silence,
    /// Its only partners put it on hold.
    HoldTone,
    /// The sum of these endpoints (never itself).
    Mix(Vec<Endpoint>),
}

/// A plan worked out for the mixer, once per change: what each endpoint
/// hears, and whose audio anybody hears.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    hearing: HashMap<Endpoint, Hearing>,
    heard: HashSet<Endpoint>,
}

impl Routes {
    pub fn hearing(&self, listener: &Endpoint) -> &Hearing {
        self.hearing.get(listener).unwrap_or(&Hearing::Silence)
    }

    /// Whether `endpoint`'s audio is worth taking.
    pub fn is_heard(&self, endpoint: &Endpoint) -> bool {
        self.heard.contains(endpoint)
    }
}

impl MediaPlan {
    /// What every endpoint hears, worked out once (the mixer asks 50 times a
    /// second; the plan changes a few times a call).
    pub fn routes(&self) -> Routes {
        let mut calls_of: HashMap<&Endpoint, Vec<&CallMedia>> = HashMap::new();
        for call in &self.calls {
            for member in &call.members {
                calls_of.entry(&member.endpoint).or_default().push(call);
            }
        }
        let mut routes = Routes::default();
        for (listener, calls) in calls_of {
            let hearing = hearing_on(listener, &calls);
            if let Hearing::Mix(sources) = &hearing {
                routes.heard.extend(sources.iter().cloned());
            }
            routes.hearing.insert(listener.clone(), hearing);
        }
        routes
    }

    /// What `listener` hears (see [`MediaPlan::routes`]).
    pub fn hearing(&self, listener: &Endpoint) -> Hearing {
        let calls: Vec<&CallMedia> = self.calls.iter().map(|c| &**c).collect();
        hearing_on(listener, &calls)
    }

    /// Whether `endpoint` is heard by somebody (see [`MediaPlan::routes`]).
    pub fn is_heard(&self, endpoint: &Endpoint) -> bool {
        self.routes().is_heard(endpoint)
    }

    /// Every endpoint on a call, once.
    pub fn endpoints(&self) -> BTreeSet<&Endpoint> {
        self.calls
            .iter()
            .flat_map(|c| c.members.iter().map(|m| &m.endpoint))
            .collect()
    }
}

/// What `listener` hears on `calls` (those it is a member of, and maybe
/// others): every party talking with it on the calls it does not hold; the
/// hold tone when all of them hold.
fn hearing_on(listener: &Endpoint, calls: &[&CallMedia]) -> Hearing {
    let mut sources = vec![];
    let mut held = false;
    for call in calls {
        let Some(me) = call.members.iter().find(|m| &m.endpoint == listener) else {
            continue;
        };
        if me.holding {
            continue;
        }
        let before = sources.len();
        sources.extend(
            call.members
                .iter()
                .filter(|m| !m.holding && &m.endpoint != listener)
                .map(|m| m.endpoint.clone()),
        );
        held |= sources.len() == before && call.members.iter().any(|m| m.holding);
    }
    match (sources.is_empty(), held) {
        (false, _) => Hearing::Mix(sources),
        (true, true) => Hearing::HoldTone,
        (true, false) => Hearing::Silence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str) -> Endpoint {
        Endpoint::Agent(id.into())
    }

    fn customer(call: &str) -> Endpoint {
        Endpoint::FarEnd {
            call_id: call.into(),
            dn: "5550100".into(),
        }
    }

    fn call(id: &str, members: &[(Endpoint, bool)]) -> CallMedia {
        CallMedia {
            call_id: id.into(),
            members: members
                .iter()
                .map(|(endpoint, holding)| Member {
                    endpoint: endpoint.clone(),
                    holding: *holding,
                })
                .collect(),
            forkable: true,
            recording: None,
        }
    }

    fn plan(calls: Vec<CallMedia>) -> MediaPlan {
        MediaPlan {
            calls: calls.into_iter().map(Arc::new).collect(),
            agents: Arc::default(),
        }
    }

    #[test]
    fn connected_parties_hear_each_other() {
        let p = plan(vec![call(
            "C1",
            &[(agent("1001"), false), (customer("C1"), false)],
        )]);
        assert_eq!(
            p.hearing(&agent("1001")),
            Hearing::Mix(vec![customer("C1")])
        );
        assert_eq!(
            p.hearing(&customer("C1")),
            Hearing::Mix(vec![agent("1001")])
        );
        assert!(p.is_heard(&agent("1001")));
    }

    #[test]
    fn the_held_party_hears_the_hold_tone_and_the_holder_nothing() {
        let p = plan(vec![call(
            "C1",
            &[(agent("1001"), true), (customer("C1"), false)],
        )]);
        assert_eq!(p.hearing(&customer("C1")), Hearing::HoldTone);
        assert_eq!(p.hearing(&agent("1001")), Hearing::Silence);
        assert!(!p.is_heard(&agent("1001")));
        assert!(!p.is_heard(&customer("C1")));
    }

    #[test]
    fn a_conference_mixes_everybody_but_the_listener() {
        let p = plan(vec![call(
            "C1",
            &[
                (agent("1001"), false),
                (customer("C1"), false),
                (agent("1002"), false),
            ],
        )]);
        assert_eq!(
            p.hearing(&agent("1001")),
            Hearing::Mix(vec![customer("C1"), agent("1002")])
        );
        assert_eq!(
            p.hearing(&customer("C1")),
            Hearing::Mix(vec![agent("1001"), agent("1002")])
        );
    }

    #[test]
    fn a_consultation_keeps_the_customer_on_hold() {
        let p = plan(vec![
            call("C1", &[(agent("1001"), true), (customer("C1"), false)]),
            call("C2", &[(agent("1001"), false), (agent("1002"), false)]),
        ]);
        assert_eq!(p.hearing(&customer("C1")), Hearing::HoldTone);
        assert_eq!(p.hearing(&agent("1001")), Hearing::Mix(vec![agent("1002")]));
        assert_eq!(p.hearing(&agent("1002")), Hearing::Mix(vec![agent("1001")]));
    }

    #[test]
    fn nobody_on_a_call_hears_silence() {
        let p = plan(vec![]);
        assert_eq!(p.hearing(&agent("1001")), Hearing::Silence);
        assert!(p.endpoints().is_empty());
    }
}
