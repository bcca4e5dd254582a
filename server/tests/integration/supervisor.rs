//! The supervisor's figures over HTTP: `/metrics` after a scripted run of 50
//! calls parses as Prometheus text and agrees with the script and with the
//! call records.

use std::collections::HashMap;

use app::wire::native::{CstaRequest, RequestedAgentState};
use serde_json::{Value, json};

use crate::common::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Answered,
    Abandoned,
    Missed,
    Transferred,
}

/// Every sample of `/metrics`, by name and its labels (sorted `k=v`).
async fn scrape(server: &TestServer) -> HashMap<(String, String), f64> {
    let response = server
        .http()
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
    scrape
        .samples
        .into_iter()
        .map(|s| {
            let mut labels: Vec<String> =
                s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            labels.sort();
            let value = match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                prometheus_parse::Value::Histogram(buckets) => {
                    buckets.iter().map(|b| b.count).fold(0.0, f64::max)
                }
                prometheus_parse::Value::Summary(_) => f64::NAN,
            };
            ((s.metric, labels.join(",")), value)
        })
        .collect()
}

fn sample(metrics: &HashMap<(String, String), f64>, name: &str, labels: &str) -> f64 {
    *metrics
        .get(&(name.to_string(), labels.to_string()))
        .unwrap_or_else(|| panic!("no {name}{{{labels}}} in {metrics:?}"))
}

#[tokio::test]
async fn metrics_after_fifty_calls_agree_with_the_script_and_the_records() {
    let server = TestServer::start(&["--wrap-up-seconds", "0"]).await;
    let mut a = server.agent("1001").await;
    a.ok(ready()).await;
    let mut b = server.agent("1002").await;
    b.ok(ready()).await;
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    let mut fates = vec![];
    for _ in 0..50 {
        let fate = [
            Fate::Answered,
            Fate::Abandoned,
            Fate::Missed,
            Fate::Transferred,
        ][(next() % 4) as usize];
        fates.push(fate);
        let call = server.place_call("5000", json!({})).await;
        let ringing = server.parties(&call).await;
        let (agent, other) = if ringing.contains(&party("2001", "alerting")) {
            (&mut a, &mut b)
        } else {
            (&mut b, &mut a)
        };
        let hangup = format!("/api/sim/calls/{call}/hangup");
        match fate {
            Fate::Abandoned => {
                server.post(&hangup, json!({})).await;
            }
            Fate::Missed => {
                agent
                    .ok(CstaRequest::RejectCall {
                        call_id: call.clone(),
                    })
                    .await;
                other.expect_ringing().await;
                server.post(&hangup, json!({})).await;
            }
            Fate::Answered => {
                agent.ok(answer(&call)).await;
                agent.ok(hang_up(&call)).await;
            }
            Fate::Transferred => {
                agent.ok(answer(&call)).await;
                other
                    .ok(CstaRequest::SetAgentState {
                        state: RequestedAgentState::NotReady,
                        reason: Some("Break".into()),
                        work_mode: None,
                    })
                    .await;
                agent
                    .ok(CstaRequest::SingleStepTransferCall {
                        call_id: call.clone(),
                        destination: "5001".into(),
                        user_data: None,
                    })
                    .await;
                server.post(&hangup, json!({})).await;
                other.ok(ready()).await;
            }
        }
        assert!(server.calls().await.is_empty(), "every call ended");
    }
    let count = |f: Fate| fates.iter().filter(|x| **x == f).count() as f64;
    let (answered, abandoned, missed, transferred) = (
        count(Fate::Answered),
        count(Fate::Abandoned),
        count(Fate::Missed),
        count(Fate::Transferred),
    );
    assert!(answered > 0.0 && abandoned > 0.0 && missed > 0.0 && transferred > 0.0);

    let metrics = scrape(&server).await;
    let sales = "name=Sales,queue=5000";
    let support = "name=Support,queue=5001";
    assert_eq!(
        sample(&metrics, "ccp_queue_calls_answered_total", sales),
        answered + transferred
    );
    assert_eq!(
        sample(&metrics, "ccp_queue_calls_abandoned_total", sales),
        abandoned + missed
    );
    assert_eq!(
        sample(&metrics, "ccp_queue_calls_missed_total", sales),
        missed
    );
    assert_eq!(
        sample(&metrics, "ccp_queue_calls_answered_total", support),
        0.0
    );
    assert_eq!(
        sample(&metrics, "ccp_queue_calls_abandoned_total", support),
        transferred
    );
    assert_eq!(sample(&metrics, "ccp_queue_calls_waiting", sales), 0.0);
    assert_eq!(
        sample(&metrics, "ccp_queue_longest_wait_seconds", sales),
        0.0
    );
    assert_eq!(
        sample(&metrics, "ccp_handle_time_seconds_count", ""),
        answered + transferred
    );
    assert_eq!(sample(&metrics, "ccp_agents", "state=ready"), 2.0);
    assert_eq!(sample(&metrics, "ccp_agents", "state=on_call"), 0.0);
    assert_eq!(sample(&metrics, "ccp_agents", "state=logged_out"), 2.0);

    // The call records tell the same story.
    assert!(server.hub.recorder().flush(PATIENCE).await);
    let records: Vec<Value> = server
        .http()
        .get(server.url("/api/calls?limit=1000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let outcome = |o: &str| records.iter().filter(|r| r["outcome"] == o).count() as f64;
    assert_eq!(outcome("answered"), answered);
    assert_eq!(outcome("transferred"), transferred);
    assert_eq!(outcome("abandoned") + outcome("missed"), abandoned + missed);
    // The figures agree with the snapshot the supervisor view will read.
    let (snapshot, handle_times) = server.hub.supervisor_figures();
    let sales_row = snapshot.queues.iter().find(|q| q.number == "5000").unwrap();
    assert_eq!(sales_row.answered as f64, answered + transferred);
    assert_eq!(handle_times.count as f64, answered + transferred);
}

#[tokio::test]
async fn a_waiting_call_shows_in_metrics_with_its_wait() {
    let server = TestServer::start(&[]).await;
    let call = server.place_call("5001", json!({})).await;
    let metrics = scrape(&server).await;
    assert_eq!(
        sample(
            &metrics,
            "ccp_queue_calls_waiting",
            "name=Support,queue=5001"
        ),
        1.0
    );
    assert!(
        sample(
            &metrics,
            "ccp_queue_longest_wait_seconds",
            "name=Support,queue=5001"
        ) >= 0.0
    );
    server
        .post(&format!("/api/sim/calls/{call}/hangup"), json!({}))
        .await;
    let metrics = scrape(&server).await;
    assert_eq!(
        sample(
            &metrics,
            "ccp_queue_calls_waiting",
            "name=Support,queue=5001"
        ),
        0.0
    );
    assert_eq!(
        sample(
            &metrics,
            "ccp_queue_calls_abandoned_total",
            "name=Support,queue=5001"
        ),
        1.0
    );
}
