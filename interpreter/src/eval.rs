//! The evaluator: a tree walk over the checked AST.
//!
//! Records the value of every expression it evaluates (live values), up to
//! [`MAX_VALUES_PER_EXPRESSION`] per expression, so that every iteration of a
//! loop or recursion can be inspected. Bounded: a step budget stops runaway
//! loops and a call-depth limit stops runaway recursion; the host stack grows
//! on the heap as needed, so deep programs never overflow it.

use crate::builtins::{self, CallSite, Callbacks};
use crate::early_return::{self, Try};
use crate::effects::{EffectCall, Effects};
use crate::error::{ErrorKind, RuntimeError};
use crate::memory::{Budget, DEFAULT_MAX_MEMORY_BYTES};
use crate::value::{Environment, Function, Value, format_float};
use crate::wire;
use gloam_language::ast::*;
use gloam_language::types::ty::Type;
use gloam_language::{Builtin, Checked, Purity, Resolution};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// How many values are kept per expression.
pub const MAX_VALUES_PER_EXPRESSION: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Expressions evaluated, plus elements processed by builtins.
    pub max_steps: u64,
    pub max_call_depth: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_steps: 50_000_000, max_call_depth: 20_000 }
    }
}

/// The values each expression took, in evaluation order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveValues {
    pub values: BTreeMap<ExprId, Vec<Value>>,
    /// Expressions that took more values than were kept.
    pub truncated: BTreeSet<ExprId>,
}

impl LiveValues {
    pub fn get(&self, id: ExprId) -> &[Value] {
        self.values.get(&id).map_or(&[], Vec::as_slice)
    }

    fn record(&mut self, id: ExprId, value: &Value) {
        let values = self.values.entry(id).or_default();
        if values.len() < MAX_VALUES_PER_EXPRESSION {
            values.push(value.clone());
        } else {
            self.truncated.insert(id);
        }
    }
}

/// A checked module, ready to run.
#[derive(Clone, Copy)]
pub struct Program<'a> {
    pub module: &'a Module,
    pub checked: &'a Checked,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct Run {
    pub result: Result<Value, RuntimeError>,
    pub live_values: LiveValues,
    pub steps: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub limits: Limits,
    pub record_live_values: bool,
    /// Bytes the run may hold at once (its values, and what it records);
    /// past it the run fails at the expression that allocated, as the
    /// compiled engine does at its memory cap.
    pub max_memory_bytes: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { limits: Limits::default(), record_live_values: false, max_memory_bytes: DEFAULT_MAX_MEMORY_BYTES }
    }
}

/// Non-local exits: an error, or `?` returning early from the enclosing function.
enum Flow {
    Error(RuntimeError),
    Return(Value),
}

impl From<RuntimeError> for Flow {
    fn from(error: RuntimeError) -> Flow {
        Flow::Error(error)
    }
}

impl From<ErrorKind> for Flow {
    fn from(kind: ErrorKind) -> Flow {
        Flow::Error(RuntimeError::new(kind))
    }
}

type Eval = Result<Value, Flow>;

/// What `?` returns early with in the current function.
#[derive(Clone, Copy, PartialEq)]
enum Frame {
    Handler,
    Function,
}

pub(crate) struct Evaluator<'a, 'e> {
    program: Program<'a>,
    functions: HashMap<&'a str, &'a FunctionDecl>,
    lambdas: HashMap<ExprId, (&'a [Name], &'a Expr)>,
    effects: &'e mut dyn Effects,
    options: Options,
    memory: Budget,
    steps: u64,
    depth: u32,
    frames: Vec<Frame>,
    /// The call expression a builtin is being called from, for its types.
    current_site: Option<ExprId>,
    live: LiveValues,
}

impl<'a, 'e> Evaluator<'a, 'e> {
    pub(crate) fn new(program: Program<'a>, effects: &'e mut dyn Effects, options: Options) -> Self {
        // Started first: the evaluator's own tables count, as the guest's do.
        let memory = Budget::start(options.max_memory_bytes);
        // Function values name their function: calling one finds it here.
        let mut functions = HashMap::new();
        for item in &program.module.items {
            if let ItemKind::Function(decl) = &item.kind {
                functions.insert(decl.name.text.as_str(), decl);
            }
        }
        let mut lambdas = HashMap::new();
        for body in program.module.bodies() {
            index_lambdas(body, &mut lambdas);
        }
        Evaluator {
            program,
            functions,
            lambdas,
            effects,
            options,
            memory,
            steps: 0,
            depth: 0,
            frames: Vec::new(),
            current_site: None,
            live: LiveValues::default(),
        }
    }

