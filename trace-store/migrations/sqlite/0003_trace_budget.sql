-- Limits on what a canvas's traces may take (trace-store/src/budget.rs and
-- not_found.rs). Keep in step with ../postgres/0003_trace_budget.sql.

-- The bytes a trace takes, as `EncodedTrace::stored_bytes` in trace-store/src/lib.rs
-- measures them: every column of variable length.
ALTER TABLE traces ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;
UPDATE traces SET stored_bytes =
    length(CAST(handler_key AS BLOB)) + length(CAST(method AS BLOB)) + length(CAST(path AS BLOB))
    + length(CAST(query AS BLOB)) + length(CAST(request_headers AS BLOB)) + length(request_body)
    + length(CAST(response_headers AS BLOB)) + length(response_body)
    + length(CAST(effects AS BLOB)) + length(CAST(logs AS BLOB)) + COALESCE(length(CAST(error AS BLOB)), 0);

-- Oldest first within a canvas, ties by id: the order the byte budget deletes in.
DROP INDEX traces_canvas;
CREATE INDEX traces_canvas ON traces (canvas, received_at_ms, id);

-- Per canvas, kept by the writer in the transaction that changes its traces:
-- the bytes of its stored traces, and the 404 requests and keys collapsed
-- into counts when keys past the cap were dropped.
CREATE TABLE trace_totals (
    canvas TEXT PRIMARY KEY NOT NULL,
    stored_bytes BIGINT NOT NULL DEFAULT 0,
    collapsed_requests BIGINT NOT NULL DEFAULT 0,
    collapsed_keys BIGINT NOT NULL DEFAULT 0
);

-- The 404 list: requests seen per kept 404 key. At most the writer's cap of
-- keys per canvas, so the list is read from here, never grouped from traces.
CREATE TABLE not_found_keys (
    canvas TEXT NOT NULL,
    handler_key TEXT NOT NULL,
    requests BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL,
    PRIMARY KEY (canvas, handler_key)
);
CREATE INDEX not_found_keys_seen ON not_found_keys (canvas, last_seen_ms);

INSERT INTO not_found_keys (canvas, handler_key, requests, last_seen_ms)
SELECT canvas, handler_key, COUNT(*), MAX(received_at_ms) FROM traces
WHERE handler_key >= '404 ' AND handler_key < '404!'
GROUP BY canvas, handler_key;

-- Keys past the newest 1000 of their canvas (DEFAULT_NOT_FOUND_KEYS) are
-- collapsed, as the writer would: counted, and their traces deleted.
CREATE TEMPORARY TABLE collapsing AS
SELECT canvas, handler_key, requests FROM (
    SELECT canvas, handler_key, requests,
        ROW_NUMBER() OVER (PARTITION BY canvas ORDER BY last_seen_ms DESC, handler_key) AS position
    FROM not_found_keys
) AS ranked WHERE position > 1000;
DELETE FROM traces WHERE EXISTS (
    SELECT 1 FROM collapsing WHERE collapsing.canvas = traces.canvas AND collapsing.handler_key = traces.handler_key
);
DELETE FROM not_found_keys WHERE EXISTS (
    SELECT 1 FROM collapsing
    WHERE collapsing.canvas = not_found_keys.canvas AND collapsing.handler_key = not_found_keys.handler_key
);

INSERT INTO trace_totals (canvas, stored_bytes, collapsed_requests, collapsed_keys)
SELECT canvas, SUM(stored_bytes), SUM(collapsed_requests), SUM(collapsed_keys) FROM (
    SELECT canvas, stored_bytes, 0 AS collapsed_requests, 0 AS collapsed_keys FROM traces
    UNION ALL
    SELECT canvas, 0, requests, 1 FROM collapsing
) AS parts GROUP BY canvas;
DROP TABLE collapsing;
