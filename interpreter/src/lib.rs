//! The reference evaluator of Gloam: runs a checked module's handlers,
//! functions, workers and crons, and records the value of every expression
//! (live values). It is the oracle the compiled WebAssembly path is tested
//! against. Does no I/O: effects go through the caller's [`Effects`].

pub mod builtins;
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
        let environment = Environment::default().bind("request", request::request_value(&handler.route.text, request));
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
        let evaluator = Evaluator::new(*self, effects, options);
        let function = evaluator.function_value(name)?;
        Some(evaluator.run_call(&function, arguments))
    }

    /// Runs a worker on an event. `None` if there is no such worker.
    pub fn run_worker(&self, name: &str, event: Value, effects: &mut dyn Effects, options: Options) -> Option<Run> {
        let decl = self.module.items.iter().find_map(|item| match &item.kind {
            ItemKind::Worker(decl) if decl.name.text == name => Some(decl),
            _ => None,
        })?;
        let parameter = decl.parameters.first().map_or("event", |param| param.name.text.as_str());
        let environment = Environment::default().bind(parameter, event);
        Some(Evaluator::new(*self, effects, options).run_body(&decl.body, environment, false))
    }

    /// Runs a cron's body. `None` if there is no such cron.
    pub fn run_cron(&self, name: &str, effects: &mut dyn Effects, options: Options) -> Option<Run> {
        let decl = self.module.items.iter().find_map(|item| match &item.kind {
            ItemKind::Cron(decl) if decl.name.text == name => Some(decl),
            _ => None,
        })?;
        Some(Evaluator::new(*self, effects, options).run_body(&decl.body, Environment::default(), false))
    }
}
