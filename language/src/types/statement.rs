//! Blocks: statements one after the other, whose value is the last one's.
//! A statement before the last whose value is not `()` is discarded, which is
//! a warning: `g (y)` is the function `g`, dropped, then `y` — not a call.
//! Whether a value is `()` is only known once inference is done, so the
//! statements are kept and judged in [`Checker::discarded_value_warnings`].

use super::check::Checker;
use super::error::{TypeError, UnusedKind};
use super::ty::Type;
use crate::syntax::ast::*;

/// The longest call shown in a hint; longer code is better left out.
const MAX_SHOWN_CALL: usize = 60;

/// A statement whose value is dropped.
pub(super) struct Discarded {
    span: Span,
    ty: Type,
    /// The statement after it.
    next: Span,
}

impl Checker<'_> {
    pub(super) fn infer_sequence(&mut self, items: &[Expr]) -> Type {
        let mut last = Type::unit();
        for (index, item) in items.iter().enumerate() {
            last = self.infer(item);
            if let Some(next) = items.get(index + 1) {
                self.discarded.push(Discarded { span: item.span, ty: last.clone(), next: next.span });
            }
        }
        last
    }

    /// Warnings for discarded values that are not `()`. A value whose type is
    /// still unknown (generic code, or code with an error) gets none.
    pub(super) fn discarded_value_warnings(&mut self) {
        for discarded in std::mem::take(&mut self.discarded) {
            let ty = self.zonk(&discarded.ty);
            if self.contains_poison(&ty) {
                continue;
            }
            let kind = match &ty {
                Type::Con(name, args) if name == "Unit" && args.is_empty() => continue,
                Type::Var(_) | Type::Generic(_) => continue,
                Type::Fn(..) => UnusedKind::Function { call: self.meant_call(discarded.span, discarded.next) },
                Type::Con(name, _) if name == "Result" => UnusedKind::Result,
                Type::Con(..) => UnusedKind::Value,
            };
            let ty = self.print(&ty);
            self.errors.push(TypeError::UnusedValue { span: discarded.span, ty, kind });
        }
    }
}

impl Checker<'_> {
    /// `g` followed by the statement `(y)`: the call `g(y)` that a space or
    /// a line break split, as written.
    fn meant_call(&self, function: Span, next: Span) -> Option<String> {
        let text = |span: Span| self.source.get(span.start as usize..span.end as usize);
        let (function, next) = (text(function)?, text(next)?);
        let call = format!("{function}{next}");
        (next.starts_with('(') && call.len() <= MAX_SHOWN_CALL && !call.contains('\n')).then_some(call)
    }
}
