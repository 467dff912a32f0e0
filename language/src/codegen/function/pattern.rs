//! Patterns: `match` arms and `let` patterns tested and bound.

use super::{FunctionCompiler, Local};
use crate::ast::*;
use crate::codegen::abi::{Rt, fail};
use crate::codegen::{CodegenError, Rep};
use wasm_encoder::{BlockType, ValType};

impl<'a> FunctionCompiler<'_, 'a> {
    pub(super) fn match_expr(
        &mut self,
        id: ExprId,
        scrutinee: &'a Expr,
        arms: &'a [MatchArm],
    ) -> Result<Rep, CodegenError> {
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
    pub(super) fn bind_or_fail(&mut self, pattern: &'a Pattern, value: u32, rep: Rep, id: ExprId) {
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
