//! Gloam's storage: canvases, the append-only history of their code, traces,
//! datastores and secrets, in an SQLite file (the default) or PostgreSQL.
//!
//! One [`Store`] serves both backends through sqlx's `Any` driver. Only
//! portable SQL is used (`$n` placeholders, `ON CONFLICT … DO UPDATE`,
//! `RETURNING`); the two schemas live in `migrations/sqlite/` and
//! `migrations/postgres/`, which must stay in step. Text that is ordered or
//! compared is ordered bytewise on both backends (SQLite's `BINARY`,
//! PostgreSQL's `COLLATE "C"` columns).
//!
//! Traces are written off the request path by the batching [`TraceWriter`].

mod budget;
mod cluster;
pub mod model;
mod not_found;
mod sealed;
mod secrets;
mod settings;
mod writer;

pub use cluster::CodeChange;
pub use model::*;
pub use sealed::{KeyError, SecretKey};
pub use secrets::{SecretAccess, SecretAction};
pub use writer::{Share, TraceWriter, WriterConfig, WriterStats};

use std::collections::HashSet;
use std::sync::{Arc, Once};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::any::{AnyArguments, AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Connection, Row};

use budget::Totals;
use not_found::is_not_found_key;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is neither an SQLite path/URL nor a PostgreSQL URL.
    #[error("unsupported database URL {0:?}: expected sqlite://PATH, a file path, or postgres://…")]
    UnsupportedUrl(String),
    /// The database could not be reached or created. The URL has its password redacted.
    #[error("cannot open the database at {url}: {source}")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    /// The parent directory of an SQLite file could not be created.
    #[error("cannot create the directory {path}: {source}")]
    CreateDirectory {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The schema migrations failed.
    #[error("cannot migrate the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value does not decode (JSON column, state, status code).
    #[error("corrupt data in the store: {0}")]
    Corrupt(String),
    /// A value could not be encoded as JSON for storage.
    #[error("cannot encode {0} as JSON")]
    Encode(String),
    /// A canvas, toplevel or other referenced record does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A record that must be new already exists.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// A code change was checked against a version of the canvas that is no
    /// longer the latest (another node changed it first).
    #[error("canvas {canvas:?} changed meanwhile: version {found}, not {expected}")]
    Conflict { canvas: String, expected: i64, found: i64 },
    /// Secrets are read or written before the server's key was given.
    #[error("canvas secrets need the server's secret key (GLOAM_SECRET_KEY or --secret-key-file)")]
    NoSecretKey,
    /// A sealed secret does not open with the key given.
    #[error(
        "the secret {name:?} of canvas {canvas:?} does not open with this secret key: GLOAM_SECRET_KEY or \
         --secret-key-file is not the key the secrets were sealed with"
    )]
    WrongSecretKey { canvas: String, name: String },
}

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

/// A transaction of the store.
type Tx<'c> = sqlx::Transaction<'c, Any>;

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

/// The latest live-or-deleted version id of a canvas (`id` is NULL when none).
const LATEST_VERSION: &str =
    "SELECT MAX(id) AS id FROM code_versions WHERE canvas = $1 AND state IN ('live', 'deleted')";

pub type Result<T> = std::result::Result<T, StoreError>;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

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

/// SQLite settings applied to every connection: WAL for concurrent readers,
/// `synchronous=FULL` so that an acknowledged write survives a crash or power
/// loss, a busy timeout instead of immediate `SQLITE_BUSY`, enforced foreign keys.
const SQLITE_PRAGMAS: [&str; 4] =
    ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=5000", "PRAGMA foreign_keys=ON"];

static MIGRATIONS_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static MIGRATIONS_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

fn install_drivers() {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
}

/// The store. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer at a time, and a deferred transaction that
    /// read before writing fails at once (not after the busy timeout) when
    /// another connection wrote in between. Writes in this process therefore
    /// take this lock on SQLite; PostgreSQL does not need it.
    write_lock: Arc<tokio::sync::Mutex<()>>,
    /// For connections outside the pool (PostgreSQL `LISTEN`).
    connect_url: String,
    /// Seals and opens canvas secrets; see [`Store::use_secret_key`].
    secret_key: Option<Arc<SecretKey>>,
}

