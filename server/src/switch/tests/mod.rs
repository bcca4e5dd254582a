//! Unit tests of the switch as a pure state machine.

use app::{
    opencti::{
        ErrorCode, UserData,
        functions::{Function, TelephonyMode},
    },
    wire::native::{
        AgentStatus, Cause, ConnectionState, CstaRequest, NativeEvent, RequestedAgentState,
    },
};

use super::*;

use ConnectionState::*;

const CALLER: &str = "+15551230001";

fn switch() -> Switch {
    let mut sw = Switch::new(SwitchConfig::demo());
    sw.advance_to(1_000);
    sw
}

fn login(sw: &mut Switch, agent: &str) {
    sw.login(agent, None, None).unwrap();
}

/// Logs agents in and makes them Ready in this order (so the first one has
/// been idle longest).
fn ready(sw: &mut Switch, agents: &[&str]) {
    for agent in agents {
        login(sw, agent);
        sw.set_ready(agent, None).unwrap();
        sw.advance_to(sw.now + 10);
    }
    sw.take_output();
}

fn data(pairs: &[(&str, &str)]) -> UserData {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn parties(sw: &Switch, call_id: &str) -> Vec<(String, ConnectionState)> {
    sw.sim_calls()
        .into_iter()
        .find(|c| c.call_id == call_id)
        .map(|c| c.parties.into_iter().map(|p| (p.dn, p.state)).collect())
        .unwrap_or_default()
}

fn p(dn: &str, state: ConnectionState) -> (String, ConnectionState) {
    (dn.to_string(), state)
}

/// The native event names each agent received, in order.
fn names_for(output: &Output, agent: &str) -> Vec<String> {
    output
        .deliveries
        .iter()
        .filter(|d| d.agent_id == agent)
        .map(|d| {
            let name = serde_json::to_value(&d.event).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string();
            match &d.event {
                NativeEvent::Originated(e)
                | NativeEvent::Delivered(e)
                | NativeEvent::Established(e)
                | NativeEvent::Held(e)
                | NativeEvent::Retrieved(e)
                | NativeEvent::ConnectionCleared(e)
                | NativeEvent::Transferred(e)
                | NativeEvent::Conferenced(e)
                | NativeEvent::Failed(e)
                | NativeEvent::Diverted(e) => format!("{name}({} {})", e.call.call_id, e.device),
                _ => name,
            }
        })
        .collect()
}

/// The call records in `out`.
fn call_records(out: &Output) -> Vec<CallRecord> {
    out.records
        .iter()
        .filter_map(|r| match r {
            RecordUpdate::Call(c) => Some(c.clone()),
            RecordUpdate::WrapUp(_) => None,
        })
        .collect()
}

fn status(sw: &Switch, agent: &str) -> AgentStatus {
    sw.snapshot(agent).unwrap().agent.status
}

#[test]
fn queue_call_rings_the_longest_idle_ready_agent() {
    let mut sw = switch();
    ready(&mut sw, &["1002", "1001"]);
    let call = sw
        .sim_place_call(CALLER, "5000", data(&[("account", "42")]))
        .unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("2002", Alerting)]
    );
    let out = sw.take_output();
    assert_eq!(names_for(&out, "1002"), [format!("Delivered({call} 2002)")]);
    assert!(names_for(&out, "1001").is_empty());
    // The next call goes to the other agent, who is free.
    let second = sw
        .sim_place_call("+15551230002", "5000", UserData::new())
        .unwrap();
    assert_eq!(
        parties(&sw, &second),
        [p("+15551230002", Connected), p("2001", Alerting)]
    );
    // A third waits in queue, listed with the queue as a party.
    let third = sw
        .sim_place_call("+15551230003", "5001", UserData::new())
        .unwrap();
    assert_eq!(
        parties(&sw, &third),
        [p("+15551230003", Connected), p("5001", Queued)]
    );
}

#[test]
fn calls_wait_while_nobody_is_ready_and_go_to_the_first_ready_agent() {
    let mut sw = switch();
    login(&mut sw, "1003");
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    assert_eq!(parties(&sw, &call)[1], p("5000", Queued));
    sw.set_ready("1003", None).unwrap();
    assert_eq!(parties(&sw, &call)[1], p("2003", Alerting));
}

