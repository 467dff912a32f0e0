//! Lowering: tree-sitter's concrete syntax tree → [`ast`](super::ast).
//!
//! Never fails: ERROR and MISSING nodes become [`SyntaxError`]s and the parts
//! around them are still lowered, with [`ExprKind::Error`] standing in for what
//! is missing. This is what lets the canvas analyse half-typed code.
//!
//! The grammar is layout-free, so a `match` nested in a non-last arm takes all
//! the arms after it. This module applies Gloam's one layout rule: an arm whose
//! `|` is less indented than the arms of the match it was parsed into belongs
//! to an enclosing match (see `arm_column`).

use super::ast::*;
use super::error::MAX_NESTING;
pub use super::error::SyntaxError;
use super::literal::{self, BadNumber, Number};
use super::recovery;
use tree_sitter::Node;

/// Lowers a whole parse tree. A file with a syntax error is lowered again one
/// declaration at a time (`recovery::declaration_ranges`), each parsed on its
/// own: a mistake never reaches past its declaration, and every other
/// declaration is lowered and checked as if it were alone.
pub fn lower(source: &str, tree: &tree_sitter::Tree) -> (Module, Vec<SyntaxError>) {
    if !tree.root_node().has_error() {
        let mut lowerer = Lowerer::new(source, 0, None, 0);
        let items = lowerer.items(tree.root_node());
        return (Module { items, expr_count: lowerer.next_id }, lowerer.errors);
    }
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let mut next_id = 0;
    for range in recovery::declaration_ranges(source) {
        let text = &source[range.clone()];
        let tree = super::parse_tree(text);
        let (declaration, declaration_errors, ids) = lower_declaration(text, range.start, &tree, next_id);
        items.extend(declaration);
        errors.extend(declaration_errors);
        next_id = ids;
    }
    (Module { items, expr_count: next_id }, errors)
}

/// Lowers one declaration parsed on its own (`text` starts at `offset` in the
/// file), with ids from `next_id` on. A broken declaration gets one syntax
/// error. One that ends too early (the code being typed) is still lowered up
/// to where it stops, so it can be checked and run; any other keeps only its
/// name, parameters and types, with an error hole for a body, so that its
/// callers are still checked and nothing in it cascades.
fn lower_declaration(
    text: &str,
    offset: usize,
    tree: &tree_sitter::Tree,
    next_id: u32,
) -> (Vec<Item>, Vec<SyntaxError>, u32) {
    let root = tree.root_node();
    let mut lowerer = Lowerer::new(text, offset, None, next_id);
    lowerer.report_tree_errors(root);
    let items = lowerer.items(root);
    let is_parse_error = |error: &SyntaxError| {
        matches!(error, SyntaxError::Unexpected { .. } | SyntaxError::Incomplete { .. } | SyntaxError::Missing { .. })
    };
    let (parse_errors, other_errors): (Vec<SyntaxError>, Vec<SyntaxError>) =
        lowerer.errors.into_iter().partition(|error| is_parse_error(error));
    let Some(first) = parse_errors.into_iter().min_by_key(|error| error.span().start) else {
        return (items, other_errors, lowerer.next_id);
    };
    let first_at = (first.span().start as usize).saturating_sub(offset);
    if let Some(error) = recovery::diagnose(text, offset, first_at) {
        return header_only(text, offset, next_id, error);
    }
    let ends_early = match first {
        SyntaxError::Incomplete { .. } => true,
        SyntaxError::Missing { span, .. } => span.start as usize >= offset + text.trim_end().len(),
        _ => false,
    };
    if ends_early {
        let mut errors = vec![first];
        errors.extend(other_errors);
        return (items, errors, lowerer.next_id);
    }
    header_only(text, offset, next_id, first)
}

