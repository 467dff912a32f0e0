//! Exhaustiveness and reachability of patterns, by the usefulness algorithm
//! of Maranget ("Warnings for pattern matching", 2007).
//!
//! A pattern is useful after a list of rows if some value matches it and no
//! row. A match is exhaustive when `_` is not useful after all its unguarded
//! arms; an arm is unreachable when it is not useful after the arms before it.

use super::error::TypeError;
use super::table::TypeTable;
use super::ty::Type;
use crate::syntax::ast::{Pattern, PatternKind, Span};

/// A match (or a destructuring `let`) waiting for its scrutinee type to be solved.
pub struct PendingMatch {
    pub scrutinee: Type,
    /// Each arm's pattern, and whether it has a guard.
    pub arms: Vec<(Pattern, bool)>,
    pub span: Span,
    pub is_let: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Ctor {
    Bool(bool),
    Unit,
    Variant(String),
    Nil,
    Cons,
    Int(i64),
    Float(u64),
    Str(String),
    Char(char),
}

#[derive(Debug, Clone)]
enum Pat {
    Wild,
    Ctor(Ctor, Vec<Pat>),
}

/// Reports the problems of one match.
pub fn check(table: &TypeTable, scrutinee: &Type, pending: &PendingMatch) -> Vec<TypeError> {
    let space = Space { table };
    let mut problems = Vec::new();
    let mut rows: Vec<Vec<Pat>> = Vec::new();
    for (pattern, guarded) in &pending.arms {
        let row = vec![space.lower(pattern)];
        if !pending.is_let && space.useful(&rows, &row, std::slice::from_ref(scrutinee)).is_none() {
            problems.push(TypeError::UnreachableArm { span: pattern.span });
        }
        if !guarded {
            rows.push(row);
        }
    }
    if let Some(witness) = space.useful(&rows, &[Pat::Wild], std::slice::from_ref(scrutinee)) {
        let shown = witness.first().map_or("_".to_string(), render);
        let missing = if shown == "_" { "every value: add a `_` arm".to_string() } else { format!("`{shown}`") };
        problems.push(if pending.is_let {
            TypeError::RefutableLet { span: pending.span, missing }
        } else {
            TypeError::NonExhaustive { span: pending.span, missing }
        });
    }
    problems
}

fn render(pat: &Pat) -> String {
    match pat {
        Pat::Wild => "_".to_string(),
        Pat::Ctor(Ctor::Bool(value), _) => value.to_string(),
        Pat::Ctor(Ctor::Unit, _) => "()".to_string(),
        Pat::Ctor(Ctor::Variant(name), args) if args.is_empty() => name.clone(),
        Pat::Ctor(Ctor::Variant(name), args) => {
            format!("{name}({})", args.iter().map(render).collect::<Vec<_>>().join(", "))
        }
        Pat::Ctor(Ctor::Nil | Ctor::Cons, _) => {
            let mut items = Vec::new();
            let mut current = pat;
            loop {
                match current {
                    Pat::Ctor(Ctor::Cons, args) if args.len() == 2 => {
                        items.push(render(&args[0]));
                        current = &args[1];
                    }
                    Pat::Ctor(Ctor::Nil, _) => break,
                    _ => {
                        items.push("...".to_string());
                        break;
                    }
                }
            }
            format!("[{}]", items.join(", "))
        }
        Pat::Ctor(Ctor::Int(value), _) => value.to_string(),
        Pat::Ctor(Ctor::Float(bits), _) => f64::from_bits(*bits).to_string(),
        Pat::Ctor(Ctor::Str(value), _) => format!("{value:?}"),
        Pat::Ctor(Ctor::Char(value), _) => format!("{value:?}"),
    }
}

struct Space<'t> {
    table: &'t TypeTable,
}

/// Stands for a type that is not known (in ill-typed code).
fn unknown() -> Type {
    Type::Var(u32::MAX)
}

