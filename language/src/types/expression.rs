//! Inference of expressions: literals, names, calls, operators, `let`,
//! `if`, `match`, lambdas and `?`.

use super::check::{Checker, Local, ReturnContext};
use super::error::{SecretUse, TypeError};
use super::exhaustive::PendingMatch;
use super::names::{builtin_suggestions, similar_names};
use super::resolution::Resolution;
use super::ty::{Constraint, Scheme, Type};
use crate::stdlib::Builtin;
use crate::syntax::ast::*;
use std::collections::HashSet;

impl Checker<'_> {
    // ---- expressions --------------------------------------------------------

    pub(super) fn infer(&mut self, expr: &Expr) -> Type {
        let ty = crate::stack::grow(64 * 1024, 1024 * 1024, || self.infer_kind(expr));
        self.expr_types[expr.id.index()] = Some(ty.clone());
        ty
    }

    /// Infers with an expected type known in advance, so that a lambda's
    /// parameters get their types before its body is checked.
    pub(super) fn check_against(&mut self, expr: &Expr, expected: &Type, context: Option<&str>) {
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
            ExprKind::Error => self.poison(),
            ExprKind::String(parts) => {
                for part in parts {
                    if let StringPart::Interpolation(inner) = part {
                        let ty = self.infer(inner);
                        self.expect_public(&ty, inner.span, SecretUse::Shown);
                    }
                }
                Type::string()
            }
            ExprKind::Variable(name) => self.lookup_variable(name, expr.id, expr.span),
            ExprKind::Qualified { module, name } => match Builtin::lookup(module, name) {
                Some(builtin) => {
                    self.resolutions.insert(expr.id, Resolution::Builtin(builtin));
                    let scheme = builtin.scheme().clone();
                    self.instantiate(&scheme)
                }
                None => {
                    self.report_unknown_qualified(module, name, expr.span);
                    self.poison()
                }
            },
            ExprKind::Constructor(name) => self.constructor_type(name, expr.id, expr.span),
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
                        self.errors.push(TypeError::DuplicateKey { span: entry.span, key: key.clone() });
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
                    None if self.is_poisoned(&ty) => {
                        for field in fields {
                            self.infer(&field.value);
                        }
                    }
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
                    self.bind_local(name, scheme, Some(pattern.span));
                } else {
                    let mut bindings = Vec::new();
                    self.check_pattern(pattern, &value_ty, &mut bindings);
                    self.matches.push(PendingMatch {
                        scrutinee: value_ty,
                        arms: vec![(pattern.clone(), false)],
                        span: pattern.span,
                        is_let: true,
                    });
                    self.bind_all(bindings);
                }
                let ty = self.infer(body);
                self.locals.truncate(scope);
                ty
            }
            ExprKind::Sequence(items) => self.infer_sequence(items),
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
                    self.bind_all(bindings);
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
            ExprKind::Try(operand) => self.infer_try(expr.span, operand),
        }
    }

    pub(super) fn bind_local(&mut self, name: &str, scheme: Scheme, binder: Option<Span>) {
        self.locals.push(Local { name: name.to_string(), scheme, binder });
    }

    /// Binds what a pattern bound, each at its own name.
    fn bind_all(&mut self, bindings: Vec<(String, Type, Span)>) {
        for (name, ty, binder) in bindings {
            self.locals.push(Local { name, scheme: Scheme::mono(ty), binder: Some(binder) });
        }
    }

    fn lookup_variable(&mut self, name: &str, id: ExprId, span: Span) -> Type {
        if let Some(local) = self.locals.iter().rev().find(|local| local.name == name) {
            let scheme = local.scheme.clone();
            self.resolutions.insert(id, Resolution::Local { binder: local.binder });
            return self.instantiate(&scheme);
        }
        if let Some(scheme) = self.globals.get(name).cloned() {
            if let Some(resolution) = self.global_items.get(name) {
                self.resolutions.insert(id, resolution.clone());
            }
            return self.instantiate(&scheme);
        }
        let in_scope = self
            .locals
            .iter()
            .map(|local| local.name.as_str())
            .chain(self.globals.keys().map(String::as_str))
            .collect::<Vec<_>>();
        let mut similar = similar_names(name, in_scope.into_iter());
        if similar.is_empty() {
            // `length(xs)`, `parseInt(s)`: a standard library function by another name.
            similar = builtin_suggestions(None, name);
        }
        self.errors.push(TypeError::UnknownVariable { span, name: name.to_string(), similar });
        self.poison()
    }

    fn report_unknown_qualified(&mut self, module: &str, name: &str, span: Span) {
        let modules = Builtin::modules();
        if !modules.contains(&module) {
            let similar = similar_names(module, modules.iter().copied());
            self.errors.push(TypeError::UnknownModule {
                span,
                module: module.to_string(),
                modules: modules.iter().map(|m| m.to_string()).collect(),
                similar,
            });
            return;
        }
        let similar = builtin_suggestions(Some(module), name);
        self.errors.push(TypeError::UnknownFunction {
            span,
            module: module.to_string(),
            name: name.to_string(),
            similar,
        });
    }

    /// The type of a constructor used as a value: the variant type, or a
    /// function to it when the constructor has a payload.
    pub(super) fn constructor_type(&mut self, name: &str, id: ExprId, span: Span) -> Type {
        let Some(info) = self.table.constructor(name).cloned() else {
            let similar = similar_names(name, self.table.constructors.keys().map(String::as_str));
            self.errors.push(TypeError::UnknownConstructor { span, name: name.to_string(), similar });
            return self.poison();
        };
        self.resolutions
            .insert(id, Resolution::Constructor { type_name: info.type_name.clone(), arity: info.payload.len() });
        let arity = self.table.get(&info.type_name).map_or(0, |def| def.parameters.len());
        let arguments: Vec<Type> = (0..arity).map(|_| self.fresh()).collect();
        let result = Type::app(&info.type_name, arguments.clone());
        if info.payload.is_empty() {
            result
        } else {
            Type::function(info.payload.iter().map(|ty| ty.instantiate(&arguments)).collect(), result)
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
            self.bind_local(&param.text, Scheme::mono(ty.clone()), Some(param.span));
            params.push(ty);
        }
        let result = self.fresh();
        self.returns.push(ReturnContext::Value(result.clone()));
        let body_ty = self.infer(body);
        self.expect(&result, &body_ty, body.span, None);
        self.pop_return();
        self.locals.truncate(scope);
        Type::function(params, result)
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
                    return (*result).clone();
                }
                let errors_before = self.errors.len();
                let mut params = params.iter();
                if let Some((ty, span)) = piped
                    && let Some(param) = params.next()
                {
                    self.expect(param, &ty, span, Some("it is piped into the function's first parameter"));
                }
                for (argument, param) in arguments.iter().zip(params) {
                    self.check_against(argument, param, None);
                }
                if self.errors.len() > errors_before {
                    // A wrong argument is reported; what the call gives is
                    // unknown, so that its uses do not report it again.
                    return self.poison();
                }
                (*result).clone()
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
        if self.is_poisoned(function) {
            return self.poison();
        }
        match self.shallow(function) {
            Type::Var(_) => {
                let result = self.fresh();
                let params = arguments.iter().map(|(ty, _)| ty.clone()).collect();
                self.expect(function, &Type::function(params, result.clone()), callee_span, None);
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
                    let mut agreed = true;
                    for (param, (ty, span)) in params.iter().zip(&arguments) {
                        agreed &= self.expect(param, ty, *span, None);
                    }
                    if !agreed {
                        return self.poison();
                    }
                }
                (*result).clone()
            }
            other => {
                let found = self.print(&other);
                self.errors.push(TypeError::NotAFunction { span: callee_span, found });
                self.poison()
            }
        }
    }

    /// `f<T>(...)`: instantiates a named function's scheme with written types,
    /// in the order its type variables first appear.
    fn instantiate_explicitly(&mut self, callee: &Expr, type_arguments: &[TypeExpr]) -> Type {
        let (name, scheme) = match &callee.kind {
            ExprKind::Qualified { module, name } => match Builtin::lookup(module, name) {
                Some(builtin) => {
                    self.resolutions.insert(callee.id, Resolution::Builtin(builtin));
                    (builtin.name().to_string(), builtin.scheme().clone())
                }
                None => {
                    self.report_unknown_qualified(module, name, callee.span);
                    return self.poison();
                }
            },
            ExprKind::Variable(name) if self.globals.contains_key(name) => {
                if let Some(resolution) = self.global_items.get(name) {
                    self.resolutions.insert(callee.id, resolution.clone());
                }
                (name.clone(), self.globals[name].clone())
            }
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
        // Each written type must meet its variable's constraint (`data` for `Json.decode`).
        for ((constraint, written), texpr) in scheme.generics.iter().zip(&written).zip(type_arguments) {
            let variable = self.fresh_constrained(*constraint);
            self.expect(&variable, written, texpr.span, None);
        }
        scheme.ty.instantiate(&written)
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
            return self.poison();
        }
        let context = format!("both sides of `{}` have the same type", op.symbol());
        self.check_against(right, &operand, Some(&context));
        if matches!(op, BinaryOp::Eq | BinaryOp::NotEq) {
            // Comparing Secrets must take constant time: `Secret.matches`.
            self.expect_public(&operand, left.span.to(right.span), SecretUse::Compared);
        }
        result
    }
}
