//! Every pure standard library function. One exhaustive `match` on
//! [`Builtin`]: adding a function to the table without implementing it here
//! does not compile. Effects are not here; they go through `Effects`.
//!
//! Conventions:
//! - Int arithmetic is checked: an overflow is [`ErrorKind::IntOverflow`].
//! - A Float result that is not finite is [`ErrorKind::NonFiniteFloat`].
//! - Strings are indexed by characters (Unicode scalar values).
//! - No list, dict or string result may have more than [`MAX_COLLECTION`]
//!   elements (characters for strings); the size is checked before allocating.
//! - Work is charged to the step budget: one step per element (list element,
//!   dict entry, or byte of a string) that a function scans or builds, about
//!   n·log₂(n) for a sort, plus the steps of the functions it calls. Changing one
//!   element of a collection (`List.push`, `List.tail`, `Dict.set`,
//!   `Dict.remove`) and other constant-time functions charge nothing beyond the
//!   call itself, although the copy they make is linear (a persistent
//!   implementation would not be).
//! - A result that can be far larger than the arguments (a repeat, a range, a
//!   split, JSON text) is refused before it is built when the run's memory
//!   [`Budget`] cannot hold it: the length limit first, then the memory.

use crate::error::{ErrorKind, RuntimeError};
use crate::json::{from_json, json_length, json_tree, to_json, to_json_text_within};
use crate::memory::Budget;
use crate::value::{Dict, List, Value, format_float};
use gloam_language::Builtin;
use gloam_language::schedule::civil_from_days;
use gloam_language::types::table::TypeTable;
use gloam_language::types::ty::Type;
use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The most elements one list, dict or string (in characters) may have.
pub const MAX_COLLECTION: usize = 10_000_000;

/// What a builtin needs from the evaluator.
pub trait Callbacks {
    /// Calls a function value (closure, global, builtin, constructor).
    fn call(&mut self, function: &Value, arguments: Vec<Value>) -> Result<Value, RuntimeError>;
    /// Charges steps to the budget; builtins that loop charge one per element.
    fn charge(&mut self, steps: u64) -> Result<(), RuntimeError>;
    /// The run's memory budget. `None` where memory is capped otherwise: the
    /// sandbox's guest fails when its linear memory cannot grow.
    fn memory(&self) -> Option<Budget> {
        None
    }
}

/// The types a call was checked at, for functions whose behaviour depends on
/// them (`Json.decode`, `Json.fromJson` decode into their result's `Ok` type;
/// `List.sum` of an empty list is `0` or `0.0` by its result type).
/// Builtins must be listed in [`reads_call_site`] when they read it.
pub struct CallSite<'a> {
    pub result_type: &'a Type,
    pub table: &'a TypeTable,
}

/// Whether a builtin reads its [`CallSite`]. Compiled code hands the types
/// over only to these (decoding them costs time on every call otherwise).
pub fn reads_call_site(builtin: Builtin) -> bool {
    matches!(builtin, Builtin::JsonDecode | Builtin::JsonFromJson | Builtin::ListSum)
}

/// The natural order of comparable values (Int, Float by `total_cmp`, String
/// by code points, Char); `Equal` for anything else, including values of
/// different kinds.
pub fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Int(a), Value::Int(b)) => a.cmp(b),
        (Value::Float(a), Value::Float(b)) => a.total_cmp(b),
        (Value::String(a), Value::String(b)) => a.cmp(b),
        (Value::Char(a), Value::Char(b)) => a.cmp(b),
        _ => Ordering::Equal,
    }
}

fn fail(builtin: Builtin, message: impl Into<String>) -> RuntimeError {
    ErrorKind::Builtin { function: builtin.name(), message: message.into() }.into()
}

fn check_size(size: usize) -> Result<(), RuntimeError> {
    if size > MAX_COLLECTION {
        return Err(ErrorKind::SizeLimit { size, limit: MAX_COLLECTION }.into());
    }
    Ok(())
}

/// Refuses to build a result of about `bytes` when the run's memory cannot
/// hold it. `bytes` is only worked out where there is a budget.
fn reserve(callbacks: &dyn Callbacks, bytes: impl FnOnce() -> usize) -> Result<(), RuntimeError> {
    match callbacks.memory() {
        Some(budget) => Ok(budget.reserve(bytes())?),
        None => Ok(()),
    }
}

/// Bytes a list of `count` values takes while it is built: a `Vec`, then
/// the persistent vector it is copied into (about as large again). Also
/// about what `count` short strings take.
fn list_bytes(count: usize) -> usize {
    count.saturating_mul(2 * std::mem::size_of::<Value>())
}

fn overflow(operation: String) -> RuntimeError {
    ErrorKind::IntOverflow { operation }.into()
}

fn finite(value: f64) -> Result<Value, RuntimeError> {
    if value.is_finite() { Ok(Value::Float(value)) } else { Err(ErrorKind::NonFiniteFloat.into()) }
}

/// The Int value of an already rounded Float.
fn float_to_int(builtin: Builtin, input: f64, rounded: f64) -> Result<Value, RuntimeError> {
    if rounded.is_nan() {
        return Err(fail(builtin, "NaN has no Int value"));
    }
    // i64::MAX as f64 rounds up to 2^63, which is out of range; -2^63 is i64::MIN.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&rounded) {
        return Err(fail(builtin, format!("{} is not within the range of Int", format_float(input))));
    }
    Ok(Value::Int(rounded as i64))
}

fn no_function(value: &Value) -> Result<(), RuntimeError> {
    if value.contains_function() { Err(ErrorKind::CompareFunctions.into()) } else { Ok(()) }
}

fn charge(callbacks: &mut dyn Callbacks, steps: usize) -> Result<(), RuntimeError> {
    callbacks.charge(u64::try_from(steps).unwrap_or(u64::MAX))
}

/// Arguments by position and kind; a wrong kind means the checker let broken code through.
struct Args {
    builtin: Builtin,
    values: Vec<Value>,
}

impl Args {
    fn get(&self, index: usize) -> Result<&Value, RuntimeError> {
        self.values.get(index).ok_or_else(|| {
            let message = format!("{}: missing argument {}", self.builtin.name(), index + 1);
            ErrorKind::IllTyped(message).into()
        })
    }

    fn wrong(&self, index: usize, expected: &str) -> RuntimeError {
        let found = self.values.get(index).map_or("nothing", Value::kind);
        let message = format!("{}: argument {} should be {expected}, found {found}", self.builtin.name(), index + 1);
        ErrorKind::IllTyped(message).into()
    }

    /// An element of a list (or dict) argument of the wrong kind.
    fn wrong_element(&self, index: usize, element: usize, expected: &str, found: &Value) -> RuntimeError {
        let message = format!(
            "{}: element {} of argument {} should be {expected}, found {}",
            self.builtin.name(),
            element + 1,
            index + 1,
            found.kind()
        );
        ErrorKind::IllTyped(message).into()
    }

    /// A function argument that returned the wrong kind of value.
    fn wrong_result(&self, index: usize, expected: &str, found: &Value) -> RuntimeError {
        let message = format!(
            "{}: the function (argument {}) should return {expected}, returned {}",
            self.builtin.name(),
            index + 1,
            found.kind()
        );
        ErrorKind::IllTyped(message).into()
    }

    fn int(&self, index: usize) -> Result<i64, RuntimeError> {
        match self.get(index)? {
            Value::Int(n) => Ok(*n),
            _ => Err(self.wrong(index, "an Int")),
        }
    }

    fn float(&self, index: usize) -> Result<f64, RuntimeError> {
        match self.get(index)? {
            Value::Float(f) => Ok(*f),
            _ => Err(self.wrong(index, "a Float")),
        }
    }

    fn bool(&self, index: usize) -> Result<bool, RuntimeError> {
        match self.get(index)? {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.wrong(index, "a Bool")),
        }
    }

    fn string(&self, index: usize) -> Result<&str, RuntimeError> {
        match self.get(index)? {
            Value::String(s) => Ok(s),
            _ => Err(self.wrong(index, "a String")),
        }
    }

    fn char(&self, index: usize) -> Result<char, RuntimeError> {
        match self.get(index)? {
            Value::Char(c) => Ok(*c),
            _ => Err(self.wrong(index, "a Char")),
        }
    }

    fn list(&self, index: usize) -> Result<&List, RuntimeError> {
        match self.get(index)? {
            Value::List(items) => Ok(items),
            _ => Err(self.wrong(index, "a List")),
        }
    }

    fn dict(&self, index: usize) -> Result<&Dict, RuntimeError> {
        match self.get(index)? {
            Value::Dict(entries) => Ok(entries),
            _ => Err(self.wrong(index, "a Dict")),
        }
    }

    /// The case and payload of a variant argument.
    fn variant(&self, index: usize) -> Result<(&str, Option<&Value>), RuntimeError> {
        match self.get(index)? {
            Value::Variant(variant) => Ok((variant.case.as_str(), variant.payload.first())),
            _ => Err(self.wrong(index, "a variant")),
        }
    }

    /// Calls the function argument at `index` and expects a Bool back.
    fn test(&self, callbacks: &mut dyn Callbacks, index: usize, arguments: Vec<Value>) -> Result<bool, RuntimeError> {
        match callbacks.call(self.get(index)?, arguments)? {
            Value::Bool(b) => Ok(b),
            other => Err(self.wrong_result(index, "a Bool", &other)),
        }
    }
}

fn string_result(text: String) -> Result<Value, RuntimeError> {
    check_size(text.chars().count())?;
    Ok(Value::string(text))
}

/// The byte offset of character `index` (the end of the text if past it).
fn byte_offset(text: &str, index: usize) -> usize {
    text.char_indices().nth(index).map_or(text.len(), |(byte, _)| byte)
}

/// The JSON of a value, with encoding errors naming the builtin that encoded.
/// Refused first when its text alone would not fit in the run's memory (the
/// tree takes more than its text).
fn encode(builtin: Builtin, value: &Value, callbacks: &dyn Callbacks) -> Result<serde_json::Value, RuntimeError> {
    if let Some(budget) = callbacks.memory() {
        budget.reserve(json_length(value, budget.left()))?;
    }
    to_json(value).map_err(|kind| renamed(builtin, kind))
}

/// An encoding error as the builtin that met it.
fn renamed(builtin: Builtin, kind: ErrorKind) -> RuntimeError {
    match kind {
        ErrorKind::Builtin { message, .. } => ErrorKind::Builtin { function: builtin.name(), message }.into(),
        other => other.into(),
    }
}

/// Compact JSON text of a value, within the size limit.
fn json_text(builtin: Builtin, value: &Value, callbacks: &mut dyn Callbacks) -> Result<String, RuntimeError> {
    let memory = callbacks.memory().unwrap_or_else(Budget::unlimited);
    let (text, nodes) = to_json_text_within(value, &memory).map_err(|kind| renamed(builtin, kind))?;
    charge(callbacks, nodes)?;
    check_size(text.chars().count())?;
    Ok(text)
}

