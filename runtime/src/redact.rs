//! Redaction, applied to a trace before it is stored: header values by name
//! (of the request, the response and outbound calls), fields of JSON bodies by
//! path, and the value of every secret the run read, wherever it ended up
//! (effect arguments, logs, the response). The handler sees the request as it
//! came; the trace, and so replays and live values, see `<redacted>`.

use gloam_interpreter::{json, json_text};
use gloam_trace_store::{LogLine, RecordedEffect, Trace};

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

    pub fn apply(&self, trace: &mut Trace, secrets: &SecretValues) {
        for headers in [&mut trace.request.headers, &mut trace.response.headers] {
            for (name, value) in headers.iter_mut() {
                if self.is_redacted_header(name) {
                    *value = REDACTED.to_string();
                }
            }
        }
        for body in [&mut trace.request.body, &mut trace.response.body] {
            self.redact_json(body);
        }
        for effect in trace.effects.iter_mut().filter(|effect| effect.function.starts_with("Http.")) {
            let results = effect.result.as_mut().ok().into_iter();
            effect.arguments.iter_mut().chain(results).for_each(|value| self.redact_stored_headers(value));
        }
        let response = Some((&mut trace.response.headers, &mut trace.response.body));
        secrets.scrub_run(response, &mut trace.effects, &mut trace.logs, trace.error.as_mut());
        // A worker's event (its request body) can carry its sender's secrets.
        secrets.scrub(&mut trace.request.body);
        trace.request.headers.iter_mut().for_each(|(_, value)| secrets.scrub(value));
    }

    fn is_redacted_header(&self, name: &str) -> bool {
        self.headers.iter().any(|redacted| name.eq_ignore_ascii_case(redacted))
    }

    /// Header dicts of outbound calls, in the stored value encoding
    /// (`{"Dict": {"authorization": {"String": …}}}`), anywhere in a value.
    fn redact_stored_headers(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(fields) => {
                if let Some(serde_json::Value::Object(entries)) = fields.get_mut("Dict") {
                    for (name, entry) in entries.iter_mut() {
                        if self.is_redacted_header(name) {
                            *entry = serde_json::json!({ "String": REDACTED });
                        }
                    }
                }
                fields.values_mut().for_each(|field| self.redact_stored_headers(field));
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| self.redact_stored_headers(item)),
            _ => {}
        }
    }

    fn redact_json(&self, body: &mut String) {
        if self.json_paths.is_empty() {
            return;
        }
        let mut json = match json_text::parse::<serde_json::Value>(body.as_bytes(), MAX_REDACTED_DEPTH) {
            Ok(json) => json,
            // Too deep to look into: nothing of it may reach the store.
            Err(json_text::TextError::TooDeep { found, .. }) => {
                *body =
                    format!("{REDACTED} (a JSON body nested {found} levels deep, too deep to redact field by field)");
                return;
            }
            // Half JSON (trailing text, a number out of range): its fields may be
            // there, and cannot be found one by one.
            Err(json_text::TextError::Invalid(_)) if looks_like_json(body) => {
                *body = format!(
                    "{REDACTED} (a body that looks like JSON but does not parse, so fields cannot be redacted)"
                );
                return;
            }
            // Not JSON: it has no fields to redact.
            Err(json_text::TextError::Invalid(_)) => return,
        };
        let mut changed = false;
        for path in &self.json_paths {
            changed |= redact_path(&mut json, path);
        }
        if changed && let Ok(text) = json_text::to_text(&json) {
            *body = text;
        }
    }
}

/// Whether a body starts as a JSON object or array does (after a byte-order mark).
fn looks_like_json(body: &str) -> bool {
    body.trim_start_matches('\u{feff}').trim_start().starts_with(['{', '['])
}

/// JSON bodies nested deeper than this are stored as [`REDACTED`] whole when
/// fields are to be redacted: deeper than any JSON Gloam reads or writes.
const MAX_REDACTED_DEPTH: usize = 4 * json::MAX_DEPTH;

/// Secrets shorter than this are not searched for: a one-character secret
/// would redact that character everywhere.
const MIN_SECRET_CHARS: usize = 4;

/// The values of the secrets a run read, to be cut out of all it leaves behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretValues(Vec<String>);

impl SecretValues {
    /// A secret's value, as it is and as it looks escaped in Gloam text and
    /// JSON strings, so it is found in printed values and JSON bodies too.
    pub fn add(&mut self, value: &str) {
        if value.chars().count() < MIN_SECRET_CHARS {
            return;
        }
        let gloam = format!("{value:?}");
        let json = serde_json::Value::String(value.to_string()).to_string();
        for form in [value, &gloam[1..gloam.len() - 1], &json[1..json.len() - 1]] {
            if !self.0.iter().any(|known| known == form) {
                self.0.push(form.to_string());
            }
        }
        // Longest first: a secret that starts another must not leave its tail behind.
        self.0.sort_by_key(|known| std::cmp::Reverse(known.len()));
    }

    /// Adds the secrets another run read (a worker inherits its sender's).
    pub fn extend(&mut self, other: &SecretValues) {
        for known in &other.0 {
            if !self.0.contains(known) {
                self.0.push(known.clone());
            }
        }
        self.0.sort_by_key(|known| std::cmp::Reverse(known.len()));
    }