/// Shows the backend only: the URL may hold a password.
impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to `url` and brings the schema up to date.
    ///
    /// `postgres://…` or `postgresql://…` is PostgreSQL. `sqlite://PATH`,
    /// `sqlite:PATH` or a plain file path is SQLite; the file and its parent
    /// directory are created when missing.
    pub async fn open(url: &str) -> Result<Store> {
        install_drivers();
        let (backend, connect_url) = classify_url(url)?;
        let mut options = AnyPoolOptions::new();
        if backend == Backend::Sqlite {
            if let Some(dir) = sqlite_parent_dir(&connect_url) {
                std::fs::create_dir_all(&dir)
                    .map_err(|source| StoreError::CreateDirectory { path: dir.display().to_string(), source })?;
            }
            options = options.max_connections(4).after_connect(|conn, _meta| {
                Box::pin(async move {
                    for pragma in SQLITE_PRAGMAS {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            });
        }
        let pool =
            options.connect(&connect_url).await.map_err(|source| StoreError::Open { url: redact_url(url), source })?;
        let migrator = match backend {
            Backend::Sqlite => &MIGRATIONS_SQLITE,
            Backend::Postgres => &MIGRATIONS_POSTGRES,
        };
        if let Err(error) = migrator.run(&pool).await {
            pool.close().await;
            return Err(StoreError::Migrate(error));
        }
        Ok(Store { pool, backend, write_lock: Arc::new(tokio::sync::Mutex::new(())), connect_url, secret_key: None })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        }
    }

    /// How a transaction that writes begins. On SQLite it takes the write
    /// lock at once (`IMMEDIATE`), waiting out the busy timeout when another
    /// connection holds it: a deferred transaction that read first fails at
    /// once with `database is locked` when it comes to write after another
    /// connection wrote, whatever the timeout.
    fn begin_sql(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }

    /// A transaction that writes, on a connection from the pool. Every one
    /// ends through [`finish`].
    async fn begin_write(&self) -> Result<Tx<'static>> {
        Ok(self.pool.begin_with(self.begin_sql()).await?)
    }

    // ---------------------------------------------------------------- canvases

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

    // -------------------------------------------------------------------- code

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
            prepared.push((version, diagnostics));
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
            for (version, diagnostics) in prepared {
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
                    kind: version.kind,
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

    // ------------------------------------------------------------------ traces

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
                        if is_not_found_key(&row.handler_key) {
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
            if is_not_found_key(&key) {
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

    // -------------------------------------------------------------- datastores

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

/// Splits a [`not_found_key`] into method and path; the key itself when it
/// is not one.
pub fn parse_not_found_key(key: &str) -> (&str, &str) {
    let rest = key.strip_prefix("404 ").unwrap_or(key);
    rest.split_once(' ').unwrap_or((rest, ""))
}

const VERSION_COLUMNS: &str = "id, toplevel_id, source, state, key, kind, file, diagnostics, created_at_ms";

/// A parameter of a query built at run time.
#[derive(Debug, Clone)]
enum Param {
    Text(String),
    Int(i64),
}

fn bind_params<'q>(
    mut query: sqlx::query::Query<'q, Any, AnyArguments<'q>>,
    params: impl IntoIterator<Item = Param>,
) -> sqlx::query::Query<'q, Any, AnyArguments<'q>> {
    for param in params {
        query = match param {
            Param::Text(text) => query.bind(text),
            Param::Int(int) => query.bind(int),
        };
    }
    query
}

/// `count` numbered placeholders from `$first`.
fn numbered(first: usize, count: usize) -> Vec<String> {
    (first..first + count).map(|n| format!("${n}")).collect()
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

/// Commits a transaction whose work succeeded; rolls back one whose work
/// failed before returning, so the caller's write lock is released only after
/// SQLite's (a dropped transaction rolls back later, and a writer coming in
/// between would get `SQLITE_BUSY` at once).
async fn finish<T>(tx: Tx<'_>, result: Result<T>) -> Result<T> {
    match result {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(error) => {
            // The work's error is the one to report; a failed rollback ends with the connection.
            let _ = tx.rollback().await;
            Err(error)
        }
    }
}

/// Recorded values nest as deep as a program's storable values (the
/// interpreter's `wire::MAX_DEPTH`), past serde_json's 128 levels: JSON columns
/// are written and read on a stack that grows as deep as they go.
fn encode_json<T: Serialize>(value: &T, what: &str) -> Result<String> {
    let mut text = Vec::new();
    let mut serializer = serde_json::Serializer::new(&mut text);
    value
        .serialize(serde_stacker::Serializer::new(&mut serializer))
        .map_err(|error| StoreError::Encode(format!("{what} ({error})")))?;
    String::from_utf8(text).map_err(|error| StoreError::Encode(format!("{what} ({error})")))
}

fn decode_json<T: DeserializeOwned>(row: &AnyRow, column: &str, whose: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    let corrupt = |error: serde_json::Error| StoreError::Corrupt(format!("column {column} of {whose}: {error}"));
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    deserializer.disable_recursion_limit();
    let value = T::deserialize(serde_stacker::Deserializer::new(&mut deserializer)).map_err(corrupt)?;
    deserializer.end().map_err(corrupt)?;
    Ok(value)
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

fn canvas_from_row(row: &AnyRow) -> Result<Canvas> {
    Ok(Canvas {
        name: row.try_get("name")?,
        token: row.try_get("token")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
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
        kind: row.try_get("kind")?,
        file: row.try_get("file")?,
        diagnostics: decode_json(row, "diagnostics", &whose)?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
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

/// A foreign-key violation on a canvas-owned row means the canvas is missing.
fn missing_canvas(error: sqlx::Error, canvas: &str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::ForeignKeyViolation => {
            StoreError::NotFound(format!("canvas {canvas:?}"))
        }
        _ => StoreError::Database(error),
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
}

/// 32 lowercase hex characters from the OS's random source.
fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Sorts out the backend and the URL to hand to sqlx.
fn classify_url(url: &str) -> Result<(Backend, String)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_string()));
    }
    let rest = if let Some(rest) = url.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest
    } else if url.contains("://") || url.is_empty() {
        return Err(StoreError::UnsupportedUrl(redact_url(url)));
    } else {
        url
    };
    let (path, params) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err(StoreError::UnsupportedUrl(redact_url(url)));
    }
    let mut params: Vec<&str> = params.split('&').filter(|param| !param.is_empty()).collect();
    if !params.iter().any(|param| param.starts_with("mode=")) {
        params.push("mode=rwc");
    }
    Ok((Backend::Sqlite, format!("sqlite://{path}?{}", params.join("&"))))
}

/// The directory an SQLite URL's file lives in, when it is a file.
fn sqlite_parent_dir(connect_url: &str) -> Option<std::path::PathBuf> {
    let rest = connect_url.strip_prefix("sqlite://")?;
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    if path == ":memory:" {
        return None;
    }
    let parent = std::path::Path::new(path).parent()?;
    (!parent.as_os_str().is_empty()).then(|| parent.to_path_buf())
}

/// The URL with any password replaced by `***`, for error messages.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_string() };
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..].find(['/', '?', '#']).map_or(url.len(), |at| authority_start + at);
    let authority = &url[authority_start..authority_end];
    let Some(at) = authority.rfind('@') else { return url.to_string() };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else { return url.to_string() };
    format!("{}{}:***{}", &url[..authority_start], &userinfo[..colon], &url[authority_start + at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@host:5432/db"), "postgres://u:***@host:5432/db");
        assert_eq!(redact_url("postgres://u@host/db"), "postgres://u@host/db");
        assert_eq!(redact_url("postgres://host/db?x=a:b@c"), "postgres://host/db?x=a:b@c");
        assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }

    #[test]
    fn urls_are_classified() {
        assert_eq!(classify_url("postgres://h/db").unwrap(), (Backend::Postgres, "postgres://h/db".into()));
        assert_eq!(classify_url("postgresql://h/db").unwrap().0, Backend::Postgres);
        assert_eq!(classify_url("sqlite:///tmp/a.db").unwrap().1, "sqlite:///tmp/a.db?mode=rwc");
        assert_eq!(classify_url("sqlite:data/a.db").unwrap().1, "sqlite://data/a.db?mode=rwc");
        assert_eq!(classify_url("/tmp/a.db").unwrap().1, "sqlite:///tmp/a.db?mode=rwc");
        assert_eq!(classify_url("sqlite:///a.db?mode=ro").unwrap().1, "sqlite:///a.db?mode=ro");
        assert!(matches!(classify_url("mysql://h/db"), Err(StoreError::UnsupportedUrl(_))));
        assert_eq!(sqlite_parent_dir("sqlite:///tmp/x/a.db?mode=rwc"), Some("/tmp/x".into()));
        assert_eq!(sqlite_parent_dir("sqlite://a.db?mode=rwc"), None);
    }

    #[test]
    fn not_found_keys_parse() {
        assert_eq!(parse_not_found_key(&not_found_key("GET", "/a b")), ("GET", "/a b"));
        assert_eq!(parse_not_found_key("404 GET"), ("GET", ""));
    }

    #[tokio::test]
    async fn sqlite_connections_are_durable_and_strict() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}/a/b/store.db", dir.path().display())).await.unwrap();
        assert_eq!(store.backend(), Backend::Sqlite);
        // Several connections at once, so each is checked, not one reused.
        let mut connections = Vec::new();
        for _ in 0..3 {
            connections.push(store.pool.acquire().await.unwrap());
        }
        for connection in &mut connections {
            let row = sqlx::query("PRAGMA journal_mode").fetch_one(&mut **connection).await.unwrap();
            assert_eq!(row.try_get::<String, _>(0).unwrap(), "wal");
            for (pragma, expected) in [("synchronous", 2), ("foreign_keys", 1), ("busy_timeout", 5000)] {
                let row = sqlx::query(&format!("PRAGMA {pragma}")).fetch_one(&mut **connection).await.unwrap();
                assert_eq!(row.try_get::<i64, _>(0).unwrap(), expected, "{pragma}");
            }
        }
        drop(connections);
        store.close().await;
    }

    #[test]
    fn tokens_are_32_lowercase_hex() {
        let token = new_token();
        assert_eq!(token.len(), 32);
        assert!(token.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        assert_ne!(token, new_token());
    }
}
