//! One function's code: expressions and patterns → instructions.
//!
//! Mirrors `interpreter/src/eval.rs` step for step; where the two could
//! differ (what is charged, in which order operands are evaluated, which
//! expression an error is reported at) the interpreter is the reference.

use super::abi::{self, Rt, fail};
use super::{COUNTERS_GLOBAL, CodegenError, DATA_GLOBAL, ModuleBuilder, Rep, TABLE_BASE_GLOBAL};
use crate::ast::*;
use crate::stdlib::Builtin;
use crate::types::ty::Type;
use wasm_encoder::{BlockType, Function, InstructionSink, MemArg, MemArgTarget, ValType};

/// A lambda met while compiling a body: its function index is reserved, its
/// code is generated after the body's.
pub(super) struct PendingLambda<'a> {
    index: u32,
    parameters: &'a [Name],
    body: &'a Expr,
    captured: Vec<String>,
}

struct Local {
    name: String,
    index: u32,
    rep: Rep,
}

struct FunctionCompiler<'b, 'a> {
    module: &'b mut ModuleBuilder<'a>,
    param_count: u32,
    locals: Vec<ValType>,
    code: Vec<u8>,
    scope: Vec<Local>,
    /// Open blocks; a label is the depth just inside its block.
    depth: u32,
    /// The function body's block: `?` returns early by branching out of it.
    exit: u32,
    /// `?` on an `Error` answers 400 in a handler's own body.
    is_handler: bool,
    result: Rep,
    step_scratch: Option<u32>,
    /// The height of the guest's argument stack when the body started, for
    /// `?`: returning early must drop what the body had pushed so far.
    stack_height: Option<u32>,
}

const fn memory(offset: u64, align: u32) -> MemArg {
    MemArg { offset, align, target: MemArgTarget::Memory(0), ordering: None }
}

fn site(id: ExprId) -> i32 {
    id.0 as i32
}

fn builtin_index(builtin: Builtin) -> i32 {
    Builtin::ALL.iter().position(|candidate| *candidate == builtin).unwrap_or(usize::MAX) as i32
}

impl<'b, 'a> FunctionCompiler<'b, 'a> {
    fn new(module: &'b mut ModuleBuilder<'a>, params: &[Rep], result: Rep, is_handler: bool) -> Self {
        FunctionCompiler {
            module,
            param_count: params.len() as u32,
            locals: Vec::new(),
            code: Vec::new(),
            scope: Vec::new(),
            depth: 0,
            exit: 0,
            is_handler,
            result,
            step_scratch: None,
            stack_height: None,
        }
    }

