//! What the suites of this folder share.

/// What analysing `source` gives: `ok`, or the first error's code. Programs
/// that check are also compiled.
pub fn outcome(source: &str) -> String {
    let analysis = gloam_language::analyze(source);
    if let Some(error) = analysis.diagnostics.iter().find(|d| d.is_error()) {
        return error.code.to_string();
    }
    match gloam_language::codegen::compile(&analysis.module, &analysis.checked) {
        Ok(_) => "ok".to_string(),
        Err(error) => format!("compile error: {error}"),
    }
}
