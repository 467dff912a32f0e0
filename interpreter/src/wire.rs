//! Values as JSON, for storage and for crossing the sandbox's wall: effect
//! arguments and results in traces, datastore rows, and the values compiled
//! handlers take and give. Lossless and tagged (`{"Int": 1}`, `{"Record": …}`),
//! so a replay gets back exactly the value that was recorded. Functions cannot
//! be stored. A Secret keeps its value only while it crosses the wall
//! ([`encode_arguments`], [`encode_crossing`]); every stored form writes
//! `<secret>` in its place.

use crate::Value;
use crate::json_text;
use crate::value::{Record, SECRET_SHOWN, SecretText, Variant};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Serialize, Deserialize)]
enum Wire {
    Int(i64),
    Float(f64),
    Bool(bool),
    String(String),
    Char(char),
    Unit,
    List(Vec<Wire>),
    Dict(BTreeMap<String, Wire>),
    Record { type_name: String, fields: Vec<(String, Wire)> },
    Variant { type_name: String, case: String, payload: Vec<Wire> },
    Datastore(String),
    Worker(String),
    Secret(String),
}

/// Whether a Secret's value goes into the wire form.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Secrets {
    /// Crossing the sandbox's wall, within one run.
    Keep,
    /// Anything stored or shown: `<secret>` instead.
    Mask,
}

/// How deep a value may nest to be stored or to cross the sandbox's wall (a
/// list in a list is two levels). Deeper values are refused when they are
/// encoded, at the call that stores them.
pub const MAX_DEPTH: usize = 1_000;

/// Arrays and objects of the wire's JSON per level of a value (a record's
/// field sits in `{"Record": {"fields": [["name", …]]}}`).
const TEXT_LEVELS_PER_VALUE: usize = 4;

/// How deep an effect's answer, or what records it, may nest: a stored value
/// inside one more list or option (`DB.get`, `DB.getAll`). What is stored is
/// held to `MAX_DEPTH` when the call is made (`check_arguments`,
/// `encode_arguments`).
const ANSWER_DEPTH: usize = MAX_DEPTH + 1;

/// How deep the wire text of an answer, or of an effect's arguments in their
/// list, can nest.
const MAX_TEXT_DEPTH: usize = TEXT_LEVELS_PER_VALUE * (ANSWER_DEPTH + 1);

/// The wire form of a value nesting at most `limit` levels.
fn to_wire(value: &Value, limit: usize, secrets: Secrets) -> Result<Wire, String> {
    Walk { limit, secrets }.at(value, 0)
}

/// One value's walk into its wire form.
struct Walk {
    limit: usize,
    secrets: Secrets,
}

impl Walk {
    fn at(&self, value: &Value, depth: usize) -> Result<Wire, String> {
        if depth > self.limit {
            return Err(too_deep());
        }
        gloam_language::stack::grow(64 * 1024, 1024 * 1024, || self.here(value, depth + 1))
    }

    /// `inner`: the depth of the value's parts.
    fn here(&self, value: &Value, inner: usize) -> Result<Wire, String> {
        let to_wire = |value: &Value| self.at(value, inner);
        let all =
            |values: &mut dyn Iterator<Item = &Value>| values.map(&to_wire).collect::<Result<Vec<Wire>, String>>();
        Ok(match value {
            Value::Int(n) => Wire::Int(*n),
            Value::Float(x) => Wire::Float(*x),
            Value::Bool(b) => Wire::Bool(*b),
            Value::String(text) => Wire::String(text.to_string()),
            Value::Char(c) => Wire::Char(*c),
            Value::Unit => Wire::Unit,
            Value::List(items) => Wire::List(all(&mut items.iter())?),
            Value::Dict(entries) => Wire::Dict(
                entries.iter().map(|(key, value)| Ok((key.clone(), to_wire(value)?))).collect::<Result<_, String>>()?,
            ),
            Value::Record(record) => Wire::Record {
                type_name: record.type_name.clone(),
                fields: record
                    .fields
                    .iter()
                    .map(|(name, value)| Ok((name.clone(), to_wire(value)?)))
                    .collect::<Result<_, String>>()?,
            },
            Value::Variant(variant) => Wire::Variant {
                type_name: variant.type_name.clone(),
                case: variant.case.clone(),
                payload: all(&mut variant.payload.iter())?,
            },
            Value::Datastore(name) => Wire::Datastore(name.to_string()),
            Value::Worker(name) => Wire::Worker(name.to_string()),
            Value::Secret(secret) => Wire::Secret(match self.secrets {
                Secrets::Keep => secret.expose().to_string(),
                Secrets::Mask => SECRET_SHOWN.to_string(),
            }),
            Value::Function(_) => return Err(FUNCTION_NOT_STORED.into()),
        })
    }
}

fn from_wire(wire: Wire) -> Value {
    gloam_language::stack::grow(64 * 1024, 1024 * 1024, || from_wire_here(wire))
}

fn from_wire_here(wire: Wire) -> Value {
    match wire {
        Wire::Int(n) => Value::Int(n),
        Wire::Float(x) => Value::Float(x),
        Wire::Bool(b) => Value::Bool(b),
        Wire::String(text) => Value::string(text),
        Wire::Char(c) => Value::Char(c),
        Wire::Unit => Value::Unit,
        Wire::List(items) => Value::list(items.into_iter().map(from_wire).collect()),
        Wire::Dict(entries) => Value::dict(entries.into_iter().map(|(key, value)| (key, from_wire(value))).collect()),
        Wire::Record { type_name, fields } => Value::Record(Arc::new(Record {
            type_name,
            fields: fields.into_iter().map(|(name, value)| (name, from_wire(value))).collect(),
        })),
        Wire::Variant { type_name, case, payload } => {
            Value::Variant(Arc::new(Variant { type_name, case, payload: payload.into_iter().map(from_wire).collect() }))
        }
        Wire::Datastore(name) => Value::Datastore(name.into()),
        Wire::Worker(name) => Value::Worker(name.into()),
        Wire::Secret(value) => Value::Secret(SecretText::new(value)),
    }
}