    fn sink(&mut self) -> InstructionSink<'_> {
        InstructionSink::new(&mut self.code)
    }

    fn local(&mut self, ty: ValType) -> u32 {
        self.locals.push(ty);
        self.param_count + self.locals.len() as u32 - 1
    }

    fn rt(&mut self, function: Rt) {
        self.sink().call(function as u32);
    }

    fn open_block(&mut self, ty: BlockType) -> u32 {
        self.sink().block(ty);
        self.depth += 1;
        self.depth
    }

    fn open_if(&mut self, ty: BlockType) {
        self.sink().if_(ty);
        self.depth += 1;
    }

    fn close(&mut self) {
        self.sink().end();
        self.depth -= 1;
    }

    fn br(&mut self, label: u32) {
        let relative = self.depth - label;
        self.sink().br(relative);
    }

    fn br_if(&mut self, label: u32) {
        let relative = self.depth - label;
        self.sink().br_if(relative);
    }

    /// Compiles a whole body into the function's outer block and ends it.
    fn body(mut self, body: &'a Expr) -> Result<Function, CodegenError> {
        if contains_try(body) {
            let height = self.local(ValType::I32);
            self.rt(Rt::StackHeight);
            self.sink().local_set(height);
            self.stack_height = Some(height);
        }
        let result = self.result;
        self.exit = self.open_block(BlockType::Result(result.val_type()));
        self.expr(body, result)?;
        self.close();
        self.sink().end();
        Ok(self.finish())
    }

    fn finish(self) -> Function {
        let mut function = Function::new_with_locals_types(self.locals);
        function.raw(self.code);
        function
    }

    // ---- Building blocks -------------------------------------------------------

    /// One step of the budget, as the interpreter charges each expression.
    fn charge(&mut self, id: ExprId) {
        let scratch = match self.step_scratch {
            Some(local) => local,
            None => {
                let local = self.local(ValType::I64);
                self.step_scratch = Some(local);
                local
            }
        };
        self.sink()
            .global_get(COUNTERS_GLOBAL)
            .global_get(COUNTERS_GLOBAL)
            .i64_load(memory(abi::REMAINING_STEPS, 3))
            .i64_const(1)
            .i64_sub()
            .local_tee(scratch)
            .i64_store(memory(abi::REMAINING_STEPS, 3))
            .local_get(scratch)
            .i64_const(0)
            .i64_lt_s();
        self.fail_if(fail::STEP_LIMIT, id, 0, None, None);
    }

    /// Stops with a failure when the `i32` on the stack is true.
    fn fail_if(&mut self, kind: i32, id: ExprId, op: i32, a: Option<u32>, b: Option<u32>) {
        self.open_if(BlockType::Empty);
        self.fail(kind, id, op, a, b);
        self.close();
    }

    /// Stops with a failure; `a` and `b` are `i64` locals for the message.
    fn fail(&mut self, kind: i32, id: ExprId, op: i32, a: Option<u32>, b: Option<u32>) {
        self.sink().i32_const(kind).i32_const(site(id)).i32_const(op);
        for operand in [a, b] {
            match operand {
                Some(local) => self.sink().local_get(local),
                None => self.sink().i64_const(0),
            };
        }
        self.rt(Rt::Fail);
        self.sink().unreachable();
    }

    fn coerce(&mut self, from: Rep, to: Rep) {
        match (from, to) {
            _ if from == to => {}
            (Rep::Int, Rep::Handle) => self.rt(Rt::Int),
            (Rep::Float, Rep::Handle) => self.rt(Rt::Float),
            (Rep::Bool, Rep::Handle) => self.rt(Rt::Bool),
            (Rep::Handle, Rep::Int) => self.rt(Rt::AsInt),
            (Rep::Handle, Rep::Float) => self.rt(Rt::AsFloat),
            (Rep::Handle, Rep::Bool) => self.rt(Rt::AsBool),
            // Scalars of different types never meet in checked code; box and unbox.
            (from, to) => {
                self.coerce(from, Rep::Handle);
                self.coerce(Rep::Handle, to);
            }
        }
    }

    /// The handle of a string constant, made on first use.
    fn string(&mut self, text: &str) {
        let (global, offset, length) = self.module.string_constant(text);
        self.sink().global_get(global).i32_const(-1).i32_eq();
        self.open_if(BlockType::Empty);
        self.sink().global_get(DATA_GLOBAL).i32_const(offset as i32).i32_add().i32_const(length as i32);
        self.rt(Rt::String);
        self.sink().global_set(global);
        self.close();
        self.sink().global_get(global);
    }

    fn push(&mut self) {
        self.rt(Rt::Push);
    }

    /// Pushes what is on the stack, held as `rep`, onto the guest's argument
    /// stack (scalars go straight there, without a handle).
    fn push_as(&mut self, rep: Rep) {
        self.rt(match rep {
            Rep::Int => Rt::PushInt,
            Rep::Float => Rt::PushFloat,
            Rep::Bool => Rt::PushBool,
            Rep::Handle => Rt::Push,
        });
    }

    /// Compiles `expr` onto the guest's argument stack.
    fn expr_pushed(&mut self, expr: &'a Expr) -> Result<(), CodegenError> {
        let rep = self.emit(expr)?;
        self.push_as(rep);
        Ok(())
    }

    fn type_of(&self, id: ExprId) -> &'a Type {
        self.module.checked.type_of(id)
    }

    fn natural(&self, id: ExprId) -> Rep {
        Rep::of(self.type_of(id))
    }

    fn record_site(&mut self, id: ExprId) {
        let ty = self.type_of(id).clone();
        self.module.site_types.insert(id.0, ty);
    }

    // ---- Expressions -----------------------------------------------------------

    /// Compiles `expr` and leaves it on the stack as `want`.
    fn expr(&mut self, expr: &'a Expr, want: Rep) -> Result<(), CodegenError> {
        let got = self.emit(expr)?;
        self.coerce(got, want);
        Ok(())
    }

    /// Compiles `expr` into a new local of its natural representation.
    fn expr_to_local(&mut self, expr: &'a Expr) -> Result<(u32, Rep), CodegenError> {
        let rep = self.emit(expr)?;
        let local = self.local(rep.val_type());
        self.sink().local_set(local);
        Ok((local, rep))
    }

    /// Compiles `expr`; returns the representation it left on the stack.
    /// The host stack grows as needed: chains (`a + b + …`, `let` sequences)
    /// are deeper trees than the nesting limit bounds.
    fn emit(&mut self, expr: &'a Expr) -> Result<Rep, CodegenError> {
        crate::stack::grow(64 * 1024, 1024 * 1024, || self.emit_here(expr))
    }

    fn emit_here(&mut self, expr: &'a Expr) -> Result<Rep, CodegenError> {
        self.charge(expr.id);
        Ok(match &expr.kind {
            ExprKind::Int(value) => {
                self.sink().i64_const(*value);
                Rep::Int
            }
            ExprKind::Float(value) => {
                self.sink().f64_const((*value).into());
                Rep::Float
            }
            ExprKind::Bool(value) => {
                self.sink().i32_const(*value as i32);
                Rep::Bool
            }
            ExprKind::Char(value) => {
                self.sink().i32_const(*value as i32);
                self.rt(Rt::Char);
                Rep::Handle
            }
            ExprKind::Unit => {
                self.rt(Rt::Unit);
                Rep::Handle
            }
            ExprKind::Error => {
                self.fail(fail::BROKEN_CODE, expr.id, 0, None, None);
                self.natural(expr.id)
            }
            ExprKind::String(parts) => {
                self.string_parts(parts)?;
                Rep::Handle
            }
            ExprKind::Variable(name) => self.variable(name, expr.id),
            ExprKind::Qualified { module, name } => {
                match Builtin::lookup(module, name) {
                    Some(builtin) => {
                        self.sink().i32_const(builtin_index(builtin));
                        self.rt(Rt::BuiltinValue);
                    }
                    None => self.fail(fail::BROKEN_CODE, expr.id, 0, None, None),
                }
                Rep::Handle
            }
            ExprKind::Constructor(name) => {
                let info = self.module.checked.table.constructor(name).ok_or(CodegenError::BrokenCode)?;
                let (type_name, arity) = (info.type_name.clone(), info.payload.len());
                self.string(&type_name);
                self.string(name);
                self.sink().i32_const(arity as i32);
                self.rt(if arity == 0 { Rt::Variant } else { Rt::ConstructorValue });
                Rep::Handle
            }
            ExprKind::List(items) => {
                for item in items {
                    self.expr_pushed(item)?;
                }
                self.sink().i32_const(items.len() as i32);
                self.rt(Rt::List);
                Rep::Handle
            }
            ExprKind::Dict(entries) => {
                for (key, value) in entries {
                    self.string(key);
                    self.push();
                    self.expr_pushed(value)?;
                }
                self.sink().i32_const(entries.len() as i32);
                self.rt(Rt::Dict);
                Rep::Handle
            }
            ExprKind::Record { fields, .. } => {
                self.record(expr.id, fields)?;
                Rep::Handle
            }
            ExprKind::RecordUpdate { record, fields } => {
                self.expr(record, Rep::Handle)?;
                let original = self.local(ValType::I32);
                self.sink().local_set(original);
                for field in fields {
                    self.string(&field.name.text);
                    self.push();
                    self.expr(&field.value, Rep::Handle)?;
                    self.push();
                }
                self.sink().local_get(original).i32_const(fields.len() as i32);
                self.rt(Rt::Update);
                Rep::Handle
            }
            ExprKind::Field { value, field } => {
                self.expr(value, Rep::Handle)?;
                self.string(&field.text);
                self.rt(Rt::Field);
                Rep::Handle
            }
            ExprKind::Call { callee, arguments, .. } => self.call(expr.id, expr.id, callee, None, arguments)?,
            ExprKind::Pipe { left, right } => {
                let piped = self.expr_to_local(left)?;
                match &right.kind {
                    // The call itself is not charged: the interpreter evaluates its parts directly.
                    ExprKind::Call { callee, arguments, .. } => {
                        self.call(right.id, expr.id, callee, Some(piped), arguments)?
                    }
                    _ => {
                        self.expr(right, Rep::Handle)?;
                        let function = self.local(ValType::I32);
                        self.sink().local_set(function).local_get(piped.0);
                        self.push_as(piped.1);
                        self.sink().local_get(function).i32_const(1).i32_const(site(expr.id)).i32_const(site(expr.id));
                        self.record_site(expr.id);
                        self.rt(Rt::Call);
                        Rep::Handle
                    }
                }
            }
            ExprKind::Let { pattern, value, body, .. } => {
                let (local, rep) = self.expr_to_local(value)?;
                let scope = self.scope.len();
                self.bind_or_fail(pattern, local, rep, expr.id);
                let result = self.emit(body)?;
                self.scope.truncate(scope);
                result
            }
            ExprKind::Sequence(items) => match items.split_last() {
                Some((last, init)) => {
                    for item in init {
                        self.emit(item)?;
                        self.sink().drop();
                    }
                    self.emit(last)?
                }
                None => {
                    self.rt(Rt::Unit);
                    Rep::Handle
                }
            },
            ExprKind::If { condition, then_branch, else_branch } => {
                let rep = self.natural(expr.id);
                self.expr(condition, Rep::Bool)?;
                self.open_if(BlockType::Result(rep.val_type()));
                self.expr(then_branch, rep)?;
                self.sink().else_();
                self.expr(else_branch, rep)?;
                self.close();
                rep
            }
            ExprKind::Match { scrutinee, arms } => self.match_expr(expr.id, scrutinee, arms)?,
            ExprKind::Lambda { parameters, body } => {
                self.lambda(parameters, body);
                Rep::Handle
            }
            ExprKind::Binary { op, left, right } => self.binary(expr.id, *op, left, right)?,
            ExprKind::Unary { op, operand } => self.unary(expr.id, *op, operand)?,
            ExprKind::Try(operand) => {
                self.try_expr(operand)?;
                Rep::Handle
            }
        })
    }

    fn string_parts(&mut self, parts: &'a [StringPart]) -> Result<(), CodegenError> {
        match parts {
            [] => self.string(""),
            [StringPart::Literal(text)] => self.string(text),
            _ => {
                for part in parts {
                    match part {
                        StringPart::Literal(text) => self.string(text),
                        StringPart::Interpolation(inner) => self.expr(inner, Rep::Handle)?,
                    }
                    self.push();
                }
                self.sink().i32_const(parts.len() as i32);
                self.rt(Rt::Interpolate);
            }
        }
        Ok(())
    }

    /// A name: a local, a datastore, a worker, or a top-level function (as a value).
    fn variable(&mut self, name: &str, id: ExprId) -> Rep {
        if let Some(local) = self.scope.iter().rev().find(|local| local.name == name) {
            let (index, rep) = (local.index, local.rep);
            self.sink().local_get(index);
            return rep;
        }
        if self.module.datastores.contains_key(name) {
            self.string(name);
            self.rt(Rt::Datastore);
        } else if self.module.workers.contains_key(name) {
            self.string(name);
            self.rt(Rt::Worker);
        } else if let Some(function) = self.module.functions.get(name) {
            let slot = function.slot;
            self.sink().global_get(TABLE_BASE_GLOBAL).i32_const(slot as i32).i32_add().i32_const(0);
            self.string(name);
            self.rt(Rt::Closure);
        } else {
            self.fail(fail::BROKEN_CODE, id, 0, None, None);
        }
        Rep::Handle
    }

    /// A record literal: fields evaluated in source order, stored in declaration order.
    fn record(&mut self, id: ExprId, fields: &'a [FieldInit]) -> Result<(), CodegenError> {
        let Type::Con(type_name, _) = self.type_of(id) else { return Err(CodegenError::BrokenCode) };
        let table = &self.module.checked.table;
        let declared: Vec<String> = table
            .get(type_name)
            .and_then(|def| def.fields())
            .ok_or(CodegenError::BrokenCode)?
            .iter()
            .map(|(name, _)| name.clone())
            .collect();
        let mut values = Vec::new();
        for field in fields {
            self.expr(&field.value, Rep::Handle)?;
            let local = self.local(ValType::I32);
            self.sink().local_set(local);
            values.push((field.name.text.as_str(), local));
        }
        for name in &declared {
            let local = values
                .iter()
                .find(|(given, _)| given == name)
                .map(|(_, local)| *local)
                .ok_or(CodegenError::BrokenCode)?;
            self.string(name);
            self.push();
            self.sink().local_get(local);
            self.push();
        }
        self.string(type_name);
        self.sink().i32_const(declared.len() as i32);
        self.rt(Rt::Record);
        Ok(())
    }

    /// Call depth, as the interpreter counts entering a function.
    fn enter(&mut self, id: ExprId) {
        self.sink()
            .global_get(COUNTERS_GLOBAL)
            .i32_load(memory(abi::DEPTH, 2))
            .global_get(COUNTERS_GLOBAL)
            .i32_load(memory(abi::MAX_DEPTH, 2))
            .i32_ge_s();
        self.fail_if(fail::RECURSION_LIMIT, id, 0, None, None);
        self.step_depth(1);
    }

    fn step_depth(&mut self, delta: i32) {
        self.sink()
            .global_get(COUNTERS_GLOBAL)
            .global_get(COUNTERS_GLOBAL)
            .i32_load(memory(abi::DEPTH, 2))
            .i32_const(delta)
            .i32_add()
            .i32_store(memory(abi::DEPTH, 2));
    }

    /// A call. `call_id` is the call expression (its type, the effect site);
    /// `error_id` is where errors of the call itself are reported (the pipe,
    /// for `x |> f(y)`). `piped` is the already evaluated first argument.
    fn call(
        &mut self,
        call_id: ExprId,
        error_id: ExprId,
        callee: &'a Expr,
        piped: Option<(u32, Rep)>,
        arguments: &'a [Expr],
    ) -> Result<Rep, CodegenError> {
        let count = arguments.len() as i32 + piped.is_some() as i32;
        match &callee.kind {
            ExprKind::Variable(name) if self.is_direct_function(name) => {
                let function = self.module.functions[name.as_str()].clone();
                self.charge(callee.id);
                let mut params = function.params.iter();
                if let Some((local, rep)) = piped {
                    self.sink().local_get(local);
                    self.coerce(rep, *params.next().ok_or(CodegenError::BrokenCode)?);
                }
                for argument in arguments {
                    self.expr(argument, *params.next().ok_or(CodegenError::BrokenCode)?)?;
                }
                self.enter(error_id);
                self.sink().call(function.index);
                self.step_depth(-1);
                Ok(function.result)
            }
            ExprKind::Qualified { module, name } if Builtin::lookup(module, name).is_some() => {
                let builtin = Builtin::lookup(module, name).ok_or(CodegenError::BrokenCode)?;
                self.charge(callee.id);
                self.push_arguments(piped, arguments)?;
                self.sink()
                    .i32_const(builtin_index(builtin))
                    .i32_const(count)
                    .i32_const(site(call_id))
                    .i32_const(site(error_id));
                self.record_site(call_id);
                self.rt(Rt::Builtin);
                Ok(Rep::Handle)
            }
            ExprKind::Constructor(name) if self.has_payload(name) => {
                let type_name =
                    self.module.checked.table.constructor(name).ok_or(CodegenError::BrokenCode)?.type_name.clone();
                self.charge(callee.id);
                self.push_arguments(piped, arguments)?;
                self.string(&type_name);
                self.string(name);
                self.sink().i32_const(count);
                self.rt(Rt::Variant);
                Ok(Rep::Handle)
            }
            _ => {
                self.expr(callee, Rep::Handle)?;
                let function = self.local(ValType::I32);
                self.sink().local_set(function);
                self.push_arguments(piped, arguments)?;
                self.sink().local_get(function).i32_const(count).i32_const(site(call_id)).i32_const(site(error_id));
                self.record_site(call_id);
                self.rt(Rt::Call);
                Ok(Rep::Handle)
            }
        }
    }

    fn is_direct_function(&self, name: &str) -> bool {
        !self.scope.iter().any(|local| local.name == name)
            && !self.module.datastores.contains_key(name)
            && !self.module.workers.contains_key(name)
            && self.module.functions.contains_key(name)
    }

    fn has_payload(&self, name: &str) -> bool {
        self.module.checked.table.constructor(name).is_some_and(|info| !info.payload.is_empty())
    }

    fn push_arguments(&mut self, piped: Option<(u32, Rep)>, arguments: &'a [Expr]) -> Result<(), CodegenError> {
        if let Some((local, rep)) = piped {
            self.sink().local_get(local);
            self.push_as(rep);
        }
        for argument in arguments {
            self.expr_pushed(argument)?;
        }
        Ok(())
    }

    fn lambda(&mut self, parameters: &'a [Name], body: &'a Expr) {
        let mut bound: Vec<String> = parameters.iter().map(|param| param.text.clone()).collect();
        let mut free = Vec::new();
        free_variables(body, &mut bound, &mut free);
        let captured: Vec<String> =
            free.into_iter().filter(|name| self.scope.iter().any(|local| local.name == *name)).collect();
        let index = self.module.reserve();
        let slot = self.module.slot(index);
        for name in &captured {
            let rep = self.variable(name, body.id);
            self.coerce(rep, Rep::Handle);
            self.push();
        }
        self.sink()
            .global_get(TABLE_BASE_GLOBAL)
            .i32_const(slot as i32)
            .i32_add()
            .i32_const(captured.len() as i32)
            .i32_const(-1);
        self.rt(Rt::Closure);
        self.module.pending_lambdas.push(PendingLambda { index, parameters, body, captured });
    }

    fn binary(&mut self, id: ExprId, op: BinaryOp, left: &'a Expr, right: &'a Expr) -> Result<Rep, CodegenError> {
        if op == BinaryOp::And || op == BinaryOp::Or {
            self.expr(left, Rep::Bool)?;
            self.open_if(BlockType::Result(ValType::I32));
            if op == BinaryOp::And {
                self.expr(right, Rep::Bool)?;
                self.sink().else_().i32_const(0);
            } else {
                self.sink().i32_const(1).else_();
                self.expr(right, Rep::Bool)?;
            }
            self.close();
            return Ok(Rep::Bool);
        }
        let operands = (self.natural(left.id), self.natural(right.id));
        match operands {
            (Rep::Int, Rep::Int) | (Rep::Float, Rep::Float) if is_comparison(op) => {
                self.expr(left, operands.0)?;
                self.expr(right, operands.0)?;
                self.comparison(op, operands.0 == Rep::Float);
                Ok(Rep::Bool)
            }
            (Rep::Int, Rep::Int) if op != BinaryOp::Concat => self.int_binary(id, op, left, right),
            (Rep::Float, Rep::Float) if op != BinaryOp::Concat => self.float_binary(id, op, left, right),
            (Rep::Bool, Rep::Bool) if matches!(op, BinaryOp::Eq | BinaryOp::NotEq) => {
                self.expr(left, Rep::Bool)?;
                self.expr(right, Rep::Bool)?;
                let mut sink = self.sink();
                if op == BinaryOp::Eq {
                    sink.i32_eq()
                } else {
                    sink.i32_ne()
                };
                Ok(Rep::Bool)
            }
            _ => {
                let op_index = BinaryOp::ALL.iter().position(|candidate| *candidate == op).unwrap_or(0);
                self.sink().i32_const(op_index as i32);
                self.expr(left, Rep::Handle)?;
                self.expr(right, Rep::Handle)?;
                self.sink().i32_const(site(id));
                self.rt(Rt::Binary);
                Ok(Rep::Handle)
            }
        }
    }

    fn comparison(&mut self, op: BinaryOp, float: bool) {
        let mut sink = InstructionSink::new(&mut self.code);
        match (op, float) {
            (BinaryOp::Eq, false) => sink.i64_eq(),
            (BinaryOp::NotEq, false) => sink.i64_ne(),
            (BinaryOp::Less, false) => sink.i64_lt_s(),
            (BinaryOp::LessEq, false) => sink.i64_le_s(),
            (BinaryOp::Greater, false) => sink.i64_gt_s(),
            (BinaryOp::GreaterEq, false) => sink.i64_ge_s(),
            (BinaryOp::Eq, true) => sink.f64_eq(),
            (BinaryOp::NotEq, true) => sink.f64_ne(),
            (BinaryOp::Less, true) => sink.f64_lt(),
            (BinaryOp::LessEq, true) => sink.f64_le(),
            (BinaryOp::Greater, true) => sink.f64_gt(),
            (_, true) => sink.f64_ge(),
            (_, false) => sink.i64_ge_s(),
        };
    }

    /// Both operands, evaluated in order into new locals of `rep` (a scalar).
    fn operands(&mut self, left: &'a Expr, right: &'a Expr, rep: Rep) -> Result<(u32, u32), CodegenError> {
        let mut locals = [0; 2];
        for (slot, operand) in locals.iter_mut().zip([left, right]) {
            self.expr(operand, rep)?;
            *slot = self.local(rep.val_type());
            self.sink().local_set(*slot);
        }
        Ok((locals[0], locals[1]))
    }

    fn int_binary(&mut self, id: ExprId, op: BinaryOp, left: &'a Expr, right: &'a Expr) -> Result<Rep, CodegenError> {
        let op_index = BinaryOp::ALL.iter().position(|candidate| *candidate == op).unwrap_or(0) as i32;
        let (a, b) = self.operands(left, right, Rep::Int)?;
        match op {
            BinaryOp::Add | BinaryOp::Sub => {
                let result = self.local(ValType::I64);
                self.sink().local_get(a).local_get(b);
                let mut sink = self.sink();
                if op == BinaryOp::Add {
                    sink.i64_add()
                } else {
                    sink.i64_sub()
                };
                self.sink().local_set(result);
                // Signed overflow: the result's sign disagrees with what the operands allow.
                if op == BinaryOp::Add {
                    self.sink().local_get(a).local_get(result).i64_xor().local_get(b).local_get(result).i64_xor();
                } else {
                    self.sink().local_get(a).local_get(b).i64_xor().local_get(a).local_get(result).i64_xor();
                }
                self.sink().i64_and().i64_const(0).i64_lt_s();
                self.fail_if(fail::INT_OVERFLOW, id, op_index, Some(a), Some(b));
                self.sink().local_get(result);
            }
            BinaryOp::Mul => {
                self.sink().local_get(a).local_get(b).i32_const(site(id));
                self.rt(Rt::IntMul);
            }
            BinaryOp::Div | BinaryOp::Rem => {
                self.sink().local_get(b).i64_eqz();
                self.fail_if(fail::DIVISION_BY_ZERO, id, op_index, Some(a), Some(b));
                self.sink().local_get(a).i64_const(i64::MIN).i64_eq().local_get(b).i64_const(-1).i64_eq().i32_and();
                self.fail_if(fail::INT_OVERFLOW, id, op_index, Some(a), Some(b));
                self.sink().local_get(a).local_get(b);
                let mut sink = self.sink();
                if op == BinaryOp::Div {
                    sink.i64_div_s()
                } else {
                    sink.i64_rem_s()
                };
            }
            _ => self.fail(fail::BROKEN_CODE, id, 0, None, None),
        }
        Ok(Rep::Int)
    }

    fn float_binary(&mut self, id: ExprId, op: BinaryOp, left: &'a Expr, right: &'a Expr) -> Result<Rep, CodegenError> {
        let (a, b) = self.operands(left, right, Rep::Float)?;
        if op == BinaryOp::Div {
            self.sink().local_get(b).f64_const(0.0.into()).f64_eq();
            self.open_if(BlockType::Empty);
            // The message shows both operands: they go over as bits.
            let (a_bits, b_bits) = (self.local(ValType::I64), self.local(ValType::I64));
            self.sink().local_get(a).i64_reinterpret_f64().local_set(a_bits);
            self.sink().local_get(b).i64_reinterpret_f64().local_set(b_bits);
            self.fail(fail::FLOAT_DIVISION_BY_ZERO, id, 0, Some(a_bits), Some(b_bits));
            self.close();
        }
        self.sink().local_get(a).local_get(b);
        match op {
            BinaryOp::Add => self.sink().f64_add(),
            BinaryOp::Sub => self.sink().f64_sub(),
            BinaryOp::Mul => self.sink().f64_mul(),
            BinaryOp::Div => self.sink().f64_div(),
            _ => {
                self.fail(fail::BROKEN_CODE, id, 0, None, None);
                return Ok(Rep::Float);
            }
        };
        let result = self.local(ValType::F64);
        // Finite: x - x is 0 for finite x, NaN for infinities and NaN.
        self.sink().local_tee(result).local_get(result).f64_sub().f64_const(0.0.into()).f64_ne();
        self.fail_if(fail::NON_FINITE_FLOAT, id, 0, None, None);
        self.sink().local_get(result);
        Ok(Rep::Float)
    }

    fn unary(&mut self, id: ExprId, op: UnaryOp, operand: &'a Expr) -> Result<Rep, CodegenError> {
        Ok(match (op, self.natural(operand.id)) {
            (UnaryOp::Not, _) => {
                self.expr(operand, Rep::Bool)?;
                self.sink().i32_eqz();
                Rep::Bool
            }
            (UnaryOp::Negate, Rep::Int) => {
                self.expr(operand, Rep::Int)?;
                let a = self.local(ValType::I64);
                self.sink().local_tee(a).i64_const(i64::MIN).i64_eq();
                self.fail_if(fail::NEGATE_OVERFLOW, id, 0, Some(a), None);
                self.sink().i64_const(0).local_get(a).i64_sub();
                Rep::Int
            }
            (UnaryOp::Negate, Rep::Float) => {
                self.expr(operand, Rep::Float)?;
                self.sink().f64_neg();
                Rep::Float
            }
            (UnaryOp::Negate, _) => {
                self.sink().i32_const(0);
                self.expr(operand, Rep::Handle)?;
                self.sink().i32_const(site(id));
                self.rt(Rt::Unary);
                Rep::Handle
            }
        })
    }

    /// `value?`: unwraps `Ok`/`Some`, or returns early from the function.
    fn try_expr(&mut self, operand: &'a Expr) -> Result<(), CodegenError> {
        self.expr(operand, Rep::Handle)?;
        let value = self.local(ValType::I32);
        let kind = self.local(ValType::I32);
        self.sink().local_tee(value);
        self.rt(Rt::TryKind);
        self.sink().local_tee(kind);
        self.open_if(BlockType::Empty);
        if self.is_handler {
            self.sink().local_get(kind).i32_const(2).i32_eq();
            self.open_if(BlockType::Result(ValType::I32));
            self.sink().local_get(value);
            self.rt(Rt::TryResponse);
            self.sink().else_().local_get(value);
            self.close();
        } else {
            self.sink().local_get(value);
        }
        let result = self.result;
        self.coerce(Rep::Handle, result);
        if let Some(height) = self.stack_height {
            // Arguments pushed for calls this `?` interrupted are not popped by them.
            self.sink().local_get(height);
            self.rt(Rt::StackTruncate);
        }
        let exit = self.exit;
        self.br(exit);
        self.close();
        self.sink().local_get(value).i32_const(0);
        self.rt(Rt::Payload);
        Ok(())
    }

    fn match_expr(&mut self, id: ExprId, scrutinee: &'a Expr, arms: &'a [MatchArm]) -> Result<Rep, CodegenError> {
        let (value, rep) = self.expr_to_local(scrutinee)?;
        let result = self.natural(id);
        let done = self.open_block(BlockType::Result(result.val_type()));
        for arm in arms {
            let next = self.open_block(BlockType::Empty);
            let scope = self.scope.len();
            self.test_pattern(&arm.pattern, value, rep, next);
            if let Some(guard) = &arm.guard {
                self.expr(guard, Rep::Bool)?;
                self.sink().i32_eqz();
                self.br_if(next);
            }
            self.expr(&arm.body, result)?;
            self.br(done);
            self.scope.truncate(scope);
            self.close();
        }
        self.no_match(id, value, rep);
        self.close();
        Ok(result)
    }

    fn no_match(&mut self, id: ExprId, value: u32, rep: Rep) {
        let as_i64 = self.local(ValType::I64);
        self.sink().local_get(value);
        self.coerce(rep, Rep::Handle);
        self.sink().i64_extend_i32_s().local_set(as_i64);
        self.fail(fail::NO_MATCH, id, 0, Some(as_i64), None);
    }

    /// `let pattern = value`: binds, or stops with "no arm … covers".
    fn bind_or_fail(&mut self, pattern: &'a Pattern, value: u32, rep: Rep, id: ExprId) {
        match &pattern.kind {
            PatternKind::Variable(name) => self.scope.push(Local { name: name.clone(), index: value, rep }),
            PatternKind::Wildcard => {}
            _ => {
                let matched = self.open_block(BlockType::Empty);
                let failed = self.open_block(BlockType::Empty);
                self.test_pattern(pattern, value, rep, failed);
                self.br(matched);
                self.close();
                self.no_match(id, value, rep);
                self.close();
            }
        }
    }

    /// Tests a value against a pattern, branching to `failed` when it does
    /// not match and binding its variables when it does.
    fn test_pattern(&mut self, pattern: &'a Pattern, value: u32, rep: Rep, failed: u32) {
        match &pattern.kind {
            PatternKind::Wildcard | PatternKind::Unit => {}
            PatternKind::Variable(name) => self.scope.push(Local { name: name.clone(), index: value, rep }),
            PatternKind::Int(expected) => {
                self.sink().local_get(value);
                self.coerce(rep, Rep::Int);
                self.sink().i64_const(*expected).i64_ne();
                self.br_if(failed);
            }
            PatternKind::Float(expected) => {
                self.sink().local_get(value);
                self.coerce(rep, Rep::Float);
                self.sink().f64_const((*expected).into()).f64_ne();
                self.br_if(failed);
            }
            PatternKind::Bool(expected) => {
                self.sink().local_get(value);
                self.coerce(rep, Rep::Bool);
                self.sink().i32_const(*expected as i32).i32_ne();
                self.br_if(failed);
            }
            PatternKind::Char(expected) => {
                self.sink().local_get(value);
                self.coerce(rep, Rep::Handle);
                self.sink().i32_const(*expected as i32);
                self.rt(Rt::Char);
                self.rt(Rt::Equal);
                self.sink().i32_eqz();
                self.br_if(failed);
            }
            PatternKind::String(expected) => {
                self.sink().local_get(value);
                self.coerce(rep, Rep::Handle);
                self.string(expected);
                self.rt(Rt::Equal);
                self.sink().i32_eqz();
                self.br_if(failed);
            }
            PatternKind::Constructor { name, arguments } => {
                let handle = self.handle_local(value, rep);
                self.sink().local_get(handle);
                self.string(&name.text);
                self.rt(Rt::IsCase);
                self.sink().i32_eqz();
                self.br_if(failed);
                self.test_parts(handle, arguments, Rt::Payload, failed);
            }
            PatternKind::List { items, rest } => {
                let handle = self.handle_local(value, rep);
                self.sink().local_get(handle);
                self.rt(Rt::ListLen);
                self.sink().i32_const(items.len() as i32);
                let mut sink = self.sink();
                if rest.is_some() {
                    sink.i32_lt_s()
                } else {
                    sink.i32_ne()
                };
                self.br_if(failed);
                self.test_parts(handle, items, Rt::ListItem, failed);
                if let Some(Some(name)) = rest {
                    self.sink().local_get(handle).i32_const(items.len() as i32);
                    self.rt(Rt::ListRest);
                    let tail = self.local(ValType::I32);
                    self.sink().local_set(tail);
                    self.scope.push(Local { name: name.text.clone(), index: tail, rep: Rep::Handle });
                }
            }
            PatternKind::Error => self.br(failed),
        }
    }

    /// Tests the parts of a variant (`Rt::Payload`) or list (`Rt::ListItem`),
    /// each read by position, against their patterns.
    fn test_parts(&mut self, handle: u32, patterns: &'a [Pattern], read: Rt, failed: u32) {
        for (index, pattern) in patterns.iter().enumerate() {
            self.sink().local_get(handle).i32_const(index as i32);
            self.rt(read);
            let part = self.local(ValType::I32);
            self.sink().local_set(part);
            self.test_pattern(pattern, part, Rep::Handle, failed);
        }
    }

    /// The value as a handle in a local (itself, when it is one already).
    fn handle_local(&mut self, value: u32, rep: Rep) -> u32 {
        if rep == Rep::Handle {
            return value;
        }
        self.sink().local_get(value);
        self.coerce(rep, Rep::Handle);
        let local = self.local(ValType::I32);
        self.sink().local_set(local);
        local
    }
}

