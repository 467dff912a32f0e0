//! The exports compiled programs call, and the imports from the host.
//!
//! Single-threaded by construction (one instance, one request). State is
//! borrowed only for the moment of an access, never across a call into
//! compiled code, because compiled code calls back in.
#![allow(unsafe_code)] // the ABI: exported statics, raw memory and function-table calls

use gloam_interpreter::builtins::{self, CallSite, Callbacks};
use gloam_interpreter::early_return::{self, Try};
use gloam_interpreter::value::Function;
use gloam_interpreter::{ErrorKind, RuntimeError, Value, binary, request, unary, wire};
use gloam_language::Builtin;
use gloam_language::Purity;
use gloam_language::ast::{BinaryOp, UnaryOp};
use gloam_language::types::table::TypeTable;
use gloam_language::types::ty::Type;
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

#[link(wasm_import_module = "host")]
unsafe extern "C" {
    /// A failure: `{"message": …, "site": …}` as JSON. The guest traps right after.
    fn error(ptr: *const u8, len: usize);
    /// An effect call with its arguments as a wire-encoded list. Returns the
    /// length of the answer, which `take` copies here: `b'O'` and the
    /// wire-encoded result, or `b'E'` and an error message.
    fn effect(builtin: u32, site: u32, ptr: *const u8, len: usize) -> usize;
    fn take(ptr: *mut u8);
    /// The program's metadata (JSON: the type table and each call site's
    /// type), asked for only by builtins that read their call site.
    fn metadata_length() -> usize;
    fn metadata(ptr: *mut u8);
    /// The run's input (wire-encoded), `rt_main`'s `input_length` bytes.
    fn input(ptr: *mut u8);
}

/// No expression (a builtin calling back, the host calling in).
const NO_SITE: u32 = u32::MAX;

/// Read and written in place by compiled code: `remaining_steps` at offset 0,
/// `depth` at 8, `max_depth` at 12.
#[repr(C)]
pub struct Counters {
    remaining_steps: i64,
    depth: i32,
    max_depth: i32,
}

static mut COUNTERS: Counters = Counters { remaining_steps: 0, depth: 0, max_depth: 0 };

/// The types compiled code hands over for builtins that read their call site.
#[derive(Deserialize)]
struct Metadata {
    table: TypeTable,
    sites: BTreeMap<u32, Type>,
}

/// Handles with this bit name constants (string literals), which live as long
/// as the instance; the rest name arena values.
const CONSTANT: i32 = 1 << 30;

struct State {
    /// Values made while running. A callback's own values are dropped when it
    /// returns (only its result lives on), so loops over long lists run in
    /// bounded memory.
    values: Vec<Value>,
    constants: Vec<Value>,
    stack: Vec<Value>,
    max_steps: u64,
    /// The expression errors of a builtin are reported at.
    site: u32,
    metadata: Option<Arc<Metadata>>,
}

thread_local! {
    static STATE: RefCell<State> = const {
        RefCell::new(State {
            values: Vec::new(),
            constants: Vec::new(),
            stack: Vec::new(),
            max_steps: 0,
            site: NO_SITE,
            metadata: None,
        })
    };
}

static UNKNOWN_TYPE: Type = Type::Var(u32::MAX);
static NO_TYPES: TypeTable = TypeTable { defs: BTreeMap::new(), constructors: BTreeMap::new() };

fn with<R>(access: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|state| access(&mut state.borrow_mut()))
}

fn counters() -> &'static mut Counters {
    // SAFETY: single-threaded; no reference is kept across calls into compiled code.
    unsafe { &mut *(&raw mut COUNTERS) }
}

/// Reports a failure to the host and stops the instance.
fn fail(kind: ErrorKind, site: u32) -> ! {
    let report = serde_json::json!({ "message": kind.to_string(), "site": site }).to_string();
    // SAFETY: the host reads `len` bytes at `ptr` before this returns.
    unsafe { error(report.as_ptr(), report.len()) };
    std::process::abort()
}

fn handle(value: Value) -> i32 {
    with(|state| {
        state.values.push(value);
        (state.values.len() - 1) as i32
    })
}

fn value(handle: i32) -> Value {
    with(|state| match handle & CONSTANT {
        0 => state.values.get(handle as usize).cloned(),
        _ => state.constants.get((handle & !CONSTANT) as usize).cloned(),
    })
    .unwrap_or_else(|| fail(ErrorKind::Internal(format!("no value has handle {handle}")), NO_SITE))
}

