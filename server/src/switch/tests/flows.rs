//! Flows: menus, timeouts and retries, collected digits, hours across a
//! time zone and a holiday, fallbacks, and the validator's promise that
//! every flow it accepts ends every call.

use rand::{Rng, SeedableRng, rngs::StdRng};

use super::*;
use crate::switch::flows::{PromptToPlay, config::FlowConfig};

const MAIN: &str = r#"
number = "5100"
name = "Main line"
start = "hours"

[steps.hours]
type = "hours"
time_zone = "America/New_York"
weekly = ["mon-fri 08:00-18:00", "sat 10:00-14:00"]
holidays = ["2026-12-25"]
open = "menu"
closed = "closed"

[steps.menu]
type = "menu"
prompt = { text = "For sales press 1. For support press 2. To give your account number press 3." }
options = { "1" = "sales", "2" = "support", "3" = "account", "0" = "operator" }
timeout_seconds = 5
retries = 1
no_input = "sales"

[steps.account]
type = "collect"
prompt = { text = "Enter your account number, then hash." }
into = "account"
max_digits = 6
next = "support"

[steps.sales]
type = "queue"
queue = "5000"
priority = 3

[steps.support]
type = "queue"
queue = "5001"
fallback = "closed"

[steps.operator]
type = "transfer"
to = "2004"
fallback = "closed"

[steps.closed]
type = "say"
prompt = { text = "We are closed. Please call again between eight and six." }
next = "bye"

[steps.bye]
type = "hangup"
"#;

/// Monday 7 December 2026, 10:00 in New York (15:00 UTC).
fn monday_morning() -> u64 {
    at("2026-12-07T10:00[America/New_York]")
}

fn at(zoned: &str) -> u64 {
    zoned
        .parse::<jiff::Zoned>()
        .unwrap()
        .timestamp()
        .as_millisecond() as u64
}

fn flow(text: &str) -> FlowConfig {
    toml::from_str(text).unwrap()
}

fn with_flows(flows: Vec<FlowConfig>, now: u64) -> Switch {
    let mut config = SwitchConfig::demo();
    config.flows = flows;
    config.validate().unwrap();
    let mut sw = Switch::new(config);
    sw.advance_to(now);
    sw
}

fn main_line(now: u64) -> Switch {
    with_flows(vec![flow(MAIN)], now)
}

/// The prompts asked for since the last look, as text.
fn prompts(sw: &mut Switch) -> Vec<(u64, String)> {
    take_prompts(sw)
        .into_iter()
        .map(|p| match p.prompt {
            crate::switch::flows::Prompt::Text(t) => (p.generation, t),
            crate::switch::flows::Prompt::Wav(w) => (p.generation, w.display().to_string()),
        })
        .collect()
}

fn take_prompts(sw: &mut Switch) -> Vec<PromptToPlay> {
    let out = sw.take_output();
    out.prompts
}

fn flow_timers(out: &Output) -> Vec<(u64, u64)> {
    out.timers
        .iter()
        .filter_map(|t| match t {
            Timer::FlowTimeout { generation, at, .. } => Some((*generation, *at)),
            _ => None,
        })
        .collect()
}

/// Plays the current prompt to its end, returning the wait it starts.
fn finish_prompt(sw: &mut Switch, call: &str, generation: u64) -> Vec<(u64, u64)> {
    sw.prompt_finished(call, generation);
    let out = sw.take_output();
    flow_timers(&out)
}

fn path(sw: &Switch, call: &str) -> Vec<String> {
    sw.calls[call].flow_path.clone()
}

#[test]
fn a_caller_who_presses_2_reaches_support() {
    let mut sw = main_line(monday_morning());
    ready(&mut sw, &["1001"]);
    let call = sw.sim_place_call(CALLER, "5100", UserData::new()).unwrap();
    // The flow answered: the caller talks to the flow's number.
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("5100", Connected)]
    );
    let [(generation, text)] = prompts(&mut sw).try_into().unwrap();
    assert!(text.starts_with("For sales press 1"));
    let waits = finish_prompt(&mut sw, &call, generation);
    assert_eq!(waits, [(generation + 1, sw.now + 5_000)]);
    sw.network_digits(&call, "2").unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("2001", Alerting)]
    );
    assert_eq!(
        path(&sw, &call),
        ["flow 5100", "hours", "menu", "menu:2", "support"]
    );
    let offered = sw
        .sim_calls()
        .into_iter()
        .find(|c| c.call_id == call)
        .unwrap();
    assert_eq!(offered.queue.as_deref(), Some("5001"));
}

