//! Errors of the editor API and how they look on the wire: a status and
//! `{"error": code, "message": text, "diagnostics": [...]}`. Storage details
//! stay in the server log, out of responses.

use crate::app::changes::ChangeError;
use crate::app::views::ReadError;
use crate::canvas::ToplevelDiagnostic;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gloam_api::{ErrorBody, ErrorCode};
use gloam_trace_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or wrong API token for canvas `{0}` (send `Authorization: Bearer TOKEN`)")]
    Unauthorized(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    BadRequest(String),
    /// The change would leave code that does not type-check.
    #[error("{message}")]
    Rejected { message: String, diagnostics: Vec<ToplevelDiagnostic> },
    #[error("storage error")]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<ChangeError> for ApiError {
    fn from(error: ChangeError) -> ApiError {
        match error {
            ChangeError::Invalid(message) => ApiError::BadRequest(message),
            ChangeError::NotFound(message) => ApiError::NotFound(message),
            ChangeError::Rejected { message, diagnostics } => ApiError::Rejected { message, diagnostics },
            ChangeError::Store(error) => ApiError::Store(error),
            ChangeError::Crashed(message) => ApiError::Internal(message),
        }
    }
}

impl From<ReadError> for ApiError {
    fn from(error: ReadError) -> ApiError {
        match error {
            ReadError::NotFound(message) => ApiError::NotFound(message),
            ReadError::Store(error) => ApiError::Store(error),
            ReadError::Crashed(message) => ApiError::Internal(message),
        }
    }
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            ApiError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyRequests),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            ApiError::Rejected { .. } => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Rejected),
            ApiError::Store(StoreError::Conflict { .. }) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            ApiError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Storage),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Store(error) = &self {
            tracing::error!(%error, "storage error");
        }
        let message = match &self {
            ApiError::Store(conflict @ StoreError::Conflict { .. }) => {
                format!("{conflict}; the change was not stored, try again")
            }
            other => other.to_string(),
        };
        let diagnostics = match self {
            ApiError::Rejected { diagnostics, .. } => Some(diagnostics),
            _ => None,
        };
        (status, Json(ErrorBody { error: code, message, diagnostics })).into_response()
    }
}
