//! Traces: written in batches (with retention, the byte budget and the 404
//! list in the same transaction), listed, read and deleted.

use std::collections::HashSet;

use sqlx::any::AnyRow;
use sqlx::{Connection, Row};

use crate::budget::Totals;
use crate::not_found;
use crate::{
    Backend, Param, Result, Retention, Store, StoreError, Trace, TraceBudget, TraceKey, TraceLogs, TraceRequest,
    TraceResponse, TraceSummary, Tx, WriteOutcome, bind_params, decode_json, encode_json, finish,
};

/// A pooled connection whose `synchronous` setting was relaxed: unless
/// `restored` is called, dropping it (an error, a cancelled write) closes the
/// connection instead of giving it back to the pool with the setting relaxed.
struct RelaxedSync(Option<sqlx::pool::PoolConnection<sqlx::Any>>);

impl RelaxedSync {
    fn get(&mut self) -> &mut sqlx::AnyConnection {
        self.0.as_deref_mut().expect("the connection is held until restored")
    }

    /// The setting is back: the connection may return to the pool.
    fn restored(mut self) {
        drop(self.0.take());
    }
}

impl Drop for RelaxedSync {
    fn drop(&mut self) {
        if let Some(connection) = self.0.take() {
            drop(connection.detach());
        }
    }
}

/// Deletes a handler key's traces beyond its retention: older than the age
/// limit, or past the newest `retention.newest`. Returns how many.
async fn retain(
    tx: &mut Tx<'_>,
    totals: &mut Totals,
    canvas: &str,
    handler_key: &str,
    retention: Retention,
    now_ms: i64,
) -> Result<u64> {
    let cutoff = now_ms.saturating_sub(retention.max_age_ms);
    let key = || [Param::Text(canvas.to_string()), Param::Text(handler_key.to_string())];
    let old = totals
        .delete(
            tx,
            "canvas = $1 AND handler_key = $2 AND received_at_ms < $3",
            key().into_iter().chain([Param::Int(cutoff)]),
        )
        .await?;
    let surplus = totals
        .delete(
            tx,
            "canvas = $1 AND handler_key = $2 AND id NOT IN (\
               SELECT id FROM traces WHERE canvas = $1 AND handler_key = $2 \
               ORDER BY received_at_ms DESC, id DESC LIMIT $3\
             )",
            key().into_iter().chain([Param::Int(i64::from(retention.newest))]),
        )
        .await?;
    Ok(old + surplus)
}

/// Columns of a trace row, and rows per insert statement (SQLite takes at
/// most 32,766 parameters in one statement, PostgreSQL 65,535).
const TRACE_COLUMNS: usize = 19;
const TRACES_PER_INSERT: usize = 64;

/// Which traces [`Store::traces`] lists. Every condition that is set applies.
#[derive(Debug, Clone, Default)]
pub struct TraceFilter {
    /// Only traces of this handler key.
    pub handler_key: Option<String>,
    /// Only traces of any of these handler keys, when non-empty.
    pub handler_keys: Vec<String>,
    /// At most this many; 0 means [`DEFAULT_TRACE_LIMIT`].
    pub limit: u32,
    /// Only traces received strictly before this time.
    pub before_ms: Option<i64>,
}

/// The number of traces [`Store::traces`] returns when the filter sets no limit.
pub const DEFAULT_TRACE_LIMIT: u32 = 100;

impl Store {
    /// Stores traces in one transaction. A trace whose id is already stored
    /// is skipped (the first one stays). NUL characters in the id, canvas,
    /// handler key, method, path and error become U+FFFD (PostgreSQL text
    /// cannot hold them); bodies and the JSON columns keep them.
    /// The default [`TraceBudget`] applies.
    pub async fn insert_traces(&self, traces: &[Trace]) -> Result<()> {
        self.write_traces(traces, &[], Retention::default(), TraceBudget::default(), 0).await.map(drop)
    }

