//! The baseline: the bench canvas's routes in a bare axum server (the same
//! axum, tokio runtime and defaults `gloam serve` uses), doing the same work
//! natively. What Gloam's HTTP figures are ratios of.

use axum::extract::{Path, Query};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

/// What the baseline prints before its address, as `gloam serve` does.
pub const SERVING: &str = "baseline serving on ";

#[derive(Deserialize)]
struct Item {
    sku: String,
    quantity: i64,
    price: i64,
}

#[derive(Deserialize)]
struct Order {
    customer: String,
    items: Vec<Item>,
}

#[derive(Serialize)]
struct Receipt {
    customer: String,
    lines: usize,
    total: i64,
    skus: Vec<String>,
}

/// `POST /order` of bench/canvas/bench.gloam, with serde.
async fn order(Json(order): Json<Order>) -> Json<Receipt> {
    let total = order.items.iter().map(|item| item.quantity * item.price).sum();
    let skus = order.items.iter().map(|item| item.sku.clone()).collect();
    Json(Receipt { customer: order.customer, lines: order.items.len(), total, skus })
}

/// fizzbuzz over 1..=n as a JSON list: the native twin of the canvas's `GET /fizzbuzz/:n`.
pub fn fizzbuzz_json(n: i64) -> String {
    let items: Vec<String> = (1..=n)
        .map(|i| match (i % 3, i % 5) {
            (0, 0) => "FizzBuzz".to_string(),
            (0, _) => "Fizz".to_string(),
            (_, 0) => "Buzz".to_string(),
            _ => i.to_string(),
        })
        .collect();
    serde_json::to_string(&items).unwrap_or_default()
}

/// The native twin of the canvas's `fizzcount`.
pub fn fizzcount(n: i64) -> i64 {
    (1..=n).filter(|i| i % 15 == 0 || i % 3 == 0 || i % 5 == 0).count() as i64
}

/// The native twins of the canvas's `GET /pushes/:n` and `GET /dictsets/:n`.
pub fn pushes(n: i64) -> String {
    let items: Vec<i64> = (1..=n).collect();
    items.len().to_string()
}

pub fn dict_sets(n: i64) -> String {
    let entries: std::collections::BTreeMap<String, i64> = (1..=n).map(|i| (i.to_string(), i)).collect();
    entries.len().to_string()
}

pub fn router() -> Router {
    Router::new()
        .route("/hello/{name}", get(|Path(name): Path<String>| async move { format!("Hello, {name}.") }))
        .route("/order", post(order))
        .route(
            "/fizzbuzz/{n}",
            get(|Path(n): Path<i64>| async move {
                ([(axum::http::header::CONTENT_TYPE, "application/json")], fizzbuzz_json(n))
            }),
        )
        .route("/pushes/{n}", get(|Path(n): Path<i64>| async move { pushes(n) }))
        .route("/dictsets/{n}", get(|Path(n): Path<i64>| async move { dict_sets(n) }))
}

/// The upstream of fizzboom-with-I/O: answers "FizzBuzz" after `?ms=` milliseconds.
pub fn upstream() -> Router {
    Router::new().route(
        "/sleep",
        get(|Query(query): Query<HashMap<String, u64>>| async move {
            tokio::time::sleep(Duration::from_millis(query.get("ms").copied().unwrap_or(1000))).await;
            "FizzBuzz"
        }),
    )
}

/// `gloam-bench baseline`: serves [`router`] on a free loopback port.
pub fn serve() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("{SERVING}http://{}", listener.local_addr()?);
        axum::serve(listener, router()).await?;
        Ok(())
    })
}