/// Whether a body uses `?` (its own, not its lambdas').
fn contains_try(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Try(_) => true,
        ExprKind::Lambda { .. } => false,
        _ => {
            let mut found = false;
            expr.for_each_child(|child| found = found || contains_try(child));
            found
        }
    }
}

fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Less | BinaryOp::LessEq | BinaryOp::Greater | BinaryOp::GreaterEq
    )
}

/// Names a body uses that it does not bind itself.
fn free_variables(expr: &Expr, bound: &mut Vec<String>, free: &mut Vec<String>) {
    crate::stack::grow(64 * 1024, 1024 * 1024, || free_variables_here(expr, bound, free))
}

fn free_variables_here(expr: &Expr, bound: &mut Vec<String>, free: &mut Vec<String>) {
    match &expr.kind {
        ExprKind::Variable(name) => {
            if !bound.contains(name) && !free.contains(name) {
                free.push(name.clone());
            }
        }
        ExprKind::Let { pattern, value, body, .. } => {
            free_variables(value, bound, free);
            let outer = bound.len();
            pattern_binders(pattern, bound);
            free_variables(body, bound, free);
            bound.truncate(outer);
        }
        ExprKind::Match { scrutinee, arms } => {
            free_variables(scrutinee, bound, free);
            for arm in arms {
                let outer = bound.len();
                pattern_binders(&arm.pattern, bound);
                if let Some(guard) = &arm.guard {
                    free_variables(guard, bound, free);
                }
                free_variables(&arm.body, bound, free);
                bound.truncate(outer);
            }
        }
        ExprKind::Lambda { parameters, body } => {
            let outer = bound.len();
            bound.extend(parameters.iter().map(|param| param.text.clone()));
            free_variables(body, bound, free);
            bound.truncate(outer);
        }
        _ => expr.for_each_child(|child| free_variables(child, bound, free)),
    }
}

