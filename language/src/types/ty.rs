//! Types, type schemes and their display.

use super::shared::{Leaf, Rebuild, Seen};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A type's arguments or a function's parameters. Shared: copying a type
/// copies pointers, and a type that holds another twice (`Pair<t, t>`) holds
/// it once (see `shared.rs`).
pub type Types = Arc<Vec<Type>>;

/// A type. `Var` is an inference variable; `Generic(i)` is the `i`-th
/// quantified variable of the [`Scheme`] or type declaration it appears in.
/// A type is a graph whose tree can be exponentially larger; a checked
/// program's are at most [`MAX_TYPE_SIZE`](super::MAX_TYPE_SIZE) nodes as trees.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Type {
    /// A named type with its arguments: `Int`, `List<a>`, `Todo`, `Http.Response`.
    Con(String, Types),
    Fn(Types, Arc<Type>),
    Var(u32),
    Generic(u32),
}

impl Type {
    pub fn con(name: &str) -> Type {
        Type::app(name, Vec::new())
    }

    pub fn app(name: &str, arguments: Vec<Type>) -> Type {
        Type::Con(name.to_string(), Arc::new(arguments))
    }

    pub fn function(params: Vec<Type>, result: Type) -> Type {
        Type::Fn(Arc::new(params), Arc::new(result))
    }

    pub fn int() -> Type {
        Type::con("Int")
    }
    pub fn float() -> Type {
        Type::con("Float")
    }
    pub fn bool() -> Type {
        Type::con("Bool")
    }
    pub fn string() -> Type {
        Type::con("String")
    }
    pub fn char() -> Type {
        Type::con("Char")
    }
    pub fn unit() -> Type {
        Type::con("Unit")
    }
    pub fn list(element: Type) -> Type {
        Type::app("List", vec![element])
    }
    pub fn dict(value: Type) -> Type {
        Type::app("Dict", vec![value])
    }
    pub fn option(value: Type) -> Type {
        Type::app("Option", vec![value])
    }
    pub fn result(ok: Type, error: Type) -> Type {
        Type::app("Result", vec![ok, error])
    }

    /// Replaces `Generic(i)` with `arguments[i]`.
    pub fn instantiate(&self, arguments: &[Type]) -> Type {
        Rebuild::new(|leaf: &Type| match leaf {
            Type::Generic(index) => arguments.get(*index as usize).map_or(Leaf::Keep, |ty| Leaf::Replace(ty.clone())),
            _ => Leaf::Keep,
        })
        .ty(self)
    }

    /// Whether any inference variable or generic remains.
    pub fn is_fully_known(&self) -> bool {
        fn unknown_in(ty: &Type, seen: &mut Seen) -> bool {
            crate::stack::grow(64 * 1024, 1024 * 1024, || match ty {
                Type::Var(_) | Type::Generic(_) => true,
                _ => seen.new_parts(ty).into_iter().any(|part| unknown_in(part, seen)),
            })
        }
        !unknown_in(self, &mut Seen::default())
    }
}

/// What a type variable may stand for, beyond "anything".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Constraint {
    None,
    /// `Int` or `Float`: arithmetic.
    Number,
    /// `Int`, `Float`, `String` or `Char`: ordering.
    Comparable,
    /// `String` or `List<a>`: `++`.
    Appendable,
    /// A type with no function, datastore or worker anywhere inside it: what
    /// can be encoded as JSON, stored, emitted to a worker or returned from a
    /// handler. Unlike the others it holds for every type inside the type, so
    /// it passes to the type arguments and to the variables within.
    Data,
    /// `Appendable` and `Data`: a `String`, or a `List` of data.
    AppendableData,
    /// A type with no `Secret` anywhere inside it: what can be turned into
    /// text or compared with `==`. Deep, like `Data` (which implies it).
    Public,
    /// `Appendable` and `Public`.
    AppendablePublic,
}

