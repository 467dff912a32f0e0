//! JSON text read and written as deep as Gloam's own limits allow.
//!
//! serde_json's parser stops at 128 levels, far below what a program can
//! build and store, so every JSON text of Gloam's (a `Json.decode`, a stored
//! row, a value crossing the sandbox's wall, a trace) is read here instead:
//! its nesting is measured first, in one pass without recursion, and a text
//! deeper than the caller's limit is refused with a plain message (so a
//! hostile body cannot make the parser grow a stack without end); a text
//! within it is parsed without serde_json's limit, on the host through
//! `serde_stacker`, which grows the stack as deep as serde recurses. Inside
//! the sandbox there is no stacker: its stack is sized for the limits.

use serde::Serialize;
use serde::de::{Deserialize, DeserializeOwned, Deserializer};

/// How deep the arrays and objects of a JSON text nest (0 for a scalar).
/// Brackets inside strings do not count; the text need not be valid JSON.
pub fn nesting(text: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &byte in text {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Why a text was not read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TextError {
    #[error("the JSON is nested {found} levels deep, more than the limit of {limit}")]
    TooDeep { found: usize, limit: usize },
    #[error("{0}")]
    Invalid(String),
}

/// Parses `text` as a `T` when its arrays and objects nest at most `limit` levels.
pub fn parse<T: DeserializeOwned>(text: &[u8], limit: usize) -> Result<T, TextError> {
    let found = nesting(text);
    if found > limit {
        return Err(TextError::TooDeep { found, limit });
    }
    let invalid = |error: serde_json::Error| TextError::Invalid(error.to_string());
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    deserializer.disable_recursion_limit();
    let value = deserialize_deep(&mut deserializer).map_err(invalid)?;
    deserializer.end().map_err(invalid)?;
    Ok(value)
}

/// A `T` from a deserializer that may recurse as deep as its input nests
/// (bounded by the caller, as [`parse`] bounds it).
pub fn deserialize_deep<'de, T: Deserialize<'de>, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    #[cfg(not(target_arch = "wasm32"))]
    return T::deserialize(serde_stacker::Deserializer::new(deserializer));
    #[cfg(target_arch = "wasm32")]
    return T::deserialize(deserializer);
}

/// The JSON text of `value`, which may nest as deep as the limits allow.
pub fn to_text<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut text = Vec::new();
    let mut serializer = serde_json::Serializer::new(&mut text);
    #[cfg(not(target_arch = "wasm32"))]
    value.serialize(serde_stacker::Serializer::new(&mut serializer))?;
    #[cfg(target_arch = "wasm32")]
    value.serialize(&mut serializer)?;
    // serde_json writes only valid UTF-8.
    Ok(String::from_utf8(text).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()))
}

/// The JSON tree of `value`, which may nest as deep as the limits allow.
pub fn to_tree<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value, serde_json::Error> {
    #[cfg(not(target_arch = "wasm32"))]
    return value.serialize(serde_stacker::Serializer::new(serde_json::value::Serializer));
    #[cfg(target_arch = "wasm32")]
    return value.serialize(serde_json::value::Serializer);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_brackets_outside_strings() {
        for (text, depth) in
            [("1", 0), ("[]", 1), (r#"{"a": [1, {"b": []}]}"#, 4), (r#"["[[[", "\"[["]"#, 1), (r#"[[], [[]]]"#, 3)]
        {
            assert_eq!(nesting(text.as_bytes()), depth, "{text}");
        }
    }

    #[test]
    fn parses_up_to_the_limit_and_refuses_past_it() {
        for limit in [1, 128, 129, 2_000] {
            let text = format!("{}{}", "[".repeat(limit), "]".repeat(limit));
            let json: serde_json::Value = parse(text.as_bytes(), limit).expect("within the limit");
            assert_eq!(nesting(json.to_string().as_bytes()), limit);
            let deeper = format!("[{text}]");
            assert_eq!(
                parse::<serde_json::Value>(deeper.as_bytes(), limit),
                Err(TextError::TooDeep { found: limit + 1, limit })
            );
        }
    }

    #[test]
    fn invalid_text_is_an_error_not_a_panic() {
        for text in ["[", "{\"a\":}", "[1,]", "\"", "[]]"] {
            assert!(matches!(parse::<serde_json::Value>(text.as_bytes(), 10), Err(TextError::Invalid(_))), "{text}");
        }
    }
}