    /// Stores traces, applies retention to the handler keys in `trim`, and
    /// keeps the canvases written to within `budget` — one transaction, so
    /// one sync to disk for the whole batch. Rows go in as multi-row inserts.
    /// Returns what was deleted to stay within the limits.
    pub async fn write_traces(
        &self,
        traces: &[Trace],
        trim: &[(String, String)],
        retention: Retention,
        budget: TraceBudget,
        now_ms: i64,
    ) -> Result<WriteOutcome> {
        if traces.is_empty() && trim.is_empty() {
            return Ok(WriteOutcome::default());
        }
        let mut encoded = Vec::with_capacity(traces.len());
        for trace in traces {
            encoded.push(EncodedTrace::new(trace)?);
        }
        let rows: Vec<(&Trace, EncodedTrace)> = traces.iter().zip(encoded).collect();
        let _guard = self.write_guard().await;
        let mut connection = RelaxedSync(Some(self.pool.acquire().await?));
        // A batch of traces does not wait for the disk (`synchronous=NORMAL`:
        // safe when Gloam crashes, not when the machine loses power); code and
        // data writes do (`FULL`), and their sync makes earlier batches durable
        // too.
        let sqlite = self.backend == Backend::Sqlite;
        if sqlite {
            sqlx::query("PRAGMA synchronous=NORMAL").execute(connection.get()).await?;
        }
        let written = self.insert_batch(connection.get(), &rows, trim, retention, budget, now_ms).await;
        if !sqlite || sqlx::query("PRAGMA synchronous=FULL").execute(connection.get()).await.is_ok() {
            connection.restored();
        }
        written
    }

    async fn insert_batch(
        &self,
        connection: &mut sqlx::AnyConnection,
        rows: &[(&Trace, EncodedTrace)],
        trim: &[(String, String)],
        retention: Retention,
        budget: TraceBudget,
        now_ms: i64,
    ) -> Result<WriteOutcome> {
        let mut tx = connection.begin_with(self.begin_sql()).await?;
        let result = async {
            let trimmed: Vec<String> = trim.iter().map(|(canvas, _)| without_nul(canvas)).collect();
            let canvases = rows.iter().map(|(_, row)| row.canvas.as_str()).chain(trimmed.iter().map(String::as_str));
            let mut totals = Totals::lock(&mut tx, self.backend, canvases).await?;
            let mut seen = not_found::Seen::default();
            // SQLite looks each named parameter (`$n`) up by a linear scan: with
            // 1,152 of them per insert, binding was quadratic (5% of a loaded
            // server's time). Its anonymous `?` parameters bind in order.
            let placeholder = |n: usize| match self.backend {
                Backend::Sqlite => "?".to_string(),
                Backend::Postgres => format!("${n}"),
            };
            for chunk in rows.chunks(TRACES_PER_INSERT) {
                let tuples: Vec<String> = (0..chunk.len())
                    .map(|row| {
                        let first = row * TRACE_COLUMNS + 1;
                        let params: Vec<String> = (first..first + TRACE_COLUMNS).map(placeholder).collect();
                        format!("({})", params.join(", "))
                    })
                    .collect();
                // Only the rows inserted are counted: a stored id is skipped.
                let sql = format!(
                    "INSERT INTO traces (id, canvas, handler_key, received_at_ms, code_version, method, path, query, \
                     request_headers, request_body, request_body_truncated, status, response_headers, response_body, \
                     duration_us, effects, logs, error, stored_bytes) VALUES {} ON CONFLICT (id) DO NOTHING RETURNING id",
                    tuples.join(", ")
                );
                let mut query = sqlx::query(&sql);
                for (trace, row) in chunk {
                    query = query
                        .bind(row.id.as_str())
                        .bind(row.canvas.as_str())
                        .bind(row.handler_key.as_str())
                        .bind(trace.received_at_ms)
                        .bind(trace.code_version)
                        .bind(row.method.as_str())
                        .bind(row.path.as_str())
                        .bind(row.query.as_str())
                        .bind(row.request_headers.as_str())
                        .bind(trace.request.body.as_bytes())
                        .bind(i64::from(trace.request.body_truncated))
                        .bind(i64::from(trace.response.status))
                        .bind(row.response_headers.as_str())
                        .bind(trace.response.body.as_bytes())
                        .bind(trace.duration_us)
                        .bind(row.effects.as_str())
                        .bind(row.logs.as_str())
                        .bind(row.error.as_deref())
                        .bind(row.stored_bytes);
                }
                let inserted = query.fetch_all(&mut *tx).await?;
                let mut inserted: HashSet<String> =
                    inserted.iter().map(|row| row.try_get("id")).collect::<std::result::Result<_, _>>()?;
                for (trace, row) in chunk {
                    if inserted.remove(&row.id) {
                        totals.add(&row.canvas, row.stored_bytes);
                        if TraceKey::is_not_found(&row.handler_key) {
                            seen.add(&row.canvas, &row.handler_key, trace.received_at_ms);
                        }
                    }
                }
            }
            let mut outcome = WriteOutcome::default();
            for ((_, handler_key), canvas) in trim.iter().zip(&trimmed) {
                outcome.retained += retain(&mut tx, &mut totals, canvas, handler_key, retention, now_ms).await?;
            }
            for canvas in seen.record(&mut tx).await? {
                outcome.collapsed_keys +=
                    not_found::collapse(&mut tx, &mut totals, &canvas, budget.not_found_keys).await?;
            }
            outcome.over_budget = totals.enforce(&mut tx, budget.canvas_bytes).await?;
            totals.save(&mut tx).await?;
            Ok(outcome)
        }
        .await;
        finish(tx, result).await
    }

