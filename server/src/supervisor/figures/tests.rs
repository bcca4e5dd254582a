//! The figures from hand-made observation sequences.

use super::*;
use crate::switch::config::QueueConfig;

const MIN: u64 = 60_000;

fn config() -> SwitchConfig {
    let mut config = SwitchConfig::demo();
    config.agents.truncate(2);
    config.queues = vec![
        QueueConfig::served_by("5000", "Sales", &["1001".into(), "1002".into()]),
        QueueConfig::served_by("5001", "Support", &["1002".into()]),
    ];
    config
}

fn state(agent: &str, status: AgentStatus, at: u64) -> Observation {
    Observation::AgentState {
        agent_id: agent.into(),
        status,
        reason: String::new(),
        at,
    }
}

fn queued(call: &str, queue: &str, at: u64) -> Observation {
    requeued(call, queue, at, at)
}

/// Queued at `at`, in the place it took at `since`.
fn requeued(call: &str, queue: &str, since: u64, at: u64) -> Observation {
    Observation::CallQueued {
        call_id: call.into(),
        queue: queue.into(),
        since,
        callback: false,
        at,
    }
}

fn answered(call: &str, agent: &str, at: u64) -> Observation {
    Observation::CallAnswered {
        call_id: call.into(),
        agent_id: agent.into(),
        party: "+15551230001".into(),
        at,
    }
}

fn left(call: &str, agent: &str, handle_ms: u64, at: u64) -> Observation {
    Observation::AgentLeftCall {
        call_id: call.into(),
        agent_id: agent.into(),
        handle_ms,
        at,
    }
}

fn missed(call: &str, agent: &str, at: u64) -> Observation {
    Observation::CallMissed {
        call_id: call.into(),
        agent_id: agent.into(),
        at,
    }
}

fn ended(call: &str, at: u64) -> Observation {
    Observation::CallEnded {
        call_id: call.into(),
        at,
    }
}

fn run(observations: &[Observation]) -> Figures {
    let mut figures = Figures::new(&config(), 20);
    for o in observations {
        figures.apply(o);
    }
    figures
}

fn queue<'a>(snapshot: &'a Snapshot, number: &str) -> &'a QueueRow {
    snapshot
        .queues
        .iter()
        .find(|q| q.number == number)
        .expect("a configured queue")
}

fn agent<'a>(snapshot: &'a Snapshot, id: &str) -> &'a AgentRow {
    snapshot
        .agents
        .iter()
        .find(|a| a.agent_id == id)
        .expect("a configured agent")
}

#[test]
fn a_queue_call_waits_is_answered_and_handled() {
    let t = 10 * MIN;
    let figures = run(&[
        state("1001", AgentStatus::NotReady, t),
        state("1001", AgentStatus::Ready, t + 1_000),
        queued("c1", "5000", t + 2_000),
    ]);
    let s = figures.snapshot(t + 7_000);
    assert_eq!(queue(&s, "5000").waiting, 1);
    assert_eq!(queue(&s, "5000").oldest_since, Some(t + 2_000));
    assert_eq!(agent(&s, "1001").activity, AgentActivity::Ready);
    assert_eq!(agent(&s, "1001").since, t + 1_000);
    assert_eq!(agent(&s, "1002").activity, AgentActivity::LoggedOut);

    let figures = run(&[
        state("1001", AgentStatus::Ready, t),
        queued("c1", "5000", t + 2_000),
        answered("c1", "1001", t + 12_000),
        left("c1", "1001", 90_000, t + 102_000),
        state("1001", AgentStatus::WorkingAfterCall, t + 102_000),
        ended("c1", t + 102_000),
    ]);
    let s = figures.snapshot(t + 103_000);
    let sales = queue(&s, "5000");
    assert_eq!((sales.waiting, sales.answered, sales.abandoned), (0, 1, 0));
    assert_eq!(sales.average_answer_ms, Some(10_000));
    assert_eq!(sales.service_level, Some(1.0));
    let a = agent(&s, "1001");
    assert_eq!(a.activity, AgentActivity::WrapUp);
    assert_eq!((a.handled, a.average_handle_ms), (1, Some(90_000)));
    assert_eq!(figures.handle_times.count, 1);
    // 90 s falls in the 120 s bucket.
    assert_eq!(figures.handle_times.buckets[2], 1);
}