    /// Evaluates an entry point's body in an environment.
    pub(crate) fn run_body(mut self, body: &'a Expr, environment: Environment, is_handler: bool) -> Run {
        self.frames.push(if is_handler { Frame::Handler } else { Frame::Function });
        let result = match self.eval(body, &environment) {
            Ok(value) | Err(Flow::Return(value)) => Ok(value),
            Err(Flow::Error(error)) => Err(error),
        };
        Run { result, live_values: self.live, steps: self.steps }
    }

    /// Calls a function value from outside (a test's `main`, a worker).
    pub(crate) fn run_call(mut self, function: &Value, arguments: Vec<Value>) -> Run {
        let result = self.call_value(function, arguments, None);
        Run { result, live_values: self.live, steps: self.steps }
    }

    pub(crate) fn function_value(name: &str) -> Value {
        Value::Function(Arc::new(Function::Global(name.to_string())))
    }

    fn eval(&mut self, expr: &'a Expr, env: &Environment) -> Eval {
        self.charge(1).map_err(|error| error.at(expr.span))?;
        let value =
            gloam_language::stack::grow(128 * 1024, 2 * 1024 * 1024, || self.eval_kind(expr, env)).map_err(|flow| {
                match flow {
                    Flow::Error(error) => Flow::Error(error.at(expr.span)),
                    other => other,
                }
            })?;
        // Checked once the value is made, so a run that grows too large stops
        // at the innermost expression that allocated.
        self.memory.check().map_err(|kind| RuntimeError::new(kind).at(expr.span))?;
        if self.options.record_live_values {
            self.live.record(expr.id, &value);
        }
        Ok(value)
    }

