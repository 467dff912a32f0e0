//! Declarations: written types converted, type declarations, and the
//! top-level names (functions, datastores, workers, crons, handler routes)
//! registered before any body is checked.

use super::check::Checker;
use super::error::TypeError;
use super::names::similar_names;
use super::resolution::Resolution;
use super::table::{TypeDef, TypeDefKind, params_type_name};
use super::ty::{Constraint, Scheme, Type};
use crate::syntax::ast::*;
use std::collections::{HashMap, HashSet};

impl Checker<'_> {
    // ---- type expressions -------------------------------------------------

    /// Converts a written type. `variables` maps type variable names to types;
    /// with `allow_new`, unknown names get fresh variables, otherwise they are errors.
    pub(super) fn type_from_expr(
        &mut self,
        texpr: &TypeExpr,
        variables: &mut Vec<(String, Type)>,
        allow_new: bool,
    ) -> Type {
        match &texpr.kind {
            TypeExprKind::Unit => Type::unit(),
            TypeExprKind::Error => self.poison(),
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
                    self.poison()
                }
            }
            TypeExprKind::Function { parameters, result } => Type::function(
                parameters.iter().map(|param| self.type_from_expr(param, variables, allow_new)).collect(),
                self.type_from_expr(result, variables, allow_new),
            ),
            TypeExprKind::Named { name, arguments } => {
                let args: Vec<Type> =
                    arguments.iter().map(|arg| self.type_from_expr(arg, variables, allow_new)).collect();
                let Some(def) = self.table.get(&name.text) else {
                    let similar = similar_names(&name.text, self.user_visible_types());
                    self.errors.push(TypeError::UnknownType { span: name.span, name: name.text.clone(), similar });
                    return self.poison();
                };
                if def.parameters.len() != args.len() {
                    self.errors.push(TypeError::TypeArity {
                        span: texpr.span,
                        name: name.text.clone(),
                        expected: def.parameters.len(),
                        found: args.len(),
                    });
                    return self.poison();
                }
                Type::app(&name.text, args)
            }
        }
    }

    pub(super) fn user_visible_types(&self) -> impl Iterator<Item = &str> {
        self.table.defs.keys().map(String::as_str).filter(|name| !name.starts_with("Params("))
    }

    // ---- declarations -------------------------------------------------------

    pub(super) fn declare_types(&mut self) {
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
    pub(super) fn declare_globals(&mut self) {
        let mut seen: HashMap<String, Span> = HashMap::new();
        let mut routes: HashMap<String, Span> = HashMap::new();
        for (position, item) in self.module.items.iter().enumerate() {
            let (name, span) = match &item.kind {
                ItemKind::Function(decl) => {
                    self.global_items.insert(decl.name.text.clone(), Resolution::Function { item: position });
                    (&decl.name.text, decl.name.span)
                }
                ItemKind::Datastore(decl) => {
                    self.global_items.insert(decl.name.text.clone(), Resolution::Datastore { item: position });
                    (&decl.name.text, decl.name.span)
                }
                ItemKind::Worker(decl) => {
                    self.global_items.insert(decl.name.text.clone(), Resolution::Worker { item: position });
                    (&decl.name.text, decl.name.span)
                }
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
                    self.expect_data(&value, decl.ty.span, "a datastore's values are stored as JSON");
                    self.globals.insert(decl.name.text.clone(), Scheme::mono(Type::app("Datastore", vec![value])));
                }
                ItemKind::Worker(decl) => {
                    let event = match decl.parameters.first().and_then(|p| p.ty.as_ref()) {
                        Some(ty) => {
                            let event = self.type_from_expr(ty, &mut Vec::new(), false);
                            self.expect_data(&event, ty.span, "a worker's events are queued as JSON");
                            event
                        }
                        None => self.fresh_constrained(Constraint::Data),
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

    pub(super) fn declare_params_type(&mut self, decl: &HandlerDecl) {
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
}