impl Constraint {
    pub fn describe(self) -> &'static str {
        match self {
            Constraint::None => "any type",
            Constraint::Number => "a number (Int or Float)",
            Constraint::Comparable => "a comparable type (Int, Float, String or Char)",
            Constraint::Appendable => "a String or a List",
            Constraint::Data => "a type that can be stored as JSON (no functions)",
            Constraint::AppendableData => "a String or a List that can be stored as JSON (no functions)",
            Constraint::Public => "a type without a Secret inside",
            Constraint::AppendablePublic => "a String or a List without a Secret inside",
        }
    }

    /// Whether the constraint holds deep inside the type, not only at its
    /// outermost constructor.
    pub fn requires_data(self) -> bool {
        matches!(self, Constraint::Data | Constraint::AppendableData)
    }

    /// Whether the type may hold no `Secret` (data holds none either).
    pub fn requires_public(self) -> bool {
        matches!(self, Constraint::Public | Constraint::AppendablePublic)
    }

    /// The constraint of a variable that must meet both, if one exists.
    /// `Comparable` with `Appendable` has none: only `String` is both, which
    /// the checker handles by binding the variable.
    pub fn meet(self, other: Constraint) -> Option<Constraint> {
        use Constraint as C;
        match (self, other) {
            (C::None, c) | (c, C::None) => Some(c),
            (c, d) if c == d => Some(c),
            (C::Number, C::Comparable) | (C::Comparable, C::Number) => Some(C::Number),
            // Numbers, Strings and Chars are data.
            (C::Data, c @ (C::Number | C::Comparable)) | (c @ (C::Number | C::Comparable), C::Data) => Some(c),
            (C::Data | C::AppendableData, C::Appendable | C::AppendableData)
            | (C::Appendable, C::Data | C::AppendableData) => Some(C::AppendableData),
            // Data, numbers, Strings and Chars hold no Secret.
            (C::Public, c @ (C::Number | C::Comparable | C::Data | C::AppendableData))
            | (c @ (C::Number | C::Comparable | C::Data | C::AppendableData), C::Public) => Some(c),
            (C::AppendablePublic, C::Data | C::AppendableData) | (C::Data | C::AppendableData, C::AppendablePublic) => {
                Some(C::AppendableData)
            }
            (C::Public | C::AppendablePublic, C::Appendable | C::AppendablePublic)
            | (C::Appendable, C::Public | C::AppendablePublic)
            | (C::AppendablePublic, C::Public) => Some(C::AppendablePublic),
            _ => None,
        }
    }

    /// Whether a type with this outermost constructor satisfies the constraint
    /// (for `Data`, what is inside is checked apart).
    pub fn admits(self, constructor: &str) -> bool {
        match self {
            Constraint::None => true,
            Constraint::Number => matches!(constructor, "Int" | "Float"),
            Constraint::Comparable => matches!(constructor, "Int" | "Float" | "String" | "Char"),
            Constraint::Appendable | Constraint::AppendableData | Constraint::AppendablePublic => {
                matches!(constructor, "String" | "List")
            }
            Constraint::Data | Constraint::Public => true,
        }
    }
}

/// A polymorphic type: `Generic(i)` in `ty` ranges over types meeting `generics[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    pub generics: Vec<Constraint>,
    pub ty: Type,
}

impl Scheme {
    pub fn mono(ty: Type) -> Scheme {
        Scheme { generics: Vec::new(), ty }
    }
}

/// The most nodes of a type a message shows; the rest is written `…`. Far
/// more than a readable type has, so that only the types of code built to
/// grow them (a tree of thousands of nodes) are cut.
pub const MAX_PRINTED_NODES: usize = 200;

/// Displays types with variables named `a`, `b`, … in order of appearance,
/// so one message names the same variable the same way throughout.
#[derive(Default)]
pub struct TypePrinter {
    names: HashMap<Type, String>,
    /// Nodes the type being printed may still show.
    left: usize,
}

impl TypePrinter {
    pub fn print(&mut self, ty: &Type) -> String {
        let mut out = String::new();
        self.left = MAX_PRINTED_NODES;
        self.write(ty, &mut out);
        out
    }

    fn variable_name(&mut self, ty: &Type, constraint_hint: Option<&str>) -> String {
        let count = self.names.len();
        self.names
            .entry(ty.clone())
            .or_insert_with(|| {
                let letter = (b'a' + (count % 26) as u8) as char;
                let base = match constraint_hint {
                    Some(hint) => hint.to_string(),
                    None => letter.to_string(),
                };
                if count >= 26 { format!("{base}{}", count / 26) } else { base }
            })
            .clone()
    }

