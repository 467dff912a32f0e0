//! Subcommands. Errors become messages on stderr and a non-zero exit code here,
//! at the edge; the libraries below return typed errors.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use gloam_interpreter::{MemoryEffects, Options, Program};
use gloam_language::Diagnostic;
use gloam_language::ast::Span;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "gloam", version, about = "Gloam: a trace-driven backend runtime")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check a .gloam file (or every .gloam file in a folder); print diagnostics.
    Check {
        path: PathBuf,
        /// Print diagnostics as JSON (with line and column positions).
        #[arg(long)]
        json: bool,
    },
    /// Run requests against a program with the interpreter and in-memory effects.
    ///
    /// Requests come from `--request "METHOD /path [body]"` (repeatable) or a
    /// script file of such lines (`#` starts a comment). Datastore contents carry
    /// over from one request to the next.
    Run {
        path: PathBuf,
        #[arg(long = "request", short = 'r')]
        requests: Vec<String>,
        /// A file of requests, one per line.
        #[arg(long)]
        script: Option<PathBuf>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { path, json } => check(&path, json),
        Command::Run { path, requests, script } => run(&path, requests, script.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The source of a canvas: one file, or the `.gloam` files of a folder in name
/// order, checked together as one text. Diagnostics are mapped back to the file
/// and position they are about.
struct Sources {
    text: String,
    /// Each file with the offset where its text starts in `text`.
    files: Vec<(String, usize)>,
}

impl Sources {
    fn read(path: &Path) -> anyhow::Result<Sources> {
        let paths = if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read folder {}", path.display()))?
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|file| file.extension().is_some_and(|ext| ext == "gloam"))
                .collect();
            files.sort();
            if files.is_empty() {
                bail!("no .gloam files in {}", path.display());
            }
            files
        } else {
            vec![path.to_path_buf()]
        };
        let mut sources = Sources { text: String::new(), files: Vec::new() };
        for file in paths {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            sources.files.push((file.display().to_string(), sources.text.len()));
            sources.text += &text;
            sources.text.push('\n');
        }
        Ok(sources)
    }

    /// The file a diagnostic is in, its text, and the diagnostic relative to it.
    fn locate(&self, diagnostic: &Diagnostic) -> (&str, &str, Diagnostic) {
        let index = self.files.iter().rposition(|(_, start)| *start <= diagnostic.span.start as usize).unwrap_or(0);
        let (name, start) = &self.files[index];
        let end = self.files.get(index + 1).map_or(self.text.len(), |(_, next)| *next);
        let mut relative = diagnostic.clone();
        relative.span = Span::new(diagnostic.span.start as usize - start, diagnostic.span.end as usize - start);
        (name, &self.text[*start..end], relative)
    }

    fn render(&self, diagnostics: &[Diagnostic]) -> String {
        let mut sorted: Vec<&Diagnostic> = diagnostics.iter().collect();
        sorted.sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.span.end));
        let rendered: Vec<String> = sorted
            .into_iter()
            .map(|diagnostic| {
                let (name, text, relative) = self.locate(diagnostic);
                relative.render(text, name)
            })
            .collect();
        rendered.join("\n")
    }

    fn json(&self, diagnostics: &[Diagnostic]) -> Vec<serde_json::Value> {
        diagnostics
            .iter()
            .map(|diagnostic| {
                let (name, text, relative) = self.locate(diagnostic);
                let mut value = serde_json::to_value(relative.located(text)).unwrap_or_default();
                value["path"] = serde_json::Value::String(name.to_string());
                value
            })
            .collect()
    }
}

fn check(path: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let sources = Sources::read(path)?;
    let analysis = gloam_language::analyze(&sources.text);
    let errors = analysis.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = analysis.diagnostics.len() - errors;
    let shown = path.display().to_string();
    if json {
        let located = sources.json(&analysis.diagnostics);
        let report = serde_json::json!({
            "path": shown,
            "errors": errors,
            "warnings": warnings,
            "diagnostics": located,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if analysis.diagnostics.is_empty() {
        println!("{shown}: ok ({} declarations)", analysis.module.items.len());
    } else {
        print!("{}", sources.render(&analysis.diagnostics));
        println!("\n{shown}: {errors} error(s), {warnings} warning(s)");
    }
    Ok(if errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn run(path: &Path, mut requests: Vec<String>, script: Option<&Path>) -> anyhow::Result<ExitCode> {
    let sources = Sources::read(path)?;
    let analysis = gloam_language::analyze(&sources.text);
    if analysis.has_errors() {
        print!("{}", sources.render(&analysis.diagnostics));
        return Ok(ExitCode::FAILURE);
    }
    if let Some(script) = script {
        let text = std::fs::read_to_string(script).with_context(|| format!("cannot read {}", script.display()))?;
        requests.extend(
            text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).map(String::from),
        );
    }
    if requests.is_empty() {
        bail!("no requests: give --request \"GET /path\" or --script FILE");
    }
    let program = Program { module: &analysis.module, checked: &analysis.checked };
    let mut effects = MemoryEffects::default();
    let mut failed = false;
    for line in &requests {
        let request = gloam_interpreter::request::parse_request_line(line).map_err(anyhow::Error::msg)?;
        println!("> {line}");
        let Some(handler) = program.find_handler(&request.method, &request.path) else {
            println!("< 404 (no handler for {} {})\n", request.method, request.path);
            continue;
        };
        let logs_before = effects.logs.len();
        let run = program.run_handler(handler, &request, &mut effects, Options::default());
        for (level, message) in &effects.logs[logs_before..] {
            println!("  [{level}] {message}");
        }
        let response = run.result.map_err(|error| error.to_string()).and_then(|value| {
            gloam_interpreter::request::response_from_value(&value).map_err(|error| error.to_string())
        });
        match response {
            Ok(response) => {
                println!("< {}", response.status);
                for (name, value) in &response.headers {
                    println!("< {name}: {value}");
                }
                println!("{}\n", response.body);
            }
            Err(message) => {
                failed = true;
                println!("< 500 {message}\n");
            }
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
