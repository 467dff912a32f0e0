//! Type errors. Variants carry the facts (types already rendered, names in
//! scope for a hint); `From<&TypeError> for Diagnostic` is the one place they
//! become text.

use crate::Diagnostic;
use crate::syntax::ast::Span;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum TypeError {
    #[error("type mismatch: expected `{expected}`, found `{found}`")]
    Mismatch { span: Span, expected: String, found: String, context: Option<String> },
    #[error("`{found}` is not {constraint}")]
    Constraint { span: Span, constraint: &'static str, found: String },
    #[error("infinite type: `{variable}` would have to contain itself in `{ty}`")]
    InfiniteType { span: Span, variable: String, ty: String },
    #[error("`{found}` is not a function, so it cannot be called")]
    NotAFunction { span: Span, found: String },
    #[error("this function takes {expected} argument{}, but {found} {} given", plural(*expected), was_were(*found))]
    ArgumentCount { span: Span, expected: usize, found: usize, signature: String },
    #[error("unknown name `{name}`")]
    UnknownVariable { span: Span, name: String, similar: Vec<String> },
    #[error("unknown function `{module}.{name}`")]
    UnknownFunction { span: Span, module: String, name: String, similar: Vec<String> },
    #[error("unknown module `{module}`")]
    UnknownModule { span: Span, module: String, modules: Vec<String>, similar: Vec<String> },
    #[error("unknown constructor `{name}`")]
    UnknownConstructor { span: Span, name: String, similar: Vec<String> },
    #[error("unknown type `{name}`")]
    UnknownType { span: Span, name: String, similar: Vec<String> },
    #[error("unknown type variable `{name}`")]
    UnknownTypeVariable { span: Span, name: String },
    #[error("`{name}` takes {expected} type argument{}, but {found} {} given", plural(*expected), was_were(*found))]
    TypeArity { span: Span, name: String, expected: usize, found: usize },
    #[error("constructor `{name}` takes {expected} argument{}, but {found} {} given", plural(*expected), was_were(*found))]
    ConstructorArity { span: Span, name: String, expected: usize, found: usize },
    #[error("`{ty}` has no field `{field}`")]
    UnknownField { span: Span, ty: String, field: String, fields: Vec<String> },
    #[error("missing field{} {} in `{ty}`", plural(fields.len()), quoted(fields))]
    MissingFields { span: Span, ty: String, fields: Vec<String> },
    #[error("field `{field}` is given twice")]
    DuplicateField { span: Span, field: String },
    #[error("key \"{key}\" is given twice")]
    DuplicateKey { span: Span, key: String },
    #[error("no record type has the fields {}", quoted(fields))]
    NoRecordType { span: Span, fields: Vec<String> },
    #[error("several record types have the fields {}: {}", quoted(fields), quoted(candidates))]
    AmbiguousRecord { span: Span, fields: Vec<String>, candidates: Vec<String> },
    #[error("`{found}` is not a record")]
    NotARecord { span: Span, found: String },
    #[error("cannot tell which record type has field `{field}` here")]
    UnknownRecordType { span: Span, field: String, candidates: Vec<String> },
    #[error("this match does not cover {missing}")]
    NonExhaustive { span: Span, missing: String },
    #[error("this arm can never match: earlier arms cover every value it matches")]
    UnreachableArm { span: Span },
    #[error("this pattern can fail to match (it does not cover {missing}), so it cannot be used in `let`")]
    RefutableLet { span: Span, missing: String },
    #[error("`{name}` is already defined")]
    Duplicate { span: Span, name: String, previous: Span },
    #[error("constructor `{name}` is already defined by type `{other_type}`")]
    DuplicateConstructor { span: Span, name: String, other_type: String },
    #[error("`?` needs a `Result` or an `Option`, found `{found}`")]
    TryOperand { span: Span, found: String },
    #[error("`?` on {} returns early from the function, which returns `{returns}`", an_operand(operand))]
    TryReturn { span: Span, operand: &'static str, returns: String },
    #[error("`?` in a handler needs an error of type `String` (it becomes a 400 response), found `{found}`")]
    TryInHandler { span: Span, found: String },
    #[error("cannot tell which type to decode into: `{ty}` is not fully known here")]
    UnknownDecodeTarget { span: Span, ty: String },
    #[error("type arguments can only be given to a named function")]
    TypeArgumentsNotAllowed { span: Span },
    #[error("`{name}` has {expected} type parameter{}, but {found} type argument{} {} given", plural(*expected), plural(*found), was_were(*found))]
    TypeArgumentCount { span: Span, name: String, expected: usize, found: usize },
    #[error("{reason}")]
    InvalidSchedule { span: Span, reason: String },
    #[error("{}", not_data_message(ty, part.is_some() || via.is_some(), *kind))]
    NotData {
        span: Span,
        /// The type of the value.
        ty: String,
        /// The part of it that is not data, when that is not the whole type.
        part: Option<String>,
        /// Where that part is declared: "field `run` of `Job`".
        via: Option<String>,
        kind: NotDataKind,
        /// What is done with the value, when the checker knows.
        why: Option<&'static str>,
    },
    #[error("{}", secret_message(ty, part.is_some() || via.is_some(), *how))]
    SecretShown {
        span: Span,
        /// The type of the value.
        ty: String,
        /// The Secret in it, when that is not the whole type.
        part: Option<String>,
        /// Where that part is declared: "field `token` of `Config`".
        via: Option<String>,
        how: SecretUse,
    },
    #[error("this value of type `{ty}` is never used")]
    UnusedValue { span: Span, ty: String, kind: UnusedKind },
    #[error("the route `{route}` has no parameter `{name}`")]
    UnknownRouteParameter { span: Span, name: String, route: String, parameters: Vec<String> },
    #[error("route parameter `{name}` appears twice")]
    DuplicateRouteParameter { span: Span, name: String },
    /// A type past [`MAX_TYPE_SIZE`](super::MAX_TYPE_SIZE) nodes; `span` is
    /// the first expression (or the function) that has one.
    #[error("this declaration's types grew too large to check (more than {limit} type nodes)")]
    TooComplex { span: Span, limit: usize },
}

/// What keeps a type from being data (from being stored or encoded as JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotDataKind {
    Function,
    Datastore,
    Worker,
    /// A type variable of an annotated function: it could be a function.
    TypeVariable,
    Secret,
}

/// What code tried to do with a Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretUse {
    /// String interpolation.
    Shown,
    /// `==` or `!=`.
    Compared,
    /// A type variable of generic code that shows or compares its values.
    ShownOrCompared,
}

