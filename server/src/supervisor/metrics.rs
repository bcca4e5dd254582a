//! `/metrics`: the supervisor's figures in the Prometheus text format
//! (OpenMetrics, by prometheus-client), so that existing dashboards read
//! them with no custom code. Built from one [`Snapshot`] per scrape: the
//! figures are computed once, in [`super::figures`], not a second time here.

use std::{fmt, iter::once};

use app::supervisor::{AgentActivity, Snapshot};
use prometheus_client::{
    encoding::{EncodeMetric, MetricEncoder, NoLabelSet, text::encode},
    metrics::{MetricType, counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::{Registry, Unit},
};

use super::figures::{HANDLE_TIME_BUCKETS, HandleTimes};

/// The content type of the body [`render`] returns.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(&'static str, String)>;

/// The handle-time histogram, from the figures' bucket counts.
#[derive(Debug)]
struct HandleTimeHistogram(HandleTimes);

impl EncodeMetric for HandleTimeHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), fmt::Error> {
        let counted: u64 = self.0.buckets.iter().sum();
        let buckets: Vec<(f64, u64)> = HANDLE_TIME_BUCKETS
            .iter()
            .copied()
            .zip(self.0.buckets)
            .chain(once((f64::INFINITY, self.0.count.saturating_sub(counted))))
            .collect();
        encoder.encode_histogram::<NoLabelSet>(self.0.sum_seconds, self.0.count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// The media plane's figures in `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct MediaFigures {
    /// Softphones whose audio link is up.
    pub peers: usize,
    /// Calls whose audio is forked to the AI endpoint now.
    pub forks: u64,
    /// 20 ms frames (per direction) the forks lost since the start.
    pub fork_frames_dropped: u64,
    /// How long forked frames took to reach the AI endpoint's socket.
    pub fork_delay: Option<Histogram>,
    /// Calls being recorded now.
    pub recordings: u64,
    /// Bytes of audio the recordings wrote since the start.
    pub recording_bytes: u64,
    /// 20 ms frames the recordings lost (a disk that could not keep up).
    pub recording_frames_dropped: u64,
}

/// The relay's own figures in `/metrics`: what the replay buffers hold and
/// the logins turned away because too many were being checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct RelayFigures {
    pub replay_events: usize,
    pub replay_bytes: usize,
    pub replay_evicted_for_total: u64,
    pub logins_refused_busy: u64,
}

