//! Routing: skills and proficiency, expansion, priorities and overflow.

use super::*;
use crate::switch::config::QueueConfig;

/// Agents 1001–1004 with billing skills 3, 5, none and 5; queue 5000
/// (billing) served by skill, 5001 by the list, as the test shapes them.
fn skilled(shape: impl FnOnce(&mut QueueConfig, &mut QueueConfig)) -> Switch {
    let mut config = SwitchConfig::demo();
    for (agent, level) in config
        .agents
        .iter_mut()
        .zip([Some(3), Some(5), None, Some(5)])
    {
        agent.skills = level
            .map(|l| ("billing".to_string(), l))
            .into_iter()
            .collect();
    }
    let mut billing = QueueConfig::served_by("5000", "Billing", &[]);
    billing.skills = vec!["billing".into()];
    let mut support = QueueConfig::served_by("5001", "Support", &["1001".into(), "1003".into()]);
    shape(&mut billing, &mut support);
    config.queues = vec![billing, support];
    // The demo's main line needs callbacks on 5001; these tests route only.
    config.flows.clear();
    config.validate().unwrap();
    let mut sw = Switch::new(config);
    sw.advance_to(1_000);
    sw
}

fn ringing_at(sw: &Switch, call: &str) -> Option<String> {
    parties(sw, call)
        .into_iter()
        .find(|(_, s)| *s == Alerting)
        .map(|(dn, _)| dn)
}