#[test]
fn wrap_up_comes_before_the_next_waiting_call() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    let first = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    let waiting = sw
        .sim_place_call("+15551230002", "5000", UserData::new())
        .unwrap();
    sw.answer("1001", &first).unwrap();
    sw.hang_up("1001", &first).unwrap();
    assert_eq!(status(&sw, "1001"), AgentStatus::WorkingAfterCall);
    assert_eq!(parties(&sw, &waiting)[1], p("5000", Queued));
    sw.complete_wrap_up("1001", None, None).unwrap();
    assert_eq!(parties(&sw, &waiting)[1], p("2001", Alerting));
}

#[test]
fn answer_hold_retrieve_dtmf_hang_up_then_wrap_up() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &call).unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("2001", Connected)]
    );
    sw.hold("1001", &call).unwrap();
    assert_eq!(parties(&sw, &call)[1], p("2001", Held));
    sw.retrieve("1001", &call).unwrap();
    sw.generate_digits("1001", &call, "12#").unwrap();
    sw.generate_digits("1001", &call, "4").unwrap();
    assert_eq!(sw.sim_calls()[0].digits, "12#4");
    sw.take_output();
    sw.hang_up("1001", &call).unwrap();
    assert!(sw.sim_calls().is_empty());
    let out = sw.take_output();
    assert_eq!(
        names_for(&out, "1001"),
        [
            format!("ConnectionCleared({call} 2001)"),
            "AgentWorkingAfterCall".into()
        ]
    );
    assert_eq!(status(&sw, "1001"), AgentStatus::WorkingAfterCall);
    let [Timer::WrapUp { generation, at, .. }] = out.timers.as_slice() else {
        panic!("{:?}", out.timers)
    };
    assert_eq!(*at, sw.now + 30_000);
    // The timer ends wrap-up and returns the agent to Ready.
    sw.wrap_up_expired("1001", *generation);
    assert_eq!(status(&sw, "1001"), AgentStatus::Ready);
}