/// The stored form of a value.
pub fn encode(value: &Value) -> Result<serde_json::Value, String> {
    json_text::to_tree(&to_wire(value, ANSWER_DEPTH, Secrets::Mask)?).map_err(|error| error.to_string())
}

/// The stored form of a value, as text.
pub fn encode_text(value: &Value) -> Result<String, String> {
    json_text::to_text(&to_wire(value, ANSWER_DEPTH, Secrets::Mask)?).map_err(|error| error.to_string())
}

/// An effect's answer as text, for the guest: the stored form, except that
/// a Secret (`Secrets.get`) keeps its value. Never to be stored.
pub fn encode_crossing(value: &Value) -> Result<String, String> {
    json_text::to_text(&to_wire(value, ANSWER_DEPTH, Secrets::Keep)?).map_err(|error| error.to_string())
}

/// An effect call's arguments as one text (a list of each argument's stored
/// form, Secrets kept): how compiled code hands them to the host. Each
/// argument may nest as deep as a stored value may.
pub fn encode_arguments(arguments: &[Value]) -> Result<String, String> {
    let wires = arguments
        .iter()
        .map(|argument| to_wire(argument, MAX_DEPTH, Secrets::Keep))
        .collect::<Result<Vec<Wire>, String>>()?;
    json_text::to_text(&Wire::List(wires)).map_err(|error| error.to_string())
}

/// Whether an effect call's arguments can be handed over (stored, sent,
/// recorded): the interpreter asks before it makes the call, so that it
/// refuses what compiled code cannot encode, at the same call, in the same words.
pub fn check_arguments(arguments: &[Value]) -> Result<(), String> {
    arguments.iter().try_for_each(|argument| check_storable(argument, 0))
}

/// What [`to_wire`] would refuse of a stored value, without building its wire form.
fn check_storable(value: &Value, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    let inner = |value: &Value| check_storable(value, depth + 1);
    gloam_language::stack::grow(64 * 1024, 1024 * 1024, || match value {
        Value::List(items) => items.iter().try_for_each(inner),
        Value::Dict(entries) => entries.values().try_for_each(inner),
        Value::Record(record) => record.fields.iter().try_for_each(|(_, value)| inner(value)),
        Value::Variant(variant) => variant.payload.iter().try_for_each(inner),
        Value::Function(_) => Err(FUNCTION_NOT_STORED.into()),
        _ => Ok(()),
    })
}

fn too_deep() -> String {
    format!("the value is nested more than {MAX_DEPTH} levels deep, too deep to be stored")
}

const FUNCTION_NOT_STORED: &str = "a function cannot be stored";

/// A JSON document that holds stored values inside a few levels of its own
/// (a trace, a replay, an editor API answer), read at any depth they reach.
pub fn parse_document<T: serde::de::DeserializeOwned>(text: &[u8]) -> Result<T, json_text::TextError> {
    const ENVELOPE: usize = 32;
    json_text::parse(text, MAX_TEXT_DEPTH + ENVELOPE)
}

/// A value back from its stored form as text.
pub fn decode_text(text: &[u8]) -> Result<Value, String> {
    json_text::parse::<Wire>(text, MAX_TEXT_DEPTH)
        .map(from_wire)
        .map_err(|error| format!("stored value does not decode: {error}"))
}

/// A value back from its stored form.
pub fn decode(json: &serde_json::Value) -> Result<Value, String> {
    json_text::deserialize_deep::<Wire, _>(json)
        .map(from_wire)
        .map_err(|error| format!("stored value does not decode: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_storable_kind_round_trips() {
        let record =
            Value::record("Todo", vec![("id".into(), Value::string("1")), ("done".into(), Value::Bool(false))]);
        let value = Value::list(vec![
            Value::Int(i64::MIN),
            Value::Float(0.1),
            Value::Char('é'),
            Value::Unit,
            Value::some(record),
            Value::dict(BTreeMap::from([("k".to_string(), Value::error(Value::string("no")))])),
            Value::Datastore("todos".into()),
            Value::Worker("notify".into()),
        ]);
        let json = encode(&value).expect("storable");
        assert_eq!(decode(&json).expect("decodes"), value);
        let text = serde_json::to_string(&json).expect("text");
        let reread: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(decode(&reread).expect("decodes"), value);
    }

    #[test]
    fn a_secret_keeps_its_value_only_across_the_wall() {
        let value = Value::some(Value::Secret(SecretText::new("hunter2")));
        let stored = encode_text(&value).expect("storable");
        assert!(!stored.contains("hunter2"), "{stored}");
        assert!(!serde_json::to_string(&encode(&value).expect("storable")).expect("text").contains("hunter2"));
        let crossed = decode_text(encode_crossing(&value).expect("crosses").as_bytes()).expect("decodes");
        assert_eq!(crossed.to_string(), "Some(<secret>)");
        let Value::Variant(some) = crossed else { panic!("an option") };
        let Value::Secret(secret) = &some.payload[0] else { panic!("a secret") };
        assert!(secret.matches("hunter2"));
        let arguments = encode_arguments(std::slice::from_ref(&value)).expect("crosses");
        assert!(arguments.contains("hunter2"));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let error = decode(&serde_json::json!({"Nope": 1})).expect_err("not a value");
        assert!(error.starts_with("stored value does not decode"), "{error}");
    }
}