/// A broken declaration as its header (`fn name(params) -> Type =`) with an
/// error hole for a body, reported by `error` alone; nothing when even the
/// header does not parse.
fn header_only(text: &str, offset: usize, next_id: u32, error: SyntaxError) -> (Vec<Item>, Vec<SyntaxError>, u32) {
    let tokens = recovery::tokens(text);
    let mut depth = 0i32;
    let equals = tokens.iter().find(|token| {
        match token.text {
            "(" | "[" | "{" | "<" => depth += 1,
            ")" | "]" | "}" | ">" => depth -= 1,
            _ => {}
        }
        depth == 0 && token.text == "=" && token.kind == recovery::TokenKind::Punctuation
    });
    let header_end = match equals {
        Some(equals) if recovery::declares_body(&tokens) => equals.start + 1,
        _ => return (Vec::new(), vec![error], next_id),
    };
    let repaired = format!("{} ()", &text[..header_end]);
    let tree = super::parse_tree(&repaired);
    if tree.root_node().has_error() {
        return (Vec::new(), vec![error], next_id);
    }
    let mut lowerer = Lowerer::new(&repaired, offset, Some(header_end), next_id);
    let items = lowerer.items(tree.root_node());
    let mut errors = vec![error];
    errors.extend(lowerer.errors);
    (items, errors, lowerer.next_id)
}

/// Keywords that start a declaration.
const DECLARATION_KEYWORDS: &[&str] = &["type", "fn", "handler", "db", "worker", "cron"];

/// Text appended to a declaration that ends too early, to find its structure:
/// a `()` hole for a missing operand or value, a body for a `let`, the rest of
/// an `if` or a match arm, closing brackets. Shortest first.
fn completions() -> Vec<String> {
    let holes = ["", " ()"];
    let middles = [
        "",
        " then () else ()",
        " else ()",
        " -> ()",
        "\n| _ -> ()",
        " with\n| _ -> ()",
        ")",
        "]",
        "}",
        "))",
        ")]",
        "])",
        " }",
    ];
    let bodies = ["", "\n()"];
    let mut all = Vec::new();
    for middle in middles {
        for hole in holes {
            for body in bodies {
                all.push(format!("{hole}{middle}{body}"));
            }
        }
    }
    all.retain(|completion| !completion.is_empty());
    all.sort_by_key(String::len);
    all
}

struct Lowerer<'s> {
    source: &'s str,
    next_id: u32,
    errors: Vec<SyntaxError>,
    /// Arms that a nested match parsed but that, by indentation, belong to an
    /// enclosing match. Always arms from the right edge of the last lowered expression.
    orphan_arms: Vec<Node<'s>>,
    /// How many matches enclose the expression being lowered.
    match_depth: u32,
    /// How many expressions and patterns enclose the one being lowered.
    nesting: u32,
    /// Where `source` starts in the original text (non-zero for a repaired declaration).
    offset: usize,
    /// In a repaired declaration, where the appended completion starts.
    hole: Option<usize>,
}

/// Named children, without comments and ERROR nodes (those are reported once, up front).
fn named_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).filter(|child| child.kind() != "comment" && !child.is_error()).collect()
}

fn field_children<'t>(node: Node<'t>, field: &str) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.children_by_field_name(field, &mut cursor).filter(|child| !child.is_error()).collect()
}

impl<'s> Lowerer<'s> {
    fn new(source: &'s str, offset: usize, hole: Option<usize>, next_id: u32) -> Self {
        Lowerer {
            source,
            next_id,
            errors: Vec::new(),
            orphan_arms: Vec::new(),
            match_depth: 0,
            nesting: 0,
            offset,
            hole,
        }
    }

    /// The declarations under `root`; those that end too early are repaired.
    fn items(&mut self, root: Node<'s>) -> Vec<Item> {
        let mut items = Vec::new();
        let mut cursor = root.walk();
        let children: Vec<Node<'s>> = root.named_children(&mut cursor).collect();
        for node in children {
            let item = if node.is_error() { self.repaired_item(node) } else { self.item(node) };
            items.extend(item);
        }
        items
    }

    /// Says what the declaration that was just reported as ending too early
    /// was missing, from the completion that made it parse.
    fn describe_incompleteness(&mut self, completion: &str) {
        let Some(SyntaxError::Incomplete { expected, .. }) = self.errors.last_mut() else { return };
        if expected.is_some() {
            return;
        }
        let first = completion.split_whitespace().next().unwrap_or("");
        *expected = Some(match first {
            "()" => "an expression".to_string(),
            "|" => "a match arm (`| pattern -> expression`)".to_string(),
            token => format!("`{token}`"),
        });
    }

