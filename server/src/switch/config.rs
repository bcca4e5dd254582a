//! What the switch is built from: agents, extensions, queues, reason codes
//! and timers. [`SwitchConfig::demo`] is the embedded default (DESIGN.md §9);
//! a TOML file can replace it.

use std::collections::BTreeMap;

use app::opencti::functions::TelephonyMode;
use serde::{Deserialize, Serialize};

/// The switch's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchConfig {
    pub agents: Vec<AgentConfig>,
    /// Extensions (device numbers) agents can log in on.
    pub extensions: Vec<String>,
    pub queues: Vec<QueueConfig>,
    /// Numbers that start a flow (an IVR: menus, hours, collected digits).
    #[serde(default)]
    pub flows: Vec<super::flows::config::FlowConfig>,
    /// Not-ready reason codes agents choose from.
    pub reason_codes: Vec<String>,
    /// Outcomes an agent may record at wrap-up ("Finish wrap-up").
    #[serde(default = "default_dispositions")]
    pub dispositions: Vec<String>,
    /// Length of after-call work; 0 sends agents straight back.
    #[serde(default = "default_wrap_up")]
    pub wrap_up_seconds: u64,
    /// If set, outbound calls to external numbers are answered by the
    /// simulated far end after this many milliseconds.
    #[serde(default)]
    pub auto_answer_ms: Option<u64>,
    /// Outside numbers are dialled through a trunk (`--sip-trunk`): such a
    /// party starts Initiated and the trunk's answers drive it, with no
    /// simulated auto-answer.
    #[serde(skip)]
    pub trunk: bool,
    /// Every answered call with a customer on it is recorded, not only
    /// those of queues that say `record = true` (`--record-all`).
    #[serde(skip)]
    pub record_all: bool,
    /// A queue call that rings an agent this long goes to the next agent
    /// (ring-no-answer); 0 lets it ring until the caller hangs up.
    #[serde(default = "default_ring_timeout")]
    pub ring_timeout_seconds: u64,
    /// The not-ready reason of an agent who let a queue call ring out.
    #[serde(default = "default_missed_reason")]
    pub missed_reason: String,
    /// Who may open the supervisor view (`/supervisor`) and act on agents.
    #[serde(default)]
    pub supervisors: Vec<SupervisorConfig>,
    /// Extensions that are SIP desk phones (they REGISTER with the SIP
    /// edge; only with `--sip-addr`).
    #[serde(default)]
    pub sip_phones: Vec<SipPhoneConfig>,
}

/// A SIP desk phone: an extension whose calls ring a registered phone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipPhoneConfig {
    pub extension: String,
    /// MD5 of `extension:ccp:password` (digest's HA1, realm `ccp`): what
    /// the phone's REGISTER is checked against. `server sip-ha1` prints it.
    pub ha1: String,
    /// The phone answers on an auto-answer header (`Call-Info:
    /// answer-after=0`): Answer and calls from the panel need no hands.
    #[serde(default)]
    pub auto_answer: bool,
}

fn default_wrap_up() -> u64 {
    30
}

fn default_ring_timeout() -> u64 {
    20
}

fn default_missed_reason() -> String {
    "Missed".into()
}

fn default_dispositions() -> Vec<String> {
    ["Resolved", "Follow-up", "Sale", "No sale"]
        .map(String::from)
        .to_vec()
}

/// One agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    pub id: String,
    /// The Argon2id hash of the agent's password (`server hash-password`);
    /// a plain-text password is refused at start.
    pub password: String,
    /// The extension used when login names none.
    pub extension: String,
    #[serde(default)]
    pub name: String,
    /// The telephony mode used when login names none.
    #[serde(default)]
    pub telephony_mode: TelephonyMode,
    /// Skills and how well the agent has each, 1 (least) to 5 (best):
    /// `skills = { billing = 5, spanish = 2 }`. A queue that requires
    /// skills is served by every agent who has them all.
    #[serde(default)]
    pub skills: BTreeMap<String, u8>,
}

/// One supervisor: watches every agent and queue, and may force an agent
/// Not ready or logged out. Supervisors are not agents: their IDs are their
/// own, and an agent's password opens no supervisor data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupervisorConfig {
    pub id: String,
    /// The Argon2id hash of the supervisor's password, as for agents.
    pub password: String,
    #[serde(default)]
    pub name: String,
}

