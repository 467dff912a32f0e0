//! Canvases and their editor API tokens.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Canvas, Result, Store, StoreError, now_ms};

impl Store {
    /// Creates a canvas with a fresh random API token; fails with
    /// [`StoreError::AlreadyExists`] when the name is taken.
    pub async fn create_canvas(&self, name: &str) -> Result<Canvas> {
        let canvas = Canvas { name: name.to_string(), token: new_token(), created_at_ms: now_ms() };
        let _guard = self.write_guard().await;
        let inserted = sqlx::query(
            "INSERT INTO canvases (name, token, created_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING RETURNING name",
        )
        .bind(&canvas.name)
        .bind(&canvas.token)
        .bind(canvas.created_at_ms)
        .fetch_optional(&self.pool)
        .await?;
        match inserted {
            Some(_) => Ok(canvas),
            None => Err(StoreError::AlreadyExists(format!("canvas {name:?}"))),
        }
    }

    pub async fn canvas(&self, name: &str) -> Result<Option<Canvas>> {
        let row = sqlx::query("SELECT name, token, created_at_ms FROM canvases WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(canvas_from_row).transpose()
    }

    /// Every canvas, by name.
    pub async fn canvases(&self) -> Result<Vec<Canvas>> {
        let rows =
            sqlx::query("SELECT name, token, created_at_ms FROM canvases ORDER BY name").fetch_all(&self.pool).await?;
        rows.iter().map(canvas_from_row).collect()
    }
}

fn canvas_from_row(row: &AnyRow) -> Result<Canvas> {
    Ok(Canvas {
        name: row.try_get("name")?,
        token: row.try_get("token")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

/// 32 lowercase hex characters from the OS's random source.
fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_lowercase_hex() {
        let token = new_token();
        assert_eq!(token.len(), 32);
        assert!(token.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        assert_ne!(token, new_token());
    }
}
