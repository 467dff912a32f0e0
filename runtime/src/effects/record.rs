//! [`HostEffects`]: every effect of a run performed through its capability
//! and recorded into the trace. The trace policy — what `Mode::ReadOnly`
//! skips, what is recorded, which secrets the run must hide — reads the
//! effect's traits in the stdlib table, not lists of functions.

use super::db::Datastores;
use super::{AsyncEffects, EffectFuture, Emitted, Host, Mode, clock, http, log, queue, random, secrets};
use crate::budget::RunBudget;
use crate::redact::SecretValues;
use crate::telemetry;
use gloam_interpreter::effects::{Effect, EffectError, secret_in};
use gloam_interpreter::{EffectCall, Effects, Value, wire};
use gloam_trace_store::{LogLine, RecordedEffect};
use tokio::runtime::Handle;
use tracing::Instrument;

/// Effects against the real store and network, each recorded. One per run.
pub struct HostEffects {
    host: Host,
    canvas: String,
    pub(super) handle: Handle,
    mode: Mode,
    budget: RunBudget,
    pub recorded: Vec<RecordedEffect>,
    pub logs: Vec<LogLine>,
    /// Events for workers (`Queue.emit`), dispatched by the server after the request.
    pub emitted: Vec<Emitted>,
    /// The values of the secrets read, cut out of everything stored or shown.
    pub secrets: SecretValues,
    /// For a run the editor API started: each secret read is written to the
    /// audit log, with the editor's address when known.
    audit: Option<Option<String>>,
}

impl HostEffects {
    /// Must be created inside the tokio runtime (it keeps its handle).
    pub fn new(host: &Host, canvas: &str, mode: Mode, budget: RunBudget) -> HostEffects {
        HostEffects {
            host: host.clone(),
            canvas: canvas.to_string(),
            handle: Handle::current(),
            mode,
            budget,
            recorded: Vec::new(),
            logs: Vec::new(),
            emitted: Vec::new(),
            secrets: SecretValues::default(),
            audit: None,
        }
    }

    /// Writes every secret this run reads to the audit log: the run was
    /// started through the editor API by `client`.
    pub fn audit_reads(&mut self, client: Option<String>) {
        self.audit = Some(client);
    }

    /// The effect, by its capability.
    async fn perform(&mut self, effect: Effect) -> Result<Value, EffectError> {
        let datastores = Datastores { store: &self.host.data, canvas: &self.canvas };
        match effect {
            Effect::Db(call) => datastores.perform(call).await,
            Effect::Http(call) => http::perform(&self.budget, call).await,
            Effect::Clock(call) => Ok(clock::perform(call)),
            Effect::Random(call) => random::perform(call),
            Effect::Log(call) => {
                self.logs.push(log::line(call));
                Ok(Value::Unit)
            }
            Effect::Secrets(call) => secrets::get(&self.host.secrets, &self.canvas, call, self.audit.as_ref()).await,
            Effect::Queue(call) => {
                self.emitted.push(queue::emit(&self.budget, call)?);
                Ok(Value::Unit)
            }
        }
    }

    /// Every effect call on the host passes here, performed or answered from
    /// a trace (`recorded`), and is recorded: the one place to observe them.
    pub(super) async fn answer(
        &mut self,
        call: &EffectCall,
        effect: Effect,
        recorded: Option<Result<Value, EffectError>>,
    ) -> Result<Value, EffectError> {
        let result = match recorded {
            Some(result) => result,
            None => {
                let span = telemetry::effect_span(call, &effect, self.host.backend);
                let started = std::time::Instant::now();
                let result = self.perform_in_mode(call, effect).instrument(span.clone()).await;
                telemetry::record_effect(&span, call, &result, started.elapsed());
                result
            }
        };
        self.record(call, &result);
        result
    }

    /// The effect performed as the mode and the effect's traits allow.
    async fn perform_in_mode(&mut self, call: &EffectCall, effect: Effect) -> Result<Value, EffectError> {
        let traits = call.builtin.traits();
        let result = match self.mode {
            Mode::ReadOnly if traits.writes => Ok(Value::Unit),
            Mode::ReadOnly if traits.calls_out => Err(EffectError::NotWhileAnalysing { function: call.builtin.name() }),
            Mode::Live | Mode::ReadOnly => self.perform(effect).await,
        };
        if traits.secret
            && let Ok(value) = &result
        {
            self.hide_secrets_in(value);
        }
        result
    }

    /// The secrets a secret effect answers (a `Secret`, or one inside an
    /// `Option`) are cut out of all the run leaves behind.
    fn hide_secrets_in(&mut self, value: &Value) {
        let inside = match value {
            Value::Variant(variant) => variant.payload.iter().filter_map(secret_in).collect(),
            other => secret_in(other).into_iter().collect::<Vec<_>>(),
        };
        inside.iter().for_each(|secret| self.secrets.add(secret.expose()));
    }

    fn record(&mut self, call: &EffectCall, result: &Result<Value, EffectError>) {
        if call.builtin.traits().log {
            return; // in the trace's logs already
        }
        // The stored form writes every Secret as `<secret>`: a call is
        // recorded as written, `Http.requestWithSecrets` with its templates.
        let arguments =
            call.arguments.iter().map(|value| wire::encode(value).unwrap_or_else(serde_json::Value::String)).collect();
        let result = match result {
            Ok(value) => wire::encode(value),
            Err(error) => Err(error.to_string()),
        };
        self.recorded.push(RecordedEffect {
            site: call.site.0,
            function: call.builtin.name().to_string(),
            arguments,
            result,
        });
    }
}

impl Effects for HostEffects {
    fn perform(&mut self, call: &EffectCall, effect: Effect) -> Result<Value, EffectError> {
        self.handle.clone().block_on(self.answer(call, effect, None))
    }
}

impl AsyncEffects for HostEffects {
    fn perform<'a>(&'a mut self, call: &'a EffectCall, effect: Effect) -> EffectFuture<'a> {
        Box::pin(self.answer(call, effect, None))
    }
}