#[test]
fn hours_follow_the_flows_time_zone_and_its_holidays() {
    let closed_text = "We are closed. Please call again between eight and six.";
    let cases = [
        // 17:00 in New York is 22:00 UTC: open there, whatever UTC says.
        ("2026-12-07T17:00[America/New_York]", true),
        ("2026-12-07T18:00[America/New_York]", false),
        ("2026-12-07T07:59[America/New_York]", false),
        ("2026-12-12T11:00[America/New_York]", true),
        ("2026-12-13T11:00[America/New_York]", false),
        // A Friday, but a holiday.
        ("2026-12-25T10:00[America/New_York]", false),
        // Summer time: 09:00 in New York is 13:00 UTC.
        ("2026-07-06T09:00[America/New_York]", true),
    ];
    for (when, open) in cases {
        let mut sw = main_line(at(when));
        sw.sim_place_call(CALLER, "5100", UserData::new()).unwrap();
        let said = prompts(&mut sw);
        assert_eq!(said.len(), 1, "{when}");
        assert_eq!(said[0].1 == closed_text, !open, "{when}: open {open}");
    }
}

#[test]
fn out_of_hours_the_caller_hears_the_message_and_the_call_ends() {
    let mut sw = main_line(at("2026-12-25T10:00[America/New_York]"));
    let call = sw.sim_place_call(CALLER, "5100", UserData::new()).unwrap();
    let [(generation, _)] = prompts(&mut sw).try_into().unwrap();
    // Digits nobody asked for are ignored.
    sw.network_digits(&call, "12").unwrap();
    assert!(sw.has_call(&call));
    sw.prompt_finished(&call, generation);
    assert!(!sw.has_call(&call), "hung up after the message");
    let out = sw.take_output();
    assert!(out.network.iter().any(|s| matches!(
        s,
        NetworkSignal::Released { call_id, dn, .. } if *call_id == call && dn == CALLER
    )));
    let record = call_records(&out).pop().unwrap();
    assert_eq!(record.call_id, call);
}

#[test]
fn a_caller_who_never_presses_anything_hears_the_menu_again_then_takes_the_timeout_path() {
    let mut sw = main_line(monday_morning());
    let call = sw.sim_place_call(CALLER, "5100", UserData::new()).unwrap();
    let [(first, _)] = prompts(&mut sw).try_into().unwrap();
    let [(wait, at)] = finish_prompt(&mut sw, &call, first).try_into().unwrap();
    // A stale report or timer changes nothing.
    sw.prompt_finished(&call, first);
    sw.timer_due(Timer::FlowTimeout {
        call_id: call.clone(),
        generation: first,
        at,
    });
    assert!(prompts(&mut sw).is_empty());
    sw.advance_to(at);
    sw.timer_due(Timer::FlowTimeout {
        call_id: call.clone(),
        generation: wait,
        at,
    });
    let [(again, text)] = prompts(&mut sw).try_into().unwrap();
    assert!(text.starts_with("For sales"), "the one retry");
    let [(wait, at)] = finish_prompt(&mut sw, &call, again).try_into().unwrap();
    sw.advance_to(at);
    sw.timer_due(Timer::FlowTimeout {
        call_id: call.clone(),
        generation: wait,
        at,
    });
    // Retries used: the no-input step, sales, at the flow step's priority.
    assert_eq!(parties(&sw, &call)[1], p("5000", Queued));
    assert_eq!(sw.calls[&call].priority, 3);
    assert_eq!(path(&sw, &call), ["flow 5100", "hours", "menu", "sales"]);
}

#[test]
fn a_digit_not_offered_plays_the_menu_again() {
    let mut sw = main_line(monday_morning());
    let call = sw.sim_place_call(CALLER, "5100", UserData::new()).unwrap();
    let [(first, _)] = prompts(&mut sw).try_into().unwrap();
    finish_prompt(&mut sw, &call, first);
    sw.network_digits(&call, "9").unwrap();
    assert_eq!(prompts(&mut sw).len(), 1);
    sw.network_digits(&call, "1").unwrap();
    assert_eq!(parties(&sw, &call)[1], p("5000", Queued));
}