    /// A declaration that failed to parse because it ends too early (the code
    /// being typed), lowered from the first completion that makes it parse.
    /// What the completion adds is lowered as errors: its syntax error stays
    /// reported, and the rest of the declaration can still be checked and run.
    fn repaired_item(&mut self, error: Node) -> Option<Item> {
        let first = error.child(0)?;
        if !DECLARATION_KEYWORDS.contains(&first.kind()) || recovery::culprit(error).is_some() {
            return None;
        }
        let text = &self.source[error.byte_range()];
        for completion in completions() {
            let repaired = format!("{text}{completion}");
            let tree = super::parse_tree(&repaired);
            let root = tree.root_node();
            if root.has_error() || root.named_child_count() != 1 {
                continue;
            }
            let node = root.named_child(0)?;
            self.describe_incompleteness(&completion);
            let mut sub = Lowerer::new(&repaired, self.offset + error.start_byte(), Some(text.len()), self.next_id);
            let item = sub.item(node);
            self.next_id = sub.next_id;
            self.errors.extend(sub.errors);
            return item;
        }
        None
    }
    fn text(&self, node: Node) -> &'s str {
        &self.source[node.byte_range()]
    }

    /// A node's span in the original source. In a repaired declaration, text
    /// from the appended completion on is clamped to where the real text ends.
    fn span(&self, node: Node) -> Span {
        let end = self.hole.map_or(node.end_byte(), |hole| node.end_byte().min(hole));
        Span::new(node.start_byte().min(end) + self.offset, end + self.offset)
    }

    fn in_hole(&self, node: Node) -> bool {
        self.hole.is_some_and(|hole| node.start_byte() >= hole)
    }

    fn name(&self, node: Node) -> Name {
        Name { text: self.text(node).to_string(), span: self.span(node) }
    }

    fn fresh_id(&mut self) -> ExprId {
        let id = ExprId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Reports every ERROR and MISSING node. Iterative: error trees can be
    /// deeper than the stack allows recursion.
    fn report_tree_errors(&mut self, root: Node) {
        let mut pending = vec![root];
        while let Some(node) = pending.pop() {
            if node.is_missing() {
                let language: tree_sitter::Language = tree_sitter_gloam::LANGUAGE.into();
                let expected = if node.kind() == "identifier" {
                    // Error recovery inserts the cheapest token; in practice an expression is missing.
                    "an expression".to_string()
                } else {
                    recovery::describe_symbol(&language, node.kind_id()).unwrap_or_else(|| "more code".to_string())
                };
                self.errors.push(SyntaxError::Missing { expected, span: self.span(node) });
            } else if node.is_error() {
                let Some((node, state)) = recovery::culprit(node) else {
                    // Every token parsed: the declaration stopped before it was complete.
                    let last = node.child(node.child_count().saturating_sub(1)).unwrap_or(node);
                    let expected = recovery::expected_at(last.next_parse_state());
                    self.errors.push(SyntaxError::Incomplete { expected, span: self.span(last) });
                    continue;
                };
                let word_end = self.source[node.end_byte()..]
                    .find(|c: char| !c.is_alphanumeric() && c != '_')
                    .map_or(self.source.len(), |offset| node.end_byte() + offset);
                // A token split by recovery (`I` of `Int`) is shown whole.
                let local = if node.is_error() { node.start_byte()..word_end } else { node.byte_range() };
                let node_span = Span::new(local.start + self.offset, local.end + self.offset);
                let text = self.source[local].trim();
                let found = if text.is_empty() {
                    "end of input".to_string()
                } else {
                    let first_line = text.lines().next().unwrap_or(text);
                    let shown: String = first_line.chars().take(40).collect();
                    let ellipsis = if shown.len() < text.len() { "…" } else { "" };
                    format!("`{shown}{ellipsis}`")
                };
                let expected = recovery::expected_at(state);
                self.errors.push(SyntaxError::Unexpected { found, expected, span: node_span });
            } else if node.has_error() {
                let mut cursor = node.walk();
                let children: Vec<Node> = node.children(&mut cursor).collect();
                pending.extend(children.into_iter().rev());
            }
        }
    }

    fn item(&mut self, node: Node<'s>) -> Option<Item> {
        let kind = match node.kind() {
            "type_declaration" => ItemKind::Type(self.type_declaration(node)?),
            "function_declaration" => ItemKind::Function(FunctionDecl {
                name: self.name(node.child_by_field_name("name")?),
                parameters: self.parameters(node),
                return_type: node.child_by_field_name("return_type").map(|ty| self.type_expr(ty)),
                body: self.body(node),
            }),
            "handler_declaration" => ItemKind::Handler(HandlerDecl {
                method: self.text(node.child_by_field_name("method")?).to_string(),
                route: self.name(node.child_by_field_name("path")?),
                body: self.body(node),
            }),
            "datastore_declaration" => ItemKind::Datastore(DatastoreDecl {
                name: self.name(node.child_by_field_name("name")?),
                ty: self.type_expr(node.child_by_field_name("type")?),
            }),
            "worker_declaration" => {
                let parameters = self.parameters(node);
                if parameters.len() != 1 {
                    let at = node.child_by_field_name("parameters").unwrap_or(node);
                    self.errors.push(SyntaxError::WorkerArity { span: self.span(at) });
                }
                ItemKind::Worker(WorkerDecl {
                    name: self.name(node.child_by_field_name("name")?),
                    parameters,
                    body: self.body(node),
                })
            }
            "cron_declaration" => {
                let schedule = node.child_by_field_name("schedule")?;
                let text = self.plain_string(schedule);
                ItemKind::Cron(CronDecl {
                    schedule: Name { text, span: self.span(schedule) },
                    name: self.name(node.child_by_field_name("name")?),
                    body: self.body(node),
                })
            }
            _ => return None,
        };
        Some(Item { kind, span: self.span(node) })
    }

    fn type_declaration(&mut self, node: Node<'s>) -> Option<TypeDecl> {
        let parameters = match node.child_by_field_name("parameters") {
            Some(params) => named_children(params).into_iter().map(|p| self.name(p)).collect(),
            None => Vec::new(),
        };
        let definition = node.child_by_field_name("definition")?;
        let body = match definition.kind() {
            "record_type" => TypeBody::Record(
                named_children(definition)
                    .into_iter()
                    .filter_map(|field| {
                        Some(FieldDecl {
                            name: self.name(field.child_by_field_name("name")?),
                            ty: self.type_expr(field.child_by_field_name("type")?),
                        })
                    })
                    .collect(),
            ),
            _ => TypeBody::Variant(
                named_children(definition)
                    .into_iter()
                    .filter_map(|case| {
                        Some(VariantCase {
                            name: self.name(case.child_by_field_name("name")?),
                            payload: field_children(case, "payload").into_iter().map(|ty| self.type_expr(ty)).collect(),
                        })
                    })
                    .collect(),
            ),
        };
        Some(TypeDecl { name: self.name(node.child_by_field_name("name")?), parameters, body })
    }

    fn parameters(&mut self, node: Node<'s>) -> Vec<Parameter> {
        let Some(list) = node.child_by_field_name("parameters") else { return Vec::new() };
        named_children(list)
            .into_iter()
            .filter_map(|param| {
                Some(Parameter {
                    name: self.name(param.child_by_field_name("name")?),
                    ty: param.child_by_field_name("type").map(|ty| self.type_expr(ty)),
                })
            })
            .collect()
    }

    fn type_expr(&mut self, node: Node<'s>) -> TypeExpr {
        self.nested(node, 1, |this| this.type_expr_inner(node))
            .unwrap_or(TypeExpr { kind: TypeExprKind::Error, span: self.span(node) })
    }

    fn type_expr_inner(&mut self, node: Node<'s>) -> TypeExpr {
        let kind = match node.kind() {
            "type_application" => match node.child_by_field_name("name") {
                Some(name) => TypeExprKind::Named {
                    name: self.name(name),
                    arguments: field_children(node, "argument").into_iter().map(|arg| self.type_expr(arg)).collect(),
                },
                None => TypeExprKind::Error,
            },
            "function_type" => match node.child_by_field_name("result") {
                Some(result) => TypeExprKind::Function {
                    parameters: field_children(node, "parameter")
                        .into_iter()
                        .map(|param| self.type_expr(param))
                        .collect(),
                    result: Box::new(self.type_expr(result)),
                },
                None => TypeExprKind::Error,
            },
            "unit_type" => TypeExprKind::Unit,
            "type_variable" => TypeExprKind::Variable(self.name(node)),
            _ => TypeExprKind::Error,
        };
        TypeExpr { kind, span: self.span(node) }
    }

    /// The body of a declaration, at nesting level 0.
    fn body(&mut self, node: Node<'s>) -> Expr {
        self.field_at(node, "body", 0)
    }

    /// A field's expression, one level deeper than `node`.
    fn field_expr(&mut self, node: Node<'s>, field: &str) -> Expr {
        self.field_at(node, field, 1)
    }

    fn field_at(&mut self, node: Node<'s>, field: &str, levels: u32) -> Expr {
        match node.child_by_field_name(field) {
            Some(child) if !child.is_missing() => self.expr_at(child, levels),
            _ => self.error_expr(Span::new(node.end_byte() + self.offset, node.end_byte() + self.offset)),
        }
    }

    fn error_expr(&mut self, span: Span) -> Expr {
        Expr { id: self.fresh_id(), span, kind: ExprKind::Error }
    }

    /// Runs `lower` `levels` deeper (see [`MAX_NESTING`] for what a level is),
    /// or reports the nesting limit (once per outermost offender) and returns
    /// `None`. The stack grows as needed: chains are not levels but are deep trees.
    fn nested<T>(&mut self, node: Node<'s>, levels: u32, lower: impl FnOnce(&mut Self) -> T) -> Option<T> {
        if self.nesting + levels > MAX_NESTING {
            if !matches!(self.errors.last(), Some(SyntaxError::TooDeep { .. })) {
                self.errors.push(SyntaxError::TooDeep { span: self.span(node) });
            }
            return None;
        }
        self.nesting += levels;
        let result = crate::stack::grow(64 * 1024, 1024 * 1024, || lower(self));
        self.nesting -= levels;
        Some(result)
    }

    /// An expression one level deeper than its parent.
    fn expr(&mut self, node: Node<'s>) -> Expr {
        self.expr_at(node, 1)
    }

    /// An expression that continues its parent's chain, at the same level.
    fn chained(&mut self, node: Node<'s>) -> Expr {
        self.expr_at(node, 0)
    }

    fn expr_at(&mut self, node: Node<'s>, levels: u32) -> Expr {
        match self.nested(node, levels, |this| this.expr_inner(node)) {
            Some(expr) => expr,
            None => self.error_expr(self.span(node)),
        }
    }

    fn expr_inner(&mut self, node: Node<'s>) -> Expr {
        if node.is_missing() || self.in_hole(node) {
            return self.error_expr(self.span(node));
        }
        if node.kind() == "block" || node.kind() == "parenthesized_expression" {
            let statements = named_children(node);
            return match statements.len() {
                0 => self.error_expr(self.span(node)),
                1 => {
                    // A block continues its parent; parentheses nest.
                    let levels = if node.kind() == "parenthesized_expression" { 1 } else { 0 };
                    let mut expr = self.expr_at(statements[0], levels);
                    if node.kind() == "parenthesized_expression" {
                        expr.span = self.span(node);
                    }
                    expr
                }
                _ => {
                    let id = self.fresh_id();
                    let items = statements.into_iter().map(|s| self.chained(s)).collect();
                    Expr { id, span: self.span(node), kind: ExprKind::Sequence(items) }
                }
            };
        }
        let id = self.fresh_id();
        let kind = self.expr_kind(node);
        Expr { id, span: self.span(node), kind }
    }

    fn boxed(&mut self, node: Node<'s>, field: &str) -> Box<Expr> {
        Box::new(self.field_expr(node, field))
    }

    fn boxed_chained(&mut self, node: Node<'s>, field: &str) -> Box<Expr> {
        Box::new(self.field_at(node, field, 0))
    }

    fn expr_kind(&mut self, node: Node<'s>) -> ExprKind {
        match node.kind() {
            "integer" | "float" => match self.number(node, false) {
                Some(Number::Int(value)) => ExprKind::Int(value),
                Some(Number::Float(value)) => ExprKind::Float(value),
                None => ExprKind::Error,
            },
            "string" => ExprKind::String(self.string_parts(node)),
            "char" => match self.char_literal(node) {
                Some(c) => ExprKind::Char(c),
                None => ExprKind::Error,
            },
            "boolean" => ExprKind::Bool(self.text(node) == "true"),
            "unit" => ExprKind::Unit,
            "identifier" => ExprKind::Variable(self.text(node).to_string()),
            "constructor" => ExprKind::Constructor(self.text(node).to_string()),
            "qualified_identifier" => match (node.child_by_field_name("module"), node.child_by_field_name("name")) {
                (Some(module), Some(name)) => {
                    ExprKind::Qualified { module: self.text(module).to_string(), name: self.text(name).to_string() }
                }
                _ => ExprKind::Error,
            },
            "list_expression" => ExprKind::List(named_children(node).into_iter().map(|item| self.expr(item)).collect()),
            "record_expression" => ExprKind::Record {
                type_name: node.child_by_field_name("type").map(|ty| self.name(ty)),
                fields: self.field_inits(node),
            },
            "dict_expression" => {
                let mut entries = Vec::new();
                for entry in named_children(node) {
                    let Some(key) = entry.child_by_field_name("key") else { continue };
                    if named_children(key).iter().any(|part| part.kind() == "interpolation") {
                        self.errors.push(SyntaxError::InterpolatedKey { span: self.span(key) });
                    }
                    let key = self.plain_string(key);
                    entries.push((key, self.field_expr(entry, "value")));
                }
                ExprKind::Dict(entries)
            }
            "record_update" => {
                ExprKind::RecordUpdate { record: self.boxed(node, "record"), fields: self.field_inits(node) }
            }
            "call_expression" => ExprKind::Call {
                callee: self.boxed_chained(node, "function"),
                type_arguments: node
                    .child_by_field_name("type_arguments")
                    .map(|args| named_children(args).into_iter().map(|ty| self.type_expr(ty)).collect())
                    .unwrap_or_default(),
                arguments: node
                    .child_by_field_name("arguments")
                    .map(|args| named_children(args).into_iter().map(|arg| self.expr(arg)).collect())
                    .unwrap_or_default(),
            },
            "field_expression" => match node.child_by_field_name("field") {
                Some(field) => {
                    let field = self.name(field);
                    ExprKind::Field { value: self.boxed_chained(node, "value"), field }
                }
                None => ExprKind::Error,
            },
            "let_expression" => {
                let pattern = self.field_pattern(node, "pattern");
                let annotation = node.child_by_field_name("type").map(|ty| self.type_expr(ty));
                ExprKind::Let {
                    pattern,
                    annotation,
                    value: self.boxed(node, "value"),
                    body: self.boxed_chained(node, "body"),
                }
            }
            "if_expression" => ExprKind::If {
                condition: self.boxed(node, "condition"),
                then_branch: self.boxed(node, "consequence"),
                // `else if` chains stay at one level.
                else_branch: match node.child_by_field_name("alternative") {
                    Some(alternative) if alternative.kind() == "if_expression" => {
                        self.boxed_chained(node, "alternative")
                    }
                    _ => self.boxed(node, "alternative"),
                },
            },
            "match_expression" => self.match_expression(node),
            "lambda" => ExprKind::Lambda {
                parameters: field_children(node, "parameter").into_iter().map(|p| self.name(p)).collect(),
                body: self.boxed(node, "body"),
            },
            "binary_expression" => {
                let op = node.child_by_field_name("operator").and_then(|op| BinaryOp::from_symbol(self.text(op)));
                match op {
                    Some(op) => ExprKind::Binary {
                        op,
                        left: self.boxed_chained(node, "left"),
                        right: self.boxed_chained(node, "right"),
                    },
                    None => ExprKind::Error,
                }
            }
            "pipe_expression" => {
                ExprKind::Pipe { left: self.boxed_chained(node, "left"), right: self.boxed_chained(node, "right") }
            }
            "unary_expression" => {
                let operand = node.child_by_field_name("operand");
                let is_negation = node.child_by_field_name("operator").is_some_and(|op| self.text(op) == "-");
                match operand {
                    // `-9223372036854775808` is an Int literal, not the negation of one.
                    Some(literal) if is_negation && self.is_int_literal(literal) => {
                        self.number(literal, true).map_or(ExprKind::Error, |number| match number {
                            Number::Int(value) => ExprKind::Int(value),
                            Number::Float(value) => ExprKind::Float(value),
                        })
                    }
                    _ => ExprKind::Unary {
                        op: if is_negation { UnaryOp::Negate } else { UnaryOp::Not },
                        operand: self.boxed(node, "operand"),
                    },
                }
            }
            "try_expression" => ExprKind::Try(self.boxed(node, "operand")),
            _ => ExprKind::Error,
        }
    }

    /// Whether a number token is an Int literal (decimal, `0x`, `0o`, `0b`).
    fn is_int_literal(&self, node: Node<'s>) -> bool {
        node.kind() == "integer"
            && matches!(literal::number(self.text(node), false), Ok(Number::Int(_)) | Err(BadNumber::IntTooLarge))
    }

    /// A number token's value, negated when `negative`, or its error reported.
    fn number(&mut self, node: Node<'s>, negative: bool) -> Option<Number> {
        let text = self.text(node);
        match literal::number(text, negative) {
            Ok(number) => Some(number),
            Err(BadNumber::IntTooLarge) => {
                let text = format!("{}{}", if negative { "-" } else { "" }, text.replace('_', ""));
                self.errors.push(SyntaxError::IntegerTooLarge { text, span: self.span(node) });
                None
            }
            Err(BadNumber::Invalid(problem)) => {
                self.errors.push(SyntaxError::InvalidNumber { text: text.to_string(), problem, span: self.span(node) });
                None
            }
        }
    }

    fn field_inits(&mut self, node: Node<'s>) -> Vec<FieldInit> {
        named_children(node)
            .into_iter()
            .filter(|child| child.kind() == "field_initializer")
            .filter_map(|init| {
                let name = self.name(init.child_by_field_name("name")?);
                Some(FieldInit { name, value: self.field_expr(init, "value") })
            })
            .collect()
    }

    /// The column arms of a match are aligned on. An arm that starts its line
    /// sits at its own column; an arm that shares a line with earlier code
    /// (`match x with | A -> ...`) is taken to be just right of that line's
    /// indentation, so that arms on following lines that are indented under it
    /// belong to the same match.
    fn arm_column(&self, arm: Node) -> usize {
        let line_start = self.source[..arm.start_byte()].rfind('\n').map_or(0, |i| i + 1);
        let before = &self.source[line_start..arm.start_byte()];
        let indentation = before.len() - before.trim_start().len();
        if before.trim().is_empty() { indentation } else { indentation + 1 }
    }

    fn match_expression(&mut self, node: Node<'s>) -> ExprKind {
        // A match in the scrutinee is not on the right edge: no arm can be
        // handed from it to this match, so it lowers as if it were outermost.
        let depth = std::mem::replace(&mut self.match_depth, 0);
        let scrutinee = self.boxed(node, "scrutinee");
        self.match_depth = depth;
        let mut pending: std::collections::VecDeque<Node<'s>> = named_children(node)
            .into_iter()
            .filter(|child| child.kind() == "match_arm" && !self.in_hole(*child))
            .collect();
        let column = pending.front().map_or(0, |&first| self.arm_column(first));
        let outermost = self.match_depth == 0;
        self.match_depth += 1;
        let mut arms = Vec::new();
        let mut orphans = Vec::new();
        while let Some(arm) = pending.pop_front() {
            if !arms.is_empty() && self.arm_column(arm) < column {
                if !outermost {
                    orphans.push(arm);
                    continue;
                }
                // No enclosing match can take it: keep it here, and say so.
                self.errors.push(SyntaxError::MisalignedArm { span: self.span(arm) });
            }
            arms.push(self.match_arm(arm));
            // Arms a nested match in this arm's body gave back: ours if aligned
            // with ours (the check above reports them when nobody else can take them).
            for orphan in std::mem::take(&mut self.orphan_arms).into_iter().rev() {
                if outermost || self.arm_column(orphan) >= column {
                    pending.push_front(orphan);
                } else {
                    orphans.insert(0, orphan);
                }
            }
        }
        self.match_depth -= 1;
        self.orphan_arms = orphans;
        ExprKind::Match { scrutinee, arms }
    }

    fn match_arm(&mut self, node: Node<'s>) -> MatchArm {
        let pattern = self.field_pattern(node, "pattern");
        let guard = node.child_by_field_name("guard").map(|guard| self.expr(guard));
        let body = self.field_expr(node, "body");
        MatchArm { pattern, guard, span: Span::new(self.span(node).start as usize, body.span.end as usize), body }
    }

    fn field_pattern(&mut self, node: Node<'s>, field: &str) -> Pattern {
        match node.child_by_field_name(field) {
            Some(child) if !child.is_missing() => self.pattern(child),
            _ => {
                let end = node.end_byte() + self.offset;
                Pattern { kind: PatternKind::Error, span: Span::new(end, end) }
            }
        }
    }

    fn pattern(&mut self, node: Node<'s>) -> Pattern {
        self.nested(node, 1, |this| this.pattern_inner(node))
            .unwrap_or(Pattern { kind: PatternKind::Error, span: self.span(node) })
    }

    fn pattern_inner(&mut self, node: Node<'s>) -> Pattern {
        if self.in_hole(node) {
            return Pattern { kind: PatternKind::Error, span: self.span(node) };
        }
        let kind = match node.kind() {
            "wildcard_pattern" => PatternKind::Wildcard,
            "identifier" => PatternKind::Variable(self.text(node).to_string()),
            "integer_pattern" | "float_pattern" => {
                let negative = node.child(0).is_some_and(|first| first.kind() == "-");
                match named_children(node).first().and_then(|number| self.number(*number, negative)) {
                    Some(Number::Int(value)) => PatternKind::Int(value),
                    Some(Number::Float(value)) => PatternKind::Float(value),
                    None => PatternKind::Error,
                }
            }
            "string" => {
                if named_children(node).iter().any(|part| part.kind() == "interpolation") {
                    self.errors.push(SyntaxError::InterpolatedKey { span: self.span(node) });
                }
                PatternKind::String(self.plain_string(node))
            }
            "char" => self.char_literal(node).map_or(PatternKind::Error, PatternKind::Char),
            "boolean" => PatternKind::Bool(self.text(node) == "true"),
            "unit" => PatternKind::Unit,
            "constructor_pattern" => match node.child_by_field_name("name") {
                Some(name) => PatternKind::Constructor {
                    name: self.name(name),
                    arguments: field_children(node, "argument").into_iter().map(|arg| self.pattern(arg)).collect(),
                },
                None => PatternKind::Error,
            },
            "list_pattern" => {
                let rest = node
                    .child_by_field_name("rest")
                    .map(|rest| named_children(rest).first().map(|name| self.name(*name)));
                let items = named_children(node)
                    .into_iter()
                    .filter(|child| child.kind() != "rest_pattern")
                    .map(|item| self.pattern(item))
                    .collect();
                PatternKind::List { items, rest }
            }
            _ => PatternKind::Error,
        };
        Pattern { kind, span: self.span(node) }
    }

    /// The parts of a string literal, escapes decoded.
    fn string_parts(&mut self, node: Node<'s>) -> Vec<StringPart> {
        let mut parts: Vec<StringPart> = Vec::new();
        let mut literal = String::new();
        for child in named_children(node) {
            match child.kind() {
                "string_fragment" => literal.push_str(self.text(child)),
                "escape_sequence" => match literal::escape(self.text(child)) {
                    Some(c) => literal.push(c),
                    None => self.errors.push(SyntaxError::InvalidEscape {
                        text: self.text(child).to_string(),
                        span: self.span(child),
                    }),
                },
                "interpolation" => {
                    if !literal.is_empty() {
                        parts.push(StringPart::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(StringPart::Interpolation(self.field_expr(child, "expression")));
                }
                _ => {}
            }
        }
        if !literal.is_empty() || parts.is_empty() {
            parts.push(StringPart::Literal(literal));
        }
        parts
    }

    /// A string literal's text, interpolations dropped (they are reported by the caller).
    fn plain_string(&mut self, node: Node<'s>) -> String {
        self.string_parts(node)
            .into_iter()
            .filter_map(|part| match part {
                StringPart::Literal(text) => Some(text),
                StringPart::Interpolation(_) => None,
            })
            .collect()
    }

    fn char_literal(&mut self, node: Node<'s>) -> Option<char> {
        let text = self.text(node);
        let inner = &text[1..text.len() - 1];
        let decoded = if inner.starts_with('\\') { literal::escape(inner) } else { inner.chars().next() };
        if decoded.is_none() {
            self.errors.push(SyntaxError::InvalidEscape { text: text.to_string(), span: self.span(node) });
        }
        decoded
    }
}
