//! Positions in the editor's text: the browser counts UTF-16 code units, the
//! server bytes. And which live value goes where: the expression under the
//! cursor, the value of each `let` line.

use crate::api::Expression;

/// The byte offset of a UTF-16 offset (a textarea's `selectionStart`).
pub fn byte_offset(text: &str, utf16_offset: usize) -> usize {
    let mut units = 0;
    for (index, character) in text.char_indices() {
        if units >= utf16_offset {
            return index;
        }
        units += character.len_utf16();
    }
    text.len()
}

/// The UTF-16 offset of a byte offset (to place a textarea's cursor).
pub fn utf16_offset(text: &str, byte_offset: usize) -> usize {
    text.get(..byte_offset.min(text.len())).map_or(0, |prefix| prefix.encode_utf16().count())
}

/// The 0-based line of a byte offset.
pub fn line_of(text: &str, byte_offset: usize) -> usize {
    text.as_bytes()[..byte_offset.min(text.len())].iter().filter(|byte| **byte == b'\n').count()
}

/// The innermost expression around a byte offset: the one the cursor is in
/// (or just after, so a value shows at the end of what was typed).
pub fn expression_at(expressions: &[Expression], offset: usize) -> Option<&Expression> {
    expressions
        .iter()
        .filter(|expression| expression.range().start <= offset && offset <= expression.range().end)
        .min_by_key(|expression| (expression.range().len(), usize::MAX - expression.range().start))
}

/// A `let` line: its 0-based line, the name (or pattern) it binds, and
/// where the bound expression starts.
#[derive(Debug, Clone, PartialEq)]
pub struct LetLine {
    pub line: usize,
    pub name: String,
    pub value_start: usize,
}

/// The `let` lines of a toplevel's source.
pub fn let_lines(source: &str) -> Vec<LetLine> {
    let mut lines = Vec::new();
    let mut line_start = 0;
    for (line, text) in source.split('\n').enumerate() {
        let indent = text.len() - text.trim_start().len();
        if let Some(rest) = text.trim_start().strip_prefix("let ")
            && let Some(equals) = binding_equals(rest)
        {
            let name = rest[..equals].trim().to_string();
            let after = &rest[equals + 1..];
            let value_start = line_start + indent + 4 + equals + 1 + (after.len() - after.trim_start().len());
            lines.push(LetLine { line, name, value_start });
        }
        line_start += text.len() + 1;
    }
    lines
}

/// The `=` that ends a let's pattern (not part of `==`, `!=`, `<=`, `>=`).
fn binding_equals(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    (0..bytes.len()).find(|&index| {
        bytes[index] == b'='
            && bytes.get(index + 1) != Some(&b'=')
            && !matches!(index.checked_sub(1).map(|before| bytes[before]), Some(b'=' | b'!' | b'<' | b'>'))
    })
}

/// The value a `let` line shows: its bound expression's value in the chosen
/// iteration (the last one it took when it took fewer).
pub fn let_value(expressions: &[Expression], let_line: &LetLine, iteration: usize) -> Option<String> {
    let bound = expressions
        .iter()
        .filter(|expression| expression.range().start == let_line.value_start)
        .max_by_key(|expression| expression.end)?;
    value_in(bound, iteration).map(str::to_string)
}

/// An expression's value in an iteration, clamped to the values it took.
pub fn value_in(expression: &Expression, iteration: usize) -> Option<&str> {
    let last = expression.values.len().checked_sub(1)?;
    expression.values.get(iteration.min(last)).map(String::as_str)
}

/// One line of text of at most `limit` characters, for labels.
pub fn shortened(text: &str, limit: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= limit {
        return flat;
    }
    let mut cut: String = flat.chars().take(limit.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expression(start: u32, end: u32, values: &[&str]) -> Expression {
        Expression {
            id: 0,
            toplevel_id: 1,
            start,
            end,
            values: values.iter().map(|value| value.to_string()).collect(),
            truncated: false,
        }
    }

    #[test]
    fn offsets_convert_between_utf16_and_bytes() {
        let text = "é😀x";
        assert_eq!(byte_offset(text, 0), 0);
        assert_eq!(byte_offset(text, 1), 2); // é is 2 bytes, 1 unit
        assert_eq!(byte_offset(text, 3), 6); // 😀 is 4 bytes, 2 units
        assert_eq!(byte_offset(text, 4), 7);
        assert_eq!(byte_offset(text, 99), 7);
        assert_eq!(utf16_offset(text, 6), 3);
        assert_eq!(line_of("a\nb\nc", 4), 2);
    }

    #[test]
    fn the_innermost_expression_under_the_cursor_wins() {
        let expressions = [expression(0, 10, &["outer"]), expression(4, 7, &["inner"]), expression(7, 10, &["next"])];
        assert_eq!(expression_at(&expressions, 5).map(|e| e.values[0].as_str()), Some("inner"));
        // Between two of the same length, the one that starts there (what is typed next to).
        assert_eq!(expression_at(&expressions, 7).map(|e| e.values[0].as_str()), Some("next"));
        assert_eq!(expression_at(&expressions, 11), None);
    }

    #[test]
    fn let_lines_find_the_bound_expression() {
        let source =
            "handler GET /x =\n  let a = 1 + 2\n  let ok = a == 3\n  let (p, q) =  (1, 2)\n  Http.text(\"\", 200)";
        let lines = let_lines(source);
        let names: Vec<&str> = lines.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["a", "ok", "(p, q)"]);
        assert_eq!(&source[lines[0].value_start..][..5], "1 + 2");
        assert_eq!(&source[lines[1].value_start..][..6], "a == 3");
        assert_eq!(&source[lines[2].value_start..][..6], "(1, 2)");
        assert_eq!(lines[2].line, 3);
        // The outermost expression starting there is the let's value; iterations clamp.
        let start = u32::try_from(lines[0].value_start).expect("a short source");
        let expressions = [expression(start, start + 1, &["1"]), expression(start, start + 5, &["3", "4"])];
        assert_eq!(let_value(&expressions, &lines[0], 0).as_deref(), Some("3"));
        assert_eq!(let_value(&expressions, &lines[0], 7).as_deref(), Some("4"));
        assert_eq!(let_value(&expressions, &lines[1], 0), None);
    }

    #[test]
    fn labels_are_one_short_line() {
        assert_eq!(shortened("a\n   b", 10), "a b");
        assert_eq!(shortened("abcdefghij", 5), "abcd…");
    }
}