impl SecretUse {
    fn describe(self) -> &'static str {
        match self {
            SecretUse::Shown => "turned into text",
            SecretUse::Compared => "compared with `==`",
            SecretUse::ShownOrCompared => "turned into text or compared with `==`",
        }
    }
}

fn secret_message(ty: &str, contains: bool, how: SecretUse) -> String {
    match contains {
        true => format!("`{ty}` contains a Secret, which cannot be {}", how.describe()),
        false => format!("a Secret cannot be {}", how.describe()),
    }
}

/// What a discarded value is, for the hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnusedKind {
    /// A function that is not called; `call` is the call the code may have
    /// meant, when the next statement is its arguments in parentheses.
    Function {
        call: Option<String>,
    },
    /// A `Result`: a failure would go unnoticed.
    Result,
    Value,
}

fn not_data_message(ty: &str, contains: bool, kind: NotDataKind) -> String {
    let what = match kind {
        NotDataKind::Function => "a function",
        NotDataKind::Datastore => "a datastore",
        NotDataKind::Worker => "a worker",
        NotDataKind::Secret => "a Secret",
        NotDataKind::TypeVariable => {
            return format!("`{ty}` could be any type, a function too, so it cannot be stored or encoded as JSON");
        }
    };
    let (verb, what) = match (contains, kind) {
        (false, NotDataKind::Secret) => return "a Secret cannot be stored or encoded as JSON".to_string(),
        (false, _) => ("is", what),
        (true, NotDataKind::Function) => ("contains", "functions"),
        (true, NotDataKind::Datastore) => ("contains", "datastores"),
        (true, NotDataKind::Secret) => ("contains", "Secrets"),
        (true, _) => ("contains", "workers"),
    };
    format!("`{ty}` {verb} {what}, which cannot be stored or encoded as JSON")
}

