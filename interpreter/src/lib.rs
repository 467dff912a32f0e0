//! The reference evaluator of Gloam: runs a checked module's handlers,
//! functions, workers and crons, and records the value of every expression
//! (live values). It is the oracle the compiled WebAssembly path is tested
//! against. Does no I/O: effects go through the caller's [`Effects`].

pub mod builtins;
pub mod early_return;
pub mod effects;
pub mod error;
mod eval;
pub mod json;
pub mod json_text;
pub mod memory;
pub mod request;
pub mod value;
pub mod wire;

pub use effects::{EffectCall, EffectRecord, Effects, MemoryEffects};
pub use error::{ErrorKind, RuntimeError};
pub use eval::{Limits, LiveValues, MAX_VALUES_PER_EXPRESSION, Options, Program, Run, binary, unary};
pub use request::{HttpRequest, HttpResponse};
pub use value::Value;

use eval::Evaluator;
use gloam_language::ast::{HandlerDecl, ItemKind};
use gloam_language::syntax::entry::{Entry, EntryKind, EntryPoint, REQUEST};
use value::Environment;

impl<'a> Program<'a> {
    /// The handler for a method and path: exact segments beat `:params`,
    /// compared segment by segment from the left.
    pub fn find_handler(&self, method: &str, path: &str) -> Option<&'a HandlerDecl> {
        self.module
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ItemKind::Handler(decl) if decl.method == method => Some(decl),
                _ => None,
            })
            .filter(|decl| request::match_route(&decl.route.text, path).is_some())
            .max_by_key(|decl| {
                decl.route.text.split('/').map(|segment| !segment.starts_with(':')).collect::<Vec<bool>>()
            })
    }

    /// Runs a handler on a request. The route's parameters are taken from the path.
    pub fn run_handler(
        &self,
        handler: &'a HandlerDecl,
        request: &HttpRequest,
        effects: &mut dyn Effects,
        options: Options,
    ) -> Run {
        let environment = Environment::default().bind(REQUEST, request::request_value(&handler.route.text, request));
        Evaluator::new(*self, effects, options).run_body(&handler.body, environment, true)
    }

    /// Calls a top-level function by name. `None` if there is no such function.
    pub fn call_function(
        &self,
        name: &str,
        arguments: Vec<Value>,
        effects: &mut dyn Effects,
        options: Options,
    ) -> Option<Run> {
        let entry = self.module.entry(&EntryPoint::Function { name: name.to_string() })?;
        Some(self.run(entry, Value::list(arguments), effects, options))
    }

    /// Runs an entry on its input: a handler's request value
    /// (`request::request_value`), a worker's event, a function's argument
    /// list; a cron takes none (`()`).
    pub fn run(&self, entry: Entry<'a>, input: Value, effects: &mut dyn Effects, options: Options) -> Run {
        let evaluator = Evaluator::new(*self, effects, options);
        match (entry.kind, entry.input()) {
            (EntryKind::Function(decl), _) => {
                let arguments = match input {
                    Value::List(arguments) => arguments.iter().cloned().collect(),
                    _ => Vec::new(),
                };
                evaluator.run_call(&Evaluator::function_value(&decl.name.text), arguments)
            }
            (_, Some(name)) => {
                evaluator.run_body(entry.body, Environment::default().bind(name, input), entry.is_handler())
            }
            (_, None) => evaluator.run_body(entry.body, Environment::default(), entry.is_handler()),
        }
    }
}
