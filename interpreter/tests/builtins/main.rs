//! The pure standard library, called as the evaluators call it
//! (`call_pure`) with a fake evaluator that counts the steps charged.
//! Cases are one-line calls of the helpers below, by family.

mod http_time;
mod json;
mod lists;
mod numbers;
mod strings;

use gloam_interpreter::builtins::{CallSite, Callbacks, call_pure};
use gloam_interpreter::json::from_json;
use gloam_interpreter::value::Function;
use gloam_interpreter::{ErrorKind, RuntimeError, Value};
use gloam_language::Builtin;
use gloam_language::types::table::{TypeDef, TypeDefKind, TypeTable};
use gloam_language::types::ty::Type;
use std::sync::Arc;

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

/// The table puts each pure function in a family; that family's module must
/// implement it. Called with no arguments a function answers or fails on
/// its arguments, but never as a function its family does not know.
#[test]
fn every_pure_function_is_implemented_by_its_family() {
    for builtin in Builtin::ALL.iter().copied().filter(|builtin| builtin.pure().is_some()) {
        if let Err(RuntimeError { kind: ErrorKind::Internal(message), .. }) = call(builtin, vec![]) {
            panic!("{}: {message}", builtin.name());
        }
    }
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

fn entry(key: &str, value: Value) -> Value {
    Value::record("Entry", vec![("key".into(), Value::string(key)), ("value".into(), value)])
}

/// `Time.toIso` of some milliseconds, `None` when it fails.
fn iso_time(milliseconds: i64) -> Option<String> {
    match call(Builtin::TimeToIso, vec![int(milliseconds)]) {
        Ok(Value::String(text)) => Some(text.to_string()),
        _ => None,
    }
}
