//! Diagnostics: what every stage reports, and the one place they are rendered.
//!
//! Stages keep their own typed error enums (`SyntaxError`, `TypeError`) whose
//! variants carry the facts; they convert into [`Diagnostic`] for display.

use crate::syntax::ast::Span;
use serde::Serialize;

/// Source lines longer than this (in characters) are shown as a window around the span.
const MAX_SHOWN_LINE: usize = 120;
/// How much of a long line is shown before the span.
const WINDOW_BEFORE: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine-readable kind, e.g. `type-mismatch`.
    pub code: &'static str,
    pub message: String,
    pub span: Span,
    /// Short text shown under the caret.
    pub label: Option<String>,
    /// Extra lines: hints, what was expected.
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic { severity: Severity::Error, code, message: message.into(), span, label: None, notes: Vec::new() }
    }

    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message, span) }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic for a terminal: message, location, the source
    /// line with a caret under the span, then the notes.
    pub fn render(&self, source: &str, path: &str) -> String {
        let start = LineColumn::of(source, self.span.start as usize);
        let end = LineColumn::of(source, self.span.end as usize);
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let line_text = source.lines().nth(start.line - 1).unwrap_or("");
        let gutter = start.line.to_string().len();
        let pad = " ".repeat(gutter);
        let caret_start = line_text[..(start.column - 1).min(line_text.len())].chars().count();
        let caret_len = if end.line == start.line {
            let end_byte = (end.column - 1).clamp(start.column - 1, line_text.len());
            line_text[(start.column - 1).min(line_text.len())..end_byte].chars().count().max(1)
        } else {
            line_text.chars().count().saturating_sub(caret_start).max(1)
        };
        // A very long line is shown as a window around the span.
        let chars: Vec<char> = line_text.chars().collect();
        let (shown, caret_start, caret_len) = if chars.len() > MAX_SHOWN_LINE {
            let from = caret_start.saturating_sub(WINDOW_BEFORE);
            let to = (caret_start + caret_len.min(MAX_SHOWN_LINE - WINDOW_BEFORE)).min(chars.len());
            let prefix = if from > 0 { "…" } else { "" };
            let suffix = if to < chars.len() { "…" } else { "" };
            let window: String = chars[from..to].iter().collect();
            let caret_len = caret_len.min(to - caret_start);
            (format!("{prefix}{window}{suffix}"), caret_start - from + prefix.chars().count(), caret_len.max(1))
        } else {
            (line_text.to_string(), caret_start, caret_len)
        };
        let mut out = format!("{severity}[{}]: {}\n", self.code, self.message);
        out += &format!("{pad}--> {path}:{}:{}\n", start.line, start.column);
        out += &format!("{pad} |\n");
        out += &format!("{} | {}\n", start.line, shown);
        out += &format!(
            "{pad} | {}{}{}\n",
            " ".repeat(caret_start),
            "^".repeat(caret_len),
            self.label.as_ref().map(|label| format!(" {label}")).unwrap_or_default()
        );
        for note in &self.notes {
            out += &format!("{pad} = {note}\n");
        }
        out
    }

    /// The diagnostic with line/column positions, for `--json` and the editor API.
    pub fn located(&self, source: &str) -> LocatedDiagnostic {
        LocatedDiagnostic {
            diagnostic: self.clone(),
            start: LineColumn::of(source, self.span.start as usize),
            end: LineColumn::of(source, self.span.end as usize),
        }
    }
}

/// A 1-based line and 1-based byte column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

impl LineColumn {
    pub fn of(source: &str, offset: usize) -> LineColumn {
        let offset = offset.min(source.len());
        let before = &source.as_bytes()[..offset];
        let line = before.iter().filter(|&&byte| byte == b'\n').count() + 1;
        let line_start = before.iter().rposition(|&byte| byte == b'\n').map_or(0, |i| i + 1);
        LineColumn { line, column: offset - line_start + 1 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocatedDiagnostic {
    #[serde(flatten)]
    pub diagnostic: Diagnostic,
    pub start: LineColumn,
    pub end: LineColumn,
}

/// Renders every diagnostic, in source order.
pub fn render_all(diagnostics: &[Diagnostic], source: &str, path: &str) -> String {
    let mut sorted: Vec<&Diagnostic> = diagnostics.iter().collect();
    sorted.sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.span.end));
    sorted.iter().map(|diagnostic| diagnostic.render(source, path)).collect::<Vec<_>>().join("\n")
}
