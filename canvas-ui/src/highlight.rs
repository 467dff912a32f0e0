//! Syntax highlighting as you type. The grammar's highlight queries
//! (`language/tree-sitter-gloam/queries/highlights.scm`) need the tree-sitter
//! parser, which is C and is not built for the browser; this lexer gives the
//! same classes for the tokens a reader tells apart, at every keystroke,
//! without a round trip. A test keeps its keywords in step with the queries.

/// What a piece of source is, as a CSS class (`tok-…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Plain,
    Keyword,
    Conditional,
    Method,
    Route,
    String,
    Escape,
    Interpolation,
    Number,
    Boolean,
    Comment,
    Type,
    Function,
    Operator,
    Punctuation,
}

impl Class {
    fn css(self) -> &'static str {
        match self {
            Class::Plain => "",
            Class::Keyword => "tok-keyword",
            Class::Conditional => "tok-conditional",
            Class::Method => "tok-method",
            Class::Route => "tok-route",
            Class::String => "tok-string",
            Class::Escape => "tok-escape",
            Class::Interpolation => "tok-interpolation",
            Class::Number => "tok-number",
            Class::Boolean => "tok-boolean",
            Class::Comment => "tok-comment",
            Class::Type => "tok-type",
            Class::Function => "tok-function",
            Class::Operator => "tok-operator",
            Class::Punctuation => "tok-punctuation",
        }
    }
}

/// The language's keywords (the `@keyword` captures of the highlight queries).
pub const KEYWORDS: &[&str] = &["type", "fn", "handler", "db", "worker", "cron", "let", "match", "with", "when"];
pub const CONDITIONALS: &[&str] = &["if", "then", "else"];
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// A token: a byte range and its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub class: Class,
}

/// The tokens of a source, in order; whitespace is left out.
pub fn tokens(source: &str) -> Vec<Token> {
    let mut lexer = Lexer { source, bytes: source.as_bytes(), position: 0, tokens: Vec::new(), after_handler: 0 };
    lexer.code(None);
    lexer.tokens
}

struct Lexer<'s> {
    source: &'s str,
    bytes: &'s [u8],
    position: usize,
    tokens: Vec<Token>,
    /// Tokens since `handler`: the method comes first, then the route.
    after_handler: u8,
}

