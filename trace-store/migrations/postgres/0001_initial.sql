-- Gloam's store, PostgreSQL flavour. Keep in step with ../sqlite/0001_initial.sql:
-- same tables, same columns, same meaning. Times are milliseconds since the
-- Unix epoch; JSON is stored as text; flags are 0/1. Every text column that is
-- compared or ordered is COLLATE "C" so that the order is bytewise, as in SQLite.

CREATE TABLE canvases (
    name TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    token TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE toplevels (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    canvas TEXT COLLATE "C" NOT NULL REFERENCES canvases (name),
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX toplevels_canvas ON toplevels (canvas, id);

-- Append-only: a row is never updated or deleted.
CREATE TABLE code_versions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    canvas TEXT COLLATE "C" NOT NULL REFERENCES canvases (name),
    toplevel_id BIGINT NOT NULL REFERENCES toplevels (id),
    source TEXT NOT NULL,
    state TEXT COLLATE "C" NOT NULL CHECK (state IN ('live', 'draft', 'deleted')),
    key TEXT COLLATE "C",
    kind TEXT COLLATE "C",
    file TEXT COLLATE "C" NOT NULL,
    diagnostics TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX code_versions_toplevel ON code_versions (toplevel_id, state, id);
CREATE INDEX code_versions_canvas ON code_versions (canvas, state, id);

-- Bodies are bytes (UTF-8) because PostgreSQL text cannot hold NUL.
-- No foreign key to canvases: a batch of traces must not fail as a whole
-- because one canvas was removed while its traces were queued.
CREATE TABLE traces (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    canvas TEXT COLLATE "C" NOT NULL,
    handler_key TEXT COLLATE "C" NOT NULL,
    received_at_ms BIGINT NOT NULL,
    code_version BIGINT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    request_body BYTEA NOT NULL,
    request_body_truncated BIGINT NOT NULL,
    status BIGINT NOT NULL,
    response_headers TEXT NOT NULL,
    response_body BYTEA NOT NULL,
    duration_us BIGINT NOT NULL,
    effects TEXT NOT NULL,
    logs TEXT NOT NULL,
    error TEXT
);
CREATE INDEX traces_handler ON traces (canvas, handler_key, received_at_ms);
CREATE INDEX traces_canvas ON traces (canvas, received_at_ms);
CREATE INDEX traces_received ON traces (received_at_ms);

CREATE TABLE datastore_rows (
    canvas TEXT COLLATE "C" NOT NULL REFERENCES canvases (name),
    datastore TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (canvas, datastore, key)
);

CREATE TABLE secrets (
    canvas TEXT COLLATE "C" NOT NULL REFERENCES canvases (name),
    name TEXT COLLATE "C" NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (canvas, name)
);