/// One ACD queue, who serves it and how it offers its calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// The number callers dial.
    pub number: String,
    pub name: String,
    /// Agent ids serving this queue whatever their skills.
    #[serde(default)]
    pub agents: Vec<String>,
    /// Skills an agent needs, all of them, to serve this queue. An agent's
    /// proficiency for the queue is its lowest in these skills; a call goes
    /// to the most proficient free agent, the longest idle among equals.
    #[serde(default)]
    pub skills: Vec<String>,
    /// With this set, a call is offered only to the most proficient agents
    /// logged in for the queue for its first seconds, then to anyone who
    /// serves it (a call is not kept for an expert who may never be free).
    #[serde(default)]
    pub expand_after_seconds: Option<u64>,
    /// Calls of a higher priority are offered first (0–9); within a
    /// priority, the oldest first.
    #[serde(default)]
    pub priority: u8,
    /// A call that has waited this long leaves for `overflow`.
    #[serde(default)]
    pub max_wait_seconds: Option<u64>,
    /// With this many calls waiting, a new call goes to `overflow` at once.
    #[serde(default)]
    pub max_waiting: Option<usize>,
    /// Where calls go past `max_wait_seconds` or `max_waiting`: another
    /// queue or an extension.
    #[serde(default)]
    pub overflow: Option<String>,
    /// Whether this queue's calls go to the Voice AI engine when
    /// `--media-fork-url` is set (`voice_ai = false` keeps them out).
    #[serde(default = "yes")]
    pub voice_ai: bool,
    /// This queue's calls are recorded from the answer (under
    /// `--recordings-dir`, customer left, agents right).
    #[serde(default)]
    pub record: bool,
    /// Said to each caller of a recorded call (`record = true`, or
    /// `--record-all`) when it enters this queue, before any agent is
    /// offered the call ("This call may be recorded…").
    #[serde(default)]
    pub record_notice: Option<String>,
    /// Callers may hang up and keep their place: the queue calls them back
    /// (offered to the agent as an outbound call, dialled on Answer).
    #[serde(default)]
    pub callbacks: bool,
    /// A caller waiting this long is offered a callback (press 1).
    #[serde(default)]
    pub callback_after_seconds: Option<u64>,
    /// A callback the customer does not answer is tried this many more times…
    #[serde(default = "default_callback_retries")]
    pub callback_retries: u32,
    /// …this long after the last try.
    #[serde(default = "default_callback_retry_seconds")]
    pub callback_retry_seconds: u64,
    /// How long the customer's phone rings before a try counts as unanswered.
    #[serde(default = "default_callback_ring_seconds")]
    pub callback_ring_seconds: u64,
}

fn default_callback_retries() -> u32 {
    2
}

fn default_callback_retry_seconds() -> u64 {
    300
}

fn default_callback_ring_seconds() -> u64 {
    30
}

impl QueueConfig {
    /// A queue that offers its calls to these agents, longest idle first,
    /// with no skills, priority or overflow.
    pub fn served_by(number: &str, name: &str, agents: &[String]) -> Self {
        Self {
            number: number.into(),
            name: name.into(),
            agents: agents.to_vec(),
            skills: vec![],
            expand_after_seconds: None,
            priority: 0,
            max_wait_seconds: None,
            max_waiting: None,
            overflow: None,
            voice_ai: true,
            record: false,
            record_notice: None,
            callbacks: false,
            callback_after_seconds: None,
            callback_retries: default_callback_retries(),
            callback_retry_seconds: default_callback_retry_seconds(),
            callback_ring_seconds: default_callback_ring_seconds(),
        }
    }
}

fn yes() -> bool {
    true
}

/// The digest HA1 of the demo desk phone 2005 with SIP password `demo`
/// (`MD5("2005:ccp:demo")`).
pub const DEMO_PHONE_HA1: &str = "0f74d881f378f97f67e0f91d0ebdd7cf";

/// The demo's main line (5100): a menu of its two queues, an account
/// number collected, and a message when support has nobody.
const DEMO_FLOW: &str = include_str!("demo_flow.toml");

