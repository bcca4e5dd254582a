-- Routing: the flow steps a call went through, with the keys that chose
-- them (a JSON array of strings; empty for calls that met no flow).
ALTER TABLE call_records ADD COLUMN flow_path TEXT NOT NULL DEFAULT '[]';
