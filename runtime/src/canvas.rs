//! A canvas's code as one checked program.
//!
//! A canvas is stored as toplevels (one declaration each, with its own version
//! history). To run or check it, the toplevels are laid end to end into one
//! text and analysed together; [`CanvasCode`] keeps where each toplevel sits in
//! that text, so diagnostics and live values are reported per toplevel, in
//! positions relative to its own source.

use gloam_interpreter::Program;
use gloam_language::ast::{Expr, ExprId, ExprKind, HandlerDecl, Item, ItemKind, Span};
use gloam_language::{Analysis, Diagnostic, EntryKind, EntryPoint};
use gloam_trace_store::TraceKey;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One toplevel's source, as it goes into a canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct ToplevelSource {
    pub toplevel_id: i64,
    pub source: String,
    pub file: String,
}

/// A toplevel's place in the canvas text.
#[derive(Debug, Clone)]
struct Placed {
    source: ToplevelSource,
    start: usize,
}

/// A canvas's code, analysed as a whole.
#[derive(Debug)]
pub struct CanvasCode {
    /// The store's version id this code corresponds to (0: nothing saved yet).
    pub version: i64,
    parts: Vec<Placed>,
    pub analysis: Analysis,
}

/// What one declaration's source says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// `GET /todos/:id`, `render`, `Todo`, …
    pub key: String,
    /// Its kind's name (`ItemKind::name`): `handler`, `function`, …
    pub kind: &'static str,
}

/// Why a source cannot be one toplevel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToplevelError {
    #[error("a toplevel holds one declaration; this source has {0} (save them one at a time)")]
    SeveralDeclarations(usize),
}

/// The key a handler's traces are stored under: `GET /todos/:id`.
pub fn handler_key(handler: &HandlerDecl) -> String {
    TraceKey::Handler { method: handler.method.clone(), route: handler.route.text.clone() }.to_string()
}

/// The declaration a toplevel's source holds; `None` when nothing in it parses
/// as a declaration yet (a draft being typed).
pub fn declaration(source: &str) -> Result<Option<Declaration>, ToplevelError> {
    let parsed = gloam_language::syntax::parse(source);
    match parsed.module.items.as_slice() {
        [] => Ok(None),
        [item] => Ok(Some(Declaration { key: item.name(), kind: item.kind.name() })),
        items => Err(ToplevelError::SeveralDeclarations(items.len())),
    }
}

/// Cuts a text to at most `limit` bytes at a character boundary; returns how
/// many bytes were left out (0 when it fitted).
pub fn cut_to(text: &mut String, limit: usize) -> usize {
    if text.len() <= limit {
        return 0;
    }
    let cut = (0..=limit).rev().find(|&at| text.is_char_boundary(at)).unwrap_or(0);
    let left_out = text.len() - cut;
    text.truncate(cut);
    left_out
}

/// Splits a file into the source of each declaration. Comments and blank lines
/// before a declaration belong to it; whatever follows the last declaration
/// (a comment, text that does not parse) belongs to the last one, so nothing
/// of the file is lost.
pub fn split_declarations(text: &str) -> Vec<String> {
    let parsed = gloam_language::syntax::parse(text);
    let mut ends: Vec<usize> = parsed.module.items.iter().map(|item| item.span.end as usize).collect();
    match ends.last_mut() {
        Some(last) => *last = text.len(),
        None => ends.push(text.len()),
    }
    let mut start = 0;
    let mut sources = Vec::new();
    for end in ends {
        let source = text[start..end].trim();
        if !source.is_empty() {
            sources.push(source.to_string());
        }
        start = end;
    }
    sources
}

/// A diagnostic of one toplevel, positioned in that toplevel's source.
#[derive(Debug, Clone, Serialize)]
pub struct ToplevelDiagnostic {
    pub toplevel_id: i64,
    #[serde(flatten)]
    pub located: gloam_language::diagnostic::LocatedDiagnostic,
    /// The diagnostic as text, with the source line and a caret.
    pub rendered: String,
}

impl CanvasCode {
    /// Lays the toplevels out in order and analyses them together.
    pub fn assemble(version: i64, sources: Vec<ToplevelSource>) -> CanvasCode {
        let mut text = String::new();
        let mut parts = Vec::with_capacity(sources.len());
        for source in sources {
            let start = text.len();
            text += source.source.trim_end();
            text += "\n\n";
            parts.push(Placed { source, start });
        }
        let analysis = gloam_language::analyze(&text);
        CanvasCode { version, parts, analysis }
    }

