//! The JSON mapping of values.
//!
//! | value | JSON |
//! | --- | --- |
//! | Int, Float, Bool, String | number, number, boolean, string |
//! | Char | a one-character string |
//! | `()` | `null` |
//! | List, Dict | array, object |
//! | record | object, fields in declaration order |
//! | `None` / `Some(x)` | `null` / `x` |
//! | `Json` values | the JSON they describe |
//! | other variants | `"Case"`; `{"Case": x}`; `{"Case": [x, y]}` |
//!
//! Decoding is by type and is the inverse; a record field of an `Option` type
//! may be absent, other fields are required, and unknown fields are ignored.

use crate::error::ErrorKind;
use crate::value::{Value, Variant};
use gloam_language::types::table::TypeTable;
use gloam_language::types::ty::Type;
use serde_json::{Map, Number, Value as Json};
use std::collections::BTreeMap;

fn encode_error(message: &str) -> ErrorKind {
    ErrorKind::Builtin { function: "Json.encode", message: message.to_string() }
}

/// The JSON of a value.
pub fn to_json(value: &Value) -> Result<Json, ErrorKind> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || to_json_inner(value))
}

fn to_json_inner(value: &Value) -> Result<Json, ErrorKind> {
    Ok(match value {
        Value::Int(n) => Json::from(*n),
        Value::Float(f) => Json::Number(Number::from_f64(*f).ok_or(ErrorKind::NonFiniteFloat)?),
        Value::Bool(b) => Json::Bool(*b),
        Value::String(s) => Json::String(s.to_string()),
        Value::Char(c) => Json::String(c.to_string()),
        Value::Unit => Json::Null,
        Value::List(items) => Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Value::Dict(entries) => Json::Object(
            entries.iter().map(|(k, v)| Ok((k.clone(), to_json(v)?))).collect::<Result<Map<_, _>, ErrorKind>>()?,
        ),
        Value::Record(record) => Json::Object(
            record
                .fields
                .iter()
                .map(|(k, v)| Ok((k.clone(), to_json(v)?)))
                .collect::<Result<Map<_, _>, ErrorKind>>()?,
        ),
        Value::Variant(variant) => variant_to_json(variant)?,
        Value::Function(_) => return Err(encode_error("a function has no JSON form")),
        Value::Datastore(_) => return Err(encode_error("a datastore has no JSON form")),
        Value::Worker(_) => return Err(encode_error("a worker has no JSON form")),
    })
}

fn variant_to_json(variant: &Variant) -> Result<Json, ErrorKind> {
    let payload = &variant.payload;
    match (variant.type_name.as_str(), variant.case.as_str(), payload.as_slice()) {
        ("Option", "None", _) => Ok(Json::Null),
        ("Option", "Some", [inner]) => to_json(inner),
        ("Json", "JsonNull", _) => Ok(Json::Null),
        ("Json", _, [inner]) => to_json(inner),
        (_, case, []) => Ok(Json::String(case.to_string())),
        (_, case, [inner]) => Ok(Json::Object(Map::from_iter([(case.to_string(), to_json(inner)?)]))),
        (_, case, many) => Ok(Json::Object(Map::from_iter([(
            case.to_string(),
            Json::Array(many.iter().map(to_json).collect::<Result<_, _>>()?),
        )]))),
    }
}

/// A JSON document as a value of the prelude type `Json`.
pub fn json_tree(json: &Json) -> Value {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || match json {
        Json::Null => Value::variant("Json", "JsonNull", vec![]),
        Json::Bool(b) => Value::variant("Json", "JsonBool", vec![Value::Bool(*b)]),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::variant("Json", "JsonInt", vec![Value::Int(i)]),
            None => Value::variant("Json", "JsonFloat", vec![Value::Float(n.as_f64().unwrap_or(f64::NAN))]),
        },
        Json::String(s) => Value::variant("Json", "JsonString", vec![Value::string(s.as_str())]),
        Json::Array(items) => {
            Value::variant("Json", "JsonList", vec![Value::list(items.iter().map(json_tree).collect())])
        }
        Json::Object(fields) => Value::variant(
            "Json",
            "JsonObject",
            vec![Value::dict(fields.iter().map(|(k, v)| (k.clone(), json_tree(v))).collect())],
        ),
    })
}

fn describe(json: &Json) -> String {
    match json {
        Json::Null => "null".to_string(),
        Json::Bool(b) => format!("boolean {b}"),
        Json::Number(n) => format!("number {n}"),
        Json::String(s) => {
            let shown: String = s.chars().take(30).collect();
            format!("string {shown:?}")
        }
        Json::Array(_) => "an array".to_string(),
        Json::Object(_) => "an object".to_string(),
    }
}

/// Decodes JSON into a value of type `ty`. Errors name the JSON path.
pub fn from_json(json: &Json, ty: &Type, table: &TypeTable) -> Result<Value, String> {
    Decoder { table }.decode(json, ty, "$")
}

