//! The checker's driver: declarations (`declarations.rs`), then top-level
//! functions in dependency order (`order.rs`), then entry points.
//!
//! Inference is Hindley–Milner: unification over [`Type`] with a level-based
//! generalisation (`unify.rs`), expressions in `expression.rs`, records in
//! `record.rs`, patterns in `pattern.rs`. Top-level functions without full annotations are inferred in dependency
//! order, one strongly connected component at a time, so that mutually
//! recursive functions are monomorphic within their group and polymorphic
//! outside it. Fully annotated functions are checked against their signature,
//! with the signature's type variables held rigid.

use super::early_return::PendingTry;
use super::error::TypeError;
use super::exhaustive::{self, PendingMatch};
use super::order::components;
use super::resolution::{Resolution, Resolutions};
use super::shared::{Interner, MAX_TYPE_SIZE, Sizes};
use super::statement::Discarded;
use super::table::{TypeTable, params_type_name};
use super::ty::{Scheme, Type, TypePrinter};
use super::unify::VarState;
use crate::syntax::ast::*;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The result of checking a module.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Declared types, the prelude's included.
    pub table: TypeTable,
    /// The type of every expression, by [`ExprId`]. Unsolved variables remain
    /// where the code is polymorphic or broken.
    pub expr_types: Vec<Type>,
    /// The type of every top-level function.
    pub functions: BTreeMap<String, Scheme>,
    pub errors: Vec<TypeError>,
    /// What each name stands for, by [`ExprId`].
    pub resolutions: Resolutions,
}

impl Checked {
    pub fn type_of(&self, id: ExprId) -> &Type {
        &self.expr_types[id.index()]
    }

    /// What the name at `id` stands for; `None` for other expressions and
    /// for names that resolve to nothing (code with errors).
    pub fn resolution(&self, id: ExprId) -> Option<&Resolution> {
        self.resolutions.get(id)
    }
}

/// A name bound in the current scope.
pub(super) struct Local {
    pub(super) name: String,
    pub(super) scheme: Scheme,
    /// Where it is bound; `None` for a handler's implicit `request`.
    pub(super) binder: Option<Span>,
}

/// What `?` returns from: a function or lambda with its result type, or a handler.
#[derive(Debug, Clone)]
pub(super) enum ReturnContext {
    Handler,
    Value(Type),
}

pub(super) struct Checker<'m> {
    pub(super) module: &'m Module,
    /// The module's source text, for hints that quote it.
    pub(super) source: &'m str,
    pub(super) table: TypeTable,
    pub(super) vars: Vec<VarState>,
    pub(super) level: u32,
    pub(super) expr_types: Vec<Option<Type>>,
    pub(super) errors: Vec<TypeError>,
    pub(super) globals: HashMap<String, Scheme>,
    /// The top-level item each global name stands for.
    pub(super) global_items: HashMap<String, Resolution>,
    pub(super) locals: Vec<Local>,
    pub(super) resolutions: Resolutions,
    pub(super) returns: Vec<ReturnContext>,
    pub(super) matches: Vec<PendingMatch>,
    pub(super) decode_sites: Vec<(Span, Type)>,
    pub(super) discarded: Vec<Discarded>,
    pub(super) pending_tries: Vec<PendingTry>,
    /// The shared parts of the types built (see `shared.rs`).
    pub(super) interner: Interner,
}

/// Checks a module parsed from `source`. Always returns types for every
/// expression; errors are in [`Checked::errors`].
pub fn check(module: &Module, source: &str) -> Checked {
    let mut checker = Checker {
        module,
        source,
        table: TypeTable::prelude(),
        vars: Vec::new(),
        level: 0,
        expr_types: vec![None; module.expr_count as usize],
        errors: Vec::new(),
        globals: HashMap::new(),
        global_items: HashMap::new(),
        locals: Vec::new(),
        resolutions: Resolutions::new(module.expr_count),
        returns: Vec::new(),
        matches: Vec::new(),
        decode_sites: Vec::new(),
        discarded: Vec::new(),
        pending_tries: Vec::new(),
        interner: Interner::default(),
    };
    checker.declare_types();
    checker.declare_globals();
    let functions = checker.check_functions();
    checker.check_entry_points();
    checker.finish(functions)
}

impl<'m> Checker<'m> {
    // ---- functions ----------------------------------------------------------

