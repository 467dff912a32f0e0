-- One row per cron run claimed, so that with several runtime nodes on one
-- store exactly one of them runs each cron each minute.
CREATE TABLE cron_runs (
    canvas TEXT COLLATE "C" NOT NULL,
    cron TEXT COLLATE "C" NOT NULL,
    minute_ms BIGINT NOT NULL,
    PRIMARY KEY (canvas, cron, minute_ms)
);
