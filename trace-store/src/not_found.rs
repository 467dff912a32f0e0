//! The 404 list. The writer counts requests per 404 key in `not_found_keys`
//! as it stores their traces, so the list is read from that table's index
//! however many keys a scanner made. A canvas keeps a capped number of keys,
//! the most recently seen: an older key loses its traces and its requests
//! are collapsed into the canvas's counts in `trace_totals`.

use std::collections::BTreeMap;

use sqlx::Row;

use crate::budget::Totals;
use crate::{NotFound, NotFoundList, Param, Result, Store, TraceKey, Tx, bind_params, finish, numbered};

/// Keys dropped per statement while collapsing (two parameters each, far
/// below either backend's limit).
const KEYS_PER_STATEMENT: usize = 256;

impl Store {
    /// The 404 list: the kept keys, the most recently seen first, and the
    /// counts of the keys collapsed past the cap.
    pub async fn not_found_list(&self, canvas: &str) -> Result<NotFoundList> {
        let rows = sqlx::query(
            "SELECT handler_key, requests, last_seen_ms FROM not_found_keys WHERE canvas = $1 \
             ORDER BY last_seen_ms DESC, handler_key",
        )
        .bind(canvas)
        .fetch_all(&self.pool)
        .await?;
        let mut keys = Vec::with_capacity(rows.len());
        for row in &rows {
            let key: String = row.try_get("handler_key")?;
            // Every key of this table is a 404 key; anything else lists as a bare method.
            let (method, path) = match key.parse() {
                Ok(TraceKey::NotFound { method, path }) => (method, path),
                _ => (key.clone(), String::new()),
            };
            keys.push(NotFound {
                method,
                path,
                count: row.try_get("requests")?,
                last_seen_ms: row.try_get("last_seen_ms")?,
                key,
            });
        }
        let totals = sqlx::query("SELECT collapsed_requests, collapsed_keys FROM trace_totals WHERE canvas = $1")
            .bind(canvas)
            .fetch_optional(&self.pool)
            .await?;
        let (collapsed_requests, collapsed_keys) = match totals {
            Some(row) => (row.try_get("collapsed_requests")?, row.try_get("collapsed_keys")?),
            None => (0, 0),
        };
        Ok(NotFoundList { keys, collapsed_requests, collapsed_keys })
    }

    /// The kept keys of [`Store::not_found_list`], without the collapsed counts.
    pub async fn not_found(&self, canvas: &str) -> Result<Vec<NotFound>> {
        Ok(self.not_found_list(canvas).await?.keys)
    }

    /// Moves every trace of `from_key` to `to_key` (a 404 that became a
    /// handler, which leaves the 404 list); returns how many moved.
    pub async fn rekey_traces(&self, canvas: &str, from_key: &str, to_key: &str) -> Result<u64> {
        let _guard = self.write_guard().await;
        let mut tx = self.begin_write().await?;
        let result = async {
            // Serialised with the writer, which may be counting this key.
            Totals::lock(&mut tx, self.backend, [canvas]).await?;
            let moved = sqlx::query("UPDATE traces SET handler_key = $3 WHERE canvas = $1 AND handler_key = $2")
                .bind(canvas)
                .bind(from_key)
                .bind(to_key)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM not_found_keys WHERE canvas = $1 AND handler_key = $2")
                .bind(canvas)
                .bind(from_key)
                .execute(&mut *tx)
                .await?;
            Ok(moved.rows_affected())
        }
        .await;
        finish(tx, result).await
    }
}

/// Requests per 404 key stored by one write: (canvas, key) → (requests, last seen).
#[derive(Default)]
pub(crate) struct Seen(BTreeMap<(String, String), (i64, i64)>);

impl Seen {
    pub(crate) fn add(&mut self, canvas: &str, key: &str, received_at_ms: i64) {
        let entry = self.0.entry((canvas.to_string(), key.to_string())).or_insert((0, received_at_ms));
        entry.0 += 1;
        entry.1 = entry.1.max(received_at_ms);
    }

