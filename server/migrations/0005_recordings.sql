-- Call recording. The switch writes a recorded call's paused spans with its
-- record (a JSON array of [from, to] ms pairs; NULL: not recorded); the
-- media plane writes its file's row when the file opens and again when it
-- closes, so a crash leaves a row for the file it left.
ALTER TABLE call_records ADD COLUMN recording_paused TEXT;
ALTER TABLE call_records ADD COLUMN recording_started_at BIGINT;

CREATE TABLE recordings (
    call_id TEXT PRIMARY KEY,
    -- The file's name in --recordings-dir.
    file TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    bytes BIGINT NOT NULL
);

CREATE INDEX recordings_started_at ON recordings (started_at);