#[test]
fn finish_wrap_up_early_and_stale_timers_are_ignored() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &call).unwrap();
    // Not ready during the call: wrap-up returns to NotReady(Lunch).
    sw.set_not_ready("1001", Some("Lunch"), None).unwrap();
    sw.sim_hang_up(&call).unwrap();
    assert_eq!(status(&sw, "1001"), AgentStatus::WorkingAfterCall);
    let generation = sw.agents["1001"].wrap_up_generation;
    // An outcome that is not configured changes nothing.
    assert_eq!(
        sw.complete_wrap_up("1001", Some("Maybe"), None)
            .unwrap_err()
            .err_code,
        ErrorCode::BadRequest
    );
    assert_eq!(status(&sw, "1001"), AgentStatus::WorkingAfterCall);
    sw.take_output();
    sw.complete_wrap_up("1001", Some("Sale"), None).unwrap();
    // The disposition is recorded for the call the wrap-up follows.
    let output = sw.take_output();
    let dispositions: Vec<_> = output
        .deliveries
        .iter()
        .filter_map(|d| match &d.event {
            NativeEvent::Disposition(info) => Some((
                d.agent_id.as_str(),
                info.call_id.as_str(),
                info.disposition.as_str(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(dispositions, [("1001", call.as_str(), "Sale")]);
    let agent = sw.snapshot("1001").unwrap().agent;
    assert_eq!(
        (agent.status, agent.reason.as_str()),
        (AgentStatus::NotReady, "Lunch")
    );
    sw.take_output();
    sw.wrap_up_expired("1001", generation);
    assert!(sw.take_output().deliveries.is_empty());
    assert_eq!(
        sw.complete_wrap_up("1001", None, None)
            .unwrap_err()
            .err_code,
        ErrorCode::InvalidObjectState
    );
}

#[test]
fn caller_hanging_up_while_ringing_abandons_the_call() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.take_output();
    sw.sim_hang_up(&call).unwrap();
    let out = sw.take_output();
    let [
        Delivery {
            event: NativeEvent::ConnectionCleared(e),
            ..
        },
    ] = out.deliveries.as_slice()
    else {
        panic!("{out:?}")
    };
    assert_eq!(
        (e.device.as_str(), e.cause),
        ("2001", Some(Cause::CallCancelled))
    );
    // Never talked: no wrap-up.
    assert_eq!(status(&sw, "1001"), AgentStatus::Ready);
    // Abandoned while queued: nobody is told.
    login(&mut sw, "1002");
    sw.set_not_ready("1001", Some("Break"), None).unwrap();
    let queued = sw.sim_place_call(CALLER, "5001", UserData::new()).unwrap();
    sw.take_output();
    sw.sim_hang_up(&queued).unwrap();
    assert!(sw.sim_calls().is_empty());
    assert!(sw.take_output().deliveries.is_empty());
}

#[test]
fn consult_then_transfer_keeps_the_original_call_id_and_merged_data() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    login(&mut sw, "1002");
    let call = sw
        .sim_place_call(CALLER, "5000", data(&[("account", "42"), ("tier", "gold")]))
        .unwrap();
    sw.answer("1001", &call).unwrap();
    let consult = sw
        .consult(
            "1001",
            &call,
            "2002",
            Function::TransferInitiate,
            Some(&data(&[("note", "VIP"), ("tier", "platinum")])),
        )
        .unwrap();
    assert_eq!(parties(&sw, &call), [p(CALLER, Connected), p("2001", Held)]);
    assert_eq!(
        parties(&sw, &consult),
        [p("2001", Initiated), p("2002", Alerting)]
    );
    // A second consultation on the same call is refused.
    assert_eq!(
        sw.consult("1001", &call, "2003", Function::TransferInitiate, None)
            .unwrap_err()
            .err_code,
        ErrorCode::ConfAlreadyPresent
    );
    sw.answer("1002", &consult).unwrap();
    assert_eq!(
        parties(&sw, &consult),
        [p("2001", Connected), p("2002", Connected)]
    );
    sw.take_output();
    // Arguments in either order: the original call stays.
    sw.complete("1001", Function::TransferComplete, &consult, &call)
        .unwrap();
    let calls = sw.sim_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].call_id, call);
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("2002", Connected)]
    );
    assert_eq!(
        calls[0].data,
        data(&[("account", "42"), ("note", "VIP"), ("tier", "platinum")])
    );
    let out = sw.take_output();
    assert_eq!(
        names_for(&out, "1001"),
        [
            format!("ConnectionCleared({call} 2001)"),
            format!("ConnectionCleared({consult} 2001)"),
            "AgentWorkingAfterCall".into()
        ]
    );
    assert_eq!(
        names_for(&out, "1002"),
        [
            format!("Transferred({call} 2001)"),
            format!("ConnectionCleared({consult} 2002)")
        ]
    );
}

#[test]
fn conference_of_three_then_drop_a_party() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    login(&mut sw, "1002");
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &call).unwrap();
    let consult = sw
        .consult("1001", &call, "2002", Function::ConferenceInitiate, None)
        .unwrap();
    // Not before the consulted party answers.
    assert_eq!(
        sw.complete("1001", Function::ConferenceComplete, &call, &consult)
            .unwrap_err()
            .err_code,
        ErrorCode::InvalidObjectState
    );
    sw.answer("1002", &consult).unwrap();
    sw.complete("1001", Function::ConferenceComplete, &call, &consult)
        .unwrap();
    assert_eq!(
        parties(&sw, &call),
        [
            p(CALLER, Connected),
            p("2001", Connected),
            p("2002", Connected)
        ]
    );
    assert_eq!(sw.sim_calls().len(), 1);
    sw.drop_party("1001", &call, "2002").unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("2001", Connected)]
    );
    assert_eq!(status(&sw, "1002"), AgentStatus::WorkingAfterCall);
    // Leaving a conference leaves the others talking.
    let consult = sw
        .consult(
            "1001",
            &call,
            "+15559990000",
            Function::ConferenceInitiate,
            None,
        )
        .unwrap();
    sw.sim_answer(&consult).unwrap();
    sw.complete("1001", Function::ConferenceComplete, &call, &consult)
        .unwrap();
    sw.hang_up("1001", &call).unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("+15559990000", Connected)]
    );
}

