//! What a trace keeps of a request and its response. The handler sees the
//! whole request and the client gets the whole response; the stored copy is
//! cut to sizes that let an unauthenticated client fill neither the disk nor
//! the canvas's lists — each cut marked, so the editor shows that it was cut.

use crate::canvas::cut_to;
use gloam_trace_store::Trace;

/// Largest response body a trace keeps.
pub const STORED_RESPONSE_BODY: usize = 1024 * 1024;
/// Largest request body a 404 trace keeps (a handler made from it needs
/// only an example); other traces keep what the body limit let in.
pub const STORED_NOT_FOUND_BODY: usize = 64 * 1024;
/// Longest request path a trace (and a 404 key) keeps.
pub const STORED_PATH: usize = 2 * 1024;
/// Longest header value a trace keeps.
pub const STORED_HEADER_VALUE: usize = 4 * 1024;
/// Header bytes (names and values) a trace keeps of a request or a
/// response; headers past it are left out.
pub const STORED_HEADERS: usize = 32 * 1024;

/// What ends a cut text.
const CUT_MARK: &str = "…";

/// Cuts a text to `limit` bytes, saying how much is left out.
fn cap_text(text: &mut String, limit: usize, what: &str) {
    let left_out = cut_to(text, limit);
    if left_out > 0 {
        text.push_str(&format!("{CUT_MARK} {left_out} more bytes{what}"));
        text.shrink_to_fit(); // the writer's queue counts lengths: free what was cut
    }
}

/// A path as a trace and its 404 key keep it.
pub fn stored_path(path: &str) -> String {
    let mut path = path.to_string();
    if path.len() > STORED_PATH {
        cut_to(&mut path, STORED_PATH);
        path.push_str(CUT_MARK);
    }
    path
}

/// Caps headers: each value, then all of them together (later ones are left
/// out, and a last header says how many).
fn cap_headers(headers: &mut Vec<(String, String)>) {
    let mut total = 0;
    let mut kept = 0;
    for (name, value) in headers.iter_mut() {
        cap_text(value, STORED_HEADER_VALUE, "");
        total += name.len() + value.len();
        if total > STORED_HEADERS {
            break;
        }
        kept += 1;
    }
    let left_out = headers.len() - kept;
    if left_out > 0 {
        headers.truncate(kept);
        headers.push(("x-gloam-not-stored".into(), format!("{left_out} more headers")));
    }
}

/// Cuts a trace to what is stored.
pub fn cap_trace(trace: &mut Trace, not_found: bool) {
    trace.request.path = stored_path(&trace.request.path);
    cap_headers(&mut trace.request.headers);
    cap_headers(&mut trace.response.headers);
    if not_found && trace.request.body.len() > STORED_NOT_FOUND_BODY {
        cut_to(&mut trace.request.body, STORED_NOT_FOUND_BODY);
        trace.request.body.shrink_to_fit();
        trace.request.body_truncated = true;
    }
    cap_text(&mut trace.response.body, STORED_RESPONSE_BODY, ", not stored");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_paths_are_cut_on_a_character_boundary() {
        let path = format!("/{}", "é".repeat(STORED_PATH));
        let stored = stored_path(&path);
        assert!(stored.len() <= STORED_PATH + CUT_MARK.len());
        assert!(stored.ends_with(CUT_MARK));
        assert_eq!(stored_path("/short"), "/short");
    }

    #[test]
    fn headers_past_the_total_are_counted_not_kept() {
        let mut headers: Vec<(String, String)> =
            (0..100).map(|n| (format!("x-{n}"), "v".repeat(STORED_HEADER_VALUE * 2))).collect();
        cap_headers(&mut headers);
        let stored: usize = headers.iter().map(|(name, value)| name.len() + value.len()).sum();
        assert!(stored <= STORED_HEADERS + 100, "{stored}");
        assert!(headers.iter().all(|(_, value)| value.len() < STORED_HEADER_VALUE + 40));
        let (name, value) = headers.last().unwrap();
        assert_eq!(name, "x-gloam-not-stored");
        assert!(value.ends_with("more headers"), "{value}");
    }
}
