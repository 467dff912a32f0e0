//! Runtime values.
//!
//! Values are immutable and cheap to clone (shared with `Arc`), so that live
//! values can keep every intermediate result without copying.

use gloam_language::Builtin;
use gloam_language::ast::ExprId;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    String(Arc<str>),
    Char(char),
    Unit,
    List(Arc<Vec<Value>>),
    /// Keys are kept sorted.
    Dict(Arc<BTreeMap<String, Value>>),
    Record(Arc<Record>),
    Variant(Arc<Variant>),
    Function(Arc<Function>),
    /// A declared datastore, by name.
    Datastore(Arc<str>),
    /// A declared worker, by name.
    Worker(Arc<str>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub type_name: String,
    /// In declaration order.
    pub fields: Vec<(String, Value)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub type_name: String,
    pub case: String,
    pub payload: Vec<Value>,
}

/// Values nest as deep as a program builds them; dropping one drops its
/// parts recursively, so records and variants grow the stack on the way (as
/// evaluation does) instead of overflowing it.
impl Drop for Record {
    fn drop(&mut self) {
        let fields = std::mem::take(&mut self.fields);
        gloam_language::stack::grow(64 * 1024, 1024 * 1024, move || drop(fields));
    }
}

impl Drop for Variant {
    fn drop(&mut self) {
        let payload = std::mem::take(&mut self.payload);
        gloam_language::stack::grow(64 * 1024, 1024 * 1024, move || drop(payload));
    }
}

#[derive(Debug, Clone)]
pub enum Function {
    /// A lambda: the id of its `Lambda` expression and what it captured.
    Closure {
        lambda: ExprId,
        environment: Environment,
    },
    /// A top-level function, by name.
    Global(String),
    Builtin(Builtin),
    /// Compiled code's function: its index in the sandbox's function table,
    /// the values it captured, and its name when it is a top-level function.
    /// Only the compiled engine makes and calls these.
    Compiled {
        index: u32,
        captured: Vec<Value>,
        name: Option<String>,
    },
    /// A variant constructor with a payload, used as a function.
    Constructor {
        type_name: String,
        case: String,
        arity: usize,
    },
}

/// A persistent list of bindings: capturing it in a closure is O(1).
#[derive(Debug, Clone, Default)]
pub struct Environment(Option<Arc<Binding>>);

#[derive(Debug)]
struct Binding {
    name: String,
    value: Value,
    next: Environment,
}

impl Environment {
    pub fn bind(&self, name: impl Into<String>, value: Value) -> Environment {
        Environment(Some(Arc::new(Binding { name: name.into(), value, next: self.clone() })))
    }

    pub fn lookup(&self, name: &str) -> Option<&Value> {
        let mut current = &self.0;
        while let Some(binding) = current {
            if binding.name == name {
                return Some(&binding.value);
            }
            current = &binding.next.0;
        }
        None
    }
}

impl Value {
    pub fn string(text: impl Into<Arc<str>>) -> Value {
        Value::String(text.into())
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    pub fn dict(entries: BTreeMap<String, Value>) -> Value {
        Value::Dict(Arc::new(entries))
    }

    pub fn variant(type_name: &str, case: &str, payload: Vec<Value>) -> Value {
        Value::Variant(Arc::new(Variant { type_name: type_name.into(), case: case.into(), payload }))
    }

    pub fn record(type_name: &str, fields: Vec<(String, Value)>) -> Value {
        Value::Record(Arc::new(Record { type_name: type_name.into(), fields }))
    }

    pub fn some(value: Value) -> Value {
        Value::variant("Option", "Some", vec![value])
    }

    pub fn none() -> Value {
        Value::variant("Option", "None", vec![])
    }

    pub fn option(value: Option<Value>) -> Value {
        value.map_or_else(Value::none, Value::some)
    }

    pub fn ok(value: Value) -> Value {
        Value::variant("Result", "Ok", vec![value])
    }

    pub fn error(value: Value) -> Value {
        Value::variant("Result", "Error", vec![value])
    }

    /// A field of a record value.
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Record(record) => record.fields.iter().find(|(field, _)| field == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A short name of the value's kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Int(_) => "Int",
            Value::Float(_) => "Float",
            Value::Bool(_) => "Bool",
            Value::String(_) => "String",
            Value::Char(_) => "Char",
            Value::Unit => "()",
            Value::List(_) => "List",
            Value::Dict(_) => "Dict",
            Value::Record(_) => "record",
            Value::Variant(_) => "variant",
            Value::Function(_) => "function",
            Value::Datastore(_) => "datastore",
            Value::Worker(_) => "worker",
        }
    }
}

