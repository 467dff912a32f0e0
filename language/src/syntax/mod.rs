//! Source text → AST: tree-sitter parsing and lowering.

pub mod ast;
pub mod entry;
#[cfg(not(target_arch = "wasm32"))]
mod error;
#[cfg(not(target_arch = "wasm32"))]
mod literal;
#[cfg(not(target_arch = "wasm32"))]
mod lower;
pub mod pretty;
#[cfg(not(target_arch = "wasm32"))]
pub mod recovery;

#[cfg(not(target_arch = "wasm32"))]
pub use error::{MAX_NESTING, NumberProblem, SyntaxError};

/// The result of parsing: always a module, plus the syntax errors found.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone)]
pub struct Parsed {
    pub module: ast::Module,
    pub errors: Vec<SyntaxError>,
}

/// Parses Gloam source. Never fails: broken parts are reported and left out.
#[cfg(not(target_arch = "wasm32"))]
pub fn parse(source: &str) -> Parsed {
    let tree = parse_tree(source);
    let (module, errors) = lower::lower(source, &tree);
    Parsed { module, errors }
}

#[cfg(not(target_arch = "wasm32"))]
fn parse_tree(source: &str) -> tree_sitter::Tree {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_gloam::LANGUAGE.into())
        .expect("the generated parser matches the tree-sitter runtime version");
    parser.parse(source, None).expect("parsing without a timeout or cancellation flag returns a tree")
}
