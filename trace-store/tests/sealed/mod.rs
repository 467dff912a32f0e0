//! Cases of canvas secrets sealed at rest and their audit log (run from
//! `store.rs` on both backends).

use crate::harness::{migrate_before, raw_pool, test_key};
use gloam_trace_store::*;
use sqlx::Executor;

/// The `value` column of every secret, as the database holds it.
async fn stored_values(url: &str) -> Vec<String> {
    let (pool, _) = raw_pool(url).await;
    let rows = sqlx::query_scalar::<_, String>("SELECT value FROM secrets ORDER BY name").fetch_all(&pool).await;
    pool.close().await;
    rows.expect("secrets read")
}

pub async fn case_secrets_are_sealed_at_rest(url: &str) {
    let store = Store::open(url).await.unwrap().use_secret_key(test_key()).await.unwrap();
    store.create_canvas("c").await.unwrap();
    store.set_secret("c", "API_KEY", "sk_live_plain").await.unwrap();
    store.close().await;
    let stored = stored_values(url).await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains("sk_live_plain"), "{stored:?}");

    // Without a key, secrets are out of reach; with another key the store
    // does not start, saying why.
    let keyless = Store::open(url).await.unwrap();
    assert!(matches!(keyless.secret("c", "API_KEY").await, Err(StoreError::NoSecretKey)));
    let error = keyless.use_secret_key(SecretKey::generate()).await.unwrap_err();
    assert!(matches!(&error, StoreError::WrongSecretKey { name, .. } if name == "API_KEY"), "{error}");
    assert!(error.to_string().contains("is not the key the secrets were sealed with"), "{error}");

    let store = Store::open(url).await.unwrap().use_secret_key(test_key()).await.unwrap();
    assert_eq!(store.secret("c", "API_KEY").await.unwrap().as_deref(), Some("sk_live_plain"));
    store.close().await;
}

pub async fn case_plaintext_secrets_are_sealed_at_first_start(url: &str) {
    let (old, backend) = raw_pool(url).await;
    migrate_before(&old, backend, 4).await;
    old.execute("INSERT INTO canvases (name, token, created_at_ms) VALUES ('c', 't', 0)").await.unwrap();
    old.execute("INSERT INTO secrets (canvas, name, value) VALUES ('c', 'OLD', 'plain-old')").await.unwrap();
    old.close().await;

    let store = Store::open(url).await.unwrap().use_secret_key(test_key()).await.unwrap();
    assert_eq!(store.secret("c", "OLD").await.unwrap().as_deref(), Some("plain-old"));
    store.close().await;
    let stored = stored_values(url).await;
    assert!(!stored[0].contains("plain-old"), "{stored:?}");
    // Sealed once: a second start opens it with the same key.
    let again = Store::open(url).await.unwrap().use_secret_key(test_key()).await.unwrap();
    assert_eq!(again.secret("c", "OLD").await.unwrap().as_deref(), Some("plain-old"));
    again.close().await;
}

pub async fn case_secret_audit(store: &Store) {
    store.create_canvas("c").await.unwrap();
    assert!(store.secret_audit("c").await.unwrap().is_empty());
    store.audit_secret("c", "API_KEY", SecretAction::Set, Some("10.0.0.1")).await.unwrap();
    store.audit_secret("c", "API_KEY", SecretAction::Read, None).await.unwrap();
    store.audit_secret("other", "X", SecretAction::Delete, None).await.unwrap();
    let log = store.secret_audit("c").await.unwrap();
    let rows: Vec<(&str, SecretAction, Option<&str>)> =
        log.iter().map(|row| (row.name.as_str(), row.action, row.client.as_deref())).collect();
    assert_eq!(rows, [("API_KEY", SecretAction::Read, None), ("API_KEY", SecretAction::Set, Some("10.0.0.1"))]);
    assert!(log.iter().all(|row| row.canvas == "c" && row.at_ms > 0));
}
