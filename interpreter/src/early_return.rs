//! What `?` does, written once for both engines: the interpreter calls
//! these directly, compiled code through the guest runtime (`rt_try_kind`,
//! `rt_try_response`), which is this crate built for wasm32.

use crate::builtins::{self, CallSite, Callbacks};
use crate::error::{ErrorKind, RuntimeError};
use crate::value::Value;
use gloam_language::Builtin;
use gloam_language::types::table::TypeTable;
use gloam_language::types::ty::Type;

/// Where `?` goes with its operand's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Try {
    /// `Ok(x)` or `Some(x)`: the value of `?` is `x`.
    Continue(Value),
    /// `Error(_)` or `None`: the function returns this value early.
    Return,
}

/// What `?` does with `value`; only a `Result` or an `Option` type-checks.
pub fn try_step(value: &Value) -> Result<Try, ErrorKind> {
    let Value::Variant(variant) = value else { return Err(ErrorKind::BrokenCode) };
    match (variant.case.as_str(), variant.payload.first()) {
        ("Ok" | "Some", Some(inner)) => Ok(Try::Continue(inner.clone())),
        ("None", _) | ("Error", Some(_)) => Ok(Try::Return),
        _ => Err(ErrorKind::BrokenCode),
    }
}

/// What a handler's own body answers when `?` returns early with `value`:
/// an `Error` becomes a 400 response with its text (as `Http.text`);
/// anything else is answered as it is.
pub fn from_handler(value: Value, table: &TypeTable, callbacks: &mut dyn Callbacks) -> Result<Value, RuntimeError> {
    let message = match &value {
        Value::Variant(variant) if variant.case == "Error" => match variant.payload.first() {
            Some(Value::String(text)) => text.to_string(),
            Some(other) => other.to_string(),
            None => return Err(ErrorKind::BrokenCode.into()),
        },
        _ => return Ok(value),
    };
    let site = CallSite { result_type: &Type::unit(), table };
    builtins::call_pure(Builtin::HttpText, vec![Value::string(message), Value::Int(400)], &site, callbacks)
}
