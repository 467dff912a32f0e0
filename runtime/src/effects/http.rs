//! `Http.get`, `Http.post`, `Http.request`, `Http.requestWithSecrets`:
//! outbound calls through the canvas's client (per canvas, in the run's
//! budget: its allow-list, its in-flight limit), given up when the client
//! that started the run has gone.

use crate::budget::RunBudget;
use crate::outbound::refusal_in;
use crate::redact::SecretValues;
use gloam_interpreter::Value;
use gloam_interpreter::effects::{EffectError, HttpCall, OutboundRequest};
use std::collections::BTreeMap;

/// Outbound response bodies larger than this fail the call.
const MAX_OUTBOUND_BODY: usize = 10 * 1024 * 1024;

pub async fn perform(budget: &RunBudget, call: HttpCall) -> Result<Value, EffectError> {
    match call {
        HttpCall::Send(request) => send(budget, &request).await,
        HttpCall::Unfilled { message } => Ok(Value::error(Value::string(message))),
    }
}

/// Sends a request. Network failures and refusals are the Gloam `Error`
/// value, not a failure of the handler. Whatever the call gives back (a
/// network error names its URL) holds none of the secrets it was given.
async fn send(budget: &RunBudget, request: &OutboundRequest) -> Result<Value, EffectError> {
    let mut used = SecretValues::default();
    request.secrets.iter().for_each(|secret| used.add(secret.expose()));
    let scrubbed = |mut message: String| {
        used.scrub(&mut message);
        message
    };
    match unscrubbed(budget, request).await.map_err(|error| error.map_text(scrubbed))? {
        Value::Variant(variant) if variant.case == "Error" => match variant.payload.first() {
            Some(Value::String(message)) => Ok(Value::error(Value::string(scrubbed(message.to_string())))),
            _ => Ok(Value::Variant(variant)),
        },
        answer => Ok(answer),
    }
}

async fn unscrubbed(budget: &RunBudget, request: &OutboundRequest) -> Result<Value, EffectError> {
    let OutboundRequest { method, url, headers, body, written_url: _, secrets: _ } = request;
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| EffectError::NotAMethod(method.clone()))?;
    // Refusals are `Error` values, like network failures: the handler decides what to answer.
    let refused = |why: String| Ok(Value::error(Value::string(format!("refused: {why}"))));
    let _in_flight = match budget.canvas.outbound_call() {
        Ok(permit) => permit,
        Err(over) => return refused(over.to_string()),
    };
    if let Ok(parsed) = reqwest::Url::parse(url)
        && let Err(policy) = budget.outbound.policy.check_target(&parsed).await
    {
        return refused(policy.to_string());
    }
    // The call's span as the callee's parent; a `traceparent` of the handler's own wins.
    let mut request =
        budget.outbound.http.request(method, url).headers(crate::telemetry::trace_headers(headers)).body(body.clone());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let call = async move {
        let mut response = request.send().await.map_err(|error| describe_reqwest(&error))?;
        let status = response.status().as_u16();
        let headers: BTreeMap<String, Value> = response
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str().to_string(), Value::string(value.to_str().ok()?))))
            .collect();
        let too_large = || format!("the response body is larger than {MAX_OUTBOUND_BODY} bytes");
        if response.content_length().is_some_and(|length| length > MAX_OUTBOUND_BODY as u64) {
            return Err(too_large());
        }
        // Read as it comes, so a body without a length cannot grow past the limit.
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|error| describe_reqwest(&error))? {
            if bytes.len() + chunk.len() > MAX_OUTBOUND_BODY {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Value::record(
            "Http.Response",
            vec![
                ("status".into(), Value::Int(i64::from(status))),
                ("headers".into(), Value::dict(headers)),
                ("body".into(), Value::string(String::from_utf8_lossy(&bytes).into_owned())),
            ],
        ))
    };
    let result = tokio::select! {
        result = call => result,
        () = budget.given_up() => return Err(EffectError::ClientGone {
            url: url.clone(),
            seconds: budget.canvas.limits.client_gone_grace.as_secs(),
        }),
    };
    Ok(match result {
        Ok(response) => Value::ok(response),
        Err(message) => Value::error(Value::string(message)),
    })
}

fn describe_reqwest(error: &reqwest::Error) -> String {
    if let Some(refused) = refusal_in(error) {
        format!("refused: {refused}")
    } else if error.is_timeout() {
        format!("timed out: {error}")
    } else if error.is_connect() {
        format!("cannot connect: {error}")
    } else {
        error.to_string()
    }
}
