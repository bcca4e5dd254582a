//! A day of operations through the real server: sessions that end when no
//! panel is left, call records in the database and the history API, and a
//! restart on the same database.

use std::time::{Duration, Instant};

use crate::common::*;
use app::wire::native::{AgentStatus, CstaRequest, NativeEvent, RequestedAgentState};
use serde_json::{Value, json};
use server::relay::Hub;

/// Waits (bounded by [`PATIENCE`]) until `done` holds: a wait on state, not
/// a pause.
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn status(hub: &Hub, agent: &str) -> AgentStatus {
    hub.snapshot(agent).unwrap().agent.status
}

fn not_ready(reason: &str) -> CstaRequest {
    CstaRequest::SetAgentState {
        state: RequestedAgentState::NotReady,
        reason: Some(reason.into()),
        work_mode: None,
    }
}

async fn get(server: &TestServer, path: &str) -> (u16, String) {
    let res = reqwest::get(server.url(path)).await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn records(server: &TestServer, query: &str) -> Vec<Value> {
    let (status, body) = get(server, &format!("/api/calls{query}")).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn a_session_with_no_panel_ends_after_the_grace_period_and_its_calls_go_to_others() {
    let server = TestServer::start(&["--session-grace-seconds", "1"]).await;
    let mut gone = server.agent("1001").await;
    gone.ok(ready()).await;
    let mut stays = server.agent("1002").await;
    stays.ok(ready()).await;
    let token = gone.token();
    gone.close().await;
    wait_until("1001 is logged out", || {
        status(&server.hub, "1001") == AgentStatus::LoggedOut
    })
    .await;
    let call = server.place_call("5000", json!({})).await;
    assert_eq!(stays.expect_ringing().await, call);
    // Its session is over: the token no longer resumes.
    let mut again = server.panel().await;
    let err = again.resume(&token, 0).await.unwrap_err();
    assert_eq!(err.err_code, app::opencti::ErrorCode::Unauthorized);
    again.assert_alive().await;
}

#[tokio::test]
async fn a_panel_back_within_the_grace_period_resumes_as_it_was() {
    let server = TestServer::start(&["--session-grace-seconds", "60"]).await;
    let mut panel = server.agent("1001").await;
    panel.ok(ready()).await;
    let token = panel.token();
    let last = panel.last_seq();
    panel.close().await;
    let mut back = server.panel().await;
    back.resume(&token, last).await.unwrap();
    back.assert_alive().await;
    assert_eq!(status(&server.hub, "1001"), AgentStatus::Ready);
}

/// One of the ways a call can go, for the 100-call test.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Answered,
    Abandoned,
    Missed,
    Transferred,
}

/// A fresh PostgreSQL database named after the test, on the server that
/// `scripts/postgres.sh` started (`CCP_TEST_POSTGRES_URL`); `None` (and a
/// note) when there is none, as under a plain `cargo test`.
async fn postgres_database(test: &str) -> Option<String> {
    let Ok(admin) = std::env::var("CCP_TEST_POSTGRES_URL") else {
        eprintln!(
            "{test}: CCP_TEST_POSTGRES_URL is not set, PostgreSQL not tested (scripts/test.sh sets it)"
        );
        return None;
    };
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .expect("the test PostgreSQL server answers");
    let name = format!("{test}_{}", std::process::id());
    for statement in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let base = admin.rsplit_once('/').expect("a URL with a database").0;
    Some(format!("{base}/{name}"))
}

#[tokio::test]
async fn a_hundred_calls_make_a_hundred_consistent_records_and_a_spreadsheet_csv() {
    hundred_calls("sqlite::memory:").await;
}

#[tokio::test]
async fn a_hundred_calls_on_postgresql() {
    if let Some(url) = postgres_database("hundred_calls").await {
        hundred_calls(&url).await;
    }
}

async fn hundred_calls(database: &str) {
    let server = TestServer::start(&["--database", database, "--wrap-up-seconds", "0"]).await;
    let mut a = server.agent("1001").await;
    a.ok(ready()).await;
    let mut b = server.agent("1002").await;
    b.ok(ready()).await;
    let started =
        humantime::format_rfc3339_millis(std::time::SystemTime::now() - Duration::from_millis(1))
            .to_string();
    let mut next = xorshift(0x2545_f491_4f6c_dd1d);
    let mut fates = vec![];
    for i in 0..100 {
        let fate = [
            Fate::Answered,
            Fate::Abandoned,
            Fate::Missed,
            Fate::Transferred,
        ][(next() % 4) as usize];
        fates.push(fate);
        let data = json!({"n": i.to_string(), "note": "a, \"quoted\"\nline"});
        let call = server.place_call("5000", data).await;
        // The longest-idle Ready agent rings: whichever it is.
        let ringing = server.parties(&call).await;
        let (agent, other) = if ringing.contains(&party("2001", "alerting")) {
            (&mut a, &mut b)
        } else {
            (&mut b, &mut a)
        };
        match fate {
            Fate::Abandoned => {
                server
                    .post(&format!("/api/sim/calls/{call}/hangup"), json!({}))
                    .await;
            }
            Fate::Missed => {
                agent
                    .ok(CstaRequest::RejectCall {
                        call_id: call.clone(),
                    })
                    .await;
                // Offered to the other agent next; the caller gives up.
                other.expect_ringing().await;
                server
                    .post(&format!("/api/sim/calls/{call}/hangup"), json!({}))
                    .await;
            }
            Fate::Answered => {
                agent.ok(answer(&call)).await;
                if next().is_multiple_of(2) {
                    agent.ok(hold(&call)).await;
                    agent.ok(retrieve(&call)).await;
                }
                agent.ok(hang_up(&call)).await;
            }
            Fate::Transferred => {
                agent.ok(answer(&call)).await;
                // To the other queue, where nobody is Ready: the caller waits, then leaves.
                other.ok(not_ready("Break")).await;
                agent
                    .ok(CstaRequest::SingleStepTransferCall {
                        call_id: call.clone(),
                        destination: "5001".into(),
                        user_data: None,
                    })
                    .await;
                server
                    .post(&format!("/api/sim/calls/{call}/hangup"), json!({}))
                    .await;
                other.ok(ready()).await;
            }
        }
        assert!(server.calls().await.is_empty(), "call {i} ended");
    }
    assert!(server.hub.recorder().flush(PATIENCE).await);

    let all = records(&server, "?limit=1000").await;
    assert_eq!(all.len(), 100);
    let mut ids: Vec<&str> = all.iter().map(|r| r["callId"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 100, "one record per call");
    // Newest first: the record of call n is at 99 - n.
    for (position, record) in all.iter().enumerate() {
        let n: usize = record["data"]["n"].as_str().unwrap().parse().unwrap();
        assert_eq!(n, 99 - position);
        let expected = match fates[n] {
            Fate::Answered => "answered",
            Fate::Abandoned => "abandoned",
            Fate::Missed => "missed",
            Fate::Transferred => "transferred",
        };
        assert_eq!(record["outcome"], expected, "{record}");
        for key in [
            "callId",
            "direction",
            "ani",
            "dnis",
            "queue",
            "startedAt",
            "answeredAt",
            "endedAt",
            "outcome",
            "legs",
            "data",
        ] {
            assert!(record.get(key).is_some(), "{key} missing from {record}");
        }
        assert_eq!(record["direction"], "inbound");
        assert_eq!(record["ani"], CALLER);
        assert_eq!(record["dnis"], "5000");
        let started = millis(&record["startedAt"]);
        let ended = millis(&record["endedAt"]);
        assert!(started <= ended);
        match record["answeredAt"].as_str() {
            Some(_) => {
                let answered = millis(&record["answeredAt"]);
                assert!(started <= answered && answered <= ended, "{record}");
            }
            None => assert!(matches!(fates[n], Fate::Abandoned | Fate::Missed)),
        }
        let mut talked = 0.0;
        for leg in record["legs"].as_array().unwrap() {
            for key in [
                "agentId",
                "talkSeconds",
                "holdSeconds",
                "wrapUpSeconds",
                "disposition",
                "note",
            ] {
                assert!(leg.get(key).is_some(), "{key} missing from {leg}");
            }
            let talk = leg["talkSeconds"].as_f64().unwrap();
            let held = leg["holdSeconds"].as_f64().unwrap();
            assert!(talk >= 0.0 && held >= 0.0);
            assert!(
                (talk + held) * 1000.0 <= (ended - started) as f64 + 1.0,
                "a leg lasts no longer than its call: {record}"
            );
            talked += talk;
        }
        if fates[n] == Fate::Abandoned {
            assert_eq!(talked, 0.0);
        }
    }
    // Filters: an agent's calls, a time window, paging.
    let mine = records(&server, "?agent=1001&limit=1000").await;
    assert!(!mine.is_empty() && mine.len() < 100);
    assert!(mine.iter().all(|r| {
        r["legs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["agentId"] == "1001")
    }));
    assert_eq!(
        records(&server, &format!("?from={started}&limit=1000"))
            .await
            .len(),
        100
    );
    assert!(records(&server, &format!("?to={started}")).await.is_empty());
    let page = records(&server, "?limit=10&offset=10").await;
    assert_eq!(page, all[10..20]);
    let (status, body) = get(&server, "/api/calls?limit=0").await;
    assert_eq!(
        (status, body.contains("OPENCTI_BAD_REQUEST")),
        (400, true),
        "{body}"
    );
    let (status, _) = get(&server, "/api/calls?from=yesterday").await;
    assert_eq!(status, 400);

    // The CSV: a header row, one row per agent leg (or per call without
    // one), RFC 4180 quoting that a CSV reader takes back exactly.
    let res = reqwest::get(server.url("/api/calls.csv")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = res.text().await.unwrap();
    assert!(text.contains("\r\n"), "CRLF line ends");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(&header[..3], ["callId", "direction", "ani"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let expected_rows: usize = all
        .iter()
        .map(|r| r["legs"].as_array().unwrap().len().max(1))
        .sum();
    assert_eq!(rows.len(), expected_rows);
    let data_column = header.iter().position(|h| h == "data").unwrap();
    let data: Value = serde_json::from_str(&rows[0][data_column]).unwrap();
    assert_eq!(data["note"], "a, \"quoted\"\nline");
}

/// Milliseconds since the epoch of an ISO 8601 time in a record.
fn millis(value: &Value) -> u64 {
    humantime::parse_rfc3339(value.as_str().unwrap())
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn after_a_restart_on_the_same_database_agents_are_back_in_their_state() {
    let dir = std::env::temp_dir().join(format!("ccp-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ccp.sqlite");
    let _ = std::fs::remove_file(&path);
    restart(path.to_str().unwrap()).await;
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_restart_on_postgresql() {
    if let Some(url) = postgres_database("restart").await {
        restart(&url).await;
    }
}

async fn restart(database: &str) {
    let database = database.to_string();

    let first = TestServer::start(&["--database", &database, "--wrap-up-seconds", "0"]).await;
    let mut a = first.agent("1001").await;
    a.ok(ready()).await;
    let mut b = first.agent("1002").await;
    b.ok(not_ready("Lunch")).await;
    let answered = first.place_call("5000", json!({})).await;
    a.expect_ringing().await;
    a.ok(answer(&answered)).await;
    a.ok(hang_up(&answered)).await;
    // A call still up when the server stops.
    let in_progress = first.place_call("5000", json!({})).await;
    a.expect_ringing().await;
    a.ok(answer(&in_progress)).await;
    let (token_a, seq_a) = (a.token(), a.last_seq());
    let (token_b, seq_b) = (b.token(), b.last_seq());
    assert!(first.hub.recorder().flush(PATIENCE).await);
    first.stop();

    let second = TestServer::start(&["--database", &database, "--wrap-up-seconds", "0"]).await;
    let mut a = second.panel().await;
    a.resume(&token_a, seq_a).await.unwrap();
    let NativeEvent::Snapshot(snapshot) = a.expect(|e| matches!(e, NativeEvent::Snapshot(_))).await
    else {
        unreachable!()
    };
    assert_eq!(snapshot.agent.status, AgentStatus::Ready);
    assert_eq!(snapshot.agent.device, "2001");
    assert!(snapshot.calls.is_empty(), "calls in progress are gone");
    assert_eq!(snapshot.recent[0].call_id, answered, "history survives");
    let mut b = second.panel().await;
    b.resume(&token_b, seq_b).await.unwrap();
    let NativeEvent::Snapshot(snapshot) = b.expect(|e| matches!(e, NativeEvent::Snapshot(_))).await
    else {
        unreachable!()
    };
    assert_eq!(
        (snapshot.agent.status, snapshot.agent.reason.as_str()),
        (AgentStatus::NotReady, "Lunch")
    );
    // The restored agent takes calls, with ids never used before.
    let next = second.place_call("5000", json!({})).await;
    assert_eq!(a.expect_ringing().await, next);
    assert!(next != answered && next != in_progress);
}

#[tokio::test]
async fn healthz_reports_the_record_writer() {
    let server = TestServer::start(&[]).await;
    let (status, body) = get(&server, "/healthz").await;
    assert_eq!(status, 200);
    let health: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["records"]["dropped"], 0);
    assert!(health["records"]["backlog"].is_u64());
}

#[tokio::test]
async fn a_database_that_cannot_be_opened_stops_the_server_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("ccp-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let corrupt = dir.join("corrupt.sqlite");
    std::fs::write(&corrupt, vec![0x5a; 8192]).unwrap();
    for database in [
        corrupt.to_str().unwrap().to_string(),
        dir.join("no/such/dir/ccp.sqlite")
            .to_str()
            .unwrap()
            .to_string(),
    ] {
        let cli = <server::config::Cli as clap::Parser>::try_parse_from([
            "server",
            "--database",
            &database,
        ])
        .unwrap();
        let local = "127.0.0.1:0".parse().unwrap();
        let Err(err) = server::app_router(&cli.serve, local).await else {
            panic!("{database} opened")
        };
        let message = err.to_string();
        assert!(message.contains(&database), "{message}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn failing_writes_are_counted_and_retried_while_calls_go_on() {
    let dir = std::env::temp_dir().join(format!("ccp-failing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ccp.sqlite");
    let _ = std::fs::remove_file(&path);
    let database = path.to_str().unwrap().to_string();
    let server = TestServer::start(&["--database", &database, "--wrap-up-seconds", "0"]).await;
    // Another process breaks the database under the running server.
    sqlx::any::install_default_drivers();
    let mut other =
        <sqlx::AnyConnection as sqlx::Connection>::connect(&format!("sqlite://{database}"))
            .await
            .unwrap();
    sqlx::query("ALTER TABLE call_legs RENAME TO call_legs_away")
        .execute(&mut other)
        .await
        .unwrap();
    let mut agent = server.agent("1001").await;
    agent.ok(ready()).await;
    let call = server.place_call("5000", json!({})).await;
    agent.expect_ringing().await;
    agent.ok(answer(&call)).await;
    agent.ok(hang_up(&call)).await;
    let health = |server: &TestServer| server.hub.health();
    wait_until("a write fails", || health(&server).failed_writes > 0).await;
    assert!(health(&server).backlog > 0, "{:?}", health(&server));
    // Calls go on meanwhile.
    let second = server.place_call("5000", json!({})).await;
    assert_eq!(agent.expect_ringing().await, second);
    // Repaired: the backlog drains, nothing is lost.
    sqlx::query("ALTER TABLE call_legs_away RENAME TO call_legs")
        .execute(&mut other)
        .await
        .unwrap();
    assert!(
        server.hub.recorder().flush(PATIENCE).await,
        "{:?}",
        health(&server)
    );
    assert_eq!(health(&server).dropped, 0);
    let all = records(&server, "").await;
    assert_eq!(all[0]["callId"], call);
    assert_eq!(all[0]["legs"][0]["agentId"], "1001");
    std::fs::remove_dir_all(&dir).ok();
}