    /// The same code with one toplevel replaced (or added, when it is not
    /// there; or removed, when `source` is `None`).
    pub fn with_toplevel(&self, toplevel_id: i64, source: Option<ToplevelSource>) -> CanvasCode {
        let mut sources: Vec<ToplevelSource> = self.sources().cloned().collect();
        let position = sources.iter().position(|part| part.toplevel_id == toplevel_id);
        match (position, source) {
            (Some(index), Some(source)) => sources[index] = source,
            (Some(index), None) => {
                sources.remove(index);
            }
            (None, Some(source)) => sources.push(source),
            (None, None) => {}
        }
        CanvasCode::assemble(self.version, sources)
    }

    /// Gives a toplevel its stored id (a new one is checked under a placeholder id first).
    pub fn renumber(&mut self, from: i64, to: i64) {
        for part in &mut self.parts {
            if part.source.toplevel_id == from {
                part.source.toplevel_id = to;
            }
        }
    }

    pub fn sources(&self) -> impl Iterator<Item = &ToplevelSource> {
        self.parts.iter().map(|part| &part.source)
    }

    pub fn source_of(&self, toplevel_id: i64) -> Option<&ToplevelSource> {
        self.sources().find(|source| source.toplevel_id == toplevel_id)
    }

    pub fn program(&self) -> Program<'_> {
        Program { module: &self.analysis.module, checked: &self.analysis.checked }
    }

    pub fn has_errors(&self) -> bool {
        self.analysis.has_errors()
    }

    /// The handler serving a request, most specific route first.
    pub fn route(&self, method: &str, path: &str) -> Option<&HandlerDecl> {
        self.program().find_handler(method, path)
    }

    /// A handler by key (`GET /todos/:id`).
    pub fn handler(&self, key: &str) -> Option<&HandlerDecl> {
        let entry = self.analysis.module.entry(&EntryPoint::Handler { key: key.to_string() })?;
        match entry.kind {
            EntryKind::Handler(decl) => Some(decl),
            _ => None,
        }
    }

    /// The declaration a toplevel holds in this code.
    pub fn item_of(&self, toplevel_id: i64) -> Option<&Item> {
        let part = self.parts.iter().find(|part| part.source.toplevel_id == toplevel_id)?;
        let range = part.start..part.start + part.source.source.len();
        self.analysis.module.items.iter().find(|item| range.contains(&(item.span.start as usize)))
    }

    /// What a toplevel declares, from this code's analysis (no parse again).
    pub fn declaration_of(&self, toplevel_id: i64) -> Option<Declaration> {
        let item = self.item_of(toplevel_id)?;
        Some(Declaration { key: item.name(), kind: item.kind.name() })
    }

    /// The toplevel a canvas-text offset falls in, and where that toplevel starts.
    fn part_at(&self, offset: usize) -> Option<&Placed> {
        self.parts.iter().rev().find(|part| part.start <= offset).or(self.parts.first())
    }

    /// A span of the canvas text as (toplevel id, span within that toplevel's source).
    pub fn locate(&self, span: Span) -> Option<(i64, Span)> {
        let part = self.part_at(span.start as usize)?;
        let length = part.source.source.len();
        let start = (span.start as usize).saturating_sub(part.start).min(length);
        let end = (span.end as usize).saturating_sub(part.start).clamp(start, length);
        Some((part.source.toplevel_id, Span::new(start, end)))
    }

    /// Every diagnostic, positioned in the toplevel it is about.
    pub fn diagnostics(&self) -> Vec<ToplevelDiagnostic> {
        self.analysis.diagnostics.iter().filter_map(|diagnostic| self.toplevel_diagnostic(diagnostic)).collect()
    }

    /// The diagnostics about one toplevel.
    pub fn diagnostics_of(&self, toplevel_id: i64) -> Vec<ToplevelDiagnostic> {
        self.diagnostics().into_iter().filter(|diagnostic| diagnostic.toplevel_id == toplevel_id).collect()
    }

    fn toplevel_diagnostic(&self, diagnostic: &Diagnostic) -> Option<ToplevelDiagnostic> {
        let (toplevel_id, span) = self.locate(diagnostic.span)?;
        let part = self.source_of(toplevel_id)?;
        let relative = Diagnostic { span, ..diagnostic.clone() };
        let name = self.declaration_of(toplevel_id).map_or_else(|| part.file.clone(), |decl| decl.key);
        Some(ToplevelDiagnostic {
            toplevel_id,
            located: relative.located(&part.source),
            rendered: relative.render(&part.source, &name),
        })
    }

    /// Every expression of the canvas with its span.
    pub fn expression_spans(&self) -> BTreeMap<ExprId, Span> {
        let mut spans = BTreeMap::new();
        let module = &self.analysis.module;
        let mut pending: Vec<&Expr> = module.entries().map(|entry| entry.body).collect();
        while let Some(expr) = pending.pop() {
            spans.insert(expr.id, expr.span);
            expr.for_each_child(|child| pending.push(child));
        }
        spans
    }

    /// Keys of the handlers that call a user function, directly or through
    /// other functions (by name: a local that shadows a function counts too).
    pub fn callers_of(&self, function: &str) -> Vec<String> {
        let items = &self.analysis.module.items;
        let functions: BTreeSet<&str> = items
            .iter()
            .filter_map(|item| match &item.kind {
                ItemKind::Function(decl) => Some(decl.name.text.as_str()),
                _ => None,
            })
            .collect();
        let module = &self.analysis.module;
        let calls: BTreeMap<String, BTreeSet<String>> = module
            .entries()
            .map(|entry| (items[entry.item].name(), referenced_functions(entry.body, &functions)))
            .collect();
        items
            .iter()
            .filter(|item| matches!(item.kind, ItemKind::Handler(_)))
            .map(Item::name)
            .filter(|handler| {
                let mut seen = BTreeSet::new();
                let mut pending = vec![handler.clone()];
                while let Some(name) = pending.pop() {
                    for callee in calls.get(&name).into_iter().flatten() {
                        if callee == function {
                            return true;
                        }
                        if seen.insert(callee.clone()) {
                            pending.push(callee.clone());
                        }
                    }
                }
                false
            })
            .collect()
    }
}

