//! Several runtime nodes on one PostgreSQL store. Code changes are announced
//! with `NOTIFY` and heard with `LISTEN`, so every node serves the same code;
//! each cron run is claimed by exactly one node. On SQLite (one node)
//! announcements are not needed and claims still make each run happen once.

use crate::{Backend, Result, Store};
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;

/// The channel code changes are announced on.
const CODE_CHANNEL: &str = "gloam_code";

/// Claims older than this are forgotten.
const CLAIMS_KEPT_MS: i64 = 24 * 60 * 60 * 1000;

/// What a node hears about code changed elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeChange {
    /// This canvas's code changed, or the canvas is new.
    Canvas(String),
    /// The connection was lost for a while: anything may have changed.
    Everything,
}

impl Store {
    /// Tells every node (this one too) that a canvas's code changed.
    pub async fn announce_code_change(&self, canvas: &str) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)").bind(CODE_CHANNEL).bind(canvas).execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Code changes as they are announced; `None` on SQLite, where there is one node.
    pub async fn code_changes(&self) -> Result<Option<mpsc::Receiver<CodeChange>>> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut listener = PgListener::connect(&self.connect_url).await?;
        // Reconnect (and listen again) before reporting a lost connection.
        listener.eager_reconnect(true);
        listener.listen(CODE_CHANNEL).await?;
        let (sender, receiver) = mpsc::channel(256);
        tokio::spawn(async move {
            loop {
                let change = match listener.try_recv().await {
                    Ok(Some(notification)) => CodeChange::Canvas(notification.payload().to_string()),
                    // The connection was lost and is back, listening again:
                    // catch up with what changed in between.
                    Ok(None) => CodeChange::Everything,
                    Err(error) => {
                        // Lost, and reconnecting failed. Once a query gets
                        // through (it reconnects and listens again), catch up.
                        tracing::warn!(%error, "listening for code changes failed; retrying");
                        loop {
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                            if sqlx::query("SELECT 1").execute(&mut listener).await.is_ok() {
                                break;
                            }
                        }
                        CodeChange::Everything
                    }
                };
                if sender.send(change).await.is_err() {
                    return; // nobody listens any more
                }
            }
        });
        Ok(Some(receiver))
    }

    /// Claims the run of a cron at a minute: `true` for exactly one caller,
    /// whichever node it is on.
    pub async fn claim_cron_run(&self, canvas: &str, cron: &str, minute_ms: i64) -> Result<bool> {
        let _guard = self.write_guard().await;
        sqlx::query("DELETE FROM cron_runs WHERE canvas = $1 AND cron = $2 AND minute_ms < $3")
            .bind(canvas)
            .bind(cron)
            .bind(minute_ms - CLAIMS_KEPT_MS)
            .execute(&self.pool)
            .await?;
        let claimed = sqlx::query(
            "INSERT INTO cron_runs (canvas, cron, minute_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING minute_ms",
        )
        .bind(canvas)
        .bind(cron)
        .bind(minute_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(claimed.is_some())
    }
}
