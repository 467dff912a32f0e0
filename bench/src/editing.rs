//! The editor's figures, through the editor API as the canvas uses it:
//! §4 edit to live (a save until the first request the new code serves) and
//! §5 live values (an analysis of the 50-line handler against its trace).

use crate::servers::Server;
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// An order for `POST /invoice` (bench/canvas/invoice.gloam).
const INVOICE: &str = r#"{"customer": " Ada Lovelace ", "country": "gb", "coupon": "WELCOME", "lines": [
  {"sku": "nb-1", "title": "Notebook", "quantity": 12, "cents": 450},
  {"sku": "pn-2", "title": "Fountain pen ", "quantity": 1, "cents": 8900},
  {"sku": "nb-1", "title": "Notebook", "quantity": 2, "cents": 450},
  {"sku": "ink-3", "title": "Ink, blue-black", "quantity": 3, "cents": 725}]}"#;

/// The JSON handler's request body (bench/canvas/bench.gloam `POST /order`).
pub const ORDER: &str = r#"{"customer": "Ada", "items": [{"sku": "A1", "quantity": 2, "price": 350}, {"sku": "B2", "quantity": 1, "price": 1200}, {"sku": "C3", "quantity": 5, "price": 99}]}"#;

/// The editor API of one server's bench canvas.
pub struct Editor<'a> {
    server: &'a Server,
    client: reqwest::Client,
}

impl<'a> Editor<'a> {
    pub fn new(server: &'a Server) -> Editor<'a> {
        Editor { server, client: reqwest::Client::new() }
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let response = request.bearer_auth(&self.server.token).send().await?;
        let status = response.status();
        let body = response.text().await?;
        if !status.is_success() {
            bail!("the editor API answered {status}: {body}");
        }
        Ok(serde_json::from_str(&body)?)
    }

    /// The id and live source of the toplevel called `key`.
    async fn toplevel(&self, key: &str) -> anyhow::Result<(i64, String)> {
        let toplevels = self.call(self.client.get(self.server.api("/toplevels"))).await?;
        toplevels
            .as_array()
            .into_iter()
            .flatten()
            .find(|toplevel| toplevel["live"]["key"] == key)
            .and_then(|toplevel| Some((toplevel["id"].as_i64()?, toplevel["live"]["source"].as_str()?.to_string())))
            .with_context(|| format!("no live toplevel {key}"))
    }

    /// Saves `GET /version` answering `v1`, `v2`, … and times each from the
    /// save to the first response of the new text (served by the interpreter
    /// while the version compiles), and to the end of its compile (when the
    /// summary stops saying `compiling`).
    pub async fn edit_to_live(&self, edits: usize) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
        let (id, _) = self.toplevel("GET /version").await?;
        let mut times = Vec::with_capacity(edits);
        let mut compiled = Vec::with_capacity(edits);
        for edit in 1..=edits {
            let expected = format!("v{edit}");
            let source = format!("handler GET /version =\n  Http.text(\"{expected}\", 200)\n");
            let started = Instant::now();
            let saved = self
                .call(self.client.put(self.server.api(&format!("/toplevels/{id}"))).json(&json!({"source": source})))
                .await?;
            if saved["state"] != "live" {
                bail!("the save did not go live: {saved}");
            }
            loop {
                let body = self.client.get(self.server.route("/version")).send().await?.text().await?;
                if body == expected {
                    break;
                }
                if started.elapsed() > Duration::from_secs(10) {
                    bail!("after 10 s `GET /version` still answers {body:?}, not {expected:?}");
                }
            }
            times.push(started.elapsed());
            while self.call(self.client.get(self.server.api(""))).await?["compiling"] == true {
                if started.elapsed() > Duration::from_secs(10) {
                    bail!("after 10 s version {expected} is still compiling");
                }
            }
            compiled.push(started.elapsed());
        }
        Ok((times, compiled))
    }

    /// Records a trace of `POST /invoice`, then times `analyses` live-values
    /// requests for its handler's source against it.
    pub async fn live_values(&self, analyses: usize) -> anyhow::Result<Vec<Duration>> {
        let response = self
            .client
            .post(self.server.route("/invoice"))
            .header("content-type", "application/json")
            .body(INVOICE)
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == 200,
            "POST /invoice answered {}: {}",
            response.status(),
            response.text().await?
        );
        let (toplevel_id, source) = self.toplevel("POST /invoice").await?;
        let traces = self
            .call(self.client.get(self.server.api("/traces")).query(&[("key", "POST /invoice"), ("limit", "1")]))
            .await?;
        let trace_id = traces[0]["id"].as_str().context("no trace of POST /invoice")?.to_string();
        let request = json!({"trace_id": trace_id, "toplevel_id": toplevel_id, "source": source});
        let mut times = Vec::with_capacity(analyses);
        for _ in 0..analyses {
            let started = Instant::now();
            let answer = self.call(self.client.post(self.server.api("/live-values")).json(&request)).await?;
            times.push(started.elapsed());
            let expressions = answer["expressions"].as_array().map_or(0, Vec::len);
            if answer["response"]["status"] != 200 || expressions < 100 {
                bail!(
                    "the analysis did not run the handler through: {expressions} expressions, {}",
                    answer["response"]
                );
            }
        }
        Ok(times)
    }
}
