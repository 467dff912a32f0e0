//! The append-only history of each canvas's code: versions per toplevel,
//! states live/draft/deleted. A canvas's code at version `v` is, per
//! toplevel, its newest live-or-deleted version with id ≤ `v`.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{
    Backend, CodeVersion, NewVersion, Result, Store, StoreError, Toplevel, ToplevelKind, VersionState, decode_json,
    encode_json, finish, now_ms,
};

/// The latest live-or-deleted version id of a canvas (`id` is NULL when none).
const LATEST_VERSION: &str =
    "SELECT MAX(id) AS id FROM code_versions WHERE canvas = $1 AND state IN ('live', 'deleted')";

const VERSION_COLUMNS: &str = "id, toplevel_id, source, state, key, kind, file, diagnostics, created_at_ms";

impl Store {
    /// Appends versions to toplevels' histories in one transaction: all are
    /// stored or none is. A version without a toplevel id starts a new
    /// toplevel. Returns the stored versions in input order, once they are
    /// durable.
    ///
    /// `based_on` is the canvas's latest live-or-deleted version id that the
    /// change was checked against. When the canvas has moved on since
    /// (another node changed it), nothing is stored: [`StoreError::Conflict`]. Appends to one canvas are serialised
    /// (a row lock on PostgreSQL), so version ids grow in commit order.
    pub async fn append_versions(
        &self,
        canvas: &str,
        versions: Vec<NewVersion>,
        based_on: i64,
    ) -> Result<Vec<CodeVersion>> {
        if versions.is_empty() {
            return Ok(Vec::new());
        }
        let created_at_ms = now_ms();
        let mut prepared = Vec::with_capacity(versions.len());
        for version in versions {
            let diagnostics = encode_json(&version.diagnostics, "diagnostics")?;
            let kind = version.kind.as_deref().map(kind_of).transpose()?;
            prepared.push((version, diagnostics, kind));
        }
        let _guard = self.write_guard().await;
        let mut tx = self.begin_write().await?;
        let result = async {
            // SQLite has one writer at a time already; PostgreSQL needs the row lock.
            let lock = match self.backend {
                Backend::Postgres => "SELECT name FROM canvases WHERE name = $1 FOR UPDATE",
                Backend::Sqlite => "SELECT name FROM canvases WHERE name = $1",
            };
            let exists = sqlx::query(lock).bind(canvas).fetch_optional(&mut *tx).await?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("canvas {canvas:?}")));
            }
            // Drafts too: their diagnostics were computed against `based_on`.
            let latest = sqlx::query(LATEST_VERSION).bind(canvas).fetch_one(&mut *tx).await?;
            let latest = latest.try_get::<Option<i64>, _>("id")?.unwrap_or(0);
            if latest != based_on {
                return Err(StoreError::Conflict { canvas: canvas.to_string(), expected: based_on, found: latest });
            }
            let mut stored = Vec::with_capacity(prepared.len());
            for (version, diagnostics, kind) in prepared {
                let toplevel_id = match version.toplevel_id {
                    Some(id) => {
                        let owner = sqlx::query("SELECT canvas FROM toplevels WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                        let owner: Option<String> = owner.map(|row| row.try_get("canvas")).transpose()?;
                        if owner.as_deref() != Some(canvas) {
                            return Err(StoreError::NotFound(format!("toplevel {id} in canvas {canvas:?}")));
                        }
                        id
                    }
                    None => {
                        let row =
                            sqlx::query("INSERT INTO toplevels (canvas, created_at_ms) VALUES ($1, $2) RETURNING id")
                                .bind(canvas)
                                .bind(created_at_ms)
                                .fetch_one(&mut *tx)
                                .await?;
                        row.try_get::<i64, _>("id")?
                    }
                };
                let row = sqlx::query(
                    "INSERT INTO code_versions \
                     (canvas, toplevel_id, source, state, key, kind, file, diagnostics, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(canvas)
                .bind(toplevel_id)
                .bind(&version.source)
                .bind(version.state.as_str())
                .bind(version.key.as_deref())
                .bind(version.kind.as_deref())
                .bind(&version.file)
                .bind(diagnostics)
                .bind(created_at_ms)
                .fetch_one(&mut *tx)
                .await?;
                stored.push(CodeVersion {
                    id: row.try_get("id")?,
                    toplevel_id,
                    source: version.source,
                    state: version.state,
                    key: version.key,
                    kind,
                    file: version.file,
                    diagnostics: version.diagnostics,
                    created_at_ms,
                });
            }
            Ok(stored)
        }
        .await;
        finish(tx, result).await
    }

    /// The canvas's toplevels as they stand, by id. A toplevel whose newest
    /// live-or-deleted version is a deletion is left out.
    pub async fn toplevels(&self, canvas: &str) -> Result<Vec<Toplevel>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM code_versions WHERE canvas = $1 AND id IN (\
               SELECT MAX(id) FROM code_versions WHERE canvas = $1 AND state IN ('live', 'deleted') \
               GROUP BY toplevel_id \
               UNION ALL \
               SELECT MAX(id) FROM code_versions WHERE canvas = $1 AND state = 'draft' GROUP BY toplevel_id\
             ) ORDER BY toplevel_id, id"
        );
        let rows = sqlx::query(&sql).bind(canvas).fetch_all(&self.pool).await?;
        // Per toplevel: (newest live-or-deleted, newest draft).
        let mut heads: Vec<(i64, Option<CodeVersion>, Option<CodeVersion>)> = Vec::new();
        for row in &rows {
            let version = version_from_row(row)?;
            if heads.last().is_none_or(|(id, _, _)| *id != version.toplevel_id) {
                heads.push((version.toplevel_id, None, None));
            }
            if let Some(head) = heads.last_mut() {
                match version.state {
                    VersionState::Draft => head.2 = Some(version),
                    VersionState::Live | VersionState::Deleted => head.1 = Some(version),
                }
            }
        }
        let mut toplevels = Vec::with_capacity(heads.len());
        for (id, served, draft) in heads {
            let live = match served {
                Some(version) if version.state == VersionState::Deleted => continue,
                served => served,
            };
            let draft = draft.filter(|draft| live.as_ref().is_none_or(|live| draft.id > live.id));
            toplevels.push(Toplevel { id, live, draft });
        }
        Ok(toplevels)
    }

    /// Every version of one toplevel, newest first; empty when the canvas has
    /// no such toplevel.
    pub async fn history(&self, canvas: &str, toplevel_id: i64) -> Result<Vec<CodeVersion>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM code_versions WHERE canvas = $1 AND toplevel_id = $2 ORDER BY id DESC"
        );
        let rows = sqlx::query(&sql).bind(canvas).bind(toplevel_id).fetch_all(&self.pool).await?;
        rows.iter().map(version_from_row).collect()
    }

    pub async fn version(&self, canvas: &str, version_id: i64) -> Result<Option<CodeVersion>> {
        let sql = format!("SELECT {VERSION_COLUMNS} FROM code_versions WHERE canvas = $1 AND id = $2");
        let row = sqlx::query(&sql).bind(canvas).bind(version_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(version_from_row).transpose()
    }

    /// The canvas's code as it was served at `version_id`: for each toplevel,
    /// its newest live-or-deleted version with id ≤ `version_id`, keeping the
    /// live ones; by toplevel id.
    pub async fn code_at(&self, canvas: &str, version_id: i64) -> Result<Vec<CodeVersion>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM code_versions WHERE state = 'live' AND id IN (\
               SELECT MAX(id) FROM code_versions \
               WHERE canvas = $1 AND state IN ('live', 'deleted') AND id <= $2 GROUP BY toplevel_id\
             ) ORDER BY toplevel_id"
        );
        let rows = sqlx::query(&sql).bind(canvas).bind(version_id).fetch_all(&self.pool).await?;
        rows.iter().map(version_from_row).collect()
    }

    /// The newest live or deleted version id of the canvas (what
    /// [`Store::code_at`] takes to give the current code), 0 when none.
    pub async fn latest_version_id(&self, canvas: &str) -> Result<i64> {
        let row = sqlx::query(LATEST_VERSION).bind(canvas).fetch_one(&self.pool).await?;
        Ok(row.try_get::<Option<i64>, _>("id")?.unwrap_or(0))
    }
}

fn version_from_row(row: &AnyRow) -> Result<CodeVersion> {
    let id: i64 = row.try_get("id")?;
    let whose = format!("code version {id}");
    let state: String = row.try_get("state")?;
    let state = match state.as_str() {
        "live" => VersionState::Live,
        "draft" => VersionState::Draft,
        "deleted" => VersionState::Deleted,
        other => return Err(StoreError::Corrupt(format!("{whose} has the unknown state {other:?}"))),
    };
    Ok(CodeVersion {
        id,
        toplevel_id: row.try_get("toplevel_id")?,
        source: row.try_get("source")?,
        state,
        key: row.try_get("key")?,
        kind: row.try_get::<Option<String>, _>("kind")?.as_deref().map(kind_of).transpose()?,
        file: row.try_get("file")?,
        diagnostics: decode_json(row, "diagnostics", &whose)?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

/// A toplevel kind as stored (`handler`, `cron`…).
fn kind_of(name: &str) -> Result<ToplevelKind> {
    ToplevelKind::from_name(name).ok_or_else(|| StoreError::Corrupt(format!("unknown toplevel kind {name:?}")))
}