/// Number of nodes of a JSON tree, for charging (its depth is bounded by
/// `json::MAX_DEPTH`).
fn json_nodes(json: &serde_json::Value) -> usize {
    match json {
        serde_json::Value::Array(items) => 1 + items.iter().map(json_nodes).sum::<usize>(),
        serde_json::Value::Object(fields) => 1 + fields.values().map(json_nodes).sum::<usize>(),
        _ => 1,
    }
}

fn parse_json(text: &str) -> Result<serde_json::Value, String> {
    crate::json_text::parse(text.as_bytes(), crate::json::MAX_DEPTH).map_err(|error| error.to_string())
}

fn response(status: i64, content_type: Option<&str>, body: String) -> Value {
    let mut headers = BTreeMap::new();
    if let Some(content_type) = content_type {
        headers.insert("content-type".to_string(), Value::string(content_type));
    }
    Value::record(
        "Http.Response",
        vec![
            ("status".into(), Value::Int(status)),
            ("headers".into(), Value::dict(headers)),
            ("body".into(), Value::string(body)),
        ],
    )
}

fn entry(key: &str, value: Value) -> Value {
    Value::record("Entry", vec![("key".into(), Value::string(key)), ("value".into(), value)])
}

/// The milliseconds since the epoch RFC 3339 can write: years 0000 to 9999.
const ISO_RANGE: std::ops::RangeInclusive<i64> = -62_167_219_200_000..=253_402_300_799_999;

/// RFC 3339 UTC text of milliseconds since the epoch; `None` outside the
/// years 0000–9999, which RFC 3339 cannot write.
fn iso_time(milliseconds: i64) -> Option<String> {
    if !ISO_RANGE.contains(&milliseconds) {
        return None;
    }
    let days = milliseconds.div_euclid(86_400_000);
    let in_day = milliseconds.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (hours, minutes) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (seconds, millis) = (in_day / 1000 % 60, in_day % 1000);
    Some(format!("{year:04}-{month:02}-{day:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z"))
}

/// The `Ok` type of a call site's `Result<a, String>` result: the type to decode into.
fn decode_target<'t>(builtin: Builtin, site: &'t CallSite) -> Result<&'t Type, RuntimeError> {
    let hint = "give it, as in `Json.decode<Todo>(text)`, or annotate the result";
    match site.result_type {
        Type::Con(name, args) if name == "Result" => match args.as_slice() {
            [target, _] if target.is_fully_known() => Ok(target),
            [target, _] => Err(fail(builtin, format!("the type to decode into ({target}) is not fully known; {hint}"))),
            _ => Err(ErrorKind::Internal(format!(
                "{}: result type {} is not a Result",
                builtin.name(),
                site.result_type
            ))
            .into()),
        },
        Type::Var(_) | Type::Generic(_) => Err(fail(builtin, format!("the type to decode into is not known; {hint}"))),
        other => Err(ErrorKind::Internal(format!("{}: result type {other} is not a Result", builtin.name())).into()),
    }
}

fn decoded(result: Result<Value, String>) -> Value {
    match result {
        Ok(value) => Value::ok(value),
        Err(message) => Value::error(Value::string(message)),
    }
}

/// A structural hash consistent with `==` on values without functions
/// (`0.0 == -0.0`, so both hash alike), for `List.unique`.
fn hash_value(value: &Value, state: &mut DefaultHasher) {
    gloam_language::stack::grow(64 * 1024, 1024 * 1024, || match value {
        Value::Int(n) => {
            0u8.hash(state);
            n.hash(state);
        }
        Value::Float(f) => {
            1u8.hash(state);
            (if *f == 0.0 { 0.0f64 } else { *f }).to_bits().hash(state);
        }
        Value::Bool(b) => {
            2u8.hash(state);
            b.hash(state);
        }
        Value::String(s) => {
            3u8.hash(state);
            s.hash(state);
        }
        Value::Char(c) => {
            4u8.hash(state);
            c.hash(state);
        }
        Value::Unit => 5u8.hash(state),
        Value::List(items) => {
            6u8.hash(state);
            items.len().hash(state);
            for item in items.iter() {
                hash_value(item, state);
            }
        }
        Value::Dict(entries) => {
            7u8.hash(state);
            entries.len().hash(state);
            for (key, item) in entries.iter() {
                key.hash(state);
                hash_value(item, state);
            }
        }
        Value::Record(record) => {
            8u8.hash(state);
            record.type_name.hash(state);
            for (name, item) in &record.fields {
                name.hash(state);
                hash_value(item, state);
            }
        }
        Value::Variant(variant) => {
            9u8.hash(state);
            variant.type_name.hash(state);
            variant.case.hash(state);
            for item in &variant.payload {
                hash_value(item, state);
            }
        }
        Value::Function(_) => 10u8.hash(state),
        Value::Datastore(name) => {
            11u8.hash(state);
            name.hash(state);
        }
        Value::Worker(name) => {
            12u8.hash(state);
            name.hash(state);
        }
        // Every Secret hashes alike: its value must not steer anything.
        Value::Secret(_) => 13u8.hash(state),
    })
}

fn with_header(args: &Args, name: &str, value: &str) -> Result<Value, RuntimeError> {
    let Value::Record(record) = args.get(0)? else { return Err(args.wrong(0, "an Http.Response")) };
    let mut updated = (**record).clone();
    let Some((_, slot)) = updated.fields.iter_mut().find(|(field, _)| field == "headers") else {
        return Err(args.wrong(0, "an Http.Response"));
    };
    let Value::Dict(headers) = slot else { return Err(args.wrong(0, "an Http.Response")) };
    *slot = Value::Dict(headers.with(&name.to_lowercase(), Value::string(value)));
    Ok(Value::Record(Arc::new(updated)))
}