#[test]
fn collected_digits_reach_the_answering_agent_as_call_data() {
    let mut sw = main_line(monday_morning());
    ready(&mut sw, &["1002"]);
    let call = sw
        .sim_place_call(CALLER, "5100", data(&[("campaign", "winter")]))
        .unwrap();
    let [(first, _)] = prompts(&mut sw).try_into().unwrap();
    // Pressed during the menu's prompt (it is cut short), and typed ahead
    // into the collect step: 3, then 4242#.
    sw.network_digits(&call, "34242#").unwrap();
    sw.prompt_finished(&call, first);
    assert_eq!(parties(&sw, &call)[1], p("2002", Alerting));
    let out = sw.take_output();
    let delivered = out
        .deliveries
        .iter()
        .find_map(|d| match &d.event {
            NativeEvent::Delivered(e) if d.agent_id == "1002" => Some(e.call.data.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        delivered,
        data(&[("campaign", "winter"), ("account", "4242")])
    );
    assert_eq!(
        path(&sw, &call),
        [
            "flow 5100",
            "hours",
            "menu",
            "menu:3",
            "account",
            "account=4242",
            "support"
        ]
    );
}

#[test]
fn a_collect_ends_at_its_maximum_or_its_timeout_and_nothing_collected_takes_no_input() {
    let mut sw = main_line(monday_morning());
    login(&mut sw, "1001");
    let call = sw.sim_place_call(CALLER, "5100", UserData::new()).unwrap();
    sw.network_digits(&call, "3").unwrap();
    let (prompt, _) = prompts(&mut sw).pop().unwrap();
    sw.prompt_finished(&call, prompt);
    sw.network_digits(&call, "1234567").unwrap();
    // Six digits is the maximum: the seventh is pressed in the queue.
    assert_eq!(sw.calls[&call].data["account"], "123456");

    let mut sw = main_line(monday_morning());
    login(&mut sw, "1001");
    let call = sw.sim_place_call(CALLER, "5100", UserData::new()).unwrap();
    sw.network_digits(&call, "3").unwrap();
    let (prompt, _) = prompts(&mut sw).pop().unwrap();
    sw.prompt_finished(&call, prompt);
    sw.network_digits(&call, "77").unwrap();
    let out = sw.take_output();
    let &(wait, at) = flow_timers(&out).last().unwrap();
    sw.advance_to(at);
    sw.timer_due(Timer::FlowTimeout {
        call_id: call.clone(),
        generation: wait,
        at,
    });
    assert_eq!(sw.calls[&call].data["account"], "77");
}

#[test]
fn a_queue_nobody_serves_now_follows_its_fallback() {
    let mut sw = main_line(monday_morning());
    let call = sw.sim_place_call(CALLER, "5100", UserData::new()).unwrap();
    sw.network_digits(&call, "2").unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("5100", Connected)]
    );
    assert_eq!(path(&sw, &call).last().map(String::as_str), Some("closed"));
}

#[test]
fn transfer_to_an_extension_rings_it_or_follows_its_fallback() {
    let mut sw = main_line(monday_morning());
    login(&mut sw, "1004");
    let call = sw.sim_place_call(CALLER, "5100", UserData::new()).unwrap();
    sw.network_digits(&call, "0").unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("2004", Alerting)]
    );
    sw.answer("1004", &call).unwrap();
    assert_eq!(parties(&sw, &call)[1], p("2004", Connected));

    let mut sw = main_line(monday_morning());
    let call = sw.sim_place_call(CALLER, "5100", UserData::new()).unwrap();
    sw.network_digits(&call, "0").unwrap();
    assert_eq!(path(&sw, &call).last().map(String::as_str), Some("closed"));
}

#[test]
fn an_agent_can_dial_a_flow_and_press_keys_from_the_panel() {
    let mut sw = main_line(monday_morning());
    ready(&mut sw, &["1002"]);
    login(&mut sw, "1001");
    let call = sw.make_call("1001", "5100", None).unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p("2001", Connected), p("5100", Connected)]
    );
    sw.generate_digits("1001", &call, "2").unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p("2001", Connected), p("2002", Alerting)]
    );
}

#[test]
fn a_full_queue_can_overflow_into_a_flow() {
    let mut config = SwitchConfig::demo();
    config.flows = vec![flow(MAIN)];
    config.queues[0].max_waiting = Some(1);
    config.queues[0].overflow = Some("5100".into());
    config.validate().unwrap();
    let mut sw = Switch::new(config);
    sw.advance_to(monday_morning());
    sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    let second = sw
        .sim_place_call("+15551230002", "5000", UserData::new())
        .unwrap();
    assert_eq!(parties(&sw, &second)[1], p("5100", Connected));
}

