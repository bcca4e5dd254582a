//! The database: call records, their legs, and the sessions that survive a
//! restart. One code path for SQLite (the default, a file created on first
//! run) and PostgreSQL (by URL), through sqlx's `Any` driver and the
//! migrations in `server/migrations/`.

use std::str::FromStr;

use app::{
    opencti::events::{CallOutcome, CallType, RecentCall},
    supervisor::AuditEntry,
};
use serde::{Serialize, de::DeserializeOwned};
use sqlx::{
    AnyPool, Row,
    any::{AnyConnectOptions, AnyPoolOptions, AnyRow},
};

use crate::{
    media::recording::RecordingFile,
    security::tokens::StoredToken,
    switch::{CallRecord, Direction, Leg, RecordingSpans, SavedAgent, Switch, WrapUpRecord},
};

/// Why the database cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot bring the database {url} up to date: {source}")]
    Migrate {
        url: String,
        source: sqlx::migrate::MigrateError,
    },
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error("a stored value is not readable: {0}")]
    Corrupt(String),
}

/// A session stored for a restart: the agent's state, its token and the
/// sequence number of its last event.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedSession {
    pub agent: SavedAgent,
    /// The session's tokens (their digests): one per login.
    pub tokens: Vec<StoredToken>,
    pub last_seq: u64,
}

/// Which call records to read, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordFilter {
    /// Only calls this agent had a leg in.
    pub agent: Option<String>,
    /// Only calls from or to this number.
    pub number: Option<String>,
    /// Started at or after (ms since the epoch).
    pub from: Option<u64>,
    /// Started before (ms since the epoch).
    pub to: Option<u64>,
    pub limit: u32,
    pub offset: u32,
}

/// The URL sqlx opens for `--database`: a plain path is an SQLite file,
/// created if missing.
pub fn database_url(flag: &str) -> String {
    if flag.contains("://") || flag.starts_with("sqlite:") {
        flag.to_string()
    } else {
        format!("sqlite://{flag}?mode=rwc")
    }
}

/// The pool of database connections.
#[derive(Clone, Debug)]
pub struct Database {
    pool: AnyPool,
}

