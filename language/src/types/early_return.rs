//! `?`: unwraps an `Ok` or a `Some`, or returns the `Error` or `None` from
//! the enclosing function or lambda.
//!
//! What the function returns is often only known once its whole body is
//! inferred (`fn f(s) = let n = Int.parse(s)? ...` returns whatever its last
//! statement does), and so, for a parameter, is the operand. So each `?` is
//! kept with its function and judged when the function's body is done
//! ([`Checker::pop_return`]): a `?` in a function that returns neither a
//! `Result` nor an `Option` is a `try-operand` error at the `?`, not a
//! mismatch somewhere in the body.

use super::check::{Checker, ReturnContext};
use super::error::TypeError;
use super::ty::Type;
use crate::syntax::ast::*;

/// A `?` waiting for its function's result type.
pub(super) struct PendingTry {
    /// The `returns` depth of its function.
    depth: usize,
    span: Span,
    operand_span: Span,
    operand: Type,
    /// What the `?` gives: the `Ok` or `Some` value.
    ok: Type,
}

impl Checker<'_> {
    pub(super) fn infer_try(&mut self, span: Span, operand: &Expr) -> Type {
        let ty = self.infer(operand);
        if self.is_poisoned(&ty) {
            return self.poison();
        }
        let in_handler = matches!(self.returns.last(), Some(ReturnContext::Handler) | None);
        match self.shallow(&ty) {
            Type::Con(name, _) if name == "Option" && in_handler => {
                let found = self.print(&ty);
                self.errors.push(TypeError::TryInHandler { span: operand.span, found });
                self.poison()
            }
            Type::Con(name, args) if name == "Result" && in_handler => {
                if self.unify(&args[1], &Type::string()).is_err() {
                    let found = self.print(&args[1]);
                    self.errors.push(TypeError::TryInHandler { span: operand.span, found });
                }
                args[0].clone()
            }
            Type::Var(_) if in_handler => {
                let ok = self.fresh();
                self.expect(&Type::result(ok.clone(), Type::string()), &ty, operand.span, None);
                ok
            }
            Type::Con(name, args) if name == "Option" || name == "Result" => {
                let ok = args[0].clone();
                self.defer_try(span, operand.span, ty, ok.clone());
                ok
            }
            Type::Var(_) => {
                let ok = self.fresh();
                self.defer_try(span, operand.span, ty, ok.clone());
                ok
            }
            _ => {
                let found = self.print(&ty);
                self.errors.push(TypeError::TryOperand { span: operand.span, found });
                self.poison()
            }
        }
    }

    fn defer_try(&mut self, span: Span, operand_span: Span, operand: Type, ok: Type) {
        let depth = self.returns.len();
        self.pending_tries.push(PendingTry { depth, span, operand_span, operand, ok });
    }

    /// Leaves a function, lambda, worker or cron body: its `?`s meet its
    /// result type.
    pub(super) fn pop_return(&mut self) {
        let depth = self.returns.len();
        let Some(context) = self.returns.pop() else { return };
        let Some(first) = self.pending_tries.iter().position(|pending| pending.depth >= depth) else { return };
        let pending = self.pending_tries.split_off(first);
        let ReturnContext::Value(returns) = context else { return };
        for pending in pending {
            self.resolve_try(pending, &returns);
        }
    }

    fn resolve_try(&mut self, pending: PendingTry, returns: &Type) {
        if self.is_poisoned(returns) || self.is_poisoned(&pending.operand) {
            return;
        }
        let returns_option = matches!(self.shallow(returns), Type::Con(name, _) if name == "Option");
        let error = match self.shallow(&pending.operand) {
            Type::Con(name, _) if name == "Option" => None,
            Type::Con(name, args) if name == "Result" => Some(args[1].clone()),
            // A parameter, say: what the function returns tells which.
            Type::Var(_) if returns_option => {
                let option = Type::option(pending.ok.clone());
                self.expect(&option, &pending.operand, pending.operand_span, None);
                None
            }
            Type::Var(_) => {
                let error = self.fresh();
                let result = Type::result(pending.ok.clone(), error.clone());
                self.expect(&result, &pending.operand, pending.operand_span, None);
                Some(error)
            }
            other => {
                // Known only now, from a later use.
                let found = self.print(&other);
                self.errors.push(TypeError::TryOperand { span: pending.operand_span, found });
                return;
            }
        };
        match (self.shallow(returns), error) {
            (Type::Var(_), error) => {
                // Nothing else says what the function returns: `?` does.
                let wrapped = match error {
                    Some(error) => Type::result(self.fresh(), error),
                    None => Type::option(self.fresh()),
                };
                self.expect(returns, &wrapped, pending.operand_span, None);
            }
            (Type::Con(name, _), None) if name == "Option" => {}
            (Type::Con(name, _), Some(error)) if name == "Result" => {
                let wrapped = Type::result(self.fresh(), error);
                self.expect(returns, &wrapped, pending.operand_span, Some("`?` returns the `Error` early"));
            }
            (other, error) => {
                let operand = if error.is_some() { "Result" } else { "Option" };
                let returns = self.print(&other);
                self.errors.push(TypeError::TryReturn { span: pending.span, operand, returns });
            }
        }
    }
}
