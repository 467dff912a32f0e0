//! How the editor API refuses: a status and
//! `{"error": code, "message": text, "diagnostics": [...]}`.

use serde::{Deserialize, Serialize};

use crate::editor::Diagnostic;

/// The machine-readable half of a refusal; each goes with one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 401: missing or wrong API token.
    Unauthorized,
    /// 404.
    NotFound,
    /// 429.
    TooManyRequests,
    /// 400.
    BadRequest,
    /// 422: the change would leave code that does not type-check.
    Rejected,
    /// 409: another node changed the canvas first.
    Conflict,
    /// 500: the store failed (details in the server log).
    Storage,
    /// 500.
    Internal,
}

/// The body of every refusal of the editor API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody<D = Diagnostic> {
    pub error: ErrorCode,
    pub message: String,
    /// Only for [`ErrorCode::Rejected`]: what does not type-check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<Vec<D>>,
}
