//! A day of operations: ring-no-answer, sessions that end, call records,
//! wrap-up records and what a restart restores.

use app::opencti::events::{CallOutcome, WorkMode};

use super::*;

/// The ring-no-answer timers in `out`, as (call, offer).
fn rona_timers(out: &Output) -> Vec<(String, u64, u64)> {
    out.timers
        .iter()
        .filter_map(|t| match t {
            Timer::RingNoAnswer { call_id, offer, at } => Some((call_id.clone(), *offer, *at)),
            _ => None,
        })
        .collect()
}

fn wrap_up_records(out: &Output) -> Vec<WrapUpRecord> {
    out.records
        .iter()
        .filter_map(|r| match r {
            RecordUpdate::WrapUp(w) => Some(w.clone()),
            RecordUpdate::Call(_) => None,
        })
        .collect()
}

#[test]
fn a_queue_call_that_rings_out_goes_to_the_next_agent_and_the_first_is_not_ready_missed() {
    let mut sw = switch();
    ready(&mut sw, &["1001", "1002"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    let out = sw.take_output();
    let timers = rona_timers(&out);
    assert_eq!(timers, [(call.clone(), 1, sw.now + 20_000)]);
    // A timer for an offer that is not the current one changes nothing.
    sw.ring_timeout_expired(&call, 7);
    assert!(sw.take_output().deliveries.is_empty());
    sw.advance_to(sw.now + 20_000);
    sw.ring_timeout_expired(&call, 1);
    let out = sw.take_output();
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("2002", Alerting)]
    );
    let snap = sw.snapshot("1001").unwrap();
    assert_eq!(snap.agent.status, AgentStatus::NotReady);
    assert_eq!(snap.agent.reason, "Missed");
    assert!(
        out.deliveries.iter().any(|d| d.agent_id == "1001"
            && matches!(&d.event, NativeEvent::Diverted(e) if e.cause == Some(Cause::NoAnswer))),
        "the agent is told why the call left: {out:?}"
    );
    assert_eq!(rona_timers(&out), [(call.clone(), 2, sw.now + 20_000)]);
    // The first offer's timer, late, does not touch the second offer.
    sw.ring_timeout_expired(&call, 1);
    assert_eq!(parties(&sw, &call)[1], p("2002", Alerting));
    // Answered in time: the timer of that offer is stale.
    sw.answer("1002", &call).unwrap();
    sw.ring_timeout_expired(&call, 2);
    assert_eq!(parties(&sw, &call)[1], p("2002", Connected));
    assert_eq!(status(&sw, "1002"), AgentStatus::Ready);
}

#[test]
fn direct_calls_ring_until_the_caller_hangs_up_and_zero_turns_ring_no_answer_off() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    sw.sim_place_call(CALLER, "2001", UserData::new()).unwrap();
    assert!(rona_timers(&sw.take_output()).is_empty());

    let mut config = SwitchConfig::demo();
    config.ring_timeout_seconds = 0;
    config.missed_reason = "No answer".into();
    let mut sw = Switch::new(config);
    ready(&mut sw, &["1001"]);
    sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    assert!(rona_timers(&sw.take_output()).is_empty());
}

#[test]
fn an_ended_session_sends_ringing_calls_back_and_hangs_up_the_others() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    let talking = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &talking).unwrap();
    let ringing = sw
        .sim_place_call("+15551230002", "2001", UserData::new())
        .unwrap();
    sw.set_ready("1002", None).unwrap_err();
    ready(&mut sw, &["1002"]);
    sw.set_not_ready("1002", Some("Break"), None).unwrap();
    // A queue call offered to 1001 while it was free: put 1001 back in Ready
    // with nothing on its line first.
    assert!(sw.end_session("1001", ""));
    assert_eq!(status(&sw, "1001"), AgentStatus::LoggedOut);
    assert!(parties(&sw, &talking).is_empty(), "hung up: the call ended");
    assert!(
        parties(&sw, &ringing).is_empty(),
        "a direct call is cleared"
    );
    assert!(!sw.end_session("1001", ""), "once");

    // A ringing queue call goes back to its queue for the next agent.
    ready(&mut sw, &["1001"]);
    let queued = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    assert_eq!(parties(&sw, &queued)[1], p("2001", Alerting));
    sw.set_ready("1002", None).unwrap();
    assert!(sw.end_session("1001", ""));
    assert_eq!(parties(&sw, &queued)[1], p("2002", Alerting));
}

