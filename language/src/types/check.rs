//! The inference engine.
//!
//! Unification over [`Type`] with a level-based generalisation (a variable
//! created deeper than the current `let` is generalised when the `let` ends).
//! Top-level functions without full annotations are inferred in dependency
//! order, one strongly connected component at a time, so that mutually
//! recursive functions are monomorphic within their group and polymorphic
//! outside it. Fully annotated functions are checked against their signature,
//! with the signature's type variables held rigid.

use super::error::TypeError;
use super::exhaustive::{self, PendingMatch};
use super::similar_names;
use super::table::{TypeDef, TypeDefKind, TypeTable, params_type_name};
use super::ty::{Constraint, Scheme, Type, TypePrinter};
use crate::stdlib::Builtin;
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
}

impl Checked {
    pub fn type_of(&self, id: ExprId) -> &Type {
        &self.expr_types[id.index()]
    }
}

#[derive(Debug, Clone)]
struct VarState {
    binding: Option<Type>,
    level: u32,
    constraint: Constraint,
}

#[derive(Debug, Clone)]
enum ReturnContext {
    Handler,
    Value(Type),
}

enum UnifyError {
    Mismatch,
    Occurs(u32, Type),
    Constraint(Constraint, Type),
}

struct Checker<'m> {
    module: &'m Module,
    table: TypeTable,
    vars: Vec<VarState>,
    level: u32,
    expr_types: Vec<Option<Type>>,
    errors: Vec<TypeError>,
    globals: HashMap<String, Scheme>,
    locals: Vec<(String, Scheme)>,
    returns: Vec<ReturnContext>,
    matches: Vec<PendingMatch>,
    decode_sites: Vec<(Span, Type)>,
}

/// Checks a module. Always returns types for every expression; errors are in
/// [`Checked::errors`].
pub fn check(module: &Module) -> Checked {
    let mut checker = Checker {
        module,
        table: TypeTable::prelude(),
        vars: Vec::new(),
        level: 0,
        expr_types: vec![None; module.expr_count as usize],
        errors: Vec::new(),
        globals: HashMap::new(),
        locals: Vec::new(),
        returns: Vec::new(),
        matches: Vec::new(),
        decode_sites: Vec::new(),
    };
    checker.declare_types();
    checker.declare_globals();
    let functions = checker.check_functions();
    checker.check_entry_points();
    checker.finish(functions)
}

impl<'m> Checker<'m> {
    // ---- variables and unification -------------------------------------

    fn fresh(&mut self) -> Type {
        self.fresh_constrained(Constraint::None)
    }

    fn fresh_constrained(&mut self, constraint: Constraint) -> Type {
        self.vars.push(VarState { binding: None, level: self.level, constraint });
        Type::Var(self.vars.len() as u32 - 1)
    }

    /// Follows variable bindings at the top of a type.
    fn shallow(&self, ty: &Type) -> Type {
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
    fn zonk(&self, ty: &Type) -> Type {
        match self.shallow(ty) {
            Type::Con(name, args) => Type::Con(name, args.iter().map(|arg| self.zonk(arg)).collect()),
            Type::Fn(params, result) => {
                Type::Fn(params.iter().map(|param| self.zonk(param)).collect(), Box::new(self.zonk(&result)))
            }
            other => other,
        }
    }

    fn unify(&mut self, a: &Type, b: &Type) -> Result<(), UnifyError> {
        let a = self.shallow(a);
        let b = self.shallow(b);
        match (&a, &b) {
            (Type::Var(x), Type::Var(y)) if x == y => Ok(()),
            (Type::Var(x), Type::Var(y)) => {
                let (cx, cy) = (self.vars[*x as usize].constraint, self.vars[*y as usize].constraint);
                let combined = match (cx, cy) {
                    (Constraint::None, c) | (c, Constraint::None) => c,
                    (c, d) if c == d => c,
                    (Constraint::Number, Constraint::Comparable) | (Constraint::Comparable, Constraint::Number) => {
                        Constraint::Number
                    }
                    (Constraint::Comparable, Constraint::Appendable)
                    | (Constraint::Appendable, Constraint::Comparable) => {
                        self.bind(*y, Type::string())?;
                        return self.bind(*x, Type::string());
                    }
                    (c, _) => return Err(UnifyError::Constraint(c, b.clone())),
                };
                let level = self.vars[*x as usize].level.min(self.vars[*y as usize].level);
                self.vars[*y as usize].constraint = combined;
                self.vars[*y as usize].level = level;
                self.vars[*x as usize].binding = Some(b.clone());
                Ok(())
            }
            (Type::Var(x), other) | (other, Type::Var(x)) => self.bind(*x, other.clone()),
            (Type::Con(n1, a1), Type::Con(n2, a2)) if n1 == n2 && a1.len() == a2.len() => {
                for (x, y) in a1.iter().zip(a2) {
                    self.unify(x, y)?;
                }
                Ok(())
            }
            (Type::Fn(p1, r1), Type::Fn(p2, r2)) if p1.len() == p2.len() => {
                for (x, y) in p1.iter().zip(p2) {
                    self.unify(x, y)?;
                }
                self.unify(r1, r2)
            }
            _ => Err(UnifyError::Mismatch),
        }
    }

    fn bind(&mut self, var: u32, ty: Type) -> Result<(), UnifyError> {
        if let Type::Var(other) = self.shallow(&ty)
            && other == var
        {
            return Ok(());
        }
        let constraint = self.vars[var as usize].constraint;
        if constraint != Constraint::None {
            let admitted = match self.shallow(&ty) {
                Type::Con(name, _) => constraint.admits(&name),
                _ => false,
            };
            if !admitted {
                return Err(UnifyError::Constraint(constraint, ty));
            }
        }
        let level = self.vars[var as usize].level;
        if self.occurs_and_adjust(var, level, &ty) {
            return Err(UnifyError::Occurs(var, ty));
        }
        self.vars[var as usize].binding = Some(ty);
        Ok(())
    }

    /// Whether `var` occurs in `ty`; lowers the level of `ty`'s variables to `level`.
    fn occurs_and_adjust(&mut self, var: u32, level: u32, ty: &Type) -> bool {
        match self.shallow(ty) {
            Type::Var(other) => {
                if other == var {
                    return true;
                }
                let state = &mut self.vars[other as usize];
                state.level = state.level.min(level);
                false
            }
            Type::Con(_, args) => args.iter().any(|arg| self.occurs_and_adjust(var, level, arg)),
            Type::Fn(params, result) => {
                params.iter().any(|param| self.occurs_and_adjust(var, level, param))
                    || self.occurs_and_adjust(var, level, &result)
            }
            Type::Generic(_) => false,
        }
    }

    /// Unifies and reports a mismatch at `span`, in terms of what was expected there.
    fn expect(&mut self, expected: &Type, found: &Type, span: Span, context: Option<&str>) {
        if let Err(error) = self.unify(expected, found) {
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
                UnifyError::Constraint(constraint, ty) => TypeError::Constraint {
                    span,
                    constraint: constraint.describe(),
                    found: printer.print(&self.zonk(&ty)),
                },
            };
            self.errors.push(error);
        }
    }