/// Calls a pure builtin.
pub fn call_pure(
    builtin: Builtin,
    arguments: Vec<Value>,
    site: &CallSite,
    callbacks: &mut dyn Callbacks,
) -> Result<Value, RuntimeError> {
    let args = Args { builtin, values: arguments };
    use Builtin as B;
    Ok(match builtin {
        // ---- String ----
        B::StringLength => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            Value::Int(text.chars().count() as i64)
        }
        B::StringIsEmpty => Value::Bool(args.string(0)?.is_empty()),
        B::StringToUpper => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            string_result(text.to_uppercase())?
        }
        B::StringToLower => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            string_result(text.to_lowercase())?
        }
        B::StringTrim => Value::string(args.string(0)?.trim()),
        B::StringContains => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            Value::Bool(text.contains(args.string(1)?))
        }
        B::StringStartsWith => Value::Bool(args.string(0)?.starts_with(args.string(1)?)),
        B::StringEndsWith => Value::Bool(args.string(0)?.ends_with(args.string(1)?)),
        B::StringSplit => {
            let (text, separator) = (args.string(0)?, args.string(1)?);
            charge(callbacks, text.len())?;
            reserve(callbacks, || {
                let parts =
                    if separator.is_empty() { text.chars().count() } else { text.matches(separator).count() + 1 };
                list_bytes(parts.saturating_mul(2)).saturating_add(text.len())
            })?;
            let parts: Vec<Value> = if separator.is_empty() {
                text.chars().map(|c| Value::string(c.to_string())).collect()
            } else {
                text.split(separator).map(Value::string).collect()
            };
            Value::list(parts)
        }
        B::StringJoin => {
            let (parts, separator) = (args.list(0)?, args.string(1)?);
            let mut texts = Vec::with_capacity(parts.len());
            let mut size = separator.chars().count().saturating_mul(parts.len().saturating_sub(1));
            for (i, part) in parts.iter().enumerate() {
                let Value::String(text) = part else { return Err(args.wrong_element(0, i, "a String", part)) };
                size = size.saturating_add(text.chars().count());
                texts.push(&**text);
            }
            check_size(size)?;
            charge(callbacks, parts.len().saturating_add(size))?;
            reserve(callbacks, || {
                let bytes = texts.iter().map(|text| text.len()).fold(0, usize::saturating_add);
                separator.len().saturating_mul(texts.len()).saturating_add(bytes)
            })?;
            Value::string(texts.join(separator))
        }
        B::StringReplace => {
            let (text, from, to) = (args.string(0)?, args.string(1)?, args.string(2)?);
            if from.is_empty() {
                return Err(fail(builtin, "the text to replace must not be empty"));
            }
            charge(callbacks, text.len())?;
            let count = text.matches(from).count();
            let removed = count.saturating_mul(from.chars().count());
            let added = count.saturating_mul(to.chars().count());
            check_size((text.chars().count() - removed).saturating_add(added))?;
            reserve(callbacks, || text.len().saturating_add(count.saturating_mul(to.len())))?;
            Value::string(text.replace(from, to))
        }
        B::StringSlice => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            let length = text.chars().count() as i64;
            let start = args.int(1)?.clamp(0, length) as usize;
            let end = args.int(2)?.clamp(0, length) as usize;
            if start < end {
                let from = byte_offset(text, start);
                let to = from + byte_offset(&text[from..], end - start);
                Value::string(&text[from..to])
            } else {
                Value::string("")
            }
        }
        B::StringReverse => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            Value::string(text.chars().rev().collect::<String>())
        }
        B::StringRepeat => {
            let (text, count) = (args.string(0)?, args.int(1)?);
            let Ok(count) = usize::try_from(count) else {
                return Err(fail(builtin, format!("cannot repeat {count} times")));
            };
            check_size(text.chars().count().saturating_mul(count))?;
            charge(callbacks, text.len().saturating_mul(count))?;
            reserve(callbacks, || text.len().saturating_mul(count))?;
            Value::string(text.repeat(count))
        }
        B::StringIndexOf => {
            let (text, part) = (args.string(0)?, args.string(1)?);
            charge(callbacks, text.len())?;
            Value::option(text.find(part).map(|byte| Value::Int(text[..byte].chars().count() as i64)))
        }
        B::StringToChars => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            reserve(callbacks, || list_bytes(text.chars().count()))?;
            Value::list(text.chars().map(Value::Char).collect())
        }
        B::StringFromChars => {
            let chars = args.list(0)?;
            charge(callbacks, chars.len())?;
            let text = chars
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Value::Char(c) => Ok(*c),
                    other => Err(args.wrong_element(0, i, "a Char", other)),
                })
                .collect::<Result<String, _>>()?;
            Value::string(text)
        }
        B::StringFromChar | B::CharToString => Value::string(args.char(0)?.to_string()),
        B::StringLines => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            reserve(callbacks, || {
                let lines = text.bytes().filter(|byte| *byte == b'\n').count() + 1;
                list_bytes(lines.saturating_mul(2)).saturating_add(text.len())
            })?;
            Value::list(text.split('\n').map(|line| Value::string(line.strip_suffix('\r').unwrap_or(line))).collect())
        }
        B::StringPadLeft => {
            let (text, width, pad) = (args.string(0)?, args.int(1)?, args.char(2)?);
            let length = text.chars().count();
            // A negative width pads nothing.
            let missing = usize::try_from(width).unwrap_or(0).saturating_sub(length);
            check_size(length.saturating_add(missing))?;
            charge(callbacks, text.len().saturating_add(missing))?;
            reserve(callbacks, || text.len().saturating_add(missing.saturating_mul(pad.len_utf8())))?;
            Value::string(std::iter::repeat_n(pad, missing).chain(text.chars()).collect::<String>())
        }

        // ---- Int ----
        B::IntParse => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                Value::error(Value::string(format!("not an Int: {text:?}")))
            } else {
                match text.parse::<i64>() {
                    Ok(n) => Value::ok(Value::Int(n)),
                    Err(_) => Value::error(Value::string(format!("out of the range of Int: {text:?}"))),
                }
            }
        }
        B::IntToString => Value::string(args.int(0)?.to_string()),
        B::IntToFloat => Value::Float(args.int(0)? as f64),
        B::IntAbs => {
            let n = args.int(0)?;
            Value::Int(n.checked_abs().ok_or_else(|| overflow(format!("Int.abs({n})")))?)
        }
        B::IntMin => Value::Int(args.int(0)?.min(args.int(1)?)),
        B::IntMax => Value::Int(args.int(0)?.max(args.int(1)?)),
        B::IntClamp => {
            let (n, low, high) = (args.int(0)?, args.int(1)?, args.int(2)?);
            if low > high {
                return Err(fail(builtin, format!("the low bound {low} is above the high bound {high}")));
            }
            Value::Int(n.clamp(low, high))
        }
        B::IntPow => {
            let (base, exponent) = (args.int(0)?, args.int(1)?);
            if exponent < 0 {
                return Err(fail(builtin, format!("negative exponent {exponent}")));
            }
            match (base, u32::try_from(exponent).ok().and_then(|e| base.checked_pow(e))) {
                (_, Some(n)) => Value::Int(n),
                // Exponents beyond u32: only these bases stay in range.
                (0 | 1, None) => Value::Int(base),
                (-1, None) => Value::Int(if exponent % 2 == 0 { 1 } else { -1 }),
                (_, None) => return Err(overflow(format!("Int.pow({base}, {exponent})"))),
            }
        }
        B::IntIsEven => Value::Bool(args.int(0)? % 2 == 0),

        // ---- Float ----
        B::FloatParse => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            // Rust also reads "nan", "inf" and "infinity"; Gloam Floats are finite numbers.
            let numeric = !text.is_empty()
                && text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
            match text.parse::<f64>() {
                Ok(value) if numeric && value.is_finite() => Value::ok(Value::Float(value)),
                Ok(_) if numeric => Value::error(Value::string(format!("out of the range of Float: {text:?}"))),
                _ => Value::error(Value::string(format!("not a Float: {text:?}"))),
            }
        }
        B::FloatToString => Value::string(format_float(args.float(0)?)),
        B::FloatRound => {
            let value = args.float(0)?;
            float_to_int(builtin, value, value.round())?
        }
        B::FloatFloor => {
            let value = args.float(0)?;
            float_to_int(builtin, value, value.floor())?
        }
        B::FloatCeiling => {
            let value = args.float(0)?;
            float_to_int(builtin, value, value.ceil())?
        }
        B::FloatTruncate => {
            let value = args.float(0)?;
            float_to_int(builtin, value, value.trunc())?
        }
        B::FloatSqrt => {
            let value = args.float(0)?;
            if value < 0.0 {
                return Err(fail(builtin, format!("square root of negative {}", format_float(value))));
            }
            finite(value.sqrt())?
        }
        B::FloatAbs => finite(args.float(0)?.abs())?,
        B::FloatMin => finite(args.float(0)?.min(args.float(1)?))?,
        B::FloatMax => finite(args.float(0)?.max(args.float(1)?))?,
        B::FloatPow => finite(args.float(0)?.powf(args.float(1)?))?,

        // ---- Bool and Char ----
        B::BoolToString => Value::string(args.bool(0)?.to_string()),
        B::CharToCode => Value::Int(i64::from(u32::from(args.char(0)?))),
        B::CharFromCode => {
            let code = args.int(0)?;
            Value::option(u32::try_from(code).ok().and_then(char::from_u32).map(Value::Char))
        }
        B::CharIsDigit => Value::Bool(args.char(0)?.is_ascii_digit()),
        B::CharIsLetter => Value::Bool(args.char(0)?.is_alphabetic()),
        B::CharIsWhitespace => Value::Bool(args.char(0)?.is_whitespace()),
        B::CharToUpper => {
            let c = args.char(0)?;
            let mut upper = c.to_uppercase();
            Value::Char(match (upper.next(), upper.next()) {
                (Some(u), None) => u,
                _ => c,
            })
        }
        B::CharToLower => {
            let c = args.char(0)?;
            let mut lower = c.to_lowercase();
            Value::Char(match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            })
        }

        // ---- List ----
        B::ListLength => Value::Int(args.list(0)?.len() as i64),
        B::ListIsEmpty => Value::Bool(args.list(0)?.is_empty()),
        B::ListHead => Value::option(args.list(0)?.front().cloned()),
        B::ListTail => {
            let items = args.list(0)?;
            if items.is_empty() { Value::none() } else { Value::some(Value::List(items.from_index(1))) }
        }
        B::ListLast => Value::option(args.list(0)?.back().cloned()),
        B::ListGet => {
            let (items, index) = (args.list(0)?, args.int(1)?);
            Value::option(usize::try_from(index).ok().and_then(|i| items.get(i)).cloned())
        }
        B::ListPush => {
            let items = args.list(0)?;
            check_size(items.len() + 1)?;
            Value::List(items.pushed(args.get(1)?.clone()))
        }
        B::ListAppend => {
            let (first, second) = (args.list(0)?, args.list(1)?);
            check_size(first.len() + second.len())?;
            charge(callbacks, first.len() + second.len())?;
            Value::List(first.concat(second))
        }
        B::ListConcat => {
            let lists = args.list(0)?;
            let mut size = 0usize;
            for (i, list) in lists.iter().enumerate() {
                let Value::List(items) = list else { return Err(args.wrong_element(0, i, "a List", list)) };
                size = size.saturating_add(items.len());
            }
            check_size(size)?;
            charge(callbacks, lists.len() + size)?;
            let mut flat = List::default();
            for list in lists.iter() {
                if let Value::List(items) = list {
                    flat = flat.concat(items);
                }
            }
            Value::List(flat)
        }
        B::ListMap => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            charge(callbacks, items.len())?;
            reserve(callbacks, || list_bytes(items.len()))?;
            let mut mapped = Vec::with_capacity(items.len());
            for item in items.iter() {
                mapped.push(callbacks.call(function, vec![item.clone()])?);
            }
            Value::list(mapped)
        }
        B::ListMapWithIndex => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            charge(callbacks, items.len())?;
            reserve(callbacks, || list_bytes(items.len()))?;
            let mut mapped = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                mapped.push(callbacks.call(function, vec![Value::Int(i as i64), item.clone()])?);
            }
            Value::list(mapped)
        }
        B::ListFilter => {
            let items = args.list(0)?;
            charge(callbacks, items.len())?;
            let mut kept = Vec::new();
            for item in items.iter() {
                if args.test(callbacks, 1, vec![item.clone()])? {
                    kept.push(item.clone());
                }
            }
            Value::list(kept)
        }
        B::ListFilterMap => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            charge(callbacks, items.len())?;
            let mut kept = Vec::new();
            for item in items.iter() {
                match callbacks.call(function, vec![item.clone()])? {
                    Value::Variant(variant) if variant.case == "None" => {}
                    Value::Variant(variant) if variant.case == "Some" && variant.payload.len() == 1 => {
                        kept.extend(variant.payload.first().cloned());
                    }
                    other => return Err(args.wrong_result(1, "an Option", &other)),
                }
            }
            Value::list(kept)
        }
        B::ListFold => {
            let (items, function) = (args.list(0)?, args.get(2)?);
            charge(callbacks, items.len())?;
            let mut accumulator = args.get(1)?.clone();
            for item in items.iter() {
                accumulator = callbacks.call(function, vec![accumulator, item.clone()])?;
            }
            accumulator
        }
        B::ListReverse => {
            let items = args.list(0)?;
            charge(callbacks, items.len())?;
            reserve(callbacks, || list_bytes(items.len()))?;
            Value::list(items.iter().rev().cloned().collect())
        }
        B::ListSort => {
            let items = args.list(0)?;
            charge(callbacks, sort_cost(items.len()))?;
            reserve(callbacks, || list_bytes(items.len()))?;
            let mut items = items.to_vec();
            items.sort_by(compare);
            Value::list(items)
        }
        B::ListSortBy => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            charge(callbacks, sort_cost(items.len()))?;
            reserve(callbacks, || list_bytes(items.len().saturating_mul(2)))?;
            let mut keyed = Vec::with_capacity(items.len());
            for item in items.iter() {
                keyed.push((callbacks.call(function, vec![item.clone()])?, item.clone()));
            }
            keyed.sort_by(|(a, _), (b, _)| compare(a, b));
            Value::list(keyed.into_iter().map(|(_, item)| item).collect())
        }
        B::ListRange => {
            let (low, high) = (args.int(0)?, args.int(1)?);
            if low > high {
                Value::list(Vec::new())
            } else {
                let count = (i128::from(high) - i128::from(low) + 1) as u128;
                let count = usize::try_from(count).unwrap_or(usize::MAX);
                check_size(count)?;
                charge(callbacks, count)?;
                reserve(callbacks, || list_bytes(count))?;
                Value::list((low..=high).map(Value::Int).collect())
            }
        }
        B::ListContains => {
            let (items, wanted) = (args.list(0)?, args.get(1)?);
            no_function(wanted)?;
            let mut found = false;
            for item in items.iter() {
                charge(callbacks, 1)?;
                // As `==`: comparing with a value that holds a function is an error.
                no_function(item)?;
                if item == wanted {
                    found = true;
                    break;
                }
            }
            Value::Bool(found)
        }
        B::ListAny | B::ListAll | B::ListFind => {
            let items = args.list(0)?;
            let mut found = None;
            for item in items.iter() {
                charge(callbacks, 1)?;
                let holds = args.test(callbacks, 1, vec![item.clone()])?;
                // `any` and `find` stop at the first true, `all` at the first false.
                if holds != (builtin == B::ListAll) {
                    found = Some(item.clone());
                    break;
                }
            }
            match builtin {
                B::ListAny => Value::Bool(found.is_some()),
                B::ListAll => Value::Bool(found.is_none()),
                _ => Value::option(found),
            }
        }
        B::ListTake => {
            let (items, count) = (args.list(0)?, args.int(1)?);
            let count = usize::try_from(count).unwrap_or(0).min(items.len());
            charge(callbacks, count)?;
            Value::List(items.first_items(count))
        }
        B::ListDrop => {
            let (items, count) = (args.list(0)?, args.int(1)?);
            let count = usize::try_from(count).unwrap_or(0).min(items.len());
            charge(callbacks, items.len() - count)?;
            Value::List(items.from_index(count))
        }
        B::ListSum => {
            let items = args.list(0)?;
            charge(callbacks, items.len())?;
            let floats = match items.front() {
                Some(first) => matches!(first, Value::Float(_)),
                // `List.sum([])` is `0` or `0.0` by the type it was checked at.
                None => matches!(site.result_type, Type::Con(name, _) if name == "Float"),
            };
            if floats {
                let mut total = 0.0;
                for (i, item) in items.iter().enumerate() {
                    let Value::Float(f) = item else { return Err(args.wrong_element(0, i, "a Float", item)) };
                    total += f;
                }
                finite(total)?
            } else {
                let mut total: i64 = 0;
                for (i, item) in items.iter().enumerate() {
                    let Value::Int(n) = item else { return Err(args.wrong_element(0, i, "an Int", item)) };
                    total = total.checked_add(*n).ok_or_else(|| overflow(format!("List.sum: {total} + {n}")))?;
                }
                Value::Int(total)
            }
        }
        B::ListRepeat => {
            let (value, count) = (args.get(0)?, args.int(1)?);
            let Ok(count) = usize::try_from(count) else {
                return Err(fail(builtin, format!("cannot repeat {count} times")));
            };
            check_size(count)?;
            charge(callbacks, count)?;
            reserve(callbacks, || list_bytes(count))?;
            Value::list(vec![value.clone(); count])
        }
        B::ListUnique => {
            let items = args.list(0)?;
            let mut kept: Vec<Value> = Vec::new();
            // Indexes into `kept`, by structural hash.
            let mut seen: HashMap<u64, Vec<usize>> = HashMap::new();
            for item in items.iter() {
                no_function(item)?;
                let mut state = DefaultHasher::new();
                hash_value(item, &mut state);
                let bucket = seen.entry(state.finish()).or_default();
                charge(callbacks, 1 + bucket.len())?;
                if !bucket.iter().any(|&index| kept[index] == *item) {
                    bucket.push(kept.len());
                    kept.push(item.clone());
                }
            }
            Value::list(kept)
        }
        B::ListGroupBy => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            charge(callbacks, items.len())?;
            let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            for item in items.iter() {
                let key = match callbacks.call(function, vec![item.clone()])? {
                    Value::String(key) => key,
                    other => return Err(args.wrong_result(1, "a String", &other)),
                };
                groups.entry(key.to_string()).or_default().push(item.clone());
            }
            Value::dict(groups.into_iter().map(|(k, v)| (k, Value::list(v))).collect())
        }

        // ---- Dict ----
        B::DictEmpty => Value::dict(BTreeMap::new()),
        B::DictGet => Value::option(args.dict(0)?.get(args.string(1)?).cloned()),
        B::DictSet => {
            let (entries, key) = (args.dict(0)?, args.string(1)?);
            if !entries.contains_key(key) {
                check_size(entries.len() + 1)?;
            }
            Value::Dict(entries.with(key, args.get(2)?.clone()))
        }
        B::DictRemove => {
            let (entries, key) = (args.dict(0)?, args.string(1)?);
            if entries.contains_key(key) { Value::Dict(entries.without_key(key)) } else { args.get(0)?.clone() }
        }
        B::DictHas => Value::Bool(args.dict(0)?.contains_key(args.string(1)?)),
        B::DictKeys => {
            let entries = args.dict(0)?;
            charge(callbacks, entries.len())?;
            reserve(callbacks, || list_bytes(entries.len().saturating_mul(2)))?;
            Value::list(entries.keys().map(|k| Value::string(k.as_str())).collect())
        }
        B::DictValues => {
            let entries = args.dict(0)?;
            charge(callbacks, entries.len())?;
            reserve(callbacks, || list_bytes(entries.len()))?;
            Value::list(entries.values().cloned().collect())
        }
        B::DictSize => Value::Int(args.dict(0)?.len() as i64),
        B::DictEntries => {
            let entries = args.dict(0)?;
            charge(callbacks, entries.len())?;
            Value::list(entries.iter().map(|(k, v)| entry(k, v.clone())).collect())
        }
        B::DictFromEntries => {
            let items = args.list(0)?;
            charge(callbacks, items.len())?;
            let mut entries = BTreeMap::new();
            for (i, item) in items.iter().enumerate() {
                match (item.field("key"), item.field("value")) {
                    (Some(Value::String(key)), Some(value)) => {
                        entries.insert(key.to_string(), value.clone());
                    }
                    _ => return Err(args.wrong_element(0, i, "an Entry", item)),
                }
            }
            Value::dict(entries)
        }
        B::DictMap => {
            let (entries, function) = (args.dict(0)?, args.get(1)?);
            charge(callbacks, entries.len())?;
            let mut mapped = BTreeMap::new();
            for (key, value) in entries.iter() {
                mapped.insert(key.clone(), callbacks.call(function, vec![value.clone()])?);
            }
            Value::dict(mapped)
        }
        B::DictFilter => {
            let entries = args.dict(0)?;
            charge(callbacks, entries.len())?;
            let mut kept = BTreeMap::new();
            for (key, value) in entries.iter() {
                if args.test(callbacks, 1, vec![Value::string(key.as_str()), value.clone()])? {
                    kept.insert(key.clone(), value.clone());
                }
            }
            Value::dict(kept)
        }
        B::DictMerge => {
            let (first, second) = (args.dict(0)?, args.dict(1)?);
            let added = second.keys().filter(|key| !first.contains_key(*key)).count();
            check_size(first.len() + added)?;
            charge(callbacks, second.len())?;
            let mut merged = imbl::OrdMap::clone(first);
            merged.extend(second.iter().map(|(k, v)| (k.clone(), v.clone())));
            Value::Dict(Dict::from(merged))
        }

        // ---- Option and Result ----
        B::OptionMap => match args.variant(0)? {
            ("Some", Some(value)) => Value::some(callbacks.call(args.get(1)?, vec![value.clone()])?),
            _ => args.get(0)?.clone(),
        },
        B::ResultMap => match args.variant(0)? {
            ("Ok", Some(value)) => Value::ok(callbacks.call(args.get(1)?, vec![value.clone()])?),
            _ => args.get(0)?.clone(),
        },
        B::OptionAndThen | B::ResultAndThen => match args.variant(0)? {
            ("Some" | "Ok", Some(value)) => callbacks.call(args.get(1)?, vec![value.clone()])?,
            _ => args.get(0)?.clone(),
        },
        B::OptionWithDefault | B::ResultWithDefault => match args.variant(0)? {
            ("Some" | "Ok", Some(value)) => value.clone(),
            _ => args.get(1)?.clone(),
        },
        B::OptionIsSome => Value::Bool(args.variant(0)?.0 == "Some"),
        B::OptionIsNone => Value::Bool(args.variant(0)?.0 == "None"),
        B::OptionToResult => match args.variant(0)? {
            ("Some", Some(value)) => Value::ok(value.clone()),
            _ => Value::error(args.get(1)?.clone()),
        },
        B::ResultMapError => match args.variant(0)? {
            ("Error", Some(error)) => Value::error(callbacks.call(args.get(1)?, vec![error.clone()])?),
            _ => args.get(0)?.clone(),
        },
        B::ResultIsOk => Value::Bool(args.variant(0)?.0 == "Ok"),
        B::ResultToOption => match args.variant(0)? {
            ("Ok", Some(value)) => Value::some(value.clone()),
            _ => Value::none(),
        },

        // ---- Json ----
        B::JsonParse => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            match parse_json(text) {
                Ok(json) => Value::ok(json_tree(&json)),
                Err(message) => Value::error(Value::string(message)),
            }
        }
        B::JsonStringify | B::JsonEncode => Value::string(json_text(builtin, args.get(0)?, callbacks)?),
        B::JsonDecode => {
            let target = decode_target(builtin, site)?;
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            match parse_json(text) {
                Ok(json) => decoded(from_json(&json, target, site.table)),
                Err(message) => Value::error(Value::string(format!("invalid JSON: {message}"))),
            }
        }
        B::JsonToJson => {
            let json = encode(builtin, args.get(0)?, callbacks)?;
            charge(callbacks, json_nodes(&json))?;
            json_tree(&json)
        }
        B::JsonFromJson => {
            let target = decode_target(builtin, site)?;
            let json = encode(builtin, args.get(0)?, callbacks)?;
            charge(callbacks, json_nodes(&json))?;
            decoded(from_json(&json, target, site.table))
        }

        // ---- Http responses ----
        B::HttpText => response(args.int(1)?, Some("text/plain; charset=utf-8"), args.string(0)?.to_string()),
        B::HttpHtml => response(args.int(1)?, Some("text/html; charset=utf-8"), args.string(0)?.to_string()),
        B::HttpJson => {
            let status = args.int(1)?;
            response(status, Some("application/json"), json_text(builtin, args.get(0)?, callbacks)?)
        }
        B::HttpEmpty => response(args.int(0)?, None, String::new()),
        B::HttpRedirect => {
            let mut headers = BTreeMap::new();
            headers.insert("location".to_string(), Value::string(args.string(0)?));
            Value::record(
                "Http.Response",
                vec![
                    ("status".into(), Value::Int(302)),
                    ("headers".into(), Value::dict(headers)),
                    ("body".into(), Value::string("")),
                ],
            )
        }
        B::HttpWithHeader => with_header(&args, args.string(1)?, args.string(2)?)?,

        // ---- Secret ----
        B::SecretMatches => match args.get(0)? {
            Value::Secret(secret) => Value::Bool(secret.matches(args.string(1)?)),
            _ => return Err(args.wrong(0, "a Secret")),
        },

        // ---- Time ----
        B::TimeToIso => {
            let milliseconds = args.int(0)?;
            Value::string(iso_time(milliseconds).ok_or_else(|| ErrorKind::Builtin {
                function: "Time.toIso",
                message: format!(
                    "{milliseconds} ms is outside the years 0000 to 9999 that RFC 3339 can write ({} to {})",
                    ISO_RANGE.start(),
                    ISO_RANGE.end()
                ),
            })?)
        }

        B::DbGet
        | B::DbSet
        | B::DbDelete
        | B::DbGetAll
        | B::DbKeys
        | B::HttpGet
        | B::HttpPost
        | B::HttpRequest
        | B::HttpRequestWithSecrets
        | B::TimeNow
        | B::RandomInt
        | B::RandomFloat
        | B::RandomUuid
        | B::LogInfo
        | B::LogWarn
        | B::LogError
        | B::SecretsGet
        | B::QueueEmit => {
            return Err(ErrorKind::Internal(format!("{} is an effect, not a pure function", builtin.name())).into());
        }
    })
}

