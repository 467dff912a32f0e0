//! The documentation's examples are tested: every ```gloam block in
//! `docs/language.md` and `README.md` type-checks (```gloam,error blocks must
//! not), and a block followed by an ```output block runs `main` and prints
//! exactly that.

use gloam_interpreter::{MemoryEffects, Options, Program};
use std::path::Path;

struct Block {
    line: usize,
    source: String,
    expects_error: bool,
    output: Option<String>,
}

/// The fenced blocks of a markdown file: (line, info string, contents).
fn fences(text: &str) -> Vec<(usize, String, String)> {
    let mut fences = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else { continue };
        let mut contents = String::new();
        for (_, inner) in lines.by_ref() {
            if inner.starts_with("```") {
                break;
            }
            contents.push_str(inner);
            contents.push('\n');
        }
        fences.push((number + 1, info.trim().to_string(), contents));
    }
    fences
}

fn blocks(text: &str) -> Vec<Block> {
    let fences = fences(text);
    let mut blocks = Vec::new();
    for (i, (line, info, contents)) in fences.iter().enumerate() {
        if info != "gloam" && info != "gloam,error" {
            continue;
        }
        let output =
            fences.get(i + 1).filter(|(_, next, _)| next == "output").map(|(_, _, out)| out.trim_end().to_string());
        blocks.push(Block { line: *line, source: contents.clone(), expects_error: info == "gloam,error", output });
    }
    blocks
}

fn check_file(relative: &str) -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{relative}: {error}"));
    let mut failures = Vec::new();
    let blocks = blocks(&text);
    for block in &blocks {
        let analysis = gloam_language::analyze(&block.source);
        let at = format!("{relative}:{}", block.line);
        if block.expects_error != analysis.has_errors() {
            let rendered = gloam_language::diagnostic::render_all(&analysis.diagnostics, &block.source, &at);
            let expectation = if block.expects_error { "an error" } else { "no error" };
            failures.push(format!("{at}: expected {expectation}\n{rendered}"));
            continue;
        }
        let Some(expected) = &block.output else { continue };
        let program = Program { module: &analysis.module, checked: &analysis.checked };
        let actual = match program.call_function("main", Vec::new(), &mut MemoryEffects::default(), Options::default())
        {
            Some(run) => match run.result {
                Ok(value) => value.to_string(),
                Err(error) => format!("runtime error: {error}"),
            },
            None => "(no `fn main`)".to_string(),
        };
        if &actual != expected {
            failures.push(format!("{at}: expected output\n  {expected}\nbut main gave\n  {actual}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    blocks.len()
}

#[test]
fn language_spec_examples() {
    assert!(check_file("docs/language.md") >= 15);
}

#[test]
fn readme_examples() {
    assert!(check_file("README.md") >= 1);
}