    fn print(&self, ty: &Type) -> String {
        TypePrinter::default().print(&self.zonk(ty))
    }

    fn generalize(&mut self, ty: &Type) -> Scheme {
        let ty = self.zonk(ty);
        let mut generics: Vec<(u32, Constraint)> = Vec::new();
        self.collect_generalizable(&ty, &mut generics);
        let ty = self.replace_vars(&ty, &generics);
        Scheme { generics: generics.iter().map(|(_, constraint)| *constraint).collect(), ty }
    }

    fn collect_generalizable(&self, ty: &Type, out: &mut Vec<(u32, Constraint)>) {
        match ty {
            Type::Var(var) => {
                let state = &self.vars[*var as usize];
                if state.level > self.level && !out.iter().any(|(v, _)| v == var) {
                    out.push((*var, state.constraint));
                }
            }
            Type::Con(_, args) => args.iter().for_each(|arg| self.collect_generalizable(arg, out)),
            Type::Fn(params, result) => {
                params.iter().for_each(|param| self.collect_generalizable(param, out));
                self.collect_generalizable(result, out);
            }
            Type::Generic(_) => {}
        }
    }

    fn replace_vars(&self, ty: &Type, generics: &[(u32, Constraint)]) -> Type {
        match ty {
            Type::Var(var) => match generics.iter().position(|(v, _)| v == var) {
                Some(index) => Type::Generic(index as u32),
                None => ty.clone(),
            },
            Type::Con(name, args) => {
                Type::Con(name.clone(), args.iter().map(|arg| self.replace_vars(arg, generics)).collect())
            }
            Type::Fn(params, result) => Type::Fn(
                params.iter().map(|param| self.replace_vars(param, generics)).collect(),
                Box::new(self.replace_vars(result, generics)),
            ),
            Type::Generic(_) => ty.clone(),
        }
    }

    fn instantiate(&mut self, scheme: &Scheme) -> Type {
        let fresh: Vec<Type> = scheme.generics.iter().map(|constraint| self.fresh_constrained(*constraint)).collect();
        scheme.ty.instantiate(&fresh)
    }

    // ---- type expressions -------------------------------------------------

    /// Converts a written type. `variables` maps type variable names to types;
    /// with `allow_new`, unknown names get fresh variables, otherwise they are errors.
    fn type_from_expr(&mut self, texpr: &TypeExpr, variables: &mut Vec<(String, Type)>, allow_new: bool) -> Type {
        match &texpr.kind {
            TypeExprKind::Unit => Type::unit(),
            TypeExprKind::Error => self.fresh(),
            TypeExprKind::Variable(name) => {
                if let Some((_, ty)) = variables.iter().find(|(n, _)| *n == name.text) {
                    return ty.clone();
                }
                if allow_new {
                    let ty = self.fresh();
                    variables.push((name.text.clone(), ty.clone()));
                    ty
                } else {
                    self.errors.push(TypeError::UnknownTypeVariable { span: name.span, name: name.text.clone() });
                    self.fresh()
                }
            }
            TypeExprKind::Function { parameters, result } => Type::Fn(
                parameters.iter().map(|param| self.type_from_expr(param, variables, allow_new)).collect(),
                Box::new(self.type_from_expr(result, variables, allow_new)),
            ),
            TypeExprKind::Named { name, arguments } => {
                let args: Vec<Type> =
                    arguments.iter().map(|arg| self.type_from_expr(arg, variables, allow_new)).collect();
                let Some(def) = self.table.get(&name.text) else {
                    let similar = similar_names(&name.text, self.user_visible_types());
                    self.errors.push(TypeError::UnknownType { span: name.span, name: name.text.clone(), similar });
                    return self.fresh();
                };
                if def.parameters.len() != args.len() {
                    self.errors.push(TypeError::TypeArity {
                        span: texpr.span,
                        name: name.text.clone(),
                        expected: def.parameters.len(),
                        found: args.len(),
                    });
                    return self.fresh();
                }
                Type::Con(name.text.clone(), args)
            }
        }
    }

    fn user_visible_types(&self) -> impl Iterator<Item = &str> {
        self.table.defs.keys().map(String::as_str).filter(|name| !name.starts_with("Params("))
    }

    // ---- declarations -------------------------------------------------------

