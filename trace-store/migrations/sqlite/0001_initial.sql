-- Gloam's store, SQLite flavour. Keep in step with ../postgres/0001_initial.sql:
-- same tables, same columns, same meaning. Times are milliseconds since the
-- Unix epoch; JSON is stored as text; flags are 0/1. SQLite compares TEXT
-- bytewise (BINARY), which is the order PostgreSQL gets from COLLATE "C".

CREATE TABLE canvases (
    name TEXT PRIMARY KEY NOT NULL,
    token TEXT NOT NULL UNIQUE,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE toplevels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    canvas TEXT NOT NULL REFERENCES canvases (name),
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX toplevels_canvas ON toplevels (canvas, id);

-- Append-only: a row is never updated or deleted.
CREATE TABLE code_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    canvas TEXT NOT NULL REFERENCES canvases (name),
    toplevel_id BIGINT NOT NULL REFERENCES toplevels (id),
    source TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('live', 'draft', 'deleted')),
    key TEXT,
    kind TEXT,
    file TEXT NOT NULL,
    diagnostics TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX code_versions_toplevel ON code_versions (toplevel_id, state, id);
CREATE INDEX code_versions_canvas ON code_versions (canvas, state, id);

-- Bodies are bytes (UTF-8) because PostgreSQL text cannot hold NUL.
-- No foreign key to canvases: a batch of traces must not fail as a whole
-- because one canvas was removed while its traces were queued.
CREATE TABLE traces (
    id TEXT PRIMARY KEY NOT NULL,
    canvas TEXT NOT NULL,
    handler_key TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    code_version BIGINT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    request_body BLOB NOT NULL,
    request_body_truncated BIGINT NOT NULL,
    status BIGINT NOT NULL,
    response_headers TEXT NOT NULL,
    response_body BLOB NOT NULL,
    duration_us BIGINT NOT NULL,
    effects TEXT NOT NULL,
    logs TEXT NOT NULL,
    error TEXT
);
CREATE INDEX traces_handler ON traces (canvas, handler_key, received_at_ms);
CREATE INDEX traces_canvas ON traces (canvas, received_at_ms);
CREATE INDEX traces_received ON traces (received_at_ms);

CREATE TABLE datastore_rows (
    canvas TEXT NOT NULL REFERENCES canvases (name),
    datastore TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (canvas, datastore, key)
);

CREATE TABLE secrets (
    canvas TEXT NOT NULL REFERENCES canvases (name),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (canvas, name)
);
