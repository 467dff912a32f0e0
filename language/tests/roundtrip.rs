//! Property tests of the front end:
//! - printing any AST and parsing it back gives the same AST (spans and ids aside);
//! - the parser and checker never panic, whatever the input.

use gloam_language::ast::*;
use gloam_language::syntax::{parse, pretty};
use proptest::prelude::*;

const KEYWORDS: &[&str] = &[
    "type", "fn", "handler", "db", "worker", "cron", "let", "if", "then", "else", "match", "with", "when", "true",
    "false",
];

fn name(text: String) -> Name {
    Name { text, span: Span::default() }
}

fn expr(kind: ExprKind) -> Expr {
    Expr { id: ExprId(0), span: Span::default(), kind }
}

fn pattern(kind: PatternKind) -> Pattern {
    Pattern { kind, span: Span::default() }
}

fn lower_name() -> impl Strategy<Value = String> {
    "[a-z][a-zA-Z0-9_]{0,6}".prop_filter("not a keyword", |s| !KEYWORDS.contains(&s.as_str()))
}

fn upper_name() -> impl Strategy<Value = String> {
    "[A-Z][a-zA-Z0-9]{0,6}"
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[ -~]{0,8}", "[a-z$\\\\\"\n\t{}é😀]{0,6}"]
}

fn type_expr() -> impl Strategy<Value = TypeExpr> {
    let leaf = prop_oneof![
        upper_name().prop_map(|n| TypeExprKind::Named { name: name(n), arguments: vec![] }),
        lower_name().prop_map(|n| TypeExprKind::Variable(name(n))),
        Just(TypeExprKind::Unit),
    ]
    .prop_map(|kind| TypeExpr { kind, span: Span::default() });
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (upper_name(), prop::collection::vec(inner.clone(), 1..3))
                .prop_map(|(n, arguments)| TypeExprKind::Named { name: name(n), arguments }),
            (prop::collection::vec(inner.clone(), 0..3), inner)
                .prop_map(|(parameters, result)| TypeExprKind::Function { parameters, result: Box::new(result) }),
        ]
        .prop_map(|kind| TypeExpr { kind, span: Span::default() })
    })
}

fn pattern_strategy() -> impl Strategy<Value = Pattern> {
    let leaf = prop_oneof![
        Just(PatternKind::Wildcard),
        lower_name().prop_map(PatternKind::Variable),
        any::<i64>().prop_map(PatternKind::Int),
        (0.0f64..1e6).prop_map(PatternKind::Float),
        text().prop_map(PatternKind::String),
        any::<char>().prop_filter("printable", |c| !c.is_control()).prop_map(PatternKind::Char),
        any::<bool>().prop_map(PatternKind::Bool),
        Just(PatternKind::Unit),
        upper_name().prop_map(|n| PatternKind::Constructor { name: name(n), arguments: vec![] }),
    ]
    .prop_map(pattern);
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            (upper_name(), prop::collection::vec(inner.clone(), 1..3))
                .prop_map(|(n, arguments)| PatternKind::Constructor { name: name(n), arguments }),
            (prop::collection::vec(inner, 0..3), prop::option::of(prop::option::of(lower_name())))
                .prop_map(|(items, rest)| PatternKind::List { items, rest: rest.map(|rest| rest.map(name)) }),
        ]
        .prop_map(pattern)
    })
}

fn field_inits(value: BoxedStrategy<Expr>) -> impl Strategy<Value = Vec<FieldInit>> {
    prop::collection::vec((lower_name(), value), 1..3)
        .prop_map(|fields| fields.into_iter().map(|(n, value)| FieldInit { name: name(n), value }).collect())
}