#[test]
fn blind_transfer_to_a_queue_reaches_the_next_agent() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    login(&mut sw, "1002");
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &call).unwrap();
    sw.single_step_transfer("1001", &call, "5001", Some(&data(&[("note", "billing")])))
        .unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("5001", Queued)]
    );
    assert_eq!(status(&sw, "1001"), AgentStatus::WorkingAfterCall);
    sw.set_ready("1002", None).unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("2002", Alerting)]
    );
    assert_eq!(sw.sim_calls()[0].data["note"], "billing");
}

#[test]
fn rejecting_a_queue_call_offers_it_to_the_next_agent_and_a_direct_call_is_cleared() {
    let mut sw = switch();
    ready(&mut sw, &["1001", "1002"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.reject("1001", &call).unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("2002", Alerting)]
    );
    sw.reject("1002", &call).unwrap();
    // Both rejected it: it waits.
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("5000", Queued)]
    );
    assert_eq!(status(&sw, "1001"), AgentStatus::Ready);
    let direct = sw
        .sim_place_call("+15550000000", "2003", UserData::new())
        .unwrap();
    assert_eq!(
        parties(&sw, &direct)[1],
        p("2003", Failed),
        "nobody logged in on 2003"
    );
    login(&mut sw, "1003");
    let direct = sw
        .sim_place_call("+15550000001", "2003", UserData::new())
        .unwrap();
    assert_eq!(
        parties(&sw, &direct)[1],
        p("2003", Alerting),
        "rings in any state but on a call"
    );
    sw.reject("1003", &direct).unwrap();
    assert!(sw.sim_calls().iter().all(|c| c.call_id != direct));
}

#[test]
fn outbound_call_is_answered_by_the_simulator_and_wraps_up() {
    let mut sw = switch();
    login(&mut sw, "1001");
    let call = sw.make_call("1001", "+1 555 999 0000", None).unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p("2001", Initiated), p("+15559990000", Alerting)]
    );
    sw.sim_answer(&call).unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p("2001", Connected), p("+15559990000", Connected)]
    );
    sw.sim_hang_up(&call).unwrap();
    assert_eq!(status(&sw, "1001"), AgentStatus::WorkingAfterCall);
    // Wrap-up returns to NotReady, the state before the call.
    sw.complete_wrap_up("1001", None, None).unwrap();
    assert_eq!(status(&sw, "1001"), AgentStatus::NotReady);
}

#[test]
fn agent_to_agent_call_and_busy_extension() {
    let mut sw = switch();
    login(&mut sw, "1001");
    login(&mut sw, "1002");
    let call = sw.make_call("1001", "2002", None).unwrap();
    assert_eq!(
        sw.make_call("1003", "2002", None).unwrap_err().err_code,
        ErrorCode::AgentNotLoggedIn
    );
    login(&mut sw, "1003");
    assert_eq!(
        sw.make_call("1003", "2002", None).unwrap_err().err_code,
        ErrorCode::DestBusy
    );
    assert_eq!(
        sw.make_call("1003", "2004", None).unwrap_err().err_code,
        ErrorCode::DestBusy
    );
    assert_eq!(
        sw.make_call("1003", "2003", None).unwrap_err().err_code,
        ErrorCode::InvalidDestination
    );
    sw.answer("1002", &call).unwrap();
    assert_eq!(
        parties(&sw, &call),
        [p("2001", Connected), p("2002", Connected)]
    );
    // An agent on a call is busy for the simulator too.
    let busy = sw.sim_place_call(CALLER, "2002", UserData::new()).unwrap();
    assert_eq!(parties(&sw, &busy)[1], p("2002", Failed));
}