fn text(handle: i32) -> Arc<str> {
    match value(handle) {
        Value::String(text) => text,
        other => fail(ErrorKind::Internal(format!("expected a name, found {other}")), NO_SITE),
    }
}

fn pop_many(count: i32) -> Vec<Value> {
    with(|state| {
        let from = state.stack.len().checked_sub(count as usize)?;
        Some(state.stack.split_off(from))
    })
    .unwrap_or_else(|| fail(ErrorKind::Internal("the argument stack is short".into()), NO_SITE))
}

fn pairs(count: i32) -> Vec<(String, Value)> {
    let mut items = pop_many(count * 2).into_iter();
    let mut pairs = Vec::with_capacity(count as usize);
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        let Value::String(name) = name else {
            fail(ErrorKind::Internal("a field name is not a String".into()), NO_SITE)
        };
        pairs.push((name.to_string(), value));
    }
    pairs
}

fn charge(steps: u64) -> Result<(), RuntimeError> {
    let counters = counters();
    counters.remaining_steps = counters.remaining_steps.saturating_sub(steps as i64);
    if counters.remaining_steps < 0 {
        return Err(ErrorKind::StepLimit { limit: with(|state| state.max_steps) }.into());
    }
    Ok(())
}

struct Guest;

impl Callbacks for Guest {
    fn call(&mut self, function: &Value, arguments: Vec<Value>) -> Result<Value, RuntimeError> {
        let site = with(|state| state.site);
        call_value(function, arguments, NO_SITE, site)
    }

    fn charge(&mut self, steps: u64) -> Result<(), RuntimeError> {
        charge(steps)
    }
}

fn call_value(function: &Value, arguments: Vec<Value>, call_site: u32, error_site: u32) -> Result<Value, RuntimeError> {
    let Value::Function(inner) = function else { return Err(ErrorKind::BrokenCode.into()) };
    match inner.as_ref() {
        Function::Compiled { index, captured, .. } => {
            let limits = counters();
            if limits.depth >= limits.max_depth {
                return Err(ErrorKind::RecursionLimit { limit: limits.max_depth as u32 }.into());
            }
            let mark = with(|state| {
                state.stack.extend(arguments);
                state.values.len()
            });
            limits.depth += 1;
            // Only a closure with captured values reads itself.
            let closure = if captured.is_empty() { -1 } else { handle(function.clone()) };
            let result = value(call_slot(*index as i32, closure));
            counters().depth -= 1;
            with(|state| state.values.truncate(mark));
            Ok(result)
        }
        Function::Builtin(builtin) => call_builtin(*builtin, arguments, call_site, error_site),
        Function::Constructor { type_name, case, arity } if *arity == arguments.len() => {
            Ok(Value::variant(type_name, case, arguments))
        }
        _ => Err(ErrorKind::BrokenCode.into()),
    }
}

fn program_metadata() -> Option<Arc<Metadata>> {
    if let Some(metadata) = with(|state| state.metadata.clone()) {
        return Some(metadata);
    }
    // SAFETY: the host writes exactly `metadata_length()` bytes.
    let mut text = vec![0u8; unsafe { metadata_length() }];
    unsafe { metadata(text.as_mut_ptr()) };
    let parsed: Metadata = serde_json::from_slice(&text).ok()?;
    let parsed = Arc::new(parsed);
    with(|state| state.metadata = Some(parsed.clone()));
    Some(parsed)
}

fn call_builtin(
    builtin: Builtin,
    arguments: Vec<Value>,
    call_site: u32,
    error_site: u32,
) -> Result<Value, RuntimeError> {
    if builtin.purity() == Purity::Effect {
        return call_effect(builtin, arguments, call_site).map_err(RuntimeError::new);
    }
    let saved = with(|state| std::mem::replace(&mut state.site, error_site));
    let result = match builtins::reads_call_site(builtin).then(program_metadata).flatten() {
        Some(metadata) => {
            let result_type = metadata.sites.get(&call_site).unwrap_or(&UNKNOWN_TYPE);
            builtins::call_pure(builtin, arguments, &CallSite { result_type, table: &metadata.table }, &mut Guest)
        }
        None => builtins::call_pure(
            builtin,
            arguments,
            &CallSite { result_type: &UNKNOWN_TYPE, table: &NO_TYPES },
            &mut Guest,
        ),
    };
    with(|state| state.site = saved);
    result
}