impl Lexer<'_> {
    fn push(&mut self, start: usize, class: Class) {
        if self.position > start {
            self.tokens.push(Token { start, end: self.position, class });
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.position + ahead).copied()
    }

    fn advance_char(&mut self) {
        let width = self.source[self.position..].chars().next().map_or(1, char::len_utf8);
        self.position += width;
    }

    /// Code up to the end, or up to the `}` closing an interpolation when
    /// `closing` (the brace depth) is given.
    fn code(&mut self, mut closing: Option<usize>) {
        while let Some(byte) = self.peek(0) {
            let start = self.position;
            match byte {
                b'}' if closing == Some(0) => return,
                b'{' => {
                    closing = closing.map(|depth| depth + 1);
                    self.position += 1;
                    self.push(start, Class::Punctuation);
                }
                b'}' => {
                    closing = closing.map(|depth| depth - 1);
                    self.position += 1;
                    self.push(start, Class::Punctuation);
                }
                b'/' if self.peek(1) == Some(b'/') => {
                    while self.peek(0).is_some_and(|b| b != b'\n') {
                        self.position += 1;
                    }
                    self.push(start, Class::Comment);
                }
                b'"' => self.string(),
                b'\'' => self.character(),
                b'0'..=b'9' => {
                    while self.peek(0).is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
                        if self.peek(0) == Some(b'.') && !self.peek(1).is_some_and(|b| b.is_ascii_digit()) {
                            break;
                        }
                        self.position += 1;
                    }
                    self.push(start, Class::Number);
                }
                b'/' if self.after_handler == 2 => {
                    while self.peek(0).is_some_and(|b| !b.is_ascii_whitespace()) {
                        self.advance_char();
                    }
                    self.after_handler = 0;
                    self.push(start, Class::Route);
                }
                b if b.is_ascii_alphabetic() || b == b'_' => self.word(),
                b if b.is_ascii_whitespace() => self.position += 1,
                b'(' | b')' | b'[' | b']' | b',' | b':' | b'.' => {
                    self.position += 1;
                    self.push(start, Class::Punctuation);
                }
                _ => {
                    if byte.is_ascii_punctuation() {
                        while self.peek(0).is_some_and(|b| b"+-*/%=!<>&|?\\".contains(&b)) {
                            self.position += 1;
                        }
                        self.position = self.position.max(start + 1);
                        self.push(start, Class::Operator);
                    } else {
                        self.advance_char();
                        self.push(start, Class::Plain);
                    }
                }
            }
        }
    }

    fn word(&mut self) {
        let start = self.position;
        while self.peek(0).is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
            self.position += 1;
        }
        let word = &self.source[start..self.position];
        let class = if KEYWORDS.contains(&word) {
            Class::Keyword
        } else if CONDITIONALS.contains(&word) {
            Class::Conditional
        } else if word == "true" || word == "false" {
            Class::Boolean
        } else if self.after_handler == 1 && METHODS.contains(&word) {
            Class::Method
        } else if word.starts_with(|c: char| c.is_ascii_uppercase()) {
            Class::Type
        } else if self.peek(0) == Some(b'(') || self.follows_module(start) {
            Class::Function
        } else {
            Class::Plain
        };
        self.after_handler = match (word, self.after_handler) {
            ("handler", _) => 1,
            (_, 1) => 2,
            _ => 0,
        };
        self.push(start, class);
    }

    /// `Module.name`: the word right after a dot after a capitalised word.
    fn follows_module(&self, start: usize) -> bool {
        start > 0
            && self.bytes[start - 1] == b'.'
            && self.tokens.iter().rev().nth(1).is_some_and(|token| token.class == Class::Type)
    }

    fn string(&mut self) {
        let mut start = self.position;
        self.position += 1;
        while let Some(byte) = self.peek(0) {
            match byte {
                b'"' => {
                    self.position += 1;
                    break;
                }
                b'\\' => {
                    self.push(start, Class::String);
                    let escape = self.position;
                    self.position += 1;
                    if self.peek(0).is_some() {
                        self.advance_char();
                    }
                    self.push(escape, Class::Escape);
                    start = self.position;
                }
                b'$' if self.peek(1) == Some(b'{') => {
                    self.push(start, Class::String);
                    let open = self.position;
                    self.position += 2;
                    self.push(open, Class::Interpolation);
                    self.code(Some(0));
                    let close = self.position;
                    if self.peek(0) == Some(b'}') {
                        self.position += 1;
                    }
                    self.push(close, Class::Interpolation);
                    start = self.position;
                }
                b'\n' => break,
                _ => self.advance_char(),
            }
        }
        self.push(start, Class::String);
    }

    fn character(&mut self) {
        let start = self.position;
        self.position += 1;
        if self.peek(0) == Some(b'\\') {
            self.position += 1;
        }
        if self.peek(0).is_some() {
            self.advance_char();
        }
        if self.peek(0) == Some(b'\'') {
            self.position += 1;
        }
        self.push(start, Class::String);
    }
}

/// The source as HTML: tokens in `tok-…` spans, the byte ranges in `marked`
/// (diagnostics) also with the class `marked`. Ends with a newline and a
/// space, so the block is as tall as the textarea over it.
pub fn to_html(source: &str, marked: &[(usize, usize)]) -> String {
    let text = format!("{source} ");
    let mut classes = vec![Class::Plain; text.len()];
    for token in tokens(source) {
        classes[token.start..token.end].fill(token.class);
    }
    let mut is_marked = vec![false; text.len()];
    for &(start, end) in marked {
        // Ranges come from an analysis of older text; one that no longer fits is left out.
        let fits = |at: usize| at <= source.len() && text.is_char_boundary(at);
        if !fits(start) || !fits(end.max(start)) {
            continue;
        }
        // An empty range (a missing expression) marks the character after it.
        let end = if end > start { end } else { next_boundary(&text, start) };
        is_marked[start..end].fill(true);
    }
    let mut html = String::with_capacity(text.len() * 2);
    let mut run_start = 0;
    for index in 1..=text.len() {
        let boundary = index == text.len()
            || (text.is_char_boundary(index)
                && (classes[index] != classes[run_start] || is_marked[index] != is_marked[run_start]));
        if boundary {
            let css = classes[run_start].css();
            let class = match (css.is_empty(), is_marked[run_start]) {
                (true, false) => String::new(),
                (true, true) => "marked".to_string(),
                (false, false) => css.to_string(),
                (false, true) => format!("{css} marked"),
            };
            push_run(&mut html, &class, &text[run_start..index]);
            run_start = index;
        }
    }
    html.push('\n');
    html
}

