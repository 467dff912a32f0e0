//! Declared types: the prelude's and the program's.

use super::ty::Type;
use crate::syntax::ast::Span;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TypeDefKind {
    /// Fields in declaration order.
    Record(Vec<(String, Type)>),
    /// Cases in declaration order, each with its payload types.
    Variant(Vec<(String, Vec<Type>)>),
    /// A type the language provides with no visible structure (`Int`, `List`).
    Opaque,
}

/// A declared type. Field and payload types use `Type::Generic(i)` for the
/// `i`-th parameter.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TypeDef {
    pub name: String,
    pub parameters: Vec<String>,
    pub kind: TypeDefKind,
    /// Where the program declared it; `None` for the prelude.
    pub span: Option<Span>,
}

impl TypeDef {
    pub fn fields(&self) -> Option<&[(String, Type)]> {
        match &self.kind {
            TypeDefKind::Record(fields) => Some(fields),
            _ => None,
        }
    }
}

/// Where a constructor comes from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConstructorInfo {
    pub type_name: String,
    pub index: usize,
    pub payload: Vec<Type>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TypeTable {
    pub defs: BTreeMap<String, TypeDef>,
    pub constructors: BTreeMap<String, ConstructorInfo>,
}

/// The name of the record type of a handler's route parameters.
pub fn params_type_name(route: &str) -> String {
    format!("Params({route})")
}

impl TypeTable {
    /// The prelude: primitive types, `Option`, `Result`, `Json`, `Http.Response`,
    /// `Request`, `Entry`.
    pub fn prelude() -> TypeTable {
        let mut table = TypeTable { defs: BTreeMap::new(), constructors: BTreeMap::new() };
        for (name, arity) in [
            ("Int", 0),
            ("Float", 0),
            ("Bool", 0),
            ("String", 0),
            ("Char", 0),
            ("Unit", 0),
            // Opaque so that it cannot be taken apart, shown or stored.
            ("Secret", 0),
            ("List", 1),
            ("Dict", 1),
            ("Datastore", 1),
            ("Worker", 1),
        ] {
            let parameters = (0..arity).map(|i| format!("t{i}")).collect();
            table.insert(TypeDef { name: name.into(), parameters, kind: TypeDefKind::Opaque, span: None });
        }
        let a = Type::Generic(0);
        let e = Type::Generic(1);
        table.insert_variant("Option", &["a"], vec![("Some", vec![a.clone()]), ("None", vec![])]);
        table.insert_variant("Result", &["a", "e"], vec![("Ok", vec![a.clone()]), ("Error", vec![e])]);
        let json = Type::con("Json");
        table.insert_variant(
            "Json",
            &[],
            vec![
                ("JsonNull", vec![]),
                ("JsonBool", vec![Type::bool()]),
                ("JsonInt", vec![Type::int()]),
                ("JsonFloat", vec![Type::float()]),
                ("JsonString", vec![Type::string()]),
                ("JsonList", vec![Type::list(json.clone())]),
                ("JsonObject", vec![Type::dict(json)]),
            ],
        );
        table.insert_record(
            "Http.Response",
            &[],
            vec![("status", Type::int()), ("headers", Type::dict(Type::string())), ("body", Type::string())],
        );
        table.insert_record(
            "Request",
            &["params"],
            vec![
                ("method", Type::string()),
                ("path", Type::string()),
                ("params", Type::Generic(0)),
                ("query", Type::dict(Type::string())),
                ("headers", Type::dict(Type::string())),
                ("body", Type::string()),
            ],
        );
        table.insert_record("Entry", &["a"], vec![("key", Type::string()), ("value", a)]);
        table
    }

    pub fn insert(&mut self, def: TypeDef) {
        if let TypeDefKind::Variant(cases) = &def.kind {
            for (index, (name, payload)) in cases.iter().enumerate() {
                self.constructors.insert(
                    name.clone(),
                    ConstructorInfo { type_name: def.name.clone(), index, payload: payload.clone() },
                );
            }
        }
        self.defs.insert(def.name.clone(), def);
    }

    fn insert_variant(&mut self, name: &str, parameters: &[&str], cases: Vec<(&str, Vec<Type>)>) {
        self.insert(TypeDef {
            name: name.into(),
            parameters: parameters.iter().map(|p| p.to_string()).collect(),
            kind: TypeDefKind::Variant(cases.into_iter().map(|(n, p)| (n.to_string(), p)).collect()),
            span: None,
        });
    }

    pub fn insert_record(&mut self, name: &str, parameters: &[&str], fields: Vec<(&str, Type)>) {
        self.insert(TypeDef {
            name: name.into(),
            parameters: parameters.iter().map(|p| p.to_string()).collect(),
            kind: TypeDefKind::Record(fields.into_iter().map(|(n, t)| (n.to_string(), t)).collect()),
            span: None,
        });
    }

    pub fn get(&self, name: &str) -> Option<&TypeDef> {
        self.defs.get(name)
    }

    pub fn constructor(&self, name: &str) -> Option<&ConstructorInfo> {
        self.constructors.get(name)
    }

    /// Field types of a record type applied to arguments.
    pub fn record_fields(&self, ty: &Type) -> Option<Vec<(String, Type)>> {
        let Type::Con(name, arguments) = ty else { return None };
        let fields = self.get(name)?.fields()?;
        Some(fields.iter().map(|(field, ty)| (field.clone(), ty.instantiate(arguments))).collect())
    }

    /// Cases of a variant type applied to arguments.
    pub fn variant_cases(&self, ty: &Type) -> Option<Vec<(String, Vec<Type>)>> {
        let Type::Con(name, arguments) = ty else { return None };
        match &self.get(name)?.kind {
            TypeDefKind::Variant(cases) => Some(
                cases
                    .iter()
                    .map(|(case, payload)| (case.clone(), payload.iter().map(|ty| ty.instantiate(arguments)).collect()))
                    .collect(),
            ),
            _ => None,
        }
    }
}