fn pattern_binders(pattern: &Pattern, bound: &mut Vec<String>) {
    match &pattern.kind {
        PatternKind::Variable(name) => bound.push(name.clone()),
        PatternKind::Constructor { arguments, .. } => {
            arguments.iter().for_each(|argument| pattern_binders(argument, bound))
        }
        PatternKind::List { items, rest } => {
            items.iter().for_each(|item| pattern_binders(item, bound));
            if let Some(Some(name)) = rest {
                bound.push(name.text.clone());
            }
        }
        _ => {}
    }
}

// ---- Functions of the module ---------------------------------------------------

/// A top-level function's direct form.
pub(super) fn global_function<'a>(module: &mut ModuleBuilder<'a>, decl: &'a FunctionDecl) -> Result<(), CodegenError> {
    let function = module.functions[decl.name.text.as_str()].clone();
    let mut compiler = FunctionCompiler::new(module, &function.params, function.result, false);
    for (index, (param, rep)) in decl.parameters.iter().zip(&function.params).enumerate() {
        compiler.scope.push(Local { name: param.name.text.clone(), index: index as u32, rep: *rep });
    }
    let body = compiler.body(&decl.body)?;
    let params = function.params.iter().map(|rep| rep.val_type()).collect();
    module.define(function.index, params, vec![function.result.val_type()], body);
    Ok(())
}

