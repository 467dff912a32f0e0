//! The Gloam language front end: source text → AST with expression ids →
//! typed AST, with diagnostics at every stage. Does no I/O.
//!
//! ```text
//! source ──tree-sitter──▶ syntax tree ──lower──▶ ast::Module (ExprId on every expression)
//!        ──types::check──▶ Checked (a type per ExprId, TypeTable, errors)
//! ```

pub mod codegen;
pub mod diagnostic;
pub mod schedule;
pub mod stack;
pub mod stdlib;
pub mod syntax;
pub mod types;

pub use diagnostic::{Diagnostic, LineColumn, Severity};
pub use stdlib::{Builtin, PureBuiltin, PureFamily, Purity};
pub use syntax::ast;
pub use syntax::entry::{Answer, Entry, EntryKind, EntryPoint};
pub use types::{Checked, Resolution, TypeError};

/// Everything known about one source text: the AST, its types, and every
/// diagnostic (syntax first, then types), in source order.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone)]
pub struct Analysis {
    pub module: ast::Module,
    pub checked: Checked,
    pub diagnostics: Vec<Diagnostic>,
}

#[cfg(not(target_arch = "wasm32"))]
impl Analysis {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and checks source text. Never fails: broken code yields diagnostics
/// and an AST of the parts that parse.
#[cfg(not(target_arch = "wasm32"))]
pub fn analyze(source: &str) -> Analysis {
    let parsed = syntax::parse(source);
    let checked = types::check(&parsed.module, source);
    let mut diagnostics: Vec<Diagnostic> = parsed.errors.iter().map(Diagnostic::from).collect();
    diagnostics.extend(checked.errors.iter().map(Diagnostic::from));
    diagnostics.sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.span.end));
    Analysis { module: parsed.module, checked, diagnostics }
}
