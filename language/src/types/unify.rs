//! Inference variables, unification and generalisation.
//!
//! A variable carries a [`Constraint`] and a level; a variable created deeper
//! than the current `let` is generalised when the `let` ends. `Data` differs
//! from the other constraints: it holds for everything inside a type, so
//! binding a `Data` variable passes the constraint to the variables within
//! the type, and a function, datastore or worker anywhere inside is an error.
//! `Public` (no `Secret` inside: what may be shown or compared) is deep the
//! same way, with the same walk.
//! A *poisoned* variable stands for the type of an expression already
//! reported as wrong: it unifies with anything and is never bound, so one
//! mistake gives one error. Types nest as deep as the code that makes them
//! (a thousand nested lambdas), so every walk over a type grows the stack;
//! and they are graphs whose trees can be exponential, so every walk meets
//! each shared part once (`shared.rs`): unification remembers the pairs it
//! has unified, the other walks the parts they have seen.

use super::check::Checker;
use super::error::{NotDataKind, SecretUse, TypeError};
use super::shared::{Leaf, Rebuild, Seen, address};
use super::table::TypeDefKind;
use super::ty::{Constraint, Scheme, Type, TypePrinter, Types};
use crate::syntax::ast::Span;
use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub(super) struct VarState {
    binding: Option<Type>,
    level: u32,
    constraint: Constraint,
    poisoned: bool,
}

pub(super) enum UnifyError {
    Mismatch,
    Occurs(u32, Type),
    Constraint(Constraint, Type),
    NotData(Box<DataViolation>),
}

/// The part of a type that keeps it from being data (or public).
pub(super) struct DataViolation {
    /// What was required.
    deep: Deep,
    /// The type that was required to be data.
    whole: Type,
    /// The part, when it is not the whole type.
    part: Option<Type>,
    kind: NotDataKind,
    /// Where the part sits when it comes from a declaration: "field `run` of `Job`".
    via: Option<String>,
}

/// A part that is not data: the part (`None`: the whole type), what it
/// is, where it is declared.
type Violation = (Option<Type>, NotDataKind, Option<String>);

/// The pairs of shared parts one unification has met: unified already, or
/// being unified.
#[derive(Default)]
struct Unified {
    pairs: HashSet<(usize, usize)>,
    held: Seen,
}

impl Unified {
    /// Whether the pair is met for the first time.
    fn first<T: Any + Send + Sync>(&mut self, a: &Arc<T>, b: &Arc<T>) -> bool {
        let first = self.pairs.insert((address(a), address(b)));
        if first {
            self.held.first(a);
            self.held.first(b);
        }
        first
    }
}

/// A constraint that holds for every type inside a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Deep {
    Data,
    Public,
}

impl Deep {
    fn constraint(self) -> Constraint {
        match self {
            Deep::Data => Constraint::Data,
            Deep::Public => Constraint::Public,
        }
    }

    fn of(constraint: Constraint) -> Option<Deep> {
        if constraint.requires_data() {
            Some(Deep::Data)
        } else if constraint.requires_public() {
            Some(Deep::Public)
        } else {
            None
        }
    }
}

/// Type names the language gives no JSON form (`Data`), or that may not be
/// shown (`Public`). A rigid type variable is not refused where `Public` is
/// required: the engines show a Secret as `<secret>` and compare it in
/// constant time, so generic code cannot leak one.
fn violation_kind(deep: Deep, name: &str) -> Option<NotDataKind> {
    match name {
        "Secret" => Some(NotDataKind::Secret),
        _ if deep == Deep::Public => None,
        "Datastore" => Some(NotDataKind::Datastore),
        "Worker" => Some(NotDataKind::Worker),
        // A rigid type variable of an annotated function (see `check_functions`).
        _ if name.starts_with(|c: char| c.is_lowercase()) => Some(NotDataKind::TypeVariable),
        _ => None,
    }
}