fn expr_strategy() -> BoxedStrategy<Expr> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(ExprKind::Int),
        (0.0f64..1e12).prop_map(ExprKind::Float),
        text().prop_map(|t| ExprKind::String(vec![StringPart::Literal(t)])),
        any::<char>().prop_filter("printable", |c| !c.is_control()).prop_map(ExprKind::Char),
        any::<bool>().prop_map(ExprKind::Bool),
        Just(ExprKind::Unit),
        lower_name().prop_map(ExprKind::Variable),
        upper_name().prop_map(ExprKind::Constructor),
        (upper_name(), lower_name()).prop_map(|(module, name)| ExprKind::Qualified { module, name }),
    ]
    .prop_map(expr);
    leaf.prop_recursive(4, 40, 4, |inner| {
        let boxed = || inner.clone().prop_map(Box::new);
        let binary = prop::sample::select(BinaryOp::ALL.to_vec());
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(ExprKind::List),
            (prop::option::of(upper_name()), field_inits(inner.clone().boxed()))
                .prop_map(|(type_name, fields)| ExprKind::Record { type_name: type_name.map(name), fields }),
            prop::collection::vec((text(), inner.clone()), 0..3).prop_map(ExprKind::Dict),
            (boxed(), field_inits(inner.clone().boxed()))
                .prop_map(|(record, fields)| ExprKind::RecordUpdate { record, fields }),
            (boxed(), prop::collection::vec(type_expr(), 0..2), prop::collection::vec(inner.clone(), 0..3))
                .prop_map(|(callee, type_arguments, arguments)| ExprKind::Call { callee, type_arguments, arguments }),
            (boxed(), lower_name()).prop_map(|(value, field)| ExprKind::Field { value, field: name(field) }),
            (pattern_strategy(), prop::option::of(type_expr()), boxed(), boxed())
                .prop_map(|(pattern, annotation, value, body)| ExprKind::Let { pattern, annotation, value, body }),
            prop::collection::vec(inner.clone(), 2..4).prop_map(ExprKind::Sequence),
            (boxed(), boxed(), boxed()).prop_map(|(condition, then_branch, else_branch)| ExprKind::If {
                condition,
                then_branch,
                else_branch
            }),
            (
                boxed(),
                prop::collection::vec((pattern_strategy(), prop::option::of(inner.clone()), inner.clone()), 1..4)
            )
                .prop_map(|(scrutinee, arms)| ExprKind::Match {
                    scrutinee,
                    arms: arms
                        .into_iter()
                        .map(|(pattern, guard, body)| MatchArm { pattern, guard, body, span: Span::default() })
                        .collect(),
                }),
            (prop::collection::vec(lower_name(), 1..3), boxed()).prop_map(|(parameters, body)| ExprKind::Lambda {
                parameters: parameters.into_iter().map(name).collect(),
                body
            }),
            (binary, boxed(), boxed()).prop_map(|(op, left, right)| ExprKind::Binary { op, left, right }),
            (boxed(), boxed()).prop_map(|(left, right)| ExprKind::Pipe { left, right }),
            (prop_oneof![Just(UnaryOp::Negate), Just(UnaryOp::Not)], boxed())
                .prop_map(|(op, operand)| ExprKind::Unary { op, operand }),
            boxed().prop_map(ExprKind::Try),
            (text(), inner.clone(), text()).prop_map(|(a, e, b)| {
                let mut parts = Vec::new();
                if !a.is_empty() {
                    parts.push(StringPart::Literal(a));
                }
                parts.push(StringPart::Interpolation(e));
                if !b.is_empty() {
                    parts.push(StringPart::Literal(b));
                }
                ExprKind::String(parts)
            }),
        ]
        .prop_map(expr)
    })
    .boxed()
}

fn parameters() -> impl Strategy<Value = Vec<Parameter>> {
    prop::collection::vec((lower_name(), prop::option::of(type_expr())), 0..3)
        .prop_map(|params| params.into_iter().map(|(n, ty)| Parameter { name: name(n), ty }).collect())
}

fn item_strategy() -> impl Strategy<Value = Item> {
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
    prop_oneof![
        (
            upper_name(),
            prop::collection::vec(lower_name(), 0..2),
            prop::collection::vec((lower_name(), type_expr()), 1..3)
        )
            .prop_map(|(n, params, fields)| ItemKind::Type(TypeDecl {
                name: name(n),
                parameters: params.into_iter().map(name).collect(),
                body: TypeBody::Record(fields.into_iter().map(|(f, ty)| FieldDecl { name: name(f), ty }).collect()),
            })),
        (upper_name(), prop::collection::vec((upper_name(), prop::collection::vec(type_expr(), 0..2)), 1..3)).prop_map(
            |(n, cases)| ItemKind::Type(TypeDecl {
                name: name(n),
                parameters: vec![],
                body: TypeBody::Variant(
                    cases.into_iter().map(|(c, payload)| VariantCase { name: name(c), payload }).collect()
                ),
            })
        ),
        (lower_name(), parameters(), prop::option::of(type_expr()), expr_strategy()).prop_map(
            |(n, parameters, return_type, body)| ItemKind::Function(FunctionDecl {
                name: name(n),
                parameters,
                return_type,
                body
            })
        ),
        (method, "(/[a-z:]{1,5}){1,3}", expr_strategy()).prop_map(|(method, route, body)| {
            ItemKind::Handler(HandlerDecl { method: method.to_string(), route: name(route), body })
        }),
        (lower_name(), type_expr()).prop_map(|(n, ty)| ItemKind::Datastore(DatastoreDecl { name: name(n), ty })),
        (lower_name(), lower_name(), expr_strategy()).prop_map(|(n, p, body)| ItemKind::Worker(WorkerDecl {
            name: name(n),
            parameters: vec![Parameter { name: name(p), ty: None }],
            body
        })),
        ("[0-9*/ ]{1,12}", lower_name(), expr_strategy()).prop_map(|(schedule, n, body)| ItemKind::Cron(CronDecl {
            schedule: name(schedule),
            name: name(n),
            body
        })),
    ]
    .prop_map(|kind| Item { kind, span: Span::default() })
}

