//! The store's behaviour, the same cases on SQLite and on PostgreSQL:
//! `sqlite::case_x` and `postgres::case_x` run `cases::case_x`.

#[cfg(test)]
mod harness;
#[cfg(test)]
mod sealed;

/// Generates `sqlite::NAME` and `postgres::NAME` for each case. `store`
/// cases get an opened store; `url` cases get the database URL and open it
/// themselves.
macro_rules! backends {
    (store: [$($store_case:ident),* $(,)?], url: [$($url_case:ident),* $(,)?] $(,)?) => {
        backends!(@module sqlite, run_sqlite, [$($store_case),*], [$($url_case),*]);
        backends!(@module postgres, run_postgres, [$($store_case),*], [$($url_case),*]);
    };
    (@module $module:ident, $run:ident, [$($store_case:ident),*], [$($url_case:ident),*]) => {
        mod $module {
            use crate::{cases, harness};
            $(
                #[tokio::test]
                async fn $store_case() {
                    harness::$run(|url| {
                        harness::with_store(url, |store| async move {
                            cases::$store_case(&store).await;
                            store
                        })
                    })
                    .await;
                }
            )*
            $(
                #[tokio::test]
                async fn $url_case() {
                    harness::$run(|url| async move { cases::$url_case(&url).await }).await;
                }
            )*
        }
    };
}

backends! {
    store: [
        case_backend_matches_url,
        case_canvases,
        case_cron_runs_are_claimed_once,
        case_append_and_history,
        case_append_is_atomic,
        case_append_on_a_stale_version_conflicts,
        case_toplevels_live_draft_deleted,
        case_code_at,
        case_trace_round_trip,
        case_trace_filters,
        case_delete_trace,
        case_not_found_and_rekey,
        case_retention_by_count,
        case_retention_by_age,
        case_datastores,
        case_secrets,
        case_secret_audit,
        case_concurrent_writes,
        case_writer_writes_everything,
        case_writer_applies_retention,
        case_writer_counts_drops,
        case_one_canvas_cannot_take_the_whole_queue,
        case_outbound_allowed_hosts_are_replaced_whole,
        case_writer_bounds_queued_bytes,
        case_writer_counts_failed_batches,
        case_byte_budget_keeps_the_newest,
        case_not_found_keys_are_capped,
        case_not_found_list_is_bounded,
        case_not_found_list_follows_deletes_and_rekeys,
    ],
    url: [
        case_migrations_are_idempotent,
        case_reopen_keeps_everything,
        case_failed_writes_leave_no_lock,
        case_upgrade_backfills_the_limits,
        case_secrets_are_sealed_at_rest,
        case_plaintext_secrets_are_sealed_at_first_start,
    ],
}

#[cfg(test)]
mod cases {
    pub use crate::sealed::*;
    use gloam_trace_store::*;
    use serde_json::json;

    /// Milliseconds since the Unix epoch, as the store stamps its rows.
    fn now_ms() -> i64 {
        let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970");
        i64::try_from(elapsed.as_millis()).expect("fits")
    }

    fn not_found_key(method: &str, path: &str) -> String {
        TraceKey::NotFound { method: method.into(), path: path.into() }.to_string()
    }

    const NOW: i64 = 1_800_000_000_000;

    fn new_version(toplevel_id: Option<i64>, source: &str, state: VersionState) -> NewVersion {
        NewVersion {
            toplevel_id,
            source: source.to_string(),
            state,
            key: Some(format!("key of {source}")),
            kind: Some("handler".to_string()),
            file: "main.gloam".to_string(),
            diagnostics: if state == VersionState::Draft {
                json!([{"code": "E0001", "message": "nope", "line": 1}])
            } else {
                json!([])
            },
        }
    }

    /// Appends on top of the canvas's latest version, as a single node does.
    async fn append(store: &Store, canvas: &str, versions: Vec<NewVersion>) -> Result<Vec<CodeVersion>> {
        let latest = store.latest_version_id(canvas).await?;
        store.append_versions(canvas, versions, latest).await
    }

    async fn append_one(store: &Store, canvas: &str, version: NewVersion) -> CodeVersion {
        let mut stored = append(store, canvas, vec![version]).await.unwrap();
        assert_eq!(stored.len(), 1);
        stored.remove(0)
    }

    fn trace(canvas: &str, handler_key: &str, id: &str, received_at_ms: i64) -> Trace {
        Trace {
            id: id.to_string(),
            canvas: canvas.to_string(),
            handler_key: handler_key.to_string(),
            received_at_ms,
            code_version: 7,
            request: TraceRequest {
                method: "GET".to_string(),
                path: format!("/{id}"),
                query: vec![],
                headers: vec![("host".to_string(), "localhost".to_string())],
                body: String::new(),
                body_truncated: false,
            },
            response: TraceResponse { status: 200, headers: vec![], body: "ok".to_string() },
            duration_us: 1234,
            effects: vec![],
            logs: vec![],
            error: None,
        }
    }

    fn ids(summaries: &[TraceSummary]) -> Vec<&str> {
        summaries.iter().map(|summary| summary.id.as_str()).collect()
    }

    pub async fn case_backend_matches_url(store: &Store) {
        // The harness gives SQLite a nested path whose directory did not exist.
        let canvases = store.canvases().await.unwrap();
        assert!(canvases.is_empty());
        assert!(matches!(store.backend(), Backend::Sqlite | Backend::Postgres));
    }

    pub async fn case_migrations_are_idempotent(url: &str) {
        let store = Store::open(url).await.unwrap();
        store.create_canvas("first").await.unwrap();
        store.close().await;
        // Reopening runs the migrator again over the migrated schema.
        let store = Store::open(url).await.unwrap();
        let again = Store::open(url).await.unwrap();
        assert_eq!(store.canvases().await.unwrap().len(), 1);
        again.create_canvas("second").await.unwrap();
        assert_eq!(store.canvases().await.unwrap().len(), 2);
        again.close().await;
        store.close().await;
    }

    pub async fn case_reopen_keeps_everything(url: &str) {
        let store = Store::open(url).await.unwrap().use_secret_key(crate::harness::test_key()).await.unwrap();
        let canvas = store.create_canvas("c").await.unwrap();
        let stored = append(&store, "c", vec![new_version(None, "a", VersionState::Live)]).await.unwrap();
        let saved = trace("c", "GET /a", "t1", NOW);
        store.insert_traces(std::slice::from_ref(&saved)).await.unwrap();
        store.db_set("c", "Todos", "k", "{\"v\":1}").await.unwrap();
        store.set_secret("c", "API_KEY", "s3cret").await.unwrap();
        // Dropped without closing, as a process that stops.
        drop(store);

        let store = Store::open(url).await.unwrap().use_secret_key(crate::harness::test_key()).await.unwrap();
        assert_eq!(store.canvas("c").await.unwrap(), Some(canvas));
        assert_eq!(store.code_at("c", store.latest_version_id("c").await.unwrap()).await.unwrap(), stored);
        assert_eq!(store.trace("c", "t1").await.unwrap(), Some(saved));
        assert_eq!(store.db_get("c", "Todos", "k").await.unwrap().as_deref(), Some("{\"v\":1}"));
        assert_eq!(store.secret("c", "API_KEY").await.unwrap().as_deref(), Some("s3cret"));
        store.close().await;
    }