    pub async fn trace(&self, canvas: &str, id: &str) -> Result<Option<Trace>> {
        let row = sqlx::query(
            "SELECT id, canvas, handler_key, received_at_ms, code_version, method, path, query, request_headers, \
             request_body, request_body_truncated, status, response_headers, response_body, duration_us, effects, \
             logs, error FROM traces WHERE canvas = $1 AND id = $2",
        )
        .bind(canvas)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(trace_from_row).transpose()
    }

    /// Trace summaries, newest first (ties by id).
    pub async fn traces(&self, canvas: &str, filter: &TraceFilter) -> Result<Vec<TraceSummary>> {
        let mut sql = String::from(
            "SELECT id, handler_key, received_at_ms, method, path, status, duration_us, error \
             FROM traces WHERE canvas = $1",
        );
        let mut params = vec![Param::Text(canvas.to_string())];
        if let Some(key) = &filter.handler_key {
            params.push(Param::Text(key.clone()));
            sql.push_str(&format!(" AND handler_key = ${}", params.len()));
        }
        if !filter.handler_keys.is_empty() {
            let mut placeholders = Vec::new();
            for key in &filter.handler_keys {
                params.push(Param::Text(key.clone()));
                placeholders.push(format!("${}", params.len()));
            }
            sql.push_str(&format!(" AND handler_key IN ({})", placeholders.join(", ")));
        }
        if let Some(before) = filter.before_ms {
            params.push(Param::Int(before));
            sql.push_str(&format!(" AND received_at_ms < ${}", params.len()));
        }
        let limit = if filter.limit == 0 { DEFAULT_TRACE_LIMIT } else { filter.limit };
        params.push(Param::Int(i64::from(limit)));
        sql.push_str(&format!(" ORDER BY received_at_ms DESC, id DESC LIMIT ${}", params.len()));
        let rows = bind_params(sqlx::query(&sql), params).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(TraceSummary {
                    id: row.try_get("id")?,
                    handler_key: row.try_get("handler_key")?,
                    received_at_ms: row.try_get("received_at_ms")?,
                    method: row.try_get("method")?,
                    path: row.try_get("path")?,
                    status: status_from_row(row)?,
                    duration_us: row.try_get("duration_us")?,
                    error: row.try_get("error")?,
                })
            })
            .collect()
    }

    /// The log lines of the newest traces that logged anything, newest first:
    /// a canvas-wide log view.
    pub async fn recent_logs(&self, canvas: &str, limit: u32) -> Result<Vec<TraceLogs>> {
        let limit = if limit == 0 { DEFAULT_TRACE_LIMIT } else { limit };
        let rows = sqlx::query(
            "SELECT id, handler_key, received_at_ms, logs FROM traces \
             WHERE canvas = $1 AND logs <> '[]' ORDER BY received_at_ms DESC, id DESC LIMIT $2",
        )
        .bind(canvas)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let whose = format!("trace {id}");
                Ok(TraceLogs {
                    handler_key: row.try_get("handler_key")?,
                    received_at_ms: row.try_get("received_at_ms")?,
                    logs: decode_json(row, "logs", &whose)?,
                    trace_id: id,
                })
            })
            .collect()
    }

    /// The number of stored traces of a canvas, of one handler key when given.
    pub async fn count_traces(&self, canvas: &str, handler_key: Option<&str>) -> Result<i64> {
        let row = match handler_key {
            Some(key) => {
                sqlx::query("SELECT COUNT(*) AS n FROM traces WHERE canvas = $1 AND handler_key = $2")
                    .bind(canvas)
                    .bind(key)
                    .fetch_one(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT COUNT(*) AS n FROM traces WHERE canvas = $1")
                    .bind(canvas)
                    .fetch_one(&self.pool)
                    .await?
            }
        };
        Ok(row.try_get("n")?)
    }

    /// Deletes one trace; false when there was none. A 404 trace's request
    /// is no longer counted in the 404 list.
    pub async fn delete_trace(&self, canvas: &str, id: &str) -> Result<bool> {
        let _guard = self.write_guard().await;
        let mut tx = self.begin_write().await?;
        let result = async {
            let mut totals = Totals::lock(&mut tx, self.backend, [canvas]).await?;
            let key = sqlx::query("SELECT handler_key FROM traces WHERE canvas = $1 AND id = $2")
                .bind(canvas)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(key) = key.map(|row| row.try_get::<String, _>("handler_key")).transpose()? else {
                return Ok(false);
            };
            let params = [Param::Text(canvas.to_string()), Param::Text(id.to_string())];
            totals.delete(&mut tx, "canvas = $1 AND id = $2", params).await?;
            if TraceKey::is_not_found(&key) {
                not_found::forget_request(&mut tx, canvas, &key).await?;
            }
            totals.save(&mut tx).await?;
            Ok(true)
        }
        .await;
        finish(tx, result).await
    }

    /// Keeps the newest `retention.newest` traces of one handler key and
    /// drops those older than `retention.max_age_ms`; returns how many were
    /// deleted.
    pub async fn apply_retention(
        &self,
        canvas: &str,
        handler_key: &str,
        retention: Retention,
        now_ms: i64,
    ) -> Result<u64> {
        let _guard = self.write_guard().await;
        let mut tx = self.begin_write().await?;
        let result = async {
            let mut totals = Totals::lock(&mut tx, self.backend, [canvas]).await?;
            let deleted = retain(&mut tx, &mut totals, canvas, handler_key, retention, now_ms).await?;
            totals.save(&mut tx).await?;
            Ok(deleted)
        }
        .await;
        finish(tx, result).await
    }

    /// Deletes every trace, of any canvas, received before `cutoff_ms`, and
    /// the 404 keys last seen before it; returns how many traces. One
    /// transaction per canvas, so writers wait for one canvas at most.
    pub async fn delete_traces_before(&self, cutoff_ms: i64) -> Result<u64> {
        let canvases = sqlx::query("SELECT canvas FROM trace_totals ORDER BY canvas").fetch_all(&self.pool).await?;
        let mut deleted = 0;
        for row in &canvases {
            let canvas: String = row.try_get("canvas")?;
            let _guard = self.write_guard().await;
            let mut tx = self.begin_write().await?;
            let result = async {
                let mut totals = Totals::lock(&mut tx, self.backend, [canvas.as_str()]).await?;
                let params = [Param::Text(canvas.clone()), Param::Int(cutoff_ms)];
                let gone = totals.delete(&mut tx, "canvas = $1 AND received_at_ms < $2", params).await?;
                not_found::forget_unseen(&mut tx, &canvas, cutoff_ms).await?;
                totals.save(&mut tx).await?;
                Ok(gone)
            }
            .await;
            deleted += finish(tx, result).await?;
        }
        Ok(deleted)
    }
}

