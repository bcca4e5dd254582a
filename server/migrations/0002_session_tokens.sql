-- Session tokens (the security issue): one per login (tab, device), rotated
-- on resume, stored only as the SHA-256 of their secret. They replace the
-- one plain token per session.
ALTER TABLE agent_sessions DROP COLUMN token;

CREATE TABLE session_tokens (
    token_id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    login_at BIGINT NOT NULL,
    last_used BIGINT NOT NULL
);
CREATE INDEX session_tokens_by_agent ON session_tokens (agent_id);