/// A top-level function's uniform form, for calls through a function value.
pub(super) fn wrapper(module: &mut ModuleBuilder, decl: &FunctionDecl, index: u32) {
    let function = module.functions[decl.name.text.as_str()].clone();
    let mut compiler = FunctionCompiler::new(module, &[Rep::Handle], Rep::Handle, false);
    let arguments: Vec<u32> = function.params.iter().map(|rep| compiler.local(rep.val_type())).collect();
    for (argument, rep) in arguments.iter().zip(&function.params).rev() {
        compiler.rt(match rep {
            Rep::Int => Rt::PopInt,
            Rep::Float => Rt::PopFloat,
            Rep::Bool => Rt::PopBool,
            Rep::Handle => Rt::Pop,
        });
        compiler.sink().local_set(*argument);
    }
    for argument in &arguments {
        compiler.sink().local_get(*argument);
    }
    compiler.sink().call(function.index);
    compiler.coerce(function.result, Rep::Handle);
    compiler.sink().end();
    let body = compiler.finish();
    module.define(index, vec![ValType::I32], vec![ValType::I32], body);
}

/// A handler's, worker's or cron's body: `(argument) -> value`, the argument
/// bound to `parameter` (a cron has none and ignores it).
pub(super) fn entry<'a>(
    module: &mut ModuleBuilder<'a>,
    body: &'a Expr,
    parameter: Option<&str>,
    is_handler: bool,
) -> Result<u32, CodegenError> {
    let index = module.reserve();
    let mut compiler = FunctionCompiler::new(module, &[Rep::Handle], Rep::Handle, is_handler);
    if let Some(name) = parameter {
        compiler.scope.push(Local { name: name.to_string(), index: 0, rep: Rep::Handle });
    }
    let code = compiler.body(body)?;
    module.define(index, vec![ValType::I32], vec![ValType::I32], code);
    Ok(index)
}

