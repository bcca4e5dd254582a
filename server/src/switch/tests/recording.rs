//! Which calls are recorded, and pausing and resuming a recording.

use app::opencti::events::RecordingState;

use super::*;

/// The recording state of `call_id` in the media plan.
fn planned(sw: &mut Switch, call_id: &str) -> Option<RecordingState> {
    sw.media_plan()
        .calls
        .iter()
        .find(|c| c.call_id == call_id)
        .and_then(|c| c.recording)
}

/// The recording states the agent was told of, in order.
fn told(out: &Output, agent: &str) -> Vec<Option<RecordingState>> {
    out.deliveries
        .iter()
        .filter(|d| d.agent_id == agent)
        .filter_map(|d| match &d.event {
            NativeEvent::RecordingChanged(e) => Some(e.call.recording),
            _ => None,
        })
        .collect()
}

fn recording_switch(shape: fn(&mut SwitchConfig)) -> Switch {
    let mut config = SwitchConfig::demo();
    shape(&mut config);
    let mut sw = Switch::new(config);
    sw.advance_to(1_000);
    sw
}

#[test]
fn recorded_queues_and_record_all_record_from_the_answer() {
    let recorded = |shape: fn(&mut SwitchConfig), to: &str| {
        let mut sw = recording_switch(shape);
        ready(&mut sw, &["1001"]);
        let call = sw.sim_place_call(CALLER, to, UserData::new()).unwrap();
        assert_eq!(planned(&mut sw, &call), None, "not while it rings");
        sw.answer("1001", &call).unwrap();
        planned(&mut sw, &call)
    };
    let active = Some(RecordingState::Active);
    assert_eq!(recorded(|_| {}, "5000"), None, "off by default");
    assert_eq!(recorded(|c| c.queues[0].record = true, "5000"), active);
    assert_eq!(
        recorded(|c| c.queues[0].record = true, "2001"),
        None,
        "a direct call is not the queue's"
    );
    assert_eq!(recorded(|c| c.record_all = true, "2001"), active);
    assert_eq!(recorded(|c| c.record_all = true, "5000"), active);
}

#[test]
fn calls_between_agents_are_not_recorded_even_with_record_all() {
    let mut sw = recording_switch(|c| c.record_all = true);
    ready(&mut sw, &["1001", "1002"]);
    let call = sw.make_call("1001", "2002", None).unwrap();
    sw.answer("1002", &call).unwrap();
    assert_eq!(planned(&mut sw, &call), None);
    assert_eq!(
        sw.pause_recording("1001", &call).unwrap_err().err_code,
        ErrorCode::InvalidObjectState
    );
}