    fn write(&mut self, ty: &Type, out: &mut String) {
        if self.left == 0 {
            out.push('…');
            return;
        }
        self.left -= 1;
        crate::stack::grow(64 * 1024, 1024 * 1024, || match ty {
            Type::Con(name, args) if name == "Unit" && args.is_empty() => out.push_str("()"),
            Type::Con(name, args) => {
                out.push_str(name);
                if !args.is_empty() {
                    out.push('<');
                    self.write_list(args, out);
                    out.push('>');
                }
            }
            Type::Fn(params, result) => {
                out.push_str("fn(");
                self.write_list(params, out);
                out.push_str(") -> ");
                self.write(result, out);
            }
            Type::Var(_) | Type::Generic(_) => {
                let name = self.variable_name(ty, None);
                out.push_str(&name);
            }
        })
    }

    /// Types separated by commas; one `…` for all those past the budget.
    fn write_list(&mut self, types: &[Type], out: &mut String) {
        for (i, ty) in types.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if self.left == 0 {
                out.push('…');
                return;
            }
            self.write(ty, out);
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&TypePrinter::default().print(self))
    }
}

/// Parses a type as written in the standard library table:
/// `fn(List<a>, fn(a) -> b) -> List<b>`. Lower-case names are generics,
/// numbered in order of appearance; `number`, `comparable`, `data` and
/// `equatable` (no `Secret` inside) carry constraints.
pub fn parse_signature(text: &str) -> Result<Scheme, String> {
    let tokens = tokenize(text);
    let mut parser = SignatureParser { tokens, position: 0, generics: Vec::new() };
    let ty = parser.ty()?;
    if parser.position != parser.tokens.len() {
        return Err(format!("unexpected `{}` in `{text}`", parser.tokens[parser.position]));
    }
    let generics = parser
        .generics
        .iter()
        .map(|name| match name.as_str() {
            "number" => Constraint::Number,
            "comparable" => Constraint::Comparable,
            "data" => Constraint::Data,
            "equatable" => Constraint::Public,
            _ => Constraint::None,
        })
        .collect();
    Ok(Scheme { generics, ty })
}

fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' => {}
            '-' if chars.peek() == Some(&'>') => {
                chars.next();
                tokens.push("->".to_string());
            }
            '(' | ')' | '<' | '>' | ',' => tokens.push(c.to_string()),
            _ => {
                let mut word = c.to_string();
                while let Some(&next) = chars.peek() {
                    if next.is_alphanumeric() || next == '.' || next == '_' {
                        word.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(word);
            }
        }
    }
    tokens
}

struct SignatureParser {
    tokens: Vec<String>,
    position: usize,
    generics: Vec<String>,
}

impl SignatureParser {
    fn next(&mut self) -> Option<String> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.position).map(String::as_str)
    }

    fn expect(&mut self, expected: &str) -> Result<(), String> {
        match self.next() {
            Some(token) if token == expected => Ok(()),
            other => Err(format!("expected `{expected}`, found {other:?}")),
        }
    }

    fn list(&mut self, close: &str) -> Result<Vec<Type>, String> {
        let mut types = Vec::new();
        while self.peek() != Some(close) {
            types.push(self.ty()?);
            if self.peek() == Some(",") {
                self.position += 1;
            }
        }
        self.expect(close)?;
        Ok(types)
    }

    fn ty(&mut self) -> Result<Type, String> {
        let token = self.next().ok_or("unexpected end of signature")?;
        match token.as_str() {
            "fn" => {
                self.expect("(")?;
                let params = self.list(")")?;
                self.expect("->")?;
                Ok(Type::function(params, self.ty()?))
            }
            "(" => {
                self.expect(")")?;
                Ok(Type::unit())
            }
            name if name.starts_with(char::is_lowercase) => {
                let index = match self.generics.iter().position(|g| g == name) {
                    Some(index) => index,
                    None => {
                        self.generics.push(name.to_string());
                        self.generics.len() - 1
                    }
                };
                Ok(Type::Generic(index as u32))
            }
            name => {
                let args = if self.peek() == Some("<") {
                    self.position += 1;
                    self.list(">")?
                } else {
                    Vec::new()
                };
                Ok(Type::app(name, args))
            }
        }
    }
}