    pub async fn case_cron_runs_are_claimed_once(store: &Store) {
        let minute = 1_795_597_200_000;
        assert!(store.claim_cron_run("c", "tick", minute).await.expect("claim"));
        assert!(!store.claim_cron_run("c", "tick", minute).await.expect("claim"), "claimed twice");
        assert!(store.claim_cron_run("c", "other", minute).await.expect("claim"));
        assert!(store.claim_cron_run("c", "tick", minute + 60_000).await.expect("claim"));
        // Announcing works on both backends (a no-op on SQLite).
        store.announce_code_change("c").await.expect("announce");
    }

    pub async fn case_canvases(store: &Store) {
        assert_eq!(store.canvas("todo").await.unwrap(), None);
        let todo = store.create_canvas("todo").await.unwrap();
        let blog = store.create_canvas("blog").await.unwrap();
        assert_eq!(todo.name, "todo");
        for token in [&todo.token, &blog.token] {
            assert_eq!(token.len(), 32);
            assert!(token.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)), "{token}");
        }
        assert_ne!(todo.token, blog.token);
        assert!(todo.created_at_ms > 1_600_000_000_000);

        let error = store.create_canvas("todo").await.unwrap_err();
        assert!(matches!(error, StoreError::AlreadyExists(_)), "{error}");
        assert_eq!(error.to_string(), "already exists: canvas \"todo\"");

        assert_eq!(store.canvas("todo").await.unwrap(), Some(todo.clone()));
        assert_eq!(store.canvases().await.unwrap(), vec![blog, todo]);
    }

    pub async fn case_append_and_history(store: &Store) {
        store.create_canvas("c").await.unwrap();
        store.create_canvas("other").await.unwrap();
        assert_eq!(store.latest_version_id("c").await.unwrap(), 0);

        let first = append(
            store,
            "c",
            vec![new_version(None, "a1", VersionState::Live), new_version(None, "b1", VersionState::Draft)],
        )
        .await
        .unwrap();
        assert_eq!(first.len(), 2);
        let (a1, b1) = (&first[0], &first[1]);
        assert_eq!(a1.source, "a1");
        assert_eq!(b1.source, "b1");
        assert!(a1.id < b1.id);
        assert_ne!(a1.toplevel_id, b1.toplevel_id);
        assert_eq!(b1.state, VersionState::Draft);
        assert_eq!(b1.diagnostics, json!([{"code": "E0001", "message": "nope", "line": 1}]));

        let a2 = append_one(store, "c", new_version(Some(a1.toplevel_id), "a2", VersionState::Live)).await;
        let a3 = append_one(store, "c", new_version(Some(a1.toplevel_id), "a3", VersionState::Draft)).await;
        assert_eq!(a2.toplevel_id, a1.toplevel_id);
        assert!(a1.id < a2.id && a2.id < a3.id);

        let history = store.history("c", a1.toplevel_id).await.unwrap();
        assert_eq!(history, vec![a3.clone(), a2.clone(), a1.clone()]);
        assert_eq!(store.history("c", b1.toplevel_id).await.unwrap(), vec![b1.clone()]);
        assert_eq!(store.history("other", a1.toplevel_id).await.unwrap(), vec![]);
        assert_eq!(store.history("c", 999_999).await.unwrap(), vec![]);

        assert_eq!(store.version("c", a2.id).await.unwrap(), Some(a2.clone()));
        assert_eq!(store.version("other", a2.id).await.unwrap(), None);
        assert_eq!(store.version("c", 999_999).await.unwrap(), None);

        // Drafts do not move the served version.
        assert_eq!(store.latest_version_id("c").await.unwrap(), a2.id);
        assert_eq!(store.latest_version_id("other").await.unwrap(), 0);

        // A key and kind may be absent (code that does not parse).
        let mut unparsed = new_version(None, "GET /x =", VersionState::Draft);
        unparsed.key = None;
        unparsed.kind = None;
        let stored = append_one(store, "c", unparsed).await;
        assert_eq!((stored.key.as_deref(), stored.kind), (None, None));
        assert_eq!(store.version("c", stored.id).await.unwrap(), Some(stored));

        assert_eq!(append(store, "c", vec![]).await.unwrap(), vec![]);
    }

    pub async fn case_append_on_a_stale_version_conflicts(store: &Store) {
        store.create_canvas("c").await.unwrap();
        let first = append_one(store, "c", new_version(None, "one", VersionState::Live)).await;
        // Checked against the canvas before `first`: refused, nothing stored.
        let error =
            store.append_versions("c", vec![new_version(None, "two", VersionState::Live)], 0).await.unwrap_err();
        assert!(matches!(error, StoreError::Conflict { expected: 0, found, .. } if found == first.id), "{error}");
        assert_eq!(store.toplevels("c").await.unwrap().len(), 1);
        // A draft too: its diagnostics were computed against the old code.
        let error =
            store.append_versions("c", vec![new_version(None, "draft", VersionState::Draft)], 0).await.unwrap_err();
        assert!(matches!(error, StoreError::Conflict { .. }), "{error}");
        // On top of the latest version it goes through.
        store.append_versions("c", vec![new_version(None, "two", VersionState::Live)], first.id).await.unwrap();
    }

    pub async fn case_append_is_atomic(store: &Store) {
        store.create_canvas("c").await.unwrap();
        store.create_canvas("other").await.unwrap();
        let theirs = append_one(store, "other", new_version(None, "theirs", VersionState::Live)).await;

        // A new toplevel, then an unknown toplevel: nothing is stored.
        let error = append(
            store,
            "c",
            vec![new_version(None, "fine", VersionState::Live), new_version(Some(999_999), "bad", VersionState::Live)],
        )
        .await
        .unwrap_err();
        assert!(matches!(error, StoreError::NotFound(_)), "{error}");
        assert!(error.to_string().contains("toplevel 999999"), "{error}");

        // Another canvas's toplevel is not found either.
        let error = append(
            store,
            "c",
            vec![
                new_version(None, "fine", VersionState::Live),
                new_version(Some(theirs.toplevel_id), "bad", VersionState::Live),
            ],
        )
        .await
        .unwrap_err();
        assert!(matches!(error, StoreError::NotFound(_)), "{error}");

        let error =
            store.append_versions("missing", vec![new_version(None, "x", VersionState::Live)], 0).await.unwrap_err();
        assert!(matches!(error, StoreError::NotFound(_)), "{error}");
        assert_eq!(error.to_string(), "not found: canvas \"missing\"");

        assert_eq!(store.toplevels("c").await.unwrap(), vec![]);
        assert_eq!(store.latest_version_id("c").await.unwrap(), 0);
        assert_eq!(store.code_at("c", i64::MAX).await.unwrap(), vec![]);
        assert_eq!(store.history("other", theirs.toplevel_id).await.unwrap(), vec![theirs]);

        // The store still works after the rolled-back transactions.
        let fine = append_one(store, "c", new_version(None, "fine", VersionState::Live)).await;
        assert_eq!(store.code_at("c", fine.id).await.unwrap(), vec![fine]);
    }

    pub async fn case_toplevels_live_draft_deleted(store: &Store) {
        use VersionState::{Deleted, Draft, Live};
        store.create_canvas("c").await.unwrap();
        // live only
        let t1 = append_one(store, "c", new_version(None, "t1 live", Live)).await;
        // live, then a newer draft
        let t2 = append_one(store, "c", new_version(None, "t2 live", Live)).await;
        let t2_draft = append_one(store, "c", new_version(Some(t2.toplevel_id), "t2 draft", Draft)).await;
        // draft, then a newer live: the draft is stale
        let t3_draft = append_one(store, "c", new_version(None, "t3 draft", Draft)).await;
        let t3 = append_one(store, "c", new_version(Some(t3_draft.toplevel_id), "t3 live", Live)).await;
        // drafts only: the newest draft
        let t4_old = append_one(store, "c", new_version(None, "t4 old draft", Draft)).await;
        let t4 = append_one(store, "c", new_version(Some(t4_old.toplevel_id), "t4 draft", Draft)).await;
        // live, then deleted: gone
        let t5 = append_one(store, "c", new_version(None, "t5 live", Live)).await;
        append_one(store, "c", new_version(Some(t5.toplevel_id), "", Deleted)).await;
        // live, deleted, live again (restored)
        let t6 = append_one(store, "c", new_version(None, "t6 live", Live)).await;
        append_one(store, "c", new_version(Some(t6.toplevel_id), "", Deleted)).await;
        let t6_back = append_one(store, "c", new_version(Some(t6.toplevel_id), "t6 live", Live)).await;
        // live, newer draft, newer live: the draft is stale
        let t7_old = append_one(store, "c", new_version(None, "t7 old", Live)).await;
        append_one(store, "c", new_version(Some(t7_old.toplevel_id), "t7 draft", Draft)).await;
        let t7 = append_one(store, "c", new_version(Some(t7_old.toplevel_id), "t7 live", Live)).await;

        let toplevels = store.toplevels("c").await.unwrap();
        let expected = vec![
            Toplevel { id: t1.toplevel_id, live: Some(t1), draft: None },
            Toplevel { id: t2.toplevel_id, live: Some(t2), draft: Some(t2_draft) },
            Toplevel { id: t3.toplevel_id, live: Some(t3), draft: None },
            Toplevel { id: t4.toplevel_id, live: None, draft: Some(t4) },
            Toplevel { id: t6.toplevel_id, live: Some(t6_back), draft: None },
            Toplevel { id: t7.toplevel_id, live: Some(t7), draft: None },
        ];
        assert_eq!(toplevels, expected);

        // Another canvas sees none of it.
        store.create_canvas("other").await.unwrap();
        assert_eq!(store.toplevels("other").await.unwrap(), vec![]);
        assert_eq!(store.toplevels("missing").await.unwrap(), vec![]);
    }

    pub async fn case_code_at(store: &Store) {
        use VersionState::{Deleted, Draft, Live};
        store.create_canvas("c").await.unwrap();
        store.create_canvas("other").await.unwrap();
        append_one(store, "other", new_version(None, "elsewhere", Live)).await;

        let both =
            append(store, "c", vec![new_version(None, "A1", Live), new_version(None, "B1", Live)]).await.unwrap();
        let (a1, b1) = (both[0].clone(), both[1].clone());
        let (a, b) = (a1.toplevel_id, b1.toplevel_id);
        let a2 = append_one(store, "c", new_version(Some(a), "A2", Live)).await;
        let b_deleted = append_one(store, "c", new_version(Some(b), "", Deleted)).await;
        let a3_draft = append_one(store, "c", new_version(Some(a), "A3 broken", Draft)).await;
        assert_eq!(store.latest_version_id("c").await.unwrap(), b_deleted.id);
        // Rollback of A to its first version: a copy appended as live.
        let a_rolled_back = append_one(store, "c", new_version(Some(a), &a1.source, Live)).await;
        let c1 = append_one(store, "c", new_version(None, "C1", Live)).await;

        let sources = |versions: Vec<CodeVersion>| versions.into_iter().map(|v| v.source).collect::<Vec<_>>();
        assert_eq!(sources(store.code_at("c", 0).await.unwrap()), Vec::<String>::new());
        assert_eq!(store.code_at("c", a1.id).await.unwrap(), vec![a1.clone()]);
        assert_eq!(store.code_at("c", b1.id).await.unwrap(), vec![a1.clone(), b1.clone()]);
        assert_eq!(store.code_at("c", a2.id).await.unwrap(), vec![a2.clone(), b1.clone()]);
        assert_eq!(store.code_at("c", b_deleted.id).await.unwrap(), vec![a2.clone()]);
        assert_eq!(store.code_at("c", a3_draft.id).await.unwrap(), vec![a2.clone()]);
        assert_eq!(store.code_at("c", a_rolled_back.id).await.unwrap(), vec![a_rolled_back.clone()]);
        assert_eq!(sources(store.code_at("c", a_rolled_back.id).await.unwrap()), vec!["A1"]);
        assert_eq!(store.code_at("c", c1.id).await.unwrap(), vec![a_rolled_back.clone(), c1.clone()]);
        assert_eq!(store.latest_version_id("c").await.unwrap(), c1.id);
        assert_eq!(
            store.code_at("c", store.latest_version_id("c").await.unwrap()).await.unwrap(),
            vec![a_rolled_back, c1]
        );
        assert_eq!(sources(store.code_at("other", i64::MAX).await.unwrap()), vec!["elsewhere"]);
    }

    pub async fn case_trace_round_trip(store: &Store) {
        let full = Trace {
            id: "0b6d7c1e-2f4a-4e8b-9c3d-5a6b7c8d9e0f".to_string(),
            canvas: "c".to_string(),
            handler_key: "POST /todos/:id".to_string(),
            received_at_ms: NOW,
            code_version: 42,
            request: TraceRequest {
                method: "POST".to_string(),
                path: "/todos/ünïcødé 🚀".to_string(),
                query: vec![("q".to_string(), "a b&c".to_string()), ("q".to_string(), "".to_string())],
                headers: vec![
                    ("content-type".to_string(), "application/json".to_string()),
                    ("x-dup".to_string(), "1".to_string()),
                    ("x-dup".to_string(), "2".to_string()),
                ],
                body: "{\"title\": \"thé 🍵\", \"quote\": \"'\\\"\\n\"}".to_string(),
                body_truncated: true,
            },
            response: TraceResponse {
                status: 503,
                headers: vec![("content-type".to_string(), "text/plain; charset=utf-8".to_string())],
                body: "Ärger\n\t\u{0}nul".to_string(),
            },
            duration_us: 9_876_543,
            effects: vec![
                RecordedEffect {
                    site: 17,
                    function: "DB.get".to_string(),
                    arguments: vec![json!("Todos"), json!({"key": "1"})],
                    result: Ok(json!({"Just": {"title": "x", "done": false, "n": 1.5}})),
                },
                RecordedEffect {
                    site: 23,
                    function: "Http.get".to_string(),
                    arguments: vec![json!("https://example.invalid/")],
                    result: Err("connection refused".to_string()),
                },
            ],
            logs: vec![
                LogLine { level: "info".to_string(), message: "start".to_string() },
                LogLine { level: "error".to_string(), message: "ça n'a pas marché".to_string() },
            ],
            error: Some("Http.get failed: connection refused".to_string()),
        };
        let mut empty = trace("c", "GET /", "empty", NOW - 1);
        empty.request.headers = vec![];
        empty.response.body = String::new();
        empty.response.status = 204;
        empty.duration_us = 0;

        store.insert_traces(&[full.clone(), empty.clone()]).await.unwrap();
        assert_eq!(store.trace("c", &full.id).await.unwrap(), Some(full.clone()));
        assert_eq!(store.trace("c", "empty").await.unwrap(), Some(empty.clone()));
        assert_eq!(store.trace("other", &full.id).await.unwrap(), None);
        assert_eq!(store.trace("c", "missing").await.unwrap(), None);

        // A trace id that is stored already is skipped; the first one stays.
        let mut again = empty.clone();
        again.response.body = "changed".to_string();
        store.insert_traces(&[again, trace("c", "GET /", "new", NOW)]).await.unwrap();
        assert_eq!(store.trace("c", "empty").await.unwrap(), Some(empty));
        assert!(store.trace("c", "new").await.unwrap().is_some());
        store.insert_traces(&[]).await.unwrap();

        let summaries = store.traces("c", &TraceFilter::default()).await.unwrap();
        // Ties in time are ordered by id, newest (greatest) first.
        assert_eq!(ids(&summaries), vec!["new", full.id.as_str(), "empty"]);
        assert_eq!(
            summaries[1],
            TraceSummary {
                id: full.id.clone(),
                handler_key: "POST /todos/:id".to_string(),
                received_at_ms: NOW,
                method: "POST".to_string(),
                path: "/todos/ünïcødé 🚀".to_string(),
                status: 503,
                duration_us: 9_876_543,
                error: Some("Http.get failed: connection refused".to_string()),
            }
        );
    }

    pub async fn case_trace_filters(store: &Store) {
        let mut traces = Vec::new();
        for i in 0..5 {
            traces.push(trace("c", "GET /a", &format!("a{i}"), NOW + i));
            traces.push(trace("c", "GET /b", &format!("b{i}"), NOW + i));
        }
        traces.push(trace("c", "POST /c", "c0", NOW + 10));
        // Same time: ties are ordered by id, greatest first (ids grow with time).
        traces.push(trace("c", "GET /a", "a9", NOW + 4));
        traces.push(trace("other", "GET /a", "elsewhere", NOW + 100));
        store.insert_traces(&traces).await.unwrap();

        let all = store.traces("c", &TraceFilter::default()).await.unwrap();
        assert_eq!(all.len(), 12);
        assert_eq!(ids(&all)[..4], ["c0", "b4", "a9", "a4"]);

        let a = TraceFilter { handler_key: Some("GET /a".to_string()), ..TraceFilter::default() };
        assert_eq!(ids(&store.traces("c", &a).await.unwrap()), ["a9", "a4", "a3", "a2", "a1", "a0"]);

        let b_or_c = TraceFilter { handler_keys: vec!["GET /b".into(), "POST /c".into()], ..TraceFilter::default() };
        assert_eq!(ids(&store.traces("c", &b_or_c).await.unwrap()), ["c0", "b4", "b3", "b2", "b1", "b0"]);

        let limited = TraceFilter { handler_key: Some("GET /a".to_string()), limit: 2, ..TraceFilter::default() };
        assert_eq!(ids(&store.traces("c", &limited).await.unwrap()), ["a9", "a4"]);

        let before = TraceFilter { before_ms: Some(NOW + 3), limit: 3, ..a.clone() };
        assert_eq!(ids(&store.traces("c", &before).await.unwrap()), ["a2", "a1", "a0"]);

        let page = TraceFilter { before_ms: Some(NOW + 2), ..b_or_c.clone() };
        assert_eq!(ids(&store.traces("c", &page).await.unwrap()), ["b1", "b0"]);

        let none = TraceFilter { handler_key: Some("GET /nothing".to_string()), ..TraceFilter::default() };
        assert!(store.traces("c", &none).await.unwrap().is_empty());
        assert_eq!(ids(&store.traces("other", &TraceFilter::default()).await.unwrap()), ["elsewhere"]);

        // Limit 0 means 100.
        let many: Vec<Trace> = (0..120).map(|i| trace("many", "GET /", &format!("m{i:03}"), NOW + i)).collect();
        store.insert_traces(&many).await.unwrap();
        let listed = store.traces("many", &TraceFilter::default()).await.unwrap();
        assert_eq!(listed.len(), 100);
        assert_eq!(listed[0].id, "m119");
        assert_eq!(store.count_traces("many", None).await.unwrap(), 120);
        assert_eq!(store.count_traces("c", Some("GET /a")).await.unwrap(), 6);
    }

    pub async fn case_delete_trace(store: &Store) {
        store.insert_traces(&[trace("c", "GET /", "t1", NOW), trace("c", "GET /", "t2", NOW)]).await.unwrap();
        assert!(!store.delete_trace("other", "t1").await.unwrap());
        assert!(store.delete_trace("c", "t1").await.unwrap());
        assert!(!store.delete_trace("c", "t1").await.unwrap());
        assert_eq!(store.trace("c", "t1").await.unwrap(), None);
        assert_eq!(ids(&store.traces("c", &TraceFilter::default()).await.unwrap()), ["t2"]);
    }

    pub async fn case_not_found_and_rekey(store: &Store) {
        let missing_a = not_found_key("GET", "/a");
        let missing_b = not_found_key("POST", "/b c");
        store
            .insert_traces(&[
                trace("c", &missing_a, "1", NOW),
                trace("c", &missing_a, "2", NOW + 5),
                trace("c", &missing_b, "3", NOW + 9),
                trace("c", &missing_b, "4", NOW + 1),
                trace("c", &missing_b, "5", NOW + 2),
                // Not 404s.
                trace("c", "GET /404 page", "6", NOW + 20),
                trace("c", "4040 /x", "7", NOW + 20),
                trace("other", &missing_a, "8", NOW + 30),
            ])
            .await
            .unwrap();
        let list = store.not_found("c").await.unwrap();
        assert_eq!(
            list,
            vec![
                NotFound {
                    key: "404 POST /b c".to_string(),
                    method: "POST".to_string(),
                    path: "/b c".to_string(),
                    count: 3,
                    last_seen_ms: NOW + 9,
                },
                NotFound {
                    key: "404 GET /a".to_string(),
                    method: "GET".to_string(),
                    path: "/a".to_string(),
                    count: 2,
                    last_seen_ms: NOW + 5,
                },
            ]
        );

        // The 404 becomes a handler: its traces move to the handler's key.
        assert_eq!(store.rekey_traces("c", &missing_a, "GET /a").await.unwrap(), 2);
        assert_eq!(store.rekey_traces("c", &missing_a, "GET /a").await.unwrap(), 0);
        let list = store.not_found("c").await.unwrap();
        assert_eq!(list.iter().map(|entry| entry.key.as_str()).collect::<Vec<_>>(), ["404 POST /b c"]);
        let moved = TraceFilter { handler_key: Some("GET /a".to_string()), ..TraceFilter::default() };
        assert_eq!(ids(&store.traces("c", &moved).await.unwrap()), ["2", "1"]);
        assert_eq!(store.trace("c", "1").await.unwrap().map(|t| t.handler_key).as_deref(), Some("GET /a"));
        // Another canvas's 404s are untouched.
        assert_eq!(store.not_found("other").await.unwrap().len(), 1);
    }

    pub async fn case_retention_by_count(store: &Store) {
        let mut traces: Vec<Trace> = (0..10).map(|i| trace("c", "GET /k", &format!("k{i}"), NOW + i)).collect();
        traces.extend((0..3).map(|i| trace("c", "GET /l", &format!("l{i}"), NOW + i)));
        traces.extend((0..3).map(|i| trace("other", "GET /k", &format!("o{i}"), NOW + i)));
        store.insert_traces(&traces).await.unwrap();

        let keep_four = Retention { newest: 4, max_age_ms: 1_000_000 };
        assert_eq!(store.apply_retention("c", "GET /k", keep_four, NOW + 10).await.unwrap(), 6);
        let k = TraceFilter { handler_key: Some("GET /k".to_string()), ..TraceFilter::default() };
        assert_eq!(ids(&store.traces("c", &k).await.unwrap()), ["k9", "k8", "k7", "k6"]);
        assert_eq!(store.apply_retention("c", "GET /k", keep_four, NOW + 10).await.unwrap(), 0);
        assert_eq!(store.count_traces("c", Some("GET /l")).await.unwrap(), 3);
        assert_eq!(store.count_traces("other", None).await.unwrap(), 3);

        // Ties at the boundary are broken by id, as in listings.
        store.insert_traces(&[trace("c", "GET /t", "t2", NOW), trace("c", "GET /t", "t1", NOW)]).await.unwrap();
        let keep_one = Retention { newest: 1, max_age_ms: 1_000_000 };
        assert_eq!(store.apply_retention("c", "GET /t", keep_one, NOW).await.unwrap(), 1);
        let t = TraceFilter { handler_key: Some("GET /t".to_string()), ..TraceFilter::default() };
        assert_eq!(ids(&store.traces("c", &t).await.unwrap()), ["t2"]);

        let keep_none = Retention { newest: 0, max_age_ms: 1_000_000 };
        assert_eq!(store.apply_retention("c", "GET /l", keep_none, NOW).await.unwrap(), 3);
        assert_eq!(store.count_traces("c", Some("GET /l")).await.unwrap(), 0);
    }

    pub async fn case_retention_by_age(store: &Store) {
        let traces: Vec<Trace> = (0..10).map(|i| trace("c", "GET /k", &format!("k{i}"), NOW + i * 1000)).collect();
        store.insert_traces(&traces).await.unwrap();
        store.insert_traces(&[trace("c", "GET /old", "old", NOW)]).await.unwrap();

        // At NOW + 10s with a 4.5s age limit, traces received before NOW + 5.5s go.
        let young = Retention { newest: 100, max_age_ms: 4500 };
        assert_eq!(store.apply_retention("c", "GET /k", young, NOW + 10_000).await.unwrap(), 6);
        let k = TraceFilter { handler_key: Some("GET /k".to_string()), ..TraceFilter::default() };
        assert_eq!(ids(&store.traces("c", &k).await.unwrap()), ["k9", "k8", "k7", "k6"]);

        // Both limits at once.
        let both = Retention { newest: 1, max_age_ms: 3500 };
        assert_eq!(store.apply_retention("c", "GET /k", both, NOW + 10_000).await.unwrap(), 3);
        assert_eq!(ids(&store.traces("c", &k).await.unwrap()), ["k9"]);
        // Other keys keep their old traces until they are swept.
        assert!(store.trace("c", "old").await.unwrap().is_some());
        assert_eq!(store.delete_traces_before(NOW + 1).await.unwrap(), 1);
        assert_eq!(store.trace("c", "old").await.unwrap(), None);
        assert_eq!(store.count_traces("c", None).await.unwrap(), 1);
    }

    pub async fn case_datastores(store: &Store) {
        store.create_canvas("c").await.unwrap();
        store.create_canvas("other").await.unwrap();
        assert_eq!(store.db_get("c", "Todos", "1").await.unwrap(), None);
        assert!(store.db_rows("c", "Todos").await.unwrap().is_empty());

        store.db_set("c", "Todos", "1", r#"{"title":"a"}"#).await.unwrap();
        assert_eq!(store.db_get("c", "Todos", "1").await.unwrap().as_deref(), Some(r#"{"title":"a"}"#));
        store.db_set("c", "Todos", "1", r#"{"title":"b"}"#).await.unwrap();
        assert_eq!(store.db_get("c", "Todos", "1").await.unwrap().as_deref(), Some(r#"{"title":"b"}"#));

        // Bytewise key order on both backends: digits, upper case, lower case, then non-ASCII.
        for key in ["é", "b", "B", "a", "Z", "10", "9", "a b", ""] {
            store.db_set("c", "Keys", key, &format!("\"{key}\"")).await.unwrap();
        }
        let keys: Vec<String> = store.db_rows("c", "Keys").await.unwrap().into_iter().map(|(key, _)| key).collect();
        assert_eq!(keys, ["", "10", "9", "B", "Z", "a", "a b", "b", "é"]);
        assert_eq!(store.db_rows("c", "Keys").await.unwrap()[8], ("é".to_string(), "\"é\"".to_string()));

        // Datastores and canvases are separate.
        assert_eq!(store.db_get("c", "Keys", "1").await.unwrap(), None);
        assert_eq!(store.db_get("other", "Todos", "1").await.unwrap(), None);
        store.db_set("other", "Todos", "1", "1").await.unwrap();
        assert_eq!(store.db_rows("c", "Todos").await.unwrap(), vec![("1".to_string(), r#"{"title":"b"}"#.to_string())]);

        assert!(store.db_delete("c", "Todos", "1").await.unwrap());
        assert!(!store.db_delete("c", "Todos", "1").await.unwrap());
        assert_eq!(store.db_get("c", "Todos", "1").await.unwrap(), None);
        assert_eq!(store.db_get("other", "Todos", "1").await.unwrap().as_deref(), Some("1"));

        let error = store.db_set("missing", "Todos", "1", "1").await.unwrap_err();
        assert!(matches!(error, StoreError::NotFound(_)), "{error}");
    }

    pub async fn case_secrets(store: &Store) {
        store.create_canvas("c").await.unwrap();
        store.create_canvas("other").await.unwrap();
        assert!(store.secret_names("c").await.unwrap().is_empty());
        store.set_secret("c", "STRIPE_KEY", "sk_1").await.unwrap();
        store.set_secret("c", "API_TOKEN", "t").await.unwrap();
        store.set_secret("c", "api_lower", "l").await.unwrap();
        store.set_secret("c", "STRIPE_KEY", "sk_2").await.unwrap();
        store.set_secret("other", "API_TOKEN", "theirs").await.unwrap();
        assert_eq!(store.secret_names("c").await.unwrap(), ["API_TOKEN", "STRIPE_KEY", "api_lower"]);
        assert_eq!(store.secret("c", "STRIPE_KEY").await.unwrap().as_deref(), Some("sk_2"));
        assert_eq!(store.secret("c", "api_lower").await.unwrap().as_deref(), Some("l"));
        assert!(store.delete_secret("c", "API_TOKEN").await.unwrap());
        assert!(!store.delete_secret("c", "API_TOKEN").await.unwrap());
        assert_eq!(store.secret("c", "API_TOKEN").await.unwrap(), None);
        assert_eq!(store.secret_names("c").await.unwrap(), ["STRIPE_KEY", "api_lower"]);
        assert_eq!(store.secret("other", "API_TOKEN").await.unwrap().as_deref(), Some("theirs"));
        let error = store.set_secret("missing", "X", "1").await.unwrap_err();
        assert!(matches!(error, StoreError::NotFound(_)), "{error}");
    }

    /// Many writers at once: none fails with a busy or locked database.
    pub async fn case_concurrent_writes(store: &Store) {
        store.create_canvas("c").await.unwrap();
        let mut tasks = Vec::new();
        for task in 0..16 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for round in 0..5 {
                    let name = format!("{task}-{round}");
                    // Each task appends on top of what it saw, retrying when another got in first.
                    loop {
                        let latest = store.latest_version_id("c").await.unwrap();
                        let version = new_version(None, &name, VersionState::Live);
                        match store.append_versions("c", vec![version], latest).await {
                            Err(StoreError::Conflict { .. }) => continue,
                            result => break result.map(drop).unwrap(),
                        }
                    }
                    store.db_set("c", "Rows", &name, "1").await.unwrap();
                    store.insert_traces(&[trace("c", "GET /", &name, NOW + round)]).await.unwrap();
                    store.toplevels("c").await.unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(store.toplevels("c").await.unwrap().len(), 80);
        assert_eq!(store.db_rows("c", "Rows").await.unwrap().len(), 80);
        assert_eq!(store.count_traces("c", None).await.unwrap(), 80);
    }

    pub async fn case_writer_writes_everything(store: &Store) {
        let config =
            WriterConfig { retention: Retention { newest: 10_000, max_age_ms: i64::MAX }, ..WriterConfig::default() };
        let writer = TraceWriter::spawn(store.clone(), config);
        let now = now_ms();
        for i in 0..1000 {
            let key = format!("GET /{}", i % 7);
            assert!(writer.submit(trace("c", &key, &format!("w{i:04}"), now + i)));
        }
        writer.flush().await;
        let stats = writer.stats();
        assert_eq!(stats, WriterStats { written: 1000, ..WriterStats::default() }, "{stats:?}");
        assert_eq!(store.count_traces("c", None).await.unwrap(), 1000);
        assert_eq!(store.trace("c", "w0999").await.unwrap(), Some(trace("c", "GET /5", "w0999", now + 999)));
        // A flush with nothing queued returns at once.
        writer.flush().await;
    }

    pub async fn case_writer_applies_retention(store: &Store) {
        let config = WriterConfig {
            capacity: 100,
            batch: 3,
            retention: Retention { newest: 5, max_age_ms: 60_000 },
            ..WriterConfig::default()
        };
        let writer = TraceWriter::spawn(store.clone(), config);
        let now = now_ms();
        for i in 0..20 {
            writer.submit(trace("c", "GET /kept", &format!("k{i:02}"), now + i));
        }
        writer.submit(trace("c", "GET /stale", "stale", now - 120_000));
        writer.flush().await;
        assert_eq!(writer.stats().written, 21);
        let kept = TraceFilter { handler_key: Some("GET /kept".to_string()), ..TraceFilter::default() };
        assert_eq!(ids(&store.traces("c", &kept).await.unwrap()), ["k19", "k18", "k17", "k16", "k15"]);
        assert_eq!(store.trace("c", "stale").await.unwrap(), None);
    }

    pub async fn case_writer_counts_drops(store: &Store) {
        let config = WriterConfig {
            capacity: 1,
            batch: 16,
            retention: Retention { newest: 1000, max_age_ms: i64::MAX },
            ..WriterConfig::default()
        };
        let writer = TraceWriter::spawn(store.clone(), config);
        let now = now_ms();
        let submitted: u64 = 500;
        // No await in between: the writer task cannot drain the queue.
        let accepted = (0..submitted).filter(|i| writer.submit(trace("c", "GET /", &format!("d{i}"), now))).count();
        let stats = writer.stats();
        assert!(stats.dropped > 0, "{stats:?}");
        assert_eq!(stats.dropped, submitted - accepted as u64);
        writer.flush().await;
        let stats = writer.stats();
        assert_eq!(stats.written + stats.dropped, submitted, "{stats:?}");
        assert_eq!(stats.queued, 0);
        assert_eq!(store.count_traces("c", None).await.unwrap(), i64::try_from(stats.written).unwrap());
    }

    pub async fn case_one_canvas_cannot_take_the_whole_queue(store: &Store) {
        let config = WriterConfig { capacity: 10, canvas_share: Share(50), ..WriterConfig::default() };
        let writer = TraceWriter::spawn(store.clone(), config);
        let now = now_ms();
        // No await in between: the writer task cannot drain the queue.
        let flood = (0..10).filter(|i| writer.submit(trace("flood", "GET /", &format!("f{i}"), now))).count();
        let quiet = (0..5).filter(|i| writer.submit(trace("quiet", "GET /", &format!("q{i}"), now))).count();
        assert_eq!((flood, quiet), (5, 5), "the flooding canvas had half the queue, the other one the rest");
        writer.flush().await;
        assert_eq!(writer.stats().written, 10);
        // Its share is free again once written.
        assert!(writer.submit(trace("flood", "GET /", "f-later", now)));
        writer.flush().await;
    }

    pub async fn case_outbound_allowed_hosts_are_replaced_whole(store: &Store) {
        store.create_canvas("c").await.unwrap();
        assert!(store.outbound_allowed("c").await.unwrap().is_empty());
        let hosts = ["localhost:9000".to_string(), "10.0.0.5".to_string(), "10.0.0.5".to_string()];
        store.set_outbound_allowed("c", &hosts).await.unwrap();
        assert_eq!(store.outbound_allowed("c").await.unwrap(), ["10.0.0.5", "localhost:9000"]);
        store.set_outbound_allowed("c", &["db.internal".to_string()]).await.unwrap();
        assert_eq!(store.outbound_allowed("c").await.unwrap(), ["db.internal"]);
        assert!(matches!(store.set_outbound_allowed("nope", &["x".to_string()]).await, Err(StoreError::NotFound(_))));
    }

    pub async fn case_writer_bounds_queued_bytes(store: &Store) {
        let config = WriterConfig { max_bytes: 64 * 1024, ..WriterConfig::default() };
        let writer = TraceWriter::spawn(store.clone(), config);
        let mut big = trace("c", "GET /", "big0", now_ms());
        big.request.body = "x".repeat(40 * 1024);
        // No await in between: the first fits, the second would pass the byte bound.
        assert!(writer.submit(big.clone()));
        big.id = "big1".to_string();
        assert!(!writer.submit(big.clone()));
        assert!(writer.submit(trace("c", "GET /", "small", now_ms())));
        writer.flush().await;
        let stats = writer.stats();
        assert_eq!((stats.written, stats.dropped, stats.queued), (2, 1, 0), "{stats:?}");
        // Once written, the bytes are free again.
        big.id = "big2".to_string();
        assert!(writer.submit(big));
    }

    pub async fn case_writer_counts_failed_batches(store: &Store) {
        let writer = TraceWriter::spawn(store.clone(), WriterConfig::default());
        writer.submit(trace("c", "GET /", "before", now_ms()));
        writer.flush().await;
        assert_eq!(writer.stats().written, 1);

        // The store goes away: batches fail, are counted, and the writer carries on.
        store.close().await;
        for i in 0..10 {
            assert!(writer.submit(trace("c", "GET /", &format!("lost{i}"), now_ms())));
        }
        writer.flush().await;
        writer.submit(trace("c", "GET /", "after", now_ms()));
        writer.flush().await;
        let stats = writer.stats();
        assert_eq!(stats.written, 1, "{stats:?}");
        assert!(stats.failed_batches >= 2, "{stats:?}");
        assert_eq!(stats.failed_traces, 11, "{stats:?}");
        assert_eq!(stats.queued, 0);
    }

    /// A trace whose body takes `body` bytes.
    fn sized(canvas: &str, handler_key: &str, id: &str, received_at_ms: i64, body: usize) -> Trace {
        let mut trace = trace(canvas, handler_key, id, received_at_ms);
        trace.request.body = "x".repeat(body);
        trace
    }

    fn keys(list: &NotFoundList) -> Vec<&str> {
        list.keys.iter().map(|entry| entry.key.as_str()).collect()
    }

    pub async fn case_byte_budget_keeps_the_newest(store: &Store) {
        // Each trace takes 10,000 bytes of body and under 200 of the rest: four fit in 50,000.
        let budget = TraceBudget { canvas_bytes: 50_000, ..TraceBudget::default() };
        let config = WriterConfig { batch: 3, budget, ..WriterConfig::default() };
        let writer = TraceWriter::spawn(store.clone(), config);
        let now = now_ms();
        for i in 0..20 {
            // Spread over keys: the budget is per canvas, not per key.
            writer.submit(sized("c", &format!("GET /{}", i % 3), &format!("t{i:02}"), now + i, 10_000));
        }
        writer.submit(sized("other", "GET /", "o", now, 10_000));
        writer.flush().await;
        let stats = writer.stats();
        assert_eq!((stats.written, stats.over_budget), (21, 16), "{stats:?}");
        assert_eq!(ids(&store.traces("c", &TraceFilter::default()).await.unwrap()), ["t19", "t18", "t17", "t16"]);
        let bytes = store.stored_trace_bytes("c").await.unwrap();
        assert!((40_000..=50_000).contains(&bytes), "{bytes}");
        assert_eq!(store.count_traces("other", None).await.unwrap(), 1);

        // A new writer (a restart) goes on from the stored total.
        let writer = TraceWriter::spawn(store.clone(), config);
        writer.submit(sized("c", "GET /0", "t20", now + 20, 10_000));
        writer.flush().await;
        assert_eq!(writer.stats().over_budget, 1);
        assert_eq!(ids(&store.traces("c", &TraceFilter::default()).await.unwrap()), ["t20", "t19", "t18", "t17"]);
        assert_eq!(store.stored_trace_bytes("c").await.unwrap(), bytes);

        // Retention per key still applies beside the budget.
        let config = WriterConfig {
            batch: 3,
            retention: Retention { newest: 1, max_age_ms: 60_000 },
            budget,
            ..WriterConfig::default()
        };
        let writer = TraceWriter::spawn(store.clone(), config);
        for i in 0..3 {
            writer.submit(sized("c", "GET /0", &format!("r{i}"), now + 30 + i, 10));
        }
        writer.flush().await;
        let zero = TraceFilter { handler_key: Some("GET /0".to_string()), ..TraceFilter::default() };
        assert_eq!(ids(&store.traces("c", &zero).await.unwrap()), ["r2"]);
    }

    pub async fn case_not_found_keys_are_capped(store: &Store) {
        let budget = TraceBudget { not_found_keys: 100, ..TraceBudget::default() };
        // One canvas fills the queue here (nothing else is writing).
        let config = WriterConfig { budget, canvas_share: Share(100), ..WriterConfig::default() };
        let writer = TraceWriter::spawn(store.clone(), config);
        let now = now_ms();
        for i in 0..5000 {
            writer.submit(trace("c", &not_found_key("GET", &format!("/scan/{i:04}")), &format!("s{i:04}"), now + i));
        }
        // A key seen again after it was collapsed: listed anew.
        writer.submit(trace("c", &not_found_key("GET", "/scan/0000"), "again", now + 6000));
        writer.submit(trace("c", "GET /routed", "routed", now));
        writer.flush().await;

        let list = store.not_found_list("c").await.unwrap();
        assert_eq!(list.keys.len(), 100);
        assert_eq!(list.keys[0].key, "404 GET /scan/0000");
        assert_eq!(list.keys[0].count, 1);
        assert_eq!(list.keys[1].key, "404 GET /scan/4999");
        assert_eq!(list.keys[99].key, "404 GET /scan/4901");
        // The first sight of /scan/0000 was collapsed with its key before it came back.
        assert_eq!((list.collapsed_keys, list.collapsed_requests), (4901, 4901));
        assert_eq!(writer.stats().collapsed_not_found_keys, 4901);
        // Only the kept keys keep traces; other handlers are untouched.
        assert_eq!(store.count_traces("c", None).await.unwrap(), 101);
        assert!(store.trace("c", "s4950").await.unwrap().is_some());
        assert_eq!(store.trace("c", "s4900").await.unwrap(), None);
        assert_eq!(store.not_found("c").await.unwrap(), list.keys);
    }

    /// The 404 list at many keys: 100,000 under CI (`CI=true`), 10,000 otherwise.
    pub async fn case_not_found_list_is_bounded(store: &Store) {
        let keys: i64 = if std::env::var("CI").is_ok_and(|ci| ci == "true") { 100_000 } else { 10_000 };
        let now = now_ms();
        let scan = |canvas: &str, range: std::ops::Range<i64>| -> Vec<Trace> {
            range
                .map(|i| trace(canvas, &not_found_key("GET", &format!("/{i}")), &format!("{canvas}{i}"), now + i))
                .collect()
        };
        let budget = TraceBudget::default();
        store.write_traces(&scan("few", 0..100), &[], Retention::default(), budget, now).await.unwrap();
        let started = std::time::Instant::now();
        for start in (0..keys).step_by(10_000) {
            let batch = scan("many", start..(start + 10_000).min(keys));
            store.write_traces(&batch, &[], Retention::default(), budget, now).await.unwrap();
        }
        let written = started.elapsed();

        let time = |canvas: &'static str| async move {
            let started = std::time::Instant::now();
            let mut list = NotFoundList::default();
            for _ in 0..10 {
                list = store.not_found_list(canvas).await.unwrap();
            }
            (list, started.elapsed() / 10)
        };
        let (few, few_time) = time("few").await;
        let (many, many_time) = time("many").await;
        eprintln!(
            "{:?}: 404 list at 100 keys {few_time:?}, at {keys} keys {many_time:?} ({written:?} to write them)",
            store.backend()
        );
        assert_eq!(few.keys.len(), 100);
        assert_eq!((few.collapsed_keys, few.collapsed_requests), (0, 0));
        let kept = i64::from(DEFAULT_NOT_FOUND_KEYS);
        assert_eq!(many.keys.len() as i64, kept);
        assert_eq!(many.keys[0].key, format!("404 GET /{}", keys - 1));
        assert_eq!((many.collapsed_keys, many.collapsed_requests), (keys - kept, keys - kept));
        assert_eq!(store.count_traces("many", None).await.unwrap(), kept);
    }

    pub async fn case_not_found_list_follows_deletes_and_rekeys(store: &Store) {
        let a = not_found_key("GET", "/a");
        let b = not_found_key("GET", "/b");
        let c = not_found_key("GET", "/c");
        store
            .insert_traces(&[
                trace("c", &a, "a1", NOW),
                trace("c", &a, "a2", NOW + 1),
                trace("c", &b, "b1", NOW + 2),
                trace("c", &c, "c1", NOW - 100),
            ])
            .await
            .unwrap();
        let counts =
            |list: &NotFoundList| list.keys.iter().map(|entry| (entry.key.clone(), entry.count)).collect::<Vec<_>>();
        let list = store.not_found_list("c").await.unwrap();
        assert_eq!(counts(&list), [(b.clone(), 1), (a.clone(), 2), (c.clone(), 1)]);

        // A deleted trace's request is no longer counted; the key goes with its last trace.
        assert!(store.delete_trace("c", "a1").await.unwrap());
        assert_eq!(counts(&store.not_found_list("c").await.unwrap()), [(b.clone(), 1), (a.clone(), 1), (c.clone(), 1)]);
        assert!(store.delete_trace("c", "a2").await.unwrap());
        assert_eq!(keys(&store.not_found_list("c").await.unwrap()), [b.as_str(), c.as_str()]);

        // A key that became a handler leaves the list; it comes back if it is missed again.
        assert_eq!(store.rekey_traces("c", &b, "GET /b").await.unwrap(), 1);
        assert_eq!(keys(&store.not_found_list("c").await.unwrap()), [c.as_str()]);
        store.insert_traces(&[trace("c", &b, "b2", NOW + 3)]).await.unwrap();
        assert_eq!(counts(&store.not_found_list("c").await.unwrap()), [(b.clone(), 1), (c.clone(), 1)]);

        // The age sweep takes keys not seen since the cutoff with their traces.
        assert_eq!(store.delete_traces_before(NOW - 50).await.unwrap(), 1);
        assert_eq!(keys(&store.not_found_list("c").await.unwrap()), [b.as_str()]);

        // The byte total follows every deletion down to nothing.
        assert!(store.stored_trace_bytes("c").await.unwrap() > 0);
        assert!(store.delete_trace("c", "b2").await.unwrap());
        assert_eq!(store.delete_traces_before(NOW + 10).await.unwrap(), 1);
        assert_eq!(store.count_traces("c", None).await.unwrap(), 0);
        assert_eq!(store.stored_trace_bytes("c").await.unwrap(), 0);
        assert_eq!(store.not_found_list("c").await.unwrap(), NotFoundList::default());
        assert!(!store.delete_trace("c", "b2").await.unwrap());
    }

    /// Two stores on one database (two processes): transactions that fail
    /// midway and good writes, interleaved, never meet `database is locked`.
    pub async fn case_failed_writes_leave_no_lock(url: &str) {
        let first = Store::open(url).await.unwrap();
        let second = Store::open(url).await.unwrap();
        first.create_canvas("c").await.unwrap();
        let mut tasks = Vec::new();
        for (task, store) in [first.clone(), second.clone(), first.clone(), second.clone()].into_iter().enumerate() {
            tasks.push(tokio::spawn(async move {
                for round in 0..15 {
                    // Reads, then fails at an unknown toplevel: rolled back.
                    let error = append(&store, "c", vec![new_version(Some(999_999), "bad", VersionState::Live)])
                        .await
                        .unwrap_err();
                    assert!(matches!(error, StoreError::NotFound(_) | StoreError::Conflict { .. }), "{error}");
                    let name = format!("{task}-{round}");
                    loop {
                        match append(&store, "c", vec![new_version(None, &name, VersionState::Live)]).await {
                            Err(StoreError::Conflict { .. }) => continue,
                            result => break result.map(drop).unwrap(),
                        }
                    }
                    store.insert_traces(&[trace("c", "GET /", &name, NOW + round)]).await.unwrap();
                    store.db_set("c", "Rows", &name, "1").await.unwrap();
                    assert!(store.delete_trace("c", &name).await.unwrap());
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(first.toplevels("c").await.unwrap().len(), 60);
        assert_eq!(second.db_rows("c", "Rows").await.unwrap().len(), 60);
        assert_eq!(first.stored_trace_bytes("c").await.unwrap(), 0);
        first.close().await;
        second.close().await;
    }

    /// A database made before the byte budget and the 404 cap: migrating
    /// measures its traces and counts its 404 keys.
    pub async fn case_upgrade_backfills_the_limits(url: &str) {
        use sqlx::Executor;
        let (old, backend) = crate::harness::raw_pool(url).await;
        crate::harness::migrate_before(&old, backend, 3).await;
        // 1,002 404 keys, the oldest first, and a trace with a body, as the old schema stored them.
        let row = |id: String, key: String, at: i64, body: &str| {
            format!(
                "('{id}', 'c', '{key}', {at}, 1, 'GET', '/', '[]', '[[\"host\",\"x\"]]', '{body}', 0, 404, '[]', '', 1, '[]', '[]', NULL)"
            )
        };
        let mut rows: Vec<String> =
            (0..1002).map(|i| row(format!("k{i:04}"), format!("404 GET /{i:04}"), NOW + i, "")).collect();
        rows.push(row("big".to_string(), "GET /big".to_string(), NOW, "héllo"));
        let blob = |sql: String| {
            if backend == "postgres" {
                sql.replace("'héllo'", "'héllo'::bytea")
                    .replace(", '', 1,", ", ''::bytea, 1,")
                    .replace(", '', 0,", ", ''::bytea, 0,")
            } else {
                sql.replace("'héllo'", "CAST('héllo' AS BLOB)")
                    .replace(", '', 1,", ", X'', 1,")
                    .replace(", '', 0,", ", X'', 0,")
            }
        };
        for chunk in rows.chunks(200) {
            let sql = format!(
                "INSERT INTO traces (id, canvas, handler_key, received_at_ms, code_version, method, path, query, \
                 request_headers, request_body, request_body_truncated, status, response_headers, response_body, \
                 duration_us, effects, logs, error) VALUES {}",
                chunk.join(", ")
            );
            old.execute(blob(sql).as_str()).await.unwrap();
        }
        old.close().await;

        let store = Store::open(url).await.unwrap();
        let list = store.not_found_list("c").await.unwrap();
        assert_eq!(list.keys.len(), 1000);
        assert_eq!(list.keys[0].key, "404 GET /1001");
        assert_eq!((list.collapsed_keys, list.collapsed_requests), (2, 2));
        assert_eq!(store.trace("c", "k0001").await.unwrap(), None);
        assert_eq!(store.count_traces("c", None).await.unwrap(), 1001);

        // The migration measured each trace as the store measures a new one.
        let before = store.stored_trace_bytes("c").await.unwrap();
        let mut again = store.trace("c", "big").await.unwrap().unwrap();
        again.id = "big again".to_string();
        again.canvas = "d".to_string();
        assert_eq!(again.request.body, "héllo");
        store.insert_traces(&[again.clone()]).await.unwrap();
        let one = store.stored_trace_bytes("d").await.unwrap();
        assert!(one > 6, "{one}");
        // Newer than every other trace of the canvas.
        again.id = "big c".to_string();
        again.canvas = "c".to_string();
        again.received_at_ms = NOW + 5000;
        store.insert_traces(&[again]).await.unwrap();
        assert_eq!(store.stored_trace_bytes("c").await.unwrap(), before + one);
        // And the budget acts on the migrated total: the newest key's trace is all that fits.
        let tight = TraceBudget { canvas_bytes: u64::try_from(one).unwrap(), ..TraceBudget::default() };
        let outcome = store
            .write_traces(&[], &[("c".to_string(), "GET /big".to_string())], Retention::default(), tight, NOW)
            .await
            .unwrap();
        assert_eq!(outcome.over_budget, 1001);
        assert_eq!(ids(&store.traces("c", &TraceFilter::default()).await.unwrap()), ["big c"]);
        store.close().await;
    }
}
