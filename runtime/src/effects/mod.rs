//! The runtime's implementations of the interpreter's [`Effects`], one module
//! per host capability and the trace policy as a wrapper around them:
//!
//! - capabilities: [`db`] (datastores), [`http`] (outbound calls), [`clock`],
//!   [`random`], [`log`], [`secrets`], [`queue`] (events for workers);
//! - [`HostEffects`] (`record.rs`): performs each call through its capability
//!   and records it into the trace; [`Mode::ReadOnly`] skips writes and
//!   refuses outbound calls, as the stdlib table's effect traits say;
//! - [`TraceEffects`] (`replay.rs`): answers calls from a stored trace, for
//!   replay and live values.
//!
//! Lifecycles (as spin's factors have them): [`Host`] is built once per
//! server (the store, the outbound client); a canvas's own outbound client
//! and limits live per canvas in its `RunBudget`; the capabilities' per-run
//! state (logs, events, secrets read) lives in one `HostEffects` per run.
//!
//! Both are asynchronous at heart ([`AsyncEffects`]): compiled handlers await
//! them from the sandbox and hold no thread while they wait. The interpreter
//! is synchronous; it runs on a blocking thread and its [`Effects`] calls wait
//! with `Handle::block_on`.

pub mod clock;
pub mod db;
pub mod http;
pub mod log;
pub mod queue;
pub mod random;
mod record;
mod replay;
pub mod secrets;

pub use queue::Emitted;
pub use record::HostEffects;
pub use replay::{TraceEffects, Unrecorded};

use crate::outbound::{OutboundClient, OutboundPolicy};
use gloam_interpreter::effects::{Effect, EffectError};
use gloam_interpreter::{EffectCall, Effects, Value};
use gloam_trace_store::{Backend, DataStore, SecretStore, Store};
use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// What effects can reach: the store's datastores and secrets (nothing
/// else of it) and the server's outbound client (a canvas with its own
/// allow-list has its own client, in its `RunBudget`). One per server.
#[derive(Clone)]
pub struct Host {
    pub data: DataStore,
    pub secrets: SecretStore,
    /// Which database the datastores are in (for effect spans).
    pub backend: Backend,
    pub outbound: Arc<OutboundClient>,
    pub outbound_timeout: Duration,
}

impl Host {
    /// Fails only when the HTTP client cannot be set up (no TLS backend).
    pub fn new(store: &Store, outbound_timeout: Duration, policy: OutboundPolicy) -> Result<Host, reqwest::Error> {
        let outbound = Arc::new(OutboundClient::new(policy, outbound_timeout)?);
        Ok(Host { data: store.data(), secrets: store.secrets(), backend: store.backend(), outbound, outbound_timeout })
    }
}

/// Whether writes and outbound calls happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything is performed: serving a request, or a replay asked to run live.
    Live,
    /// Reads only: writes are skipped (they return `()`), outbound calls fail.
    /// For live values, which must never repeat a write or a call.
    ReadOnly,
}

/// An effect call's answer, awaited.
pub type EffectFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, EffectError>> + Send + 'a>>;

/// Effects for compiled handlers: the same calls as [`Effects`], awaited.
pub trait AsyncEffects: Any + Send {
    /// Performs a decoded effect; `call` is the call as made.
    fn perform<'a>(&'a mut self, call: &'a EffectCall, effect: Effect) -> EffectFuture<'a>;

    /// What the sandbox calls: the call decoded once and performed; an `Err`
    /// is the message the run fails with.
    fn call<'a>(
        &'a mut self,
        call: &'a EffectCall,
    ) -> Pin<Box<dyn Future<Output = Result<Value, String>> + Send + 'a>> {
        match call.decode() {
            Ok(effect) => {
                let answer = self.perform(call, effect);
                Box::pin(async move { answer.await.map_err(|error| error.to_string()) })
            }
            Err(error) => Box::pin(std::future::ready(Err(error.to_string()))),
        }
    }
}

/// Synchronous effects that answer at once (in memory), for compiled code.
pub struct Immediate<E>(pub E);

impl<E: Effects + Send + 'static> AsyncEffects for Immediate<E> {
    fn perform<'a>(&'a mut self, call: &'a EffectCall, effect: Effect) -> EffectFuture<'a> {
        Box::pin(std::future::ready(self.0.perform(call, effect)))
    }
}