#[test]
fn flows_are_checked_at_start_naming_the_place() {
    let broken = |from: &str, to: &str| {
        let mut config = SwitchConfig::demo();
        config.flows = vec![flow(&MAIN.replace(from, to))];
        config.validate().unwrap_err()
    };
    assert_eq!(
        broken(r#"next = "support""#, r#"next = "nowhere""#),
        "flow 5100: step account names unknown step nowhere"
    );
    assert_eq!(
        broken(r#""0" = "operator""#, r#""5" = "sales""#),
        "flow 5100: step operator is never reached from hours"
    );
    assert_eq!(
        broken("mon-fri 08:00-18:00", "mon-fri 08:00-25:00"),
        r#"flow 5100: step hours: weekly "mon-fri 08:00-25:00": "25:00" is not a time (HH:MM, 00:00 to 24:00)"#
    );
    assert_eq!(
        broken("mon-fri 08:00-18:00", "mon-fri 18:00-08:00"),
        r#"flow 5100: step hours: weekly "mon-fri 18:00-08:00": 18:00-08:00 ends before it starts"#
    );
    assert_eq!(
        broken("America/New_York", "Mars/Olympus"),
        r#"flow 5100: step hours: time zone "Mars/Olympus" is not known (use an IANA name, e.g. Europe/Berlin)"#
    );
    assert_eq!(
        broken("2026-12-25", "2026-13-25"),
        r#"flow 5100: step hours: holiday "2026-13-25" is not a date (YYYY-MM-DD)"#
    );
    assert_eq!(
        broken(r#""1" = "sales""#, r#""12" = "sales""#),
        r#"flow 5100: step menu: option "12" is not one key (0-9, *, #)"#
    );
    assert_eq!(
        broken(r#"to = "2004""#, r#"to = "5000""#),
        "flow 5100: step operator: transfer to 5000: use a queue step for a queue, and a step of this flow for a flow"
    );
    assert_eq!(
        broken(r#"queue = "5001""#, r#"queue = "5009""#),
        "flow 5100: step support: queue 5009 is not a configured queue"
    );
    let unknown =
        toml::from_str::<FlowConfig>(&MAIN.replace(r#"type = "hangup""#, r#"type = "explode""#));
    assert!(
        unknown
            .unwrap_err()
            .to_string()
            .contains("unknown variant `explode`"),
        "an unknown step type is refused when the file is read"
    );
    let mut config = SwitchConfig::demo();
    config.flows = vec![flow(
        &MAIN.replace(r#"number = "5100""#, r#"number = "5000""#),
    )];
    assert_eq!(
        config.validate().unwrap_err(),
        "number 5000 is configured twice"
    );
}

#[test]
fn a_flow_a_caller_could_circle_for_ever_without_pressing_is_refused() {
    let endless = r#"
number = "5200"
name = "Loop"
start = "menu"
[steps.menu]
type = "menu"
prompt = { text = "Press 1" }
options = { "1" = "sales" }
no_input = "sorry"
[steps.sorry]
type = "say"
prompt = { text = "Sorry" }
next = "menu"
[steps.sales]
type = "queue"
queue = "5000"
"#;
    let mut config = SwitchConfig::demo();
    config.flows = vec![flow(endless)];
    assert_eq!(
        config.validate().unwrap_err(),
        "flow 5200: a caller who presses nothing goes round for ever: menu → sorry → menu"
    );
}

/// A random flow: steps s0…sN of random kinds pointing at random steps.
fn random_flow(rng: &mut StdRng) -> String {
    let n = rng.random_range(1..8);
    let mut text = String::from("number = \"5300\"\nname = \"Random\"\nstart = \"s0\"\n");
    for i in 0..n {
        // Mostly onwards (so that many flows pass), sometimes anywhere
        // (so that loops, digit-driven and endless, come up too).
        let step = |rng: &mut StdRng| {
            let to = if i + 1 < n && rng.random_bool(0.8) {
                rng.random_range(i + 1..n)
            } else {
                rng.random_range(0..n)
            };
            format!("s{to}")
        };
        text += &format!("[steps.s{i}]\n");
        text += &match rng.random_range(0..7) {
            0 => format!(
                "type = \"say\"\nprompt = {{ text = \"x\" }}\nnext = \"{}\"\n",
                step(rng)
            ),
            1 => format!(
                "type = \"menu\"\nprompt = {{ text = \"x\" }}\noptions = {{ \"1\" = \"{}\", \"2\" = \"{}\" }}\nretries = {}\nno_input = \"{}\"\n",
                step(rng),
                step(rng),
                rng.random_range(0..3),
                step(rng)
            ),
            2 => format!(
                "type = \"collect\"\nprompt = {{ text = \"x\" }}\ninto = \"k\"\nmax_digits = 2\nnext = \"{}\"\nno_input = \"{}\"\n",
                step(rng),
                step(rng)
            ),
            3 => format!(
                "type = \"hours\"\ntime_zone = \"Europe/Paris\"\nweekly = [\"mon 00:00-24:00\"]\nopen = \"{}\"\nclosed = \"{}\"\n",
                step(rng),
                step(rng)
            ),
            4 => format!(
                "type = \"queue\"\nqueue = \"5000\"\nfallback = \"{}\"\n",
                step(rng)
            ),
            5 => format!(
                "type = \"transfer\"\nto = \"2004\"\nfallback = \"{}\"\n",
                step(rng)
            ),
            _ => "type = \"hangup\"\n".to_string(),
        };
    }
    text
}

/// Plays a caller through the flow: each prompt finishes, each wait times
/// out, and some digits are pressed. Returns how many inputs it took for
/// the call to leave the flow (or `None` if it never did).
fn leaves_the_flow(sw: &mut Switch, call: &str, rng: &mut StdRng, press: bool) -> Option<usize> {
    // What the caller waits on: a prompt playing, or a timeout.
    let (mut prompt, mut timer) = (None, None);
    for inputs in 0..200 {
        if sw.calls.get(call).is_none_or(|c| c.flow.is_none()) {
            return Some(inputs);
        }
        let out = sw.take_output();
        if let Some(p) = out.prompts.last() {
            (prompt, timer) = (Some(p.generation), None);
        }
        if let Some(&t) = flow_timers(&out).last() {
            (prompt, timer) = (None, Some(t));
        }
        if press && rng.random_bool(0.3) {
            let digit = ["1", "2", "3", "#"][rng.random_range(0..4)];
            sw.network_digits(call, digit).unwrap();
            continue;
        }
        if let Some(generation) = prompt.take() {
            sw.prompt_finished(call, generation);
        } else if let Some((generation, at)) = timer.take() {
            sw.advance_to(at);
            sw.timer_due(Timer::FlowTimeout {
                call_id: call.to_string(),
                generation,
                at,
            });
        } else {
            // Waiting on nothing: the flow is stuck.
            return None;
        }
    }
    None
}

#[test]
fn every_flow_the_validator_accepts_ends_every_call() {
    let mut rng = StdRng::seed_from_u64(30);
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..6_000 {
        let text = random_flow(&mut rng);
        let mut config = SwitchConfig::demo();
        config.flows = vec![flow(&text)];
        if config.validate().is_err() {
            refused += 1;
            continue;
        }
        accepted += 1;
        for press in [false, true] {
            let mut sw = Switch::new(config.clone());
            sw.advance_to(at("2026-12-07T10:00[Europe/Paris]"));
            // Half the time somebody can take the calls.
            if rng.random_bool(0.5) {
                login(&mut sw, "1004");
            }
            let call = sw.sim_place_call(CALLER, "5300", UserData::new()).unwrap();
            assert!(
                leaves_the_flow(&mut sw, &call, &mut rng, press).is_some(),
                "stuck (pressing: {press}) in:\n{text}"
            );
        }
    }
    assert!(
        accepted > 300 && refused > 300,
        "accepted {accepted}, refused {refused}"
    );
}

#[test]
fn the_readmes_example_flow_is_accepted_and_routes_as_it_says() {
    #[derive(serde::Deserialize)]
    struct Flows {
        flows: Vec<FlowConfig>,
    }
    let readme = include_str!("../../../../README.md");
    let section = &readme[readme.find("## Flows and routing").unwrap()..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let block = &section[start..start + section[start..].find("```").unwrap()];
    let Flows { flows } = toml::from_str(block).unwrap();
    // Saturday 12:00 in London: open; 2 is support.
    let mut sw = with_flows(flows, at("2026-12-12T12:00[Europe/London]"));
    login(&mut sw, "1001");
    let call = sw.sim_place_call(CALLER, "5100", UserData::new()).unwrap();
    sw.network_digits(&call, "2").unwrap();
    assert_eq!(parties(&sw, &call)[1], p("5001", Queued));
}
