//! The grammar's own checks, without the tree-sitter CLI: the corpus in
//! `test/corpus/*.txt` parses to the expected trees, the highlight query
//! compiles, and the committed parser was generated from the current grammar.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn parser() -> tree_sitter::Parser {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&tree_sitter_gloam::LANGUAGE.into()).expect("the generated parser matches the runtime");
    parser
}

/// An S-expression with field names dropped and whitespace normalised, as the
/// tree-sitter CLI compares them.
fn normalize(sexp: &str) -> String {
    let without_fields: Vec<&str> = sexp.split_whitespace().filter(|token| !token.ends_with(':')).collect();
    without_fields.join(" ").replace("( ", "(").replace(" )", ")")
}

struct Case {
    file: String,
    title: String,
    source: String,
    expected: String,
    expects_error: bool,
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(root().join("test/corpus"))
        .expect("corpus folder")
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("corpus file");
        let file = path.file_name().and_then(|name| name.to_str()).unwrap_or_default().to_string();
        // A case is: ===\ntitle[\n:attribute]*\n===\nsource\n---\nexpected
        let chunks: Vec<&str> = text.split('\n').collect();
        let mut i = 0;
        while i < chunks.len() {
            if !chunks[i].starts_with("===") {
                i += 1;
                continue;
            }
            let title = chunks[i + 1].to_string();
            let mut j = i + 2;
            let mut expects_error = false;
            while chunks[j].starts_with(':') {
                expects_error |= chunks[j] == ":error";
                j += 1;
            }
            let body_start = j + 1;
            let separator =
                (body_start..chunks.len()).find(|&k| chunks[k].starts_with("---")).expect("a --- separator");
            let next = (separator..chunks.len()).find(|&k| chunks[k].starts_with("===")).unwrap_or(chunks.len());
            cases.push(Case {
                file: file.clone(),
                title,
                source: chunks[body_start..separator].join("\n").trim_end().to_string(),
                expected: chunks[separator + 1..next].join("\n"),
                expects_error,
            });
            i = next;
        }
    }
    cases
}

#[test]
fn corpus_parses_to_the_expected_trees() {
    let cases = cases();
    assert!(cases.len() >= 40, "only {} corpus cases found", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let tree = parser().parse(&case.source, None).expect("a tree");
        let root = tree.root_node();
        if case.expects_error {
            if !root.has_error() {
                failures.push(format!("{} / {}: expected a syntax error", case.file, case.title));
            }
            continue;
        }
        let actual = normalize(&root.to_sexp());
        let expected = normalize(&case.expected);
        if actual != expected {
            failures.push(format!("{} / {}:\n  expected {expected}\n  actual   {actual}", case.file, case.title));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn highlight_query_compiles() {
    let language: tree_sitter::Language = tree_sitter_gloam::LANGUAGE.into();
    let query = tree_sitter::Query::new(&language, tree_sitter_gloam::HIGHLIGHTS_QUERY);
    assert!(query.is_ok(), "{:?}", query.err());
}

/// FNV-1a: enough to notice that `grammar.js` changed.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

#[test]
fn generated_parser_is_up_to_date() {
    let grammar = std::fs::read(root().join("grammar.js")).expect("grammar.js");
    let actual = format!("{:016x}\n", fnv1a(&grammar));
    let recorded_path = root().join("src/grammar.js.fnv");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&recorded_path, &actual).expect("write the grammar hash");
        return;
    }
    let recorded = std::fs::read_to_string(&recorded_path).unwrap_or_default();
    assert_eq!(
        recorded, actual,
        "grammar.js changed since src/ was generated: run `cargo xtask grammar` and commit src/"
    );
}
