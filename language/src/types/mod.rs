//! Type checking: Hindley–Milner inference with let-polymorphism over the
//! declared types, plus exhaustiveness of `match`.
//!
//! `check.rs` drives it (functions, entry points), after `declarations.rs`
//! (types and top-level names), in the order `order.rs` finds;
//! `unify.rs` holds variables, unification and generalisation;
//! `expression.rs`, `record.rs`, `pattern.rs`, `statement.rs` (blocks) and
//! `early_return.rs` (`?`) infer what their names say; `resolution.rs` records
//! what each name stands for; `names.rs` finds close names for hints; `error.rs` is
//! what can go wrong; `shared.rs` walks types as the graphs they are and bounds their size.

mod check;
mod declarations;
mod early_return;
mod error;
mod exhaustive;
mod expression;
mod names;
mod order;
mod pattern;
mod record;
mod resolution;
mod shared;
mod statement;
pub mod table;
pub mod ty;
mod unify;

pub use check::{Checked, check};
pub use error::{NotDataKind, SecretUse, TypeError, UnusedKind};
pub use names::similar_names;
pub use resolution::{Resolution, Resolutions};
pub use shared::MAX_TYPE_SIZE;

#[cfg(test)]
mod tests;