fn call_effect(builtin: Builtin, arguments: Vec<Value>, site: u32) -> Result<Value, ErrorKind> {
    let failed = |message: String| ErrorKind::Effect { function: builtin.name(), message };
    let request = wire::encode_arguments(&arguments).map_err(failed)?;
    let index = builtin.index();
    // SAFETY: the host reads the request before returning, then `take` writes
    // exactly the announced number of bytes into the buffer.
    let answer_length = unsafe { effect(index, site, request.as_ptr(), request.len()) };
    let mut answer = vec![0u8; answer_length];
    unsafe { take(answer.as_mut_ptr()) };
    match answer.split_first() {
        Some((b'O', result)) => wire::decode_text(result).map_err(ErrorKind::Internal),
        Some((_, message)) => Err(failed(String::from_utf8_lossy(message).into_owned())),
        None => Err(ErrorKind::Internal("the host gave no answer".into())),
    }
}

fn or_fail<T>(result: Result<T, RuntimeError>, site: u32) -> T {
    result.unwrap_or_else(|error| fail(error.kind, site))
}

// ---- Set-up and crossing the wall -------------------------------------------

/// A whole run, in one call from the host: sets the limits, runs the
/// program's `init`, decodes the input (`input_length` bytes from
/// `host.input`) and calls `entry` with it — as its argument, or, when
/// `spread` is set, as a list of arguments pushed on the argument stack — and
/// returns the wire form of what `output` asks for as `(ptr << 32) | length`:
/// the entry's value (-1), `()` (-2: a worker's or cron's value is not used),
/// or, for a handler, the `Http.Response` its value stands for (`output` is
/// the handler body's expression, where a value that stands for none fails),
/// so that only a response crosses the wall, however deep the value.
/// `init` and `entry` are slots of the function table.
#[unsafe(no_mangle)]
pub extern "C" fn rt_main(
    init: i32,
    entry: i32,
    spread: i32,
    max_steps: i64,
    max_depth: i32,
    input_length: i32,
    output: i32,
) -> i64 {
    *counters() = Counters { remaining_steps: max_steps, depth: 0, max_depth };
    with(|state| state.max_steps = max_steps as u64);
    std::panic::set_hook(Box::new(|info| {
        fail(ErrorKind::Internal(format!("the sandbox's runtime panicked: {info}")), NO_SITE)
    }));
    call_slot(init, 0);
    let mut bytes = vec![0u8; input_length.max(0) as usize];
    // SAFETY: the host writes exactly `input_length` bytes.
    unsafe { input(bytes.as_mut_ptr()) };
    let input = wire::decode_text(&bytes).unwrap_or_else(|message| fail(ErrorKind::Internal(message), NO_SITE));
    let argument = match (spread != 0, input) {
        (false, input) => handle(input),
        (true, Value::List(arguments)) => {
            with(|state| state.stack.extend(arguments.iter().cloned()));
            counters().depth = 1; // a called function is one level deep, as in the interpreter
            -1
        }
        (true, _) => fail(ErrorKind::Internal("arguments must come as a list".into()), NO_SITE),
    };
    let result = value(call_slot(entry, argument));
    let result = match output {
        -1 => result,
        -2 => Value::Unit,
        body => match request::response_from_value(&result) {
            Ok(response) => request::response_value(&response),
            Err(kind) => fail(kind, body as u32),
        },
    };
    match wire::encode_text(&result) {
        Ok(text) => {
            let text = std::mem::ManuallyDrop::new(text.into_bytes());
            ((text.as_ptr() as i64) << 32) | text.len() as i64
        }
        Err(message) => fail(ErrorKind::Internal(message), NO_SITE),
    }
}

/// Calls compiled code's function in table slot `index`.
fn call_slot(index: i32, argument: i32) -> i32 {
    // SAFETY: function pointers are indices into the shared function table;
    // compiled code puts its functions there, each of type (i32) -> i32,
    // before it hands out their indices.
    let compiled: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(index as usize) };
    compiled(argument)
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_counters() -> i32 {
    (&raw mut COUNTERS) as i32
}

/// Memory for the host or the program to write into; never freed (the instance is).
#[unsafe(no_mangle)]
pub extern "C" fn rt_alloc(length: i32) -> i32 {
    let mut buffer = std::mem::ManuallyDrop::new(vec![0u8; length.max(0) as usize]);
    buffer.as_mut_ptr() as i32
}

fn bytes(ptr: i32, length: i32) -> &'static [u8] {
    // SAFETY: the caller wrote `length` bytes at `ptr` (from `rt_alloc`).
    unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, length as usize) }
}