/// A trace's text columns as stored: the JSON ones encoded, the short ones
/// without NUL; and the bytes it takes.
struct EncodedTrace {
    id: String,
    canvas: String,
    handler_key: String,
    method: String,
    path: String,
    error: Option<String>,
    query: String,
    request_headers: String,
    response_headers: String,
    effects: String,
    logs: String,
    /// What the trace counts against its canvas's byte budget: every column
    /// of variable length (migrations/*/0003_trace_budget.sql measures
    /// stored traces the same way).
    stored_bytes: i64,
}

impl EncodedTrace {
    fn new(trace: &Trace) -> Result<EncodedTrace> {
        let mut encoded = EncodedTrace {
            id: without_nul(&trace.id),
            canvas: without_nul(&trace.canvas),
            handler_key: without_nul(&trace.handler_key),
            method: without_nul(&trace.request.method),
            path: without_nul(&trace.request.path),
            error: trace.error.as_deref().map(without_nul),
            query: encode_json(&trace.request.query, "the request query")?,
            request_headers: encode_json(&trace.request.headers, "the request headers")?,
            response_headers: encode_json(&trace.response.headers, "the response headers")?,
            effects: encode_json(&trace.effects, "the recorded effects")?,
            logs: encode_json(&trace.logs, "the logs")?,
            stored_bytes: 0,
        };
        let sizes = [
            encoded.handler_key.len(),
            encoded.method.len(),
            encoded.path.len(),
            encoded.query.len(),
            encoded.request_headers.len(),
            trace.request.body.len(),
            encoded.response_headers.len(),
            trace.response.body.len(),
            encoded.effects.len(),
            encoded.logs.len(),
            encoded.error.as_ref().map_or(0, String::len),
        ];
        encoded.stored_bytes = i64::try_from(sizes.iter().sum::<usize>()).unwrap_or(i64::MAX);
        Ok(encoded)
    }
}