/// The text of `/metrics` for these figures.
pub fn render(
    snapshot: &Snapshot,
    handle_times: &HandleTimes,
    media: MediaFigures,
    relay: RelayFigures,
) -> Result<String, fmt::Error> {
    let mut registry = Registry::with_prefix("ccp");

    let agents = Family::<Labels, Gauge>::default();
    for activity in AgentActivity::ALL {
        let count = snapshot
            .agents
            .iter()
            .filter(|a| a.activity == activity)
            .count();
        agents
            .get_or_create(&vec![("state", activity.as_str().to_string())])
            .set(count as i64);
    }
    registry.register("agents", "Agents by state", agents);

    let waiting = Family::<Labels, Gauge>::default();
    let callbacks = Family::<Labels, Gauge>::default();
    let longest = Family::<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
    let answered = Family::<Labels, Counter>::default();
    let abandoned = Family::<Labels, Counter>::default();
    let missed = Family::<Labels, Counter>::default();
    for queue in &snapshot.queues {
        let labels = vec![
            ("queue", queue.number.clone()),
            ("name", queue.name.clone()),
        ];
        waiting.get_or_create(&labels).set(queue.waiting as i64);
        callbacks
            .get_or_create(&labels)
            .set(queue.callbacks_waiting as i64);
        let wait_ms = queue
            .oldest_since
            .map_or(0, |since| snapshot.at.saturating_sub(since));
        longest.get_or_create(&labels).set(wait_ms as f64 / 1000.0);
        answered.get_or_create(&labels).inc_by(queue.answered);
        abandoned.get_or_create(&labels).inc_by(queue.abandoned);
        missed.get_or_create(&labels).inc_by(queue.missed);
    }
    registry.register("queue_calls_waiting", "Calls waiting in the queue", waiting);
    registry.register(
        "queue_callbacks_waiting",
        "Of the calls waiting, callbacks (the caller keeps their place)",
        callbacks,
    );
    registry.register_with_unit(
        "queue_longest_wait",
        "How long the longest-waiting call has waited",
        Unit::Seconds,
        longest,
    );
    registry.register(
        "queue_calls_answered",
        "Queue calls answered by an agent",
        answered,
    );
    registry.register(
        "queue_calls_abandoned",
        "Queue calls whose caller hung up before an answer",
        abandoned,
    );
    registry.register(
        "queue_calls_missed",
        "Offers of a queue call that an agent let ring out or rejected",
        missed,
    );
    registry.register_with_unit(
        "handle_time",
        "Talk and hold time of each call an agent handled",
        Unit::Seconds,
        HandleTimeHistogram(handle_times.clone()),
    );

    let peers = Gauge::<i64>::default();
    peers.set(media.peers as i64);
    registry.register(
        "media_peers",
        "Softphones whose audio link to the media plane is up",
        peers,
    );
    let forks = Gauge::<i64>::default();
    forks.set(media.forks as i64);
    registry.register(
        "media_forks",
        "Calls whose audio is streamed to the AI endpoint (--media-fork-url)",
        forks,
    );
    let dropped = Counter::<u64>::default();
    dropped.inc_by(media.fork_frames_dropped);
    registry.register(
        "media_fork_frames_dropped",
        "20 ms audio frames the media fork lost (a slow or unreachable AI endpoint)",
        dropped,
    );
    let recordings = Gauge::<i64>::default();
    recordings.set(media.recordings as i64);
    registry.register("recordings", "Calls being recorded now", recordings);
    let recording_bytes = Counter::<u64>::default();
    recording_bytes.inc_by(media.recording_bytes);
    registry.register_with_unit(
        "recording_written",
        "Audio the call recordings wrote to disk",
        Unit::Bytes,
        recording_bytes,
    );
    let recording_dropped = Counter::<u64>::default();
    recording_dropped.inc_by(media.recording_frames_dropped);
    registry.register(
        "recording_frames_dropped",
        "20 ms frames the recordings lost (a disk that could not keep up)",
        recording_dropped,
    );
    if let Some(delay) = media.fork_delay {
        registry.register_with_unit(
            "media_fork_delay",
            "From the mixer making a 20 ms frame to the fork writing it to the AI endpoint",
            Unit::Seconds,
            delay,
        );
    }

    let replay_events = Gauge::<i64>::default();
    replay_events.set(relay.replay_events as i64);
    registry.register(
        "replay_buffer_events",
        "Events the replay buffers hold for panels that reconnect",
        replay_events,
    );
    let replay_bytes = Gauge::<i64>::default();
    replay_bytes.set(relay.replay_bytes as i64);
    registry.register_with_unit(
        "replay_buffer",
        "Bytes the replay buffers hold (bounded by --replay-total-bytes)",
        Unit::Bytes,
        replay_bytes,
    );
    let evicted = Counter::<u64>::default();
    evicted.inc_by(relay.replay_evicted_for_total);
    registry.register(
        "replay_buffer_evicted",
        "Events dropped from the replay buffers to keep within --replay-total-bytes",
        evicted,
    );
    let busy = Counter::<u64>::default();
    busy.inc_by(relay.logins_refused_busy);
    registry.register(
        "logins_refused_busy",
        "Logins answered 'try again' because too many passwords were being checked",
        busy,
    );

    let mut text = String::new();
    encode(&mut text, &registry)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::supervisor::{AgentRow, QueueRow};

    #[test]
    fn figures_become_prometheus_families() {
        let snapshot = Snapshot {
            at: 100_000,
            agents: vec![AgentRow {
                agent_id: "1001".into(),
                name: String::new(),
                extension: "2001".into(),
                activity: AgentActivity::Ready,
                reason: String::new(),
                since: 0,
                call: None,
                handled: 0,
                average_handle_ms: None,
            }],
            queues: vec![QueueRow {
                number: "5000".into(),
                name: "Sales".into(),
                waiting: 2,
                callbacks_waiting: 1,
                oldest_since: Some(40_000),
                answered: 7,
                abandoned: 1,
                missed: 3,
                average_answer_ms: None,
                service_level: None,
                waiting_history: vec![],
            }],
            service_level_seconds: 20,
        };
        let times = HandleTimes {
            buckets: [1, 0, 2, 0, 0, 0, 0, 0, 0],
            count: 4,
            sum_seconds: 9000.0,
        };
        let media = MediaFigures {
            peers: 3,
            forks: 2,
            fork_frames_dropped: 40,
            fork_delay: None,
            recordings: 1,
            recording_bytes: 640,
            recording_frames_dropped: 2,
        };
        let relay = RelayFigures {
            replay_events: 12,
            replay_bytes: 4096,
            replay_evicted_for_total: 5,
            logins_refused_busy: 9,
        };
        let text = render(&snapshot, &times, media, relay).expect("encodes");
        for line in [
            r#"ccp_agents{state="ready"} 1"#,
            r#"ccp_agents{state="on_call"} 0"#,
            r#"ccp_queue_calls_waiting{queue="5000",name="Sales"} 2"#,
            r#"ccp_queue_callbacks_waiting{queue="5000",name="Sales"} 1"#,
            r#"ccp_queue_longest_wait_seconds{queue="5000",name="Sales"} 60.0"#,
            r#"ccp_queue_calls_answered_total{queue="5000",name="Sales"} 7"#,
            r#"ccp_queue_calls_abandoned_total{queue="5000",name="Sales"} 1"#,
            r#"ccp_queue_calls_missed_total{queue="5000",name="Sales"} 3"#,
            r#"ccp_handle_time_seconds_bucket{le="30.0"} 1"#,
            r#"ccp_handle_time_seconds_bucket{le="120.0"} 3"#,
            r#"ccp_handle_time_seconds_bucket{le="+Inf"} 4"#,
            "ccp_handle_time_seconds_count 4",
            "ccp_media_peers 3",
            "ccp_media_forks 2",
            "ccp_media_fork_frames_dropped_total 40",
            "ccp_recordings 1",
            "ccp_recording_written_bytes_total 640",
            "ccp_recording_frames_dropped_total 2",
            "ccp_replay_buffer_events 12",
            "ccp_replay_buffer_bytes 4096",
            "ccp_replay_buffer_evicted_total 5",
            "ccp_logins_refused_busy_total 9",
            "# EOF",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
        }
    }
}
