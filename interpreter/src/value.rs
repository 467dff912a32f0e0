//! Runtime values.
//!
//! Values are immutable and cheap to clone (shared with `Arc`), so that live
//! values can keep every intermediate result without copying. Lists and
//! dicts are persistent (imbl's RRB vector and B-tree map): a tail, a slice,
//! a push or an insert shares the rest of the collection in O(log n) instead
//! of copying it, so building one in a loop is not quadratic.

use gloam_language::Builtin;
use gloam_language::ast::ExprId;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// The elements of a list value: a persistent vector behind one pointer (so a
/// `Value` stays two words).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct List(Arc<imbl::Vector<Value>>);

/// The entries of a dict value, sorted by key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dict(Arc<imbl::OrdMap<String, Value>>);

impl Deref for List {
    type Target = imbl::Vector<Value>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Deref for Dict {
    type Target = imbl::OrdMap<String, Value>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl From<imbl::Vector<Value>> for List {
    fn from(items: imbl::Vector<Value>) -> List {
        List(Arc::new(items))
    }
}

impl From<imbl::OrdMap<String, Value>> for Dict {
    fn from(entries: imbl::OrdMap<String, Value>) -> Dict {
        Dict(Arc::new(entries))
    }
}

impl FromIterator<Value> for List {
    fn from_iter<I: IntoIterator<Item = Value>>(items: I) -> List {
        List::from(items.into_iter().collect::<imbl::Vector<Value>>())
    }
}

impl FromIterator<(String, Value)> for Dict {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(entries: I) -> Dict {
        Dict::from(entries.into_iter().collect::<imbl::OrdMap<String, Value>>())
    }
}

impl List {
    /// The list with `item` added at the end; shares the rest.
    pub fn pushed(&self, item: Value) -> List {
        let mut items = imbl::Vector::clone(self);
        items.push_back(item);
        List::from(items)
    }

    /// The elements from `index` on (none when past the end); shares them.
    pub fn from_index(&self, index: usize) -> List {
        if index == 0 {
            return self.clone();
        }
        List::from(if index >= self.len() { imbl::Vector::new() } else { self.skip(index) })
    }

    /// The first `count` elements (all when fewer); shares them.
    pub fn first_items(&self, count: usize) -> List {
        if count >= self.len() { self.clone() } else { List::from(self.take(count)) }
    }

    /// This list followed by `other`; shares both. A few elements on either
    /// side are pushed one by one: imbl's general append rebalances the tree,
    /// which costs far more than a push (`acc ++ [x]` in a loop).
    pub fn concat(&self, other: &List) -> List {
        const FEW: usize = 64;
        if other.is_empty() {
            return self.clone();
        }
        if self.is_empty() {
            return other.clone();
        }
        let mut items;
        if other.len() <= FEW {
            items = imbl::Vector::clone(self);
            other.iter().for_each(|item| items.push_back(item.clone()));
        } else if self.len() <= FEW {
            items = imbl::Vector::clone(other);
            self.iter().rev().for_each(|item| items.push_front(item.clone()));
        } else {
            items = imbl::Vector::clone(self);
            items.append(imbl::Vector::clone(other));
        }
        List::from(items)
    }

    pub fn to_vec(&self) -> Vec<Value> {
        self.iter().cloned().collect()
    }
}

impl Dict {
    /// The dict with `key` set to `value`; shares the rest.
    pub fn with(&self, key: &str, value: Value) -> Dict {
        Dict::from(self.update(key.to_string(), value))
    }

    /// The dict without `key`; shares the rest.
    pub fn without_key(&self, key: &str) -> Dict {
        Dict::from(self.without(key))
    }
}

/// Lists and dicts nest as deep as a program builds them: the last owner
/// drops their elements on a stack that grows (as for records and variants).
impl Drop for List {
    fn drop(&mut self) {
        if let Some(items) = Arc::get_mut(&mut self.0) {
            let items = std::mem::take(items);
            gloam_language::stack::grow(64 * 1024, 1024 * 1024, move || drop(items));
        }
    }
}

impl Drop for Dict {
    fn drop(&mut self) {
        if let Some(entries) = Arc::get_mut(&mut self.0) {
            let entries = std::mem::take(entries);
            gloam_language::stack::grow(64 * 1024, 1024 * 1024, move || drop(entries));
        }
    }
}

#[derive(Debug, Clone)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    String(Arc<str>),
    Char(char),
    Unit,
    List(List),
    /// Keys are kept sorted.
    Dict(Dict),
    Record(Arc<Record>),
    Variant(Arc<Variant>),
    Function(Arc<Function>),
    /// A declared datastore, by name.
    Datastore(Arc<str>),
    /// A declared worker, by name.
    Worker(Arc<str>),
    /// A canvas secret's value (`Secrets.get`).
    Secret(SecretText),
}

/// A secret's value. Programs cannot see it (the checker refuses to show or
/// store a `Secret`); everything that prints one — `Display`, `Debug`, live
/// values, stored forms — writes `<secret>`, and equality takes constant time.
#[derive(Clone)]
pub struct SecretText(Arc<str>);

/// How a Secret is written wherever values are shown or stored.
pub const SECRET_SHOWN: &str = "<secret>";

impl SecretText {
    pub fn new(value: impl Into<Arc<str>>) -> SecretText {
        SecretText(value.into())
    }

    /// The value itself: for the host boundary (an outbound call), never for
    /// a program or a record.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, text: &str) -> bool {
        same_text(&self.0, text)
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SECRET_SHOWN)
    }
}

impl PartialEq for SecretText {
    fn eq(&self, other: &SecretText) -> bool {
        self.matches(&other.0)
    }
}

/// Compares without stopping at the first difference (only a difference in
/// length shows in the time taken).
pub fn same_text(given: &str, expected: &str) -> bool {
    given.len() == expected.len() && given.bytes().zip(expected.bytes()).fold(0, |acc, (a, b)| acc | (a ^ b)) == 0
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
        Value::List(items.into_iter().collect())
    }

    pub fn dict(entries: BTreeMap<String, Value>) -> Value {
        Value::Dict(entries.into_iter().collect())
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
            Value::Secret(_) => "Secret",
        }
    }
}

/// Structural equality. Functions are never equal (the checker lets them be
/// compared; the evaluator reports an error before calling this on them).
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        // Values nest as deep as a program builds them.
        gloam_language::stack::grow(64 * 1024, 1024 * 1024, || self.equals(other))
    }
}

impl Value {
    fn equals(&self, other: &Value) -> bool {
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
            (Value::Secret(a), Value::Secret(b)) => a == b,
            _ => false,
        }
    }
}

impl Value {
    /// Whether the value contains a function anywhere (such values cannot be compared or encoded).
    pub fn contains_function(&self) -> bool {
        gloam_language::stack::grow(64 * 1024, 1024 * 1024, || self.has_function_here())
    }

    fn has_function_here(&self) -> bool {
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
        // Values nest as deep as a program builds them.
        gloam_language::stack::grow(64 * 1024, 1024 * 1024, || self.write(f))
    }
}

impl Value {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
            Value::Secret(_) => f.write_str(SECRET_SHOWN),
        }
    }
}
