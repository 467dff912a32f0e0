//! Redaction rules, applied to a trace before it is stored: header values by
//! name (request and response), and fields of JSON bodies by path. The
//! handler sees the request as it came; the trace, and so replays and live
//! values, see `<redacted>`.

use gloam_trace_store::Trace;

/// Credential headers, redacted unless told otherwise.
const DEFAULT_HEADERS: [&str; 4] = ["authorization", "proxy-authorization", "cookie", "set-cookie"];

/// What a redacted value is replaced with.
pub const REDACTED: &str = "<redacted>";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    /// Lower-case header names.
    headers: Vec<String>,
    /// Paths of JSON fields: keys separated by `.`, `*` for any key or array element.
    json_paths: Vec<Vec<String>>,
}

impl Default for Redaction {
    /// Credentials in headers.
    fn default() -> Redaction {
        Redaction::with_defaults(&[], &[])
    }
}

impl Redaction {
    pub fn new(
        headers: impl IntoIterator<Item = impl AsRef<str>>,
        json_paths: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Redaction {
        Redaction {
            headers: headers.into_iter().map(|name| name.as_ref().to_lowercase()).collect(),
            json_paths: json_paths
                .into_iter()
                .map(|path| path.as_ref().split('.').map(str::to_string).collect())
                .collect(),
        }
    }

    /// The default headers, these headers, and these JSON paths.
    pub fn with_defaults(headers: &[String], json_paths: &[String]) -> Redaction {
        let headers = DEFAULT_HEADERS.iter().map(|name| name.to_string()).chain(headers.iter().cloned());
        Redaction::new(headers, json_paths)
    }

    pub fn apply(&self, trace: &mut Trace) {
        for headers in [&mut trace.request.headers, &mut trace.response.headers] {
            for (name, value) in headers.iter_mut() {
                if self.headers.iter().any(|redacted| name.eq_ignore_ascii_case(redacted)) {
                    *value = REDACTED.to_string();
                }
            }
        }
        for body in [&mut trace.request.body, &mut trace.response.body] {
            self.redact_json(body);
        }
    }

    fn redact_json(&self, body: &mut String) {
        if self.json_paths.is_empty() {
            return;
        }
        let Ok(mut json) = serde_json::from_str::<serde_json::Value>(body) else { return };
        let mut changed = false;
        for path in &self.json_paths {
            changed |= redact_path(&mut json, path);
        }
        if changed {
            *body = json.to_string();
        }
    }
}

fn redact_path(json: &mut serde_json::Value, path: &[String]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        *json = serde_json::Value::String(REDACTED.to_string());
        return true;
    };
    let children: Vec<&mut serde_json::Value> = match json {
        serde_json::Value::Object(fields) if first == "*" => fields.values_mut().collect(),
        serde_json::Value::Object(fields) => fields.get_mut(first).into_iter().collect(),
        serde_json::Value::Array(items) if first == "*" => items.iter_mut().collect(),
        _ => Vec::new(),
    };
    // Every match is redacted: no short-circuit.
    let mut changed = false;
    for child in children {
        changed |= redact_path(child, rest);
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use gloam_trace_store::{TraceRequest, TraceResponse};

    fn trace(headers: Vec<(&str, &str)>, body: &str) -> Trace {
        Trace {
            id: "t".into(),
            canvas: "c".into(),
            handler_key: "POST /login".into(),
            received_at_ms: 0,
            code_version: 1,
            request: TraceRequest {
                method: "POST".into(),
                path: "/login".into(),
                headers: headers.into_iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
                body: body.into(),
                ..TraceRequest::default()
            },
            response: TraceResponse {
                status: 200,
                headers: vec![("Set-Cookie".into(), "s=1".into())],
                body: "ok".into(),
            },
            duration_us: 1,
            effects: vec![],
            logs: vec![],
            error: None,
        }
    }

    #[test]
    fn headers_by_name_and_json_fields_by_path() {
        let redaction = Redaction::new(["Authorization", "set-cookie"], ["password", "cards.*.number"]);
        let mut trace = trace(
            vec![("authorization", "Bearer abc"), ("accept", "*/*")],
            r#"{"user":"ada","password":"hunter2","cards":[{"number":"4111","exp":"12/30"}]}"#,
        );
        redaction.apply(&mut trace);
        assert_eq!(trace.request.headers[0].1, REDACTED);
        assert_eq!(trace.request.headers[1].1, "*/*");
        assert_eq!(trace.response.headers[0].1, REDACTED);
        assert_eq!(
            trace.request.body,
            r#"{"user":"ada","password":"<redacted>","cards":[{"number":"<redacted>","exp":"12/30"}]}"#
        );
    }

    #[test]
    fn bodies_without_the_fields_are_left_as_they_are() {
        let redaction = Redaction::new(Vec::<String>::new(), ["password"]);
        let mut untouched = trace(vec![], "{ \"user\": \"ada\" }");
        redaction.apply(&mut untouched);
        assert_eq!(untouched.request.body, "{ \"user\": \"ada\" }");
        let mut text = trace(vec![], "password=hunter2");
        redaction.apply(&mut text);
        assert_eq!(text.request.body, "password=hunter2");
    }
}
