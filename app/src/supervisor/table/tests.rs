use super::*;

fn agent(id: &str, name: &str, activity: AgentActivity, since: u64, handled: u64) -> AgentRow {
    AgentRow {
        agent_id: id.into(),
        name: name.into(),
        extension: format!("2{}", &id[1..]),
        activity,
        reason: String::new(),
        since,
        call: None,
        handled,
        average_handle_ms: (handled > 0).then_some(handled * 1000),
    }
}

fn ids(shown: &[String]) -> Vec<&str> {
    shown.iter().map(String::as_str).collect()
}

fn rows() -> Vec<AgentRow> {
    vec![
        agent("1001", "Ana", AgentActivity::Ready, 3_000, 4),
        agent("1002", "Bo", AgentActivity::OnCall, 1_000, 9),
        agent("1003", "Cy", AgentActivity::NotReady, 2_000, 0),
        agent("1004", "Di", AgentActivity::LoggedOut, 0, 0),
    ]
}

#[test]
fn a_header_click_sorts_then_reverses() {
    let sort = Sort::by(AgentColumn::Agent);
    assert_eq!(sort.aria(AgentColumn::Agent), "ascending");
    assert_eq!(sort.aria(AgentColumn::State), "none");
    let again = sort.toggle(AgentColumn::Agent);
    assert_eq!(again.aria(AgentColumn::Agent), "descending");
    let other = again.toggle(AgentColumn::Handled);
    assert_eq!(other, Sort::by(AgentColumn::Handled));
}

#[test]
fn agents_sort_by_each_column() {
    let all = AgentFilter::default();
    let by = |column, descending| agents_shown(&rows(), &all, Sort { column, descending });
    assert_eq!(
        ids(&by(AgentColumn::Agent, true)),
        ["1004", "1003", "1002", "1001"]
    );
    assert_eq!(
        ids(&by(AgentColumn::Handled, true)),
        ["1002", "1001", "1003", "1004"]
    );
    // Longest in state first when descending; "never" counts as longest.
    assert_eq!(
        ids(&by(AgentColumn::TimeInState, true)),
        ["1004", "1002", "1003", "1001"]
    );
    assert_eq!(
        ids(&by(AgentColumn::State, false)),
        ["1004", "1003", "1001", "1002"]
    );
    // Ties keep the ID order.
    assert_eq!(
        ids(&by(AgentColumn::AverageHandle, false)),
        ["1003", "1004", "1001", "1002"]
    );
}

#[test]
fn the_filter_matches_name_id_extension_and_state() {
    let sort = Sort::by(AgentColumn::Agent);
    let filter = |text: &str, activity| AgentFilter {
        text: text.into(),
        activity,
    };
    assert_eq!(
        ids(&agents_shown(&rows(), &filter("bo", None), sort)),
        ["1002"]
    );
    assert_eq!(
        ids(&agents_shown(&rows(), &filter(" 1003 ", None), sort)),
        ["1003"]
    );
    assert_eq!(
        ids(&agents_shown(&rows(), &filter("2004", None), sort)),
        ["1004"]
    );
    assert_eq!(
        ids(&agents_shown(
            &rows(),
            &filter("", Some(AgentActivity::OnCall)),
            sort
        )),
        ["1002"]
    );
    assert!(agents_shown(&rows(), &filter("ana", Some(AgentActivity::OnCall)), sort).is_empty());
}

fn queue(number: &str, waiting: u64, oldest: Option<u64>, level: Option<f64>) -> QueueRow {
    QueueRow {
        number: number.into(),
        name: format!("Q{number}"),
        waiting,
        callbacks_waiting: 0,
        oldest_since: oldest,
        answered: 0,
        abandoned: 0,
        missed: 0,
        average_answer_ms: None,
        service_level: level,
        waiting_history: vec![],
    }
}

#[test]
fn queues_sort_by_wait_and_service_level() {
    let queues = vec![
        queue("5000", 1, Some(5_000), Some(0.5)),
        queue("5001", 3, Some(1_000), None),
        queue("5002", 0, None, Some(0.9)),
    ];
    let order = |column, descending| -> Vec<String> {
        queues_sorted(&queues, Sort { column, descending })
            .into_iter()
            .map(|q| q.number)
            .collect()
    };
    assert_eq!(
        order(QueueColumn::LongestWait, true),
        ["5001", "5000", "5002"]
    );
    assert_eq!(order(QueueColumn::Waiting, true), ["5001", "5000", "5002"]);
    assert_eq!(
        order(QueueColumn::ServiceLevel, false),
        ["5001", "5000", "5002"]
    );
}

#[test]
fn durations_and_shares_read_like_clocks_and_percentages() {
    assert_eq!(elapsed(Some(1), 3_600_000 + 61_001), "1:01:01");
    assert_eq!(elapsed(Some(1_000), 31_000), "0:30");
    assert_eq!(elapsed(Some(0), 31_000), "—");
    assert_eq!(elapsed(None, 31_000), "—");
    assert_eq!(
        elapsed(Some(40_000), 31_000),
        "0:00",
        "a clock a little behind the server"
    );
    assert_eq!(percent(Some(0.8)), "80 %");
    assert_eq!(percent(Some(0.666)), "67 %");
    assert_eq!(percent(None), "—");
}

#[test]
fn a_sparkline_spans_its_box() {
    assert_eq!(sparkline(&[0, 2, 1], 200, 100), "0,100 100,0 200,50");
    assert_eq!(sparkline(&[0, 0], 100, 100), "0,100 100,100");
    assert_eq!(sparkline(&[3], 100, 100), "0,0");
    assert_eq!(sparkline(&[], 100, 100), "");
}

#[test]
fn pages_cover_every_row_once() {
    let n = PAGE_SIZE;
    assert_eq!(page_bounds(0, 0), (0, 0, 1));
    assert_eq!(page_bounds(4, 0), (0, 4, 1));
    assert_eq!(page_bounds(40 * n, 0), (0, n, 40));
    assert_eq!(page_bounds(40 * n, 39), (39 * n, 40 * n, 40));
    assert_eq!(page_bounds(2 * n + 1, 1), (n, 2 * n, 3));
    assert_eq!(
        page_bounds(2 * n + 1, 7),
        (2 * n, 2 * n + 1, 3),
        "past the end: the last page"
    );
}
