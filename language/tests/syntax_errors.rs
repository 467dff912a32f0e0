//! Syntax errors speak the user's words and stay in their declaration.
//!
//! - Every symbol of the grammar, and every parse state's `expected …` list,
//!   renders without a grammar rule name (`block_repeat1`, `_expression`,
//!   `binary_expression`).
//! - Broken versions of every corpus program (`tests/programs/**`: truncated,
//!   a token deleted, a token inserted) never show a rule name, and a valid
//!   declaration after the broken code is still checked: its type error is
//!   reported.

use gloam_language::syntax::recovery::{self, Token};

/// Named grammar rules that are not words a user knows. Quoted text
/// (`` `…` ``) is the user's own and is not searched.
fn internal_names() -> Vec<String> {
    let language: tree_sitter::Language = tree_sitter_gloam::LANGUAGE.into();
    let mut names: Vec<String> = (0..language.node_kind_count() as u16)
        .filter_map(|id| language.node_kind_for_id(id))
        .filter(|name| name.contains('_') && name.len() > 1)
        .map(str::to_string)
        .collect();
    names.extend(["_repeat", "identifier", "ERROR", "MISSING"].map(String::from));
    names
}

/// The first internal name in `text` outside backquotes, if any.
fn leaked<'n>(text: &str, internal: &'n [String]) -> Option<&'n str> {
    let unquoted: String = text.split('`').step_by(2).collect::<Vec<_>>().join(" ");
    internal.iter().find(|name| unquoted.contains(name.as_str())).map(String::as_str)
}

#[test]
fn every_symbol_and_state_is_described_in_user_words() {
    let language: tree_sitter::Language = tree_sitter_gloam::LANGUAGE.into();
    let internal = internal_names();
    let mut leaks = Vec::new();
    for id in 0..language.node_kind_count() as u16 {
        if let Some(text) = recovery::describe_symbol(&language, id)
            && let Some(name) = leaked(&text, &internal)
        {
            leaks.push(format!("symbol {:?}: {text} ({name})", language.node_kind_for_id(id)));
        }
    }
    for state in 0..language.parse_state_count() as u16 {
        if let Some(text) = recovery::expected_at(state)
            && let Some(name) = leaked(&text, &internal)
        {
            leaks.push(format!("state {state}: expected {text} ({name})"));
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}

const CANARY: &str = "fn zzCanary() -> Int = \"canary\"\n";

/// Tokens to insert: each a common slip.
const SLIPS: &[&str] =
    &["(", ")", "=", "->", "=>", "|", "let", "if", "then", "\"", "'", "1e", ",", "type", "{", "[", "-", "match"];

fn corpus() -> Vec<(String, String)> {
    let mut pending = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/programs"))];
    let mut programs = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus folder is readable") {
            let path = entry.expect("corpus entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "gloam") {
                let source = std::fs::read_to_string(&path).expect("corpus file is readable");
                programs.push((path.display().to_string(), source));
            }
        }
    }
    programs.sort();
    programs
}

/// A few broken versions of `source`, chosen by position so the set is the
/// same on every run.
fn mutations(source: &str) -> Vec<String> {
    let tokens: Vec<Token> = recovery::tokens(source);
    if tokens.len() < 2 {
        return Vec::new();
    }
    let picks: Vec<usize> = (1..=4).map(|k| k * tokens.len() / 5).collect();
    let mut broken = Vec::new();
    for (n, &i) in picks.iter().enumerate() {
        let token = tokens[i];
        let end = token.start + token.text.len();
        broken.push(source[..token.start].to_string());
        broken.push(format!("{}{}", &source[..token.start], &source[end..]));
        let slip = SLIPS[(i + n) % SLIPS.len()];
        broken.push(format!("{} {slip} {}", &source[..token.start], &source[token.start..]));
    }
    broken
}

#[test]
fn broken_programs_keep_later_declarations_checked() {
    let internal = internal_names();
    let mut failures = Vec::new();
    let mut tried = 0;
    for (path, source) in corpus() {
        for broken in mutations(&source) {
            tried += 1;
            let text = format!("{broken}\n\n{CANARY}");
            let canary_start = text.len() - CANARY.len() + CANARY.find('"').expect("the canary has a string");
            let analysis = gloam_language::analyze(&text);
            for diagnostic in &analysis.diagnostics {
                let shown = std::iter::once(&diagnostic.message).chain(&diagnostic.label).chain(&diagnostic.notes);
                for line in shown {
                    if let Some(name) = leaked(line, &internal) {
                        failures.push(format!("{path}: `{name}` in {line:?} for\n{text}"));
                    }
                }
            }
            let canary_checked =
                analysis.diagnostics.iter().any(|d| d.code == "type-mismatch" && d.span.start as usize == canary_start);
            if !canary_checked {
                let codes: Vec<String> =
                    analysis.diagnostics.iter().map(|d| format!("{}: {}", d.code, d.message)).collect();
                failures.push(format!(
                    "{path}: the declaration after the broken one was not checked ({codes:?}) in\n{text}"
                ));
            }
        }
    }
    assert!(tried > 1000, "only {tried} broken programs");
    assert!(
        failures.is_empty(),
        "{} of {tried} failed; the first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n\n")
    );
}