    fn declare_types(&mut self) {
        let decls: Vec<(&TypeDecl, Span)> = self
            .module
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ItemKind::Type(decl) => Some((decl, item.span)),
                _ => None,
            })
            .collect();
        // Names first, so declarations can refer to each other in any order.
        let mut declared = Vec::new();
        for (decl, _) in &decls {
            if let Some(previous) = self.table.get(&decl.name.text) {
                self.errors.push(TypeError::Duplicate {
                    span: decl.name.span,
                    name: decl.name.text.clone(),
                    previous: previous.span.unwrap_or_default(),
                });
                continue;
            }
            self.table.insert(TypeDef {
                name: decl.name.text.clone(),
                parameters: decl.parameters.iter().map(|p| p.text.clone()).collect(),
                kind: TypeDefKind::Opaque,
                span: Some(decl.name.span),
            });
            declared.push(*decl);
        }
        for decl in declared {
            let mut variables: Vec<(String, Type)> =
                decl.parameters.iter().enumerate().map(|(i, p)| (p.text.clone(), Type::Generic(i as u32))).collect();
            let kind = match &decl.body {
                TypeBody::Record(fields) => {
                    let mut seen = HashSet::new();
                    let mut converted = Vec::new();
                    for field in fields {
                        if !seen.insert(field.name.text.clone()) {
                            self.errors.push(TypeError::DuplicateField {
                                span: field.name.span,
                                field: field.name.text.clone(),
                            });
                            continue;
                        }
                        let ty = self.type_from_expr(&field.ty, &mut variables, false);
                        converted.push((field.name.text.clone(), ty));
                    }
                    TypeDefKind::Record(converted)
                }
                TypeBody::Variant(cases) => {
                    let mut converted = Vec::new();
                    for case in cases {
                        let clash =
                            self.table.constructor(&case.name.text).map(|info| info.type_name.clone()).or_else(|| {
                                converted
                                    .iter()
                                    .any(|(name, _): &(String, Vec<Type>)| *name == case.name.text)
                                    .then(|| decl.name.text.clone())
                            });
                        if let Some(other_type) = clash {
                            self.errors.push(TypeError::DuplicateConstructor {
                                span: case.name.span,
                                name: case.name.text.clone(),
                                other_type,
                            });
                            continue;
                        }
                        let payload =
                            case.payload.iter().map(|ty| self.type_from_expr(ty, &mut variables, false)).collect();
                        converted.push((case.name.text.clone(), payload));
                    }
                    TypeDefKind::Variant(converted)
                }
            };
            let def = TypeDef {
                name: decl.name.text.clone(),
                parameters: decl.parameters.iter().map(|p| p.text.clone()).collect(),
                kind,
                span: Some(decl.name.span),
            };
            self.table.insert(def);
        }
    }

    /// Registers datastores, workers and handler parameter types; reports duplicates.
    fn declare_globals(&mut self) {
        let mut seen: HashMap<String, Span> = HashMap::new();
        let mut routes: HashMap<String, Span> = HashMap::new();
        for item in &self.module.items {
            let (name, span) = match &item.kind {
                ItemKind::Function(decl) => (&decl.name.text, decl.name.span),
                ItemKind::Datastore(decl) => (&decl.name.text, decl.name.span),
                ItemKind::Worker(decl) => (&decl.name.text, decl.name.span),
                ItemKind::Cron(decl) => (&decl.name.text, decl.name.span),
                ItemKind::Handler(decl) => {
                    let key = format!("{} {}", decl.method, decl.route.text);
                    if let Some(previous) = routes.insert(key.clone(), decl.route.span) {
                        self.errors.push(TypeError::Duplicate { span: decl.route.span, name: key, previous });
                    }
                    self.declare_params_type(decl);
                    continue;
                }
                ItemKind::Type(_) => continue,
            };
            if let Some(previous) = seen.insert(name.clone(), span) {
                self.errors.push(TypeError::Duplicate { span, name: name.clone(), previous });
            }
        }
        for item in &self.module.items {
            match &item.kind {
                ItemKind::Datastore(decl) => {
                    let value = self.type_from_expr(&decl.ty, &mut Vec::new(), false);
                    self.globals.insert(decl.name.text.clone(), Scheme::mono(Type::app("Datastore", vec![value])));
                }
                ItemKind::Worker(decl) => {
                    let event = match decl.parameters.first().and_then(|p| p.ty.as_ref()) {
                        Some(ty) => self.type_from_expr(ty, &mut Vec::new(), false),
                        None => self.fresh(),
                    };
                    self.globals.insert(decl.name.text.clone(), Scheme::mono(Type::app("Worker", vec![event])));
                }
                ItemKind::Cron(decl) => {
                    if let Err(error) = crate::schedule::Schedule::parse(&decl.schedule.text) {
                        self.errors
                            .push(TypeError::InvalidSchedule { span: decl.schedule.span, reason: error.to_string() });
                    }
                }
                _ => {}
            }
        }
    }

    fn declare_params_type(&mut self, decl: &HandlerDecl) {
        let mut names: Vec<&str> = Vec::new();
        for name in decl.route_parameters() {
            if names.contains(&name) {
                self.errors.push(TypeError::DuplicateRouteParameter { span: decl.route.span, name: name.to_string() });
            } else {
                names.push(name);
            }
        }
        let fields = names.into_iter().map(|name| (name, Type::string())).collect();
        self.table.insert_record(&params_type_name(&decl.route.text), &[], fields);
    }

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
        Type::Fn(params, Box::new(result))
    }

    fn check_function_body(&mut self, decl: &FunctionDecl, ty: &Type) {
        let Type::Fn(params, result) = ty else { return };
        let mut seen = HashSet::new();
        for (param, param_ty) in decl.parameters.iter().zip(params) {
            if !seen.insert(&param.name.text) {
                self.errors.push(TypeError::Duplicate {
                    span: param.name.span,
                    name: param.name.text.clone(),
                    previous: decl.name.span,
                });
            }
            self.locals.push((param.name.text.clone(), Scheme::mono(param_ty.clone())));
        }
        self.returns.push(ReturnContext::Value((**result).clone()));
        let body = self.infer(&decl.body);
        let context = decl.return_type.as_ref().map(|_| "of the declared return type");
        self.expect(result, &body, decl.body.span, context);
        self.returns.pop();
        self.locals.clear();
    }

    fn check_entry_points(&mut self) {
        let module = self.module;
        for item in &module.items {
            self.level += 1;
            match &item.kind {
                ItemKind::Handler(decl) => {
                    let params = Type::con(&params_type_name(&decl.route.text));
                    self.locals.push(("request".to_string(), Scheme::mono(Type::app("Request", vec![params]))));
                    self.returns.push(ReturnContext::Handler);
                    self.infer(&decl.body);
                }
                ItemKind::Worker(decl) => {
                    if let Some(Type::Con(_, args)) = self.globals.get(&decl.name.text).map(|s| s.ty.clone())
                        && let (Some(param), Some(event)) = (decl.parameters.first(), args.first())
                    {
                        self.locals.push((param.name.text.clone(), Scheme::mono(event.clone())));
                    }
                    let result = self.fresh();
                    self.returns.push(ReturnContext::Value(result.clone()));
                    let body = self.infer(&decl.body);
                    self.expect(&result, &body, decl.body.span, None);
                }
                ItemKind::Cron(decl) => {
                    let result = self.fresh();
                    self.returns.push(ReturnContext::Value(result.clone()));
                    let body = self.infer(&decl.body);
                    self.expect(&result, &body, decl.body.span, None);
                }
                _ => {
                    self.level -= 1;
                    continue;
                }
            }
            self.returns.pop();
            self.locals.clear();
            self.level -= 1;
        }
    }

    fn finish(mut self, functions: BTreeMap<String, Scheme>) -> Checked {
        for pending in std::mem::take(&mut self.matches) {
            let scrutinee = self.zonk(&pending.scrutinee);
            let problems = exhaustive::check(&self.table, &scrutinee, &pending);
            self.errors.extend(problems);
        }
        for (span, ty) in std::mem::take(&mut self.decode_sites) {
            let ty = self.zonk(&ty);
            if !ty.is_fully_known() {
                self.errors.push(TypeError::UnknownDecodeTarget { span, ty: TypePrinter::default().print(&ty) });
            }
        }
        let expr_types = self
            .expr_types
            .iter()
            .map(|ty| match ty {
                Some(ty) => self.zonk(ty),
                None => Type::unit(),
            })
            .collect();
        self.errors.sort_by_key(|error| (error.span().start, error.span().end));
        self.errors.dedup();
        Checked { table: self.table, expr_types, functions, errors: self.errors }
    }

    // ---- expressions --------------------------------------------------------

    fn infer(&mut self, expr: &Expr) -> Type {
        let ty = crate::stack::grow(64 * 1024, 1024 * 1024, || self.infer_kind(expr));
        self.expr_types[expr.id.index()] = Some(ty.clone());
        ty
    }

    /// Infers with an expected type known in advance, so that a lambda's
    /// parameters get their types before its body is checked.
    fn check_against(&mut self, expr: &Expr, expected: &Type, context: Option<&str>) {
        if let (ExprKind::Lambda { parameters, body }, Type::Fn(params, _)) = (&expr.kind, self.shallow(expected))
            && parameters.len() == params.len()
        {
            let ty = self.infer_lambda(parameters, body, Some(&params));
            self.expr_types[expr.id.index()] = Some(ty.clone());
            self.expect(expected, &ty, expr.span, context);
            return;
        }
        let found = self.infer(expr);
        self.expect(expected, &found, expr.span, context);
    }

    fn infer_kind(&mut self, expr: &Expr) -> Type {
        match &expr.kind {
            ExprKind::Int(_) => Type::int(),
            ExprKind::Float(_) => Type::float(),
            ExprKind::Char(_) => Type::char(),
            ExprKind::Bool(_) => Type::bool(),
            ExprKind::Unit => Type::unit(),
            ExprKind::Error => self.fresh(),
            ExprKind::String(parts) => {
                for part in parts {
                    if let StringPart::Interpolation(inner) = part {
                        self.infer(inner);
                    }
                }
                Type::string()
            }
            ExprKind::Variable(name) => self.lookup_variable(name, expr.span),
            ExprKind::Qualified { module, name } => match Builtin::lookup(module, name) {
                Some(builtin) => {
                    let scheme = builtin.scheme().clone();
                    self.instantiate(&scheme)
                }
                None => {
                    self.report_unknown_qualified(module, name, expr.span);
                    self.fresh()
                }
            },
            ExprKind::Constructor(name) => self.constructor_type(name, expr.span),
            ExprKind::List(items) => {
                let element = self.fresh();
                for item in items {
                    self.check_against(item, &element, Some("list elements all have the same type"));
                }
                Type::list(element)
            }
            ExprKind::Dict(entries) => {
                let value = self.fresh();
                let mut seen = HashSet::new();
                for (key, entry) in entries {
                    if !seen.insert(key) {
                        self.errors.push(TypeError::DuplicateField { span: entry.span, field: key.clone() });
                    }
                    self.check_against(entry, &value, Some("dict values all have the same type"));
                }
                Type::dict(value)
            }
            ExprKind::Record { type_name, fields } => self.infer_record(expr.span, type_name.as_ref(), fields),
            ExprKind::RecordUpdate { record, fields } => {
                let ty = self.infer(record);
                let resolved = self.zonk(&ty);
                match self.table.record_fields(&resolved) {
                    Some(declared) => self.check_field_inits(&resolved, &declared, fields, false, expr.span),
                    None => {
                        let found = self.print(&ty);
                        self.errors.push(TypeError::NotARecord { span: record.span, found });
                        for field in fields {
                            self.infer(&field.value);
                        }
                    }
                }
                ty
            }
            ExprKind::Field { value, field } => {
                let ty = self.infer(value);
                self.field_type(&ty, field, value.span)
            }
            ExprKind::Call { callee, type_arguments, arguments } => {
                let arguments: Vec<&Expr> = arguments.iter().collect();
                self.infer_call(expr, callee, type_arguments, None, &arguments)
            }
            ExprKind::Pipe { left, right } => {
                let piped = self.infer(left);
                match &right.kind {
                    ExprKind::Call { callee, type_arguments, arguments } => {
                        let arguments: Vec<&Expr> = arguments.iter().collect();
                        let ty = self.infer_call(right, callee, type_arguments, Some((piped, left.span)), &arguments);
                        self.expr_types[right.id.index()] = Some(ty.clone());
                        ty
                    }
                    _ => {
                        let function = self.infer(right);
                        self.apply(&function, vec![(piped, left.span)], right.span, right.span)
                    }
                }
            }
            ExprKind::Let { pattern, annotation, value, body } => {
                self.level += 1;
                let value_ty = match annotation {
                    Some(annotation) => {
                        let written = self.type_from_expr(annotation, &mut Vec::new(), true);
                        self.check_against(value, &written, Some("of the type annotation"));
                        written
                    }
                    None => self.infer(value),
                };
                self.level -= 1;
                let scope = self.locals.len();
                if let PatternKind::Variable(name) = &pattern.kind {
                    let scheme = self.generalize(&value_ty);
                    self.locals.push((name.clone(), scheme));
                } else {
                    let mut bindings = Vec::new();
                    self.check_pattern(pattern, &value_ty, &mut bindings);
                    self.matches.push(PendingMatch {
                        scrutinee: value_ty,
                        arms: vec![(pattern.clone(), false)],
                        span: pattern.span,
                        is_let: true,
                    });
                    for (name, ty) in bindings {
                        self.locals.push((name, Scheme::mono(ty)));
                    }
                }
                let ty = self.infer(body);
                self.locals.truncate(scope);
                ty
            }
            ExprKind::Sequence(items) => {
                let mut last = Type::unit();
                for item in items {
                    last = self.infer(item);
                }
                last
            }
            ExprKind::If { condition, then_branch, else_branch } => {
                self.check_against(condition, &Type::bool(), Some("an `if` condition must be a Bool"));
                let ty = self.infer(then_branch);
                self.check_against(else_branch, &ty, Some("both branches of an `if` have the same type"));
                ty
            }
            ExprKind::Match { scrutinee, arms } => {
                let scrutinee_ty = self.infer(scrutinee);
                let result = self.fresh();
                for arm in arms {
                    let scope = self.locals.len();
                    let mut bindings = Vec::new();
                    self.check_pattern(&arm.pattern, &scrutinee_ty, &mut bindings);
                    for (name, ty) in bindings {
                        self.locals.push((name, Scheme::mono(ty)));
                    }
                    if let Some(guard) = &arm.guard {
                        self.check_against(guard, &Type::bool(), Some("a `when` guard must be a Bool"));
                    }
                    self.check_against(&arm.body, &result, Some("all arms of a match have the same type"));
                    self.locals.truncate(scope);
                }
                // A match without arms only comes from repairing code being typed,
                // which already has its syntax error.
                if arms.is_empty() {
                    return result;
                }
                self.matches.push(PendingMatch {
                    scrutinee: scrutinee_ty,
                    arms: arms.iter().map(|arm| (arm.pattern.clone(), arm.guard.is_some())).collect(),
                    span: Span { start: expr.span.start, end: scrutinee.span.end },
                    is_let: false,
                });
                result
            }
            ExprKind::Lambda { parameters, body } => self.infer_lambda(parameters, body, None),
            ExprKind::Binary { op, left, right } => self.infer_binary(*op, left, right),
            ExprKind::Unary { op, operand } => {
                let ty = match op {
                    UnaryOp::Negate => self.fresh_constrained(Constraint::Number),
                    UnaryOp::Not => Type::bool(),
                };
                self.check_against(operand, &ty, None);
                ty
            }
            ExprKind::Try(operand) => self.infer_try(operand),
        }
    }

    fn lookup_variable(&mut self, name: &str, span: Span) -> Type {
        if let Some((_, scheme)) = self.locals.iter().rev().find(|(local, _)| local == name) {
            let scheme = scheme.clone();
            return self.instantiate(&scheme);
        }
        if let Some(scheme) = self.globals.get(name).cloned() {
            return self.instantiate(&scheme);
        }
        let in_scope = self
            .locals
            .iter()
            .map(|(name, _)| name.as_str())
            .chain(self.globals.keys().map(String::as_str))
            .collect::<Vec<_>>();
        let similar = similar_names(name, in_scope.into_iter());
        self.errors.push(TypeError::UnknownVariable { span, name: name.to_string(), similar });
        self.fresh()
    }

    fn report_unknown_qualified(&mut self, module: &str, name: &str, span: Span) {
        let modules = Builtin::modules();
        if !modules.contains(&module) {
            self.errors.push(TypeError::UnknownModule {
                span,
                module: module.to_string(),
                modules: modules.iter().map(|m| m.to_string()).collect(),
            });
            return;
        }
        let names: Vec<&str> = Builtin::ALL.iter().filter(|b| b.module() == module).map(|b| b.short_name()).collect();
        let similar = similar_names(name, names.into_iter()).into_iter().map(|n| format!("{module}.{n}")).collect();
        self.errors.push(TypeError::UnknownFunction {
            span,
            module: module.to_string(),
            name: name.to_string(),
            similar,
        });
    }

    /// The type of a constructor used as a value: the variant type, or a
    /// function to it when the constructor has a payload.
    fn constructor_type(&mut self, name: &str, span: Span) -> Type {
        let Some(info) = self.table.constructor(name).cloned() else {
            let similar = similar_names(name, self.table.constructors.keys().map(String::as_str));
            self.errors.push(TypeError::UnknownConstructor { span, name: name.to_string(), similar });
            return self.fresh();
        };
        let arity = self.table.get(&info.type_name).map_or(0, |def| def.parameters.len());
        let arguments: Vec<Type> = (0..arity).map(|_| self.fresh()).collect();
        let result = Type::Con(info.type_name.clone(), arguments.clone());
        if info.payload.is_empty() {
            result
        } else {
            Type::Fn(info.payload.iter().map(|ty| ty.instantiate(&arguments)).collect(), Box::new(result))
        }
    }

    fn infer_lambda(&mut self, parameters: &[Name], body: &Expr, expected: Option<&[Type]>) -> Type {
        let scope = self.locals.len();
        let mut params = Vec::new();
        for (i, param) in parameters.iter().enumerate() {
            let ty = match expected {
                Some(expected) => expected[i].clone(),
                None => self.fresh(),
            };
            self.locals.push((param.text.clone(), Scheme::mono(ty.clone())));
            params.push(ty);
        }
        let result = self.fresh();
        self.returns.push(ReturnContext::Value(result.clone()));
        let body_ty = self.infer(body);
        self.expect(&result, &body_ty, body.span, None);
        self.returns.pop();
        self.locals.truncate(scope);
        Type::Fn(params, Box::new(result))
    }

    fn infer_call(
        &mut self,
        call: &Expr,
        callee: &Expr,
        type_arguments: &[TypeExpr],
        piped: Option<(Type, Span)>,
        arguments: &[&Expr],
    ) -> Type {
        let errors_before = self.errors.len();
        let function = if type_arguments.is_empty() {
            self.infer(callee)
        } else {
            let ty = self.instantiate_explicitly(callee, type_arguments);
            self.expr_types[callee.id.index()] = Some(ty.clone());
            ty
        };
        // After an error in the callee the decode target is unknown for that
        // reason; saying so again would only repeat it.
        let is_decode = self.errors.len() == errors_before
            && matches!(
                &callee.kind,
                ExprKind::Qualified { module, name } if module == "Json" && (name == "decode" || name == "fromJson")
            );
        let resolved = self.shallow(&function);
        let result = match resolved {
            Type::Fn(params, result) => {
                let given = arguments.len() + usize::from(piped.is_some());
                if params.len() != given {
                    self.errors.push(TypeError::ArgumentCount {
                        span: call.span,
                        expected: params.len(),
                        found: given,
                        signature: self.print(&function),
                    });
                    for argument in arguments {
                        self.infer(argument);
                    }
                    return *result;
                }
                let mut params = params.iter();
                if let Some((ty, span)) = piped
                    && let Some(param) = params.next()
                {
                    self.expect(param, &ty, span, Some("it is piped into the function's first parameter"));
                }
                for (argument, param) in arguments.iter().zip(params) {
                    self.check_against(argument, param, None);
                }
                *result
            }
            _ => {
                let mut given: Vec<(Type, Span)> = piped.into_iter().collect();
                for argument in arguments {
                    given.push((self.infer(argument), argument.span));
                }
                self.apply(&function, given, callee.span, call.span)
            }
        };
        if is_decode
            && let Type::Con(_, args) = self.shallow(&result)
            && let Some(target) = args.first()
        {
            self.decode_sites.push((call.span, target.clone()));
        }
        result
    }

    /// Applies a function value whose type is not yet known to be a function.
    fn apply(&mut self, function: &Type, arguments: Vec<(Type, Span)>, callee_span: Span, call_span: Span) -> Type {
        match self.shallow(function) {
            Type::Var(_) => {
                let result = self.fresh();
                let params = arguments.iter().map(|(ty, _)| ty.clone()).collect();
                self.expect(function, &Type::Fn(params, Box::new(result.clone())), callee_span, None);
                result
            }
            Type::Fn(params, result) => {
                if params.len() != arguments.len() {
                    self.errors.push(TypeError::ArgumentCount {
                        span: call_span,
                        expected: params.len(),
                        found: arguments.len(),
                        signature: self.print(function),
                    });
                } else {
                    for (param, (ty, span)) in params.iter().zip(&arguments) {
                        self.expect(param, ty, *span, None);
                    }
                }
                *result
            }
            other => {
                let found = self.print(&other);
                self.errors.push(TypeError::NotAFunction { span: callee_span, found });
                self.fresh()
            }
        }
    }

    /// `f<T>(...)`: instantiates a named function's scheme with written types,
    /// in the order its type variables first appear.
    fn instantiate_explicitly(&mut self, callee: &Expr, type_arguments: &[TypeExpr]) -> Type {
        let (name, scheme) = match &callee.kind {
            ExprKind::Qualified { module, name } => match Builtin::lookup(module, name) {
                Some(builtin) => (builtin.name().to_string(), builtin.scheme().clone()),
                None => {
                    self.report_unknown_qualified(module, name, callee.span);
                    return self.fresh();
                }
            },
            ExprKind::Variable(name) if self.globals.contains_key(name) => (name.clone(), self.globals[name].clone()),
            _ => {
                self.errors.push(TypeError::TypeArgumentsNotAllowed { span: callee.span });
                return self.infer(callee);
            }
        };
        let written: Vec<Type> =
            type_arguments.iter().map(|ty| self.type_from_expr(ty, &mut Vec::new(), true)).collect();
        if written.len() != scheme.generics.len() {
            let span = type_arguments[0].span.to(type_arguments[type_arguments.len() - 1].span);
            self.errors.push(TypeError::TypeArgumentCount {
                span,
                name,
                expected: scheme.generics.len(),
                found: written.len(),
            });
            return self.instantiate(&scheme);
        }
        let fresh = self.instantiate(&scheme);
        let explicit = scheme.ty.instantiate(&written);
        self.expect(&fresh, &explicit, callee.span, None);
        explicit
    }

    fn infer_binary(&mut self, op: BinaryOp, left: &Expr, right: &Expr) -> Type {
        let (operand, result) = match op {
            BinaryOp::And | BinaryOp::Or => (Type::bool(), Type::bool()),
            BinaryOp::Eq | BinaryOp::NotEq => (self.fresh(), Type::bool()),
            BinaryOp::Less | BinaryOp::LessEq | BinaryOp::Greater | BinaryOp::GreaterEq => {
                (self.fresh_constrained(Constraint::Comparable), Type::bool())
            }
            BinaryOp::Concat => {
                let ty = self.fresh_constrained(Constraint::Appendable);
                (ty.clone(), ty)
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                let ty = self.fresh_constrained(Constraint::Number);
                (ty.clone(), ty)
            }
            BinaryOp::Rem => (Type::int(), Type::int()),
        };
        let errors_before = self.errors.len();
        self.check_against(left, &operand, None);
        if self.errors.len() > errors_before {
            // The left operand is already reported: check the right one on its
            // own and leave the result unknown, so one mistake is one error.
            self.infer(right);
            return self.fresh();
        }
        let context = format!("both sides of `{}` have the same type", op.symbol());
        self.check_against(right, &operand, Some(&context));
        result
    }

    fn infer_try(&mut self, operand: &Expr) -> Type {
        let ty = self.infer(operand);
        let context = self.returns.last().cloned();
        match self.shallow(&ty) {
            Type::Con(name, args) if name == "Option" => {
                if let Some(ReturnContext::Value(ret)) = context {
                    let wrapped = Type::option(self.fresh());
                    self.expect(&ret, &wrapped, operand.span, Some("`?` on an Option returns `None` early"));
                } else {
                    let found = self.print(&ty);
                    self.errors.push(TypeError::TryInHandler { span: operand.span, found });
                }
                args[0].clone()
            }
            Type::Con(name, _) if name != "Result" => {
                let found = self.print(&ty);
                self.errors.push(TypeError::TryOperand { span: operand.span, found });
                self.fresh()
            }
            Type::Fn(..) => {
                let found = self.print(&ty);
                self.errors.push(TypeError::TryOperand { span: operand.span, found });
                self.fresh()
            }
            _ => {
                let ok = self.fresh();
                let error = self.fresh();
                self.expect(&Type::result(ok.clone(), error.clone()), &ty, operand.span, None);
                match context {
                    Some(ReturnContext::Value(ret)) => {
                        let wrapped = Type::result(self.fresh(), error);
                        self.expect(&ret, &wrapped, operand.span, Some("`?` returns the `Error` early"));
                    }
                    _ => {
                        if self.unify(&error, &Type::string()).is_err() {
                            let found = self.print(&error);
                            self.errors.push(TypeError::TryInHandler { span: operand.span, found });
                        }
                    }
                }
                ok
            }
        }
    }

    // ---- records ------------------------------------------------------------

    fn infer_record(&mut self, span: Span, type_name: Option<&Name>, fields: &[FieldInit]) -> Type {
        let names: Vec<String> = fields.iter().map(|field| field.name.text.clone()).collect();
        let def_name = match type_name {
            Some(name) => match self.table.get(&name.text) {
                Some(def) if def.fields().is_some() => Some(def.name.clone()),
                Some(def) => {
                    self.errors.push(TypeError::NotARecord { span: name.span, found: def.name.clone() });
                    None
                }
                None => {
                    let similar = similar_names(&name.text, self.user_visible_types());
                    self.errors.push(TypeError::UnknownType { span: name.span, name: name.text.clone(), similar });
                    None
                }
            },
            None => {
                let mut sorted = names.clone();
                sorted.sort();
                let candidates: Vec<String> = self
                    .table
                    .defs
                    .values()
                    .filter(|def| !def.name.starts_with("Params("))
                    .filter(|def| {
                        def.fields().is_some_and(|declared| {
                            let mut declared: Vec<&String> = declared.iter().map(|(n, _)| n).collect();
                            declared.sort();
                            declared.len() == sorted.len() && declared.iter().zip(&sorted).all(|(a, b)| *a == b)
                        })
                    })
                    .map(|def| def.name.clone())
                    .collect();
                match candidates.len() {
                    1 => Some(candidates[0].clone()),
                    0 => {
                        self.errors.push(TypeError::NoRecordType { span, fields: names.clone() });
                        None
                    }
                    _ => {
                        self.errors.push(TypeError::AmbiguousRecord { span, fields: names.clone(), candidates });
                        None
                    }
                }
            }
        };
        let Some(def_name) = def_name else {
            for field in fields {
                self.infer(&field.value);
            }
            return self.fresh();
        };
        let arity = self.table.get(&def_name).map_or(0, |def| def.parameters.len());
        let arguments: Vec<Type> = (0..arity).map(|_| self.fresh()).collect();
        let ty = Type::Con(def_name, arguments);
        let declared = self.table.record_fields(&ty).unwrap_or_default();
        self.check_field_inits(&ty, &declared, fields, true, span);
        ty
    }

    /// Checks field initialisers against declared fields; with `complete`,
    /// every declared field must be given (a literal, not an update).
    fn check_field_inits(
        &mut self,
        ty: &Type,
        declared: &[(String, Type)],
        fields: &[FieldInit],
        complete: bool,
        span: Span,
    ) {
        let mut seen = HashSet::new();
        for field in fields {
            if !seen.insert(field.name.text.as_str()) {
                self.errors.push(TypeError::DuplicateField { span: field.name.span, field: field.name.text.clone() });
            }
            match declared.iter().find(|(name, _)| *name == field.name.text) {
                Some((_, field_ty)) => {
                    let context = format!("of the type of field `{}`", field.name.text);
                    self.check_against(&field.value, field_ty, Some(&context));
                }
                None => {
                    self.errors.push(TypeError::UnknownField {
                        span: field.name.span,
                        ty: self.print(ty),
                        field: field.name.text.clone(),
                        fields: declared.iter().map(|(name, _)| name.clone()).collect(),
                    });
                    self.infer(&field.value);
                }
            }
        }
        if complete {
            let missing: Vec<String> =
                declared.iter().filter(|(name, _)| !seen.contains(name.as_str())).map(|(n, _)| n.clone()).collect();
            if !missing.is_empty() {
                self.errors.push(TypeError::MissingFields { span, ty: self.print(ty), fields: missing });
            }
        }
    }

    fn field_type(&mut self, ty: &Type, field: &Name, value_span: Span) -> Type {
        let resolved = self.zonk(ty);
        if let Type::Var(_) = resolved {
            let candidates: Vec<String> = self
                .table
                .defs
                .values()
                .filter(|def| def.fields().is_some_and(|fields| fields.iter().any(|(n, _)| *n == field.text)))
                .map(|def| def.name.clone())
                .collect();
            let usable: Vec<&String> = candidates.iter().filter(|n| !n.starts_with("Params(")).collect();
            if usable.len() == 1 {
                let name = usable[0].clone();
                let arity = self.table.get(&name).map_or(0, |def| def.parameters.len());
                let arguments = (0..arity).map(|_| self.fresh()).collect();
                self.expect(ty, &Type::Con(name, arguments), value_span, None);
                return self.field_type(ty, field, value_span);
            }
            self.errors.push(TypeError::UnknownRecordType {
                span: field.span,
                field: field.text.clone(),
                candidates: usable.into_iter().cloned().collect(),
            });
            return self.fresh();
        }
        match self.table.record_fields(&resolved) {
            Some(fields) => match fields.iter().find(|(name, _)| *name == field.text) {
                Some((_, field_ty)) => field_ty.clone(),
                None if matches!(&resolved, Type::Con(name, _) if name.starts_with("Params(")) => {
                    let Type::Con(name, _) = &resolved else { return self.fresh() };
                    let route = name.trim_start_matches("Params(").trim_end_matches(')').to_string();
                    self.errors.push(TypeError::UnknownRouteParameter {
                        span: field.span,
                        name: field.text.clone(),
                        route,
                        parameters: fields.iter().map(|(name, _)| name.clone()).collect(),
                    });
                    self.fresh()
                }
                None => {
                    self.errors.push(TypeError::UnknownField {
                        span: field.span,
                        ty: self.print(&resolved),
                        field: field.text.clone(),
                        fields: fields.iter().map(|(name, _)| name.clone()).collect(),
                    });
                    self.fresh()
                }
            },
            None => {
                self.errors.push(TypeError::NotARecord { span: value_span, found: self.print(&resolved) });
                self.fresh()
            }
        }
    }

    // ---- patterns -------------------------------------------------------------

    fn check_pattern(&mut self, pattern: &Pattern, expected: &Type, bindings: &mut Vec<(String, Type)>) {
        let literal = |ty: Type| Some(ty);
        let literal_type = match &pattern.kind {
            PatternKind::Wildcard | PatternKind::Error => None,
            PatternKind::Variable(name) => {
                if bindings.iter().any(|(bound, _)| bound == name) {
                    self.errors.push(TypeError::Duplicate {
                        span: pattern.span,
                        name: name.clone(),
                        previous: pattern.span,
                    });
                }
                bindings.push((name.clone(), expected.clone()));
                None
            }
            PatternKind::Int(_) => literal(Type::int()),
            PatternKind::Float(_) => literal(Type::float()),
            PatternKind::String(_) => literal(Type::string()),
            PatternKind::Char(_) => literal(Type::char()),
            PatternKind::Bool(_) => literal(Type::bool()),
            PatternKind::Unit => literal(Type::unit()),
            PatternKind::Constructor { name, arguments } => {
                let Some(info) = self.table.constructor(&name.text).cloned() else {
                    let similar = similar_names(&name.text, self.table.constructors.keys().map(String::as_str));
                    self.errors.push(TypeError::UnknownConstructor {
                        span: name.span,
                        name: name.text.clone(),
                        similar,
                    });
                    for argument in arguments {
                        let fresh = self.fresh();
                        self.check_pattern(argument, &fresh, bindings);
                    }
                    return;
                };
                let arity = self.table.get(&info.type_name).map_or(0, |def| def.parameters.len());
                let type_arguments: Vec<Type> = (0..arity).map(|_| self.fresh()).collect();
                let ty = Type::Con(info.type_name.clone(), type_arguments.clone());
                self.expect(expected, &ty, pattern.span, Some("of the type of the value being matched"));
                if arguments.len() != info.payload.len() {
                    self.errors.push(TypeError::ConstructorArity {
                        span: pattern.span,
                        name: name.text.clone(),
                        expected: info.payload.len(),
                        found: arguments.len(),
                    });
                }
                for (argument, payload) in arguments.iter().zip(&info.payload) {
                    let payload = payload.instantiate(&type_arguments);
                    self.check_pattern(argument, &payload, bindings);
                }
                None
            }
            PatternKind::List { items, rest } => {
                let element = self.fresh();
                let ty = Type::list(element.clone());
                self.expect(expected, &ty, pattern.span, Some("of the type of the value being matched"));
                for item in items {
                    self.check_pattern(item, &element, bindings);
                }
                if let Some(Some(name)) = rest {
                    bindings.push((name.text.clone(), ty));
                }
                None
            }
        };
        if let Some(ty) = literal_type {
            self.expect(expected, &ty, pattern.span, Some("of the type of the value being matched"));
        }
    }
}

