//! Every pure standard library function. One exhaustive `match` on
//! [`Builtin`]: adding a function to the table without implementing it here
//! does not compile. Effects are not here; they go through `Effects`.

use crate::error::{ErrorKind, RuntimeError};
use crate::json::{from_json, json_tree, to_json};
use crate::value::{Value, format_float};
use gloam_language::Builtin;
use gloam_language::types::table::TypeTable;
use gloam_language::types::ty::Type;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The most elements one list, dict or string (in characters) may have.
pub const MAX_COLLECTION: usize = 10_000_000;

/// What a builtin needs from the evaluator.
pub trait Callbacks {
    /// Calls a function value (closure, global, builtin, constructor).
    fn call(&mut self, function: &Value, arguments: Vec<Value>) -> Result<Value, RuntimeError>;
    /// Charges steps to the budget; builtins that loop charge one per element.
    fn charge(&mut self, steps: u64) -> Result<(), RuntimeError>;
}

/// The types a call was checked at, for functions whose behaviour depends on
/// them (`Json.decode`, `Json.fromJson` decode into their result's `Ok` type).
pub struct CallSite<'a> {
    pub result_type: &'a Type,
    pub table: &'a TypeTable,
}

/// The natural order of comparable values (Int, Float, String, Char);
/// `Equal` for anything else.
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

fn overflow(operation: String) -> RuntimeError {
    ErrorKind::IntOverflow { operation }.into()
}

fn finite(value: f64) -> Result<Value, RuntimeError> {
    if value.is_finite() { Ok(Value::Float(value)) } else { Err(ErrorKind::NonFiniteFloat.into()) }
}

fn float_to_int(builtin: Builtin, value: f64) -> Result<Value, RuntimeError> {
    // i64::MAX as f64 rounds up to 2^63, which is out of range.
    if value.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&value) {
        return Err(fail(builtin, format!("{} is not within the range of Int", format_float(value))));
    }
    Ok(Value::Int(value as i64))
}

fn no_function(value: &Value) -> Result<(), RuntimeError> {
    if value.contains_function() { Err(ErrorKind::CompareFunctions.into()) } else { Ok(()) }
}

/// Arguments by position and kind; a wrong kind means the checker let broken code through.
struct Args {
    builtin: Builtin,
    values: Vec<Value>,
}

impl Args {
    fn get(&self, index: usize) -> Result<&Value, RuntimeError> {
        self.values.get(index).ok_or_else(|| fail(self.builtin, format!("missing argument {}", index + 1)))
    }