fn next_boundary(text: &str, start: usize) -> usize {
    text[start..].chars().next().map_or(text.len(), |c| start + c.len_utf8())
}

fn push_run(html: &mut String, class: &str, text: &str) {
    if !class.is_empty() {
        html.push_str("<span class=\"");
        html.push_str(class);
        html.push_str("\">");
    }
    html.push_str(&escape(text));
    if !class.is_empty() {
        html.push_str("</span>");
    }
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(source: &str) -> Vec<(&str, Class)> {
        tokens(source).into_iter().map(|token| (&source[token.start..token.end], token.class)).collect()
    }

    #[test]
    fn a_handler_is_highlighted_like_the_grammar_would() {
        let source = "handler GET /hello/:name =\n  // greet\n  let n = Dict.get(request.query, \"a${x}\\n\")\n  if n == Some(1.5) then true else f(2)";
        let seen = classes(source);
        let class_of = |text: &str| seen.iter().find(|(t, _)| *t == text).map(|(_, c)| *c);
        assert_eq!(class_of("handler"), Some(Class::Keyword));
        assert_eq!(class_of("GET"), Some(Class::Method));
        assert_eq!(class_of("/hello/:name"), Some(Class::Route));
        assert_eq!(class_of("// greet"), Some(Class::Comment));
        assert_eq!(class_of("let"), Some(Class::Keyword));
        assert_eq!(class_of("Dict"), Some(Class::Type));
        assert_eq!(class_of("get"), Some(Class::Function));
        assert_eq!(class_of("\"a"), Some(Class::String));
        assert_eq!(class_of("${"), Some(Class::Interpolation));
        assert_eq!(class_of("x"), Some(Class::Plain));
        assert_eq!(class_of("\\n"), Some(Class::Escape));
        assert_eq!(class_of("=="), Some(Class::Operator));
        assert_eq!(class_of("1.5"), Some(Class::Number));
        assert_eq!(class_of("then"), Some(Class::Conditional));
        assert_eq!(class_of("true"), Some(Class::Boolean));
        assert_eq!(class_of("f"), Some(Class::Function));
        assert_eq!(class_of("request"), Some(Class::Plain));
    }

    #[test]
    fn interpolations_nest_and_records_inside_them_close_properly() {
        let source = "\"${ {a: 1}.a } done\"";
        let seen = classes(source);
        assert_eq!(seen.last(), Some(&(" done\"", Class::String)), "{seen:?}");
    }

    #[test]
    fn keywords_are_those_of_the_highlight_queries() {
        let queries = include_str!("../../language/tree-sitter-gloam/queries/highlights.scm");
        let quoted_words: Vec<&str> = queries
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase()))
            .collect();
        assert!(!quoted_words.is_empty());
        for word in &quoted_words {
            assert!(KEYWORDS.contains(word) || CONDITIONALS.contains(word), "`{word}` is a keyword in highlights.scm");
        }
        for word in KEYWORDS.iter().chain(CONDITIONALS) {
            assert!(quoted_words.contains(word), "`{word}` is not a keyword in highlights.scm");
        }
    }

    #[test]
    fn html_escapes_and_marks_diagnostic_ranges() {
        let html = to_html("a < b", &[(4, 5)]);
        assert_eq!(html, "a <span class=\"tok-operator\">&lt;</span> <span class=\"marked\">b</span> \n");
        // An empty range at the end marks the space after the source.
        assert!(to_html("n +", &[(3, 3)]).contains("<span class=\"marked\"> </span>"));
        // Multi-byte text stays whole; ranges that no longer fit the text are left out.
        assert_eq!(to_html("\"é\"", &[]), "<span class=\"tok-string\">&quot;é&quot;</span> \n");
        assert_eq!(to_html("é", &[(1, 1), (0, 9), (5, 6)]), "é \n");
    }
}