impl Database {
    /// Opens the database named by `--database` and applies the migrations.
    pub async fn open(flag: &str) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let url = database_url(flag);
        let open = |source| DbError::Open {
            url: flag.to_string(),
            source,
        };
        let options = AnyConnectOptions::from_str(&url).map_err(open)?;
        // An in-memory SQLite database lives in one connection.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool = AnyPoolOptions::new()
            .max_connections(if in_memory { 1 } else { 4 })
            .min_connections(if in_memory { 1 } else { 0 })
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(open)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|source| DbError::Migrate {
                url: flag.to_string(),
                source,
            })?;
        Ok(Self { pool })
    }

    /// Stores a call that ended, with its legs; a leg's wrap-up columns,
    /// if its wrap-up was stored first, are kept.
    pub async fn insert_call(&self, record: &CallRecord) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO call_records (call_id, call_number, direction, ani, dnis, queue, \
             consult_of, started_at, answered_at, ended_at, outcome, data, flow_path, \
             recording_started_at, recording_paused) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (call_id) DO NOTHING",
        )
        .bind(&record.call_id)
        .bind(Switch::call_number(&record.call_id).map_or(0, to_i64))
        .bind(record.direction.as_str())
        .bind(&record.ani)
        .bind(&record.dnis)
        .bind(record.queue.as_deref())
        .bind(record.consult_of.as_deref())
        .bind(to_i64(record.started_at))
        .bind(record.answered_at.map(to_i64))
        .bind(to_i64(record.ended_at))
        .bind(record.outcome.as_str())
        .bind(serde_json::to_string(&record.data).unwrap_or_else(|_| "{}".into()))
        .bind(serde_json::to_string(&record.flow_path).unwrap_or_else(|_| "[]".into()))
        .bind(record.recording.as_ref().map(|r| to_i64(r.started_at)))
        .bind(
            record
                .recording
                .as_ref()
                .map(|r| serde_json::to_string(&r.paused).unwrap_or_else(|_| "[]".into())),
        )
        .execute(&mut *tx)
        .await?;
        for leg in &record.legs {
            sqlx::query(
                "INSERT INTO call_legs (call_id, agent_id, extension, answered, talk_ms, hold_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (call_id, agent_id) DO UPDATE SET extension = excluded.extension, \
                 answered = excluded.answered, talk_ms = excluded.talk_ms, hold_ms = excluded.hold_ms",
            )
            .bind(&record.call_id)
            .bind(&leg.agent_id)
            .bind(&leg.extension)
            .bind(i64::from(leg.answered))
            .bind(to_i64(leg.talk_ms))
            .bind(to_i64(leg.hold_ms))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores what an agent's wrap-up adds to its legs.
    pub async fn apply_wrap_up(&self, record: &WrapUpRecord) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        for call_id in &record.call_ids {
            sqlx::query(
                "INSERT INTO call_legs (call_id, agent_id, wrap_up_ms, disposition, note) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (call_id, agent_id) DO UPDATE SET wrap_up_ms = excluded.wrap_up_ms, \
                 disposition = excluded.disposition, note = excluded.note",
            )
            .bind(call_id)
            .bind(&record.agent_id)
            .bind(to_i64(record.wrap_up_ms))
            .bind(record.disposition.as_deref())
            .bind(record.note.as_deref())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Applies the latest change of each agent's session in one
    /// transaction: `Some` stores (or replaces) the session and its tokens,
    /// `None` forgets them (logout).
    pub async fn apply_sessions(
        &self,
        changes: &[(String, Option<SavedSession>)],
    ) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        for (agent_id, change) in changes {
            for delete in [
                "DELETE FROM agent_sessions WHERE agent_id = $1",
                "DELETE FROM session_tokens WHERE agent_id = $1",
            ] {
                sqlx::query(delete).bind(agent_id).execute(&mut *tx).await?;
            }
            let Some(s) = change else {
                continue;
            };
            let a = &s.agent;
            sqlx::query(
                "INSERT INTO agent_sessions (agent_id, extension, mode, status, reason, \
                 work_mode, since, wrap_up_ends_at, resume_status, resume_reason, last_seq) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&a.agent_id)
            .bind(&a.extension)
            .bind(spelling(&a.mode))
            .bind(spelling(&a.status))
            .bind(&a.reason)
            .bind(spelling(&a.work_mode))
            .bind(to_i64(a.since))
            .bind(a.wrap_up_ends_at.map(to_i64))
            .bind(spelling(&a.resume_status))
            .bind(&a.resume_reason)
            .bind(to_i64(s.last_seq))
            .execute(&mut *tx)
            .await?;
            for t in &s.tokens {
                sqlx::query(
                    "INSERT INTO session_tokens (token_id, agent_id, digest, login_at, last_used) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&t.id)
                .bind(&t.agent_id)
                .bind(&t.digest)
                .bind(to_i64(t.login_at_ms))
                .bind(to_i64(t.last_used_ms))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The sessions stored by the previous run.
    pub async fn sessions(&self) -> Result<Vec<SavedSession>, DbError> {
        let rows = sqlx::query(
            "SELECT agent_id, extension, mode, status, reason, work_mode, since, \
             wrap_up_ends_at, resume_status, resume_reason, last_seq \
             FROM agent_sessions ORDER BY agent_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut tokens: std::collections::HashMap<String, Vec<StoredToken>> = Default::default();
        for row in sqlx::query(
            "SELECT token_id, agent_id, digest, login_at, last_used FROM session_tokens \
             ORDER BY token_id",
        )
        .fetch_all(&self.pool)
        .await?
        {
            let token = StoredToken {
                id: row.try_get("token_id")?,
                agent_id: row.try_get("agent_id")?,
                digest: row.try_get("digest")?,
                login_at_ms: from_i64(row.try_get("login_at")?),
                last_used_ms: from_i64(row.try_get("last_used")?),
            };
            tokens
                .entry(token.agent_id.clone())
                .or_default()
                .push(token);
        }
        rows.iter()
            .map(|row| {
                Ok(SavedSession {
                    agent: SavedAgent {
                        agent_id: row.try_get("agent_id")?,
                        extension: row.try_get("extension")?,
                        mode: parse_spelling(row, "mode")?,
                        status: parse_spelling(row, "status")?,
                        reason: row.try_get("reason")?,
                        work_mode: parse_spelling(row, "work_mode")?,
                        since: from_i64(row.try_get("since")?),
                        wrap_up_ends_at: row
                            .try_get::<Option<i64>, _>("wrap_up_ends_at")?
                            .map(from_i64),
                        resume_status: parse_spelling(row, "resume_status")?,
                        resume_reason: row.try_get("resume_reason")?,
                    },
                    tokens: tokens
                        .remove(&row.try_get::<String, _>("agent_id")?)
                        .unwrap_or_default(),
                    last_seq: from_i64(row.try_get("last_seq")?),
                })
            })
            .collect()
    }

    /// The highest call number used (0 when none): the stored counter, or
    /// the records if they are ahead of it.
    pub async fn last_call_number(&self) -> Result<u64, DbError> {
        let row = sqlx::query(
            "SELECT (SELECT MAX(call_number) FROM call_records) AS recorded, \
             (SELECT MAX(value) FROM counters WHERE name = 'last_call_number') AS counted",
        )
        .fetch_one(&self.pool)
        .await?;
        let recorded = row
            .try_get::<Option<i64>, _>("recorded")?
            .map_or(0, from_i64);
        let counted = row
            .try_get::<Option<i64>, _>("counted")?
            .map_or(0, from_i64);
        Ok(recorded.max(counted))
    }

    /// Stores the highest call number used, so a restart never reuses one
    /// (calls in progress at a restart leave no record).
    pub async fn save_call_number(&self, last: u64) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO counters (name, value) VALUES ('last_call_number', $1) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value \
             WHERE excluded.value > counters.value",
        )
        .bind(to_i64(last))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Call records, newest first, with their legs.
    pub async fn calls(&self, filter: &RecordFilter) -> Result<Vec<CallRecord>, DbError> {
        let mut sql = String::from(
            "SELECT call_id, direction, ani, dnis, queue, consult_of, started_at, answered_at, \
             ended_at, outcome, data, flow_path, recording_started_at, recording_paused \
             FROM call_records r WHERE 1 = 1",
        );
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if filter.agent.is_some() {
            sql += &format!(
                " AND EXISTS (SELECT 1 FROM call_legs l WHERE l.call_id = r.call_id AND l.agent_id = {})",
                next()
            );
        }
        if filter.number.is_some() {
            let n = next();
            sql += &format!(" AND (ani = {n} OR dnis = {n})");
        }
        if filter.from.is_some() {
            sql += &format!(" AND started_at >= {}", next());
        }
        if filter.to.is_some() {
            sql += &format!(" AND started_at < {}", next());
        }
        sql += &format!(
            " ORDER BY started_at DESC, call_number DESC LIMIT {} OFFSET {}",
            next(),
            next()
        );
        // Built from constants and numbered placeholders only: the values
        // are bound below.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(agent) = &filter.agent {
            query = query.bind(agent.clone());
        }
        if let Some(number) = &filter.number {
            query = query.bind(number.clone());
        }
        if let Some(from) = filter.from {
            query = query.bind(to_i64(from));
        }
        if let Some(to) = filter.to {
            query = query.bind(to_i64(to));
        }
        let rows = query
            .bind(i64::from(filter.limit))
            .bind(i64::from(filter.offset))
            .fetch_all(&self.pool)
            .await?;
        let mut records = rows
            .iter()
            .map(call_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        for record in &mut records {
            record.legs = self.legs(&record.call_id).await?;
        }
        Ok(records)
    }

    async fn legs(&self, call_id: &str) -> Result<Vec<Leg>, DbError> {
        let rows = sqlx::query(
            "SELECT agent_id, extension, answered, talk_ms, hold_ms, wrap_up_ms, disposition, note \
             FROM call_legs WHERE call_id = $1 ORDER BY agent_id",
        )
        .bind(call_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Leg {
                    agent_id: row.try_get("agent_id")?,
                    extension: row.try_get("extension")?,
                    answered: row.try_get::<i64, _>("answered")? != 0,
                    talk_ms: from_i64(row.try_get("talk_ms")?),
                    hold_ms: from_i64(row.try_get("hold_ms")?),
                    wrap_up_ms: row.try_get::<Option<i64>, _>("wrap_up_ms")?.map(from_i64),
                    disposition: row.try_get("disposition")?,
                    note: row.try_get("note")?,
                })
            })
            .collect()
    }

    /// Stores (or brings up to date) a recording's file.
    pub async fn upsert_recording(&self, file: &RecordingFile) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO recordings (call_id, file, started_at, duration_ms, bytes) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (call_id) DO UPDATE SET file = excluded.file, \
             started_at = excluded.started_at, duration_ms = excluded.duration_ms, \
             bytes = excluded.bytes",
        )
        .bind(&file.call_id)
        .bind(&file.file)
        .bind(to_i64(file.started_at))
        .bind(to_i64(file.duration_ms))
        .bind(to_i64(file.bytes))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The recording files of these calls (those that have one), in one
    /// query.
    pub async fn recording_files(
        &self,
        call_ids: &[String],
    ) -> Result<std::collections::HashMap<String, RecordingFile>, DbError> {
        if call_ids.is_empty() {
            return Ok(Default::default());
        }
        let placeholders: Vec<String> = (1..=call_ids.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT call_id, file, started_at, duration_ms, bytes FROM recordings \
             WHERE call_id IN ({})",
            placeholders.join(", ")
        );
        // Built from constants and numbered placeholders only: the ids are
        // bound below.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for call_id in call_ids {
            query = query.bind(call_id.clone());
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| recording_from_row(row).map(|f| (f.call_id.clone(), f)))
            .collect()
    }

    /// The recording file of one call, if it has one.
    pub async fn recording_file(&self, call_id: &str) -> Result<Option<RecordingFile>, DbError> {
        let row = sqlx::query(
            "SELECT call_id, file, started_at, duration_ms, bytes FROM recordings \
             WHERE call_id = $1",
        )
        .bind(call_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(recording_from_row).transpose()
    }

    /// Recordings that started before `before` (ms since the epoch), oldest
    /// first.
    pub async fn recordings_before(&self, before: u64) -> Result<Vec<RecordingFile>, DbError> {
        let rows = sqlx::query(
            "SELECT call_id, file, started_at, duration_ms, bytes FROM recordings \
             WHERE started_at < $1 ORDER BY started_at",
        )
        .bind(to_i64(before))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(recording_from_row).collect()
    }

    /// Forgets a recording whose file was deleted (its call's record stays).
    pub async fn delete_recording(&self, call_id: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM recordings WHERE call_id = $1")
            .bind(call_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores one supervisor action.
    pub async fn insert_audit(&self, entry: &AuditEntry) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO supervisor_audit (at, supervisor_id, action, agent_id, reason) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(to_i64(entry.at))
        .bind(&entry.supervisor_id)
        .bind(entry.action.as_str())
        .bind(&entry.agent_id)
        .bind(&entry.reason)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The latest `limit` supervisor actions, newest first.
    pub async fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>, DbError> {
        let rows = sqlx::query(
            "SELECT at, supervisor_id, action, agent_id, reason FROM supervisor_audit \
             ORDER BY at DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let action: String = row.try_get("action")?;
                Ok(AuditEntry {
                    at: from_i64(row.try_get("at")?),
                    supervisor_id: row.try_get("supervisor_id")?,
                    action: serde_json::from_value(serde_json::Value::String(action.clone()))
                        .map_err(|_| {
                            DbError::Corrupt(format!("unknown audit action {action:?}"))
                        })?,
                    agent_id: row.try_get("agent_id")?,
                    reason: row.try_get("reason")?,
                })
            })
            .collect()
    }

    /// Each agent's latest `limit` calls, newest first, as its panel lists
    /// them (read once at start).
    pub async fn recent_calls(
        &self,
        limit: u32,
    ) -> Result<Vec<(String, Vec<RecentCall>)>, DbError> {
        let rows = sqlx::query(
            "SELECT * FROM (SELECT l.agent_id, r.call_id, r.direction, r.ani, r.dnis, \
             r.consult_of, r.started_at, r.ended_at, r.outcome, l.extension, l.answered, \
             l.disposition, ROW_NUMBER() OVER (PARTITION BY l.agent_id \
             ORDER BY r.ended_at DESC, r.call_number DESC) AS rank_in_agent \
             FROM call_legs l JOIN call_records r ON r.call_id = l.call_id) ranked \
             WHERE rank_in_agent <= $1 ORDER BY agent_id, rank_in_agent",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<(String, Vec<RecentCall>)> = vec![];
        for row in &rows {
            let agent_id: String = row.try_get("agent_id")?;
            let call = recent_from_row(row)?;
            match out.last_mut() {
                Some((agent, calls)) if *agent == agent_id => calls.push(call),
                _ => out.push((agent_id, vec![call])),
            }
        }
        Ok(out)
    }
}

/// A leg joined with its call, from the agent's point of view.
fn recent_from_row(row: &AnyRow) -> Result<RecentCall, DbError> {
    let direction = parse_direction(row)?;
    let ani: String = row.try_get("ani")?;
    let extension: String = row.try_get("extension")?;
    let own = extension == ani;
    let outcome = parse_outcome(row)?;
    let answered = row.try_get::<i64, _>("answered")? != 0;
    Ok(RecentCall {
        call_id: row.try_get("call_id")?,
        number: if own { row.try_get("dnis")? } else { ani },
        call_type: match (row.try_get::<Option<String>, _>("consult_of")?, direction) {
            (Some(_), _) => CallType::Consult,
            (None, Direction::Inbound) => CallType::Inbound,
            (None, Direction::Outbound) => CallType::Outbound,
            (None, Direction::Internal) => CallType::Internal,
        },
        started: from_i64(row.try_get("started_at")?),
        ended: from_i64(row.try_get("ended_at")?),
        outcome: match outcome {
            CallOutcome::Answered if !answered => CallOutcome::Missed,
            other => other,
        },
        disposition: row.try_get("disposition")?,
    })
}

fn recording_from_row(row: &AnyRow) -> Result<RecordingFile, DbError> {
    Ok(RecordingFile {
        call_id: row.try_get("call_id")?,
        file: row.try_get("file")?,
        started_at: from_i64(row.try_get("started_at")?),
        duration_ms: from_i64(row.try_get("duration_ms")?),
        bytes: from_i64(row.try_get("bytes")?),
    })
}

fn call_from_row(row: &AnyRow) -> Result<CallRecord, DbError> {
    let data: String = row.try_get("data")?;
    let flow_path: String = row.try_get("flow_path")?;
    let recording = match (
        row.try_get::<Option<i64>, _>("recording_started_at")?,
        row.try_get::<Option<String>, _>("recording_paused")?,
    ) {
        (Some(started_at), Some(paused)) => Some(RecordingSpans {
            started_at: from_i64(started_at),
            paused: serde_json::from_str(&paused)
                .map_err(|e| DbError::Corrupt(format!("recording_paused: {e}")))?,
        }),
        _ => None,
    };
    Ok(CallRecord {
        call_id: row.try_get("call_id")?,
        direction: parse_direction(row)?,
        ani: row.try_get("ani")?,
        dnis: row.try_get("dnis")?,
        queue: row.try_get("queue")?,
        consult_of: row.try_get("consult_of")?,
        started_at: from_i64(row.try_get("started_at")?),
        answered_at: row.try_get::<Option<i64>, _>("answered_at")?.map(from_i64),
        ended_at: from_i64(row.try_get("ended_at")?),
        outcome: parse_outcome(row)?,
        legs: vec![],
        data: serde_json::from_str(&data).map_err(|e| DbError::Corrupt(format!("data: {e}")))?,
        flow_path: serde_json::from_str(&flow_path)
            .map_err(|e| DbError::Corrupt(format!("flow_path: {e}")))?,
        recording,
    })
}

fn parse_direction(row: &AnyRow) -> Result<Direction, DbError> {
    let text: String = row.try_get("direction")?;
    Direction::parse(&text).ok_or_else(|| DbError::Corrupt(format!("direction {text:?}")))
}

fn parse_outcome(row: &AnyRow) -> Result<CallOutcome, DbError> {
    parse_spelling(row, "outcome")
}

/// How serde spells a unit enum value (`notReady`, `MODE_AUTO_IN`, …): the
/// same words as on the wire.
fn spelling<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn parse_spelling<T: DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T, DbError> {
    let text: String = row.try_get(column)?;
    serde_json::from_value(serde_json::Value::String(text.clone()))
        .map_err(|_| DbError::Corrupt(format!("{column} {text:?}")))
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn from_i64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}