    fn check_functions(&mut self) -> BTreeMap<String, Scheme> {
        let functions: Vec<&'m FunctionDecl> = self
            .module
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ItemKind::Function(decl) => Some(decl),
                _ => None,
            })
            .collect();
        let is_annotated =
            |decl: &FunctionDecl| decl.return_type.is_some() && decl.parameters.iter().all(|param| param.ty.is_some());
        let mut schemes = BTreeMap::new();
        // Annotated functions: the signature is the scheme.
        let mut annotated = Vec::new();
        for decl in functions.iter().copied().filter(|decl| is_annotated(decl)) {
            self.level += 1;
            let mut variables = Vec::new();
            let ty = self.signature_type(decl, &mut variables);
            self.level -= 1;
            let scheme = self.generalize(&ty);
            self.globals.insert(decl.name.text.clone(), scheme.clone());
            schemes.insert(decl.name.text.clone(), scheme);
            annotated.push(decl);
        }
        // The others: by strongly connected component, dependencies first.
        let inferred: Vec<&FunctionDecl> = functions.iter().copied().filter(|decl| !is_annotated(decl)).collect();
        for component in components(&inferred) {
            self.level += 1;
            let mut types = Vec::new();
            for &index in &component {
                let decl = inferred[index];
                let ty = self.signature_type(decl, &mut Vec::new());
                self.globals.insert(decl.name.text.clone(), Scheme::mono(ty.clone()));
                types.push(ty);
            }
            for (&index, ty) in component.iter().zip(&types) {
                self.check_function_body(inferred[index], ty);
            }
            self.level -= 1;
            for (&index, ty) in component.iter().zip(&types) {
                let scheme = self.generalize(ty);
                self.globals.insert(inferred[index].name.text.clone(), scheme.clone());
                schemes.insert(inferred[index].name.text.clone(), scheme);
            }
        }
        // Annotated bodies, with the signature's variables rigid: each stands
        // for a type the body knows nothing about, written by its own name.
        for decl in annotated {
            self.level += 1;
            let mut variables = Vec::new();
            let ty = self.signature_type(decl, &mut variables);
            for (name, var) in &variables {
                let _ = self.unify(var, &Type::con(name));
            }
            self.check_function_body(decl, &ty);
            self.level -= 1;
        }
        schemes
    }

    /// The function's type from its annotations, with fresh variables where none is written.
    fn signature_type(&mut self, decl: &FunctionDecl, variables: &mut Vec<(String, Type)>) -> Type {
        let params = decl
            .parameters
            .iter()
            .map(|param| match &param.ty {
                Some(ty) => self.type_from_expr(ty, variables, true),
                None => self.fresh(),
            })
            .collect();
        let result = match &decl.return_type {
            Some(ty) => self.type_from_expr(ty, variables, true),
            None => self.fresh(),
        };
        Type::function(params, result)
    }

    fn check_function_body(&mut self, decl: &FunctionDecl, ty: &Type) {
        let Type::Fn(params, result) = ty else { return };
        let mut seen = HashSet::new();
        for (param, param_ty) in decl.parameters.iter().zip(params.iter()) {
            if !seen.insert(&param.name.text) {
                self.errors.push(TypeError::Duplicate {
                    span: param.name.span,
                    name: param.name.text.clone(),
                    previous: decl.name.span,
                });
            }
            self.bind_local(&param.name.text, Scheme::mono(param_ty.clone()), Some(param.name.span));
        }
        self.returns.push(ReturnContext::Value((**result).clone()));
        let body = self.infer(&decl.body);
        let context = decl.return_type.as_ref().map(|_| "of the declared return type");
        self.expect(result, &body, decl.body.span, context);
        self.pop_return();
        self.locals.clear();
    }

    fn check_entry_points(&mut self) {
        let module = self.module;
        for item in &module.items {
            self.level += 1;
            match &item.kind {
                ItemKind::Handler(decl) => {
                    let params = Type::con(&params_type_name(&decl.route.text));
                    self.bind_local("request", Scheme::mono(Type::app("Request", vec![params])), None);
                    self.returns.push(ReturnContext::Handler);
                    let body = self.infer(&decl.body);
                    self.expect_data(&body, result_span(&decl.body), "a handler's result is sent as the response");
                }
                ItemKind::Worker(decl) => {
                    if let Some(Type::Con(_, args)) = self.globals.get(&decl.name.text).map(|s| s.ty.clone())
                        && let (Some(param), Some(event)) = (decl.parameters.first(), args.first())
                    {
                        self.bind_local(&param.name.text, Scheme::mono(event.clone()), Some(param.name.span));
                    }
                    let result = self.fresh();
                    self.returns.push(ReturnContext::Value(result.clone()));
                    let body = self.infer(&decl.body);
                    self.expect(&result, &body, decl.body.span, None);
                    self.expect_data(&result, result_span(&decl.body), "a worker's result is kept in its trace");
                }
                ItemKind::Cron(decl) => {
                    let result = self.fresh();
                    self.returns.push(ReturnContext::Value(result.clone()));
                    let body = self.infer(&decl.body);
                    self.expect(&result, &body, decl.body.span, None);
                    self.expect_data(&result, result_span(&decl.body), "a cron's result is kept in its trace");
                }
                _ => {
                    self.level -= 1;
                    continue;
                }
            }
            self.pop_return();
            self.locals.clear();
            self.level -= 1;
        }
    }

    fn finish(mut self, functions: BTreeMap<String, Scheme>) -> Checked {
        for pending in std::mem::take(&mut self.matches) {
            // The type of a value with an error is unknown: any arm may fit.
            if self.contains_poison(&pending.scrutinee) {
                continue;
            }
            let scrutinee = self.zonk(&pending.scrutinee);
            let problems = exhaustive::check(&self.table, &scrutinee, &pending);
            self.errors.extend(problems);
        }
        for (span, ty) in std::mem::take(&mut self.decode_sites) {
            if self.contains_poison(&ty) {
                continue;
            }
            let ty = self.zonk(&ty);
            if !ty.is_fully_known() {
                self.errors.push(TypeError::UnknownDecodeTarget { span, ty: TypePrinter::default().print(&ty) });
            }
        }
        // One zonk for all: the expressions of a declaration share their types' parts.
        let expr_types: Vec<Type> = {
            let mut zonker = self.zonker();
            self.expr_types
                .iter()
                .map(|ty| match ty {
                    Some(ty) => zonker.ty(ty),
                    None => Type::unit(),
                })
                .collect()
        };
        self.report_too_complex(&expr_types, &functions);
        self.discarded_value_warnings();
        self.errors.sort_by_key(|error| (error.span().start, error.span().end));
        self.errors.dedup();
        Checked { table: self.table, expr_types, functions, errors: self.errors, resolutions: self.resolutions }
    }
}