#[test]
fn a_call_record_has_talk_and_hold_time_per_leg_and_wrap_up_adds_disposition_and_note() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    let start = sw.now;
    let call = sw
        .sim_place_call(CALLER, "5000", data(&[("account", "42")]))
        .unwrap();
    sw.advance_to(start + 2_000);
    sw.answer("1001", &call).unwrap();
    sw.advance_to(start + 12_000);
    sw.hold("1001", &call).unwrap();
    sw.advance_to(start + 15_000);
    sw.retrieve("1001", &call).unwrap();
    sw.advance_to(start + 20_000);
    sw.take_output();
    sw.sim_hang_up(&call).unwrap();
    let out = sw.take_output();
    let [record] = call_records(&out).try_into().unwrap();
    assert_eq!(record.call_id, call);
    assert_eq!(record.direction, Direction::Inbound);
    assert_eq!(
        (record.ani.as_str(), record.dnis.as_str()),
        (CALLER, "5000")
    );
    assert_eq!(record.queue.as_deref(), Some("5000"));
    assert_eq!(
        (record.started_at, record.answered_at, record.ended_at),
        (start, Some(start + 2_000), start + 20_000)
    );
    assert_eq!(record.outcome, CallOutcome::Answered);
    assert_eq!(record.data, data(&[("account", "42")]));
    let [leg] = record.legs.try_into().unwrap();
    assert_eq!(
        (leg.agent_id.as_str(), leg.extension.as_str()),
        ("1001", "2001")
    );
    assert!(leg.answered);
    assert_eq!((leg.talk_ms, leg.hold_ms), (15_000, 3_000));

    sw.advance_to(start + 26_000);
    sw.complete_wrap_up("1001", Some("Sale"), Some("  Wants the yearly plan  "))
        .unwrap();
    let out = sw.take_output();
    assert_eq!(
        wrap_up_records(&out),
        [WrapUpRecord {
            agent_id: "1001".into(),
            call_ids: vec![call.clone()],
            wrap_up_ms: 6_000,
            disposition: Some("Sale".into()),
            note: Some("Wants the yearly plan".into()),
        }]
    );
    // The agent's recent calls carry it, newest first.
    let recent = sw.snapshot("1001").unwrap().recent;
    assert_eq!(recent[0].call_id, call);
    assert_eq!(recent[0].number, CALLER);
    assert_eq!(recent[0].outcome, CallOutcome::Answered);
    assert_eq!(recent[0].disposition.as_deref(), Some("Sale"));
    assert!(sw.snapshot("1002").unwrap().recent.is_empty());
}

#[test]
fn a_note_past_its_bound_is_refused_and_changes_nothing() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &call).unwrap();
    sw.sim_hang_up(&call).unwrap();
    sw.take_output();
    let long = "x".repeat(1001);
    let err = sw
        .complete_wrap_up("1001", Some("Sale"), Some(&long))
        .unwrap_err();
    assert_eq!(err.err_code, ErrorCode::BadRequest);
    assert_eq!(sw.take_output(), Output::default());
    assert_eq!(status(&sw, "1001"), AgentStatus::WorkingAfterCall);
}

#[test]
fn outcomes_abandoned_missed_and_transferred() {
    let mut sw = switch();
    // Abandoned in the queue: nobody was ready.
    let abandoned = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.sim_hang_up(&abandoned).unwrap();
    let [record] = call_records(&sw.take_output()).try_into().unwrap();
    assert_eq!(
        (record.call_id.as_str(), record.outcome),
        (abandoned.as_str(), CallOutcome::Abandoned)
    );
    assert!(record.legs.is_empty());

    // Missed: rang out at an agent, then the caller gave up.
    ready(&mut sw, &["1001"]);
    let missed = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.ring_timeout_expired(&missed, 1);
    sw.sim_hang_up(&missed).unwrap();
    let [record] = call_records(&sw.take_output()).try_into().unwrap();
    assert_eq!(record.outcome, CallOutcome::Missed);
    assert_eq!(record.legs.len(), 1);
    assert!(!record.legs[0].answered);
    assert_eq!(
        sw.snapshot("1001").unwrap().recent[0].outcome,
        CallOutcome::Missed
    );

    // Transferred: blind to the other queue, answered there.
    sw.set_ready("1001", None).unwrap();
    ready(&mut sw, &["1002"]);
    let moved = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &moved).unwrap();
    sw.single_step_transfer("1001", &moved, "5001", None)
        .unwrap();
    sw.answer("1002", &moved).unwrap();
    sw.sim_hang_up(&moved).unwrap();
    let [record] = call_records(&sw.take_output()).try_into().unwrap();
    assert_eq!(record.outcome, CallOutcome::Transferred);
    assert_eq!(record.queue.as_deref(), Some("5001"));
    let agents: Vec<&str> = record.legs.iter().map(|l| l.agent_id.as_str()).collect();
    assert_eq!(agents, ["1001", "1002"]);
    assert!(record.legs.iter().all(|l| l.answered));
}

