//! `Json.*`: the JSON mapping of values (see `crate::json`) and JSON text.

use super::*;

#[inline(never)]
pub(super) fn call(args: &Args, site: &CallSite, callbacks: &mut dyn Callbacks) -> Result<Value, RuntimeError> {
    let builtin = args.builtin;
    use Builtin as B;
    Ok(match builtin {
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
        other => return Err(elsewhere(other)),
    })
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
pub(super) fn json_text(
    builtin: Builtin,
    value: &Value,
    callbacks: &mut dyn Callbacks,
) -> Result<String, RuntimeError> {
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