fn queue_timers(out: &Output) -> Vec<(String, u64, u64)> {
    out.timers
        .iter()
        .filter_map(|t| match t {
            Timer::QueueWait {
                call_id,
                entered,
                at,
            } => Some((call_id.clone(), *entered, *at)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_skilled_call_goes_to_the_most_proficient_free_agent_then_the_next() {
    let mut sw = skilled(|_, _| {});
    // 1001 (billing 3) idle longest, then 1003 (no skill), then 1002 (5).
    ready(&mut sw, &["1001", "1003", "1002"]);
    let first = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    assert_eq!(
        ringing_at(&sw, &first).as_deref(),
        Some("2002"),
        "the expert, though idle less long"
    );
    let second = sw
        .sim_place_call("+15551230002", "5000", UserData::new())
        .unwrap();
    assert_eq!(
        ringing_at(&sw, &second).as_deref(),
        Some("2001"),
        "then the next best"
    );
    // Nobody else has the skill: the third waits, though 1003 is free.
    let third = sw
        .sim_place_call("+15551230003", "5000", UserData::new())
        .unwrap();
    assert_eq!(parties(&sw, &third)[1], p("5000", Queued));
    assert_eq!(status(&sw, "1003"), AgentStatus::Ready);
    // 1003 serves the listed queue.
    let listed = sw
        .sim_place_call("+15551230004", "5001", UserData::new())
        .unwrap();
    assert_eq!(ringing_at(&sw, &listed).as_deref(), Some("2003"));
}

#[test]
fn equal_proficiency_goes_to_the_longest_idle() {
    let mut sw = skilled(|_, _| {});
    ready(&mut sw, &["1004", "1002"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    assert_eq!(ringing_at(&sw, &call).as_deref(), Some("2004"));
}

#[test]
fn before_expansion_only_the_best_logged_in_get_the_call_then_anyone_with_the_skill() {
    let mut sw = skilled(|billing, _| billing.expand_after_seconds = Some(30));
    ready(&mut sw, &["1001"]);
    // 1002 (billing 5) is logged in but Not ready: the call waits for an
    // expert although 1001 (billing 3) is free.
    login(&mut sw, "1002");
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    assert_eq!(parties(&sw, &call)[1], p("5000", Queued));
    let out = sw.take_output();
    assert_eq!(queue_timers(&out), [(call.clone(), 1_010, 31_010)]);

    // A stale timer (another entry time) changes nothing.
    sw.advance_to(31_010);
    sw.timer_due(Timer::QueueWait {
        call_id: call.clone(),
        entered: 5,
        at: 31_010,
    });
    assert_eq!(parties(&sw, &call)[1], p("5000", Queued));
    // The expansion: anyone with the skill.
    sw.timer_due(Timer::QueueWait {
        call_id: call.clone(),
        entered: 1_010,
        at: 31_010,
    });
    assert_eq!(ringing_at(&sw, &call).as_deref(), Some("2001"));
}

#[test]
fn when_the_best_agents_log_out_the_call_goes_to_the_next_at_once() {
    let mut sw = skilled(|billing, _| billing.expand_after_seconds = Some(30));
    ready(&mut sw, &["1001"]);
    login(&mut sw, "1002");
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    assert_eq!(parties(&sw, &call)[1], p("5000", Queued));
    sw.logout("1002", None).unwrap();
    assert_eq!(ringing_at(&sw, &call).as_deref(), Some("2001"));
}

#[test]
fn a_higher_priority_is_served_first_and_the_oldest_within_a_priority() {
    let mut sw = skilled(|billing, support| {
        billing.agents = vec!["1001".into()];
        billing.skills.clear();
        support.priority = 5;
    });
    login(&mut sw, "1001");
    let low_old = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.advance_to(2_000);
    let high = sw
        .sim_place_call("+15551230002", "5001", UserData::new())
        .unwrap();
    sw.advance_to(3_000);
    let high_newer = sw
        .sim_place_call("+15551230003", "5001", UserData::new())
        .unwrap();
    sw.advance_to(4_000);
    let low_new = sw
        .sim_place_call("+15551230004", "5000", UserData::new())
        .unwrap();

    let mut served = vec![];
    sw.set_ready("1001", None).unwrap();
    for _ in 0..4 {
        let call = [&low_old, &high, &high_newer, &low_new]
            .into_iter()
            .find(|c| ringing_at(&sw, c).is_some())
            .unwrap()
            .clone();
        served.push(call.clone());
        sw.answer("1001", &call).unwrap();
        sw.hang_up("1001", &call).unwrap();
        assert_eq!(
            status(&sw, "1001"),
            AgentStatus::WorkingAfterCall,
            "wrap-up first, though calls wait"
        );
        // Back to Ready, and the next call rings.
        sw.complete_wrap_up("1001", None, None).unwrap();
    }
    assert_eq!(served, [high, high_newer, low_old, low_new]);
}

#[test]
fn a_full_queue_sends_new_calls_to_its_overflow() {
    let mut sw = skilled(|billing, _| {
        billing.max_waiting = Some(2);
        billing.overflow = Some("5001".into());
    });
    let calls: Vec<String> = (1..=3)
        .map(|n| {
            sw.sim_place_call(&format!("+1555123000{n}"), "5000", UserData::new())
                .unwrap()
        })
        .collect();
    assert_eq!(parties(&sw, &calls[0])[1], p("5000", Queued));
    assert_eq!(parties(&sw, &calls[1])[1], p("5000", Queued));
    assert_eq!(
        parties(&sw, &calls[2])[1],
        p("5001", Queued),
        "the third overflows"
    );
    let third = sw
        .sim_calls()
        .into_iter()
        .find(|c| c.call_id == calls[2])
        .unwrap();
    assert_eq!(third.queue.as_deref(), Some("5001"));
    // The overflow queue serves it like its own.
    ready(&mut sw, &["1003"]);
    assert_eq!(ringing_at(&sw, &calls[2]).as_deref(), Some("2003"));
}

#[test]
fn a_call_waiting_too_long_overflows_to_an_extension_and_stays_if_nobody_is_free_there() {
    let mut sw = skilled(|billing, _| {
        billing.max_wait_seconds = Some(60);
        billing.overflow = Some("2003".into());
    });
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    let out = sw.take_output();
    assert_eq!(queue_timers(&out), [(call.clone(), 1_000, 61_000)]);
    // Nobody on 2003: it keeps waiting in its queue.
    sw.advance_to(61_000);
    sw.timer_due(Timer::QueueWait {
        call_id: call.clone(),
        entered: 1_000,
        at: 61_000,
    });
    assert_eq!(parties(&sw, &call)[1], p("5000", Queued));
    // 1003 logs in on 2003: the next time the call is looked at (here, a
    // billing agent who lets it ring out) it goes there.
    login(&mut sw, "1003");
    ready(&mut sw, &["1001"]);
    assert_eq!(ringing_at(&sw, &call).as_deref(), Some("2001"));
    sw.take_output();
    sw.ring_timeout_expired(&call, 1);
    assert_eq!(ringing_at(&sw, &call).as_deref(), Some("2003"));
    let out = sw.take_output();
    assert!(names_for(&out, "1003").contains(&format!("Delivered({call} 2003)")));
    sw.answer("1003", &call).unwrap();
    assert_eq!(parties(&sw, &call)[1], p("2003", Connected));
}

#[test]
fn a_call_offered_and_sent_back_keeps_its_wait() {
    let mut sw = skilled(|billing, _| {
        billing.max_wait_seconds = Some(60);
        billing.overflow = Some("5001".into());
    });
    ready(&mut sw, &["1001"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.take_output();
    sw.advance_to(30_000);
    sw.reject("1001", &call).unwrap();
    let out = sw.take_output();
    assert!(
        queue_timers(&out).is_empty(),
        "back in the same queue: no new timers"
    );
    sw.advance_to(61_010);
    sw.timer_due(Timer::QueueWait {
        call_id: call.clone(),
        entered: 1_010,
        at: 61_010,
    });
    // 60 s after it first arrived (not after the reject), it overflows to
    // 5001, where 1001 serves too and may be offered it again.
    let overflowed = sw
        .sim_calls()
        .into_iter()
        .find(|c| c.call_id == call)
        .unwrap();
    assert_eq!(overflowed.queue.as_deref(), Some("5001"));
    assert_eq!(ringing_at(&sw, &call).as_deref(), Some("2001"));
}

#[test]
fn routing_settings_are_checked_at_start() {
    let check = |shape: fn(&mut SwitchConfig)| {
        let mut config = SwitchConfig::demo();
        shape(&mut config);
        config.validate().unwrap_err()
    };
    assert_eq!(
        check(|c| c.agents[0].skills = [("billing".to_string(), 6)].into()),
        "agent 1001: skill billing has proficiency 6; it must be 1 to 5"
    );
    assert_eq!(
        check(|c| {
            c.queues[0].agents.clear();
            c.queues[0].skills = vec!["french".into()];
        }),
        r#"queue 5000: no agent serves it (list agents, or give agents its skills ["french"])"#
    );
    assert_eq!(
        check(|c| c.queues[0].max_waiting = Some(3)),
        "queue 5000: max_wait_seconds or max_waiting needs an overflow number"
    );
    assert_eq!(
        check(|c| c.queues[0].overflow = Some("5001".into())),
        "queue 5000: overflow is never used without max_wait_seconds or max_waiting"
    );
    assert_eq!(
        check(|c| {
            c.queues[0].max_wait_seconds = Some(30);
            c.queues[0].overflow = Some("7777".into());
        }),
        "queue 5000: overflow 7777 is neither a queue, an extension nor a flow"
    );
    assert_eq!(
        check(|c| {
            for (q, to) in c.queues.iter_mut().zip(["5001", "5000"]) {
                q.max_waiting = Some(5);
                q.overflow = Some(to.into());
            }
        }),
        "queues overflow in a circle: 5000 → 5001 → 5000"
    );
    assert_eq!(
        check(|c| c.queues[1].priority = 10),
        "queue 5001: priority 10 must be 0 to 9"
    );
    assert_eq!(
        check(|c| c.queues[0].expand_after_seconds = Some(10)),
        "queue 5000: expand_after_seconds needs skills (without them every agent is equal)"
    );
}

#[test]
fn skills_and_limits_read_from_toml() {
    let mut config: SwitchConfig = toml::from_str(
        r#"
        extensions = ["2001", "2002"]
        reason_codes = ["Break"]
        [[agents]]
        id = "1001"
        password = "x"
        extension = "2001"
        skills = { billing = 4, spanish = 2 }
        [[queues]]
        number = "5000"
        name = "Billing (Spanish)"
        skills = ["billing", "spanish"]
        priority = 3
        expand_after_seconds = 20
        max_waiting = 10
        overflow = "2002"
        record = true
        "#,
    )
    .unwrap();
    assert!(config.queues[0].record);
    config.agents[0].password = crate::switch::config::DEMO_PASSWORD_HASH.into();
    config.validate().unwrap();
    let sw = Switch::new(config);
    assert_eq!(sw.agents["1001"].queues, [("5000".to_string(), 2)].into());
}

#[test]
fn the_offer_says_which_skills_brought_the_call_until_it_leaves_the_queue() {
    let mut sw = skilled(|_, _| {});
    ready(&mut sw, &["1002", "1001"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    let skills_for = |out: &Output, agent: &str| -> Vec<Vec<String>> {
        out.deliveries
            .iter()
            .filter(|d| d.agent_id == agent)
            .filter_map(|d| match &d.event {
                NativeEvent::Delivered(e) | NativeEvent::Established(e) => {
                    Some(e.call.skills.clone())
                }
                _ => None,
            })
            .collect()
    };
    assert_eq!(skills_for(&sw.take_output(), "1002"), [["billing"]]);
    sw.answer("1002", &call).unwrap();
    assert_eq!(skills_for(&sw.take_output(), "1002"), [["billing"]]);
    let snapshot = sw.snapshot("1002").unwrap();
    assert_eq!(snapshot.calls[0].skills, ["billing"]);
    // Sent on to an extension: no longer the skill's doing.
    sw.single_step_transfer("1002", &call, "2001", None)
        .unwrap();
    assert_eq!(
        skills_for(&sw.take_output(), "1001"),
        [Vec::<String>::new()]
    );
    // A queue without skills says none.
    let listed = sw
        .sim_place_call("+15551230002", "5001", UserData::new())
        .unwrap();
    ready(&mut sw, &["1003"]);
    assert_eq!(ringing_at(&sw, &listed).as_deref(), Some("2003"));
    assert_eq!(
        sw.snapshot("1003").unwrap().calls[0].skills,
        Vec::<String>::new()
    );
}
