//! The CLI's side of the editor API: `gloam push`, `pull`, `traces`, `replay`
//! call a running server exactly as the canvas UI does.

use anyhow::{Context, bail};
use gloam_api::ErrorBody;
use gloam_interpreter::wire;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Where the editor API is and how to get in.
#[derive(Clone, clap::Args)]
pub struct Remote {
    /// The server's address.
    #[arg(long, env = "GLOAM_SERVER", default_value = "http://127.0.0.1:8000")]
    pub server: String,
    #[arg(long, env = "GLOAM_CANVAS")]
    pub canvas: String,
    /// The canvas's API token (`gloam serve` prints it).
    #[arg(long, env = "GLOAM_TOKEN", hide_env_values = true)]
    pub token: String,
}

impl Remote {
    fn url(&self, path: &str) -> String {
        format!("{}/_gloam/api/canvases/{}{path}", self.server.trim_end_matches('/'), self.canvas)
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> anyhow::Result<T> {
        let response =
            request.bearer_auth(&self.token).send().await.with_context(|| format!("cannot reach {}", self.server))?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            let (message, rendered) = match serde_json::from_str::<ErrorBody>(&text) {
                Ok(body) => {
                    let rendered = body.diagnostics.unwrap_or_default().into_iter().map(|d| d.rendered).collect();
                    (body.message, rendered)
                }
                // Not the editor API's refusal (a proxy's page, say): shown as it came, quoted.
                Err(_) => {
                    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
                    (body.to_string(), Vec::new())
                }
            };
            bail!("{status}: {message}\n{}", rendered.join("\n"));
        }
        // Traces and replays hold recorded values, nested past serde_json's default limit.
        wire::parse_document(text.as_bytes()).with_context(|| format!("unexpected answer from the server: {text}"))
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        self.send(reqwest::Client::new().get(self.url(path))).await
    }

    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> anyhow::Result<T> {
        self.send(reqwest::Client::new().post(self.url(path)).json(body)).await
    }

    pub async fn put<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> anyhow::Result<T> {
        self.send(reqwest::Client::new().put(self.url(path)).json(body)).await
    }
}