/// Steps charged for sorting `n` elements: about n·log₂(n) comparisons.
fn sort_cost(n: usize) -> usize {
    n.saturating_mul((usize::BITS - n.leading_zeros()) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{MAX_DEPTH, tree_to_json};
    use crate::value::Function;
    use gloam_language::types::table::{TypeDef, TypeDefKind};
    use proptest::prelude::*;

    /// Calls builtins and constructors (no closures); counts the steps charged.
    struct Fake {
        steps: u64,
        budget: u64,
        table: TypeTable,
    }

    impl Fake {
        fn new() -> Fake {
            Fake { steps: 0, budget: u64::MAX, table: table() }
        }
    }

    impl Callbacks for Fake {
        fn call(&mut self, function: &Value, arguments: Vec<Value>) -> Result<Value, RuntimeError> {
            let Value::Function(function) = function else { panic!("not a function: {function}") };
            match function.as_ref() {
                Function::Builtin(builtin) => {
                    let table = self.table.clone();
                    let unknown = Type::Var(0);
                    call_pure(*builtin, arguments, &CallSite { result_type: &unknown, table: &table }, self)
                }
                Function::Constructor { type_name, case, .. } => Ok(Value::variant(type_name, case, arguments)),
                other => panic!("the fake cannot call {other:?}"),
            }
        }

        fn charge(&mut self, steps: u64) -> Result<(), RuntimeError> {
            self.steps = self.steps.saturating_add(steps);
            if self.steps > self.budget {
                return Err(ErrorKind::StepLimit { limit: self.budget }.into());
            }
            Ok(())
        }
    }

    /// The prelude and a few program types.
    fn table() -> TypeTable {
        let mut table = TypeTable::prelude();
        table.insert_record(
            "Todo",
            &[],
            vec![
                ("id", Type::int()),
                ("title", Type::string()),
                ("done", Type::bool()),
                ("tags", Type::list(Type::string())),
                ("note", Type::option(Type::string())),
            ],
        );
        table.insert_record("Page", &[], vec![("items", Type::list(Type::con("Todo"))), ("odd key", Type::int())]);
        table.insert(TypeDef {
            name: "Shape".into(),
            parameters: vec![],
            kind: TypeDefKind::Variant(vec![
                ("Circle".into(), vec![Type::float()]),
                ("Rect".into(), vec![Type::float(), Type::float()]),
                ("Empty".into(), vec![]),
            ]),
            span: None,
        });
        table
    }

    fn call_at(builtin: Builtin, arguments: Vec<Value>, result_type: &Type) -> Result<Value, RuntimeError> {
        let mut fake = Fake::new();
        let table = fake.table.clone();
        call_pure(builtin, arguments, &CallSite { result_type, table: &table }, &mut fake)
    }

    fn call(builtin: Builtin, arguments: Vec<Value>) -> Result<Value, RuntimeError> {
        call_at(builtin, arguments, &Type::Var(0))
    }

    fn ok(builtin: Builtin, arguments: Vec<Value>) -> Value {
        call(builtin, arguments).unwrap_or_else(|error| panic!("{}: {error}", builtin.name()))
    }

    fn kind(builtin: Builtin, arguments: Vec<Value>) -> ErrorKind {
        match call(builtin, arguments) {
            Ok(value) => panic!("{} should fail, gave {value}", builtin.name()),
            Err(error) => error.kind,
        }
    }

    fn s(text: &str) -> Value {
        Value::string(text)
    }

    fn int(n: i64) -> Value {
        Value::Int(n)
    }

    fn ints(values: &[i64]) -> Value {
        Value::list(values.iter().copied().map(Value::Int).collect())
    }

    fn builtin_fn(builtin: Builtin) -> Value {
        Value::Function(Arc::new(Function::Builtin(builtin)))
    }

    fn todo(id: i64, title: &str, note: Option<&str>) -> Value {
        Value::record(
            "Todo",
            vec![
                ("id".into(), int(id)),
                ("title".into(), s(title)),
                ("done".into(), Value::Bool(false)),
                ("tags".into(), Value::list(vec![s("x")])),
                ("note".into(), Value::option(note.map(s))),
            ],
        )
    }

    fn decode(text: &str, ty: Type) -> Result<Value, String> {
        let json: serde_json::Value = serde_json::from_str(text).expect("test JSON parses");
        from_json(&json, &ty, &table())
    }

    // ---- Int overflow and arguments ----

    #[test]
    fn int_arithmetic_is_checked() {
        assert!(matches!(kind(Builtin::IntAbs, vec![int(i64::MIN)]), ErrorKind::IntOverflow { .. }));
        assert_eq!(ok(Builtin::IntAbs, vec![int(-5)]), int(5));
        assert!(matches!(kind(Builtin::IntPow, vec![int(10), int(19)]), ErrorKind::IntOverflow { .. }));
        assert!(matches!(kind(Builtin::IntPow, vec![int(2), int(63)]), ErrorKind::IntOverflow { .. }));
        assert!(matches!(kind(Builtin::IntPow, vec![int(3), int(1 << 40)]), ErrorKind::IntOverflow { .. }));
        assert_eq!(ok(Builtin::IntPow, vec![int(-2), int(63)]), int(i64::MIN));
        assert_eq!(ok(Builtin::IntPow, vec![int(0), int(0)]), int(1));
        assert_eq!(ok(Builtin::IntPow, vec![int(1), int(1 << 40)]), int(1));
        assert_eq!(ok(Builtin::IntPow, vec![int(0), int(1 << 40)]), int(0));
        assert_eq!(ok(Builtin::IntPow, vec![int(-1), int((1 << 33) + 1)]), int(-1));
        assert_eq!(ok(Builtin::IntPow, vec![int(-1), int(1 << 33)]), int(1));
        assert_eq!(
            kind(Builtin::IntPow, vec![int(2), int(-1)]),
            ErrorKind::Builtin { function: "Int.pow", message: "negative exponent -1".into() }
        );
        assert!(matches!(kind(Builtin::ListSum, vec![ints(&[i64::MAX, 1])]), ErrorKind::IntOverflow { .. }));
        assert!(matches!(kind(Builtin::ListSum, vec![ints(&[i64::MIN, -1])]), ErrorKind::IntOverflow { .. }));
        assert_eq!(ok(Builtin::ListSum, vec![ints(&[i64::MAX, -1, 1])]), int(i64::MAX));
        assert!(matches!(kind(Builtin::IntClamp, vec![int(1), int(5), int(2)]), ErrorKind::Builtin { .. }));
        assert_eq!(ok(Builtin::IntClamp, vec![int(9), int(2), int(5)]), int(5));
        assert_eq!(ok(Builtin::IntIsEven, vec![int(i64::MIN)]), Value::Bool(true));
        assert_eq!(ok(Builtin::IntIsEven, vec![int(-3)]), Value::Bool(false));
    }

    #[test]
    fn list_sum_of_nothing_follows_the_checked_type() {
        let empty = Value::list(vec![]);
        assert_eq!(call_at(Builtin::ListSum, vec![empty.clone()], &Type::float()).ok(), Some(Value::Float(0.0)));
        assert_eq!(call_at(Builtin::ListSum, vec![empty], &Type::int()).ok(), Some(int(0)));
        let floats = Value::list(vec![Value::Float(0.5), Value::Float(0.25)]);
        assert_eq!(ok(Builtin::ListSum, vec![floats]), Value::Float(0.75));
        let huge = Value::list(vec![Value::Float(f64::MAX), Value::Float(f64::MAX)]);
        assert_eq!(kind(Builtin::ListSum, vec![huge]), ErrorKind::NonFiniteFloat);
    }

    #[test]
    fn int_parse_accepts_only_plain_decimal() {
        let parse = |text: &str| ok(Builtin::IntParse, vec![s(text)]).to_string();
        assert_eq!(parse("42"), "Ok(42)");
        assert_eq!(parse("-7"), "Ok(-7)");
        assert_eq!(parse("+3"), "Ok(3)");
        assert_eq!(parse("-9223372036854775808"), "Ok(-9223372036854775808)");
        assert_eq!(parse("abc"), r#"Error("not an Int: \"abc\"")"#);
        for bad in ["", "-", "+-1", " 1", "1 ", "4.5", "١٢", "0x10", "1_000"] {
            assert!(parse(bad).starts_with("Error(\"not an Int"), "{bad:?}: {}", parse(bad));
        }
        assert_eq!(parse("9223372036854775808"), r#"Error("out of the range of Int: \"9223372036854775808\"")"#);
    }

    // ---- Float ----

    #[test]
    fn float_conversions_to_int() {
        let f = |x: f64| Value::Float(x);
        assert_eq!(ok(Builtin::FloatRound, vec![f(2.5)]), int(3));
        assert_eq!(ok(Builtin::FloatRound, vec![f(-2.5)]), int(-3));
        assert_eq!(ok(Builtin::FloatRound, vec![f(-0.4)]), int(0));
        assert_eq!(ok(Builtin::FloatFloor, vec![f(-1.5)]), int(-2));
        assert_eq!(ok(Builtin::FloatCeiling, vec![f(-1.5)]), int(-1));
        assert_eq!(ok(Builtin::FloatTruncate, vec![f(-1.9)]), int(-1));
        assert_eq!(ok(Builtin::FloatFloor, vec![f(-(2f64.powi(63)))]), int(i64::MIN));
        assert_eq!(
            kind(Builtin::FloatRound, vec![f(2f64.powi(63))]),
            ErrorKind::Builtin {
                function: "Float.round",
                message: "9.223372036854776e18 is not within the range of Int".into()
            }
        );
        assert_eq!(
            kind(Builtin::FloatTruncate, vec![f(f64::NAN)]),
            ErrorKind::Builtin { function: "Float.truncate", message: "NaN has no Int value".into() }
        );
        assert!(matches!(kind(Builtin::FloatCeiling, vec![f(f64::INFINITY)]), ErrorKind::Builtin { .. }));
    }

    #[test]
    fn float_parse_and_print() {
        let parse = |text: &str| ok(Builtin::FloatParse, vec![s(text)]).to_string();
        assert_eq!(parse("3.25"), "Ok(3.25)");
        assert_eq!(parse("1e3"), "Ok(1000.0)");
        assert_eq!(parse("-.5"), "Ok(-0.5)");
        for bad in ["nan", "NaN", "inf", "-infinity", "", " 1.0", "1,5", "0x1p3"] {
            assert!(parse(bad).starts_with("Error(\"not a Float"), "{bad:?}: {}", parse(bad));
        }
        assert_eq!(parse("1e400"), r#"Error("out of the range of Float: \"1e400\"")"#);
        assert_eq!(ok(Builtin::FloatToString, vec![Value::Float(3.0)]), s("3.0"));
        assert_eq!(ok(Builtin::FloatToString, vec![Value::Float(1e20)]), s("1.0e20"));
        assert_eq!(kind(Builtin::FloatPow, vec![Value::Float(10.0), Value::Float(400.0)]), ErrorKind::NonFiniteFloat);
        assert!(matches!(kind(Builtin::FloatSqrt, vec![Value::Float(-1.0)]), ErrorKind::Builtin { .. }));
        assert_eq!(ok(Builtin::FloatSqrt, vec![Value::Float(2.25)]), Value::Float(1.5));
    }

    // ---- Strings: characters, not bytes ----

    #[test]
    fn strings_are_indexed_by_characters() {
        let text = s("héllo wörld 🎉!");
        assert_eq!(ok(Builtin::StringLength, vec![text.clone()]), int(14));
        let slice = |start, end| ok(Builtin::StringSlice, vec![text.clone(), int(start), int(end)]);
        assert_eq!(slice(1, 4), s("éll"));
        assert_eq!(slice(7, 14), s("örld 🎉!"));
        assert_eq!(slice(12, 13), s("🎉"));
        assert_eq!(slice(-5, 2), s("hé"));
        assert_eq!(slice(10, 100), s("d 🎉!"));
        assert_eq!(slice(5, 3), s(""));
        assert_eq!(slice(i64::MIN, i64::MAX), text);
        assert_eq!(ok(Builtin::StringIndexOf, vec![text.clone(), s("🎉")]).to_string(), "Some(12)");
        assert_eq!(ok(Builtin::StringIndexOf, vec![text.clone(), s("zz")]).to_string(), "None");
        assert_eq!(ok(Builtin::StringIndexOf, vec![text.clone(), s("")]).to_string(), "Some(0)");
        assert_eq!(ok(Builtin::StringReverse, vec![s("aé🎉")]), s("🎉éa"));
        assert_eq!(ok(Builtin::StringSplit, vec![s("aé🎉"), s("")]).to_string(), r#"["a", "é", "🎉"]"#);
        assert_eq!(ok(Builtin::StringSplit, vec![s("a,,b"), s(",")]).to_string(), r#"["a", "", "b"]"#);
        assert_eq!(ok(Builtin::StringSplit, vec![s(""), s("")]).to_string(), "[]");
        assert_eq!(ok(Builtin::StringToChars, vec![s("é🎉")]).to_string(), "['é', '🎉']");
        assert_eq!(ok(Builtin::StringPadLeft, vec![s("é"), int(3), Value::Char('·')]), s("··é"));
        assert_eq!(ok(Builtin::StringPadLeft, vec![s("abc"), int(2), Value::Char('0')]), s("abc"));
        assert_eq!(ok(Builtin::StringPadLeft, vec![s("abc"), int(i64::MIN), Value::Char('0')]), s("abc"));
        assert_eq!(ok(Builtin::StringToUpper, vec![s("straße")]), s("STRASSE"));
        assert_eq!(ok(Builtin::CharToUpper, vec![Value::Char('ß')]), Value::Char('ß'));
        assert_eq!(ok(Builtin::CharToUpper, vec![Value::Char('é')]), Value::Char('É'));
        assert_eq!(ok(Builtin::CharFromCode, vec![int(0xD800)]).to_string(), "None");
        assert_eq!(ok(Builtin::CharFromCode, vec![int(-1)]).to_string(), "None");
        assert_eq!(ok(Builtin::CharFromCode, vec![int(0x1F389)]).to_string(), "Some('🎉')");
        assert_eq!(ok(Builtin::CharToCode, vec![Value::Char('é')]), int(0xE9));
    }

    #[test]
    fn string_building() {
        let lines = ok(Builtin::StringLines, vec![s("one\r\ntwo\n\nthree\n")]);
        assert_eq!(lines.to_string(), r#"["one", "two", "", "three", ""]"#);
        assert_eq!(ok(Builtin::StringJoin, vec![lines, s("+")]), s("one+two++three+"));
        assert_eq!(ok(Builtin::StringJoin, vec![Value::list(vec![]), s(",")]), s(""));
        assert_eq!(ok(Builtin::StringReplace, vec![s("a.b.c"), s("."), s("::")]), s("a::b::c"));
        assert_eq!(
            kind(Builtin::StringReplace, vec![s("abc"), s(""), s("x")]),
            ErrorKind::Builtin { function: "String.replace", message: "the text to replace must not be empty".into() }
        );
        assert_eq!(ok(Builtin::StringRepeat, vec![s("ab"), int(3)]), s("ababab"));
        assert_eq!(ok(Builtin::StringRepeat, vec![s("ab"), int(0)]), s(""));
        assert_eq!(
            kind(Builtin::StringRepeat, vec![s("x"), int(-1)]),
            ErrorKind::Builtin { function: "String.repeat", message: "cannot repeat -1 times".into() }
        );
        assert_eq!(ok(Builtin::StringTrim, vec![s("\u{3000} x \n")]), s("x"));
        assert!(matches!(kind(Builtin::StringJoin, vec![ints(&[1]), s(",")]), ErrorKind::IllTyped(_)));
    }

    #[test]
    fn size_limits_are_checked_before_allocating() {
        let too_big = |error: ErrorKind| matches!(error, ErrorKind::SizeLimit { limit: MAX_COLLECTION, .. });
        assert!(too_big(kind(Builtin::StringRepeat, vec![s("ab"), int(5_000_001)])));
        assert!(too_big(kind(Builtin::StringRepeat, vec![s("ab"), int(i64::MAX)])));
        assert!(too_big(kind(Builtin::StringPadLeft, vec![s("a"), int(i64::MAX), Value::Char(' ')])));
        assert!(too_big(kind(Builtin::ListRepeat, vec![int(1), int(10_000_001)])));
        assert!(too_big(kind(Builtin::ListRange, vec![int(0), int(10_000_000)])));
        assert!(too_big(kind(Builtin::ListRange, vec![int(i64::MIN), int(i64::MAX)])));
        let big = s(&"é".repeat(3_000_000));
        assert!(too_big(kind(Builtin::StringReplace, vec![big.clone(), s("é"), s("abcd")])));
        let parts = Value::list(vec![big.clone(), big.clone(), big.clone(), big]);
        assert!(too_big(kind(Builtin::StringJoin, vec![parts, s("")])));
        assert_eq!(ok(Builtin::ListRange, vec![int(3), int(1)]), ints(&[]));
        assert_eq!(ok(Builtin::ListRange, vec![int(i64::MAX - 1), int(i64::MAX)]), ints(&[i64::MAX - 1, i64::MAX]));
        assert_eq!(
            kind(Builtin::ListRepeat, vec![int(1), int(-2)]),
            ErrorKind::Builtin { function: "List.repeat", message: "cannot repeat -2 times".into() }
        );
    }

    #[test]
    fn loops_charge_the_step_budget() {
        let mut fake = Fake::new();
        let table = table();
        let site = CallSite { result_type: &Type::Var(0), table: &table };
        call_pure(Builtin::ListRange, vec![int(1), int(1000)], &site, &mut fake).expect("range");
        assert!(fake.steps >= 1000, "{}", fake.steps);
        let mut fake = Fake { budget: 10_000, ..Fake::new() };
        let long = Value::list(vec![s("x"); 20_000]);
        let mapped = call_pure(Builtin::ListMap, vec![long, builtin_fn(Builtin::StringLength)], &site, &mut fake);
        assert!(matches!(mapped.map_err(|e| e.kind), Err(ErrorKind::StepLimit { .. })));
    }

    // ---- Lists ----

    #[test]
    fn sorting_is_stable_and_total() {
        let floats = Value::list([2.0, -0.0, 0.0, -1.5].into_iter().map(Value::Float).collect());
        assert_eq!(ok(Builtin::ListSort, vec![floats]).to_string(), "[-1.5, -0.0, 0.0, 2.0]");
        let words = Value::list(["ccc", "a", "bb", "b", "aa", "c"].into_iter().map(s).collect());
        assert_eq!(ok(Builtin::ListSort, vec![words.clone()]).to_string(), r#"["a", "aa", "b", "bb", "c", "ccc"]"#);
        let by_length = ok(Builtin::ListSortBy, vec![words, builtin_fn(Builtin::StringLength)]);
        assert_eq!(by_length.to_string(), r#"["a", "b", "c", "bb", "aa", "ccc"]"#);
        assert_eq!(compare(&Value::Char('a'), &Value::Char('b')), Ordering::Less);
        assert_eq!(compare(&s("b"), &s("a")), Ordering::Greater);
        assert_eq!(compare(&s("Z"), &s("a")), Ordering::Less);
        assert_eq!(compare(&int(1), &s("a")), Ordering::Equal);
        assert_eq!(compare(&Value::Float(-0.5), &Value::Float(1.0)), Ordering::Less);
    }

    #[test]
    fn equality_based_functions() {
        let values = Value::list(vec![
            Value::Float(0.0),
            Value::Float(-0.0),
            int(0),
            todo(1, "a", None),
            todo(1, "a", None),
            todo(1, "a", Some("n")),
            ints(&[1, 2]),
            ints(&[1, 2]),
            Value::none(),
            Value::none(),
        ]);
        let unique = ok(Builtin::ListUnique, vec![values.clone()]);
        let Value::List(unique) = unique else { panic!("not a list") };
        assert_eq!(unique.len(), 6);
        assert_eq!(unique[0].to_string(), "0.0");
        assert_eq!(unique[1], int(0));
        assert_eq!(ok(Builtin::ListContains, vec![values.clone(), todo(1, "a", Some("n"))]), Value::Bool(true));
        assert_eq!(ok(Builtin::ListContains, vec![values, todo(2, "a", None)]), Value::Bool(false));
        let with_function = Value::list(vec![builtin_fn(Builtin::IntAbs)]);
        assert_eq!(kind(Builtin::ListUnique, vec![with_function.clone()]), ErrorKind::CompareFunctions);
        assert_eq!(
            kind(Builtin::ListContains, vec![with_function.clone(), builtin_fn(Builtin::IntAbs)]),
            ErrorKind::CompareFunctions
        );
        let some_function = Value::list(vec![Value::some(builtin_fn(Builtin::IntAbs))]);
        assert_eq!(kind(Builtin::ListContains, vec![some_function, Value::none()]), ErrorKind::CompareFunctions);
    }

    #[test]
    fn list_access_and_building() {
        let list = ints(&[1, 2, 3]);
        assert_eq!(ok(Builtin::ListGet, vec![list.clone(), int(-1)]).to_string(), "None");
        assert_eq!(ok(Builtin::ListGet, vec![list.clone(), int(2)]).to_string(), "Some(3)");
        assert_eq!(ok(Builtin::ListTail, vec![list.clone()]).to_string(), "Some([2, 3])");
        assert_eq!(ok(Builtin::ListTail, vec![ints(&[])]).to_string(), "None");
        assert_eq!(ok(Builtin::ListTake, vec![list.clone(), int(-1)]).to_string(), "[]");
        assert_eq!(ok(Builtin::ListTake, vec![list.clone(), int(i64::MAX)]).to_string(), "[1, 2, 3]");
        assert_eq!(ok(Builtin::ListDrop, vec![list.clone(), int(2)]).to_string(), "[3]");
        assert_eq!(ok(Builtin::ListDrop, vec![list.clone(), int(-5)]).to_string(), "[1, 2, 3]");
        let nested = Value::list(vec![list.clone(), ints(&[]), ints(&[4])]);
        assert_eq!(ok(Builtin::ListConcat, vec![nested]).to_string(), "[1, 2, 3, 4]");
        let options = Value::list(vec![s("1"), s("x"), s("3")]);
        let parsed = ok(Builtin::ListMap, vec![options.clone(), builtin_fn(Builtin::IntParse)]);
        assert_eq!(parsed.to_string(), r#"[Ok(1), Error("not an Int: \"x\""), Ok(3)]"#);
        let lengths =
            ok(Builtin::ListGroupBy, vec![Value::list(vec![s("b"), s("a"), s("b")]), builtin_fn(Builtin::StringTrim)]);
        assert_eq!(lengths.to_string(), r#"{ "a": ["a"], "b": ["b", "b"] }"#);
        let digits = Value::list(vec![Value::Char('1'), Value::Char('x')]);
        assert_eq!(ok(Builtin::ListAll, vec![digits.clone(), builtin_fn(Builtin::CharIsDigit)]), Value::Bool(false));
        assert_eq!(ok(Builtin::ListAny, vec![digits.clone(), builtin_fn(Builtin::CharIsDigit)]), Value::Bool(true));
        assert_eq!(
            ok(Builtin::ListFind, vec![digits.clone(), builtin_fn(Builtin::CharIsLetter)]).to_string(),
            "Some('x')"
        );
        assert_eq!(ok(Builtin::ListAll, vec![ints(&[]), builtin_fn(Builtin::CharIsDigit)]), Value::Bool(true));
        assert!(matches!(
            kind(Builtin::ListFilter, vec![digits, builtin_fn(Builtin::CharToUpper)]),
            ErrorKind::IllTyped(_)
        ));
    }

    // ---- Dict ----

    #[test]
    fn dict_entries_and_order() {
        let entries = Value::list(vec![entry("b", int(1)), entry("a", int(2)), entry("b", int(3))]);
        let dict = ok(Builtin::DictFromEntries, vec![entries]);
        assert_eq!(dict.to_string(), r#"{ "a": 2, "b": 3 }"#);
        assert_eq!(ok(Builtin::DictKeys, vec![dict.clone()]).to_string(), r#"["a", "b"]"#);
        assert_eq!(
            ok(Builtin::DictEntries, vec![dict.clone()]).to_string(),
            r#"[Entry { key: "a", value: 2 }, Entry { key: "b", value: 3 }]"#
        );
        let other = ok(Builtin::DictSet, vec![ok(Builtin::DictEmpty, vec![]), s("b"), int(9)]);
        assert_eq!(ok(Builtin::DictMerge, vec![dict.clone(), other]).to_string(), r#"{ "a": 2, "b": 9 }"#);
        assert_eq!(ok(Builtin::DictRemove, vec![dict.clone(), s("a")]).to_string(), r#"{ "b": 3 }"#);
        assert_eq!(ok(Builtin::DictRemove, vec![dict.clone(), s("z")]), dict);
        assert_eq!(ok(Builtin::DictGet, vec![dict, s("z")]).to_string(), "None");
    }

    // ---- Http and Time ----

    #[test]
    fn http_builders() {
        let response = ok(Builtin::HttpJson, vec![todo(1, "t", None), int(201)]);
        assert_eq!(
            response.to_string(),
            r#"Http.Response { status: 201, headers: { "content-type": "application/json" }, body: "{\"id\":1,\"title\":\"t\",\"done\":false,\"tags\":[\"x\"],\"note\":null}" }"#
        );
        let redirect = ok(Builtin::HttpRedirect, vec![s("/there")]);
        let with = ok(Builtin::HttpWithHeader, vec![redirect, s("X-Trace-ID"), s("abc")]);
        assert_eq!(
            with.to_string(),
            r#"Http.Response { status: 302, headers: { "location": "/there", "x-trace-id": "abc" }, body: "" }"#
        );
        let html = ok(Builtin::HttpHtml, vec![s("<b>"), int(200)]);
        assert_eq!(
            html.field("headers").map(ToString::to_string).as_deref(),
            Some(r#"{ "content-type": "text/html; charset=utf-8" }"#)
        );
        assert_eq!(
            ok(Builtin::HttpEmpty, vec![int(204)]).field("headers").map(ToString::to_string).as_deref(),
            Some("{}")
        );
        assert_eq!(
            kind(Builtin::HttpJson, vec![builtin_fn(Builtin::IntAbs), int(200)]),
            ErrorKind::Builtin { function: "Http.json", message: "cannot encode a function as JSON".into() }
        );
    }

    #[test]
    fn iso_time_handles_epoch_leap_years_and_negative_times() {
        for (milliseconds, text) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (1_767_225_600_123, "2026-01-01T00:00:00.123Z"),
            (1_709_210_096_789, "2024-02-29T12:34:56.789Z"),
            (-2_203_891_200_000, "1900-03-01T00:00:00.000Z"),
            (-2_203_891_200_001, "1900-02-28T23:59:59.999Z"),
            (-11_670_998_400_000, "1600-02-29T00:00:00.000Z"),
            (-14_182_940_000, "1969-07-20T20:17:40.000Z"),
            (-62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
        ] {
            assert_eq!(iso_time(milliseconds).as_deref(), Some(text), "{milliseconds}");
        }
        // Past the years RFC 3339 writes, and at the extremes: an error, not `+010000-…`.
        for milliseconds in [253_402_300_800_000, -62_167_219_200_001, i64::MAX, i64::MIN] {
            assert_eq!(iso_time(milliseconds), None, "{milliseconds}");
            assert!(matches!(
                kind(Builtin::TimeToIso, vec![int(milliseconds)]),
                ErrorKind::Builtin { function: "Time.toIso", .. }
            ));
        }
        assert_eq!(ok(Builtin::TimeToIso, vec![int(0)]), s("1970-01-01T00:00:00.000Z"));
    }

    #[test]
    fn civil_dates_agree_with_counting_days() {
        // Walk day by day over four centuries around the epoch.
        let (mut year, mut month, mut day) = (1800i64, 1u32, 1u32);
        let days_in = |year: i64, month: u32| match month {
            2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        for days in -62_091..84_000 {
            assert_eq!(civil_from_days(days), (year, month, day), "day {days}");
            day += 1;
            if day > days_in(year, month) {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
    }

    #[test]
    fn effects_are_not_pure() {
        assert!(matches!(kind(Builtin::TimeNow, vec![]), ErrorKind::Internal(_)));
        assert!(matches!(kind(Builtin::LogInfo, vec![s("x")]), ErrorKind::Internal(_)));
    }

    // ---- JSON ----

    #[test]
    fn json_parse_stringify_and_encode() {
        let parsed = ok(Builtin::JsonParse, vec![s(r#"{"b": [1, 2.5, null, true], "a": "x"}"#)]);
        assert_eq!(
            parsed.to_string(),
            r#"Ok(JsonObject({ "a": JsonString("x"), "b": JsonList([JsonInt(1), JsonFloat(2.5), JsonNull, JsonBool(true)]) }))"#
        );
        let Value::Variant(result) = &parsed else { panic!("not a Result") };
        let tree = result.payload[0].clone();
        assert_eq!(ok(Builtin::JsonStringify, vec![tree]), s(r#"{"a":"x","b":[1,2.5,null,true]}"#));
        assert_eq!(
            ok(Builtin::JsonParse, vec![s(r#"{"a": }"#)]).to_string(),
            r#"Error("expected value at line 1 column 7")"#
        );
        assert_eq!(
            ok(Builtin::JsonParse, vec![s("18446744073709551615")]).to_string(),
            "Ok(JsonFloat(1.8446744073709552e19))"
        );
        let shapes = Value::list(vec![
            Value::variant("Shape", "Circle", vec![Value::Float(1.5)]),
            Value::variant("Shape", "Rect", vec![Value::Float(1.0), Value::Float(2.0)]),
            Value::variant("Shape", "Empty", vec![]),
            Value::ok(int(1)),
            Value::error(s("e")),
            Value::some(Value::Char('c')),
            Value::none(),
            Value::Unit,
        ]);
        assert_eq!(
            ok(Builtin::JsonEncode, vec![shapes]),
            s(r#"[{"Circle":1.5},{"Rect":[1.0,2.0]},"Empty",{"Ok":1},{"Error":"e"},"c",null,null]"#)
        );
        assert_eq!(
            kind(Builtin::JsonEncode, vec![Value::list(vec![builtin_fn(Builtin::IntAbs)])]),
            ErrorKind::Builtin { function: "Json.encode", message: "cannot encode a function as JSON".into() }
        );
        assert_eq!(kind(Builtin::JsonEncode, vec![Value::Float(f64::NAN)]), ErrorKind::NonFiniteFloat);
        assert!(matches!(
            kind(Builtin::JsonToJson, vec![Value::Datastore("todos".into())]),
            ErrorKind::Builtin { function: "Json.toJson", .. }
        ));
    }

    #[test]
    fn json_decode_errors_name_the_path() {
        let page = Type::con("Page");
        let text = r#"{"odd key": 1, "items": [
            {"id": 1, "title": "a", "done": false, "tags": []},
            {"id": 2, "title": "b", "done": true, "tags": ["t"], "note": null},
            {"id": "x", "title": "c", "done": true, "tags": []}
        ]}"#;
        assert_eq!(decode(text, page.clone()), Err(r#"at $.items[2].id: expected Int, found string "x""#.into()));
        assert_eq!(
            decode(r#"{"items": [], "odd key": "1"}"#, page.clone()),
            Err(r#"at $["odd key"]: expected Int, found string "1""#.into())
        );
        assert_eq!(decode(r#"{"items": []}"#, page.clone()), Err("at $: missing field `odd key`".into()));
        assert_eq!(decode(r#"{"id": 1}"#, Type::con("Todo")), Err("at $: missing field `title`".into()));
        assert_eq!(
            decode(r#"{"id": 1, "title": "t", "done": false, "tags": [1]}"#, Type::con("Todo")),
            Err("at $.tags[0]: expected String, found number 1".into())
        );
        assert_eq!(
            decode("[1]", Type::con("Todo")),
            Err("at $: expected an object (`Todo`), found an array of 1 element".into())
        );
        assert_eq!(decode("1.5", Type::int()), Err("at $: expected Int, found number 1.5".into()));
        assert_eq!(
            decode("18446744073709551615", Type::int()),
            Err("at $: expected Int, found number 18446744073709551615 (out of the range of Int)".into())
        );
        assert_eq!(
            decode("1e300", Type::int()),
            Err("at $: expected Int, found number 1e+300 (out of the range of Int)".into())
        );
        assert_eq!(
            decode("\"ab\"", Type::char()),
            Err(r#"at $: expected a one-character string (Char), found string "ab""#.into())
        );
        assert_eq!(decode("0", Type::unit()), Err("at $: expected null (the unit value `()`), found number 0".into()));
        assert_eq!(decode("{}", Type::list(Type::int())), Err("at $: expected List<Int>, found an object".into()));
        assert_eq!(decode("[]", Type::Var(3)), Err("at $: cannot decode into an unknown type".into()));
        assert_eq!(
            decode("[1]", Type::list(Type::Generic(0))),
            Err("at $[0]: cannot decode into an unknown type".into())
        );
        assert_eq!(decode("1", Type::con("Nope")), Err("at $: unknown type `Nope`".into()));
        assert_eq!(
            decode("\"Square\"", Type::con("Shape")),
            Err("at $: `Square` is not a case of `Shape` (expected one of `Circle`, `Rect`, `Empty`)".into())
        );
        assert_eq!(
            decode("\"Circle\"", Type::con("Shape")),
            Err(r#"at $: `Circle` takes 1 value; write it as {"Circle": value}"#.into())
        );
        assert_eq!(
            decode(r#"{"Rect": [1]}"#, Type::con("Shape")),
            Err("at $.Rect: `Rect` takes 2 values as an array, found an array of 1 element".into())
        );
        assert_eq!(
            decode(r#"{"Empty": null}"#, Type::con("Shape")),
            Err(r#"at $: `Empty` has no payload; write it as the string "Empty""#.into())
        );
        assert_eq!(
            decode(r#"[{"Rect": [1, "w"]}]"#, Type::list(Type::con("Shape"))),
            Err(r#"at $[0].Rect[1]: expected Float, found string "w""#.into())
        );
        let long = format!("\"{}\"", "y".repeat(100));
        assert_eq!(
            decode(&long, Type::int()),
            Err(format!("at $: expected Int, found string \"{}\"…", "y".repeat(40)))
        );
    }

    #[test]
    fn json_decode_accepts() {
        let todo_json = r#"{"id": 1.0, "title": "t", "done": false, "tags": ["x"], "extra": [1, 2]}"#;
        assert_eq!(decode(todo_json, Type::con("Todo")), Ok(todo(1, "t", None)));
        let with_note = r#"{"id": 1e0, "title": "t", "done": false, "tags": ["x"], "note": "n"}"#;
        assert_eq!(decode(with_note, Type::con("Todo")), Ok(todo(1, "t", Some("n"))));
        assert_eq!(decode("-9223372036854775808", Type::int()), Ok(int(i64::MIN)));
        assert_eq!(decode("3", Type::float()), Ok(Value::Float(3.0)));
        assert_eq!(
            decode("[1, null]", Type::list(Type::option(Type::int()))).map(|v| v.to_string()),
            Ok("[Some(1), None]".into())
        );
        assert_eq!(decode(r#"{"Ok": 2}"#, Type::result(Type::int(), Type::string())), Ok(Value::ok(int(2))));
        assert_eq!(decode("null", Type::unit()), Ok(Value::Unit));
        assert_eq!(decode(r#""é""#, Type::char()), Ok(Value::Char('é')));
        assert_eq!(
            decode(r#"{"b": 1, "a": 2}"#, Type::dict(Type::int())).map(|v| v.to_string()),
            Ok(r#"{ "a": 2, "b": 1 }"#.into())
        );
        assert_eq!(
            decode(r#"{"x": [1.5]}"#, Type::con("Json")).map(|v| v.to_string()),
            Ok("JsonObject({ \"x\": JsonList([JsonFloat(1.5)]) })".into())
        );
        let entry_type = Type::app("Entry", vec![Type::float()]);
        assert_eq!(decode(r#"{"key": "k", "value": 2}"#, entry_type), Ok(entry("k", Value::Float(2.0))));
    }

    #[test]
    fn json_decode_builtin_uses_the_call_site_type() {
        let result = Type::result(Type::con("Todo"), Type::string());
        let text = s(r#"{"id": 7, "title": "t", "done": false, "tags": ["x"]}"#);
        assert_eq!(call_at(Builtin::JsonDecode, vec![text], &result).ok(), Some(Value::ok(todo(7, "t", None))));
        assert_eq!(
            call_at(Builtin::JsonDecode, vec![s("{")], &result).ok().map(|v| v.to_string()),
            Some(r#"Error("invalid JSON: EOF while parsing an object at line 1 column 1")"#.into())
        );
        assert_eq!(
            call_at(Builtin::JsonDecode, vec![s("{}")], &result).ok().map(|v| v.to_string()),
            Some(r#"Error("at $: missing field `id`")"#.into())
        );
        let unknown = call_at(Builtin::JsonDecode, vec![s("1")], &Type::Var(1)).map_err(|e| e.kind);
        assert!(matches!(unknown, Err(ErrorKind::Builtin { function: "Json.decode", .. })), "{unknown:?}");
        let partly = Type::result(Type::list(Type::Var(1)), Type::string());
        let partly = call_at(Builtin::JsonDecode, vec![s("[]")], &partly).map_err(|e| e.kind);
        assert!(matches!(partly, Err(ErrorKind::Builtin { function: "Json.decode", .. })), "{partly:?}");
        let tree = json_tree(&serde_json::json!({"Circle": 2}));
        let shape = Type::result(Type::con("Shape"), Type::string());
        assert_eq!(
            call_at(Builtin::JsonFromJson, vec![tree], &shape).ok(),
            Some(Value::ok(Value::variant("Shape", "Circle", vec![Value::Float(2.0)])))
        );
    }

    #[test]
    fn json_round_trips_through_values() {
        let table = table();
        let cases = vec![
            (todo(1, "a\"b", Some("ü")), Type::con("Todo")),
            (
                Value::list(vec![
                    Value::variant("Shape", "Rect", vec![Value::Float(1.0), Value::Float(-2.5)]),
                    Value::variant("Shape", "Empty", vec![]),
                ]),
                Type::list(Type::con("Shape")),
            ),
            (Value::ok(Value::some(int(3))), Type::result(Type::option(Type::int()), Type::string())),
            (Value::error(s("bad")), Type::result(Type::int(), Type::string())),
            (
                Value::dict(BTreeMap::from([("k".to_string(), Value::Char('c')), ("".to_string(), Value::Char('🎉'))])),
                Type::dict(Type::char()),
            ),
            (Value::Unit, Type::unit()),
            (Value::Float(1e-300), Type::float()),
            (int(i64::MIN), Type::int()),
            (json_tree(&serde_json::json!({"a": [1, 2.5, null, "s", {"b": false}]})), Type::con("Json")),
        ];
        for (value, ty) in cases {
            let json = to_json(&value).expect("encodes");
            let text = json.to_string();
            let reparsed: serde_json::Value = serde_json::from_str(&text).expect("reparses");
            assert_eq!(from_json(&reparsed, &ty, &table), Ok(value.clone()), "{text}");
        }
    }

    #[test]
    fn json_depth_is_bounded() {
        let mut deep = int(1);
        for _ in 0..MAX_DEPTH + 5 {
            deep = Value::list(vec![deep]);
        }
        assert!(matches!(to_json(&deep), Err(ErrorKind::Builtin { function: "Json.encode", .. })));
        let mut fine = int(1);
        // Each round opens two arrays: up to the limit, not past it.
        for _ in 0..(MAX_DEPTH - 1) / 2 {
            fine = Value::some(Value::list(vec![fine]));
            fine = Value::list(vec![fine]);
        }
        let json = to_json(&fine).expect("within the limit");
        assert!(json.to_string().starts_with("[[[["));
    }

    fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            (-1e300..1e300f64).prop_map(serde_json::Value::from),
            "\\PC{0,8}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                prop::collection::vec(("\\PC{0,6}", inner), 0..6)
                    .prop_map(|fields| serde_json::Value::Object(fields.into_iter().collect())),
            ]
        })
    }

    /// Objects with their keys sorted, as a `Json` tree keeps them.
    fn sorted(json: &serde_json::Value) -> serde_json::Value {
        match json {
            serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(sorted).collect()),
            serde_json::Value::Object(fields) => {
                let mut fields: Vec<_> = fields.iter().map(|(k, v)| (k.clone(), sorted(v))).collect();
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(fields.into_iter().collect())
            }
            other => other.clone(),
        }
    }

    /// Numbers as f64, since a u64 beyond Int comes back as a JsonFloat.
    fn numbers_as_floats(json: &serde_json::Value) -> serde_json::Value {
        match json {
            serde_json::Value::Number(n) if n.as_i64().is_none() => {
                serde_json::Value::from(n.as_f64().unwrap_or_default())
            }
            serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(numbers_as_floats).collect()),
            serde_json::Value::Object(fields) => {
                serde_json::Value::Object(fields.iter().map(|(k, v)| (k.clone(), numbers_as_floats(v))).collect())
            }
            other => other.clone(),
        }
    }

    proptest! {
        #[test]
        fn json_trees_round_trip(json in arbitrary_json()) {
            let tree = json_tree(&json);
            let back = tree_to_json(&tree).expect("a tree encodes");
            prop_assert_eq!(&back, &numbers_as_floats(&sorted(&json)));
            let decoded = from_json(&json, &Type::con("Json"), &table()).expect("anything decodes as Json");
            prop_assert_eq!(decoded, tree);
        }

        #[test]
        fn string_slice_matches_a_char_model(text in "\\PC{0,12}", start in -3i64..16, end in -3i64..16) {
            let chars: Vec<char> = text.chars().collect();
            let clamp = |i: i64| i.clamp(0, chars.len() as i64) as usize;
            let expected: String = if clamp(start) < clamp(end) { chars[clamp(start)..clamp(end)].iter().collect() } else { String::new() };
            prop_assert_eq!(ok(Builtin::StringSlice, vec![s(&text), int(start), int(end)]), s(&expected));
        }

        #[test]
        fn iso_time_reads_back(ms in -62_167_219_200_000i64..253_402_300_800_000) {
            let text = iso_time(ms).expect("within the years RFC 3339 writes");
            prop_assert_eq!(text.len(), 24);
            let year: i64 = text[0..4].parse().expect("year");
            let month: i64 = text[5..7].parse().expect("month");
            let day: i64 = text[8..10].parse().expect("day");
            // days_from_civil (Hinnant), the inverse.
            let y = if month <= 2 { year - 1 } else { year };
            let era = y.div_euclid(400);
            let yoe = y - era * 400;
            let mp = (month + 9) % 12;
            let doy = (153 * mp + 2) / 5 + day - 1;
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            let days = era * 146_097 + doe - 719_468;
            let h: i64 = text[11..13].parse().expect("hours");
            let m: i64 = text[14..16].parse().expect("minutes");
            let sec: i64 = text[17..19].parse().expect("seconds");
            let milli: i64 = text[20..23].parse().expect("millis");
            prop_assert_eq!(days * 86_400_000 + ((h * 60 + m) * 60 + sec) * 1000 + milli, ms);
        }
    }
}
