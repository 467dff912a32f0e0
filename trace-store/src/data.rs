//! Datastore rows: the values programs keep with `DB`, by canvas,
//! datastore and key.

use sqlx::Row;

use crate::{Result, Store, missing_canvas};

impl Store {
    pub async fn db_get(&self, canvas: &str, datastore: &str, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM datastore_rows WHERE canvas = $1 AND datastore = $2 AND key = $3")
            .bind(canvas)
            .bind(datastore)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get("value")).transpose()?)
    }

    /// Inserts or replaces a row. Fails with [`StoreError::NotFound`] when
    /// the canvas does not exist.
    pub async fn db_set(&self, canvas: &str, datastore: &str, key: &str, value: &str) -> Result<()> {
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO datastore_rows (canvas, datastore, key, value) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (canvas, datastore, key) DO UPDATE SET value = excluded.value",
        )
        .bind(canvas)
        .bind(datastore)
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(|error| missing_canvas(error, canvas))?;
        Ok(())
    }

    /// Deletes a row; false when there was none.
    pub async fn db_delete(&self, canvas: &str, datastore: &str, key: &str) -> Result<bool> {
        let _guard = self.write_guard().await;
        let done = sqlx::query("DELETE FROM datastore_rows WHERE canvas = $1 AND datastore = $2 AND key = $3")
            .bind(canvas)
            .bind(datastore)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every row of a datastore as (key, value), in bytewise key order.
    pub async fn db_rows(&self, canvas: &str, datastore: &str) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT key, value FROM datastore_rows WHERE canvas = $1 AND datastore = $2 ORDER BY key")
                .bind(canvas)
                .bind(datastore)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|row| Ok((row.try_get("key")?, row.try_get("value")?))).collect()
    }
}