/// The Argon2id hash of `demo`, the demo agents' password.
pub const DEMO_PASSWORD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$oPKSXh9cHFvp4pLadTHLUQ$oSwID3fIZvTeDv4TiNH2eExQF86oKlpp7AUoPpRPBbo";

impl SwitchConfig {
    /// The demo contact center: agents 1001–1004 (password `demo`) on
    /// extensions 2001–2004, queues 5000 (Sales, all of them listed) and 5001
    /// (Support, by the skill `support` every one of them has at level 3),
    /// reasons Break/Lunch/Meeting/Training, 30 s of wrap-up,
    /// the main line 5100 (a flow: press 1 for Sales, 2 for Support, 3 to
    /// give an account number first), supervisor 9001 (password `demo`),
    /// and extension 2005, a SIP desk
    /// phone that answers on request (SIP password `demo`; with
    /// `--sip-addr` only).
    pub fn demo() -> Self {
        let ids: Vec<String> = (1..=4).map(|n| format!("100{n}")).collect();
        Self {
            agents: ids
                .iter()
                .enumerate()
                .map(|(i, id)| AgentConfig {
                    id: id.clone(),
                    password: DEMO_PASSWORD_HASH.into(),
                    extension: format!("200{}", i + 1),
                    name: format!("Agent {id}"),
                    telephony_mode: TelephonyMode::Full,
                    // All equally able: the demo's routing stays longest idle.
                    skills: [("support".to_string(), 3)].into(),
                })
                .collect(),
            extensions: (1..=5).map(|n| format!("200{n}")).collect(),
            queues: vec![
                QueueConfig::served_by("5000", "Sales", &ids),
                QueueConfig {
                    skills: vec!["support".into()],
                    callbacks: true,
                    callback_after_seconds: Some(60),
                    ..QueueConfig::served_by("5001", "Support", &[])
                },
            ],
            flows: toml::from_str(DEMO_FLOW)
                .map(|f| vec![f])
                .unwrap_or_default(),
            reason_codes: ["Break", "Lunch", "Meeting", "Training"]
                .map(String::from)
                .to_vec(),
            dispositions: default_dispositions(),
            wrap_up_seconds: 30,
            auto_answer_ms: None,
            trunk: false,
            record_all: false,
            ring_timeout_seconds: default_ring_timeout(),
            missed_reason: default_missed_reason(),
            supervisors: vec![SupervisorConfig {
                id: "9001".into(),
                password: DEMO_PASSWORD_HASH.into(),
                name: "Supervisor 9001".into(),
            }],
            sip_phones: vec![SipPhoneConfig {
                extension: "2005".into(),
                ha1: DEMO_PHONE_HA1.into(),
                auto_answer: true,
            }],
        }
    }

