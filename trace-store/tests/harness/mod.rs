//! Runs one test case against a fresh SQLite file or a fresh PostgreSQL
//! database.
//!
//! PostgreSQL is the server at 127.0.0.1:5432 (user `postgres`, else `root`,
//! trust auth). Each test creates `gloam_test_<random>` from a connection to
//! the `test` database and drops it afterwards. Without a reachable server
//! the PostgreSQL tests print why they were skipped and pass, unless
//! `GLOAM_REQUIRE_POSTGRES=1`.

use std::future::Future;

use gloam_trace_store::{SecretKey, Store};
use sqlx::{Connection, Executor, PgConnection};

const PG_HOST: &str = "127.0.0.1:5432";
const PG_USERS: [&str; 2] = ["postgres", "root"];

/// A fresh SQLite file in a temporary directory, removed on drop.
pub struct SqliteDb {
    _dir: tempfile::TempDir,
    pub url: String,
}

pub fn sqlite_db() -> SqliteDb {
    let dir = tempfile::tempdir().expect("temporary directory");
    // A missing parent directory is created by `Store::open`.
    let url = format!("sqlite://{}/nested/store.db", dir.path().display());
    SqliteDb { _dir: dir, url }
}

/// A fresh PostgreSQL database; `drop_database` removes it.
pub struct PostgresDb {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PostgresDb {
    pub async fn drop_database(self) {
        match PgConnection::connect(&self.admin_url).await {
            Ok(mut admin) => {
                let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
                if let Err(error) = admin.execute(sql.as_str()).await {
                    eprintln!("could not drop the test database {}: {error}", self.name);
                }
                let _ = admin.close().await;
            }
            Err(error) => eprintln!("could not drop the test database {}: {error}", self.name),
        }
    }
}

/// Creates a fresh database, or `None` (after saying why) when no
/// PostgreSQL is reachable and it is not required.
pub async fn postgres_db() -> Option<PostgresDb> {
    let mut errors = Vec::new();
    for user in PG_USERS {
        let admin_url = format!("postgres://{user}@{PG_HOST}/test");
        match PgConnection::connect(&admin_url).await {
            Ok(mut admin) => {
                let name = format!("gloam_test_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute(format!("CREATE DATABASE \"{name}\"").as_str())
                    .await
                    .unwrap_or_else(|error| panic!("cannot create the test database {name}: {error}"));
                let _ = admin.close().await;
                let url = format!("postgres://{user}@{PG_HOST}/{name}");
                return Some(PostgresDb { admin_url, name, url });
            }
            Err(error) => errors.push(format!("as {user}: {error}")),
        }
    }
    let why = errors.join("; ");
    if std::env::var("GLOAM_REQUIRE_POSTGRES").is_ok_and(|value| value == "1") {
        panic!("no PostgreSQL at {PG_HOST} ({why}) and GLOAM_REQUIRE_POSTGRES=1");
    }
    eprintln!("skipped: no PostgreSQL at {PG_HOST} ({why})");
    None
}

pub async fn run_sqlite<F, Fut>(case: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let db = sqlite_db();
    case(db.url.clone()).await;
}

/// Runs `case` on a fresh PostgreSQL database, dropping it even when the
/// case panics (the panic is then resumed).
pub async fn run_postgres<F, Fut>(case: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(db) = postgres_db().await else { return };
    let outcome = tokio::spawn(case(db.url.clone())).await;
    db.drop_database().await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// Opens the store at `url`, runs `case` on it, closes it.
pub async fn with_store<F, Fut>(url: String, case: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = Store>,
{
    let store = Store::open(&url).await.unwrap_or_else(|error| panic!("cannot open {url}: {error}"));
    let store = store.use_secret_key(test_key()).await.expect("the test key opens a fresh store");
    let store = case(store).await;
    store.close().await;
}

/// The secret key of the tests' stores.
pub fn test_key() -> SecretKey {
    SecretKey::from_hex(&"07".repeat(32)).expect("64 hex characters")
}

/// A pool on the database at `url` outside the store (to write or read rows
/// as another schema version would), and the backend's name.
pub async fn raw_pool(url: &str) -> (sqlx::AnyPool, &'static str) {
    sqlx::any::install_default_drivers();
    let backend = if url.starts_with("postgres") { "postgres" } else { "sqlite" };
    let connect_url = match url.strip_prefix("sqlite://") {
        Some(path) => {
            std::fs::create_dir_all(std::path::Path::new(path).parent().expect("a parent")).expect("directory");
            format!("{url}?mode=rwc")
        }
        None => url.to_string(),
    };
    (sqlx::AnyPool::connect(&connect_url).await.expect("connects"), backend)
}

/// Brings the schema to the migrations before `version`, as an older server left it.
pub async fn migrate_before(pool: &sqlx::AnyPool, backend: &str, version: i64) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let mut migrator = sqlx::migrate::Migrator::new(dir).await.expect("migrations");
    migrator.migrations = migrator.migrations.iter().filter(|migration| migration.version < version).cloned().collect();
    migrator.run(pool).await.expect("older migrations run");
}