    fn eval_kind(&mut self, expr: &'a Expr, env: &Environment) -> Eval {
        Ok(match &expr.kind {
            ExprKind::Int(value) => Value::Int(*value),
            ExprKind::Float(value) => Value::Float(*value),
            ExprKind::Bool(value) => Value::Bool(*value),
            ExprKind::Char(value) => Value::Char(*value),
            ExprKind::Unit => Value::Unit,
            ExprKind::Error => return Err(ErrorKind::BrokenCode.into()),
            ExprKind::String(parts) => {
                let mut text = String::new();
                for part in parts {
                    match part {
                        StringPart::Literal(literal) => text.push_str(literal),
                        StringPart::Interpolation(inner) => match self.eval(inner, env)? {
                            Value::String(inner) => text.push_str(&inner),
                            Value::Char(c) => text.push(c),
                            other => text.push_str(&other.to_string()),
                        },
                    }
                }
                Value::string(text)
            }
            ExprKind::Variable(name) => self.variable(expr.id, name, env)?,
            ExprKind::Qualified { .. } => match self.program.checked.resolution(expr.id) {
                Some(Resolution::Builtin(builtin)) => Value::Function(Arc::new(Function::Builtin(*builtin))),
                _ => return Err(ErrorKind::BrokenCode.into()),
            },
            ExprKind::Constructor(name) => self.constructor(expr.id, name)?,
            ExprKind::List(items) => {
                let values = items.iter().map(|item| self.eval(item, env)).collect::<Result<Vec<_>, _>>()?;
                Value::list(values)
            }
            ExprKind::Dict(entries) => {
                let mut dict = BTreeMap::new();
                for (key, value) in entries {
                    let value = self.eval(value, env)?;
                    dict.insert(key.clone(), value);
                }
                Value::dict(dict)
            }
            ExprKind::Record { fields, .. } => {
                let mut given = Vec::new();
                for field in fields {
                    given.push((field.name.text.as_str(), self.eval(&field.value, env)?));
                }
                self.build_record(self.program.checked.type_of(expr.id), given)?
            }
            ExprKind::RecordUpdate { record, fields } => {
                let Value::Record(original) = self.eval(record, env)? else {
                    return Err(ErrorKind::BrokenCode.into());
                };
                let mut updated = (*original).clone();
                for field in fields {
                    let value = self.eval(&field.value, env)?;
                    match updated.fields.iter_mut().find(|(name, _)| *name == field.name.text) {
                        Some(slot) => slot.1 = value,
                        None => return Err(ErrorKind::BrokenCode.into()),
                    }
                }
                Value::Record(Arc::new(updated))
            }
            ExprKind::Field { value, field } => {
                let record = self.eval(value, env)?;
                match record.field(&field.text) {
                    Some(value) => value.clone(),
                    None => return Err(ErrorKind::BrokenCode.into()),
                }
            }
            ExprKind::Call { callee, arguments, .. } => self.eval_call(expr, callee, None, arguments, env)?,
            ExprKind::Pipe { left, right } => {
                let piped = self.eval(left, env)?;
                match &right.kind {
                    ExprKind::Call { callee, arguments, .. } => {
                        let value = self.eval_call(right, callee, Some(piped), arguments, env)?;
                        if self.options.record_live_values {
                            self.live.record(right.id, &value);
                        }
                        value
                    }
                    _ => {
                        let function = self.eval(right, env)?;
                        self.call_value(&function, vec![piped], Some(expr.id))?
                    }
                }
            }
            ExprKind::Let { pattern, value, body, .. } => {
                let value = self.eval(value, env)?;
                match bind_pattern(pattern, &value, env) {
                    Some(env) => self.eval(body, &env)?,
                    None => return Err(ErrorKind::NoMatch { value: value.to_string() }.into()),
                }
            }
            ExprKind::Sequence(items) => {
                let mut last = Value::Unit;
                for item in items {
                    last = self.eval(item, env)?;
                }
                last
            }
            ExprKind::If { condition, then_branch, else_branch } => match self.eval(condition, env)? {
                Value::Bool(true) => self.eval(then_branch, env)?,
                Value::Bool(false) => self.eval(else_branch, env)?,
                _ => return Err(ErrorKind::BrokenCode.into()),
            },
            ExprKind::Match { scrutinee, arms } => {
                let value = self.eval(scrutinee, env)?;
                for arm in arms {
                    let Some(arm_env) = bind_pattern(&arm.pattern, &value, env) else { continue };
                    if let Some(guard) = &arm.guard {
                        match self.eval(guard, &arm_env)? {
                            Value::Bool(true) => {}
                            Value::Bool(false) => continue,
                            _ => return Err(ErrorKind::BrokenCode.into()),
                        }
                    }
                    return self.eval(&arm.body, &arm_env);
                }
                return Err(ErrorKind::NoMatch { value: value.to_string() }.into());
            }
            ExprKind::Lambda { .. } => {
                Value::Function(Arc::new(Function::Closure { lambda: expr.id, environment: env.clone() }))
            }
            ExprKind::Binary { op, left, right } => {
                let left = self.eval(left, env)?;
                match (op, &left) {
                    // `&&` and `||` short-circuit.
                    (BinaryOp::And, Value::Bool(false)) => Value::Bool(false),
                    (BinaryOp::Or, Value::Bool(true)) => Value::Bool(true),
                    _ => match (op, left, self.eval(right, env)?) {
                        (BinaryOp::Concat, Value::String(a), Value::String(b)) => {
                            concat_strings(&a, &b, Some(&self.memory))?
                        }
                        (_, left, right) => binary(*op, left, right)?,
                    },
                }
            }
            ExprKind::Unary { op, operand } => {
                let operand = self.eval(operand, env)?;
                unary(*op, operand)?
            }
            ExprKind::Try(operand) => self.eval_try(operand, env)?,
        })
    }

    fn eval_try(&mut self, operand: &'a Expr, env: &Environment) -> Eval {
        let value = self.eval(operand, env)?;
        match early_return::try_step(&value)? {
            Try::Continue(inner) => Ok(inner),
            Try::Return => match self.frames.last() {
                Some(Frame::Handler) => {
                    let table = &self.program.checked.table;
                    Err(Flow::Return(early_return::from_handler(value, table, self)?))
                }
                _ => Err(Flow::Return(value)),
            },
        }
    }

    /// A name's value, by what the checker resolved it to.
    fn variable(&self, id: ExprId, name: &str, env: &Environment) -> Result<Value, ErrorKind> {
        match self.program.checked.resolution(id) {
            Some(Resolution::Local { .. }) => env.lookup(name).cloned().ok_or(ErrorKind::BrokenCode),
            Some(Resolution::Function { .. }) => Ok(Evaluator::function_value(name)),
            Some(Resolution::Datastore { .. }) => Ok(Value::Datastore(name.into())),
            Some(Resolution::Worker { .. }) => Ok(Value::Worker(name.into())),
            _ => Err(ErrorKind::BrokenCode),
        }
    }