    /// Checks that the numbers do not clash and every reference resolves.
    pub fn validate(&self) -> Result<(), String> {
        if self.missed_reason.trim().is_empty() {
            return Err("missed_reason must not be empty".into());
        }
        let mut numbers = std::collections::HashSet::new();
        for n in self
            .extensions
            .iter()
            .chain(self.queues.iter().map(|q| &q.number))
            .chain(self.flows.iter().map(|f| &f.number))
        {
            app::opencti::validate::destination(n).map_err(|e| e.err_message)?;
            if !numbers.insert(n) {
                return Err(format!("number {n} is configured twice"));
            }
        }
        let mut ids = std::collections::HashSet::new();
        for a in &self.agents {
            if !ids.insert(&a.id) {
                return Err(format!("agent {} is configured twice", a.id));
            }
            crate::security::credentials::check_stored(&a.id, &a.password)
                .map_err(|e| e.to_string())?;
            if !self.extensions.contains(&a.extension) {
                return Err(format!(
                    "agent {}'s extension {} is not configured",
                    a.id, a.extension
                ));
            }
        }
        for a in &self.agents {
            if let Some((skill, level)) = a.skills.iter().find(|(_, l)| !(1..=5).contains(*l)) {
                return Err(format!(
                    "agent {}: skill {skill} has proficiency {level}; it must be 1 to 5",
                    a.id
                ));
            }
        }
        for q in &self.queues {
            if let Some(unknown) = q.agents.iter().find(|a| !ids.contains(a)) {
                return Err(format!("queue {} names unknown agent {unknown}", q.number));
            }
        }
        super::routing::validate_queues(self)?;
        super::flows::compile(self)?;
        let mut phones = std::collections::HashSet::new();
        for phone in &self.sip_phones {
            if !self.extensions.contains(&phone.extension) {
                return Err(format!(
                    "SIP phone {} is not a configured extension",
                    phone.extension
                ));
            }
            if !phones.insert(&phone.extension) {
                return Err(format!("SIP phone {} is configured twice", phone.extension));
            }
            if phone.ha1.len() != 32 || !phone.ha1.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "SIP phone {}: ha1 must be 32 hex digits (server sip-ha1 prints it)",
                    phone.extension
                ));
            }
        }
        for s in &self.supervisors {
            if !ids.insert(&s.id) {
                return Err(format!(
                    "{} is configured twice (supervisor IDs are not agent IDs)",
                    s.id
                ));
            }
            crate::security::credentials::check_stored(&s.id, &s.password)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supervisors_are_checked_like_agents_and_apart_from_them() {
        let demo = SwitchConfig::demo();
        let ids: Vec<_> = demo.supervisors.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["9001"]);
        assert!(crate::security::credentials::verify(
            Some(&demo.supervisors[0].password),
            "demo"
        ));
        let mut clash = demo.clone();
        clash.supervisors[0].id = "1001".into();
        assert!(
            clash
                .validate()
                .unwrap_err()
                .contains("1001 is configured twice")
        );
        let mut plain = demo.clone();
        plain.supervisors[0].password = "demo".into();
        assert!(
            plain
                .validate()
                .unwrap_err()
                .contains("not an Argon2id hash")
        );
        // A file without supervisors has none: nobody can open the view.
        let file: SwitchConfig = toml::from_str(
            r#"
            extensions = ["2001"]
            reason_codes = []
            queues = []
            agents = []
            "#,
        )
        .unwrap();
        assert!(file.supervisors.is_empty());
    }

    #[test]
    fn demo_configuration_is_the_documented_one() {
        let demo = SwitchConfig::demo();
        demo.validate().unwrap();
        let agents: Vec<_> = demo
            .agents
            .iter()
            .map(|a| (a.id.as_str(), a.extension.as_str()))
            .collect();
        assert_eq!(
            agents,
            [
                ("1001", "2001"),
                ("1002", "2002"),
                ("1003", "2003"),
                ("1004", "2004")
            ]
        );
        assert!(
            demo.agents
                .iter()
                .all(
                    |a| crate::security::credentials::verify(Some(&a.password), "demo")
                        && a.telephony_mode == TelephonyMode::Full
                )
        );
        let queues: Vec<_> = demo
            .queues
            .iter()
            .map(|q| (q.number.as_str(), q.name.as_str(), q.agents.len()))
            .collect();
        assert_eq!(queues, [("5000", "Sales", 4), ("5001", "Support", 0)]);
        assert_eq!(demo.queues[1].skills, ["support"]);
        assert!(demo.agents.iter().all(|a| a.skills["support"] == 3));
        let flows: Vec<_> = demo
            .flows
            .iter()
            .map(|f| (f.number.as_str(), f.steps.len()))
            .collect();
        assert_eq!(flows, [("5100", 9)], "the demo's flow file reads");
        assert_eq!(demo.reason_codes, ["Break", "Lunch", "Meeting", "Training"]);
        assert_eq!(
            demo.sip_phones[0].ha1,
            crate::sip::registrar::ha1("2005", "demo"),
            "the demo desk phone's SIP password is demo"
        );
        assert_eq!(demo.wrap_up_seconds, 30);
    }

    #[test]
    fn plain_text_passwords_are_refused_with_the_command_to_run() {
        let mut config = SwitchConfig::demo();
        config.agents[1].password = "demo".into();
        let err = config.validate().unwrap_err();
        assert!(
            err.contains("agent 1002") && err.contains("server hash-password"),
            "{err}"
        );
    }

    #[test]
    fn clashes_are_reported() {
        let mut config = SwitchConfig::demo();
        config.queues[0].number = "2001".into();
        assert!(config.validate().unwrap_err().contains("twice"));
    }
}
