//! Runtime errors: what stops an evaluation, with where it happened.

use gloam_language::ast::Span;
use thiserror::Error;

/// Why evaluation stopped.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ErrorKind {
    #[error("Int overflow in `{operation}`")]
    IntOverflow { operation: String },
    #[error("division by zero in `{operation}`")]
    DivisionByZero { operation: String },
    #[error("Float result is not a finite number")]
    NonFiniteFloat,
    #[error("step budget of {limit} steps exhausted (an infinite loop?)")]
    StepLimit { limit: u64 },
    #[error("recursion deeper than {limit} calls")]
    RecursionLimit { limit: u32 },
    /// The same words as the compiled engine's (its sandbox's memory cap).
    #[error("memory limit of {} MiB exceeded (a value grew too large?)", limit / (1024 * 1024))]
    MemoryLimit { limit: usize },
    #[error("{size} elements is more than the limit of {limit} for one list, dict or string")]
    SizeLimit { size: usize, limit: usize },
    #[error("cannot compare functions")]
    CompareFunctions,
    #[error("{function}: {message}")]
    Builtin { function: &'static str, message: String },
    #[error("{function} failed: {message}")]
    Effect { function: &'static str, message: String },
    #[error("this code has errors; fix them before running it")]
    BrokenCode,
    /// Only in code that did not type-check (a draft run for live values).
    #[error("type error: {0} (the code does not type-check)")]
    IllTyped(String),
    #[error("no arm of the match covers {value}")]
    NoMatch { value: String },
    #[error("internal error: {0}")]
    Internal(String),
}

/// An error with the expression it stopped at.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{kind}")]
pub struct RuntimeError {
    pub kind: ErrorKind,
    /// Where; `None` when no expression is to blame (e.g. a missing handler).
    pub span: Option<Span>,
}

impl RuntimeError {
    pub fn new(kind: ErrorKind) -> RuntimeError {
        RuntimeError { kind, span: None }
    }

    pub fn at(mut self, span: Span) -> RuntimeError {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }
}

impl From<ErrorKind> for RuntimeError {
    fn from(kind: ErrorKind) -> RuntimeError {
        RuntimeError::new(kind)
    }
}
