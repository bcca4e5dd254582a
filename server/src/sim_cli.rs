//! `server sim …`: drives the call simulator of a running server over its
//! HTTP API, one call at a time or as scripted traffic.

use std::time::Duration;

use clap::{Args, Subcommand};
use rand::Rng;
use serde_json::{Value, json};

use crate::security::api_key::{ApiKeyError, read_key};

/// `server sim` options.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Base URL of the running server.
    #[arg(long, env = "CCP_SIM_URL", default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// File whose first line is the server's API key (needed when the
    /// server has one, or is not on loopback); or set `CCP_API_KEY`.
    #[arg(long, env = "CCP_API_KEY_FILE")]
    pub api_key_file: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub action: SimAction,
}

/// What to simulate.
#[derive(Debug, Clone, Subcommand)]
pub enum SimAction {
    /// Place an inbound call to a queue or an extension; prints its call id.
    Call {
        /// Queue number or extension to call.
        #[arg(long)]
        to: String,
        /// The caller's number.
        #[arg(long, default_value = "+15551230001")]
        from: String,
        /// Attached data as key=value (repeatable).
        #[arg(long = "data", value_parser = parse_pair)]
        data: Vec<(String, String)>,
    },
    /// The far end hangs up.
    Hangup { call_id: String },
    /// The far end of an outbound call answers.
    Answer { call_id: String },
    /// List the calls in progress (JSON).
    List,
    /// Place calls at a steady rate; each caller hangs up after a talk time.
    Traffic {
        /// Queue numbers or extensions to call, chosen at random (repeatable).
        #[arg(long = "to", default_values = ["5000", "5001"])]
        to: Vec<String>,
        /// Calls per second, minute or hour: `2/s`, `30/m`, `100/h`.
        #[arg(long, default_value = "1/s", value_parser = parse_rate)]
        rate: f64,
        /// How long to place calls: `60s`, `5m`.
        #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
        duration: Duration,
        /// Mean time before the caller hangs up (uniform between half and
        /// one and a half times this).
        #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
        talk: Duration,
    },
}

/// Why a simulator command failed.
#[derive(Debug, thiserror::Error)]
pub enum SimCliError {
    #[error(transparent)]
    ApiKey(#[from] ApiKeyError),
    #[error("cannot reach {url}: {source}")]
    Http { url: String, source: reqwest::Error },
    #[error("{status}: {body}")]
    Refused {
        status: reqwest::StatusCode,
        body: String,
    },
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s:?} is not key=value"))
}

/// `N/s`, `N/m` or `N/h` as calls per second.
fn parse_rate(s: &str) -> Result<f64, String> {
    let (n, unit) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: write the rate as N/s, N/m or N/h"))?;
    let n: f64 = n
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: {n:?} is not a number"))?;
    let per = match unit.trim() {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        other => return Err(format!("{s:?}: unknown unit {other:?} (use s, m or h)")),
    };
    if n <= 0.0 || !n.is_finite() {
        return Err(format!("{s:?}: the rate must be positive"));
    }
    Ok(n / per)
}

struct Client {
    http: reqwest::Client,
    base: String,
    key: Option<String>,
}

impl Client {
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, SimCliError> {
        let request = match &self.key {
            Some(key) => request.bearer_auth(key),
            None => request,
        };
        let response = request.send().await.map_err(|source| SimCliError::Http {
            url: self.base.clone(),
            source,
        })?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(SimCliError::Refused { status, body });
        }
        Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    async fn place(&self, from: &str, to: &str, data: Value) -> Result<String, SimCliError> {
        let url = format!("{}/api/sim/calls", self.base);
        let value = self
            .send(
                self.http
                    .post(url)
                    .json(&json!({"from": from, "to": to, "data": data})),
            )
            .await?;
        Ok(value["callId"].as_str().unwrap_or_default().to_string())
    }

    async fn post(&self, call_id: &str, action: &str) -> Result<Value, SimCliError> {
        let url = format!("{}/api/sim/calls/{call_id}/{action}", self.base);
        self.send(self.http.post(url)).await
    }
}

/// Runs one `server sim` command, printing its result on stdout.
pub async fn run(args: SimArgs) -> Result<(), SimCliError> {
    run_to(args, &mut std::io::stdout()).await
}

/// Runs one `server sim` command, writing its result to `out`: the new call
/// id for `call`, the calls as JSON for `list`.
pub async fn run_to(args: SimArgs, out: &mut impl std::io::Write) -> Result<(), SimCliError> {
    let key = read_key(args.api_key_file.as_deref())?;
    let client = Client {
        http: reqwest::Client::new(),
        base: args.url.trim_end_matches('/').to_string(),
        key,
    };
    match args.action {
        SimAction::Call { to, from, data } => {
            let data: serde_json::Map<String, Value> = data
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            let call_id = client.place(&from, &to, Value::Object(data)).await?;
            let _ = writeln!(out, "{call_id}");
        }
        SimAction::Hangup { call_id } => {
            client.post(&call_id, "hangup").await?;
        }
        SimAction::Answer { call_id } => {
            client.post(&call_id, "answer").await?;
        }
        SimAction::List => {
            let url = format!("{}/api/sim/calls", client.base);
            let calls = client.send(client.http.get(url)).await?;
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&calls).unwrap_or_default()
            );
        }
        SimAction::Traffic {
            to,
            rate,
            duration,
            talk,
        } => traffic(client, to, rate, duration, talk).await,
    }
    Ok(())
}

/// Scripted traffic: a load generator, so it paces itself with timers.
async fn traffic(client: Client, to: Vec<String>, rate: f64, duration: Duration, talk: Duration) {
    let client = std::sync::Arc::new(client);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let deadline = tokio::time::Instant::now() + duration;
    let (mut placed, mut refused) = (0u64, 0u64);
    let mut hangups = tokio::task::JoinSet::new();
    while tokio::time::Instant::now() < deadline {
        ticker.tick().await;
        let (target, from, hold) = {
            let mut rng = rand::rng();
            let target = to[rng.random_range(0..to.len())].clone();
            let from = format!("+1555{:07}", rng.random_range(0..10_000_000u32));
            let hold = talk.mul_f64(rng.random_range(0.5..1.5));
            (target, from, hold)
        };
        match client
            .place(&from, &target, json!({"source": "traffic"}))
            .await
        {
            Ok(call_id) => {
                placed += 1;
                let client = client.clone();
                hangups.spawn(async move {
                    tokio::time::sleep(hold).await;
                    // The call may have ended already (agent hung up): fine.
                    let _ = client.post(&call_id, "hangup").await;
                });
            }
            Err(err) => {
                refused += 1;
                eprintln!("call to {target} refused: {err}");
            }
        }
    }
    println!("placed {placed} calls ({refused} refused); waiting for the callers to hang up");
    while hangups.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("2/s").unwrap(), 2.0);
        assert_eq!(parse_rate("30/m").unwrap(), 0.5);
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("5").is_err());
        assert!(parse_rate("5/d").is_err());
    }
}