impl Space<'_> {
    fn lower(&self, pattern: &Pattern) -> Pat {
        match &pattern.kind {
            PatternKind::Wildcard | PatternKind::Variable(_) | PatternKind::Error => Pat::Wild,
            PatternKind::Int(value) => Pat::Ctor(Ctor::Int(*value), vec![]),
            PatternKind::Float(value) => Pat::Ctor(Ctor::Float(value.to_bits()), vec![]),
            PatternKind::String(value) => Pat::Ctor(Ctor::Str(value.clone()), vec![]),
            PatternKind::Char(value) => Pat::Ctor(Ctor::Char(*value), vec![]),
            PatternKind::Bool(value) => Pat::Ctor(Ctor::Bool(*value), vec![]),
            PatternKind::Unit => Pat::Ctor(Ctor::Unit, vec![]),
            PatternKind::Constructor { name, arguments } => {
                let Some(info) = self.table.constructor(&name.text) else { return Pat::Wild };
                let mut args: Vec<Pat> = arguments.iter().map(|arg| self.lower(arg)).collect();
                args.resize(info.payload.len(), Pat::Wild);
                Pat::Ctor(Ctor::Variant(name.text.clone()), args)
            }
            PatternKind::List { items, rest } => {
                let tail = if rest.is_some() { Pat::Wild } else { Pat::Ctor(Ctor::Nil, vec![]) };
                items.iter().rev().fold(tail, |tail, item| Pat::Ctor(Ctor::Cons, vec![self.lower(item), tail]))
            }
        }
    }

    fn arity(&self, ctor: &Ctor) -> usize {
        match ctor {
            Ctor::Cons => 2,
            Ctor::Variant(name) => self.table.constructor(name).map_or(0, |info| info.payload.len()),
            _ => 0,
        }
    }

    /// The types of a constructor's fields, when the column has type `ty`.
    fn argument_types(&self, ty: &Type, ctor: &Ctor) -> Vec<Type> {
        let arity = self.arity(ctor);
        let found = match (ty, ctor) {
            (Type::Con(name, args), Ctor::Cons) if name == "List" => {
                args.first().map(|element| vec![element.clone(), ty.clone()])
            }
            (_, Ctor::Variant(case)) => self
                .table
                .variant_cases(ty)
                .and_then(|cases| cases.into_iter().find(|(name, _)| name == case).map(|(_, payload)| payload)),
            _ => None,
        };
        let mut types = found.unwrap_or_default();
        types.resize(arity, unknown());
        types
    }

    /// Every constructor of a type, when there are finitely many.
    fn signature(&self, ty: &Type) -> Option<Vec<Ctor>> {
        match ty {
            Type::Con(name, _) if name == "Bool" => Some(vec![Ctor::Bool(true), Ctor::Bool(false)]),
            Type::Con(name, _) if name == "Unit" => Some(vec![Ctor::Unit]),
            Type::Con(name, _) if name == "List" => Some(vec![Ctor::Nil, Ctor::Cons]),
            _ => self
                .table
                .variant_cases(ty)
                .map(|cases| cases.into_iter().map(|(name, _)| Ctor::Variant(name)).collect()),
        }
    }

    fn specialize(&self, rows: &[Vec<Pat>], ctor: &Ctor, arity: usize) -> Vec<Vec<Pat>> {
        rows.iter()
            .filter_map(|row| match &row[0] {
                Pat::Wild => Some(std::iter::repeat_n(Pat::Wild, arity).chain(row[1..].iter().cloned()).collect()),
                Pat::Ctor(head, args) if head == ctor => {
                    Some(args.iter().cloned().chain(row[1..].iter().cloned()).collect())
                }
                Pat::Ctor(..) => None,
            })
            .collect()
    }

    /// A witness (values the rows miss but `vector` matches), if there is one.
    fn useful(&self, rows: &[Vec<Pat>], vector: &[Pat], types: &[Type]) -> Option<Vec<Pat>> {
        crate::stack::grow(64 * 1024, 1024 * 1024, || self.useful_inner(rows, vector, types))
    }

    fn useful_inner(&self, rows: &[Vec<Pat>], vector: &[Pat], types: &[Type]) -> Option<Vec<Pat>> {
        let Some(head) = vector.first() else {
            return rows.is_empty().then(Vec::new);
        };
        let ty = types.first().cloned().unwrap_or_else(unknown);
        let rest_types = types.get(1..).unwrap_or(&[]);
        match head {
            Pat::Ctor(ctor, args) => self.useful_ctor(rows, ctor, args, &vector[1..], &ty, rest_types),
            Pat::Wild => {
                let used: Vec<&Ctor> = rows
                    .iter()
                    .filter_map(|row| match &row[0] {
                        Pat::Ctor(ctor, _) => Some(ctor),
                        Pat::Wild => None,
                    })
                    .collect();
                let signature = self.signature(&ty);
                if let Some(all) = &signature
                    && !all.is_empty()
                    && all.iter().all(|ctor| used.contains(&ctor))
                {
                    return all.iter().find_map(|ctor| {
                        let args = vec![Pat::Wild; self.arity(ctor)];
                        self.useful_ctor(rows, ctor, &args, &vector[1..], &ty, rest_types)
                    });
                }
                let default: Vec<Vec<Pat>> =
                    rows.iter().filter(|row| matches!(row[0], Pat::Wild)).map(|row| row[1..].to_vec()).collect();
                let witness = self.useful(&default, &vector[1..], rest_types)?;
                let missing = signature
                    .and_then(|all| all.into_iter().find(|ctor| !used.contains(&ctor)))
                    .map(|ctor| {
                        let arity = self.arity(&ctor);
                        Pat::Ctor(ctor, vec![Pat::Wild; arity])
                    })
                    .unwrap_or(Pat::Wild);
                Some(std::iter::once(missing).chain(witness).collect())
            }
        }
    }

    fn useful_ctor(
        &self,
        rows: &[Vec<Pat>],
        ctor: &Ctor,
        args: &[Pat],
        rest: &[Pat],
        ty: &Type,
        rest_types: &[Type],
    ) -> Option<Vec<Pat>> {
        let arity = self.arity(ctor);
        let mut args = args.to_vec();
        args.resize(arity, Pat::Wild);
        let specialized = self.specialize(rows, ctor, arity);
        let vector: Vec<Pat> = args.into_iter().chain(rest.iter().cloned()).collect();
        let types: Vec<Type> = self.argument_types(ty, ctor).into_iter().chain(rest_types.iter().cloned()).collect();
        let witness = self.useful(&specialized, &vector, &types)?;
        let (fields, remaining) = witness.split_at(arity.min(witness.len()));
        Some(std::iter::once(Pat::Ctor(ctor.clone(), fields.to_vec())).chain(remaining.iter().cloned()).collect())
    }
}