    pub fn scrub(&self, text: &mut String) {
        for secret in &self.0 {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), REDACTED);
            }
        }
    }

    /// Everything a run leaves behind: its response, effects, logs and error.
    pub fn scrub_run(
        &self,
        response: Option<(&mut Vec<(String, String)>, &mut String)>,
        effects: &mut [RecordedEffect],
        logs: &mut [LogLine],
        error: Option<&mut String>,
    ) {
        if self.0.is_empty() {
            return;
        }
        if let Some((headers, body)) = response {
            headers.iter_mut().for_each(|(_, value)| self.scrub(value));
            self.scrub(body);
        }
        for effect in effects {
            effect.arguments.iter_mut().for_each(|value| self.scrub_json(value));
            match &mut effect.result {
                Ok(value) => self.scrub_json(value),
                Err(message) => self.scrub(message),
            }
        }
        logs.iter_mut().for_each(|line| self.scrub(&mut line.message));
        if let Some(error) = error {
            self.scrub(error);
        }
    }

    pub fn scrub_json(&self, json: &mut serde_json::Value) {
        match json {
            serde_json::Value::String(text) => self.scrub(text),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| self.scrub_json(item)),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(|field| self.scrub_json(field)),
            _ => {}
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
        redaction.apply(&mut trace, &SecretValues::default());
        assert_eq!(trace.request.headers[0].1, REDACTED);
        assert_eq!(trace.request.headers[1].1, "*/*");
        assert_eq!(trace.response.headers[0].1, REDACTED);
        assert_eq!(
            trace.request.body,
            r#"{"user":"ada","password":"<redacted>","cards":[{"number":"<redacted>","exp":"12/30"}]}"#
        );
    }

    #[test]
    fn fields_are_redacted_at_any_depth_and_deeper_bodies_whole() {
        let redaction = Redaction::new(Vec::<String>::new(), ["password"]);
        // Past serde_json's 128 levels, within what Gloam reads: field by field.
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let deep = format!(r#"{{"password":"hunter2","x":{}}}"#, nested(2_000));
        let mut within = trace(vec![], &deep);
        redaction.apply(&mut within, &SecretValues::default());
        assert!(
            within.request.body.starts_with(r#"{"password":"<redacted>","x":[[["#),
            "{}",
            &within.request.body[..40]
        );
        // Deeper than that: nothing of it is stored.
        let hostile = format!(r#"{{"password":"hunter2","x":{}}}"#, nested(100_000));
        let mut past = trace(vec![], &hostile);
        redaction.apply(&mut past, &SecretValues::default());
        assert_eq!(
            past.request.body,
            "<redacted> (a JSON body nested 100001 levels deep, too deep to redact field by field)"
        );
        // Half JSON fails closed too; plain text is left alone.
        for broken in
            [r#"{"password":"hunter2"}x"#, "\u{feff}{\"password\":\"hunter2\"}", r#"[{"password":"x","n":1e400}]"#]
        {
            let mut half = trace(vec![], broken);
            redaction.apply(&mut half, &SecretValues::default());
            assert!(
                half.request.body.starts_with("<redacted> (a body that looks like JSON"),
                "{broken}: {}",
                half.request.body
            );
        }
    }

    #[test]
    fn bodies_without_the_fields_are_left_as_they_are() {
        let redaction = Redaction::new(Vec::<String>::new(), ["password"]);
        let mut untouched = trace(vec![], "{ \"user\": \"ada\" }");
        redaction.apply(&mut untouched, &SecretValues::default());
        assert_eq!(untouched.request.body, "{ \"user\": \"ada\" }");
        let mut text = trace(vec![], "password=hunter2");
        redaction.apply(&mut text, &SecretValues::default());
        assert_eq!(text.request.body, "password=hunter2");
    }

    #[test]
    fn secret_values_are_cut_out_of_effects_logs_and_the_response() {
        let mut secrets = SecretValues::default();
        secrets.add("tok-123456");
        secrets.add("abc"); // too short to search for
        let mut trace = trace(vec![], "{}");
        trace.response.body = "your token is tok-123456".into();
        trace.logs.push(gloam_trace_store::LogLine { level: "info".into(), message: "using tok-123456".into() });
        trace.effects.push(gloam_trace_store::RecordedEffect {
            site: 1,
            function: "Http.request".into(),
            arguments: vec![serde_json::json!({ "Dict": {
                "x-token": { "String": "Bearer tok-123456" },
                "authorization": { "String": "Basic abc" },
                "accept": { "String": "abc" }
            } })],
            result: Err("401 for tok-123456".into()),
        });
        Redaction::default().apply(&mut trace, &secrets);
        let stored = serde_json::to_string(&trace).expect("json");
        assert!(!stored.contains("tok-123456"), "{stored}");
        assert_eq!(trace.effects[0].arguments[0]["Dict"]["authorization"]["String"], REDACTED);
        assert_eq!(trace.effects[0].arguments[0]["Dict"]["accept"]["String"], "abc");
        assert_eq!(trace.logs[0].message, "using <redacted>");
    }

    #[test]
    fn longer_secrets_first_and_escaped_forms_too() {
        let mut secrets = SecretValues::default();
        secrets.add("abcd");
        secrets.add("abcdefgh");
        secrets.add("pa\"ss\\word");
        let mut text = "abcdefgh abcd".to_string();
        secrets.scrub(&mut text);
        assert_eq!(text, "<redacted> <redacted>");
        let mut printed = format!("{:?}", "pa\"ss\\word");
        secrets.scrub(&mut printed);
        assert_eq!(printed, "\"<redacted>\"");
        let mut json = serde_json::json!({ "k": "pa\"ss\\word" }).to_string();
        secrets.scrub(&mut json);
        assert_eq!(json, r#"{"k":"<redacted>"}"#);
    }
}
