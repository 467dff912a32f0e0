//! Shared by the end-to-end tests: running one corpus program and rendering
//! everything it did as text, for snapshots.
//!
//! A corpus program is a `.gloam` file whose leading `//` comments may hold
//! directives:
//!
//! - `// request: METHOD /path?query [body]`: run a request (repeatable; the
//!   datastores carry over between requests);
//! - `// secret: NAME=value`: a canvas secret;
//! - `// http: METHOD url -> STATUS body`: a canned outbound response;
//! - `// live: NAME`: also show the live values of function `NAME`'s run;
//! - `// max-steps: N`: the step budget (to test it without a long run).
//!
//! A program with errors renders its diagnostics. Otherwise, when it has a
//! `fn main()`, main is called; then each request is run.

use gloam_interpreter::{LiveValues, MemoryEffects, Options, Program, Run, Value};
use gloam_language::ast::{ExprKind, ItemKind};
use gloam_language::diagnostic::{LineColumn, render_all};
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Default)]
struct Directives {
    requests: Vec<String>,
    secrets: Vec<(String, String)>,
    http: Vec<(String, String)>,
    live: Option<String>,
    max_steps: Option<u64>,
}

fn directives(source: &str) -> Directives {
    let mut found = Directives::default();
    for line in source.lines().map(str::trim).take_while(|line| line.starts_with("//") || line.is_empty()) {
        let Some((key, value)) = line.trim_start_matches('/').trim().split_once(':') else { continue };
        let value = value.trim().to_string();
        match key.trim() {
            "request" => found.requests.push(value),
            "secret" => {
                if let Some((name, secret)) = value.split_once('=') {
                    found.secrets.push((name.trim().to_string(), secret.trim().to_string()));
                }
            }
            "http" => {
                if let Some((target, response)) = value.split_once("->") {
                    found.http.push((target.trim().to_string(), response.trim().to_string()));
                }
            }
            "live" => found.live = Some(value),
            "max-steps" => found.max_steps = value.parse().ok(),
            _ => {}
        }
    }
    found
}

fn effects_for(directives: &Directives) -> MemoryEffects {
    let mut effects = MemoryEffects::default();
    for (name, value) in &directives.secrets {
        effects.secrets.insert(name.clone(), value.clone());
    }
    for (target, response) in &directives.http {
        let (status, body) = response.split_once(' ').unwrap_or((response, ""));
        let value = Value::record(
            "Http.Response",
            vec![
                ("status".into(), Value::Int(status.parse().unwrap_or(200))),
                ("headers".into(), Value::dict(BTreeMap::new())),
                ("body".into(), Value::string(body)),
            ],
        );
        effects.http.insert(target.clone(), Ok(value));
    }
    effects
}

fn describe_result(out: &mut String, run: &Run, source: &str) {
    match &run.result {
        Ok(value) => {
            let _ = writeln!(out, "{value}");
        }
        Err(error) => {
            let at = error.span.map(|span| {
                let position = LineColumn::of(source, span.start as usize);
                format!(" (at {}:{})", position.line, position.column)
            });
            let _ = writeln!(out, "runtime error: {error}{}", at.unwrap_or_default());
        }
    }
}

fn describe_live_values(
    out: &mut String,
    live: &LiveValues,
    module: &gloam_language::ast::Module,
    name: &str,
    source: &str,
) {
    let Some(body) = module.items.iter().find_map(|item| match &item.kind {
        ItemKind::Function(decl) if decl.name.text == name => Some(&decl.body),
        _ => None,
    }) else {
        let _ = writeln!(out, "(no function `{name}`)");
        return;
    };
    let mut expressions = Vec::new();
    collect(body, &mut expressions);
    fn collect<'a>(expr: &'a gloam_language::ast::Expr, out: &mut Vec<&'a gloam_language::ast::Expr>) {
        out.push(expr);
        expr.for_each_child(|child| collect(child, out));
    }
    for expr in expressions {
        if matches!(expr.kind, ExprKind::Int(_) | ExprKind::String(_) | ExprKind::Bool(_)) {
            continue;
        }
        let values = live.get(expr.id);
        let position = LineColumn::of(source, expr.span.start as usize);
        let text: String = source[expr.span.range()].split_whitespace().collect::<Vec<_>>().join(" ");
        let shown: String = text.chars().take(40).collect();
        let rendered: Vec<String> = values.iter().take(6).map(|value| abbreviate(&value.to_string())).collect();
        let more = match (values.len() > 6, live.truncated.contains(&expr.id)) {
            (true, true) => format!(", … ({} values kept, later ones dropped)", values.len()),
            (true, false) => format!(", … ({} values)", values.len()),
            _ => String::new(),
        };
        let _ = writeln!(out, "{}:{} `{shown}` = {}{more}", position.line, position.column, rendered.join(", "));
    }
}