/// Strongly connected components of the call graph among `functions`
/// (Tarjan), dependencies before dependents.
fn components(functions: &[&FunctionDecl]) -> Vec<Vec<usize>> {
    let index_of: HashMap<&str, usize> =
        functions.iter().enumerate().map(|(i, decl)| (decl.name.text.as_str(), i)).collect();
    let edges: Vec<Vec<usize>> = functions
        .iter()
        .map(|decl| {
            let mut referenced = Vec::new();
            collect_variables(&decl.body, &mut |name| {
                if let Some(&target) = index_of.get(name) {
                    referenced.push(target);
                }
            });
            referenced
        })
        .collect();

    struct Tarjan<'e> {
        edges: &'e [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        counter: usize,
        output: Vec<Vec<usize>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, node: usize) {
            self.index[node] = Some(self.counter);
            self.low[node] = self.counter;
            self.counter += 1;
            self.stack.push(node);
            self.on_stack[node] = true;
            for &next in &self.edges[node] {
                match self.index[next] {
                    None => {
                        self.visit(next);
                        self.low[node] = self.low[node].min(self.low[next]);
                    }
                    Some(next_index) if self.on_stack[next] => self.low[node] = self.low[node].min(next_index),
                    Some(_) => {}
                }
            }
            if Some(self.low[node]) == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                component.sort();
                self.output.push(component);
            }
        }
    }
    let count = functions.len();
    let mut tarjan = Tarjan {
        edges: &edges,
        index: vec![None; count],
        low: vec![0; count],
        on_stack: vec![false; count],
        stack: Vec::new(),
        counter: 0,
        output: Vec::new(),
    };
    for node in 0..count {
        if tarjan.index[node].is_none() {
            tarjan.visit(node);
        }
    }
    tarjan.output
}

fn collect_variables(expr: &Expr, found: &mut impl FnMut(&str)) {
    if let ExprKind::Variable(name) = &expr.kind {
        found(name);
    }
    expr.for_each_child(|child| collect_variables(child, found));
}
