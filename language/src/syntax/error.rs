//! [`SyntaxError`]: everything parsing and lowering report, with the facts
//! for a hint. Rendered to text here and nowhere else; no message names a
//! grammar rule (`expected …` lists are built from user words, see
//! `recovery::describe_symbol`).

use super::ast::Span;
use thiserror::Error;

/// How deeply expressions, patterns and types may nest. A level is one
/// bracket (`(`, `[`, `{`), one call's arguments, one lambda, `if`, `match`,
/// `let` value, unary operator or `?`, or one pattern or type argument. Chains
/// do not nest: the operands of binary operators and `|>`, the statements of a
/// block, the body of a `let`, the `else if` of an `if`, field accesses and
/// calls on a result stay at their parent's level. Bounding this keeps the
/// tree within what the recursive stages after lowering handle comfortably;
/// long chains they handle by growing the stack (`crate::stack::grow`).
pub const MAX_NESTING: u32 = 1000;

/// What is wrong with a number-like word.
#[derive(Debug, Clone, PartialEq)]
pub enum NumberProblem {
    /// Digits then letters: `12abc`.
    TrailingLetters,
    /// A digit that its base does not have (`0x1g`, `0b102`), or no digit at all (`0x`).
    BadDigits { base: &'static str },
    /// A Float literal whose value is not finite (`1.0e400`).
    FloatOutOfRange,
}

/// A problem found while turning source into an AST.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SyntaxError {
    #[error("syntax error: unexpected {found}{}", expected.as_ref().map(|e| format!("; expected {e}")).unwrap_or_default())]
    Unexpected { found: String, expected: Option<String>, span: Span },
    #[error("syntax error: this ends too early{}", expected.as_ref().map(|e| format!("; expected {e} after it")).unwrap_or_default())]
    Incomplete { expected: Option<String>, span: Span },
    #[error("syntax error: missing {expected}")]
    Missing { expected: String, span: Span },
    #[error("syntax error: this string is not closed")]
    UnclosedString { span: Span },
    #[error("syntax error: `{keyword}` is a keyword and cannot be a name")]
    KeywordAsName { keyword: String, span: Span },
    #[error("syntax error: this `if` has no `then`")]
    IfWithoutThen { span: Span },
    #[error("syntax error: this `match` has no arms")]
    MatchWithoutArms { span: Span },
    #[error("syntax error: a lambda needs `->` between its parameters and its body")]
    LambdaWithoutArrow { span: Span },
    #[error("syntax error: `=>` is not an arrow in Gloam")]
    FatArrow { span: Span },
    #[error("syntax error: Gloam has no tuples")]
    Tuple { span: Span },
    #[error("syntax error: a Char holds exactly one character")]
    LongChar { span: Span },
    #[error("syntax error: this line starts with `-`, so it continues the line before it")]
    LeadingMinus { span: Span },
    #[error("{}", number_message(text, problem))]
    InvalidNumber { text: String, problem: NumberProblem, span: Span },
    #[error("integer literal `{text}` does not fit in a 64-bit Int")]
    IntegerTooLarge { text: String, span: Span },
    #[error("invalid escape sequence `{text}`")]
    InvalidEscape { text: String, span: Span },
    #[error("dict keys must be plain strings, without `${{...}}`")]
    InterpolatedKey { span: Span },
    #[error("this match arm is less indented than the first arm of its match")]
    MisalignedArm { span: Span },
    #[error("a worker takes exactly one parameter, the event")]
    WorkerArity { span: Span },
    #[error("this is nested more than {MAX_NESTING} levels deep")]
    TooDeep { span: Span },
}

fn number_message(text: &str, problem: &NumberProblem) -> String {
    match problem {
        NumberProblem::TrailingLetters => format!("`{text}` is not a number: a number cannot be followed by letters"),
        NumberProblem::BadDigits { base } => format!("`{text}` is not a valid {base} number"),
        NumberProblem::FloatOutOfRange => format!("`{text}` is too large for a Float"),
    }
}