    fn constructor(&self, id: ExprId, name: &str) -> Result<Value, ErrorKind> {
        let Some(Resolution::Constructor { type_name, arity }) = self.program.checked.resolution(id) else {
            return Err(ErrorKind::BrokenCode);
        };
        Ok(if *arity == 0 {
            Value::variant(type_name, name, vec![])
        } else {
            Value::Function(Arc::new(Function::Constructor {
                type_name: type_name.clone(),
                case: name.to_string(),
                arity: *arity,
            }))
        })
    }

    /// A record value with its fields in declaration order.
    fn build_record(&self, ty: &Type, mut given: Vec<(&str, Value)>) -> Result<Value, ErrorKind> {
        let Type::Con(type_name, _) = ty else { return Err(ErrorKind::BrokenCode) };
        let declared =
            self.program.checked.table.get(type_name).and_then(|def| def.fields()).ok_or(ErrorKind::BrokenCode)?;
        let mut fields = Vec::with_capacity(declared.len());
        for (name, _) in declared {
            let index = given.iter().position(|(given_name, _)| given_name == name).ok_or(ErrorKind::BrokenCode)?;
            fields.push((name.clone(), given.swap_remove(index).1));
        }
        Ok(Value::record(type_name, fields))
    }

    fn eval_call(
        &mut self,
        call: &'a Expr,
        callee: &'a Expr,
        piped: Option<Value>,
        arguments: &'a [Expr],
        env: &Environment,
    ) -> Eval {
        let function = self.eval(callee, env)?;
        let mut values = Vec::with_capacity(arguments.len() + 1);
        values.extend(piped);
        for argument in arguments {
            values.push(self.eval(argument, env)?);
        }
        Ok(self.call_value(&function, values, Some(call.id))?)
    }

    fn call_value(
        &mut self,
        function: &Value,
        arguments: Vec<Value>,
        site: Option<ExprId>,
    ) -> Result<Value, RuntimeError> {
        let Value::Function(function) = function else { return Err(ErrorKind::BrokenCode.into()) };
        match function.as_ref() {
            Function::Builtin(builtin) => self.call_builtin(*builtin, arguments, site),
            Function::Constructor { type_name, case, arity } => {
                if arguments.len() != *arity {
                    return Err(ErrorKind::BrokenCode.into());
                }
                Ok(Value::variant(type_name, case, arguments))
            }
            Function::Global(name) => {
                let decl = *self.functions.get(name.as_str()).ok_or(ErrorKind::BrokenCode)?;
                if decl.parameters.len() != arguments.len() {
                    return Err(ErrorKind::BrokenCode.into());
                }
                let mut env = Environment::default();
                for (param, value) in decl.parameters.iter().zip(arguments) {
                    env = env.bind(param.name.text.as_str(), value);
                }
                self.enter_function(&decl.body, env)
            }
            Function::Compiled { .. } => Err(ErrorKind::BrokenCode.into()),
            Function::Closure { lambda, environment } => {
                let (params, body) = *self.lambdas.get(lambda).ok_or(ErrorKind::BrokenCode)?;
                if params.len() != arguments.len() {
                    return Err(ErrorKind::BrokenCode.into());
                }
                let mut env = environment.clone();
                for (param, value) in params.iter().zip(arguments) {
                    env = env.bind(param.text.as_str(), value);
                }
                self.enter_function(body, env)
            }
        }
    }

    fn enter_function(&mut self, body: &'a Expr, env: Environment) -> Result<Value, RuntimeError> {
        if self.depth >= self.options.limits.max_call_depth {
            return Err(ErrorKind::RecursionLimit { limit: self.options.limits.max_call_depth }.into());
        }
        self.depth += 1;
        self.frames.push(Frame::Function);
        let result = self.eval(body, &env);
        self.frames.pop();
        self.depth -= 1;
        match result {
            Ok(value) | Err(Flow::Return(value)) => Ok(value),
            Err(Flow::Error(error)) => Err(error),
        }
    }

