//! The key a trace is stored under: which handler, worker or cron ran, or
//! which unrouted request it was. Its text form is stored in databases and
//! sent on the wire, so [`Display`](std::fmt::Display) and
//! [`FromStr`](std::str::FromStr) must keep it exactly.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Prefix of the key of a request no handler routes (`404 GET /missing`).
const NOT_FOUND: &str = "404 ";
/// Prefix of a worker run's key (`WORKER email`).
const WORKER: &str = "WORKER ";
/// Prefix of a cron run's key (`CRON nightly`).
const CRON: &str = "CRON ";

/// What a trace is a trace of.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TraceKey {
    /// `GET /todos/:id`: a request a handler served, by its declared route.
    Handler { method: String, route: String },
    /// `404 GET /missing`: a request no handler routes, by its stored path.
    NotFound { method: String, path: String },
    /// `WORKER email`: an event a worker took from its queue.
    Worker(String),
    /// `CRON nightly`: a run of a cron.
    Cron(String),
}

impl TraceKey {
    /// Whether `key` is the text of a [`TraceKey::NotFound`], without parsing
    /// it: the store asks for every trace it writes.
    pub fn is_not_found(key: &str) -> bool {
        key.starts_with(NOT_FOUND)
    }
}

impl fmt::Display for TraceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceKey::Handler { method, route } => write!(f, "{method} {route}"),
            TraceKey::NotFound { method, path } => write!(f, "{NOT_FOUND}{method} {path}"),
            TraceKey::Worker(name) => write!(f, "{WORKER}{name}"),
            TraceKey::Cron(name) => write!(f, "{CRON}{name}"),
        }
    }
}

/// A handler key without a space between method and route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseTraceKeyError(pub String);

impl fmt::Display for ParseTraceKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a trace key (`METHOD ROUTE`, `404 METHOD PATH`, `WORKER NAME` or `CRON NAME`)", self.0)
    }
}

impl std::error::Error for ParseTraceKeyError {}

impl FromStr for TraceKey {
    type Err = ParseTraceKeyError;

    fn from_str(key: &str) -> Result<TraceKey, ParseTraceKeyError> {
        if let Some(rest) = key.strip_prefix(NOT_FOUND) {
            // A request line without a path still names its method.
            let (method, path) = rest.split_once(' ').unwrap_or((rest, ""));
            return Ok(TraceKey::NotFound { method: method.to_string(), path: path.to_string() });
        }
        if let Some(name) = key.strip_prefix(WORKER) {
            return Ok(TraceKey::Worker(name.to_string()));
        }
        if let Some(name) = key.strip_prefix(CRON) {
            return Ok(TraceKey::Cron(name.to_string()));
        }
        match key.split_once(' ') {
            Some((method, route)) => Ok(TraceKey::Handler { method: method.to_string(), route: route.to_string() }),
            None => Err(ParseTraceKeyError(key.to_string())),
        }
    }
}

impl Serialize for TraceKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TraceKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TraceKey, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handler(method: &str, route: &str) -> TraceKey {
        TraceKey::Handler { method: method.into(), route: route.into() }
    }

    fn not_found(method: &str, path: &str) -> TraceKey {
        TraceKey::NotFound { method: method.into(), path: path.into() }
    }

    #[test]
    fn text_forms_round_trip() {
        for (key, text) in [
            (handler("GET", "/todos/:id"), "GET /todos/:id"),
            (not_found("POST", "/b c"), "404 POST /b c"),
            (TraceKey::Worker("email".into()), "WORKER email"),
            (TraceKey::Cron("nightly".into()), "CRON nightly"),
        ] {
            assert_eq!(key.to_string(), text);
            assert_eq!(text.parse::<TraceKey>(), Ok(key.clone()));
            assert_eq!(serde_json::to_string(&key).ok(), serde_json::to_string(text).ok());
        }
    }

    #[test]
    fn odd_keys() {
        assert_eq!("404 GET".parse::<TraceKey>(), Ok(not_found("GET", "")));
        assert_eq!("404 GET /a b".parse::<TraceKey>(), Ok(not_found("GET", "/a b")));
        assert!("nospace".parse::<TraceKey>().is_err());
        assert!(TraceKey::is_not_found("404 GET /"));
        assert!(!TraceKey::is_not_found("GET /404"));
    }
}
