//! Patterns: their types and the names they bind.

use super::check::Checker;
use super::error::TypeError;
use super::names::similar_names;
use super::ty::Type;
use crate::syntax::ast::*;

impl Checker<'_> {
    // ---- patterns -------------------------------------------------------------

    pub(super) fn check_pattern(
        &mut self,
        pattern: &Pattern,
        expected: &Type,
        bindings: &mut Vec<(String, Type, Span)>,
    ) {
        let literal = |ty: Type| Some(ty);
        let literal_type = match &pattern.kind {
            PatternKind::Wildcard | PatternKind::Error => None,
            PatternKind::Variable(name) => {
                if bindings.iter().any(|(bound, _, _)| bound == name) {
                    self.errors.push(TypeError::Duplicate {
                        span: pattern.span,
                        name: name.clone(),
                        previous: pattern.span,
                    });
                }
                bindings.push((name.clone(), expected.clone(), pattern.span));
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
                        let fresh = self.poison();
                        self.check_pattern(argument, &fresh, bindings);
                    }
                    return;
                };
                let arity = self.table.get(&info.type_name).map_or(0, |def| def.parameters.len());
                let type_arguments: Vec<Type> = (0..arity).map(|_| self.fresh()).collect();
                let ty = Type::app(&info.type_name, type_arguments.clone());
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
                    bindings.push((name.text.clone(), ty, name.span));
                }
                None
            }
        };
        if let Some(ty) = literal_type {
            self.expect(expected, &ty, pattern.span, Some("of the type of the value being matched"));
        }
    }
}