fn referenced_functions(body: &Expr, functions: &BTreeSet<&str>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending = vec![body];
    while let Some(expr) = pending.pop() {
        if let ExprKind::Variable(name) = &expr.kind
            && functions.contains(name.as_str())
        {
            found.insert(name.clone());
        }
        expr.for_each_child(|child| pending.push(child));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(sources: &[&str]) -> CanvasCode {
        let sources = sources
            .iter()
            .enumerate()
            .map(|(i, source)| ToplevelSource {
                toplevel_id: i as i64 + 1,
                source: source.to_string(),
                file: "main.gloam".into(),
            })
            .collect();
        CanvasCode::assemble(1, sources)
    }

    #[test]
    fn diagnostics_are_positioned_in_their_toplevel() {
        let code = code(&["fn one() -> Int = 1", "handler GET /x =\n  one() + \"a\""]);
        let diagnostics = code.diagnostics();
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0].toplevel_id, 2);
        assert_eq!(diagnostics[0].located.start.line, 2);
        assert!(diagnostics[0].rendered.contains("GET /x"), "{}", diagnostics[0].rendered);
    }

    #[test]
    fn declarations_split_with_their_comments() {
        let text = "// the type\ntype A = { x: Int }\n\n// one\nfn one() -> Int = 1\n// the end\n";
        assert_eq!(
            split_declarations(text),
            vec!["// the type\ntype A = { x: Int }", "// one\nfn one() -> Int = 1\n// the end"]
        );
        assert_eq!(split_declarations("// only a comment\n"), vec!["// only a comment"]);
        assert_eq!(split_declarations("fn a() -> Int = 1\n)(garbage"), vec!["fn a() -> Int = 1\n)(garbage"]);
        assert_eq!(declaration("fn one() -> Int = 1"), Ok(Some(Declaration { key: "one".into(), kind: "function" })));
        assert_eq!(declaration(text), Err(ToplevelError::SeveralDeclarations(2)));
        assert_eq!(declaration("   "), Ok(None));
    }

    #[test]
    fn texts_are_cut_at_character_boundaries() {
        let mut text = "ab€cd".to_string(); // € is 3 bytes, at 2..5
        assert_eq!(cut_to(&mut text, 4), 5);
        assert_eq!(text, "ab");
        let mut short = "abc".to_string();
        assert_eq!(cut_to(&mut short, 3), 0);
        assert_eq!(short, "abc");
    }

    #[test]
    fn callers_are_found_through_other_functions() {
        let code = code(&[
            "fn inner(x: Int) -> Int = x + 1",
            "fn outer(x: Int) -> Int = inner(x) * 2",
            "handler GET /a =\n  Http.text(Int.toString(outer(1)), 200)",
            "handler GET /b =\n  Http.text(\"b\", 200)",
        ]);
        assert!(!code.has_errors(), "{:?}", code.diagnostics());
        assert_eq!(code.callers_of("inner"), vec!["GET /a".to_string()]);
        assert!(code.callers_of("nothing").is_empty());
    }
}
