//! Syntax errors in words, and recovery at declaration boundaries.
//!
//! When a file does not parse, it is cut into declarations — a line that
//! starts with a declaration keyword starts one — and each is parsed on its
//! own, so a mistake never reaches past the declaration it is in. A broken
//! declaration gets one error: the first that a detector below recognises
//! (an unclosed string, a keyword used as a name, `=>`, a tuple, …), else the
//! first the parser found, described from its lookahead in user words.

use super::ast::Span;
use super::error::SyntaxError;

/// Keywords (docs/language.md §1); none can be a name.
pub const KEYWORDS: &[&str] = &[
    "type", "fn", "handler", "db", "worker", "cron", "let", "if", "then", "else", "match", "with", "when", "true",
    "false",
];

/// The byte ranges of the declarations of `source`, in order, covering it all.
/// A declaration starts at a line whose first word is a declaration keyword
/// followed by what that declaration needs next (`fn name`, `type Name`, …),
/// or by nothing at all (the end of the text, being typed). The first range
/// also holds whatever comes before the first declaration.
pub fn declaration_ranges(source: &str) -> Vec<std::ops::Range<usize>> {
    let mut starts = vec![0];
    let mut line_start = 0;
    for line in source.split_inclusive('\n') {
        let rest = &source[line_start..];
        if line_start > 0 && starts_declaration(rest.trim_start_matches([' ', '\t'])) {
            starts.push(line_start);
        }
        line_start += line.len();
    }
    starts.iter().enumerate().map(|(i, &start)| start..starts.get(i + 1).copied().unwrap_or(source.len())).collect()
}

fn starts_declaration(text: &str) -> bool {
    let word_end = text.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(text.len());
    let (word, after) = text.split_at(word_end);
    let next = after.trim_start();
    if after.len() == next.len() && !next.is_empty() {
        return false;
    }
    let first = next.chars().next();
    match word {
        "type" | "handler" => first.is_none_or(|c| c.is_ascii_uppercase()),
        "fn" | "db" | "worker" => first.is_none_or(|c| c.is_ascii_lowercase() || c == '_'),
        "cron" => first.is_none_or(|c| c == '"'),
        _ => false,
    }
}

/// A token of the quick lexer the detectors use. Strings and chars are one
/// token each (interpolations included); comments and spaces are skipped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Token<'s> {
    pub text: &'s str,
    pub start: usize,
    pub kind: TokenKind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TokenKind {
    /// A lower-case word: a name or a keyword.
    Word,
    TypeName,
    Number,
    /// A string literal; `closed` is false when the text ends inside it.
    String {
        closed: bool,
    },
    Char,
    Punctuation,
}

impl Token<'_> {
    fn end(&self) -> usize {
        self.start + self.text.len()
    }

    fn span(&self, offset: usize) -> Span {
        Span::new(self.start + offset, self.end() + offset)
    }

    fn is(&self, text: &str) -> bool {
        self.text == text && !matches!(self.kind, TokenKind::String { .. } | TokenKind::Char)
    }

    fn is_keyword(&self) -> bool {
        self.kind == TokenKind::Word && KEYWORDS.contains(&self.text)
    }
}

const PUNCTUATION: &[&str] = &["...", "->", "=>", "|>", "||", "&&", "==", "!=", "<=", ">=", "++", "${"];

pub fn tokens(text: &str) -> Vec<Token<'_>> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        let start = i;
        let kind = if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        } else if text[i..].starts_with("//") {
            i = text[i..].find('\n').map_or(text.len(), |n| i + n);
            continue;
        } else if c == '"' {
            let (end, closed) = string_end(text, i + 1);
            i = end;
            TokenKind::String { closed }
        } else if c == '\'' {
            let rest = &text[i + 1..];
            let inner = if rest.starts_with('\\') {
                rest.find('\'').filter(|&n| n <= 12 && !rest[..n].contains('\n'))
            } else {
                rest.chars().next().filter(|&c| c != '\'' && c != '\n').map(char::len_utf8)
            };
            match inner.filter(|&n| rest[n..].starts_with('\'')) {
                Some(n) => {
                    i += n + 2;
                    TokenKind::Char
                }
                None => {
                    i += 1;
                    TokenKind::Punctuation
                }
            }
        } else if c.is_ascii_digit() || c.is_ascii_alphabetic() || c == '_' {
            while i < text.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            if c.is_ascii_digit() {
                TokenKind::Number
            } else if c.is_ascii_uppercase() {
                TokenKind::TypeName
            } else {
                TokenKind::Word
            }
        } else {
            let long = PUNCTUATION.iter().find(|p| text[i..].starts_with(**p));
            i += long.map_or(c.len_utf8(), |p| p.len());
            TokenKind::Punctuation
        };
        tokens.push(Token { text: &text[start..i], start, kind });
    }
    tokens
}

