//! The abstract syntax tree.
//!
//! Every expression carries an [`ExprId`], assigned in source order, and a
//! [`Span`]. Ids are dense (`0..Module::expr_count`), so per-expression facts
//! (types, live values) are plain vectors or maps indexed by id. The same
//! source always yields the same ids.

use serde::{Deserialize, Serialize};

/// A byte range in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// The stable identity of an expression within a [`Module`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExprId(pub u32);

impl ExprId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Module {
    pub items: Vec<Item>,
    /// Number of expression ids handed out: every id is below this.
    pub expr_count: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    Type(TypeDecl),
    Function(FunctionDecl),
    Handler(HandlerDecl),
    Datastore(DatastoreDecl),
    Worker(WorkerDecl),
    Cron(CronDecl),
}

impl Item {
    /// The name the item is known by: a function's name, `GET /path` for a handler.
    pub fn name(&self) -> String {
        match &self.kind {
            ItemKind::Type(decl) => decl.name.text.clone(),
            ItemKind::Function(decl) => decl.name.text.clone(),
            ItemKind::Handler(decl) => format!("{} {}", decl.method, decl.route.text),
            ItemKind::Datastore(decl) => decl.name.text.clone(),
            ItemKind::Worker(decl) => decl.name.text.clone(),
            ItemKind::Cron(decl) => decl.name.text.clone(),
        }
    }
}