/// A lambda: `(closure) -> result`, its captured values read from the
/// closure, its arguments popped from the guest's argument stack.
pub(super) fn lambda<'a>(module: &mut ModuleBuilder<'a>, lambda: PendingLambda<'a>) -> Result<(), CodegenError> {
    let mut compiler = FunctionCompiler::new(module, &[Rep::Handle], Rep::Handle, false);
    for (position, name) in lambda.captured.iter().enumerate() {
        let local = compiler.local(ValType::I32);
        compiler.sink().local_get(0).i32_const(position as i32);
        compiler.rt(Rt::Captured);
        compiler.sink().local_set(local);
        compiler.scope.push(Local { name: name.clone(), index: local, rep: Rep::Handle });
    }
    let arguments: Vec<u32> = lambda.parameters.iter().map(|_| compiler.local(ValType::I32)).collect();
    for argument in arguments.iter().rev() {
        compiler.rt(Rt::Pop);
        compiler.sink().local_set(*argument);
    }
    for (param, local) in lambda.parameters.iter().zip(arguments) {
        compiler.scope.push(Local { name: param.text.clone(), index: local, rep: Rep::Handle });
    }
    let code = compiler.body(lambda.body)?;
    module.define(lambda.index, vec![ValType::I32], vec![ValType::I32], code);
    Ok(())
}

/// Per instance: where the counters are, and the string constants copied in.
/// `(ignored) -> 0`, like the entries, so the guest calls it the same way.
pub(super) fn init(module: &ModuleBuilder) -> Function {
    let mut code = Vec::new();
    let mut sink = InstructionSink::new(&mut code);
    sink.call(Rt::Counters as u32).global_set(COUNTERS_GLOBAL);
    let length = module.strings.len() as i32;
    if length > 0 {
        sink.i32_const(length)
            .call(Rt::Alloc as u32)
            .global_set(DATA_GLOBAL)
            .global_get(DATA_GLOBAL)
            .i32_const(0)
            .i32_const(length)
            .memory_init(0, 0);
    }
    sink.i32_const(0).end();
    let mut function = Function::new([]);
    function.raw(code);
    function
}