#[test]
fn on_a_call_shows_the_call_and_counts_over_the_state() {
    let figures = run(&[
        state("1001", AgentStatus::Ready, 0),
        queued("c1", "5000", 1_000),
        answered("c1", "1001", 3_000),
    ]);
    let s = figures.snapshot(5_000);
    let a = agent(&s, "1001");
    assert_eq!(a.activity, AgentActivity::OnCall);
    assert_eq!(
        a.call,
        Some(CurrentCall {
            call_id: "c1".into(),
            party: "+15551230001".into(),
            since: 3_000
        })
    );
}

#[test]
fn an_abandon_while_ringing_an_agent_counts_once_as_abandoned_and_the_ring_out_as_missed() {
    let figures = run(&[
        queued("c1", "5000", 0),
        // It rang at 1001, who let it ring out: back in the queue, still
        // waiting since it first came in.
        missed("c1", "1001", 20_000),
        requeued("c1", "5000", 0, 20_000),
        // Ringing at 1002 when the caller hangs up.
        ended("c1", 25_000),
    ]);
    let s = figures.snapshot(30_000);
    let sales = queue(&s, "5000");
    assert_eq!(
        (sales.waiting, sales.answered, sales.abandoned, sales.missed),
        (0, 0, 1, 1)
    );
    assert_eq!(sales.service_level, Some(0.0));
    assert_eq!(sales.average_answer_ms, None);
}

#[test]
fn a_requeued_call_keeps_its_wait_and_answer_speed_counts_from_the_start() {
    let figures = run(&[
        queued("c1", "5000", 0),
        missed("c1", "1001", 20_000),
        requeued("c1", "5000", 0, 20_000),
        answered("c1", "1002", 30_000),
    ]);
    let s = figures.snapshot(31_000);
    let sales = queue(&s, "5000");
    assert_eq!(sales.average_answer_ms, Some(30_000));
    // 30 s is over the 20 s service level.
    assert_eq!(sales.service_level, Some(0.0));
}

#[test]
fn a_call_transferred_across_queues_counts_in_each_queue_it_was_answered_from() {
    let figures = run(&[
        queued("c1", "5000", 0),
        answered("c1", "1001", 5_000),
        // 1001 transfers it to Support, and leaves it.
        queued("c1", "5001", 65_000),
        left("c1", "1001", 60_000, 65_000),
        answered("c1", "1002", 70_000),
        left("c1", "1002", 30_000, 100_000),
        ended("c1", 100_000),
    ]);
    let s = figures.snapshot(100_000);
    let (sales, support) = (queue(&s, "5000"), queue(&s, "5001"));
    assert_eq!((sales.answered, sales.abandoned, sales.waiting), (1, 0, 0));
    assert_eq!(
        (support.answered, support.abandoned, support.waiting),
        (1, 0, 0)
    );
    assert_eq!(support.average_answer_ms, Some(5_000));
    assert_eq!(
        (agent(&s, "1001").handled, agent(&s, "1002").handled),
        (1, 1)
    );
    assert_eq!(figures.handle_times.count, 2);
}

#[test]
fn a_call_moved_to_another_queue_before_an_answer_leaves_the_first() {
    let figures = run(&[queued("c1", "5000", 0), queued("c1", "5001", 10_000)]);
    let s = figures.snapshot(12_000);
    assert_eq!(queue(&s, "5000").waiting, 0);
    assert_eq!(queue(&s, "5001").waiting, 1);
    assert_eq!(queue(&s, "5001").oldest_since, Some(10_000));
    let figures = run(&[
        queued("c1", "5000", 0),
        queued("c1", "5001", 10_000),
        ended("c1", 15_000),
    ]);
    let s = figures.snapshot(16_000);
    assert_eq!(
        (queue(&s, "5000").abandoned, queue(&s, "5001").abandoned),
        (0, 1)
    );
}