    fn call_builtin(
        &mut self,
        builtin: Builtin,
        arguments: Vec<Value>,
        site: Option<ExprId>,
    ) -> Result<Value, RuntimeError> {
        match builtin.purity() {
            Purity::Effect => {
                let failed = |message| ErrorKind::Effect { function: builtin.name(), message }.into();
                wire::check_arguments(&arguments).map_err(failed)?;
                let call = EffectCall { site: site.unwrap_or(ExprId(u32::MAX)), builtin, arguments };
                self.effects.call(&call).map_err(failed)
            }
            Purity::Pure => {
                let unknown = Type::Var(u32::MAX);
                let checked = self.program.checked;
                let result_type = match site {
                    Some(id) => checked.type_of(id),
                    None => &unknown,
                };
                let saved = std::mem::replace(&mut self.current_site, site);
                let result =
                    builtins::call_pure(builtin, arguments, &CallSite { result_type, table: &checked.table }, self);
                self.current_site = saved;
                result
            }
        }
    }
}

impl Callbacks for Evaluator<'_, '_> {
    fn call(&mut self, function: &Value, arguments: Vec<Value>) -> Result<Value, RuntimeError> {
        self.call_value(function, arguments, None)
    }

    fn charge(&mut self, steps: u64) -> Result<(), RuntimeError> {
        self.steps += steps;
        if self.steps > self.options.limits.max_steps {
            return Err(ErrorKind::StepLimit { limit: self.options.limits.max_steps }.into());
        }
        Ok(())
    }

    fn memory(&self) -> Option<Budget> {
        Some(self.memory)
    }
}

fn index_lambdas<'a>(expr: &'a Expr, lambdas: &mut HashMap<ExprId, (&'a [Name], &'a Expr)>) {
    if let ExprKind::Lambda { parameters, body } = &expr.kind {
        lambdas.insert(expr.id, (parameters.as_slice(), body));
    }
    gloam_language::stack::grow(64 * 1024, 1024 * 1024, || expr.for_each_child(|child| index_lambdas(child, lambdas)));
}

/// Matches a value against a pattern, returning the environment extended with its bindings.
pub(crate) fn bind_pattern(pattern: &Pattern, value: &Value, env: &Environment) -> Option<Environment> {
    match (&pattern.kind, value) {
        (PatternKind::Wildcard, _) => Some(env.clone()),
        (PatternKind::Variable(name), _) => Some(env.bind(name.as_str(), value.clone())),
        (PatternKind::Int(expected), Value::Int(actual)) => (expected == actual).then(|| env.clone()),
        (PatternKind::Float(expected), Value::Float(actual)) => (expected == actual).then(|| env.clone()),
        (PatternKind::String(expected), Value::String(actual)) => (**expected == **actual).then(|| env.clone()),
        (PatternKind::Char(expected), Value::Char(actual)) => (expected == actual).then(|| env.clone()),
        (PatternKind::Bool(expected), Value::Bool(actual)) => (expected == actual).then(|| env.clone()),
        (PatternKind::Unit, Value::Unit) => Some(env.clone()),
        (PatternKind::Constructor { name, arguments }, Value::Variant(variant)) => {
            if variant.case != name.text || variant.payload.len() != arguments.len() {
                return None;
            }
            let mut env = env.clone();
            for (argument, value) in arguments.iter().zip(&variant.payload) {
                env = bind_pattern(argument, value, &env)?;
            }
            Some(env)
        }
        (PatternKind::List { items, rest }, Value::List(values)) => {
            let fits = match rest {
                Some(_) => values.len() >= items.len(),
                None => values.len() == items.len(),
            };
            if !fits {
                return None;
            }
            let mut env = env.clone();
            for (item, value) in items.iter().zip(values.iter()) {
                env = bind_pattern(item, value, &env)?;
            }
            if let Some(Some(name)) = rest {
                env = env.bind(name.text.as_str(), Value::List(values.from_index(items.len())));
            }
            Some(env)
        }
        _ => None,
    }
}

/// `a ++ b` on strings. The length limit is checked first, then the run's
/// memory (where it has a [`Budget`]; the sandbox caps its own), before the
/// copy is made.
fn concat_strings(a: &str, b: &str, memory: Option<&Budget>) -> Result<Value, ErrorKind> {
    let length = a.chars().count() + b.chars().count();
    if length > builtins::MAX_COLLECTION {
        return Err(ErrorKind::SizeLimit { size: length, limit: builtins::MAX_COLLECTION });
    }
    if let Some(memory) = memory {
        memory.reserve(a.len() + b.len())?;
    }
    Ok(Value::string(format!("{a}{b}")))
}