#[test]
fn answering_a_second_call_holds_the_first_and_swap_alternates() {
    let mut sw = switch();
    login(&mut sw, "1001");
    let first = sw.make_call("1001", "+15559990000", None).unwrap();
    sw.sim_answer(&first).unwrap();
    sw.hold("1001", &first).unwrap();
    let second = sw.make_call("1001", "+15559990001", None).unwrap();
    sw.sim_answer(&second).unwrap();
    sw.alternate("1001", &first, &second).unwrap();
    assert_eq!(parties(&sw, &first)[0], p("2001", Connected));
    assert_eq!(parties(&sw, &second)[0], p("2001", Held));
    assert_eq!(
        sw.alternate("1001", &first, &second).unwrap_err().err_code,
        ErrorCode::InvalidObjectState
    );
}

#[test]
fn login_policy() {
    let mut sw = switch();
    // Passwords are checked before the switch (relay tests); an unknown
    // agent gets the one answer of every failed login.
    let err = sw.login("9999", None, None).unwrap_err();
    assert_eq!(
        (err.err_code, err.err_message.as_str()),
        (ErrorCode::Unauthorized, crate::switch::LOGIN_FAILED)
    );
    assert_eq!(
        sw.login("1001", Some("2999"), None).unwrap_err().err_code,
        ErrorCode::InvalidDestination
    );
    let info = sw.login("1001", None, None).unwrap();
    assert_eq!(
        (info.device.as_str(), info.status),
        ("2001", AgentStatus::NotReady)
    );
    // Same agent, same extension: joins the session (another tab).
    assert!(sw.login("1001", Some("2001"), None).is_ok());
    // Elsewhere, or another mode: refused.
    assert_eq!(
        sw.login("1001", Some("2003"), None).unwrap_err().err_code,
        ErrorCode::AgentLoggedIn
    );
    assert_eq!(
        sw.login("1001", None, Some(TelephonyMode::Simple))
            .unwrap_err()
            .err_code,
        ErrorCode::AgentLoggedIn
    );
    // Another agent on a taken extension: refused.
    assert_eq!(
        sw.login("1002", Some("2001"), None).unwrap_err().err_code,
        ErrorCode::AgentLoggedIn
    );
    sw.logout("1001", None).unwrap();
    let info = sw
        .login("1002", Some("2001"), Some(TelephonyMode::AgentState))
        .unwrap();
    assert_eq!(info.telephony_mode, TelephonyMode::AgentState);
}

#[test]
fn telephony_mode_is_checked_before_anything_else() {
    let mut sw = switch();
    sw.login("1001", None, Some(TelephonyMode::Simple)).unwrap();
    sw.take_output();
    // Even with a call id that does not exist: the mode answers first.
    let err = sw
        .execute(
            "1001",
            &CstaRequest::HoldCall {
                call_id: "nope".into(),
            },
        )
        .unwrap_err();
    assert_eq!(err.err_code, ErrorCode::NotSupported);
    let ready = CstaRequest::SetAgentState {
        state: RequestedAgentState::Ready,
        reason: None,
        work_mode: None,
    };
    assert_eq!(
        sw.execute("1001", &ready).unwrap_err().err_code,
        ErrorCode::NotSupported
    );
    assert!(sw.take_output().deliveries.is_empty());
    sw.logout("1001", None).unwrap();
    sw.login("1001", None, Some(TelephonyMode::AgentState))
        .unwrap();
    assert!(sw.execute("1001", &ready).is_ok());
    let dial = CstaRequest::MakeCall {
        destination: "2002".into(),
        user_data: None,
    };
    assert_eq!(
        sw.execute("1001", &dial).unwrap_err().err_code,
        ErrorCode::NotSupported
    );
}