/// What a Secret is for, where code tried something else with one.
const SECRET_HELP: &str = "help: a Secret cannot be turned into text; pass it to Http.requestWithSecrets \
                           or compare it with Secret.matches";

fn an_operand(operand: &str) -> String {
    let article = if operand.starts_with(['A', 'E', 'I', 'O', 'U']) { "an" } else { "a" };
    format!("{article} `{operand}`")
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn was_were(count: usize) -> &'static str {
    if count == 1 { "was" } else { "were" }
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

impl TypeError {
    pub fn span(&self) -> Span {
        match self {
            TypeError::Mismatch { span, .. }
            | TypeError::Constraint { span, .. }
            | TypeError::InfiniteType { span, .. }
            | TypeError::NotAFunction { span, .. }
            | TypeError::ArgumentCount { span, .. }
            | TypeError::UnknownVariable { span, .. }
            | TypeError::UnknownFunction { span, .. }
            | TypeError::UnknownModule { span, .. }
            | TypeError::UnknownConstructor { span, .. }
            | TypeError::UnknownType { span, .. }
            | TypeError::UnknownTypeVariable { span, .. }
            | TypeError::TypeArity { span, .. }
            | TypeError::ConstructorArity { span, .. }
            | TypeError::UnknownField { span, .. }
            | TypeError::MissingFields { span, .. }
            | TypeError::DuplicateField { span, .. }
            | TypeError::NoRecordType { span, .. }
            | TypeError::AmbiguousRecord { span, .. }
            | TypeError::NotARecord { span, .. }
            | TypeError::UnknownRecordType { span, .. }
            | TypeError::NonExhaustive { span, .. }
            | TypeError::UnreachableArm { span }
            | TypeError::RefutableLet { span, .. }
            | TypeError::Duplicate { span, .. }
            | TypeError::DuplicateConstructor { span, .. }
            | TypeError::TryOperand { span, .. }
            | TypeError::TryReturn { span, .. }
            | TypeError::DuplicateKey { span, .. }
            | TypeError::NotData { span, .. }
            | TypeError::SecretShown { span, .. }
            | TypeError::UnusedValue { span, .. }
            | TypeError::TryInHandler { span, .. }
            | TypeError::UnknownDecodeTarget { span, .. }
            | TypeError::TypeArgumentsNotAllowed { span }
            | TypeError::TypeArgumentCount { span, .. }
            | TypeError::InvalidSchedule { span, .. }
            | TypeError::UnknownRouteParameter { span, .. }
            | TypeError::DuplicateRouteParameter { span, .. }
            | TypeError::TooComplex { span, .. } => *span,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            TypeError::Mismatch { .. } => "type-mismatch",
            TypeError::Constraint { .. } => "type-constraint",
            TypeError::InfiniteType { .. } => "infinite-type",
            TypeError::NotAFunction { .. } => "not-a-function",
            TypeError::ArgumentCount { .. } => "argument-count",
            TypeError::UnknownVariable { .. } => "unknown-name",
            TypeError::UnknownFunction { .. } => "unknown-function",
            TypeError::UnknownModule { .. } => "unknown-module",
            TypeError::UnknownConstructor { .. } => "unknown-constructor",
            TypeError::UnknownType { .. } => "unknown-type",
            TypeError::UnknownTypeVariable { .. } => "unknown-type-variable",
            TypeError::TypeArity { .. } => "type-arity",
            TypeError::ConstructorArity { .. } => "constructor-arity",
            TypeError::UnknownField { .. } => "unknown-field",
            TypeError::MissingFields { .. } => "missing-fields",
            TypeError::DuplicateField { .. } => "duplicate-field",
            TypeError::NoRecordType { .. } => "no-record-type",
            TypeError::AmbiguousRecord { .. } => "ambiguous-record",
            TypeError::NotARecord { .. } => "not-a-record",
            TypeError::UnknownRecordType { .. } => "unknown-record-type",
            TypeError::NonExhaustive { .. } => "non-exhaustive",
            TypeError::UnreachableArm { .. } => "unreachable-arm",
            TypeError::RefutableLet { .. } => "refutable-let",
            TypeError::Duplicate { .. } => "duplicate-definition",
            TypeError::DuplicateConstructor { .. } => "duplicate-constructor",
            TypeError::TryOperand { .. } | TypeError::TryReturn { .. } => "try-operand",
            TypeError::DuplicateKey { .. } => "duplicate-key",
            TypeError::NotData { .. } => "not-data",
            TypeError::SecretShown { .. } => "secret-shown",
            TypeError::UnusedValue { .. } => "unused-value",
            TypeError::TryInHandler { .. } => "try-in-handler",
            TypeError::UnknownDecodeTarget { .. } => "unknown-decode-target",
            TypeError::TypeArgumentsNotAllowed { .. } => "type-arguments-not-allowed",
            TypeError::TypeArgumentCount { .. } => "type-argument-count",
            TypeError::InvalidSchedule { .. } => "invalid-schedule",
            TypeError::UnknownRouteParameter { .. } => "unknown-route-parameter",
            TypeError::DuplicateRouteParameter { .. } => "duplicate-route-parameter",
            TypeError::TooComplex { .. } => "too-complex",
        }
    }

    pub fn is_warning(&self) -> bool {
        matches!(self, TypeError::UnreachableArm { .. } | TypeError::UnusedValue { .. })
    }
}

fn did_you_mean(similar: &[String]) -> Option<String> {
    match similar {
        [] => None,
        [one] => Some(format!("help: did you mean `{one}`?")),
        many => Some(format!("help: did you mean one of {}?", quoted(many))),
    }
}

impl From<&TypeError> for Diagnostic {
    fn from(error: &TypeError) -> Diagnostic {
        let message = error.to_string();
        let mut diagnostic = if error.is_warning() {
            Diagnostic::warning(error.code(), message, error.span())
        } else {
            Diagnostic::error(error.code(), message, error.span())
        };
        match error {
            TypeError::Mismatch { expected, found, context, .. } => {
                diagnostic = diagnostic.with_label(format!("this is `{found}`"));
                if let Some(context) = context {
                    diagnostic = diagnostic.with_note(format!("note: expected `{expected}` because {context}"));
                }
            }
            TypeError::ArgumentCount { signature, .. } => {
                diagnostic = diagnostic.with_note(format!("note: the function's type is `{signature}`"));
            }
            TypeError::UnknownVariable { similar, .. }
            | TypeError::UnknownFunction { similar, .. }
            | TypeError::UnknownConstructor { similar, .. }
            | TypeError::UnknownType { similar, .. } => {
                if let Some(hint) = did_you_mean(similar) {
                    diagnostic = diagnostic.with_note(hint);
                }
            }
            TypeError::UnknownModule { modules, similar, .. } => {
                diagnostic = match did_you_mean(similar) {
                    Some(hint) => diagnostic.with_note(hint),
                    None => diagnostic.with_note(format!("note: the modules are {}", modules.join(", "))),
                };
            }
            TypeError::DuplicateKey { .. } => {
                diagnostic = diagnostic.with_label("the second value for this key");
            }
            TypeError::UnknownField { fields, field, .. } => {
                let close = super::similar_names(field, fields.iter().map(String::as_str));
                diagnostic = match did_you_mean(&close) {
                    Some(hint) => diagnostic.with_note(hint),
                    None => diagnostic.with_note(format!("note: its fields are {}", quoted(fields))),
                };
            }
            TypeError::AmbiguousRecord { candidates, .. } => {
                let example = candidates.first().map(String::as_str).unwrap_or("Type");
                diagnostic = diagnostic.with_note(format!("help: name the type: `{example} {{ ... }}`"));
            }
            TypeError::UnknownRecordType { candidates, .. } => {
                let note = if candidates.is_empty() {
                    "note: no record type has this field".to_string()
                } else {
                    format!("help: annotate the value's type, e.g. one of {}", quoted(candidates))
                };
                diagnostic = diagnostic.with_note(note);
            }
            TypeError::UnknownRouteParameter { parameters, .. } => {
                let note = if parameters.is_empty() {
                    "note: this route has no parameters; add `:name` segments to it".to_string()
                } else {
                    format!("note: its parameters are {}", quoted(parameters))
                };
                diagnostic = diagnostic.with_note(note);
            }
            TypeError::NonExhaustive { .. } => {
                diagnostic = diagnostic.with_note("help: add an arm for it, or a `_ ->` arm");
            }
            TypeError::UnknownDecodeTarget { .. } => {
                diagnostic = diagnostic.with_note("help: name the type, e.g. `Json.decode<Todo>(text)`");
            }
            TypeError::TryOperand { .. } => {
                diagnostic = diagnostic.with_label("`?` applied here");
            }
            TypeError::TryReturn { operand, .. } => {
                let early = if *operand == "Option" { "`None`" } else { "the `Error`" };
                diagnostic = diagnostic.with_label(format!("`?` returns {early} from here")).with_note(format!(
                    "help: `?` works in a function that returns {}; otherwise handle both cases with `match`",
                    an_operand(operand)
                ));
            }
            TypeError::NotData { part, via, kind, why, .. } => {
                if let Some(why) = why {
                    diagnostic = diagnostic.with_label(*why);
                }
                let part_kind = match kind {
                    NotDataKind::Function => "a function",
                    NotDataKind::Datastore => "a datastore",
                    NotDataKind::Worker => "a worker",
                    NotDataKind::TypeVariable => "a type variable",
                    NotDataKind::Secret => "a Secret",
                };
                match (via, part) {
                    (Some(via), Some(part)) => {
                        diagnostic = diagnostic.with_note(format!("note: {via} is `{part}`, {part_kind}"));
                    }
                    (None, Some(part)) => {
                        diagnostic = diagnostic.with_note(format!("note: `{part}` in it is {part_kind}"));
                    }
                    _ => {}
                }
                let help = if *kind == NotDataKind::TypeVariable {
                    "help: write the function without its return type: its type is then inferred, and its type \
                     variables only admit types without functions"
                } else if *kind == NotDataKind::Secret {
                    "help: a Secret's value never leaves the run; pass it to Http.requestWithSecrets or compare it \
                     with Secret.matches"
                } else {
                    "help: only data (no functions, datastores or workers inside) can be encoded, stored, queued \
                     or sent as a response"
                };
                diagnostic = diagnostic.with_note(help);
            }
            TypeError::SecretShown { part, via, .. } => {
                match (via, part) {
                    (Some(via), Some(part)) => diagnostic = diagnostic.with_note(format!("note: {via} is `{part}`")),
                    (None, Some(part)) => diagnostic = diagnostic.with_note(format!("note: `{part}` is in it")),
                    _ => {}
                }
                diagnostic = diagnostic.with_note(SECRET_HELP);
            }
            TypeError::UnusedValue { kind, .. } => {
                let hint = match kind {
                    UnusedKind::Function { call: Some(call) } => format!(
                        "help: did you mean to call it? `{call}` — a space or a line break before `(` starts a new statement"
                    ),
                    UnusedKind::Function { call: None } => {
                        "help: a function does nothing until it is called; did you mean to call it?".to_string()
                    }
                    UnusedKind::Result => "help: a failure would go unnoticed: `match` on it, or write \
                                            `let _ = ...` to ignore it on purpose"
                        .to_string(),
                    UnusedKind::Value => {
                        "help: only the last expression of a block is its value; use this one, or write `let _ = ...` \
                         to discard it"
                            .to_string()
                    }
                };
                diagnostic = diagnostic.with_label("its value is discarded").with_note(hint);
            }
            TypeError::TooComplex { .. } => {
                diagnostic = diagnostic
                    .with_label("the type of this is past the limit")
                    .with_note("help: split the declaration into smaller functions, or add type annotations");
            }
            _ => {}
        }
        diagnostic
    }
}