/// Debug output with spans, ids and the id count removed: equal for equal trees.
fn shape(module: &Module) -> String {
    let text = format!("{:?}", module.items);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let next =
            ["Span { start: ", "ExprId("].iter().filter_map(|marker| rest.find(marker).map(|i| (i, *marker))).min();
        match next {
            Some((index, marker)) => {
                out.push_str(&rest[..index]);
                let after = &rest[index + marker.len()..];
                let close = if marker == "ExprId(" { ')' } else { '}' };
                let end = after.find(close).map_or(after.len(), |i| i + 1);
                rest = &after[end..];
            }
            None => {
                out.push_str(rest);
                rest = "";
            }
        }
    }
    out
}

proptest! {
    // 256 cases by default; PROPTEST_CASES raises it for a longer search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn printing_then_parsing_gives_the_same_tree(items in prop::collection::vec(item_strategy(), 1..4)) {
        let module = Module { items, expr_count: 0 };
        let printed = pretty::print_module(&module);
        let parsed = parse(&printed);
        prop_assert!(parsed.errors.is_empty(), "errors {:?} in\n{}", parsed.errors, printed);
        prop_assert_eq!(shape(&parsed.module), shape(&module), "printed as\n{}", printed);
        prop_assert_eq!(pretty::print_module(&parsed.module), printed);
    }

    #[test]
    fn arbitrary_text_never_panics(source in any::<Vec<u8>>()) {
        let source = String::from_utf8_lossy(&source);
        let _ = gloam_language::analyze(&source);
    }

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(vec![
        "fn", "type", "handler", "GET", "/a/:b", "db", "worker", "cron", "let", "if", "then", "else",
        "match", "with", "when", "|", "->", "=", "==", "(", ")", "[", "]", "{", "}", ",", ":", ".",
        "...", "x", "Some", "None", "Int", "List", "<", ">", "+", "-", "*", "?", "|>", "\\", "1",
        "2.5", "\"s\"", "\"${", "'c'", "true", "\n", "\n  ", "// c\n", "String.length", "_",
    ]), 0..60)) {
        let _ = gloam_language::analyze(&tokens.join(" "));
    }
}

#[test]
fn deeply_nested_input_does_not_overflow_the_stack() {
    for source in [
        format!("fn f() = {}1{}", "(".repeat(5000), ")".repeat(5000)),
        format!("fn f() = {}", "[".repeat(5000)),
        format!("fn f(x: Int) = {}x", "-".repeat(5000)),
        format!("fn f() = {}1{}", "[".repeat(3000), "]".repeat(3000)),
        format!("fn f(x) = match x with | {}_{} -> 1", "Some(".repeat(3000), ")".repeat(3000)),
    ] {
        let analysis = gloam_language::analyze(&source);
        assert!(analysis.has_errors(), "{}", &source[..40]);
    }
    // Chains are not nesting (tests/depth.rs has the limit's edges).
    for source in
        [format!("fn f() = 1{}", " + 1".repeat(20000)), format!("fn f() =\n{}  x", "  let x = 1\n".repeat(5000))]
    {
        let analysis = gloam_language::analyze(&source);
        assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics.first());
    }
    // Up to the limit, nesting is fine.
    let nested = format!("fn f() = {}1{}", "[".repeat(900), "]".repeat(900));
    assert!(!gloam_language::analyze(&nested).has_errors());
}