impl SyntaxError {
    pub fn span(&self) -> Span {
        match self {
            SyntaxError::Unexpected { span, .. }
            | SyntaxError::Incomplete { span, .. }
            | SyntaxError::Missing { span, .. }
            | SyntaxError::UnclosedString { span }
            | SyntaxError::KeywordAsName { span, .. }
            | SyntaxError::IfWithoutThen { span }
            | SyntaxError::MatchWithoutArms { span }
            | SyntaxError::LambdaWithoutArrow { span }
            | SyntaxError::FatArrow { span }
            | SyntaxError::Tuple { span }
            | SyntaxError::LongChar { span }
            | SyntaxError::LeadingMinus { span }
            | SyntaxError::InvalidNumber { span, .. }
            | SyntaxError::IntegerTooLarge { span, .. }
            | SyntaxError::InvalidEscape { span, .. }
            | SyntaxError::InterpolatedKey { span }
            | SyntaxError::MisalignedArm { span }
            | SyntaxError::WorkerArity { span }
            | SyntaxError::TooDeep { span } => *span,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            SyntaxError::Unexpected { .. }
            | SyntaxError::Incomplete { .. }
            | SyntaxError::Missing { .. }
            | SyntaxError::UnclosedString { .. }
            | SyntaxError::KeywordAsName { .. }
            | SyntaxError::IfWithoutThen { .. }
            | SyntaxError::MatchWithoutArms { .. }
            | SyntaxError::LambdaWithoutArrow { .. }
            | SyntaxError::FatArrow { .. }
            | SyntaxError::Tuple { .. }
            | SyntaxError::LongChar { .. }
            | SyntaxError::LeadingMinus { .. } => "syntax",
            SyntaxError::InvalidNumber { .. } => "invalid-number",
            SyntaxError::IntegerTooLarge { .. } => "integer-too-large",
            SyntaxError::InvalidEscape { .. } => "invalid-escape",
            SyntaxError::InterpolatedKey { .. } => "interpolated-key",
            SyntaxError::MisalignedArm { .. } => "misaligned-arm",
            SyntaxError::WorkerArity { .. } => "worker-arity",
            SyntaxError::TooDeep { .. } => "too-deep",
        }
    }

    pub(super) fn hint(&self) -> Option<String> {
        Some(match self {
            SyntaxError::MisalignedArm { .. } => {
                "help: align the `|` of each arm with the first arm of the match it belongs to".to_string()
            }
            SyntaxError::IntegerTooLarge { .. } => {
                "help: Int is 64-bit: from -9223372036854775808 to 9223372036854775807".to_string()
            }
            SyntaxError::UnclosedString { .. } => "help: end it with `\"` (write `\\\"` for a quote inside it)".to_string(),
            SyntaxError::KeywordAsName { keyword, .. } => format!("help: choose another name, such as `{keyword}_`"),
            SyntaxError::IfWithoutThen { .. } => "help: write `if condition then value else other`".to_string(),
            SyntaxError::MatchWithoutArms { .. } => {
                "help: add arms after `with`, one per line: `| pattern -> value`".to_string()
            }
            SyntaxError::LambdaWithoutArrow { .. } | SyntaxError::FatArrow { .. } => {
                "help: write `->`, as in `\\x -> x + 1`".to_string()
            }
            SyntaxError::Tuple { .. } => {
                "help: use a record (`{ first: a, second: b }`) or, for values of one type, a list (`[a, b]`)"
                    .to_string()
            }
            SyntaxError::LongChar { .. } => "help: write text in double quotes, as a String: `\"ab\"`".to_string(),
            SyntaxError::LeadingMinus { .. } => {
                "help: `a` then a line `- b` is `a - b`; to start a statement with a negation, write `(-b)`".to_string()
            }
            SyntaxError::InvalidNumber { problem, .. } => match problem {
                NumberProblem::TrailingLetters => {
                    "help: numbers are decimal (`1_000`), `0x1F`, `0o17`, `0b101`, or Floats such as `1.5`, `1e3`, `2.5e-3`; put a space between a number and a name".to_string()
                }
                NumberProblem::BadDigits { base } => format!(
                    "help: {} digits are {}",
                    base,
                    match *base {
                        "hexadecimal" => "0-9 and a-f (`0x1F`)",
                        "octal" => "0-7 (`0o17`)",
                        _ => "0 and 1 (`0b101`)",
                    }
                ),
                NumberProblem::FloatOutOfRange => "help: a Float is at most about 1.8e308".to_string(),
            },
            _ => return None,
        })
    }
}

impl From<&SyntaxError> for crate::Diagnostic {
    fn from(error: &SyntaxError) -> crate::Diagnostic {
        let diagnostic = crate::Diagnostic::error(error.code(), error.to_string(), error.span());
        match error.hint() {
            Some(hint) => diagnostic.with_note(hint),
            None => diagnostic,
        }
    }
}
