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
//!
//! One file per concern, each an `impl Store` block: `canvases` (canvases and
//! tokens), `code` (versions), `traces`, `data` (datastore rows), `secrets`,
//! `not_found` (the 404 list), `budget` (bytes per canvas), `settings`
//! (per-canvas outbound allow-lists), `cluster` (several nodes on one store).
//! This file holds the [`Store`] itself: opening, migrating, and the plumbing
//! the concerns share (write transactions, JSON columns, parameters).

mod budget;
mod canvases;
mod cluster;
mod code;
mod data;
pub mod model;
mod not_found;
mod sealed;
mod secrets;
mod settings;
mod traces;
mod views;
mod writer;

pub use cluster::CodeChange;
pub use model::*;
pub use sealed::{KeyError, SecretKey};
pub use secrets::{SecretAccess, SecretAction};
pub use traces::{DEFAULT_TRACE_LIMIT, TraceFilter};
pub use views::{CodeStore, DataStore, SecretStore, TraceStore};
pub use writer::{Share, TraceWriter, WriterConfig, WriterStats};

use std::sync::{Arc, Once};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::any::{AnyArguments, AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row};

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

/// A transaction of the store.
type Tx<'c> = sqlx::Transaction<'c, Any>;

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
}

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

/// A foreign-key violation on a canvas-owned row means the canvas is missing.
fn missing_canvas(error: sqlx::Error, canvas: &str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::ForeignKeyViolation => {
            StoreError::NotFound(format!("canvas {canvas:?}"))
        }
        _ => StoreError::Database(error),
    }
}

/// Milliseconds since the Unix epoch: the store's own timestamps (canvases,
/// versions, the audit log, retention). Not the programs' clock: `Time.now`
/// belongs to the runtime's effects.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
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
}
