//! HTTP requests and responses as values: what a handler receives and returns.

use crate::error::ErrorKind;
use crate::json::to_json_text;
use crate::value::Value;
use gloam_language::types::table::params_type_name;
use std::collections::BTreeMap;

/// An incoming request, as the runtime hands it over.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What a handler's value becomes on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Parses a request written as one line, `METHOD /path?query [body]`, as in
/// example scripts and test directives. A body is sent as JSON. The path and
/// query are taken as a server takes them (see [`split_target`]).
pub fn parse_request_line(line: &str) -> Result<HttpRequest, String> {
    let mut parts = line.trim().splitn(3, char::is_whitespace);
    let method = parts.next().filter(|m| !m.is_empty()).ok_or("empty request line")?.to_uppercase();
    let target = parts.next().ok_or_else(|| format!("no path in request `{line}`"))?;
    if !target.starts_with('/') {
        return Err(format!("the path in `{line}` must start with `/`"));
    }
    let body = parts.next().unwrap_or("").trim().to_string();
    let (path, query) = split_target(target);
    let headers = if body.is_empty() { vec![] } else { vec![("content-type".into(), "application/json".into())] };
    Ok(HttpRequest { method, path, query, headers, body })
}

/// A request target (`/echo/a%2Fb?q=1+2`) as a request holds it: the path as
/// it came, still percent-encoded (routes match its segments, then each
/// parameter is decoded, so a parameter can hold `/`), and the query's pairs
/// decoded (`+` is a space).
pub fn split_target(target: &str) -> (String, Vec<(String, String)>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    (path.to_string(), parse_query(query))
}

/// The decoded pairs of a query string (`a=1&b=x+y`).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// A percent-encoded path or segment, decoded (invalid UTF-8 becomes U+FFFD).
pub fn decode_path(path: &str) -> String {
    percent_encoding::percent_decode_str(path).decode_utf8_lossy().into_owned()
}

/// Matches a route such as `/todos/:id` against a request's (percent-encoded)
/// path, segment by segment, each segment decoded; returns the parameters
/// when it matches. A trailing `/` is ignored on both.
pub fn match_route(route: &str, path: &str) -> Option<Vec<(String, String)>> {
    let route_segments: Vec<&str> = route.trim_end_matches('/').split('/').collect();
    let path_segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if route_segments.len() != path_segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (route_segment, path_segment) in route_segments.iter().zip(&path_segments) {
        let segment = decode_path(path_segment);
        match route_segment.strip_prefix(':') {
            Some(name) if !segment.is_empty() => params.push((name.to_string(), segment)),
            Some(_) => return None,
            // A literal segment matches however it is written (`caf%C3%A9` is `café`).
            None if decode_path(route_segment) == segment => {}
            None => return None,
        }
    }
    Some(params)
}

/// The `request` value a handler for `route` sees.
pub fn request_value(route: &str, request: &HttpRequest) -> Value {
    let params = match_route(route, &request.path).unwrap_or_default();
    let dict = |pairs: &[(String, String)], lower: bool| {
        let entries: BTreeMap<String, Value> = pairs
            .iter()
            .map(|(k, v)| (if lower { k.to_lowercase() } else { k.clone() }, Value::string(v.as_str())))
            .collect();
        Value::dict(entries)
    };
    Value::record(
        "Request",
        vec![
            ("method".into(), Value::string(request.method.as_str())),
            ("path".into(), Value::string(decode_path(&request.path))),
            (
                "params".into(),
                Value::record(
                    &params_type_name(route),
                    params.into_iter().map(|(k, v)| (k, Value::string(v))).collect(),
                ),
            ),
            ("query".into(), dict(&request.query, false)),
            ("headers".into(), dict(&request.headers, true)),
            ("body".into(), Value::string(request.body.as_str())),
        ],
    )
}

/// The String entries of a `Dict<String>` (headers), in key order; empty for other values.
pub fn string_entries(dict: &Value) -> Vec<(String, String)> {
    match dict {
        Value::Dict(entries) => entries
            .iter()
            .filter_map(|(name, value)| match value {
                Value::String(text) => Some((name.clone(), text.to_string())),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A response as the `Http.Response` record that stands for it
/// (`response_from_value` gives it back unchanged).
pub fn response_value(response: &HttpResponse) -> Value {
    let headers = response.headers.iter().map(|(name, value)| (name.clone(), Value::string(value.as_str())));
    Value::record(
        "Http.Response",
        vec![
            ("status".into(), Value::Int(i64::from(response.status))),
            ("headers".into(), Value::Dict(headers.collect())),
            ("body".into(), Value::string(response.body.as_str())),
        ],
    )
}

/// A handler's value as a response: an `Http.Response` as it is, a String as
/// `text/plain`, anything else as JSON; all with status 200 unless given.
pub fn response_from_value(value: &Value) -> Result<HttpResponse, ErrorKind> {
    if let Value::Record(record) = value
        && record.type_name == "Http.Response"
    {
        let refuse = |message: String| ErrorKind::Builtin { function: "Http.Response", message };
        let status = match value.field("status") {
            Some(Value::Int(status)) if (200..=599).contains(status) => *status as u16,
            // 1xx are interim answers the server gives itself, never a handler's final one.
            Some(Value::Int(status)) => {
                return Err(refuse(format!("status {status} is not a final status: give one from 200 to 599")));
            }
            _ => 200,
        };
        let headers = value.field("headers").map_or_else(Vec::new, string_entries);
        if let Some((name, value)) = headers.iter().find(|(name, value)| !header_is_valid(name, value)) {
            return Err(refuse(format!(
                "the header `{}: {}` cannot be sent: names are letters, digits and !#$%&'*+-.^_`|~; values have no control characters",
                name.escape_debug(),
                value.escape_debug()
            )));
        }
        if let Some((name, _)) =
            headers.iter().find(|(name, _)| FRAMING_HEADERS.contains(&name.to_ascii_lowercase().as_str()))
        {
            return Err(refuse(format!(
                "the header `{name}` is the server's: it says how the response is framed and sent, and the server sets it"
            )));
        }
        let body = match value.field("body") {
            Some(Value::String(body)) => body.to_string(),
            _ => String::new(),
        };
        if matches!(status, 204 | 304) && !body.is_empty() {
            return Err(refuse(format!("a {status} response has no body; this one has {} bytes", body.len())));
        }
        return Ok(HttpResponse { status, headers, body });
    }
    if let Value::String(text) = value {
        return Ok(HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: text.to_string(),
        });
    }
    Ok(HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: to_json_text(value)?.0,
    })
}

/// Headers that frame a response or manage the connection: the server sets
/// them (RFC 9110 §6.4, §7.6.1); one from a handler would contradict the body
/// it sent or the connection it runs on.
const FRAMING_HEADERS: [&str; 8] =
    ["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer", "proxy-connection"];

/// Whether HTTP/1.1 can carry a header as it is: a name of token characters
/// (RFC 9110 §5.1), a value without control characters (no line breaks, no
/// NUL; tabs and UTF-8 text are fine) — what the `http` crate accepts.
fn header_is_valid(name: &str, value: &str) -> bool {
    let token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    !name.is_empty() && name.bytes().all(token) && value.bytes().all(|c| c == b'\t' || (c >= b' ' && c != 0x7f))
}