/// Every call action in every state of the agent's connection: allowed ones
/// succeed; the others fail with the expected code and change nothing.
#[test]
fn call_action_matrix() {
    // Builds a switch where agent 1001's connection to the returned call is in `state`.
    fn setup(state: Option<ConnectionState>) -> (Switch, String) {
        let mut sw = switch();
        ready(&mut sw, &["1001"]);
        login(&mut sw, "1002");
        let call = match state {
            None => "C9999".to_string(),
            Some(Alerting) => sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap(),
            Some(Initiated) => sw.make_call("1001", "+15559990000", None).unwrap(),
            Some(Connected) | Some(Held) => {
                let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
                sw.answer("1001", &call).unwrap();
                if state == Some(Held) {
                    sw.hold("1001", &call).unwrap();
                }
                call
            }
            Some(other) => unreachable!("{other:?}"),
        };
        sw.take_output();
        (sw, call)
    }
    type Action = fn(&mut Switch, &str) -> Result<(), OpenCtiError>;
    // (name, the connection states in which Pega allows it, action)
    let actions: [(&str, &[ConnectionState], Action); 9] = [
        ("answer", &[Alerting], |sw, c| sw.answer("1001", c)),
        ("reject", &[Alerting], |sw, c| sw.reject("1001", c)),
        ("hang up", &[Initiated, Connected, Held], |sw, c| {
            sw.hang_up("1001", c)
        }),
        ("hold", &[Connected], |sw, c| sw.hold("1001", c)),
        ("retrieve", &[Held], |sw, c| sw.retrieve("1001", c)),
        ("dtmf", &[Connected], |sw, c| {
            sw.generate_digits("1001", c, "5")
        }),
        ("blind transfer", &[Connected, Held], |sw, c| {
            sw.single_step_transfer("1001", c, "2002", None)
        }),
        ("consult", &[Connected, Held], |sw, c| {
            sw.consult("1001", c, "2002", Function::TransferInitiate, None)
                .map(drop)
        }),
        ("conference", &[Connected, Held], |sw, c| {
            sw.consult("1001", c, "2002", Function::ConferenceInitiate, None)
                .map(drop)
        }),
    ];
    for state in [
        None,
        Some(Alerting),
        Some(Initiated),
        Some(Connected),
        Some(Held),
    ] {
        for (name, allowed_in, action) in actions {
            let (mut sw, call) = setup(state);
            let allowed = state.is_some_and(|s| allowed_in.contains(&s));
            let before = sw.sim_calls();
            let result = action(&mut sw, &call);
            if allowed {
                assert!(result.is_ok(), "{name} in {state:?}: {result:?}");
            } else {
                let err = result.expect_err(&format!("{name} in {state:?} must fail"));
                assert_eq!(
                    err.err_code,
                    ErrorCode::InvalidObjectState,
                    "{name} in {state:?}"
                );
                assert!(!err.err_message.is_empty());
                assert_eq!(
                    sw.sim_calls(),
                    before,
                    "{name} in {state:?} changed the calls"
                );
                assert_eq!(
                    sw.take_output(),
                    Output::default(),
                    "{name} in {state:?} emitted"
                );
            }
        }
    }
}