struct Decoder<'t> {
    table: &'t TypeTable,
}

impl Decoder<'_> {
    fn decode(&self, json: &Json, ty: &Type, path: &str) -> Result<Value, String> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.decode_inner(json, ty, path))
    }

    fn decode_inner(&self, json: &Json, ty: &Type, path: &str) -> Result<Value, String> {
        let mismatch = |expected: &str| format!("at {path}: expected {expected}, found {}", describe(json));
        let Type::Con(name, args) = ty else {
            return Err(format!("at {path}: cannot decode into an unknown type"));
        };
        match (name.as_str(), json) {
            ("Int", Json::Number(n)) => n.as_i64().map(Value::Int).ok_or_else(|| mismatch("Int")),
            ("Float", Json::Number(n)) => n.as_f64().map(Value::Float).ok_or_else(|| mismatch("Float")),
            ("Bool", Json::Bool(b)) => Ok(Value::Bool(*b)),
            ("String", Json::String(s)) => Ok(Value::string(s.as_str())),
            ("Char", Json::String(s)) => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Ok(Value::Char(c)),
                    _ => Err(mismatch("a one-character string")),
                }
            }
            ("Unit", Json::Null) => Ok(Value::Unit),
            ("Json", _) => Ok(json_tree(json)),
            ("Option", Json::Null) => Ok(Value::none()),
            ("Option", _) => Ok(Value::some(self.decode(json, &args[0], path)?)),
            ("List", Json::Array(items)) => Ok(Value::list(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.decode(item, &args[0], &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()?,
            )),
            ("Dict", Json::Object(fields)) => Ok(Value::dict(
                fields
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), self.decode(v, &args[0], &format!("{path}.{k}"))?)))
                    .collect::<Result<BTreeMap<_, _>, String>>()?,
            )),
            ("Int" | "Float" | "Bool" | "String" | "Char" | "Unit" | "List" | "Dict", _) => {
                Err(mismatch(&Type::Con(name.clone(), args.clone()).to_string()))
            }
            _ => self.decode_declared(json, ty, path),
        }
    }

    fn decode_declared(&self, json: &Json, ty: &Type, path: &str) -> Result<Value, String> {
        let Type::Con(name, _) = ty else { return Err(format!("at {path}: cannot decode into an unknown type")) };
        if let Some(fields) = self.table.record_fields(ty) {
            let Json::Object(object) = json else {
                return Err(format!("at {path}: expected an object for `{name}`, found {}", describe(json)));
            };
            let mut values = Vec::with_capacity(fields.len());
            for (field, field_ty) in &fields {
                let value = match object.get(field) {
                    Some(found) => self.decode(found, field_ty, &format!("{path}.{field}"))?,
                    None if matches!(field_ty, Type::Con(n, _) if n == "Option") => Value::none(),
                    None => return Err(format!("at {path}: missing field `{field}`")),
                };
                values.push((field.clone(), value));
            }
            return Ok(Value::record(name, values));
        }
        if let Some(cases) = self.table.variant_cases(ty) {
            let names = || cases.iter().map(|(case, _)| format!("`{case}`")).collect::<Vec<_>>().join(", ");
            let (case, payload_json) = match json {
                Json::String(case) => (case.as_str(), None),
                Json::Object(object) if object.len() == 1 => {
                    let (case, payload) =
                        object.iter().next().map(|(k, v)| (k.as_str(), Some(v))).unwrap_or(("", None));
                    (case, payload)
                }
                _ => {
                    return Err(format!(
                        "at {path}: expected one of {} for `{name}`, found {}",
                        names(),
                        describe(json)
                    ));
                }
            };
            let Some((_, payload_types)) = cases.iter().find(|(known, _)| known == case) else {
                return Err(format!("at {path}: `{case}` is not a case of `{name}` (expected one of {})", names()));
            };
            let payload = match (payload_types.as_slice(), payload_json) {
                ([], None) => Vec::new(),
                ([single], Some(found)) => vec![self.decode(found, single, &format!("{path}.{case}"))?],
                (many, Some(Json::Array(items))) if many.len() == items.len() && many.len() > 1 => many
                    .iter()
                    .zip(items)
                    .enumerate()
                    .map(|(i, (ty, item))| self.decode(item, ty, &format!("{path}.{case}[{i}]")))
                    .collect::<Result<_, _>>()?,
                (expected, _) => {
                    return Err(format!(
                        "at {path}: `{case}` takes {} value{}",
                        expected.len(),
                        if expected.len() == 1 { "" } else { "s" }
                    ));
                }
            };
            return Ok(Value::variant(name, case, payload));
        }
        Err(format!("at {path}: values of type `{name}` cannot be decoded from JSON"))
    }
}