/// Where the string whose text starts at `from` ends (after its closing
/// quote), and whether it was closed. Interpolations may hold strings.
fn string_end(text: &str, from: usize) -> (usize, bool) {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return (i + 1, true),
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                let mut depth = 1;
                i += 2;
                while i < bytes.len() && depth > 0 {
                    match bytes[i] {
                        b'"' => {
                            let (end, closed) = string_end(text, i + 1);
                            if !closed {
                                return (end, false);
                            }
                            i = end;
                            continue;
                        }
                        b'{' => depth += 1,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    (text.len(), false)
}

/// The one error of a declaration that does not parse, when a detector
/// recognises the mistake. `first_error` is where the parser found its first
/// error (relative to `text`); `offset` is where `text` starts in the file.
pub fn diagnose(text: &str, offset: usize, first_error: usize) -> Option<SyntaxError> {
    let tokens = tokens(text);
    unclosed_string(text, &tokens, offset).or_else(|| {
        [keyword_as_name, fat_arrow, lambda_without_arrow, tuple, if_without_then, match_without_arms, long_char]
            .iter()
            .filter_map(|detect| detect(&tokens, offset))
            .min_by_key(|error| error.span().start)
            .or_else(|| leading_minus(text, &tokens, offset, first_error))
    })
}

/// Whether the declaration in `tokens` has a body after its `=`.
pub fn declares_body(tokens: &[Token]) -> bool {
    tokens.first().is_some_and(|first| ["fn", "handler", "worker", "cron"].iter().any(|k| first.is(k)))
}

/// A string that runs to the end of the declaration. It is reported where it
/// starts; when an earlier string of the declaration runs past the end of its
/// line, that one is more likely the string missing its quote (the quote that
/// was meant to close the one after it closed it instead).
fn unclosed_string(text: &str, tokens: &[Token], offset: usize) -> Option<SyntaxError> {
    let unclosed = tokens.iter().find(|t| t.kind == TokenKind::String { closed: false })?;
    let culprit = tokens
        .iter()
        .take_while(|t| t.start <= unclosed.start)
        .find(|t| matches!(t.kind, TokenKind::String { .. }) && t.text.trim_end().contains('\n'))
        .unwrap_or(unclosed);
    let line_end = text[culprit.start..].find('\n').map_or(text.len(), |n| culprit.start + n);
    let shown_end = line_end.min(culprit.start + 1);
    Some(SyntaxError::UnclosedString { span: Span::new(culprit.start + offset, shown_end + offset) })
}

/// `let type = …`, `\if -> …`, `fn match(…)`, `{ type: … }`, `x.type`, `(type: Int)`.
fn keyword_as_name(tokens: &[Token], offset: usize) -> Option<SyntaxError> {
    tokens.iter().enumerate().skip(1).find_map(|(i, keyword)| {
        let before = tokens[i - 1];
        let before_colon = tokens.get(i + 1).is_some_and(|after| after.is(":"));
        let binder = ["let", "\\", "fn", "db", "worker", "."].iter().any(|b| before.is(b))
            && !keyword.is("true")
            && !keyword.is("false");
        let labelled = ["{", ",", "(", "with"].iter().any(|b| before.is(b)) && before_colon;
        (keyword.is_keyword() && (binder || labelled))
            .then(|| SyntaxError::KeywordAsName { keyword: keyword.text.to_string(), span: keyword.span(offset) })
    })
}

/// `'ab'`: a quote that did not make a Char, closed later on its line.
fn long_char(tokens: &[Token], offset: usize) -> Option<SyntaxError> {
    tokens.iter().enumerate().find_map(|(i, open)| {
        if !open.is("'") {
            return None;
        }
        let line = tokens[i + 1..].iter().take_while(|t| !t.text.contains('\n'));
        let close = line.take(8).find(|t| t.is("'") || (t.kind == TokenKind::Char && t.text.ends_with('\'')))?;
        Some(SyntaxError::LongChar { span: Span::new(open.start + offset, close.end() + offset) })
    })
}

fn fat_arrow(tokens: &[Token], offset: usize) -> Option<SyntaxError> {
    tokens.iter().find(|t| t.is("=>")).map(|t| SyntaxError::FatArrow { span: t.span(offset) })
}

/// `\x x + 1`: parameters, then something other than `,` or `->`.
fn lambda_without_arrow(tokens: &[Token], offset: usize) -> Option<SyntaxError> {
    tokens.iter().enumerate().filter(|(_, t)| t.is("\\")).find_map(|(i, _)| {
        let mut j = i + 1;
        while tokens.get(j).is_some_and(|t| t.kind == TokenKind::Word) && tokens.get(j + 1).is_some_and(|t| t.is(",")) {
            j += 2;
        }
        let after = tokens.get(j + 1)?;
        (tokens[j].kind == TokenKind::Word && !after.is("->") && !after.is("=>"))
            .then(|| SyntaxError::LambdaWithoutArrow { span: after.span(offset) })
    })
}

/// `(a, b)` where it is neither a call's arguments, a parameter list, a
/// constructor's payload nor a function type.
fn tuple(tokens: &[Token], offset: usize) -> Option<SyntaxError> {
    tokens.iter().enumerate().filter(|(_, t)| t.is("(")).find_map(|(i, open)| {
        if let Some(before) = i.checked_sub(1).map(|b| tokens[b]) {
            let adjacent = before.end() == open.start;
            let declares = i >= 2 && ["fn", "worker"].iter().any(|k| tokens[i - 2].is(k));
            if adjacent || declares || before.is("fn") {
                return None;
            }
        }
        let mut depth = 0;
        for token in &tokens[i + 1..] {
            match token.text {
                "(" | "[" | "{" | "${" => depth += 1,
                ")" | "]" | "}" if depth == 0 => return None,
                ")" | "]" | "}" => depth -= 1,
                "," if depth == 0 => {
                    let close = tokens[i + 1..]
                        .iter()
                        .scan(0i32, |depth, t| {
                            *depth += match t.text {
                                "(" | "[" | "{" | "${" => 1,
                                ")" | "]" | "}" => -1,
                                _ => 0,
                            };
                            Some((*depth, t))
                        })
                        .find(|(depth, _)| *depth < 0)
                        .map_or(token.end(), |(_, t)| t.end());
                    return Some(SyntaxError::Tuple { span: Span::new(open.start + offset, close + offset) });
                }
                _ => {}
            }
        }
        None
    })
}

/// An `else` that meets an `if` of its level still waiting for its `then`.
fn if_without_then(tokens: &[Token], offset: usize) -> Option<SyntaxError> {
    let mut open: Vec<(i32, &Token, bool)> = Vec::new();
    let mut depth = 0;
    for token in tokens {
        match token.text {
            "(" | "[" | "{" | "${" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            "if" if token.is_keyword() => open.push((depth, token, false)),
            "then" if token.is_keyword() => {
                if let Some(last) = open.iter_mut().rev().find(|(d, _, then)| *d == depth && !then) {
                    last.2 = true;
                }
            }
            "else" if token.is_keyword() => {
                let index = open.iter().rposition(|(d, _, _)| *d == depth)?;
                let (_, if_token, then) = open.remove(index);
                if !then {
                    return Some(SyntaxError::IfWithoutThen { span: if_token.span(offset) });
                }
            }
            _ => {}
        }
    }
    None
}

/// `match x with` followed by something that is not an arm (at the very end
/// it is the code being typed: the parser's own "ends too early" says it).
fn match_without_arms(tokens: &[Token], offset: usize) -> Option<SyntaxError> {
    let mut pending: Vec<(i32, &Token)> = Vec::new();
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate() {
        match token.text {
            "(" | "[" | "{" | "${" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            "match" if token.is_keyword() => pending.push((depth, token)),
            "with" if token.is_keyword() && pending.last().is_some_and(|(d, _)| *d == depth) => {
                let (_, match_token) = pending.pop()?;
                if tokens.get(i + 1).is_some_and(|next| !next.is("|")) {
                    return Some(SyntaxError::MatchWithoutArms {
                        span: Span::new(match_token.start + offset, token.end() + offset),
                    });
                }
            }
            _ => {}
        }
    }
    None
}

/// A line that starts with `-` before the parser's first error: it continued
/// the line above, which is likely what went wrong.
fn leading_minus(text: &str, tokens: &[Token], offset: usize, first_error: usize) -> Option<SyntaxError> {
    tokens
        .windows(2)
        .find(|pair| {
            let [before, minus] = pair else { return false };
            minus.is("-")
                && minus.start <= first_error
                && text[before.end()..minus.start].contains('\n')
                && !before.is("=")
                && !before.is("->")
        })
        .map(|pair| SyntaxError::LeadingMinus { span: pair[1].span(offset) })
}

/// What a grammar symbol is called in an `expected …` list, or `None` when it
/// is not something to list (hidden and auxiliary rules, `ERROR`, comments).
/// Every message about expected tokens goes through here, so no grammar rule
/// name reaches a user (a test checks every symbol).
pub fn describe_symbol(language: &tree_sitter::Language, symbol: u16) -> Option<String> {
    let name = language.node_kind_for_id(symbol)?;
    if !language.node_kind_is_visible(symbol) {
        return None;
    }
    if !language.node_kind_is_named(symbol) {
        return match name {
            "" | "end" => None,
            // A keyword or punctuation, as typed.
            _ => Some(format!("`{name}`")),
        };
    }
    Some(
        match name {
            "identifier" => "a name",
            "type_identifier" => "a type name",
            "http_method" => "an HTTP method",
            "route" => "a route such as `/todos/:id`",
            "integer" => "an Int",
            "float" => "a Float",
            "char" => "a Char",
            "string" | "string_fragment" => "a string",
            "escape_sequence" => "an escape such as `\\n`",
            "interpolation" => "an interpolation `${…}`",
            "boolean" => "`true` or `false`",
            "unit" | "unit_type" => "`()`",
            "type_declaration"
            | "function_declaration"
            | "handler_declaration"
            | "datastore_declaration"
            | "worker_declaration"
            | "cron_declaration"
            | "source_file" => "a declaration",
            "type_parameters" => "type parameters such as `<a>`",
            "record_type" => "a record type such as `{ name: String }`",
            "field_declaration" => "a field such as `name: String`",
            "variant_type" | "variant_case" => "a case such as `| Some(a)`",
            "parameter_list" => "parameters such as `(x: Int)`",
            "parameter" => "a parameter",
            "type_application" | "qualified_type" | "function_type" | "type_variable" => "a type",
            "type_arguments" => "type arguments such as `<Int>`",
            "argument_list" => "arguments such as `(x)`",
            "block"
            | "let_expression"
            | "if_expression"
            | "match_expression"
            | "lambda"
            | "binary_expression"
            | "pipe_expression"
            | "unary_expression"
            | "try_expression"
            | "call_expression"
            | "field_expression"
            | "qualified_identifier"
            | "constructor"
            | "parenthesized_expression"
            | "list_expression"
            | "record_expression"
            | "dict_expression"
            | "record_update" => "an expression",
            "field_initializer" => "a field such as `name: value`",
            "dict_entry" => "an entry such as `\"key\": value`",
            "match_arm" => "a match arm (`| pattern -> expression`)",
            "wildcard_pattern" | "integer_pattern" | "float_pattern" | "constructor_pattern" | "list_pattern" => {
                "a pattern"
            }
            "rest_pattern" => "`...`",
            _ => return None,
        }
        .to_string(),
    )
}

/// What the parser could have accepted in a state, in words, when that is
/// short enough to help ("an expression", "`)`").
pub fn expected_at(state: u16) -> Option<String> {
    let language: tree_sitter::Language = tree_sitter_gloam::LANGUAGE.into();
    let lookahead = language.lookahead_iterator(state)?;
    let symbols: Vec<u16> = lookahead.collect();
    let named = |symbol: u16, name: &str| {
        language.node_kind_for_id(symbol) == Some(name) && language.node_kind_is_named(symbol)
    };
    let expects_expression =
        symbols.iter().any(|&s| named(s, "identifier")) && symbols.iter().any(|&s| named(s, "integer"));
    const EXPRESSION_STARTS: &[&str] = &[
        "identifier",
        "integer",
        "float",
        "\"",
        "char",
        "(",
        "[",
        "{",
        "\\",
        "-",
        "!",
        "true",
        "false",
        "let",
        "if",
        "match",
        "type_identifier",
        "boolean",
        "unit",
        "string",
    ];
    let mut described: Vec<String> = Vec::new();
    if expects_expression {
        described.push("an expression".to_string());
    }
    for symbol in symbols {
        let Some(name) = language.node_kind_for_id(symbol) else { continue };
        // Tokens only, and the rules that stand for one.
        let token_like = !language.node_kind_is_named(symbol)
            || ["identifier", "type_identifier", "integer", "float", "char", "http_method", "route", "string"]
                .contains(&name);
        if !token_like || (expects_expression && EXPRESSION_STARTS.contains(&name)) || name == "comment" {
            continue;
        }
        let text = if name == "\"" { Some("a string".to_string()) } else { describe_symbol(&language, symbol) };
        if let Some(text) = text.filter(|text| !described.contains(text)) {
            described.push(text);
        }
    }
    match described.len() {
        0 => None,
        1..=4 => {
            let last = described.pop()?;
            Some(if described.is_empty() { last } else { format!("{} or {last}", described.join(", ")) })
        }
        _ => None,
    }
}

/// Where inside an ERROR node parsing went wrong, and the parse state there.
/// The children of an ERROR node keep the states they were parsed in up to the
/// failure: the first nested ERROR (or stateless token) is the culprit, or the
/// token before it when the culprit has no state of its own. `None` when every
/// child parsed: the input stopped early.
pub fn culprit(error: tree_sitter::Node) -> Option<(tree_sitter::Node, u16)> {
    let mut cursor = error.walk();
    let children: Vec<tree_sitter::Node> = error.children(&mut cursor).collect();
    for (i, child) in children.iter().enumerate().skip(1) {
        if child.is_error() || child.parse_state() == 0 {
            if child.parse_state() != 0 {
                return Some((*child, child.parse_state()));
            }
            return Some((children[i - 1], children[i - 1].parse_state()));
        }
    }
    if children.len() > 1 {
        return None;
    }
    let mut leaf = error;
    while let Some(first) = leaf.child(0) {
        leaf = first;
    }
    Some((error, leaf.parse_state()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_start_at_lines_with_a_declaration_keyword() {
        let source = "fn a() =\n  let type = 1\n  type\n\n  fn b() = 2\ntype T = | A\ncron \"* * * * *\" c = 1\nfn(";
        let starts: Vec<usize> = declaration_ranges(source).iter().map(|range| range.start).collect();
        let lines: Vec<&str> = starts.iter().map(|&start| source[start..].lines().next().unwrap_or("")).collect();
        assert_eq!(lines, ["fn a() =", "  fn b() = 2", "type T = | A", "cron \"* * * * *\" c = 1"]);
    }

    #[test]
    fn strings_are_one_token_and_may_be_unclosed() {
        let kinds: Vec<(&str, TokenKind)> =
            tokens("\"a ${\"b\"} c\" 'x' '\\n' 1e3 => \"open").iter().map(|t| (t.text, t.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("\"a ${\"b\"} c\"", TokenKind::String { closed: true }),
                ("'x'", TokenKind::Char),
                ("'\\n'", TokenKind::Char),
                ("1e3", TokenKind::Number),
                ("=>", TokenKind::Punctuation),
                ("\"open", TokenKind::String { closed: false }),
            ]
        );
    }
}