/// Every agent service in every agent state.
#[test]
fn agent_state_matrix() {
    fn setup(status: AgentStatus) -> Switch {
        let mut sw = switch();
        match status {
            AgentStatus::LoggedOut => {}
            AgentStatus::NotReady => login(&mut sw, "1001"),
            AgentStatus::Ready => ready(&mut sw, &["1001"]),
            AgentStatus::WorkingAfterCall => {
                ready(&mut sw, &["1001"]);
                let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
                sw.answer("1001", &call).unwrap();
                sw.sim_hang_up(&call).unwrap();
            }
        }
        sw.take_output();
        assert_eq!(status_or_out(&sw), status);
        sw
    }
    fn status_or_out(sw: &Switch) -> AgentStatus {
        sw.snapshot("1001").unwrap().agent.status
    }
    type Action = fn(&mut Switch) -> Result<(), OpenCtiError>;
    /// The state reached, or the error, from each starting state.
    type Outcomes = [Result<AgentStatus, ErrorCode>; 4];
    use AgentStatus::*;
    use ErrorCode::*;
    let cases: [(&str, Action, Outcomes); 5] = [
        // (name, action, outcome from [LoggedOut, NotReady, Ready, WorkingAfterCall])
        (
            "ready",
            |sw| sw.set_ready("1001", None),
            [
                Err(AgentNotLoggedIn),
                Ok(Ready),
                Err(InSameState),
                Ok(Ready),
            ],
        ),
        (
            "not ready",
            |sw| sw.set_not_ready("1001", Some("Break"), None),
            [
                Err(AgentNotLoggedIn),
                Ok(NotReady),
                Ok(NotReady),
                Ok(NotReady),
            ],
        ),
        (
            "not ready, same reason",
            |sw| sw.set_not_ready("1001", None, None),
            [
                Err(AgentNotLoggedIn),
                Err(InSameState),
                Ok(NotReady),
                Ok(NotReady),
            ],
        ),
        (
            "finish wrap-up",
            |sw| sw.complete_wrap_up("1001", None, None),
            [
                Err(AgentNotLoggedIn),
                Err(InvalidObjectState),
                Err(InvalidObjectState),
                Ok(Ready),
            ],
        ),
        (
            "log out",
            |sw| sw.logout("1001", None),
            [
                Err(AgentNotLoggedIn),
                Ok(LoggedOut),
                Ok(LoggedOut),
                Ok(LoggedOut),
            ],
        ),
    ];
    for (name, action, outcomes) in cases {
        for (from, expected) in [LoggedOut, NotReady, Ready, WorkingAfterCall]
            .into_iter()
            .zip(outcomes)
        {
            let mut sw = setup(from);
            match (action(&mut sw), expected) {
                (Ok(()), Ok(to)) => assert_eq!(status_or_out(&sw), to, "{name} from {from:?}"),
                (Err(err), Err(code)) => {
                    assert_eq!(err.err_code, code, "{name} from {from:?}");
                    assert_eq!(
                        status_or_out(&sw),
                        from,
                        "{name} from {from:?} changed state"
                    );
                    assert!(sw.take_output().deliveries.is_empty());
                }
                (got, want) => panic!("{name} from {from:?}: got {got:?}, want {want:?}"),
            }
        }
    }
    // An unknown reason code is bad input.
    let mut sw = setup(Ready);
    assert_eq!(
        sw.set_not_ready("1001", Some("Nap"), None)
            .unwrap_err()
            .err_code,
        BadRequest
    );
    // No logging out with a call up.
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &call).unwrap();
    assert_eq!(
        sw.logout("1001", None).unwrap_err().err_code,
        InvalidObjectState
    );
}

#[test]
fn user_data_past_the_bounds_is_refused_and_changes_nothing() {
    let mut sw = switch();
    login(&mut sw, "1001");
    let big: UserData = (0..21)
        .map(|i| (format!("k{i}"), "v".to_string()))
        .collect();
    assert_eq!(
        sw.make_call("1001", "+15559990000", Some(&big))
            .unwrap_err()
            .err_code,
        ErrorCode::BadRequest
    );
    assert!(sw.sim_calls().is_empty());
}

#[test]
fn simulator_errors() {
    let mut sw = switch();
    assert_eq!(
        sw.sim_hang_up("C1"),
        Err(SimError::UnknownCall("C1".into()))
    );
    assert_eq!(sw.sim_answer("C1"), Err(SimError::UnknownCall("C1".into())));
    let Err(SimError::Refused(err)) = sw.sim_place_call(CALLER, "+15550000000", UserData::new())
    else {
        panic!()
    };
    assert_eq!(err.err_code, ErrorCode::InvalidDestination);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    let Err(SimError::Refused(err)) = sw.sim_answer(&call) else {
        panic!()
    };
    assert_eq!(err.err_code, ErrorCode::InvalidObjectState);
}

#[test]
fn directory_lists_agents_with_live_state_and_queues_with_waiting_calls() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    login(&mut sw, "1002");
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &call).unwrap();
    sw.sim_place_call(CALLER, "5001", UserData::new()).unwrap();
    let directory = sw.directory();
    let agents: Vec<_> = directory
        .agents
        .iter()
        .map(|a| (a.agent_id.as_str(), a.status, a.busy))
        .collect();
    assert_eq!(
        agents,
        [
            ("1001", AgentStatus::Ready, true),
            ("1002", AgentStatus::NotReady, false),
            ("1003", AgentStatus::LoggedOut, false),
            ("1004", AgentStatus::LoggedOut, false)
        ]
    );
    let queues: Vec<_> = directory
        .queues
        .iter()
        .map(|q| (q.number.as_str(), q.waiting))
        .collect();
    assert_eq!(queues, [("5000", 0), ("5001", 1)]);
}