    fn wrong(&self, index: usize, expected: &str) -> RuntimeError {
        let found = self.values.get(index).map_or("nothing", Value::kind);
        let message = format!("{}: argument {} should be {expected}, found {found}", self.builtin.name(), index + 1);
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

    fn list(&self, index: usize) -> Result<&Arc<Vec<Value>>, RuntimeError> {
        match self.get(index)? {
            Value::List(items) => Ok(items),
            _ => Err(self.wrong(index, "a List")),
        }
    }

    fn dict(&self, index: usize) -> Result<&Arc<BTreeMap<String, Value>>, RuntimeError> {
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
}

fn chars_of(text: &str) -> Vec<char> {
    text.chars().collect()
}

fn string_result(text: String) -> Result<Value, RuntimeError> {
    check_size(text.chars().count())?;
    Ok(Value::string(text))
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

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn iso_time(milliseconds: i64) -> String {
    let days = milliseconds.div_euclid(86_400_000);
    let in_day = milliseconds.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (hours, minutes) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (seconds, millis) = (in_day / 1000 % 60, in_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z")
}

/// The `Ok` type of a call site's `Result<a, String>` result.
fn decode_target<'t>(site: &'t CallSite) -> &'t Type {
    match site.result_type {
        Type::Con(name, args) if name == "Result" && !args.is_empty() => &args[0],
        other => other,
    }
}

fn decoded(result: Result<Value, String>) -> Value {
    match result {
        Ok(value) => Value::ok(value),
        Err(message) => Value::error(Value::string(message)),
    }
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
        B::StringLength => Value::Int(args.string(0)?.chars().count() as i64),
        B::StringIsEmpty => Value::Bool(args.string(0)?.is_empty()),
        B::StringToUpper => Value::string(args.string(0)?.to_uppercase()),
        B::StringToLower => Value::string(args.string(0)?.to_lowercase()),
        B::StringTrim => Value::string(args.string(0)?.trim()),
        B::StringContains => Value::Bool(args.string(0)?.contains(args.string(1)?)),
        B::StringStartsWith => Value::Bool(args.string(0)?.starts_with(args.string(1)?)),
        B::StringEndsWith => Value::Bool(args.string(0)?.ends_with(args.string(1)?)),
        B::StringSplit => {
            let (text, separator) = (args.string(0)?, args.string(1)?);
            callbacks.charge(text.len() as u64)?;
            let parts: Vec<Value> = if separator.is_empty() {
                text.chars().map(|c| Value::string(c.to_string())).collect()
            } else {
                text.split(separator).map(Value::string).collect()
            };
            Value::list(parts)
        }
        B::StringJoin => {
            let parts = args.list(0)?;
            callbacks.charge(parts.len() as u64)?;
            let texts = parts
                .iter()
                .enumerate()
                .map(|(i, part)| match part {
                    Value::String(s) => Ok(s.to_string()),
                    _ => Err(args.wrong(i, "a String")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            string_result(texts.join(args.string(1)?))?
        }
        B::StringReplace => {
            let (text, from, to) = (args.string(0)?, args.string(1)?, args.string(2)?);
            if from.is_empty() {
                return Err(fail(builtin, "the text to replace must not be empty"));
            }
            let count = text.matches(from).count();
            check_size(text.chars().count() + count * to.chars().count())?;
            callbacks.charge(text.len() as u64)?;
            Value::string(text.replace(from, to))
        }
        B::StringSlice => {
            let chars = chars_of(args.string(0)?);
            let length = chars.len() as i64;
            let start = args.int(1)?.clamp(0, length) as usize;
            let end = args.int(2)?.clamp(0, length) as usize;
            Value::string(if start < end { chars[start..end].iter().collect::<String>() } else { String::new() })
        }
        B::StringReverse => Value::string(args.string(0)?.chars().rev().collect::<String>()),
        B::StringRepeat => {
            let (text, count) = (args.string(0)?, args.int(1)?);
            if count < 0 {
                return Err(fail(builtin, format!("cannot repeat {count} times")));
            }
            let size = (text.chars().count() as u128) * (count as u128);
            check_size(usize::try_from(size).unwrap_or(usize::MAX))?;
            callbacks.charge(count as u64)?;
            Value::string(text.repeat(count as usize))
        }
        B::StringIndexOf => {
            let (text, part) = (args.string(0)?, args.string(1)?);
            Value::option(text.find(part).map(|byte| Value::Int(text[..byte].chars().count() as i64)))
        }
        B::StringToChars => Value::list(args.string(0)?.chars().map(Value::Char).collect()),
        B::StringFromChars => {
            let chars = args.list(0)?;
            let text = chars
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Value::Char(c) => Ok(*c),
                    _ => Err(args.wrong(i, "a Char")),
                })
                .collect::<Result<String, _>>()?;
            Value::string(text)
        }
        B::StringFromChar => Value::string(args.char(0)?.to_string()),
        B::StringLines => Value::list(
            args.string(0)?.split('\n').map(|line| Value::string(line.strip_suffix('\r').unwrap_or(line))).collect(),
        ),
        B::StringPadLeft => {
            let (text, width, pad) = (args.string(0)?, args.int(1)?, args.char(2)?);
            let length = text.chars().count() as i64;
            let missing = (width - length).max(0) as usize;
            check_size(missing + length as usize)?;
            Value::string(std::iter::repeat_n(pad, missing).chain(text.chars()).collect::<String>())
        }

        // ---- Int ----
        B::IntParse => {
            let text = args.string(0)?;
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
                return Err(fail(builtin, format!("low bound {low} is above high bound {high}")));
            }
            Value::Int(n.clamp(low, high))
        }
        B::IntPow => {
            let (base, exponent) = (args.int(0)?, args.int(1)?);
            if exponent < 0 {
                return Err(fail(builtin, format!("negative exponent {exponent}")));
            }
            let result = u32::try_from(exponent).ok().and_then(|e| base.checked_pow(e));
            let trivial = matches!(base, 0 | 1) || (base == -1);
            match result {
                Some(n) => Value::Int(n),
                None if trivial => Value::Int(if base == -1 && exponent % 2 == 1 {
                    -1
                } else if base == 0 {
                    0
                } else {
                    1
                }),
                None => return Err(overflow(format!("Int.pow({base}, {exponent})"))),
            }
        }
        B::IntIsEven => Value::Bool(args.int(0)? % 2 == 0),

        // ---- Float ----
        B::FloatParse => {
            let text = args.string(0)?;
            let looks_numeric = !text.is_empty()
                && text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
            match text.parse::<f64>() {
                Ok(value) if looks_numeric && value.is_finite() => Value::ok(Value::Float(value)),
                _ => Value::error(Value::string(format!("not a Float: {text:?}"))),
            }
        }
        B::FloatToString => Value::string(format_float(args.float(0)?)),
        B::FloatRound => float_to_int(builtin, args.float(0)?.round())?,
        B::FloatFloor => float_to_int(builtin, args.float(0)?.floor())?,
        B::FloatCeiling => float_to_int(builtin, args.float(0)?.ceil())?,
        B::FloatTruncate => float_to_int(builtin, args.float(0)?.trunc())?,
        B::FloatSqrt => {
            let value = args.float(0)?;
            if value < 0.0 {
                return Err(fail(builtin, format!("square root of negative {}", format_float(value))));
            }
            finite(value.sqrt())?
        }
        B::FloatAbs => Value::Float(args.float(0)?.abs()),
        B::FloatMin => Value::Float(args.float(0)?.min(args.float(1)?)),
        B::FloatMax => Value::Float(args.float(0)?.max(args.float(1)?)),
        B::FloatPow => finite(args.float(0)?.powf(args.float(1)?))?,

        // ---- Bool and Char ----
        B::BoolToString => match args.get(0)? {
            Value::Bool(b) => Value::string(b.to_string()),
            _ => return Err(args.wrong(0, "a Bool")),
        },
        B::CharToString => Value::string(args.char(0)?.to_string()),
        B::CharToCode => Value::Int(u32::from(args.char(0)?) as i64),
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
        B::ListHead => Value::option(args.list(0)?.first().cloned()),
        B::ListTail => {
            let items = args.list(0)?;
            Value::option((!items.is_empty()).then(|| Value::list(items[1..].to_vec())))
        }
        B::ListLast => Value::option(args.list(0)?.last().cloned()),
        B::ListGet => {
            let (items, index) = (args.list(0)?, args.int(1)?);
            Value::option(usize::try_from(index).ok().and_then(|i| items.get(i)).cloned())
        }
        B::ListPush => {
            let items = args.list(0)?;
            check_size(items.len() + 1)?;
            let mut pushed = Vec::with_capacity(items.len() + 1);
            pushed.extend(items.iter().cloned());
            pushed.push(args.get(1)?.clone());
            Value::list(pushed)
        }
        B::ListAppend => {
            let (first, second) = (args.list(0)?, args.list(1)?);
            check_size(first.len() + second.len())?;
            Value::list(first.iter().chain(second.iter()).cloned().collect())
        }
        B::ListConcat => {
            let lists = args.list(0)?;
            let mut flat = Vec::new();
            for (i, list) in lists.iter().enumerate() {
                let Value::List(items) = list else { return Err(args.wrong(i, "a List")) };
                check_size(flat.len() + items.len())?;
                flat.extend(items.iter().cloned());
            }
            Value::list(flat)
        }
        B::ListMap => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            let mut mapped = Vec::with_capacity(items.len());
            for item in items.iter() {
                mapped.push(callbacks.call(function, vec![item.clone()])?);
            }
            Value::list(mapped)
        }
        B::ListMapWithIndex => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            let mut mapped = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                mapped.push(callbacks.call(function, vec![Value::Int(i as i64), item.clone()])?);
            }
            Value::list(mapped)
        }
        B::ListFilter => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            let mut kept = Vec::new();
            for item in items.iter() {
                if matches!(callbacks.call(function, vec![item.clone()])?, Value::Bool(true)) {
                    kept.push(item.clone());
                }
            }
            Value::list(kept)
        }
        B::ListFilterMap => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            let mut kept = Vec::new();
            for item in items.iter() {
                if let Value::Variant(variant) = callbacks.call(function, vec![item.clone()])?
                    && let (true, Some(value)) = (variant.case == "Some", variant.payload.first())
                {
                    kept.push(value.clone());
                }
            }
            Value::list(kept)
        }
        B::ListFold => {
            let (items, function) = (args.list(0)?, args.get(2)?);
            let mut accumulator = args.get(1)?.clone();
            for item in items.iter() {
                accumulator = callbacks.call(function, vec![accumulator, item.clone()])?;
            }
            accumulator
        }
        B::ListReverse => Value::list(args.list(0)?.iter().rev().cloned().collect()),
        B::ListSort => {
            let mut items = args.list(0)?.to_vec();
            callbacks.charge(items.len() as u64)?;
            items.sort_by(compare);
            Value::list(items)
        }
        B::ListSortBy => {
            let (items, function) = (args.list(0)?, args.get(1)?);
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
                let count = (high as i128 - low as i128 + 1) as u128;
                check_size(usize::try_from(count).unwrap_or(usize::MAX))?;
                callbacks.charge(count as u64)?;
                Value::list((low..=high).map(Value::Int).collect())
            }
        }
        B::ListContains => {
            let (items, wanted) = (args.list(0)?, args.get(1)?);
            no_function(wanted)?;
            callbacks.charge(items.len() as u64)?;
            Value::Bool(items.iter().any(|item| item == wanted))
        }
        B::ListAny | B::ListAll | B::ListFind => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            let mut found = None;
            for item in items.iter() {
                let holds = matches!(callbacks.call(function, vec![item.clone()])?, Value::Bool(true));
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
            let count = usize::try_from(count.max(0)).unwrap_or(usize::MAX).min(items.len());
            Value::list(items[..count].to_vec())
        }
        B::ListDrop => {
            let (items, count) = (args.list(0)?, args.int(1)?);
            let count = usize::try_from(count.max(0)).unwrap_or(usize::MAX).min(items.len());
            Value::list(items[count..].to_vec())
        }
        B::ListSum => {
            let items = args.list(0)?;
            callbacks.charge(items.len() as u64)?;
            match items.first() {
                Some(Value::Float(_)) => {
                    let mut total = 0.0;
                    for (i, item) in items.iter().enumerate() {
                        let Value::Float(f) = item else { return Err(args.wrong(i, "a Float")) };
                        total += f;
                    }
                    finite(total)?
                }
                _ => {
                    let mut total: i64 = 0;
                    for (i, item) in items.iter().enumerate() {
                        let Value::Int(n) = item else { return Err(args.wrong(i, "an Int")) };
                        total = total.checked_add(*n).ok_or_else(|| overflow(format!("List.sum: {total} + {n}")))?;
                    }
                    Value::Int(total)
                }
            }
        }
        B::ListRepeat => {
            let (value, count) = (args.get(0)?, args.int(1)?);
            let count = usize::try_from(count.max(0)).unwrap_or(usize::MAX);
            check_size(count)?;
            callbacks.charge(count as u64)?;
            Value::list(vec![value.clone(); count])
        }
        B::ListUnique => {
            let items = args.list(0)?;
            let mut kept: Vec<Value> = Vec::new();
            for item in items.iter() {
                no_function(item)?;
                callbacks.charge(kept.len() as u64 + 1)?;
                if !kept.contains(item) {
                    kept.push(item.clone());
                }
            }
            Value::list(kept)
        }
        B::ListGroupBy => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            for item in items.iter() {
                let Value::String(key) = callbacks.call(function, vec![item.clone()])? else {
                    return Err(args.wrong(1, "a function returning a String"));
                };
                groups.entry(key.to_string()).or_default().push(item.clone());
            }
            Value::dict(groups.into_iter().map(|(k, v)| (k, Value::list(v))).collect())
        }

        // ---- Dict ----
        B::DictEmpty => Value::dict(BTreeMap::new()),
        B::DictGet => Value::option(args.dict(0)?.get(args.string(1)?).cloned()),
        B::DictSet => {
            let mut entries = (**args.dict(0)?).clone();
            check_size(entries.len() + 1)?;
            entries.insert(args.string(1)?.to_string(), args.get(2)?.clone());
            Value::dict(entries)
        }
        B::DictRemove => {
            let mut entries = (**args.dict(0)?).clone();
            entries.remove(args.string(1)?);
            Value::dict(entries)
        }
        B::DictHas => Value::Bool(args.dict(0)?.contains_key(args.string(1)?)),
        B::DictKeys => Value::list(args.dict(0)?.keys().map(|k| Value::string(k.as_str())).collect()),
        B::DictValues => Value::list(args.dict(0)?.values().cloned().collect()),
        B::DictSize => Value::Int(args.dict(0)?.len() as i64),
        B::DictEntries => Value::list(args.dict(0)?.iter().map(|(k, v)| entry(k, v.clone())).collect()),
        B::DictFromEntries => {
            let mut entries = BTreeMap::new();
            for (i, item) in args.list(0)?.iter().enumerate() {
                match (item.field("key"), item.field("value")) {
                    (Some(Value::String(key)), Some(value)) => {
                        entries.insert(key.to_string(), value.clone());
                    }
                    _ => return Err(args.wrong(i, "an Entry")),
                }
            }
            Value::dict(entries)
        }
        B::DictMap => {
            let (entries, function) = (args.dict(0)?, args.get(1)?);
            let mut mapped = BTreeMap::new();
            for (key, value) in entries.iter() {
                mapped.insert(key.clone(), callbacks.call(function, vec![value.clone()])?);
            }
            Value::dict(mapped)
        }
        B::DictFilter => {
            let (entries, function) = (args.dict(0)?, args.get(1)?);
            let mut kept = BTreeMap::new();
            for (key, value) in entries.iter() {
                let keep = callbacks.call(function, vec![Value::string(key.as_str()), value.clone()])?;
                if matches!(keep, Value::Bool(true)) {
                    kept.insert(key.clone(), value.clone());
                }
            }
            Value::dict(kept)
        }
        B::DictMerge => {
            let mut merged = (**args.dict(0)?).clone();
            let second = args.dict(1)?;
            check_size(merged.len() + second.len())?;
            merged.extend(second.iter().map(|(k, v)| (k.clone(), v.clone())));
            Value::dict(merged)
        }

        // ---- Option and Result ----
        B::OptionMap | B::ResultMap => match args.variant(0)? {
            (case @ ("Some" | "Ok"), Some(value)) => {
                let mapped = callbacks.call(args.get(1)?, vec![value.clone()])?;
                if case == "Some" { Value::some(mapped) } else { Value::ok(mapped) }
            }
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
        B::JsonParse => match serde_json::from_str::<serde_json::Value>(args.string(0)?) {
            Ok(json) => Value::ok(json_tree(&json)),
            Err(error) => Value::error(Value::string(error.to_string())),
        },
        B::JsonStringify | B::JsonEncode => Value::string(to_json(args.get(0)?)?.to_string()),
        B::JsonDecode => match serde_json::from_str::<serde_json::Value>(args.string(0)?) {
            Ok(json) => decoded(from_json(&json, decode_target(site), site.table)),
            Err(error) => Value::error(Value::string(format!("invalid JSON: {error}"))),
        },
        B::JsonToJson => json_tree(&to_json(args.get(0)?)?),
        B::JsonFromJson => decoded(from_json(&to_json(args.get(0)?)?, decode_target(site), site.table)),

        // ---- Http responses ----
        B::HttpText => response(args.int(1)?, Some("text/plain; charset=utf-8"), args.string(0)?.to_string()),
        B::HttpHtml => response(args.int(1)?, Some("text/html; charset=utf-8"), args.string(0)?.to_string()),
        B::HttpJson => response(args.int(1)?, Some("application/json"), to_json(args.get(0)?)?.to_string()),
        B::HttpEmpty => response(args.int(0)?, None, String::new()),
        B::HttpRedirect => {
            let redirect = response(302, None, String::new());
            with_header(&redirect, "location", args.string(0)?)
        }
        B::HttpWithHeader => with_header(args.get(0)?, args.string(1)?, args.string(2)?),

        // ---- Time ----
        B::TimeToIso => Value::string(iso_time(args.int(0)?)),

        B::DbGet
        | B::DbSet
        | B::DbDelete
        | B::DbGetAll
        | B::DbKeys
        | B::HttpGet
        | B::HttpPost
        | B::HttpRequest
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

fn with_header(response: &Value, name: &str, value: &str) -> Value {
    let Value::Record(record) = response else { return response.clone() };
    let mut updated = (**record).clone();
    for (field, slot) in updated.fields.iter_mut() {
        if field == "headers" {
            let mut headers = match slot {
                Value::Dict(headers) => (**headers).clone(),
                _ => BTreeMap::new(),
            };
            headers.insert(name.to_lowercase(), Value::string(value));
            *slot = Value::dict(headers);
        }
    }
    Value::Record(Arc::new(updated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_time_handles_epoch_leap_years_and_negative_times() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_time(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso_time(1_767_225_600_123), "2026-01-01T00:00:00.123Z");
    }

    #[test]
    fn compare_orders_floats_totally() {
        assert_eq!(compare(&Value::Float(-0.5), &Value::Float(1.0)), Ordering::Less);
        assert_eq!(compare(&Value::string("b"), &Value::string("a")), Ordering::Greater);
    }
}