impl ItemKind {
    /// The kind's name, as the editor API and the store spell it.
    pub fn name(&self) -> &'static str {
        match self {
            ItemKind::Type(_) => "type",
            ItemKind::Function(_) => "function",
            ItemKind::Handler(_) => "handler",
            ItemKind::Datastore(_) => "datastore",
            ItemKind::Worker(_) => "worker",
            ItemKind::Cron(_) => "cron",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeDecl {
    pub name: Name,
    pub parameters: Vec<Name>,
    pub body: TypeBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeBody {
    Record(Vec<FieldDecl>),
    Variant(Vec<VariantCase>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    pub name: Name,
    pub ty: TypeExpr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VariantCase {
    pub name: Name,
    pub payload: Vec<TypeExpr>,
}

/// A type as written in source.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExprKind {
    /// `Int`, `List<a>`, `Http.Response`.
    Named {
        name: Name,
        arguments: Vec<TypeExpr>,
    },
    /// `fn(Int, String) -> Bool`.
    Function {
        parameters: Vec<TypeExpr>,
        result: Box<TypeExpr>,
    },
    Unit,
    /// A lowercase type variable such as `a`.
    Variable(Name),
    /// A type that did not parse.
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: Name,
    pub ty: Option<TypeExpr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDecl {
    pub name: Name,
    pub parameters: Vec<Parameter>,
    pub return_type: Option<TypeExpr>,
    pub body: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HandlerDecl {
    /// Upper-case HTTP method, e.g. `GET`.
    pub method: String,
    pub route: Name,
    pub body: Expr,
}

impl HandlerDecl {
    /// The `:name` segments of the route, in order.
    pub fn route_parameters(&self) -> Vec<&str> {
        self.route.text.split('/').filter_map(|segment| segment.strip_prefix(':')).collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DatastoreDecl {
    pub name: Name,
    pub ty: TypeExpr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkerDecl {
    pub name: Name,
    pub parameters: Vec<Parameter>,
    pub body: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CronDecl {
    pub schedule: Name,
    pub name: Name,
    pub body: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub id: ExprId,
    pub span: Span,
    pub kind: ExprKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    Concat,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::NotEq => "!=",
            BinaryOp::Less => "<",
            BinaryOp::LessEq => "<=",
            BinaryOp::Greater => ">",
            BinaryOp::GreaterEq => ">=",
            BinaryOp::Concat => "++",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    pub fn from_symbol(symbol: &str) -> Option<BinaryOp> {
        BinaryOp::ALL.into_iter().find(|op| op.symbol() == symbol)
    }

    pub const ALL: [BinaryOp; 14] = [
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::NotEq,
        BinaryOp::Less,
        BinaryOp::LessEq,
        BinaryOp::Greater,
        BinaryOp::GreaterEq,
        BinaryOp::Concat,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
    ];

    /// Binding strength, as in the grammar: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 2,
            BinaryOp::And => 3,
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Less
            | BinaryOp::LessEq
            | BinaryOp::Greater
            | BinaryOp::GreaterEq => 4,
            BinaryOp::Concat => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 7,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Negate,
    Not,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StringPart {
    Literal(String),
    Interpolation(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldInit {
    pub name: Name,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MatchArm {
    pub pattern: Pattern,
    pub guard: Option<Expr>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    String(Vec<StringPart>),
    Char(char),
    Bool(bool),
    Unit,
    /// A lower-case name: a local, a parameter, a function, a datastore, a worker.
    Variable(String),
    /// `Module.name`: a standard library function.
    Qualified {
        module: String,
        name: String,
    },
    /// An upper-case name used as a value: a variant constructor such as `None` or `Some`.
    Constructor(String),
    List(Vec<Expr>),
    /// `{ a: 1 }` or `Todo { a: 1 }`.
    Record {
        type_name: Option<Name>,
        fields: Vec<FieldInit>,
    },
    /// `{ "key": value }`; `{}` is the empty dict.
    Dict(Vec<(String, Expr)>),
    /// `{ record with a: 1 }`.
    RecordUpdate {
        record: Box<Expr>,
        fields: Vec<FieldInit>,
    },
    Call {
        callee: Box<Expr>,
        type_arguments: Vec<TypeExpr>,
        arguments: Vec<Expr>,
    },
    Field {
        value: Box<Expr>,
        field: Name,
    },
    Let {
        pattern: Pattern,
        annotation: Option<TypeExpr>,
        value: Box<Expr>,
        body: Box<Expr>,
    },
    /// Expressions evaluated in order; the value is the last one's. Always two or more.
    Sequence(Vec<Expr>),
    If {
        condition: Box<Expr>,
        then_branch: Box<Expr>,
        else_branch: Box<Expr>,
    },
    Match {
        scrutinee: Box<Expr>,
        arms: Vec<MatchArm>,
    },
    Lambda {
        parameters: Vec<Name>,
        body: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    /// `left |> right`: `right` is a call that gets `left` as its first argument,
    /// or a function value applied to `left`.
    Pipe {
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `operand?`: unwraps `Ok`/`Some`, returns early on `Error`/`None`.
    Try(Box<Expr>),
    /// Source that did not parse; a diagnostic has been reported for it.
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub kind: PatternKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PatternKind {
    Wildcard,
    Variable(String),
    Int(i64),
    Float(f64),
    String(String),
    Char(char),
    Bool(bool),
    Unit,
    Constructor {
        name: Name,
        arguments: Vec<Pattern>,
    },
    /// `[a, b]`, or `[a, ...rest]` when `rest` is `Some` (`Some(None)` for a bare `...`).
    List {
        items: Vec<Pattern>,
        rest: Option<Option<Name>>,
    },
    Error,
}

impl Expr {
    /// Calls `visit` on each direct sub-expression, in source order.
    ///
    /// Walks that recurse through here are stack-safe: the stack grows (on
    /// the host) before each level, since long chains (`a + b + …`, `let`
    /// sequences) make trees far deeper than their nesting limit.
    pub fn for_each_child<'a>(&'a self, visit: impl FnMut(&'a Expr)) {
        crate::stack::grow(64 * 1024, 1024 * 1024, || self.for_each_child_here(visit))
    }

    fn for_each_child_here<'a>(&'a self, mut visit: impl FnMut(&'a Expr)) {
        match &self.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Char(_)
            | ExprKind::Bool(_)
            | ExprKind::Unit
            | ExprKind::Variable(_)
            | ExprKind::Qualified { .. }
            | ExprKind::Constructor(_)
            | ExprKind::Error => {}
            ExprKind::String(parts) => {
                for part in parts {
                    if let StringPart::Interpolation(expr) = part {
                        visit(expr);
                    }
                }
            }
            ExprKind::List(items) | ExprKind::Sequence(items) => items.iter().for_each(visit),
            ExprKind::Record { fields, .. } => fields.iter().for_each(|field| visit(&field.value)),
            ExprKind::Dict(entries) => entries.iter().for_each(|(_, value)| visit(value)),
            ExprKind::RecordUpdate { record, fields } => {
                visit(record);
                fields.iter().for_each(|field| visit(&field.value));
            }
            ExprKind::Call { callee, arguments, .. } => {
                visit(callee);
                arguments.iter().for_each(visit);
            }
            ExprKind::Field { value, .. } => visit(value),
            ExprKind::Let { value, body, .. } => {
                visit(value);
                visit(body);
            }
            ExprKind::If { condition, then_branch, else_branch } => {
                visit(condition);
                visit(then_branch);
                visit(else_branch);
            }
            ExprKind::Match { scrutinee, arms } => {
                visit(scrutinee);
                for arm in arms {
                    if let Some(guard) = &arm.guard {
                        visit(guard);
                    }
                    visit(&arm.body);
                }
            }
            ExprKind::Lambda { body, .. } => visit(body),
            ExprKind::Binary { left, right, .. } | ExprKind::Pipe { left, right } => {
                visit(left);
                visit(right);
            }
            ExprKind::Unary { operand, .. } | ExprKind::Try(operand) => visit(operand),
        }
    }
}

/// Long chains (`a + b + …`, `let` sequences) make trees deeper than the
/// nesting limit bounds; dropping them recursively could overflow the stack,
/// so a module takes its expressions apart one node at a time.
impl Drop for Module {
    fn drop(&mut self) {
        let mut pending: Vec<Expr> = Vec::new();
        for item in &mut self.items {
            let body = match &mut item.kind {
                ItemKind::Function(decl) => &mut decl.body,
                ItemKind::Handler(decl) => &mut decl.body,
                ItemKind::Worker(decl) => &mut decl.body,
                ItemKind::Cron(decl) => &mut decl.body,
                ItemKind::Type(_) | ItemKind::Datastore(_) => continue,
            };
            pending.push(std::mem::replace(body, Expr::hole()));
        }
        while let Some(mut expr) = pending.pop() {
            expr.take_children(&mut pending);
        }
    }
}

impl Expr {
    /// A placeholder left where a sub-expression was taken out.
    fn hole() -> Expr {
        Expr { id: ExprId(0), span: Span::default(), kind: ExprKind::Error }
    }

    /// Moves every direct sub-expression into `out`, leaving holes.
    fn take_children(&mut self, out: &mut Vec<Expr>) {
        let mut take = |expr: &mut Expr| out.push(std::mem::replace(expr, Expr::hole()));
        match &mut self.kind {
            ExprKind::String(parts) => parts.iter_mut().for_each(|part| {
                if let StringPart::Interpolation(expr) = part {
                    take(expr);
                }
            }),
            ExprKind::List(items) | ExprKind::Sequence(items) => items.iter_mut().for_each(take),
            ExprKind::Record { fields, .. } => fields.iter_mut().for_each(|field| take(&mut field.value)),
            ExprKind::Dict(entries) => entries.iter_mut().for_each(|(_, value)| take(value)),
            ExprKind::RecordUpdate { record, fields } => {
                take(record);
                fields.iter_mut().for_each(|field| take(&mut field.value));
            }
            ExprKind::Call { callee, arguments, .. } => {
                take(callee);
                arguments.iter_mut().for_each(take);
            }
            ExprKind::Field { value, .. } => take(value),
            ExprKind::Let { value, body, .. } => {
                take(value);
                take(body);
            }
            ExprKind::If { condition, then_branch, else_branch } => {
                take(condition);
                take(then_branch);
                take(else_branch);
            }
            ExprKind::Match { scrutinee, arms } => {
                take(scrutinee);
                for arm in arms {
                    if let Some(guard) = &mut arm.guard {
                        take(guard);
                    }
                    take(&mut arm.body);
                }
            }
            ExprKind::Lambda { body, .. } => take(body),
            ExprKind::Binary { left, right, .. } | ExprKind::Pipe { left, right } => {
                take(left);
                take(right);
            }
            ExprKind::Unary { operand, .. } | ExprKind::Try(operand) => take(operand),
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Char(_)
            | ExprKind::Bool(_)
            | ExprKind::Unit
            | ExprKind::Variable(_)
            | ExprKind::Qualified { .. }
            | ExprKind::Constructor(_)
            | ExprKind::Error => {}
        }
    }
}

impl Module {
    /// The body expression of every item that has one.
    pub fn bodies(&self) -> impl Iterator<Item = &Expr> {
        self.items.iter().filter_map(|item| match &item.kind {
            ItemKind::Function(decl) => Some(&decl.body),
            ItemKind::Handler(decl) => Some(&decl.body),
            ItemKind::Worker(decl) => Some(&decl.body),
            ItemKind::Cron(decl) => Some(&decl.body),
            ItemKind::Type(_) | ItemKind::Datastore(_) => None,
        })
    }
}