#[test]
fn pausing_and_resuming_is_told_to_the_agent_and_kept_in_the_record() {
    use RecordingState::{Active, Paused};
    let mut sw = recording_switch(|c| c.queues[0].record = true);
    ready(&mut sw, &["1001", "1002"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    // Ringing: nothing to pause yet.
    let err = sw.pause_recording("1001", &call).unwrap_err();
    assert_eq!(err.err_code, ErrorCode::InvalidObjectState);
    sw.take_output();

    sw.advance_to(2_000);
    sw.answer("1001", &call).unwrap();
    let out = sw.take_output();
    assert_eq!(told(&out, "1001"), [Some(Active)]);
    // The recording comes before the answer, so the card shows both at once.
    let names = names_for(&out, "1001");
    assert_eq!(names[0], "RecordingChanged");

    sw.advance_to(5_000);
    sw.pause_recording("1001", &call).unwrap();
    assert_eq!(told(&sw.take_output(), "1001"), [Some(Paused)]);
    assert_eq!(planned(&mut sw, &call), Some(Paused));

    // Bad input changes nothing and says nothing.
    let err = sw.pause_recording("1001", &call).unwrap_err();
    assert_eq!(err.err_code, ErrorCode::InSameState);
    let err = sw.pause_recording("1002", &call).unwrap_err();
    assert_eq!(
        err.err_code,
        ErrorCode::InvalidObjectState,
        "not 1002's call"
    );
    let err = sw.pause_recording("1001", "C999").unwrap_err();
    assert_eq!(err.err_code, ErrorCode::InvalidObjectState);
    assert!(sw.take_output().deliveries.is_empty());
    assert_eq!(planned(&mut sw, &call), Some(Paused));

    // Holding a paused call keeps it paused; it resumes from hold too.
    sw.hold("1001", &call).unwrap();
    sw.advance_to(9_000);
    sw.resume_recording("1001", &call).unwrap();
    assert_eq!(told(&sw.take_output(), "1001"), [Some(Active)]);
    assert_eq!(
        sw.resume_recording("1001", &call).unwrap_err().err_code,
        ErrorCode::InSameState
    );
    sw.retrieve("1001", &call).unwrap();

    sw.advance_to(12_000);
    sw.pause_recording("1001", &call).unwrap();
    sw.advance_to(13_000);
    sw.hang_up("1001", &call).unwrap();
    let record = call_records(&sw.take_output()).pop().unwrap();
    assert_eq!(
        record.recording,
        Some(RecordingSpans {
            started_at: 2_000,
            // The pause open at the end closes with the call.
            paused: vec![(5_000, 9_000), (12_000, 13_000)],
        })
    );
}

#[test]
fn a_call_that_was_not_recorded_has_no_recording_to_pause() {
    let mut sw = switch();
    ready(&mut sw, &["1001"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &call).unwrap();
    sw.take_output();
    for err in [
        sw.pause_recording("1001", &call).unwrap_err(),
        sw.resume_recording("1001", &call).unwrap_err(),
    ] {
        assert_eq!(err.err_code, ErrorCode::InvalidObjectState);
        assert_eq!(
            err.err_message,
            format!("call {call} is not being recorded")
        );
    }
    assert!(sw.take_output().deliveries.is_empty());
    sw.hang_up("1001", &call).unwrap();
    assert_eq!(
        call_records(&sw.take_output()).pop().unwrap().recording,
        None
    );
}

#[test]
fn a_transferred_recorded_call_keeps_one_recording() {
    let mut sw = recording_switch(|c| c.queues[0].record = true);
    ready(&mut sw, &["1001", "1002"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    sw.answer("1001", &call).unwrap();
    sw.single_step_transfer("1001", &call, "2002", None)
        .unwrap();
    sw.answer("1002", &call).unwrap();
    let out = sw.take_output();
    assert_eq!(told(&out, "1002"), [], "still the same recording");
    // The new agent sees it and may pause it.
    let snapshot = sw.snapshot("1002").unwrap();
    assert_eq!(snapshot.calls[0].recording, Some(RecordingState::Active));
    sw.pause_recording("1002", &call).unwrap();
}

#[test]
fn a_recorded_queue_says_its_notice_before_any_agent_is_offered_the_call() {
    let mut sw = recording_switch(|c| {
        c.queues[0].record = true;
        c.queues[0].record_notice = Some("This call is recorded.".into());
    });
    ready(&mut sw, &["1001"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    let out = sw.take_output();
    assert_eq!(out.prompts.len(), 1);
    assert_eq!(out.prompts[0].call_id, call);
    assert_eq!(
        out.prompts[0].prompt,
        crate::switch::flows::Prompt::Text("This call is recorded.".into())
    );
    // The caller hears it; the agent is not rung meanwhile.
    assert!(names_for(&out, "1001").is_empty());
    assert_eq!(
        parties(&sw, &call),
        [p(CALLER, Connected), p("5000", Queued)]
    );
    let plan = sw.media_plan();
    let media = plan.calls.iter().find(|c| c.call_id == call).unwrap();
    assert!(
        media
            .members
            .iter()
            .any(|m| matches!(&m.endpoint, crate::media::plan::Endpoint::Prompt { .. }))
    );
    // Another prompt's end (a flow's, a callback offer's) does not end it.
    sw.prompt_finished(&call, 0);
    assert!(names_for(&sw.take_output(), "1001").is_empty());

    let generation = out.prompts[0].generation;
    sw.prompt_finished(&call, generation);
    let out = sw.take_output();
    assert_eq!(names_for(&out, "1001"), [format!("Delivered({call} 2001)")]);
    // Once per call: a caller sent back to the queue does not hear it again.
    sw.reject("1001", &call).unwrap();
    assert!(sw.take_output().prompts.is_empty());
}

#[test]
fn a_notice_is_only_for_calls_that_are_recorded() {
    let mut sw = recording_switch(|c| c.queues[0].record_notice = Some("Recorded.".into()));
    ready(&mut sw, &["1001"]);
    let call = sw.sim_place_call(CALLER, "5000", UserData::new()).unwrap();
    let out = sw.take_output();
    assert!(out.prompts.is_empty(), "the queue does not record");
    assert_eq!(names_for(&out, "1001"), [format!("Delivered({call} 2001)")]);
}

#[test]
fn each_recorded_call_of_an_agent_is_recorded() {
    let mut sw = recording_switch(|c| {
        c.record_all = true;
        c.wrap_up_seconds = 0;
    });
    ready(&mut sw, &["1001"]);
    for n in 0..3 {
        let call = sw
            .sim_place_call(&format!("+1555000000{n}"), "5000", UserData::new())
            .unwrap();
        sw.answer("1001", &call).unwrap();
        assert_eq!(
            planned(&mut sw, &call),
            Some(RecordingState::Active),
            "call {n}"
        );
        sw.hang_up("1001", &call).unwrap();
        sw.take_output();
        if status(&sw, "1001") != AgentStatus::Ready {
            sw.set_ready("1001", None).unwrap();
        }
    }
}