/// What a walk requiring data has met: declared types expanded, shared parts.
struct DataWalk {
    deep: Deep,
    expanded: HashSet<String>,
    seen: Seen,
}

impl Checker<'_> {
    pub(super) fn fresh(&mut self) -> Type {
        self.fresh_constrained(Constraint::None)
    }

    pub(super) fn fresh_constrained(&mut self, constraint: Constraint) -> Type {
        self.vars.push(VarState { binding: None, level: self.level, constraint, poisoned: false });
        Type::Var(self.vars.len() as u32 - 1)
    }

    /// The type of an expression whose error is already reported: it agrees
    /// with every use, so the uses report nothing more.
    pub(super) fn poison(&mut self) -> Type {
        let ty = self.fresh();
        if let Type::Var(var) = ty {
            self.vars[var as usize].poisoned = true;
        }
        ty
    }

    pub(super) fn is_poisoned(&self, ty: &Type) -> bool {
        matches!(self.shallow(ty), Type::Var(var) if self.vars[var as usize].poisoned)
    }

    /// Whether a poisoned variable occurs anywhere in the type.
    pub(super) fn contains_poison(&self, ty: &Type) -> bool {
        self.contains_poison_in(ty, &mut Seen::default())
    }

    fn contains_poison_in(&self, ty: &Type, seen: &mut Seen) -> bool {
        crate::stack::grow(64 * 1024, 1024 * 1024, || match self.shallow(ty) {
            Type::Var(var) => self.vars[var as usize].poisoned,
            ty => seen.new_parts(&ty).into_iter().any(|part| self.contains_poison_in(part, seen)),
        })
    }

    /// Follows variable bindings at the top of a type.
    pub(super) fn shallow(&self, ty: &Type) -> Type {
        let mut ty = ty.clone();
        while let Type::Var(var) = ty {
            match &self.vars[var as usize].binding {
                Some(bound) => ty = bound.clone(),
                None => break,
            }
        }
        ty
    }

    /// Applies every binding, all the way down.
    pub(super) fn zonk(&self, ty: &Type) -> Type {
        self.zonker().ty(ty)
    }

    /// Applies bindings to types that share parts, each part once: valid
    /// while no variable is bound.
    pub(super) fn zonker(&self) -> Rebuild<'_, impl FnMut(&Type) -> Leaf + '_> {
        Rebuild::new(|leaf: &Type| match leaf {
            Type::Var(var) => self.vars[*var as usize].binding.clone().map_or(Leaf::Keep, Leaf::Follow),
            _ => Leaf::Keep,
        })
        .interning(&self.interner)
    }

    pub(super) fn unify(&mut self, a: &Type, b: &Type) -> Result<(), UnifyError> {
        self.unify_in(a, b, &mut Unified::default())
    }

    fn unify_in(&mut self, a: &Type, b: &Type, unified: &mut Unified) -> Result<(), UnifyError> {
        crate::stack::grow(64 * 1024, 1024 * 1024, || {
            let a = self.shallow(a);
            let b = self.shallow(b);
            if self.is_poisoned(&a) || self.is_poisoned(&b) {
                return Ok(());
            }
            match (&a, &b) {
                (Type::Var(x), Type::Var(y)) if x == y => Ok(()),
                (Type::Var(x), Type::Var(y)) => {
                    let (cx, cy) = (self.vars[*x as usize].constraint, self.vars[*y as usize].constraint);
                    let combined = match cx.meet(cy) {
                        Some(combined) => combined,
                        None if matches!(
                            (cx, cy),
                            (
                                Constraint::Comparable,
                                Constraint::Appendable | Constraint::AppendableData | Constraint::AppendablePublic
                            ) | (
                                Constraint::Appendable | Constraint::AppendableData | Constraint::AppendablePublic,
                                Constraint::Comparable
                            )
                        ) =>
                        {
                            self.bind(*y, Type::string())?;
                            return self.bind(*x, Type::string());
                        }
                        None => return Err(UnifyError::Constraint(cx, b.clone())),
                    };
                    let level = self.vars[*x as usize].level.min(self.vars[*y as usize].level);
                    self.vars[*y as usize].constraint = combined;
                    self.vars[*y as usize].level = level;
                    self.vars[*x as usize].binding = Some(b.clone());
                    Ok(())
                }
                (Type::Var(x), other) | (other, Type::Var(x)) => self.bind(*x, other.clone()),
                (Type::Con(n1, a1), Type::Con(n2, a2)) if n1 == n2 && a1.len() == a2.len() => {
                    self.unify_parts(a1, a2, unified)
                }
                (Type::Fn(p1, r1), Type::Fn(p2, r2)) if p1.len() == p2.len() => {
                    self.unify_parts(p1, p2, unified)?;
                    if unified.first(r1, r2) { self.unify_in(r1, r2, unified) } else { Ok(()) }
                }
                _ => Err(UnifyError::Mismatch),
            }
        })
    }

    /// Unifies arguments or parameters pairwise, unless this pair of shared
    /// parts is unified already (or being unified: the outcome is the same).
    fn unify_parts(&mut self, a: &Types, b: &Types, unified: &mut Unified) -> Result<(), UnifyError> {
        if !unified.first(a, b) {
            return Ok(());
        }
        a.iter().zip(b.iter()).try_for_each(|(x, y)| self.unify_in(x, y, unified))
    }

    fn bind(&mut self, var: u32, ty: Type) -> Result<(), UnifyError> {
        if let Type::Var(other) = self.shallow(&ty)
            && other == var
        {
            return Ok(());
        }
        let constraint = self.vars[var as usize].constraint;
        if !matches!(constraint, Constraint::None | Constraint::Data | Constraint::Public) {
            let admitted = match self.shallow(&ty) {
                Type::Con(name, _) => constraint.admits(&name),
                _ => false,
            };
            if !admitted {
                return Err(UnifyError::Constraint(constraint, ty));
            }
        }
        if let Some(deep) = Deep::of(constraint)
            && let Err(violation) = self.require_deep(&ty, deep)
        {
            // Reported once, here: the variable's other uses agree with anything.
            self.vars[var as usize].poisoned = true;
            return Err(UnifyError::NotData(violation));
        }
        let level = self.vars[var as usize].level;
        if self.occurs_and_adjust(var, level, &ty, &mut Seen::default()) {
            return Err(UnifyError::Occurs(var, ty));
        }
        self.vars[var as usize].binding = Some(ty);
        Ok(())
    }

    /// Requires the type to be data (or public): its variables get the
    /// constraint; a function, datastore, worker, Secret or rigid type
    /// variable inside is an error (only a Secret for `Public`).
    fn require_deep(&mut self, ty: &Type, deep: Deep) -> Result<(), Box<DataViolation>> {
        let mut walk = DataWalk { deep, expanded: HashSet::new(), seen: Seen::default() };
        self.require_data_in(ty, &mut walk, true)
            .map_err(|(part, kind, via)| Box::new(DataViolation { deep, whole: self.zonk(ty), part, kind, via }))
    }

    fn require_data_in(&mut self, ty: &Type, walk: &mut DataWalk, whole: bool) -> Result<(), Violation> {
        crate::stack::grow(64 * 1024, 1024 * 1024, || {
            let resolved = self.shallow(ty);
            let kind = match &resolved {
                Type::Var(var) => {
                    let state = &mut self.vars[*var as usize];
                    if !state.poisoned {
                        let deep = walk.deep.constraint();
                        state.constraint = state.constraint.meet(deep).unwrap_or(state.constraint);
                    }
                    return Ok(());
                }
                Type::Generic(_) => return Ok(()),
                // A function shows as `<lambda>`: what it captured stays inside.
                Type::Fn(..) if walk.deep == Deep::Public => return Ok(()),
                Type::Fn(..) => NotDataKind::Function,
                Type::Con(name, _) => match violation_kind(walk.deep, name) {
                    Some(kind) => kind,
                    None => {
                        for arg in walk.seen.new_parts(&resolved) {
                            self.require_data_in(arg, walk, false)?;
                        }
                        return match self.declared_violation(name, walk) {
                            Some((part, kind, via)) => Err((Some(part), kind, via)),
                            None => Ok(()),
                        };
                    }
                },
            };
            Err(((!whole).then(|| self.zonk(&resolved)), kind, None))
        })
    }

    /// What keeps a declared type from being data whatever its arguments
    /// (a field or payload that is a function), if anything. Its parameters
    /// are checked where it is used, with the type arguments.
    fn declared_violation(&self, name: &str, walk: &mut DataWalk) -> Option<(Type, NotDataKind, Option<String>)> {
        if !walk.expanded.insert(name.to_string()) {
            return None;
        }
        let def = self.table.get(name)?;
        let parts: Vec<(String, &Type)> = match &def.kind {
            TypeDefKind::Record(fields) => {
                fields.iter().map(|(field, ty)| (format!("field `{field}` of `{name}`"), ty)).collect()
            }
            TypeDefKind::Variant(cases) => cases
                .iter()
                .flat_map(|(case, payload)| payload.iter().map(move |ty| (format!("the payload of `{case}`"), ty)))
                .collect(),
            TypeDefKind::Opaque => Vec::new(),
        };
        parts
            .into_iter()
            .find_map(|(via, ty)| self.written_violation(ty, walk).map(|(part, kind)| (part, kind, Some(via))))
    }

    /// A function, datastore or worker in a type as declared (`Generic`s
    /// stand for the declaration's parameters, which are fine here).
    fn written_violation(&self, ty: &Type, walk: &mut DataWalk) -> Option<(Type, NotDataKind)> {
        match ty {
            Type::Fn(..) if walk.deep == Deep::Public => None,
            Type::Fn(..) => Some((ty.clone(), NotDataKind::Function)),
            Type::Con(name, args) => {
                if let Some(kind) = violation_kind(walk.deep, name) {
                    return Some((ty.clone(), kind));
                }
                args.iter()
                    .find_map(|arg| self.written_violation(arg, walk))
                    .or_else(|| self.declared_violation(name, walk).map(|(part, kind, _)| (part, kind)))
            }
            Type::Var(_) | Type::Generic(_) => None,
        }
    }

    /// Whether `var` occurs in `ty`; lowers the level of `ty`'s variables to `level`.
    fn occurs_and_adjust(&mut self, var: u32, level: u32, ty: &Type, seen: &mut Seen) -> bool {
        crate::stack::grow(64 * 1024, 1024 * 1024, || match self.shallow(ty) {
            Type::Var(other) => {
                if other == var {
                    return true;
                }
                let state = &mut self.vars[other as usize];
                state.level = state.level.min(level);
                false
            }
            ty => seen.new_parts(&ty).into_iter().any(|part| self.occurs_and_adjust(var, level, part, seen)),
        })
    }

    /// Unifies and reports a mismatch at `span`, in terms of what was expected
    /// there. Returns whether the types agreed.
    pub(super) fn expect(&mut self, expected: &Type, found: &Type, span: Span, context: Option<&str>) -> bool {
        let Err(error) = self.unify(expected, found) else { return true };
        let mut printer = TypePrinter::default();
        let error = match error {
            UnifyError::Mismatch => TypeError::Mismatch {
                span,
                expected: printer.print(&self.zonk(expected)),
                found: printer.print(&self.zonk(found)),
                context: context.map(str::to_string),
            },
            UnifyError::Occurs(var, ty) => TypeError::InfiniteType {
                span,
                variable: printer.print(&Type::Var(var)),
                ty: printer.print(&self.zonk(&ty)),
            },
            UnifyError::Constraint(constraint, ty) => {
                TypeError::Constraint { span, constraint: constraint.describe(), found: printer.print(&self.zonk(&ty)) }
            }
            UnifyError::NotData(violation) if violation.deep == Deep::Public => {
                Self::secret_error(&mut printer, *violation, span, SecretUse::ShownOrCompared)
            }
            UnifyError::NotData(violation) => Self::not_data_error(&mut printer, *violation, span, None),
        };
        self.errors.push(error);
        false
    }

    /// Requires a value's type to be data, reporting at `span` why not; `why`
    /// says what happens to the value.
    pub(super) fn expect_data(&mut self, ty: &Type, span: Span, why: &'static str) {
        if let Err(violation) = self.require_deep(ty, Deep::Data) {
            let error = Self::not_data_error(&mut TypePrinter::default(), *violation, span, Some(why));
            self.errors.push(error);
        }
    }

    /// Requires a value's type to hold no Secret, as it is shown or compared.
    pub(super) fn expect_public(&mut self, ty: &Type, span: Span, how: SecretUse) {
        if let Err(violation) = self.require_deep(ty, Deep::Public) {
            let error = Self::secret_error(&mut TypePrinter::default(), *violation, span, how);
            self.errors.push(error);
        }
    }

    fn secret_error(printer: &mut TypePrinter, violation: DataViolation, span: Span, how: SecretUse) -> TypeError {
        TypeError::SecretShown {
            span,
            ty: printer.print(&violation.whole),
            part: violation.part.map(|part| printer.print(&part)),
            via: violation.via,
            how,
        }
    }

    fn not_data_error(
        printer: &mut TypePrinter,
        violation: DataViolation,
        span: Span,
        why: Option<&'static str>,
    ) -> TypeError {
        TypeError::NotData {
            span,
            ty: printer.print(&violation.whole),
            part: violation.part.map(|part| printer.print(&part)),
            via: violation.via,
            kind: violation.kind,
            why,
        }
    }

    pub(super) fn print(&self, ty: &Type) -> String {
        TypePrinter::default().print(&self.zonk(ty))
    }

    pub(super) fn generalize(&mut self, ty: &Type) -> Scheme {
        let ty = self.zonk(ty);
        let mut generics: Vec<(u32, Constraint)> = Vec::new();
        self.collect_generalizable(&ty, &mut generics, &mut Seen::default());
        let index: HashMap<u32, u32> = generics.iter().enumerate().map(|(i, (var, _))| (*var, i as u32)).collect();
        let ty = Rebuild::new(|leaf: &Type| match leaf {
            Type::Var(var) => index.get(var).map_or(Leaf::Keep, |i| Leaf::Replace(Type::Generic(*i))),
            _ => Leaf::Keep,
        })
        .interning(&self.interner)
        .ty(&ty);
        Scheme { generics: generics.iter().map(|(_, constraint)| *constraint).collect(), ty }
    }

    fn collect_generalizable(&self, ty: &Type, out: &mut Vec<(u32, Constraint)>, seen: &mut Seen) {
        crate::stack::grow(64 * 1024, 1024 * 1024, || match ty {
            Type::Var(var) => {
                let state = &self.vars[*var as usize];
                // A poisoned variable stays one variable: every use agrees with it.
                if state.level > self.level && !state.poisoned && !out.iter().any(|(v, _)| v == var) {
                    out.push((*var, state.constraint));
                }
            }
            _ => seen.new_parts(ty).into_iter().for_each(|part| self.collect_generalizable(part, out, seen)),
        })
    }

    pub(super) fn instantiate(&mut self, scheme: &Scheme) -> Type {
        if scheme.generics.is_empty() {
            return scheme.ty.clone();
        }
        let fresh: Vec<Type> = scheme.generics.iter().map(|constraint| self.fresh_constrained(*constraint)).collect();
        scheme.ty.instantiate(&fresh)
    }
}
