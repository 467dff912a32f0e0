//! Canvas secrets, sealed under the server's key (`sealed.rs`), and the
//! audit log of their use.

use crate::sealed::SecretKey;
use crate::{Result, Store, StoreError, missing_canvas, now_ms};
use sqlx::Row;
use std::sync::Arc;

/// What was done with a secret, in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretAction {
    /// A run the editor API started read its value.
    Read,
    Set,
    Delete,
}

impl SecretAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretAction::Read => "read",
            SecretAction::Set => "set",
            SecretAction::Delete => "delete",
        }
    }

    fn parse(text: &str) -> Result<SecretAction> {
        match text {
            "read" => Ok(SecretAction::Read),
            "set" => Ok(SecretAction::Set),
            "delete" => Ok(SecretAction::Delete),
            other => Err(StoreError::Corrupt(format!("secret audit action {other:?}"))),
        }
    }
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecretAccess {
    pub at_ms: i64,
    pub canvas: String,
    pub name: String,
    pub action: SecretAction,
    /// The client's address, when known.
    pub client: Option<String>,
}

/// Audit rows [`Store::secret_audit`] returns at most.
const AUDIT_LIMIT: i64 = 1_000;

impl Store {
    /// Gives the store the key its secrets are sealed with: rows still in
    /// plain text (from before sealing) are sealed now, and every sealed row
    /// must open with the key, so a wrong key fails here, at start, and
    /// never gives garbage later.
    pub async fn use_secret_key(mut self, key: SecretKey) -> Result<Store> {
        let rows = sqlx::query("SELECT canvas, name, value, sealed FROM secrets ORDER BY canvas, name")
            .fetch_all(&self.pool)
            .await?;
        for row in &rows {
            let (canvas, name, value): (String, String, String) =
                (row.try_get("canvas")?, row.try_get("name")?, row.try_get("value")?);
            if row.try_get::<i64, _>("sealed")? == 1 {
                if key.open(&canvas, &name, &value).is_none() {
                    return Err(StoreError::WrongSecretKey { canvas, name });
                }
                continue;
            }
            let _guard = self.write_guard().await;
            sqlx::query("UPDATE secrets SET value = $1, sealed = 1 WHERE canvas = $2 AND name = $3 AND sealed = 0")
                .bind(key.seal(&canvas, &name, &value))
                .bind(&canvas)
                .bind(&name)
                .execute(&self.pool)
                .await?;
        }
        self.secret_key = Some(Arc::new(key));
        Ok(self)
    }

    fn secret_key(&self) -> Result<&SecretKey> {
        self.secret_key.as_deref().ok_or(StoreError::NoSecretKey)
    }

    /// Sets or replaces a secret, sealed. Fails with [`StoreError::NotFound`]
    /// when the canvas does not exist.
    pub async fn set_secret(&self, canvas: &str, name: &str, value: &str) -> Result<()> {
        let sealed = self.secret_key()?.seal(canvas, name, value);
        let _guard = self.write_guard().await;
        sqlx::query(
            "INSERT INTO secrets (canvas, name, value, sealed) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (canvas, name) DO UPDATE SET value = excluded.value, sealed = 1",
        )
        .bind(canvas)
        .bind(name)
        .bind(sealed)
        .execute(&self.pool)
        .await
        .map_err(|error| missing_canvas(error, canvas))?;
        Ok(())
    }

    /// Deletes a secret; false when there was none.
    pub async fn delete_secret(&self, canvas: &str, name: &str) -> Result<bool> {
        let _guard = self.write_guard().await;
        let done = sqlx::query("DELETE FROM secrets WHERE canvas = $1 AND name = $2")
            .bind(canvas)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The names of a canvas's secrets, sorted; their values stay sealed.
    pub async fn secret_names(&self, canvas: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT name FROM secrets WHERE canvas = $1 ORDER BY name")
            .bind(canvas)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| Ok(row.try_get("name")?)).collect()
    }

    /// The value of one secret, opened; `None` when there is none.
    pub async fn secret(&self, canvas: &str, name: &str) -> Result<Option<String>> {
        let key = self.secret_key()?;
        let row = sqlx::query("SELECT value FROM secrets WHERE canvas = $1 AND name = $2 AND sealed = 1")
            .bind(canvas)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let sealed: String = row.try_get("value")?;
        let value = key.open(canvas, name, &sealed);
        value.map(Some).ok_or_else(|| StoreError::WrongSecretKey { canvas: canvas.into(), name: name.into() })
    }

    /// Adds a row to the audit log.
    pub async fn audit_secret(
        &self,
        canvas: &str,
        name: &str,
        action: SecretAction,
        client: Option<&str>,
    ) -> Result<()> {
        let _guard = self.write_guard().await;
        sqlx::query("INSERT INTO secret_audit (at_ms, canvas, name, action, client) VALUES ($1, $2, $3, $4, $5)")
            .bind(now_ms())
            .bind(canvas)
            .bind(name)
            .bind(action.as_str())
            .bind(client)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A canvas's audit log, newest first (at most the newest thousand).
    pub async fn secret_audit(&self, canvas: &str) -> Result<Vec<SecretAccess>> {
        let rows = sqlx::query(
            "SELECT at_ms, canvas, name, action, client FROM secret_audit WHERE canvas = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(canvas)
        .bind(AUDIT_LIMIT)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SecretAccess {
                    at_ms: row.try_get("at_ms")?,
                    canvas: row.try_get("canvas")?,
                    name: row.try_get("name")?,
                    action: SecretAction::parse(&row.try_get::<String, _>("action")?)?,
                    client: row.try_get("client")?,
                })
            })
            .collect()
    }
}