fn int_op(op: BinaryOp, a: i64, b: i64) -> Result<Value, ErrorKind> {
    let overflow = || ErrorKind::IntOverflow { operation: format!("{a} {} {b}", op.symbol()) };
    let result = match op {
        BinaryOp::Add => a.checked_add(b),
        BinaryOp::Sub => a.checked_sub(b),
        BinaryOp::Mul => a.checked_mul(b),
        BinaryOp::Div | BinaryOp::Rem if b == 0 => {
            return Err(ErrorKind::DivisionByZero { operation: format!("{a} {} {b}", op.symbol()) });
        }
        BinaryOp::Div => a.checked_div(b),
        BinaryOp::Rem => a.checked_rem(b),
        _ => return Err(ErrorKind::BrokenCode),
    };
    result.map(Value::Int).ok_or_else(overflow)
}

fn float_op(op: BinaryOp, a: f64, b: f64) -> Result<Value, ErrorKind> {
    let result = match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div if b == 0.0 => {
            return Err(ErrorKind::DivisionByZero { operation: format!("{} / {}", format_float(a), format_float(b)) });
        }
        BinaryOp::Div => a / b,
        _ => return Err(ErrorKind::BrokenCode),
    };
    if result.is_finite() { Ok(Value::Float(result)) } else { Err(ErrorKind::NonFiniteFloat) }
}

/// A unary operator on an evaluated operand.
pub fn unary(op: UnaryOp, operand: Value) -> Result<Value, ErrorKind> {
    match (op, operand) {
        (UnaryOp::Not, Value::Bool(value)) => Ok(Value::Bool(!value)),
        (UnaryOp::Negate, Value::Int(value)) => {
            value.checked_neg().map(Value::Int).ok_or(ErrorKind::IntOverflow { operation: format!("-({value})") })
        }
        (UnaryOp::Negate, Value::Float(value)) => Ok(Value::Float(-value)),
        _ => Err(ErrorKind::BrokenCode),
    }
}

/// A binary operator on two evaluated operands (`&&` and `||` short-circuit
/// before this).
pub fn binary(op: BinaryOp, left: Value, right: Value) -> Result<Value, ErrorKind> {
    use std::cmp::Ordering;
    match op {
        BinaryOp::And | BinaryOp::Or => match (left, right) {
            (Value::Bool(_), Value::Bool(b)) => Ok(Value::Bool(b)),
            _ => Err(ErrorKind::BrokenCode),
        },
        BinaryOp::Eq | BinaryOp::NotEq => {
            if left.contains_function() || right.contains_function() {
                return Err(ErrorKind::CompareFunctions);
            }
            Ok(Value::Bool((left == right) == (op == BinaryOp::Eq)))
        }
        BinaryOp::Less | BinaryOp::LessEq | BinaryOp::Greater | BinaryOp::GreaterEq => {
            let ordering = match (&left, &right) {
                (Value::Float(a), Value::Float(b)) => a.partial_cmp(b),
                _ => Some(builtins::compare(&left, &right)),
            };
            Ok(Value::Bool(match (op, ordering) {
                (_, None) => false, // NaN compares false
                (BinaryOp::Less, Some(o)) => o == Ordering::Less,
                (BinaryOp::LessEq, Some(o)) => o != Ordering::Greater,
                (BinaryOp::Greater, Some(o)) => o == Ordering::Greater,
                (_, Some(o)) => o != Ordering::Less,
            }))
        }
        BinaryOp::Concat => match (left, right) {
            (Value::String(a), Value::String(b)) => concat_strings(&a, &b, None),
            (Value::List(a), Value::List(b)) => {
                let length = a.len() + b.len();
                if length > builtins::MAX_COLLECTION {
                    return Err(ErrorKind::SizeLimit { size: length, limit: builtins::MAX_COLLECTION });
                }
                Ok(Value::List(a.concat(&b)))
            }
            _ => Err(ErrorKind::BrokenCode),
        },
        _ => match (left, right) {
            (Value::Int(a), Value::Int(b)) => int_op(op, a, b),
            (Value::Float(a), Value::Float(b)) => float_op(op, a, b),
            _ => Err(ErrorKind::BrokenCode),
        },
    }
}
