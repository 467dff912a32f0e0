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
        let Entry { kind: EntryKind::Function(decl), .. } =
            self.module.entry(&EntryPoint::Function { name: name.to_string() })?
        else {
            return None;
        };
        let evaluator = Evaluator::new(*self, effects, options);
        Some(evaluator.run_call(&Evaluator::function_value(&decl.name.text), arguments))
    }

    /// Runs a worker on an event. `None` if there is no such worker.
    pub fn run_worker(&self, name: &str, event: Value, effects: &mut dyn Effects, options: Options) -> Option<Run> {
        let entry = self.module.entry(&EntryPoint::Worker { name: name.to_string() })?;
        Some(self.run_entry(entry, Some(event), effects, options))
    }

    /// Runs a cron's body. `None` if there is no such cron.
    pub fn run_cron(&self, name: &str, effects: &mut dyn Effects, options: Options) -> Option<Run> {
        let entry = self.module.entry(&EntryPoint::Cron { name: name.to_string() })?;
        Some(self.run_entry(entry, None, effects, options))
    }

    /// Runs an entry's body with its one input, if it takes one, bound.
    fn run_entry(&self, entry: Entry<'a>, input: Option<Value>, effects: &mut dyn Effects, options: Options) -> Run {
        let environment = match (entry.input(), input) {
            (Some(name), Some(value)) => Environment::default().bind(name, value),
            _ => Environment::default(),
        };
        Evaluator::new(*self, effects, options).run_body(entry.body, environment, entry.is_handler())
    }
}