#[test]
fn a_consultation_is_a_call_of_its_own_and_the_original_is_transferred() {
    let mut sw = switch();
    ready(&mut sw, &["1001", "1002"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &call).unwrap();
    sw.set_not_ready("1002", None, None).unwrap();
    let consult = sw
        .consult("1001", &call, "2002", Function::TransferInitiate, None)
        .unwrap();
    sw.answer("1002", &consult).unwrap();
    sw.take_output();
    sw.complete("1001", Function::TransferComplete, &call, &consult)
        .unwrap();
    let [record] = call_records(&sw.take_output()).try_into().unwrap();
    assert_eq!(record.call_id, consult);
    assert_eq!(record.consult_of.as_deref(), Some(call.as_str()));
    assert_eq!(record.outcome, CallOutcome::Transferred);
    sw.sim_hang_up(&call).unwrap();
    let [record] = call_records(&sw.take_output()).try_into().unwrap();
    assert_eq!(record.outcome, CallOutcome::Transferred);
    assert_eq!(record.legs.len(), 2, "{:?}", record.legs);
}

#[test]
fn a_saved_agent_comes_back_in_its_state_without_calls_or_events() {
    let mut sw = switch();
    ready(&mut sw, &["1001", "1002"]);
    sw.set_not_ready("1002", Some("Lunch"), None).unwrap();
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &call).unwrap();
    sw.sim_hang_up(&call).unwrap();
    let in_wrap_up = sw.saved_agent("1001").unwrap();
    assert_eq!(in_wrap_up.status, AgentStatus::WorkingAfterCall);
    assert_eq!(in_wrap_up.resume_status, AgentStatus::Ready);
    let lunch = sw.saved_agent("1002").unwrap();
    assert_eq!(
        (lunch.status, lunch.reason.as_str()),
        (AgentStatus::NotReady, "Lunch")
    );
    assert!(sw.saved_agent("1003").is_none());

    let mut restarted = Switch::new(SwitchConfig::demo());
    restarted.advance_to(sw.now + 5_000);
    restarted.restore_agent(in_wrap_up.clone()).unwrap();
    restarted.restore_agent(lunch.clone()).unwrap();
    assert_eq!(restarted.saved_agent("1002"), Some(lunch.clone()));
    let out = restarted.take_output();
    assert!(out.deliveries.is_empty(), "panels resume with a snapshot");
    let [Timer::WrapUp { at, .. }] = out.timers.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(Some(*at), in_wrap_up.wrap_up_ends_at);
    assert!(restarted.restore_agent(lunch).is_err(), "once");
    // Calls placed after the restart do not reuse recorded ids.
    restarted.continue_numbering_after(Switch::call_number(&call).unwrap());
    let next = restarted
        .sim_place_call(CALLER, "5001", UserData::new())
        .unwrap();
    assert_ne!(next, call);
    assert_eq!(
        Switch::call_number(&next),
        Switch::call_number(&call).map(|n| n + 1)
    );
    // Wrap-up ends as it would have, and the agent is Ready again.
    let generation = restarted.agents["1001"].wrap_up_generation;
    restarted.wrap_up_expired("1001", generation);
    assert_eq!(status(&restarted, "1001"), AgentStatus::Ready);
    assert_eq!(restarted.agents["1001"].work_mode, WorkMode::AutoIn);
}
