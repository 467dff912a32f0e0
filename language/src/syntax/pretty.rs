//! AST → source text. The output parses back to the same AST (up to spans and
//! ids); property tests hold it to that. Parentheses are added wherever
//! precedence or the grammar's "extends as far as possible" constructs
//! (`let`, `if`, `match`, lambdas) would otherwise change the meaning.

use super::ast::*;

const INDENT: &str = "  ";

/// Prints a whole module, one blank line between declarations.
pub fn print_module(module: &Module) -> String {
    let items: Vec<String> = module.items.iter().map(print_item).collect();
    let mut out = items.join("\n\n");
    out.push('\n');
    out
}

pub fn print_item(item: &Item) -> String {
    let mut printer = Printer::default();
    match &item.kind {
        ItemKind::Type(decl) => {
            let parameters = if decl.parameters.is_empty() {
                String::new()
            } else {
                format!("<{}>", decl.parameters.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join(", "))
            };
            let body = match &decl.body {
                TypeBody::Record(fields) => format!(
                    "{{ {} }}",
                    fields
                        .iter()
                        .map(|f| format!("{}: {}", f.name.text, print_type(&f.ty)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                TypeBody::Variant(cases) => cases
                    .iter()
                    .map(|case| {
                        if case.payload.is_empty() {
                            format!("| {}", case.name.text)
                        } else {
                            let payload: Vec<String> = case.payload.iter().map(print_type).collect();
                            format!("| {}({})", case.name.text, payload.join(", "))
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            format!("type {}{parameters} = {body}", decl.name.text)
        }
        ItemKind::Function(decl) => {
            let result = decl.return_type.as_ref().map(|ty| format!(" -> {}", print_type(ty))).unwrap_or_default();
            let head = format!("fn {}({}){result} =", decl.name.text, print_parameters(&decl.parameters));
            printer.declaration(&head, &decl.body)
        }
        ItemKind::Handler(decl) => {
            printer.declaration(&format!("handler {} {} =", decl.method, decl.route.text), &decl.body)
        }
        ItemKind::Datastore(decl) => format!("db {}: {}", decl.name.text, print_type(&decl.ty)),
        ItemKind::Worker(decl) => {
            let head = format!("worker {}({}) =", decl.name.text, print_parameters(&decl.parameters));
            printer.declaration(&head, &decl.body)
        }
        ItemKind::Cron(decl) => {
            let head = format!("cron {} {} =", quote(&decl.schedule.text), decl.name.text);
            printer.declaration(&head, &decl.body)
        }
    }
}

fn print_parameters(parameters: &[Parameter]) -> String {
    parameters
        .iter()
        .map(|p| match &p.ty {
            Some(ty) => format!("{}: {}", p.name.text, print_type(ty)),
            None => p.name.text.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn print_type(ty: &TypeExpr) -> String {
    match &ty.kind {
        TypeExprKind::Named { name, arguments } if arguments.is_empty() => name.text.clone(),
        TypeExprKind::Named { name, arguments } => {
            format!("{}<{}>", name.text, arguments.iter().map(print_type).collect::<Vec<_>>().join(", "))
        }
        TypeExprKind::Function { parameters, result } => {
            format!(
                "fn({}) -> {}",
                parameters.iter().map(print_type).collect::<Vec<_>>().join(", "),
                print_type(result)
            )
        }
        TypeExprKind::Unit | TypeExprKind::Error => "()".to_string(),
        TypeExprKind::Variable(name) => name.text.clone(),
    }
}

pub fn print_pattern(pattern: &Pattern) -> String {
    match &pattern.kind {
        PatternKind::Wildcard | PatternKind::Error => "_".to_string(),
        PatternKind::Variable(name) => name.clone(),
        PatternKind::Int(n) => n.to_string(),
        PatternKind::Float(f) => float_literal(*f),
        PatternKind::String(s) => quote(s),
        PatternKind::Char(c) => char_literal(*c),
        PatternKind::Bool(b) => b.to_string(),
        PatternKind::Unit => "()".to_string(),
        PatternKind::Constructor { name, arguments } if arguments.is_empty() => name.text.clone(),
        PatternKind::Constructor { name, arguments } => {
            format!("{}({})", name.text, arguments.iter().map(print_pattern).collect::<Vec<_>>().join(", "))
        }
        PatternKind::List { items, rest } => {
            let mut parts: Vec<String> = items.iter().map(print_pattern).collect();
            match rest {
                Some(Some(name)) => parts.push(format!("...{}", name.text)),
                Some(None) => parts.push("...".to_string()),
                None => {}
            }
            format!("[{}]", parts.join(", "))
        }
    }
}

/// Prints one expression, as it would appear in a block at the top level.
pub fn print_expr(expr: &Expr) -> String {
    Printer::default().block(expr)
}

/// A Float literal that reads back as the same Float: always with a `.`.
fn float_literal(value: f64) -> String {
    let text = format!("{value:?}");
    match text.split_once('e') {
        Some((mantissa, exponent)) if !mantissa.contains('.') => format!("{mantissa}.0e{exponent}"),
        _ if text.contains('.') || text.contains('e') => text,
        _ => format!("{text}.0"),
    }
}

fn escape_char(c: char, quote: char) -> String {
    match c {
        '\n' => "\\n".into(),
        '\r' => "\\r".into(),
        '\t' => "\\t".into(),
        '\0' => "\\0".into(),
        '\\' => "\\\\".into(),
        '$' => "\\$".into(),
        c if c == quote => format!("\\{c}"),
        c if c.is_control() => format!("\\u{{{:x}}}", c as u32),
        c => c.to_string(),
    }
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.chars().map(|c| escape_char(c, '"')).collect::<String>())
}

fn char_literal(c: char) -> String {
    match c {
        '$' => "'$'".to_string(),
        c => format!("'{}'", escape_char(c, '\'')),
    }
}

/// Binding strength, as in the grammar's PREC table.
fn precedence(expr: &Expr) -> i8 {
    match &expr.kind {
        ExprKind::Lambda { .. } => -2,
        ExprKind::Let { .. } | ExprKind::If { .. } | ExprKind::Match { .. } | ExprKind::Sequence(_) => -1,
        ExprKind::Pipe { .. } => 1,
        ExprKind::Binary { op, .. } => op.precedence() as i8,
        ExprKind::Unary { .. } => 8,
        ExprKind::Int(n) if *n < 0 => 8,
        ExprKind::Try(_) => 9,
        _ => 10,
    }
}

#[derive(Default)]
struct Printer {
    depth: usize,
}

impl Printer {
    fn newline(&self) -> String {
        format!("\n{}", INDENT.repeat(self.depth))
    }

    fn indented<T>(&mut self, f: impl FnOnce(&mut Printer) -> T) -> T {
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn declaration(&mut self, head: &str, body: &Expr) -> String {
        let body = self.indented(|printer| format!("{}{}", printer.newline(), printer.block(body)));
        format!("{head}{body}")
    }

    /// In a block: sequences and `let` print as lines.
    fn block(&mut self, expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::Sequence(items) => {
                let newline = self.newline();
                let mut lines = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let line = self.statement(item);
                    lines.push(if i > 0 { self.following(line, item) } else { line });
                }
                lines.join(&newline)
            }
            ExprKind::Let { pattern, annotation, value, body } => {
                let annotation = annotation.as_ref().map(|ty| format!(": {}", print_type(ty))).unwrap_or_default();
                let value = self.operand(value, 0);
                let body_text = self.block(body);
                let body_text = self.following(body_text, body);
                format!("let {}{annotation} = {value}{}{body_text}", print_pattern(pattern), self.newline())
            }
            _ => self.delimited(expr),
        }
    }

    /// A statement of a sequence: anything but a nested sequence or a `let`
    /// (whose body would take the following statements).
    fn statement(&mut self, expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::Sequence(_) | ExprKind::Let { .. } => self.parenthesized(expr),
            _ => self.delimited(expr),
        }
    }

    /// A line after an expression: one starting with `-` would continue it as a
    /// subtraction, one starting with `{` as a record literal; parenthesize those.
    fn following(&mut self, line: String, expr: &Expr) -> String {
        if line.starts_with(['-', '{']) { self.parenthesized(expr) } else { line }
    }

    fn parenthesized(&mut self, expr: &Expr) -> String {
        let inner = self.indented(|printer| printer.block(expr));
        format!("({inner})")
    }

    /// Where the next token cannot continue the expression (an argument, a
    /// list element, a field value): control constructs need no parentheses.
    fn delimited(&mut self, expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::Sequence(_) => self.parenthesized(expr),
            ExprKind::Let { .. } => self.parenthesized(expr),
            ExprKind::If { condition, then_branch, else_branch } => format!(
                "if {} then {} else {}",
                self.operand(condition, 0),
                self.operand(then_branch, 0),
                self.operand(else_branch, 0)
            ),
            ExprKind::Match { scrutinee, arms } => {
                let scrutinee = self.operand(scrutinee, 0);
                let arms: Vec<String> = self.indented(|printer| {
                    arms.iter()
                        .map(|arm| {
                            let guard = arm
                                .guard
                                .as_ref()
                                .map(|g| format!(" when {}", printer.operand(g, 0)))
                                .unwrap_or_default();
                            format!(
                                "{}| {}{guard} -> {}",
                                printer.newline(),
                                print_pattern(&arm.pattern),
                                printer.operand(&arm.body, 0)
                            )
                        })
                        .collect()
                });
                format!("match {scrutinee} with{}", arms.concat())
            }
            ExprKind::Lambda { parameters, body } => {
                let parameters: Vec<&str> = parameters.iter().map(|p| p.text.as_str()).collect();
                format!("\\{} -> {}", parameters.join(", "), self.operand(body, 0))
            }
            _ => self.operand(expr, 0),
        }
    }

    /// Where more may follow: control constructs are parenthesized, and so is
    /// anything binding looser than `minimum`.
    fn operand(&mut self, expr: &Expr, minimum: i8) -> String {
        let own = precedence(expr);
        if own < 0 || own < minimum {
            return self.parenthesized(expr);
        }
        match &expr.kind {
            ExprKind::Int(n) => n.to_string(),
            ExprKind::Float(f) => float_literal(*f),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Char(c) => char_literal(*c),
            ExprKind::Unit => "()".to_string(),
            ExprKind::Error => "()".to_string(),
            ExprKind::String(parts) => {
                let mut text = String::from("\"");
                for part in parts {
                    match part {
                        StringPart::Literal(literal) => text.extend(literal.chars().map(|c| escape_char(c, '"'))),
                        StringPart::Interpolation(inner) => {
                            let inner = self.block(inner);
                            text.push_str(&format!("${{{inner}}}"));
                        }
                    }
                }
                text.push('"');
                text
            }
            ExprKind::Variable(name) | ExprKind::Constructor(name) => name.clone(),
            ExprKind::Qualified { module, name } => format!("{module}.{name}"),
            ExprKind::List(items) => {
                let items: Vec<String> = items.iter().map(|item| self.delimited(item)).collect();
                format!("[{}]", items.join(", "))
            }
            ExprKind::Record { type_name, fields } => {
                let prefix = type_name.as_ref().map(|name| format!("{} ", name.text)).unwrap_or_default();
                format!("{prefix}{{ {} }}", self.fields(fields))
            }
            ExprKind::Dict(entries) if entries.is_empty() => "{}".to_string(),
            ExprKind::Dict(entries) => {
                let entries: Vec<String> =
                    entries.iter().map(|(key, value)| format!("{}: {}", quote(key), self.delimited(value))).collect();
                format!("{{ {} }}", entries.join(", "))
            }
            ExprKind::RecordUpdate { record, fields } => {
                format!("{{ {} with {} }}", self.delimited(record), self.fields(fields))
            }
            ExprKind::Call { callee, type_arguments, arguments } => {
                let callee = self.operand(callee, 10);
                let type_arguments = if type_arguments.is_empty() {
                    String::new()
                } else {
                    format!("<{}>", type_arguments.iter().map(print_type).collect::<Vec<_>>().join(", "))
                };
                let arguments: Vec<String> = arguments.iter().map(|arg| self.delimited(arg)).collect();
                format!("{callee}{type_arguments}({})", arguments.join(", "))
            }
            ExprKind::Field { value, field } => {
                // `A.b` would read as the qualified name of a function.
                let value = match &value.kind {
                    ExprKind::Constructor(_) => self.parenthesized(value),
                    _ => self.operand(value, 10),
                };
                format!("{value}.{}", field.text)
            }
            ExprKind::Binary { op, left, right } => {
                let own = op.precedence() as i8;
                format!("{} {} {}", self.operand(left, own), op.symbol(), self.operand(right, own + 1))
            }
            ExprKind::Pipe { left, right } => format!("{} |> {}", self.operand(left, 1), self.operand(right, 2)),
            ExprKind::Unary { op, operand } => {
                let symbol = match op {
                    UnaryOp::Negate => "-",
                    UnaryOp::Not => "!",
                };
                // `- 5` would fold into the literal -5; keep the negation of a literal visible.
                let operand = match &operand.kind {
                    ExprKind::Int(_) => self.parenthesized(operand),
                    _ => self.operand(operand, 8),
                };
                format!("{symbol}{operand}")
            }
            ExprKind::Try(operand) => format!("{}?", self.operand(operand, 9)),
            ExprKind::Let { .. }
            | ExprKind::If { .. }
            | ExprKind::Match { .. }
            | ExprKind::Lambda { .. }
            | ExprKind::Sequence(_) => self.parenthesized(expr),
        }
    }

    fn fields(&mut self, fields: &[FieldInit]) -> String {
        fields
            .iter()
            .map(|field| format!("{}: {}", field.name.text, self.delimited(&field.value)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