mod callbacks;
mod flows;
mod observations;
mod operations;
mod recording;
mod routing;

#[test]
fn a_queue_or_the_calls_data_can_keep_a_call_from_the_voice_ai_engine() {
    let mut config = SwitchConfig::demo();
    config
        .queues
        .iter_mut()
        .find(|q| q.number == "5001")
        .unwrap()
        .voice_ai = false;
    let mut sw = Switch::new(config);
    sw.advance_to(1_000);
    ready(&mut sw, &["1001", "1002", "1003"]);
    let plain = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    let declined = sw
        .sim_place_call("+15551230002", "5000", data(&[("voiceAI", "off")]))
        .unwrap();
    let private_queue = sw
        .sim_place_call("+15551230003", "5001", UserData::new())
        .unwrap();
    for (agent, call) in [
        ("1001", &plain),
        ("1002", &declined),
        ("1003", &private_queue),
    ] {
        sw.answer(agent, call).unwrap();
    }
    let forkable: Vec<(String, bool)> = sw
        .media_plan()
        .calls
        .into_iter()
        .map(|c| (c.call_id.clone(), c.forkable))
        .collect();
    assert!(forkable.contains(&(plain, true)), "{forkable:?}");
    assert!(forkable.contains(&(declined, false)), "{forkable:?}");
    assert!(forkable.contains(&(private_queue, false)), "{forkable:?}");
}

#[test]
fn the_media_plan_lists_who_is_logged_in_and_shares_that_list_until_it_changes() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    login(&mut sw, "1002");
    let before = sw.media_plan();
    let names = |plan: &crate::media::plan::MediaPlan| -> Vec<String> {
        plan.agents.iter().cloned().collect()
    };
    assert_eq!(names(&before), ["1001", "1002"]);
    // A call changes the calls, not who is logged in: the list is the same
    // allocation (so that comparing plans does not walk it).
    sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    let during = sw.media_plan();
    assert!(std::sync::Arc::ptr_eq(&before.agents, &during.agents));
    sw.logout("1002", None).unwrap();
    let after = sw.media_plan();
    assert_eq!(names(&after), ["1001"]);
    assert_eq!(
        names(&before),
        ["1001", "1002"],
        "an old plan is left as it was"
    );
}

/// The plan kept call by call equals one derived from scratch.
fn assert_plan_fresh(sw: &mut Switch) {
    let kept = sw.media_plan();
    sw.media.touch_all();
    assert_eq!(kept, sw.media_plan());
}

#[test]
fn the_media_plan_kept_call_by_call_equals_one_derived_afresh_after_every_step() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    login(&mut sw, "1002");
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    assert_plan_fresh(&mut sw);
    sw.answer("1001", &call).unwrap();
    assert_plan_fresh(&mut sw);
    sw.hold("1001", &call).unwrap();
    assert_plan_fresh(&mut sw);
    sw.retrieve("1001", &call).unwrap();
    assert_plan_fresh(&mut sw);
    let consult = sw
        .consult("1001", &call, "2002", Function::ConferenceInitiate, None)
        .unwrap();
    assert_plan_fresh(&mut sw);
    sw.answer("1002", &consult).unwrap();
    assert_plan_fresh(&mut sw);
    sw.complete("1001", Function::ConferenceComplete, &call, &consult)
        .unwrap();
    assert_plan_fresh(&mut sw);
    assert_eq!(sw.media_plan().calls.len(), 1);
    assert_eq!(sw.media_plan().calls[0].members.len(), 3);
    sw.drop_party("1001", &call, "2002").unwrap();
    assert_plan_fresh(&mut sw);
    sw.hang_up("1001", &call).unwrap();
    assert_plan_fresh(&mut sw);
    assert!(sw.media_plan().calls.is_empty());
    sw.logout("1002", None).unwrap();
    assert_plan_fresh(&mut sw);
}
