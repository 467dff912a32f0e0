//! The tree-sitter grammar of Gloam, as a [`LanguageFn`].
//!
//! `src/parser.c` is generated from `grammar.js` by `tree-sitter generate`
//! and committed, so building needs no generator (see `cargo xtask grammar`).

use tree_sitter_language::LanguageFn;

// This is the one FFI boundary of the front end: the generated C parser.
#[allow(unsafe_code)]
unsafe extern "C" {
    fn tree_sitter_gloam() -> *const ();
}

/// The tree-sitter language of Gloam.
#[allow(unsafe_code)]
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_gloam) };

/// Syntax highlighting query, used by the canvas editor.
pub const HIGHLIGHTS_QUERY: &str = include_str!("../../queries/highlights.scm");

/// The node-types description generated with the parser.
pub const NODE_TYPES: &str = include_str!("../../src/node-types.json");
