//! Reading JSON text nested as deep as Gloam's own limits allow.
//!
//! serde_json's parser stops at 128 levels, far below what a program can
//! build and store, so every JSON text of Gloam's (a `Json.decode`, a stored
//! row, a value crossing the sandbox's wall) is read here instead: its
//! nesting is measured first, in one pass without recursion, and a text
//! deeper than the caller's limit is refused with a plain message; a text
//! within it is parsed without serde_json's limit on a stack grown to fit
//! (on the host; the sandbox's stack is sized for the limits).

use serde::de::DeserializeOwned;

/// Stack reserved per level of nesting while parsing: serde's frames for one
/// level (a map, a sequence, a tagged enum) stay well within it.
const STACK_PER_LEVEL: usize = 4 * 1024;

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

/// How deep the arrays and objects of a JSON tree nest, walked without recursion.
pub fn tree_nesting(json: &serde_json::Value) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(json, 0usize)];
    while let Some((json, depth)) = pending.pop() {
        let children: Box<dyn Iterator<Item = &serde_json::Value>> = match json {
            serde_json::Value::Array(items) => Box::new(items.iter()),
            serde_json::Value::Object(fields) => Box::new(fields.values()),
            _ => continue,
        };
        deepest = deepest.max(depth + 1);
        pending.extend(children.map(|child| (child, depth + 1)));
    }
    deepest
}

/// The stack that serde's recursion over JSON nested `nesting` levels needs.
pub fn stack_for(nesting: usize) -> usize {
    256 * 1024 + nesting * STACK_PER_LEVEL
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
    let stack = stack_for(found);
    gloam_language::stack::grow(stack, stack, || {
        let mut deserializer = serde_json::Deserializer::from_slice(text);
        deserializer.disable_recursion_limit();
        let value = T::deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(value)
    })
    .map_err(|error: serde_json::Error| TextError::Invalid(error.to_string()))
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
