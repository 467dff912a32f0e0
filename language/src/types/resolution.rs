//! What each name of a checked module stands for, decided once by the
//! checker: a local binding, a top-level item, a standard library function
//! or a variant constructor. The interpreter, the code generator and the
//! runtime read it instead of looking names up again.

use crate::stdlib::Builtin;
use crate::syntax::ast::{ExprId, Span};

/// What a name expression (`ExprKind::Variable`, `Qualified` or
/// `Constructor`) refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A parameter or a `let`, pattern or lambda binding, found in the
    /// environment by its name; `binder` is where the name is bound (`None`
    /// for a handler's implicit `request`).
    Local {
        binder: Option<Span>,
    },
    /// The top-level function at this position of the module's items.
    Function {
        item: usize,
    },
    /// The datastore at this position of the module's items.
    Datastore {
        item: usize,
    },
    /// The worker at this position of the module's items.
    Worker {
        item: usize,
    },
    Builtin(Builtin),
    /// A variant case of `type_name` whose payload has `arity` values
    /// (a function of them when not 0).
    Constructor {
        type_name: String,
        arity: usize,
    },
}

/// The resolutions of a module, by [`ExprId`].
#[derive(Debug, Clone, Default)]
pub struct Resolutions {
    by_expr: Vec<Option<Resolution>>,
}

impl Resolutions {
    pub(super) fn new(expr_count: u32) -> Resolutions {
        Resolutions { by_expr: vec![None; expr_count as usize] }
    }

    pub(super) fn insert(&mut self, id: ExprId, resolution: Resolution) {
        if let Some(slot) = self.by_expr.get_mut(id.index()) {
            *slot = Some(resolution);
        }
    }

    /// `None` for an expression that is not a name, or a name that resolves
    /// to nothing (an error has been reported for it).
    pub fn get(&self, id: ExprId) -> Option<&Resolution> {
        self.by_expr.get(id.index()).and_then(Option::as_ref)
    }
}
