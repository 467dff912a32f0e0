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

mod args;
mod char;
mod dict;
mod float;
mod http;
mod int;
mod json;
mod list;
mod option;
mod secret;
mod string;
mod time;

use crate::error::{ErrorKind, RuntimeError};
use crate::json::{from_json, json_length, json_tree, to_json, to_json_text_within};
use crate::memory::Budget;
use crate::value::{Dict, List, Value, format_float};
use args::Args;
use gloam_language::schedule::civil_from_days;
use gloam_language::types::table::TypeTable;
use gloam_language::types::ty::Type;
use gloam_language::{Builtin, PureFamily};
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

pub(super) fn fail(builtin: Builtin, message: impl Into<String>) -> RuntimeError {
    ErrorKind::Builtin { function: builtin.name(), message: message.into() }.into()
}

pub(super) fn check_size(size: usize) -> Result<(), RuntimeError> {
    if size > MAX_COLLECTION {
        return Err(ErrorKind::SizeLimit { size, limit: MAX_COLLECTION }.into());
    }
    Ok(())
}

/// Refuses to build a result of about `bytes` when the run's memory cannot
/// hold it. `bytes` is only worked out where there is a budget.
pub(super) fn reserve(callbacks: &dyn Callbacks, bytes: impl FnOnce() -> usize) -> Result<(), RuntimeError> {
    match callbacks.memory() {
        Some(budget) => Ok(budget.reserve(bytes())?),
        None => Ok(()),
    }
}

/// Bytes a list of `count` values takes while it is built: a `Vec`, then
/// the persistent vector it is copied into (about as large again). Also
/// about what `count` short strings take.
pub(super) fn list_bytes(count: usize) -> usize {
    count.saturating_mul(2 * std::mem::size_of::<Value>())
}

pub(super) fn overflow(operation: String) -> RuntimeError {
    ErrorKind::IntOverflow { operation }.into()
}

pub(super) fn finite(value: f64) -> Result<Value, RuntimeError> {
    if value.is_finite() { Ok(Value::Float(value)) } else { Err(ErrorKind::NonFiniteFloat.into()) }
}

pub(super) fn no_function(value: &Value) -> Result<(), RuntimeError> {
    if value.contains_function() { Err(ErrorKind::CompareFunctions.into()) } else { Ok(()) }
}

pub(super) fn charge(callbacks: &mut dyn Callbacks, steps: usize) -> Result<(), RuntimeError> {
    callbacks.charge(u64::try_from(steps).unwrap_or(u64::MAX))
}

/// Calls a pure builtin: the family (module) the table puts it in. A family
/// that does not implement one of its functions fails with an internal
/// error, which `every_pure_function_is_implemented_by_its_family` catches.
/// Each family's `call` is `#[inline(never)]`: this frame stays
/// small, so recursion through a builtin (`List.map` calling back, 9,000
/// levels deep in the guest's stack) costs only its own family's frame.
pub fn call_pure(
    builtin: Builtin,
    arguments: Vec<Value>,
    site: &CallSite,
    callbacks: &mut dyn Callbacks,
) -> Result<Value, RuntimeError> {
    let Some(pure) = builtin.pure() else {
        return Err(ErrorKind::Internal(format!("{} is an effect, not a pure function", builtin.name())).into());
    };
    let args = Args { builtin, values: arguments };
    use PureFamily as Family;
    match pure.family() {
        Family::String => string::call(&args, callbacks),
        Family::Int => int::call(&args, callbacks),
        Family::Float => float::call(&args, callbacks),
        Family::Char => char::call(&args),
        Family::List => list::call(&args, site, callbacks),
        Family::Dict => dict::call(&args, callbacks),
        Family::Option => option::call(&args, callbacks),
        Family::Json => json::call(&args, site, callbacks),
        Family::Http => http::call(&args, callbacks),
        Family::Secret => secret::call(&args),
        Family::Time => time::call(&args),
    }
}

/// A builtin dispatched to a family that does not implement it: a bug of `call_pure`.
fn elsewhere(builtin: Builtin) -> RuntimeError {
    ErrorKind::Internal(format!("{} is not implemented by the family it was given to", builtin.name())).into()
}
