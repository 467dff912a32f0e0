//! Per-canvas settings the editor API changes: the hosts its outbound calls
//! may reach although they are private.

use crate::{Result, Store, finish, missing_canvas};
use sqlx::Row;

impl Store {
    /// The hosts a canvas allows outbound calls to, in order.
    pub async fn outbound_allowed(&self, canvas: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT host FROM outbound_allowed WHERE canvas = $1 ORDER BY host")
            .bind(canvas)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| Ok(row.try_get("host")?)).collect()
    }

    /// Replaces the hosts a canvas allows outbound calls to (one transaction).
    pub async fn set_outbound_allowed(&self, canvas: &str, hosts: &[String]) -> Result<()> {
        let _guard = self.write_guard().await;
        let mut tx = self.begin_write().await?;
        let result = async {
            sqlx::query("DELETE FROM outbound_allowed WHERE canvas = $1").bind(canvas).execute(&mut *tx).await?;
            for host in hosts {
                sqlx::query("INSERT INTO outbound_allowed (canvas, host) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(canvas)
                    .bind(host)
                    .execute(&mut *tx)
                    .await
                    .map_err(|error| missing_canvas(error, canvas))?;
            }
            Ok(())
        }
        .await;
        finish(tx, result).await
    }
}
