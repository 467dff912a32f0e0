//! `docs/stdlib.md` is generated from the standard library table; this test
//! fails when they differ. `UPDATE_EXPECT=1` rewrites the file.

use gloam_language::{Builtin, Purity};
use std::fmt::Write;

fn render() -> String {
    let mut out = String::from(
        "# Standard library\n\n\
         Generated from `language/src/stdlib.rs` by `tests/stdlib_docs.rs`; do not edit by hand\n\
         (`cargo xtask test --update` regenerates it). The language is described in\n\
         [`language.md`](language.md).\n\n\
         Functions marked **effect** are host calls: their arguments and results are recorded\n\
         in the trace, and replay uses the recorded results.\n\n\
         In types, `number` is `Int` or `Float`, `comparable` is `Int`, `Float`, `String` or\n\
         `Char`, `data` is any type without functions, datastores, workers or Secrets inside:\n\
         what can be encoded as JSON, stored, queued or sent as a response, and `equatable` is\n\
         any type without a `Secret` inside (Secrets compare with `Secret.matches`).\n",
    );
    for module in Builtin::modules() {
        let _ = write!(out, "\n## {module}\n\n| function | type | |\n| --- | --- | --- |\n");
        for builtin in Builtin::ALL.iter().filter(|builtin| builtin.module() == module) {
            let effect = match builtin.purity() {
                Purity::Effect => "**effect** — ",
                Purity::Pure => "",
            };
            let doc = builtin.doc().replace('|', "\\|");
            let signature = builtin.signature().replace('|', "\\|");
            let _ = writeln!(out, "| `{}` | `{signature}` | {effect}{doc} |", builtin.name());
        }
    }
    out
}

#[test]
fn stdlib_reference_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/stdlib.md");
    let expected = render();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(path, &expected).expect("write docs/stdlib.md");
        return;
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(actual == expected, "docs/stdlib.md is out of date: run `cargo xtask test --update`");
}
