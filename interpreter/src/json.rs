//! The JSON mapping of values.
//!
//! | value | JSON |
//! | --- | --- |
//! | Int, Float, Bool, String | number, number, boolean, string |
//! | Char | a one-character string |
//! | `()` | `null` |
//! | List, Dict | array, object |
//! | record | object, fields in declaration order |
//! | `None` / `Some(x)` | `null` / `x`, or `[x]` when `x`'s type can itself be `null` |
//! | `Json` values | the JSON they describe |
//! | other variants (`Result` too) | `"Case"`; `{"Case": x}`; `{"Case": [x, y]}` |
//!
//! Decoding is by type and is the inverse; a record field of an `Option` type
//! may be absent, other fields are required, and unknown fields are ignored.
//! For an `Option` of a nullable type, any JSON other than `null` and a
//! one-element array is read as the payload itself (so `Option<Json>` takes
//! free-form JSON from elsewhere).
//! An Int accepts any integral number that fits (`1`, `1.0`, `1e3`); a Float
//! any number. Every value that encodes decodes back to itself: the payload of
//! `Some` is wrapped in a one-element array exactly when its type (`Option`,
//! `()`, `Json`) has a value that encodes as `null`, so `Some(None)` is
//! `[null]` and `Some(Some(1))` is `[1]`.
//!
//! Arrays and objects nest at most [`MAX_DEPTH`] levels, in what is written
//! and in what is read, so every text `Json.encode` writes `Json.decode` reads.

use crate::error::ErrorKind;
use crate::memory::Budget;
use crate::value::{Value, Variant};
use gloam_language::types::table::TypeTable;
use gloam_language::types::ty::Type;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Number, Value as Json};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io;

/// How deep arrays and objects may nest in JSON that is written or read.
/// A value whose JSON would nest deeper is refused when it is encoded, at the
/// call; a text nesting deeper is refused when it is read.
pub const MAX_DEPTH: usize = 1_000;

fn encode_error(message: String) -> ErrorKind {
    ErrorKind::Builtin { function: "Json.encode", message }
}

fn too_deep() -> ErrorKind {
    encode_error(format!("the value's JSON would nest arrays and objects more than {MAX_DEPTH} levels deep"))
}

/// The depth of an array or object opened inside `depth` others, if allowed.
fn open(depth: usize) -> Result<usize, ErrorKind> {
    if depth < MAX_DEPTH { Ok(depth + 1) } else { Err(too_deep()) }
}

/// Whether a value's type has a value that encodes as `null`, so that
/// `Some` of it must be wrapped to stay apart from `None`.
fn nullable(value: &Value) -> bool {
    match value {
        Value::Unit => true,
        Value::Variant(variant) => matches!(variant.type_name.as_str(), "Option" | "Json"),
        _ => false,
    }
}

/// The JSON of a value. Errors (functions, datastores, workers, non-finite
/// Floats) name `Json.encode`; callers that are another builtin may rename it.
/// Built by the same walk as the text ([`JsonView`]), so the two cannot differ.
pub fn to_json(value: &Value) -> Result<Json, ErrorKind> {
    let (nodes, failure) = (Cell::new(0), RefCell::new(None));
    let view = JsonView { value, depth: 0, nodes: &nodes, failure: &failure };
    serde_json::to_value(&view).map_err(|error| failure.take().unwrap_or_else(|| encode_error(error.to_string())))
}

const SECRET_NOT_ENCODED: &str = "cannot encode a Secret as JSON";

/// The JSON text of a value, written as it is walked (no tree is built), and
/// the number of nodes the tree of [`to_json`] would have.
pub fn to_json_text(value: &Value) -> Result<(String, usize), ErrorKind> {
    to_json_text_within(value, &Budget::unlimited())
}

