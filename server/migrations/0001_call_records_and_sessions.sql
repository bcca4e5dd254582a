-- Call records, their agent legs, and the sessions that survive a restart.
-- Portable SQL: the same migration runs on SQLite and PostgreSQL.
-- Times are milliseconds since the Unix epoch; durations are milliseconds.

CREATE TABLE call_records (
    call_id TEXT PRIMARY KEY,
    call_number BIGINT NOT NULL,
    direction TEXT NOT NULL,
    ani TEXT NOT NULL,
    dnis TEXT NOT NULL,
    queue TEXT,
    consult_of TEXT,
    started_at BIGINT NOT NULL,
    answered_at BIGINT,
    ended_at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    data TEXT NOT NULL
);

CREATE INDEX call_records_started_at ON call_records (started_at);

-- One row per agent per call. The call's end and the agent's wrap-up each
-- write their own columns, in whichever order they happen.
CREATE TABLE call_legs (
    call_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    extension TEXT NOT NULL DEFAULT '',
    answered BIGINT NOT NULL DEFAULT 0,
    talk_ms BIGINT NOT NULL DEFAULT 0,
    hold_ms BIGINT NOT NULL DEFAULT 0,
    wrap_up_ms BIGINT,
    disposition TEXT,
    note TEXT,
    PRIMARY KEY (call_id, agent_id)
);

CREATE INDEX call_legs_agent_id ON call_legs (agent_id);

CREATE TABLE agent_sessions (
    agent_id TEXT PRIMARY KEY,
    extension TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    work_mode TEXT NOT NULL,
    since BIGINT NOT NULL,
    wrap_up_ends_at BIGINT,
    resume_status TEXT NOT NULL,
    resume_reason TEXT NOT NULL,
    token TEXT NOT NULL,
    last_seq BIGINT NOT NULL
);

-- Counters that must never go back across restarts (the call numbering).
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
