//! The language corpus: every `programs/**/*.gloam` is checked and run, and
//! what it did is compared with its snapshot in `snapshots/`. Adding a case is
//! adding a file; `INSTA_UPDATE=always cargo test -p gloam-tests --test programs`
//! (or `cargo xtask test --update`) writes new snapshots for review.
//!
//! Every program also runs compiled to WebAssembly, and must do exactly what
//! it does on the interpreter: the same values, the same errors at the same
//! places, the same effect calls in the same order.

use gloam_tests::{Engine, run_program, run_program_on};

#[test]
fn programs() {
    insta::glob!("programs/**/*.gloam", |path| {
        let source = std::fs::read_to_string(path).expect("corpus files are readable");
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("program.gloam");
        let output = run_program(&source, name);
        insta::assert_snapshot!(output);
    });
}

#[test]
fn compiled_programs_do_what_the_interpreter_does() {
    let mut compared = 0;
    let mut disagreements = Vec::new();
    insta::glob!("programs/**/*.gloam", |path| {
        let source = std::fs::read_to_string(path).expect("corpus files are readable");
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("program.gloam");
        let interpreted = run_program_on(&source, name, Engine::InterpreterOnly);
        let compiled = run_program_on(&source, name, Engine::Compiled);
        compared += 1;
        if interpreted != compiled {
            let diff = similar::TextDiff::from_lines(&interpreted, &compiled)
                .unified_diff()
                .header("interpreter", "compiled")
                .to_string();
            disagreements.push(format!("{}:\n{diff}", path.display()));
        }
    });
    assert!(compared > 200, "only {compared} corpus programs found");
    assert!(
        disagreements.is_empty(),
        "{} of {compared} programs disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// Every standard library function appears in at least one corpus program.
#[test]
fn every_builtin_is_exercised() {
    let mut corpus = String::new();
    let mut pending = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/programs"))];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus folder is readable") {
            let path = entry.expect("corpus entries are readable").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "gloam") {
                corpus += &std::fs::read_to_string(&path).expect("corpus files are readable");
            }
        }
    }
    let missing: Vec<&str> = gloam_language::Builtin::ALL
        .iter()
        .map(|builtin| builtin.name())
        .filter(|name| {
            !corpus.contains(&format!("{name}("))
                && !corpus.contains(&format!("{name})"))
                && !corpus.contains(&format!("{name}\n"))
        })
        .collect();
    assert!(missing.is_empty(), "no corpus program uses: {}", missing.join(", "));
}

/// Every diagnostic code the specification lists shows up in some snapshot.
#[test]
fn every_documented_diagnostic_is_exercised() {
    let root = env!("CARGO_MANIFEST_DIR");
    let spec = std::fs::read_to_string(format!("{root}/../docs/language.md")).expect("the specification");
    let table = spec.split("## 10. Diagnostics").nth(1).expect("a diagnostics section");
    let codes: Vec<&str> = table
        .lines()
        .filter(|line| line.starts_with("| `"))
        .flat_map(|line| line.split('|').nth(1).unwrap_or("").split(',').map(|code| code.trim().trim_matches('`')))
        .filter(|code| !code.is_empty())
        .map(|code| code.split_whitespace().next().unwrap_or(code).trim_matches('`'))
        .collect();
    assert!(codes.len() >= 30, "found only {} codes", codes.len());
    let mut snapshots = String::new();
    for entry in std::fs::read_dir(format!("{root}/snapshots")).expect("snapshots") {
        snapshots += &std::fs::read_to_string(entry.expect("a snapshot").path()).expect("readable");
    }
    let missing: Vec<&&str> = codes
        .iter()
        .filter(|code| {
            !snapshots.contains(&format!("error[{code}]")) && !snapshots.contains(&format!("warning[{code}]"))
        })
        .collect();
    assert!(missing.is_empty(), "no corpus program reports: {missing:?}");
}