/// Structural equality. Functions are never equal (the checker lets them be
/// compared; the evaluator reports an error before calling this on them).
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Char(a), Value::Char(b)) => a == b,
            (Value::Unit, Value::Unit) => true,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Dict(a), Value::Dict(b)) => a == b,
            (Value::Record(a), Value::Record(b)) => a == b,
            (Value::Variant(a), Value::Variant(b)) => a == b,
            (Value::Datastore(a), Value::Datastore(b)) | (Value::Worker(a), Value::Worker(b)) => a == b,
            _ => false,
        }
    }
}

impl Value {
    /// Whether the value contains a function anywhere (such values cannot be compared or encoded).
    pub fn contains_function(&self) -> bool {
        match self {
            Value::Function(_) => true,
            Value::List(items) => items.iter().any(Value::contains_function),
            Value::Dict(entries) => entries.values().any(Value::contains_function),
            Value::Record(record) => record.fields.iter().any(|(_, v)| v.contains_function()),
            Value::Variant(variant) => variant.payload.iter().any(Value::contains_function),
            _ => false,
        }
    }
}

/// Formats a Float so it reads back as the same Float and always looks like one.
pub fn format_float(value: f64) -> String {
    let text = format!("{value:?}");
    match text.split_once('e') {
        // `1e20` is not Gloam syntax; `1.0e20` is.
        Some((mantissa, exponent)) if !mantissa.contains('.') => format!("{mantissa}.0e{exponent}"),
        _ if text.contains(['.', 'e', 'N', 'i']) => text,
        _ => format!("{text}.0"),
    }
}

/// Values print as Gloam source: `Todo { id: 1 }`, `Some("x")`, `[1, 2]`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(value) => write!(f, "{value}"),
            Value::Float(value) => f.write_str(&format_float(*value)),
            Value::Bool(value) => write!(f, "{value}"),
            Value::String(value) => write!(f, "{value:?}"),
            Value::Char(value) => write!(f, "{value:?}"),
            Value::Unit => f.write_str("()"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Dict(entries) => {
                if entries.is_empty() {
                    return f.write_str("{}");
                }
                f.write_str("{ ")?;
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key:?}: {value}")?;
                }
                f.write_str(" }")
            }
            Value::Record(record) => {
                write!(f, "{} {{ ", record.type_name)?;
                for (i, (name, value)) in record.fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {value}")?;
                }
                f.write_str(" }")
            }
            Value::Variant(variant) => {
                f.write_str(&variant.case)?;
                if !variant.payload.is_empty() {
                    f.write_str("(")?;
                    for (i, value) in variant.payload.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{value}")?;
                    }
                    f.write_str(")")?;
                }
                Ok(())
            }
            Value::Function(function) => match function.as_ref() {
                Function::Closure { .. } | Function::Compiled { name: None, .. } => f.write_str("<lambda>"),
                Function::Compiled { name: Some(name), .. } => write!(f, "<fn {name}>"),
                Function::Global(name) => write!(f, "<fn {name}>"),
                Function::Builtin(builtin) => write!(f, "<fn {}>", builtin.name()),
                Function::Constructor { case, .. } => write!(f, "<constructor {case}>"),
            },
            Value::Datastore(name) => write!(f, "<db {name}>"),
            Value::Worker(name) => write!(f, "<worker {name}>"),
        }
    }
}