/// As [`to_json_text`], refused as soon as the text outgrows what the run's
/// memory has left: a list can repeat one large value many times, so the
/// text can dwarf the memory the value takes.
pub fn to_json_text_within(value: &Value, memory: &Budget) -> Result<(String, usize), ErrorKind> {
    let mut out = Capped { out: Vec::new(), written: 0, cap: memory.left() };
    let nodes = write_json(value, &mut out)?.ok_or_else(|| memory.exceeded())?;
    // serde_json writes only valid UTF-8.
    let text = String::from_utf8(out.out).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into());
    Ok((text, nodes))
}

/// The length of a value's JSON text, counted without writing it, up to
/// just past `cap`: what a JSON tree of the value costs at least. Encoding
/// errors are left to whoever encodes it.
pub fn json_length(value: &Value, cap: usize) -> usize {
    let mut out = Capped { out: io::sink(), written: 0, cap };
    let _ = write_json(value, &mut out);
    out.written
}

/// Writes a value's JSON and returns its node count; `None` when the output
/// passed its cap.
fn write_json<W: io::Write>(value: &Value, out: &mut Capped<W>) -> Result<Option<usize>, ErrorKind> {
    let (nodes, failure) = (Cell::new(0), RefCell::new(None));
    let view = JsonView { value, depth: 0, nodes: &nodes, failure: &failure };
    match serde_json::to_writer(&mut *out, &view) {
        Ok(()) => Ok(Some(nodes.get())),
        Err(_) if out.written > out.cap => Ok(None),
        Err(error) => Err(failure.take().unwrap_or_else(|| encode_error(error.to_string()))),
    }
}

/// JSON text output that refuses to grow past `cap` bytes.
struct Capped<W> {
    out: W,
    written: usize,
    cap: usize,
}

impl<W: io::Write> io::Write for Capped<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.written = self.written.saturating_add(bytes.len());
        if self.written > self.cap {
            return Err(io::Error::other("the JSON text outgrew its cap"));
        }
        self.out.write_all(bytes)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A value seen as its JSON: the mapping in the table above, written once.
/// [`to_json`] collects it into a tree; [`to_json_text`] writes it as text.
struct JsonView<'a> {
    value: &'a Value,
    /// How many arrays and objects enclose this value's JSON.
    depth: usize,
    nodes: &'a Cell<usize>,
    /// Why serialising stopped (serde's error carries only text).
    failure: &'a RefCell<Option<ErrorKind>>,
}

impl<'a> JsonView<'a> {
    /// The view of a value whose JSON sits `depth` arrays and objects deep.
    fn at(&self, value: &'a Value, depth: usize) -> JsonView<'a> {
        JsonView { value, depth, nodes: self.nodes, failure: self.failure }
    }

    /// The depth inside `count` more arrays or objects, if they are allowed.
    fn open<E: serde::ser::Error>(&self, count: usize) -> Result<usize, E> {
        (0..count).try_fold(self.depth, |depth, _| open(depth).map_err(|kind| self.fail::<E>(kind)))
    }

    fn fail<E: serde::ser::Error>(&self, kind: ErrorKind) -> E {
        let message = kind.to_string();
        *self.failure.borrow_mut() = Some(kind);
        E::custom(message)
    }

    fn node(&self) {
        self.nodes.set(self.nodes.get() + 1);
    }
}

impl Serialize for JsonView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Several serde frames per level: grow the stack at every level.
        gloam_language::stack::grow(64 * 1024, 1024 * 1024, || self.serialize_here(serializer))
    }
}

