-- The supervisor issue: every supervisor action on an agent (force Not
-- ready, force logout), with who, when and why. Written in order by the
-- record writer; read newest first.
CREATE TABLE supervisor_audit (
    at BIGINT NOT NULL,
    supervisor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX supervisor_audit_by_time ON supervisor_audit (at);
