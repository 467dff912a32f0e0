//! Errors of the editor API and how they look on the wire: a status and
//! `{"error": code, "message": text, "diagnostics": [...]}`. Storage details
//! stay in the server log, out of responses.

use crate::canvas::ToplevelDiagnostic;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
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

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Rejected { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "rejected"),
            ApiError::Store(StoreError::Conflict { .. }) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
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
        let mut body = serde_json::json!({ "error": code, "message": message });
        if let ApiError::Rejected { diagnostics, .. } = &self {
            body["diagnostics"] = serde_json::to_value(diagnostics).unwrap_or_default();
        }
        (status, Json(body)).into_response()
    }
}