#[test]
fn a_callback_keeps_the_callers_place_and_is_counted_apart_not_as_abandoned() {
    let callback = |call: &str, since, at| Observation::CallQueued {
        call_id: call.into(),
        queue: "5001".into(),
        since,
        callback: true,
        at,
    };
    let figures = run(&[
        queued("c1", "5001", 0),
        queued("c2", "5001", 10_000),
        // The caller of c1 presses 1 and hangs up; its callback c3 waits in
        // c1's place.
        Observation::CallbackTaken {
            call_id: "c1".into(),
            at: 30_000,
        },
        callback("c3", 0, 30_000),
        ended("c1", 30_000),
    ]);
    let s = figures.snapshot(40_000);
    let support = queue(&s, "5001");
    assert_eq!(
        (
            support.waiting,
            support.callbacks_waiting,
            support.abandoned
        ),
        (2, 1, 0)
    );
    assert_eq!(support.oldest_since, Some(0));

    let mut figures = figures;
    figures.apply(&answered("c3", "1002", 50_000));
    let s = figures.snapshot(50_000);
    let support = queue(&s, "5001");
    assert_eq!((support.waiting, support.callbacks_waiting), (1, 0));
    assert_eq!(
        (support.answered, support.average_answer_ms),
        (1, Some(50_000))
    );
}

#[test]
fn calls_that_never_queued_do_not_count_in_any_queue() {
    let figures = run(&[
        answered("c9", "1001", 0),
        left("c9", "1001", 5_000, 5_000),
        ended("c9", 5_000),
        missed("c8", "1002", 6_000),
        ended("c8", 6_000),
    ]);
    let s = figures.snapshot(7_000);
    for q in &s.queues {
        assert_eq!((q.answered, q.abandoned, q.missed, q.waiting), (0, 0, 0, 0));
    }
    assert_eq!(agent(&s, "1001").handled, 1);
}

#[test]
fn unknown_agents_and_queues_change_nothing() {
    let before = run(&[]);
    let after = run(&[
        state("9999", AgentStatus::Ready, 0),
        queued("c1", "7777", 0),
        answered("c1", "9999", 1_000),
    ]);
    assert_eq!(before.snapshot(2_000).agents, after.snapshot(2_000).agents);
    assert_eq!(before.snapshot(2_000).queues, after.snapshot(2_000).queues);
}

#[test]
fn the_sparkline_keeps_the_most_waiting_per_minute_for_fifteen_minutes() {
    let t = 100 * MIN;
    let figures = run(&[
        queued("a", "5000", t),
        queued("b", "5000", t + 10_000),
        queued("c", "5000", t + 20_000),
        answered("a", "1001", t + 30_000),
        answered("b", "1002", t + 2 * MIN),
        ended("c", t + 5 * MIN + 1),
    ]);
    let history = queue(&figures.snapshot(t + 14 * MIN), "5000")
        .waiting_history
        .clone();
    let history = &history;
    assert_eq!(history.len(), HISTORY_MINUTES);
    // Minute 0: up to 3; minute 1: 2 carried; minute 2: 2 then 1;
    // minutes 3-4: 1; minute 5: 1 then 0; then 0.
    assert_eq!(&history[..7], &[3, 2, 2, 1, 1, 1, 0]);
    assert!(history[7..].iter().all(|n| *n == 0));
    // Twenty minutes later the window has moved past all of it.
    let later = queue(&figures.snapshot(t + 30 * MIN), "5000")
        .waiting_history
        .clone();
    assert_eq!(later, vec![0; HISTORY_MINUTES]);
}

#[test]
fn the_window_starts_at_the_level_left_before_it() {
    let t = 100 * MIN;
    let figures = run(&[queued("a", "5000", t), queued("b", "5000", t + 1_000)]);
    // Nothing changed for 20 minutes: the two calls still wait.
    let history = queue(&figures.snapshot(t + 20 * MIN), "5000")
        .waiting_history
        .clone();
    let history = &history;
    assert_eq!(history, &vec![2; HISTORY_MINUTES]);
}