/// Long values are cut to keep snapshots readable.
fn abbreviate(text: &str) -> String {
    const LIMIT: usize = 60;
    if text.chars().count() <= LIMIT {
        return text.to_string();
    }
    let cut: String = text.chars().take(LIMIT).collect();
    format!("{cut}…")
}

/// Everything a program does, as text.
pub fn run_program(source: &str, file_name: &str) -> String {
    let analysis = gloam_language::analyze(source);
    let mut out = String::new();
    if !analysis.diagnostics.is_empty() {
        out += "== diagnostics ==\n";
        out += &render_all(&analysis.diagnostics, source, file_name);
        if analysis.has_errors() {
            return out;
        }
    }
    let directives = directives(source);
    let program = Program { module: &analysis.module, checked: &analysis.checked };
    let mut effects = effects_for(&directives);
    let mut options = Options { record_live_values: directives.live.is_some(), ..Options::default() };
    if let Some(max_steps) = directives.max_steps {
        options.limits.max_steps = max_steps;
    }
    if let Some(run) = program.call_function("main", Vec::new(), &mut effects, options) {
        out += "== main ==\n";
        describe_result(&mut out, &run, source);
        if let Some(name) = &directives.live {
            out += "== live values ==\n";
            describe_live_values(&mut out, &run.live_values, &analysis.module, name, source);
        }
    }
    for line in &directives.requests {
        let _ = writeln!(out, "== request {line} ==");
        let mut request = match gloam_interpreter::request::parse_request_line(line) {
            Ok(request) => request,
            Err(message) => {
                let _ = writeln!(out, "bad request line: {message}");
                continue;
            }
        };
        request.headers.push(("x-test".into(), "yes".into()));
        let Some(handler) = program.find_handler(&request.method, &request.path) else {
            out += "404: no handler\n";
            continue;
        };
        let run = program.run_handler(handler, &request, &mut effects, options);
        match &run.result {
            Ok(value) => match gloam_interpreter::request::response_from_value(value) {
                Ok(response) => {
                    let headers: Vec<String> = response.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                    let _ = writeln!(out, "{} [{}]\n{}", response.status, headers.join("; "), response.body);
                }
                Err(error) => {
                    let _ = writeln!(out, "bad response: {error}");
                }
            },
            Err(_) => describe_result(&mut out, &run, source),
        }
    }
    if !effects.logs.is_empty() {
        out += "== log ==\n";
        for (level, message) in &effects.logs {
            let _ = writeln!(out, "[{level}] {message}");
        }
    }
    if !effects.calls.is_empty() {
        out += "== effects ==\n";
        for record in &effects.calls {
            let arguments: Vec<String> = record.call.arguments.iter().map(Value::to_string).collect();
            let result = match &record.result {
                Ok(value) => value.to_string(),
                Err(message) => format!("failed: {message}"),
            };
            let _ = writeln!(out, "{}({}) -> {result}", record.call.builtin.name(), arguments.join(", "));
        }
    }
    if !effects.emitted.is_empty() {
        out += "== queue ==\n";
        for (worker, event) in &effects.emitted {
            let _ = writeln!(out, "{worker} <- {event}");
        }
    }
    out
}