impl JsonView<'_> {
    fn serialize_here<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Variant(variant) => return self.serialize_variant(variant, serializer),
            _ => self.node(),
        }
        match self.value {
            Value::Int(n) => serializer.serialize_i64(*n),
            Value::Float(f) if f.is_finite() => serializer.serialize_f64(*f),
            Value::Float(_) => Err(self.fail(ErrorKind::NonFiniteFloat)),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::String(text) => serializer.serialize_str(text),
            Value::Char(c) => serializer.serialize_str(c.encode_utf8(&mut [0; 4])),
            Value::Unit => serializer.serialize_unit(),
            Value::List(items) => {
                let inside = self.open(1)?;
                serializer.collect_seq(items.iter().map(|item| self.at(item, inside)))
            }
            Value::Dict(entries) => {
                let inside = self.open(1)?;
                serializer.collect_map(entries.iter().map(|(key, item)| (key, self.at(item, inside))))
            }
            Value::Record(record) => {
                let inside = self.open(1)?;
                serializer.collect_map(record.fields.iter().map(|(name, item)| (name, self.at(item, inside))))
            }
            Value::Variant(_) => unreachable!("variants are serialised above"),
            Value::Function(_) => Err(self.fail(encode_error("cannot encode a function as JSON".into()))),
            Value::Datastore(name) => {
                Err(self.fail(encode_error(format!("cannot encode the datastore `{name}` as JSON"))))
            }
            Value::Worker(name) => Err(self.fail(encode_error(format!("cannot encode the worker `{name}` as JSON")))),
            Value::Secret(_) => Err(self.fail(encode_error(SECRET_NOT_ENCODED.into()))),
        }
    }
}

impl JsonView<'_> {
    /// `None` is `null`; `Some(x)` is `x`, or `[x]` when `x` can be `null`;
    /// a `Json` value is the JSON it describes; other variants are `"Case"`,
    /// `{"Case": x}` or `{"Case": [x, y]}`.
    fn serialize_variant<S: Serializer>(&self, variant: &Variant, serializer: S) -> Result<S::Ok, S::Error> {
        match (variant.type_name.as_str(), variant.case.as_str(), variant.payload.as_slice()) {
            ("Option", "None", []) | ("Json", "JsonNull", []) => {
                self.node();
                serializer.serialize_unit()
            }
            ("Option", "Some", [value]) if nullable(value) => {
                self.node();
                serializer.collect_seq([self.at(value, self.open(1)?)])
            }
            ("Option", "Some", [value])
            | ("Json", "JsonBool" | "JsonInt" | "JsonFloat" | "JsonString" | "JsonList" | "JsonObject", [value]) => {
                self.at(value, self.depth).serialize(serializer)
            }
            (_, case, []) => {
                self.node();
                serializer.serialize_str(case)
            }
            (_, case, [value]) => {
                self.node();
                let mut object = serializer.serialize_map(Some(1))?;
                object.serialize_entry(case, &self.at(value, self.open(1)?))?;
                object.end()
            }
            (_, case, many) => {
                self.nodes.set(self.nodes.get() + 2); // the object and its array
                let inside = self.open(2)?;
                let items: Vec<JsonView> = many.iter().map(|item| self.at(item, inside)).collect();
                let mut object = serializer.serialize_map(Some(1))?;
                object.serialize_entry(case, &items)?;
                object.end()
            }
        }
    }
}

