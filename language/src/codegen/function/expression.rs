//! Expressions: literals, names, records, calls, closures and `?`.

use super::{FunctionCompiler, PendingLambda, memory, site};
use crate::ast::*;
use crate::codegen::abi::{self, Rt, fail};
use crate::codegen::{COUNTERS_GLOBAL, CodegenError, Rep, TABLE_BASE_GLOBAL};
use crate::types::Resolution;
use crate::types::ty::Type;
use wasm_encoder::{BlockType, ValType};

impl<'a> FunctionCompiler<'_, 'a> {
    /// Compiles `expr` and leaves it on the stack as `want`.
    pub(super) fn expr(&mut self, expr: &'a Expr, want: Rep) -> Result<(), CodegenError> {
        let got = self.emit(expr)?;
        self.coerce(got, want);
        Ok(())
    }

    /// Compiles `expr` into a new local of its natural representation.
    pub(super) fn expr_to_local(&mut self, expr: &'a Expr) -> Result<(u32, Rep), CodegenError> {
        let rep = self.emit(expr)?;
        let local = self.local(rep.val_type());
        self.sink().local_set(local);
        Ok((local, rep))
    }

    /// Compiles `expr`; returns the representation it left on the stack.
    /// The host stack grows as needed: chains (`a + b + …`, `let` sequences)
    /// are deeper trees than the nesting limit bounds.
    pub(super) fn emit(&mut self, expr: &'a Expr) -> Result<Rep, CodegenError> {
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
            ExprKind::Qualified { .. } => {
                match self.resolution(expr.id) {
                    Some(Resolution::Builtin(builtin)) => {
                        self.sink().i32_const(builtin.index() as i32);
                        self.rt(Rt::BuiltinValue);
                    }
                    _ => self.fail(fail::BROKEN_CODE, expr.id, 0, None, None),
                }
                Rep::Handle
            }
            ExprKind::Constructor(name) => {
                let Some(Resolution::Constructor { type_name, arity }) = self.resolution(expr.id) else {
                    return Err(CodegenError::BrokenCode);
                };
                let arity = *arity;
                self.string(type_name);
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
                self.lambda(expr.span, parameters, body)?;
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
        match self.resolution(id) {
            Some(Resolution::Local { .. }) => match self.local_get(name) {
                Some(rep) => return rep,
                None => self.fail(fail::BROKEN_CODE, id, 0, None, None),
            },
            Some(Resolution::Datastore { .. }) => {
                self.string(name);
                self.rt(Rt::Datastore);
            }
            Some(Resolution::Worker { .. }) => {
                self.string(name);
                self.rt(Rt::Worker);
            }
            Some(Resolution::Function { .. }) if self.module.functions.contains_key(name) => {
                let slot = self.module.functions[name].slot;
                self.sink().global_get(TABLE_BASE_GLOBAL).i32_const(slot as i32).i32_add().i32_const(0);
                self.string(name);
                self.rt(Rt::Closure);
            }
            _ => self.fail(fail::BROKEN_CODE, id, 0, None, None),
        }
        Rep::Handle
    }

    /// Reads a local in scope by name; `None` when there is none.
    fn local_get(&mut self, name: &str) -> Option<Rep> {
        let local = self.scope.iter().rev().find(|local| local.name == name)?;
        let (index, rep) = (local.index, local.rep);
        self.sink().local_get(index);
        Some(rep)
    }

    fn resolution(&self, id: ExprId) -> Option<&'a Resolution> {
        self.module.checked.resolution(id)
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
        match (&callee.kind, self.resolution(callee.id)) {
            (ExprKind::Variable(name), Some(Resolution::Function { .. }))
                if self.module.functions.contains_key(name.as_str()) =>
            {
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
            (ExprKind::Qualified { .. }, Some(Resolution::Builtin(builtin))) => {
                let builtin = *builtin;
                self.charge(callee.id);
                self.push_arguments(piped, arguments)?;
                self.sink()
                    .i32_const(builtin.index() as i32)
                    .i32_const(count)
                    .i32_const(site(call_id))
                    .i32_const(site(error_id));
                self.record_site(call_id);
                self.rt(Rt::Builtin);
                Ok(Rep::Handle)
            }
            (ExprKind::Constructor(name), Some(Resolution::Constructor { type_name, arity })) if *arity > 0 => {
                self.charge(callee.id);
                self.push_arguments(piped, arguments)?;
                self.string(type_name);
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

    /// A closure: the lambda's function, and the locals of the enclosing
    /// code it uses, captured.
    fn lambda(&mut self, span: Span, parameters: &'a [Name], body: &'a Expr) -> Result<(), CodegenError> {
        let mut captured = Vec::new();
        self.captured(span, body, &mut captured);
        let index = self.module.reserve();
        let slot = self.module.slot(index);
        for name in &captured {
            let rep = self.local_get(name).ok_or(CodegenError::BrokenCode)?;
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
        Ok(())
    }

    /// The locals a lambda's body uses that are bound outside the lambda
    /// (at `span`), each once, in the order first used.
    fn captured(&self, span: Span, expr: &'a Expr, found: &mut Vec<String>) {
        if let ExprKind::Variable(name) = &expr.kind
            && let Some(Resolution::Local { binder }) = self.resolution(expr.id)
            && binder.is_none_or(|binder| binder.start < span.start || binder.end > span.end)
            && !found.contains(name)
        {
            found.push(name.clone());
        }
        expr.for_each_child(|child| self.captured(span, child, found));
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
        self.sink().local_get(value);
        if self.is_handler {
            // The guest applies the interpreter's rule (an `Error` answers 400).
            self.rt(Rt::TryResponse);
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
}