fn text_from_bytes(row: &AnyRow, column: &str, whose: &str) -> Result<String> {
    let bytes: Vec<u8> = row.try_get(column)?;
    String::from_utf8(bytes).map_err(|error| StoreError::Corrupt(format!("column {column} of {whose}: {error}")))
}

/// PostgreSQL text cannot hold NUL; the short text columns of a trace get
/// U+FFFD instead (on both backends, so they agree). Bodies are stored as
/// bytes and keep their NULs.
fn without_nul(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

fn status_from_row(row: &AnyRow) -> Result<u16> {
    let status: i64 = row.try_get("status")?;
    u16::try_from(status).map_err(|_| StoreError::Corrupt(format!("status code {status} out of range")))
}

fn trace_from_row(row: &AnyRow) -> Result<Trace> {
    let id: String = row.try_get("id")?;
    let whose = format!("trace {id}");
    let truncated: i64 = row.try_get("request_body_truncated")?;
    Ok(Trace {
        canvas: row.try_get("canvas")?,
        handler_key: row.try_get("handler_key")?,
        received_at_ms: row.try_get("received_at_ms")?,
        code_version: row.try_get("code_version")?,
        request: TraceRequest {
            method: row.try_get("method")?,
            path: row.try_get("path")?,
            query: decode_json(row, "query", &whose)?,
            headers: decode_json(row, "request_headers", &whose)?,
            body: text_from_bytes(row, "request_body", &whose)?,
            body_truncated: truncated != 0,
        },
        response: TraceResponse {
            status: status_from_row(row)?,
            headers: decode_json(row, "response_headers", &whose)?,
            body: text_from_bytes(row, "response_body", &whose)?,
        },
        duration_us: row.try_get("duration_us")?,
        effects: decode_json(row, "effects", &whose)?,
        logs: decode_json(row, "logs", &whose)?,
        error: row.try_get("error")?,
        id,
    })
}
