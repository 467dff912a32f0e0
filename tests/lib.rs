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

use gloam_interpreter::request::{response_from_value, response_value};
use gloam_interpreter::{HttpRequest, LiveValues, MemoryEffects, Options, Program, Value};
use gloam_language::ast::{Expr, ExprId, ExprKind, ItemKind, Module, Span};
use gloam_language::diagnostic::{LineColumn, render_all};
use gloam_language::{EntryKind, EntryPoint};
use gloam_runtime::effects::Immediate;
use gloam_runtime::sandbox::{CompiledProgram, Sandbox, SandboxLimits};
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

/// What a run gave: a value, or an error's message and the place it stopped.
type Outcome = Result<Value, (String, Option<Span>)>;

fn describe_result(out: &mut String, result: &Outcome, source: &str) {
    match result {
        Ok(value) => {
            let _ = writeln!(out, "{value}");
        }
        Err((message, span)) => {
            let at = span.map(|span| {
                let position = LineColumn::of(source, span.start as usize);
                format!(" (at {}:{})", position.line, position.column)
            });
            let _ = writeln!(out, "runtime error: {message}{}", at.unwrap_or_default());
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

/// Which engine runs a corpus program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The reference interpreter, with live values when the program asks.
    Interpreter,
    /// The interpreter without live values: what the compiled engine must match.
    InterpreterOnly,
    /// Compiled to WebAssembly and run in the sandbox.
    Compiled,
}

/// Everything a program does on the interpreter, live values included, as text.
pub fn run_program(source: &str, file_name: &str) -> String {
    run_program_on(source, file_name, Engine::Interpreter)
}

/// Runs programs on one engine, the way corpus programs run.
struct Runner<'a> {
    engine: Engine,
    program: Program<'a>,
    options: Options,
    compiled: Option<(std::sync::Arc<Sandbox>, CompiledProgram, tokio::runtime::Runtime)>,
}

impl<'a> Runner<'a> {
    fn new(engine: Engine, program: Program<'a>, options: Options) -> Result<Runner<'a>, String> {
        let compiled = match engine {
            Engine::Compiled => {
                let sandbox = Sandbox::shared().map_err(|error| error.to_string())?;
                let compiled = sandbox.compile(program.module, program.checked).map_err(|error| error.to_string())?;
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|error| error.to_string())?;
                Some((sandbox, compiled, runtime))
            }
            _ => None,
        };
        Ok(Runner { engine, program, options, compiled })
    }

    fn run(&self, entry: Entry, effects: &mut MemoryEffects) -> (Outcome, LiveValues) {
        let Some((sandbox, compiled, runtime)) = &self.compiled else {
            let run = match entry {
                Entry::Function { name, arguments } => {
                    self.program.call_function(name, arguments, effects, self.options).expect("main exists")
                }
                Entry::Handler { item, request } => {
                    let Some(ItemKind::Handler(handler)) = self.program.module.items.get(item).map(|item| &item.kind)
                    else {
                        unreachable!("handlers are found by position")
                    };
                    // As the server does (`engine::response_of`): the response the
                    // value stands for, or a failure at the handler's body.
                    let run = self.program.run_handler(handler, &request, effects, self.options);
                    let result = run.result.map_err(|error| (error.kind.to_string(), error.span)).and_then(|value| {
                        response_from_value(&value)
                            .map(|response| response_value(&response))
                            .map_err(|kind| (kind.to_string(), Some(handler.body.span)))
                    });
                    return (result, run.live_values);
                }
            };
            return (run.result.map_err(|error| (error.kind.to_string(), error.span)), run.live_values);
        };
        let limits = SandboxLimits { steps: self.options.limits, ..SandboxLimits::default() };
        let module = self.program.module;
        let (entry, input) = match entry {
            Entry::Function { name, arguments } => {
                let function = module.entry(&EntryPoint::Function { name: name.to_string() }).expect("main exists");
                (function, Value::list(arguments))
            }
            Entry::Handler { item, request } => {
                let handler = module.entry_at(item).expect("handlers are found by position");
                let EntryKind::Handler(decl) = handler.kind else { unreachable!("handlers are found by position") };
                (handler, gloam_interpreter::request::request_value(&decl.route.text, &request))
            }
        };
        let given = Immediate(std::mem::take(effects));
        let (result, Immediate(returned)) = runtime.block_on(sandbox.run(compiled, entry, input, given, limits));
        *effects = returned;
        let result = result.map_err(|failure| {
            let span = failure.site.and_then(|site| span_of(self.program.module, site));
            (failure.message, span)
        });
        (result, LiveValues::default())
    }

    fn records_live_values(&self) -> bool {
        self.engine == Engine::Interpreter && self.options.record_live_values
    }
}

enum Entry<'a> {
    Function { name: &'a str, arguments: Vec<Value> },
    Handler { item: usize, request: HttpRequest },
}

/// The span of an expression, by id.
fn span_of(module: &Module, id: ExprId) -> Option<Span> {
    fn find(expr: &Expr, id: ExprId) -> Option<Span> {
        if expr.id == id {
            return Some(expr.span);
        }
        let mut found = None;
        expr.for_each_child(|child| {
            if found.is_none() {
                found = find(child, id);
            }
        });
        found
    }
    module.bodies().find_map(|body| find(body, id))
}

/// Everything a program does on an engine, as text.
pub fn run_program_on(source: &str, file_name: &str, engine: Engine) -> String {
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
    let runner = match Runner::new(engine, program, options) {
        Ok(runner) => runner,
        Err(message) => return format!("{out}cannot run on {engine:?}: {message}\n"),
    };
    let has_main = program
        .module
        .items
        .iter()
        .any(|item| matches!(&item.kind, ItemKind::Function(decl) if decl.name.text == "main"));
    if has_main {
        let (result, live_values) = runner.run(Entry::Function { name: "main", arguments: Vec::new() }, &mut effects);
        out += "== main ==\n";
        describe_result(&mut out, &result, source);
        if let (Some(name), true) = (&directives.live, runner.records_live_values()) {
            out += "== live values ==\n";
            describe_live_values(&mut out, &live_values, &analysis.module, name, source);
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
        let item = program
            .module
            .items
            .iter()
            .position(|item| matches!(&item.kind, ItemKind::Handler(decl) if std::ptr::eq(decl, handler)))
            .expect("a found handler is one of the items");
        let (result, _) = runner.run(Entry::Handler { item, request }, &mut effects);
        // A run's value is the response its handler's value stands for.
        match result.as_ref().map(response_from_value) {
            Ok(Ok(response)) => {
                let headers: Vec<String> = response.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                let _ = writeln!(out, "{} [{}]\n{}", response.status, headers.join("; "), response.body);
            }
            Ok(Err(error)) => unreachable!("a response record always stands for itself: {error}"),
            Err(_) => describe_result(&mut out, &result, source),
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