    /// Adds the requests to the keys' counts; returns the canvases they belong to.
    pub(crate) async fn record(self, tx: &mut Tx<'_>) -> Result<Vec<String>> {
        let mut canvases: Vec<String> = Vec::new();
        // In key order, so that on PostgreSQL two nodes lock the rows in the same order.
        let seen: Vec<((String, String), (i64, i64))> = self.0.into_iter().collect();
        for chunk in seen.chunks(KEYS_PER_STATEMENT) {
            let tuples: Vec<String> =
                (0..chunk.len()).map(|row| format!("({})", numbered(row * 4 + 1, 4).join(", "))).collect();
            let sql = format!(
                "INSERT INTO not_found_keys (canvas, handler_key, requests, last_seen_ms) VALUES {} \
                 ON CONFLICT (canvas, handler_key) DO UPDATE SET \
                 requests = not_found_keys.requests + excluded.requests, \
                 last_seen_ms = CASE WHEN excluded.last_seen_ms > not_found_keys.last_seen_ms \
                 THEN excluded.last_seen_ms ELSE not_found_keys.last_seen_ms END",
                tuples.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for ((canvas, key), (requests, last_seen_ms)) in chunk {
                query = query.bind(canvas).bind(key).bind(*requests).bind(*last_seen_ms);
                if canvases.last() != Some(canvas) {
                    canvases.push(canvas.clone());
                }
            }
            query.execute(&mut **tx).await?;
        }
        Ok(canvases)
    }
}

/// Keeps the `cap` most recently seen 404 keys of a canvas: older keys lose
/// their traces and their rows, and their requests are collapsed into the
/// canvas's totals. Returns how many keys were dropped.
pub(crate) async fn collapse(tx: &mut Tx<'_>, totals: &mut Totals, canvas: &str, cap: u32) -> Result<u64> {
    let kept = sqlx::query("SELECT COUNT(*) AS n FROM not_found_keys WHERE canvas = $1")
        .bind(canvas)
        .fetch_one(&mut **tx)
        .await?
        .try_get::<i64, _>("n")?;
    let excess = kept - i64::from(cap);
    if excess <= 0 {
        return Ok(0);
    }
    // The reverse of the list's order.
    let doomed = sqlx::query(
        "SELECT handler_key FROM not_found_keys WHERE canvas = $1 \
         ORDER BY last_seen_ms, handler_key DESC LIMIT $2",
    )
    .bind(canvas)
    .bind(excess)
    .fetch_all(&mut **tx)
    .await?;
    let mut dropped = 0;
    for chunk in doomed.chunks(KEYS_PER_STATEMENT) {
        let mut params = vec![Param::Text(canvas.to_string())];
        for row in chunk {
            params.push(Param::Text(row.try_get("handler_key")?));
        }
        let keys = numbered(2, chunk.len()).join(", ");
        // Only the rows this transaction deleted count: another node may have collapsed some first.
        let sql =
            format!("DELETE FROM not_found_keys WHERE canvas = $1 AND handler_key IN ({keys}) RETURNING requests");
        let gone = bind_params(sqlx::query(&sql), params.iter().cloned()).fetch_all(&mut **tx).await?;
        let requests = gone.iter().map(|row| row.try_get::<i64, _>("requests")).sum::<std::result::Result<i64, _>>()?;
        let keys_gone = gone.len() as u64;
        totals.collapse(canvas, i64::try_from(keys_gone).unwrap_or(i64::MAX), requests);
        totals.delete(tx, &format!("canvas = $1 AND handler_key IN ({keys})"), params).await?;
        dropped += keys_gone;
    }
    Ok(dropped)
}

/// A deleted trace of a 404 key: its request is no longer counted, and the
/// key leaves the list once none of its traces is left.
pub(crate) async fn forget_request(tx: &mut Tx<'_>, canvas: &str, key: &str) -> Result<()> {
    sqlx::query("UPDATE not_found_keys SET requests = requests - 1 WHERE canvas = $1 AND handler_key = $2")
        .bind(canvas)
        .bind(key)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "DELETE FROM not_found_keys WHERE canvas = $1 AND handler_key = $2 \
         AND NOT EXISTS (SELECT 1 FROM traces WHERE canvas = $1 AND handler_key = $2)",
    )
    .bind(canvas)
    .bind(key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The age sweep: keys not seen since `cutoff_ms` have no traces left and
/// leave the list.
pub(crate) async fn forget_unseen(tx: &mut Tx<'_>, canvas: &str, cutoff_ms: i64) -> Result<()> {
    sqlx::query("DELETE FROM not_found_keys WHERE canvas = $1 AND last_seen_ms < $2")
        .bind(canvas)
        .bind(cutoff_ms)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
