//! What the switch reports for the supervisor's figures, service by service.

use super::*;

fn observed(sw: &mut Switch) -> Vec<Observation> {
    sw.take_output().observations
}

/// The observations without their times, for comparison.
fn kinds(observations: &[Observation]) -> Vec<String> {
    observations
        .iter()
        .map(|o| match o {
            Observation::AgentState {
                agent_id, status, ..
            } => format!("{agent_id} {status:?}"),
            Observation::CallQueued {
                queue,
                callback: false,
                ..
            } => format!("queued {queue}"),
            Observation::CallQueued { queue, .. } => format!("callback queued {queue}"),
            Observation::CallbackTaken { .. } => "callback taken".into(),
            Observation::CallMissed { agent_id, .. } => format!("missed by {agent_id}"),
            Observation::CallAnswered {
                agent_id, party, ..
            } => {
                format!("answered by {agent_id} ({party})")
            }
            Observation::AgentLeftCall {
                agent_id,
                handle_ms,
                ..
            } => format!("{agent_id} left after {handle_ms} ms"),
            Observation::CallEnded { .. } => "ended".into(),
        })
        .collect()
}

#[test]
fn a_queue_call_from_queueing_to_the_end() {
    let mut sw = switch();
    login(&mut sw, "1001");
    assert_eq!(kinds(&observed(&mut sw)), ["1001 NotReady"]);
    sw.set_ready("1001", None).unwrap();
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    assert_eq!(kinds(&observed(&mut sw)), ["1001 Ready", "queued 5000"]);
    sw.advance_to(sw.now + 2_000);
    sw.answer("1001", &call).unwrap();
    assert_eq!(
        kinds(&observed(&mut sw)),
        [format!("answered by 1001 ({CALLER})")]
    );
    sw.advance_to(sw.now + 5_000);
    sw.hold("1001", &call).unwrap();
    sw.advance_to(sw.now + 1_000);
    sw.retrieve("1001", &call).unwrap();
    assert!(
        observed(&mut sw).is_empty(),
        "hold and retrieve are not answers"
    );
    sw.advance_to(sw.now + 4_000);
    sw.hang_up("1001", &call).unwrap();
    assert_eq!(
        kinds(&observed(&mut sw)),
        ["1001 left after 10000 ms", "1001 WorkingAfterCall", "ended"]
    );
}

#[test]
fn a_rejected_queue_call_is_missed_then_queued_again() {
    let mut sw = switch();
    ready(&mut sw, &["1001", "1002"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    observed(&mut sw);
    sw.reject("1001", &call).unwrap();
    assert_eq!(kinds(&observed(&mut sw)), ["missed by 1001", "queued 5000"]);
    // The caller gives up while it rings at 1002.
    sw.sim_hang_up(&call).unwrap();
    assert_eq!(kinds(&observed(&mut sw)), ["ended"]);
}

#[test]
fn a_transfer_to_another_queue_leaves_the_agent_and_queues_the_call() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &call).unwrap();
    observed(&mut sw);
    sw.advance_to(sw.now + 3_000);
    sw.single_step_transfer("1001", &call, "5001", None)
        .unwrap();
    let kinds = kinds(&observed(&mut sw));
    assert!(kinds.contains(&"queued 5001".to_string()), "{kinds:?}");
    assert!(
        kinds.contains(&"1001 left after 3000 ms".to_string()),
        "{kinds:?}"
    );
}
