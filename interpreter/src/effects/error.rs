//! What an effect call can fail with. The `Display` texts are what users
//! read in a run's error, a trace's recorded effects and the corpus outputs:
//! change them only on purpose.

/// Why an effect call failed: its arguments did not decode, or the capability
/// that performs it refused or could not answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EffectError {
    #[error("{function}: missing argument {position}")]
    MissingArgument { function: &'static str, position: usize },
    #[error("{function}: argument {position} should be {expected}, found {found}")]
    WrongArgument { function: &'static str, position: usize, expected: &'static str, found: &'static str },
    #[error("{0} is not an effect")]
    NotAnEffect(&'static str),
    /// PostgreSQL text holds no NUL, so no store takes one (the stores must agree).
    #[error("a datastore key cannot contain the NUL character (U+0000)")]
    NulKey,
    /// A value that cannot be stored or read back (`wire`'s own words).
    #[error("{0}")]
    Stored(String),
    #[error("the datastore is unavailable: {0}")]
    Unavailable(String),
    #[error("Random.int: empty range: {low} > {high}")]
    EmptyRange { low: i64, high: i64 },
    #[error("`{0}` is not an HTTP method")]
    NotAMethod(String),
    #[error("stopped waiting for {url}: the client went away {seconds} s ago")]
    ClientGone { url: String, seconds: u64 },
    /// A limit of the canvas or the run refused the call (its own words).
    #[error("{0}")]
    Refused(String),
    #[error("{function} was not recorded in this trace, and outbound calls are not made while analysing")]
    NotWhileAnalysing { function: &'static str },
    #[error("{function} was not recorded in this trace; replay with live effects to perform it")]
    NotRecorded { function: &'static str },
    /// The failure a trace recorded for this call, answered again on replay.
    #[error("{0}")]
    Recorded(String),
    #[error("{function} was called after the run ended")]
    AfterRun { function: &'static str },
}

impl EffectError {
    /// The same error with `scrub` applied to the text it carries (to cut a
    /// secret value out).
    pub fn map_text(self, scrub: impl Fn(String) -> String) -> EffectError {
        match self {
            EffectError::ClientGone { url, seconds } => EffectError::ClientGone { url: scrub(url), seconds },
            EffectError::NotAMethod(method) => EffectError::NotAMethod(scrub(method)),
            other => other,
        }
    }
}
