//! The byte budget of a canvas's traces. Each canvas has a running total of
//! its traces' bytes in `trace_totals`, changed in the transaction that
//! changes its traces (so it survives restarts and is shared by every node);
//! a write that takes a canvas over its budget deletes the canvas's oldest
//! traces in that same transaction until it is back under.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use crate::{Backend, Param, Result, Tx, bind_params, numbered};

/// Traces read per query while picking the oldest to delete: a write goes
/// over the budget by about its own size, so one page is usually enough.
const OLDEST_PAGE: i64 = 256;

/// The totals of the canvases one transaction changes, locked until it ends.
pub(crate) struct Totals {
    canvases: BTreeMap<String, Total>,
}

#[derive(Debug, Default)]
struct Total {
    stored_bytes: i64,
    collapsed_requests: i64,
    collapsed_keys: i64,
}

impl Totals {
    /// Reads the totals of `canvases` (created at zero when missing) and
    /// locks them until the transaction ends. Every write to a canvas's
    /// traces takes this lock first, so on PostgreSQL such writes are
    /// serialised per canvas and totals stay exact with several nodes; the
    /// rows are locked in name order, so two transactions never wait on each
    /// other. (SQLite has one writer at a time already.)
    pub(crate) async fn lock<'a>(
        tx: &mut Tx<'_>,
        backend: Backend,
        canvases: impl IntoIterator<Item = &'a str>,
    ) -> Result<Totals> {
        let names: BTreeSet<&str> = canvases.into_iter().collect();
        let mut totals = Totals { canvases: BTreeMap::new() };
        if names.is_empty() {
            return Ok(totals);
        }
        let list = numbered(1, names.len());
        let params = || names.iter().map(|name| Param::Text(name.to_string()));
        let create =
            format!("INSERT INTO trace_totals (canvas) VALUES ({}) ON CONFLICT (canvas) DO NOTHING", list.join("), ("));
        bind_params(sqlx::query(&create), params()).execute(&mut **tx).await?;
        let lock = match backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let read = format!(
            "SELECT canvas, stored_bytes, collapsed_requests, collapsed_keys FROM trace_totals \
             WHERE canvas IN ({}) ORDER BY canvas{lock}",
            list.join(", ")
        );
        for row in bind_params(sqlx::query(&read), params()).fetch_all(&mut **tx).await? {
            let total = Total {
                stored_bytes: row.try_get("stored_bytes")?,
                collapsed_requests: row.try_get("collapsed_requests")?,
                collapsed_keys: row.try_get("collapsed_keys")?,
            };
            totals.canvases.insert(row.try_get("canvas")?, total);
        }
        Ok(totals)
    }

    /// Counts a stored trace of `canvas`.
    pub(crate) fn add(&mut self, canvas: &str, stored_bytes: i64) {
        if let Some(total) = self.canvases.get_mut(canvas) {
            total.stored_bytes += stored_bytes;
        }
    }

    /// Counts 404 keys of `canvas` dropped from its list, with their requests.
    pub(crate) fn collapse(&mut self, canvas: &str, keys: i64, requests: i64) {
        if let Some(total) = self.canvases.get_mut(canvas) {
            total.collapsed_keys += keys;
            total.collapsed_requests += requests;
        }
    }

    /// Deletes the traces `condition` selects (its parameters are `params`,
    /// `$1`…) from locked canvases, taking their bytes off the totals;
    /// returns how many.
    pub(crate) async fn delete(
        &mut self,
        tx: &mut Tx<'_>,
        condition: &str,
        params: impl IntoIterator<Item = Param>,
    ) -> Result<u64> {
        let sql = format!("DELETE FROM traces WHERE {condition} RETURNING canvas, stored_bytes");
        let gone = bind_params(sqlx::query(&sql), params).fetch_all(&mut **tx).await?;
        for row in &gone {
            let canvas: String = row.try_get("canvas")?;
            self.add(&canvas, -row.try_get::<i64, _>("stored_bytes")?);
        }
        Ok(gone.len() as u64)
    }

    /// Deletes the oldest traces (ties by id) of every canvas over `budget`
    /// bytes until it is within; returns how many.
    pub(crate) async fn enforce(&mut self, tx: &mut Tx<'_>, budget: u64) -> Result<u64> {
        let budget = i64::try_from(budget).unwrap_or(i64::MAX);
        let over: Vec<String> = self
            .canvases
            .iter()
            .filter(|(_, total)| total.stored_bytes > budget)
            .map(|(name, _)| name.clone())
            .collect();
        let mut deleted = 0;
        for canvas in over {
            while self.canvases.get(&canvas).is_some_and(|total| total.stored_bytes > budget) {
                let excess = self.canvases.get(&canvas).map_or(0, |total| total.stored_bytes - budget);
                let oldest = sqlx::query(
                    "SELECT id, stored_bytes FROM traces WHERE canvas = $1 ORDER BY received_at_ms, id LIMIT $2",
                )
                .bind(&canvas)
                .bind(OLDEST_PAGE)
                .fetch_all(&mut **tx)
                .await?;
                if oldest.is_empty() {
                    // Nothing is left to delete: the total had drifted (it
                    // cannot stay above zero with no traces).
                    if let Some(total) = self.canvases.get_mut(&canvas) {
                        total.stored_bytes = 0;
                    }
                    break;
                }
                let mut doomed = vec![Param::Text(canvas.clone())];
                let mut freed = 0;
                for row in &oldest {
                    doomed.push(Param::Text(row.try_get("id")?));
                    freed += row.try_get::<i64, _>("stored_bytes")?;
                    if freed >= excess {
                        break;
                    }
                }
                let condition = format!("canvas = $1 AND id IN ({})", numbered(2, doomed.len() - 1).join(", "));
                deleted += self.delete(tx, &condition, doomed).await?;
            }
        }
        Ok(deleted)
    }

    /// Writes the totals back.
    pub(crate) async fn save(self, tx: &mut Tx<'_>) -> Result<()> {
        for (canvas, total) in self.canvases {
            sqlx::query(
                "UPDATE trace_totals SET stored_bytes = $2, collapsed_requests = $3, collapsed_keys = $4 \
                 WHERE canvas = $1",
            )
            .bind(canvas)
            .bind(total.stored_bytes)
            .bind(total.collapsed_requests)
            .bind(total.collapsed_keys)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

impl crate::Store {
    /// The bytes a canvas's stored traces take, as its byte budget counts them.
    pub async fn stored_trace_bytes(&self, canvas: &str) -> Result<i64> {
        let row = sqlx::query("SELECT stored_bytes FROM trace_totals WHERE canvas = $1")
            .bind(canvas)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get("stored_bytes")).transpose()?.unwrap_or(0))
    }
}