/// A JSON document as a value of the prelude type `Json`. Numbers that fit an
/// Int become `JsonInt`, every other number `JsonFloat`.
pub fn json_tree(json: &Json) -> Value {
    gloam_language::stack::grow(64 * 1024, 1024 * 1024, || match json {
        Json::Null => Value::variant("Json", "JsonNull", vec![]),
        Json::Bool(b) => Value::variant("Json", "JsonBool", vec![Value::Bool(*b)]),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::variant("Json", "JsonInt", vec![Value::Int(i)]),
            // Without serde_json's arbitrary_precision every number has an f64 form.
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

/// The JSON of a value of the prelude type `Json` (same as [`to_json`], which
/// already maps `Json` values to the JSON they describe).
pub fn tree_to_json(value: &Value) -> Result<Json, ErrorKind> {
    to_json(value)
}

/// Whether a type has a value that encodes as `null` (see [`nullable`]).
fn can_be_null(ty: &Type) -> bool {
    matches!(ty, Type::Con(name, _) if matches!(name.as_str(), "Option" | "Unit" | "Json"))
}

/// How a JSON value is named in an error: its kind, and the value if short.
fn describe(json: &Json) -> String {
    match json {
        Json::Null => "null".to_string(),
        Json::Bool(b) => format!("boolean {b}"),
        Json::Number(n) => format!("number {n}"),
        Json::String(s) => {
            const SHOWN: usize = 40;
            let mut shown: String = s.chars().take(SHOWN).collect();
            let cut = shown.len() < s.len();
            shown = serde_json::to_string(&shown).unwrap_or_else(|_| format!("{shown:?}"));
            if cut { format!("string {shown}…") } else { format!("string {shown}") }
        }
        Json::Array(items) if items.is_empty() => "an empty array".to_string(),
        Json::Array(items) => format!("an array of {} element{}", items.len(), plural(items.len())),
        Json::Object(_) => "an object".to_string(),
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// `$.name` for a plain key, `$["odd key"]` for any other.
fn key_path(path: &str, key: &str) -> String {
    let mut chars = key.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!("{path}.{key}")
    } else {
        let quoted = serde_json::to_string(key).unwrap_or_else(|_| format!("{key:?}"));
        format!("{path}[{quoted}]")
    }
}

/// The Int value of a JSON number: any integral number within range.
fn json_int(number: &Number) -> Result<i64, &'static str> {
    if let Some(n) = number.as_i64() {
        return Ok(n);
    }
    if number.is_u64() {
        return Err(" (out of the range of Int)");
    }
    match number.as_f64() {
        Some(f) if f.fract() != 0.0 || !f.is_finite() => Err(""),
        // i64::MAX as f64 rounds up to 2^63, which is out of range.
        Some(f) if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) => Ok(f as i64),
        _ => Err(" (out of the range of Int)"),
    }
}

/// Decodes JSON into a value of type `ty`. Errors name the JSON path:
/// ``at $.items[2].id: expected Int, found string "x"``.
pub fn from_json(json: &Json, ty: &Type, table: &TypeTable) -> Result<Value, String> {
    Decoder { table }.decode(json, ty, "$", 0)
}

struct Decoder<'t> {
    table: &'t TypeTable,
}

impl Decoder<'_> {
    /// `depth`: how many arrays and objects enclose `json`.
    fn decode(&self, json: &Json, ty: &Type, path: &str, depth: usize) -> Result<Value, String> {
        if matches!(json, Json::Array(_) | Json::Object(_)) && depth >= MAX_DEPTH {
            return Err(format!("at {path}: arrays and objects nest more than {MAX_DEPTH} levels deep"));
        }
        gloam_language::stack::grow(64 * 1024, 1024 * 1024, || self.decode_inner(json, ty, path, depth))
    }

    fn decode_inner(&self, json: &Json, ty: &Type, path: &str, depth: usize) -> Result<Value, String> {
        let mismatch = |expected: &str| format!("at {path}: expected {expected}, found {}", describe(json));
        let (name, args) = match ty {
            Type::Con(name, args) => (name.as_str(), args.as_slice()),
            Type::Fn(..) => return Err(format!("at {path}: cannot decode a function from JSON")),
            Type::Var(_) | Type::Generic(_) => return Err(format!("at {path}: cannot decode into an unknown type")),
        };
        let element =
            || args.first().ok_or_else(|| format!("at {path}: cannot decode into `{name}` without its type argument"));
        match (name, json) {
            ("Int", Json::Number(n)) => json_int(n).map(Value::Int).map_err(|note| mismatch("Int") + note),
            ("Float", Json::Number(n)) => n.as_f64().map(Value::Float).ok_or_else(|| mismatch("Float")),
            ("Bool", Json::Bool(b)) => Ok(Value::Bool(*b)),
            ("String", Json::String(s)) => Ok(Value::string(s.as_str())),
            ("Char", Json::String(s)) => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Ok(Value::Char(c)),
                    _ => Err(mismatch("a one-character string (Char)")),
                }
            }
            ("Char", _) => Err(mismatch("a one-character string (Char)")),
            ("Unit", Json::Null) => Ok(Value::Unit),
            ("Unit", _) => Err(mismatch("null (the unit value `()`)")),
            ("Json", _) => Ok(json_tree(json)),
            ("Option", Json::Null) => Ok(Value::none()),
            ("Option", _) => {
                let element = element()?;
                match json {
                    // What `Some` of a nullable payload encodes as.
                    Json::Array(items) if can_be_null(element) && items.len() == 1 => {
                        Ok(Value::some(self.decode(&items[0], element, &format!("{path}[0]"), depth + 1)?))
                    }
                    // Any other JSON (for a nullable payload: JSON from elsewhere, such
                    // as a free-form optional field) is the payload itself.
                    _ => Ok(Value::some(self.decode(json, element, path, depth)?)),
                }
            }
            ("List", Json::Array(items)) => {
                let element = element()?;
                Ok(Value::list(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| self.decode(item, element, &format!("{path}[{i}]"), depth + 1))
                        .collect::<Result<_, _>>()?,
                ))
            }
            ("Dict", Json::Object(fields)) => {
                let element = element()?;
                Ok(Value::dict(
                    fields
                        .iter()
                        .map(|(k, v)| Ok((k.clone(), self.decode(v, element, &key_path(path, k), depth + 1)?)))
                        .collect::<Result<BTreeMap<_, _>, String>>()?,
                ))
            }
            ("Int" | "Float" | "Bool" | "String" | "List" | "Dict", _) => Err(mismatch(&ty.to_string())),
            _ => self.decode_declared(json, ty, name, path, depth),
        }
    }

    /// Records and variants, the prelude's (`Result`, `Entry`, `Http.Response`) and the program's.
    fn decode_declared(&self, json: &Json, ty: &Type, name: &str, path: &str, depth: usize) -> Result<Value, String> {
        if let Some(fields) = self.table.record_fields(ty) {
            let Json::Object(object) = json else {
                return Err(format!("at {path}: expected an object (`{name}`), found {}", describe(json)));
            };
            let mut values = Vec::with_capacity(fields.len());
            for (field, field_ty) in &fields {
                let value = match object.get(field) {
                    Some(found) => self.decode(found, field_ty, &key_path(path, field), depth + 1)?,
                    None if matches!(field_ty, Type::Con(n, _) if n == "Option") => Value::none(),
                    None => return Err(format!("at {path}: missing field `{field}`")),
                };
                values.push((field.clone(), value));
            }
            return Ok(Value::record(name, values));
        }
        if let Some(cases) = self.table.variant_cases(ty) {
            return self.decode_variant(json, name, &cases, path, depth);
        }
        match self.table.get(name) {
            Some(_) => Err(format!("at {path}: values of type `{ty}` cannot be decoded from JSON")),
            None => Err(format!("at {path}: unknown type `{name}`")),
        }
    }

    fn decode_variant(
        &self,
        json: &Json,
        name: &str,
        cases: &[(String, Vec<Type>)],
        path: &str,
        depth: usize,
    ) -> Result<Value, String> {
        let names = || cases.iter().map(|(case, _)| format!("`{case}`")).collect::<Vec<_>>().join(", ");
        let (case, payload_json) = match json {
            Json::String(case) => (case.as_str(), None),
            Json::Object(object) if object.len() == 1 => match object.iter().next() {
                Some((case, payload)) => (case.as_str(), Some(payload)),
                None => ("", None),
            },
            _ => {
                return Err(format!(
                    "at {path}: expected a case of `{name}` (\"Case\" or {{\"Case\": payload}}; one of {}), found {}",
                    names(),
                    describe(json)
                ));
            }
        };
        let Some((_, payload_types)) = cases.iter().find(|(known, _)| known == case) else {
            return Err(format!("at {path}: `{case}` is not a case of `{name}` (expected one of {})", names()));
        };
        let case_path = key_path(path, case);
        let payload = match (payload_types.as_slice(), payload_json) {
            ([], None) => Vec::new(),
            ([], Some(_)) => {
                return Err(format!("at {path}: `{case}` has no payload; write it as the string \"{case}\""));
            }
            ([single], Some(found)) => vec![self.decode(found, single, &case_path, depth + 1)?],
            (many, Some(Json::Array(items))) if many.len() > 1 && many.len() == items.len() => many
                .iter()
                .zip(items)
                .enumerate()
                .map(|(i, (ty, item))| self.decode(item, ty, &format!("{case_path}[{i}]"), depth + 2))
                .collect::<Result<_, _>>()?,
            (many, Some(found)) if many.len() > 1 => {
                return Err(format!(
                    "at {case_path}: `{case}` takes {} values as an array, found {}",
                    many.len(),
                    describe(found)
                ));
            }
            (expected, _) => {
                return Err(format!(
                    "at {path}: `{case}` takes {} value{}; write it as {{\"{case}\": {}}}",
                    expected.len(),
                    plural(expected.len()),
                    if expected.len() == 1 { "value" } else { "[values]" }
                ));
            }
        };
        Ok(Value::variant(name, case, payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Function;
    use std::sync::Arc;

    fn tree_nodes(json: &Json) -> usize {
        match json {
            Json::Array(items) => 1 + items.iter().map(tree_nodes).sum::<usize>(),
            Json::Object(fields) => 1 + fields.values().map(tree_nodes).sum::<usize>(),
            _ => 1,
        }
    }

    /// What `to_json_text` must equal: the tree's text and node count.
    fn via_tree(value: &Value) -> Result<(String, usize), ErrorKind> {
        to_json(value).map(|json| (json.to_string(), tree_nodes(&json)))
    }

    #[test]
    fn text_without_a_tree_is_the_trees_text() {
        let record =
            Value::record("Todo", vec![("title".into(), Value::string("a \"b\"\n")), ("n".into(), Value::Float(1.0))]);
        let values = [
            Value::Int(-3),
            Value::Float(0.1),
            Value::Float(1e21),
            Value::Char('é'),
            Value::Unit,
            Value::list(vec![Value::Bool(true), Value::none(), Value::some(Value::Int(1))]),
            Value::dict(BTreeMap::from([("z".into(), record.clone()), ("a".into(), Value::list(vec![]))])),
            Value::variant("Shape", "Dot", vec![]),
            Value::variant("Shape", "Circle", vec![Value::Float(2.5)]),
            Value::variant("Shape", "Rect", vec![Value::Int(1), Value::some(Value::none())]),
            Value::variant("Json", "JsonList", vec![Value::list(vec![Value::variant("Json", "JsonNull", vec![])])]),
            Value::ok(Value::error(Value::string("no"))),
            record,
        ];
        for value in &values {
            assert_eq!(to_json_text(value), via_tree(value), "{value}");
        }
    }

    #[test]
    fn the_deepest_encodable_value_fits_a_small_stack() {
        let deep = (0..MAX_DEPTH).fold(Value::Int(0), |inner, _| Value::list(vec![inner]));
        let encoded = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || to_json_text(&deep).map(|(text, nodes)| (text.len(), nodes)))
            .expect("a thread")
            .join()
            .expect("no stack overflow");
        assert_eq!(encoded, Ok((2 * MAX_DEPTH + 1, MAX_DEPTH + 1)));
    }

    #[test]
    fn text_without_a_tree_fails_as_the_tree_does() {
        let deep = (0..=MAX_DEPTH + 1).fold(Value::Int(0), |inner, _| Value::some(inner));
        let function = Value::Function(Arc::new(Function::Global("f".into())));
        let failing = [
            Value::list(vec![Value::Int(1), Value::Float(f64::NAN)]),
            Value::dict(BTreeMap::from([("f".into(), function)])),
            Value::list(vec![Value::Datastore("todos".into())]),
            Value::some(Value::Worker("notify".into())),
            deep,
        ];
        for value in &failing {
            let expected = via_tree(value).expect_err("does not encode");
            assert_eq!(to_json_text(value), Err(expected), "{value}");
        }
    }
}