impl Checker<'_> {
    /// A `too-complex` error for each declaration with a type past
    /// [`MAX_TYPE_SIZE`] nodes as a tree: at the expression with one that ends
    /// first (where the type outgrew the limit), or else at the function's name.
    fn report_too_complex(&mut self, expr_types: &[Type], functions: &BTreeMap<String, Scheme>) {
        let mut sizes = Sizes::default();
        for item in &self.module.items {
            let (body, function) = match &item.kind {
                ItemKind::Function(decl) => (&decl.body, Some(&decl.name)),
                ItemKind::Handler(decl) => (&decl.body, None),
                ItemKind::Worker(decl) => (&decl.body, None),
                ItemKind::Cron(decl) => (&decl.body, None),
                ItemKind::Type(_) | ItemKind::Datastore(_) => continue,
            };
            let mut first: Option<Span> = None;
            for_each_expression(body, &mut |expr| {
                let earlier = first.is_none_or(|span| (expr.span.end, span.start) < (span.end, expr.span.start));
                if earlier && sizes.of(&expr_types[expr.id.index()]) > MAX_TYPE_SIZE {
                    first = Some(expr.span);
                }
            });
            let function_too_large = function
                .and_then(|name| functions.get(&name.text))
                .is_some_and(|scheme| sizes.of(&scheme.ty) > MAX_TYPE_SIZE);
            if let Some(span) = first.or_else(|| function.filter(|_| function_too_large).map(|name| name.span)) {
                self.errors.push(TypeError::TooComplex { span, limit: MAX_TYPE_SIZE });
            }
        }
    }
}

/// Where a body's value comes from: its last statement, after any `let`s.
fn result_span(body: &Expr) -> Span {
    match &body.kind {
        ExprKind::Let { body, .. } => result_span(body),
        ExprKind::Sequence(items) => items.last().map_or(body.span, result_span),
        _ => body.span,
    }
}

fn for_each_expression<'e>(expr: &'e Expr, visit: &mut impl FnMut(&'e Expr)) {
    visit(expr);
    expr.for_each_child(|child| for_each_expression(child, visit));
}