// ---- Scalars ------------------------------------------------------------------

#[unsafe(no_mangle)]
pub extern "C" fn rt_int(number: i64) -> i32 {
    handle(Value::Int(number))
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_float(number: f64) -> i32 {
    handle(Value::Float(number))
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_bool(flag: i32) -> i32 {
    handle(Value::Bool(flag != 0))
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_char(code: i32) -> i32 {
    match char::from_u32(code as u32) {
        Some(c) => handle(Value::Char(c)),
        None => fail(ErrorKind::Internal(format!("{code} is not a character")), NO_SITE),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_unit() -> i32 {
    handle(Value::Unit)
}

/// A string constant of the program (made once per instance; never dropped).
#[unsafe(no_mangle)]
pub extern "C" fn rt_string(ptr: i32, length: i32) -> i32 {
    match std::str::from_utf8(bytes(ptr, length)) {
        Ok(text) => with(|state| {
            state.constants.push(Value::string(text));
            (state.constants.len() - 1) as i32 | CONSTANT
        }),
        Err(_) => fail(ErrorKind::Internal("a string constant is not UTF-8".into()), NO_SITE),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_as_int(handle: i32) -> i64 {
    match value(handle) {
        Value::Int(number) => number,
        _ => fail(ErrorKind::BrokenCode, NO_SITE),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_as_float(handle: i32) -> f64 {
    match value(handle) {
        Value::Float(number) => number,
        _ => fail(ErrorKind::BrokenCode, NO_SITE),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_as_bool(handle: i32) -> i32 {
    match value(handle) {
        Value::Bool(flag) => flag as i32,
        _ => fail(ErrorKind::BrokenCode, NO_SITE),
    }
}

// ---- Building values ----------------------------------------------------------

#[unsafe(no_mangle)]
pub extern "C" fn rt_push(handle: i32) {
    push_value(value(handle));
}

fn push_value(pushed: Value) {
    with(|state| state.stack.push(pushed));
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_push_int(number: i64) {
    push_value(Value::Int(number));
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_push_float(number: f64) {
    push_value(Value::Float(number));
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_push_bool(flag: i32) {
    push_value(Value::Bool(flag != 0));
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_stack_height() -> i32 {
    with(|state| state.stack.len() as i32)
}

/// Drops what was pushed above `height` (a `?` returned before it was used).
#[unsafe(no_mangle)]
pub extern "C" fn rt_stack_truncate(height: i32) {
    with(|state| state.stack.truncate(height.max(0) as usize));
}

fn pop() -> Value {
    with(|state| state.stack.pop())
        .unwrap_or_else(|| fail(ErrorKind::Internal("the argument stack is empty".into()), NO_SITE))
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_pop() -> i32 {
    handle(pop())
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_pop_int() -> i64 {
    match pop() {
        Value::Int(number) => number,
        _ => fail(ErrorKind::BrokenCode, NO_SITE),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_pop_float() -> f64 {
    match pop() {
        Value::Float(number) => number,
        _ => fail(ErrorKind::BrokenCode, NO_SITE),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_pop_bool() -> i32 {
    match pop() {
        Value::Bool(flag) => flag as i32,
        _ => fail(ErrorKind::BrokenCode, NO_SITE),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_list(count: i32) -> i32 {
    handle(Value::list(pop_many(count)))
}

/// `count` key/value pairs; a later key wins, as in the interpreter.
#[unsafe(no_mangle)]
pub extern "C" fn rt_dict(count: i32) -> i32 {
    handle(Value::dict(pairs(count).into_iter().collect()))
}

/// `count` name/value pairs, in declaration order.
#[unsafe(no_mangle)]
pub extern "C" fn rt_record(type_name: i32, count: i32) -> i32 {
    let fields = pairs(count);
    handle(Value::record(&text(type_name), fields))
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_variant(type_name: i32, case: i32, count: i32) -> i32 {
    let payload = pop_many(count);
    handle(Value::variant(&text(type_name), &text(case), payload))
}

/// A string from `count` parts, as the interpreter interpolates them.
#[unsafe(no_mangle)]
pub extern "C" fn rt_interpolate(count: i32) -> i32 {
    let mut joined = String::new();
    for part in pop_many(count) {
        match part {
            Value::String(inner) => joined.push_str(&inner),
            Value::Char(c) => joined.push(c),
            other => joined.push_str(&other.to_string()),
        }
    }
    handle(Value::string(joined))
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_field(record: i32, name: i32) -> i32 {
    let name = text(name);
    match value(record).field(&name) {
        Some(field) => handle(field.clone()),
        None => fail(ErrorKind::BrokenCode, NO_SITE),
    }
}

/// A record with `count` name/value pairs replaced.
#[unsafe(no_mangle)]
pub extern "C" fn rt_update(record: i32, count: i32) -> i32 {
    let changes = pairs(count);
    let Value::Record(original) = value(record) else { fail(ErrorKind::BrokenCode, NO_SITE) };
    let mut updated = (*original).clone();
    for (name, new_value) in changes {
        match updated.fields.iter_mut().find(|(field, _)| *field == name) {
            Some(slot) => slot.1 = new_value,
            None => fail(ErrorKind::BrokenCode, NO_SITE),
        }
    }
    handle(Value::Record(Arc::new(updated)))
}

// ---- Reading values (patterns) ------------------------------------------------

#[unsafe(no_mangle)]
pub extern "C" fn rt_is_case(variant: i32, case: i32) -> i32 {
    match value(variant) {
        Value::Variant(variant) => (*variant.case == *text(case)) as i32,
        _ => 0,
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_payload(variant: i32, index: i32) -> i32 {
    match value(variant) {
        Value::Variant(variant) => match variant.payload.get(index as usize) {
            Some(item) => handle(item.clone()),
            None => fail(ErrorKind::BrokenCode, NO_SITE),
        },
        _ => fail(ErrorKind::BrokenCode, NO_SITE),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_list_len(list: i32) -> i32 {
    match value(list) {
        Value::List(items) => items.len() as i32,
        _ => -1,
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_list_item(list: i32, index: i32) -> i32 {
    match value(list) {
        Value::List(items) => match items.get(index as usize) {
            Some(item) => handle(item.clone()),
            None => fail(ErrorKind::BrokenCode, NO_SITE),
        },
        _ => fail(ErrorKind::BrokenCode, NO_SITE),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_list_rest(list: i32, from: i32) -> i32 {
    match value(list) {
        Value::List(items) => handle(Value::List(items.from_index(from as usize))),
        _ => fail(ErrorKind::BrokenCode, NO_SITE),
    }
}

/// Structural equality of a value and a pattern's literal.
#[unsafe(no_mangle)]
pub extern "C" fn rt_equal(a: i32, b: i32) -> i32 {
    (value(a) == value(b)) as i32
}

// ---- Operators ------------------------------------------------------------------

#[unsafe(no_mangle)]
pub extern "C" fn rt_binary(op: i32, a: i32, b: i32, site: u32) -> i32 {
    let Some(op) = BinaryOp::ALL.get(op as usize) else { fail(ErrorKind::BrokenCode, site) };
    match binary(*op, value(a), value(b)) {
        Ok(result) => handle(result),
        Err(kind) => fail(kind, site),
    }
}

/// `op`: 0 is `-`, 1 is `!`.
#[unsafe(no_mangle)]
pub extern "C" fn rt_unary(op: i32, operand: i32, site: u32) -> i32 {
    let op = if op == 0 { UnaryOp::Negate } else { UnaryOp::Not };
    match unary(op, value(operand)) {
        Ok(result) => handle(result),
        Err(kind) => fail(kind, site),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_int_mul(a: i64, b: i64, site: u32) -> i64 {
    match binary(BinaryOp::Mul, Value::Int(a), Value::Int(b)) {
        Ok(Value::Int(product)) => product,
        Ok(_) => fail(ErrorKind::BrokenCode, site),
        Err(kind) => fail(kind, site),
    }
}

/// Failures detected by compiled code. `kind`: 0 Int overflow of `a op b`,
/// 1 of `-a`, 2 division by zero of Ints `a op b`, 3 a non-finite Float, 4 the
/// step budget, 5 the recursion limit, 6 no match for the value with handle
/// `a`, 7 broken code, 8 division by zero of Floats (`a` and `b` are their bits).
#[unsafe(no_mangle)]
pub extern "C" fn rt_fail(kind: i32, site: u32, op: i32, a: i64, b: i64) {
    // The interpreter's operators say what went wrong, in their words.
    let failed_with = |result: Result<Value, ErrorKind>| result.err().unwrap_or(ErrorKind::BrokenCode);
    let counters = counters();
    let kind = match kind {
        0 => match BinaryOp::ALL.get(op as usize) {
            Some(op) => failed_with(binary(*op, Value::Int(a), Value::Int(b))),
            None => ErrorKind::BrokenCode,
        },
        1 => failed_with(unary(UnaryOp::Negate, Value::Int(a))),
        2 => match BinaryOp::ALL.get(op as usize) {
            Some(op) => failed_with(binary(*op, Value::Int(a), Value::Int(b))),
            None => ErrorKind::BrokenCode,
        },
        3 => ErrorKind::NonFiniteFloat,
        4 => ErrorKind::StepLimit { limit: with(|state| state.max_steps) },
        5 => ErrorKind::RecursionLimit { limit: counters.max_depth as u32 },
        6 => ErrorKind::NoMatch { value: value(a as i32).to_string() },
        8 => failed_with(binary(
            BinaryOp::Div,
            Value::Float(f64::from_bits(a as u64)),
            Value::Float(f64::from_bits(b as u64)),
        )),
        _ => ErrorKind::BrokenCode,
    };
    fail(kind, site)
}

// ---- Functions ----------------------------------------------------------------

/// A function value for compiled code at table `index`, capturing `count`
/// pushed values; `name` is a String handle for top-level functions, or -1.
#[unsafe(no_mangle)]
pub extern "C" fn rt_closure(index: i32, count: i32, name: i32) -> i32 {
    let captured = pop_many(count);
    let name = (name >= 0).then(|| text(name).to_string());
    handle(Value::Function(Arc::new(Function::Compiled { index: index as u32, captured, name })))
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_captured(closure: i32, index: i32) -> i32 {
    let Value::Function(function) = value(closure) else { fail(ErrorKind::BrokenCode, NO_SITE) };
    match function.as_ref() {
        Function::Compiled { captured, .. } => match captured.get(index as usize) {
            Some(item) => handle(item.clone()),
            None => fail(ErrorKind::BrokenCode, NO_SITE),
        },
        _ => fail(ErrorKind::BrokenCode, NO_SITE),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_builtin_value(builtin: i32) -> i32 {
    match Builtin::from_index(builtin as u32) {
        Some(builtin) => handle(Value::Function(Arc::new(Function::Builtin(builtin)))),
        None => fail(ErrorKind::BrokenCode, NO_SITE),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_constructor_value(type_name: i32, case: i32, arity: i32) -> i32 {
    let (type_name, case) = (text(type_name).to_string(), text(case).to_string());
    handle(Value::Function(Arc::new(Function::Constructor { type_name, case, arity: arity as usize })))
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_datastore(name: i32) -> i32 {
    handle(Value::Datastore(text(name)))
}

#[unsafe(no_mangle)]
pub extern "C" fn rt_worker(name: i32) -> i32 {
    handle(Value::Worker(text(name)))
}

/// Calls a function value with `count` pushed arguments.
#[unsafe(no_mangle)]
pub extern "C" fn rt_call(function: i32, count: i32, call_site: u32, error_site: u32) -> i32 {
    let arguments = pop_many(count);
    let result = call_value(&value(function), arguments, call_site, error_site);
    handle(or_fail(result, error_site))
}

/// Calls a builtin (by its `Builtin::index`) with `count` pushed arguments.
#[unsafe(no_mangle)]
pub extern "C" fn rt_builtin(builtin: i32, count: i32, call_site: u32, error_site: u32) -> i32 {
    let arguments = pop_many(count);
    let Some(builtin) = Builtin::from_index(builtin as u32) else { fail(ErrorKind::BrokenCode, error_site) };
    let result = call_builtin(builtin, arguments, call_site, error_site);
    handle(or_fail(result, error_site))
}

/// What `?` does with a value (`early_return::try_step`): 0 unwraps it
/// (`Ok`, `Some`), 1 returns it early (`Error`, `None`).
#[unsafe(no_mangle)]
pub extern "C" fn rt_try_kind(handle: i32) -> i32 {
    match early_return::try_step(&value(handle)) {
        Ok(Try::Continue(_)) => 0,
        Ok(Try::Return) => 1,
        Err(kind) => fail(kind, NO_SITE),
    }
}

/// What a handler's own body answers when `?` returns early with a value
/// (`early_return::from_handler`: an `Error` answers 400).
#[unsafe(no_mangle)]
pub extern "C" fn rt_try_response(returned: i32) -> i32 {
    let response = early_return::from_handler(value(returned), &NO_TYPES, &mut Guest);
    handle(or_fail(response, NO_SITE))
}
