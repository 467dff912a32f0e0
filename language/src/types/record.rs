//! Records: literals, updates and field access.

use super::check::Checker;
use super::error::TypeError;
use super::names::similar_names;
use super::ty::Type;
use crate::syntax::ast::*;
use std::collections::HashSet;

impl Checker<'_> {
    // ---- records ------------------------------------------------------------

    pub(super) fn infer_record(&mut self, span: Span, type_name: Option<&Name>, fields: &[FieldInit]) -> Type {
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
            return self.poison();
        };
        let arity = self.table.get(&def_name).map_or(0, |def| def.parameters.len());
        let arguments: Vec<Type> = (0..arity).map(|_| self.fresh()).collect();
        let ty = Type::app(&def_name, arguments);
        let declared = self.table.record_fields(&ty).unwrap_or_default();
        self.check_field_inits(&ty, &declared, fields, true, span);
        ty
    }

    /// Checks field initialisers against declared fields; with `complete`,
    /// every declared field must be given (a literal, not an update).
    pub(super) fn check_field_inits(
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

    pub(super) fn field_type(&mut self, ty: &Type, field: &Name, value_span: Span) -> Type {
        if self.is_poisoned(ty) {
            return self.poison();
        }
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
                self.expect(ty, &Type::app(&name, arguments), value_span, None);
                return self.field_type(ty, field, value_span);
            }
            self.errors.push(TypeError::UnknownRecordType {
                span: field.span,
                field: field.text.clone(),
                candidates: usable.into_iter().cloned().collect(),
            });
            return self.poison();
        }
        match self.table.record_fields(&resolved) {
            Some(fields) => match fields.iter().find(|(name, _)| *name == field.text) {
                Some((_, field_ty)) => field_ty.clone(),
                None if matches!(&resolved, Type::Con(name, _) if name.starts_with("Params(")) => {
                    let Type::Con(name, _) = &resolved else { return self.poison() };
                    let route = name.trim_start_matches("Params(").trim_end_matches(')').to_string();
                    self.errors.push(TypeError::UnknownRouteParameter {
                        span: field.span,
                        name: field.text.clone(),
                        route,
                        parameters: fields.iter().map(|(name, _)| name.clone()).collect(),
                    });
                    self.poison()
                }
                None => {
                    self.errors.push(TypeError::UnknownField {
                        span: field.span,
                        ty: self.print(&resolved),
                        field: field.text.clone(),
                        fields: fields.iter().map(|(name, _)| name.clone()).collect(),
                    });
                    self.poison()
                }
            },
            None => {
                self.errors.push(TypeError::NotARecord { span: value_span, found: self.print(&resolved) });
                self.poison()
            }
        }
    }
}
