//! Compiled handlers in wasmtime: one process-wide engine, a compiled module
//! per code version (made when the version goes live, never on the request
//! path), and a fresh pair of instances per run — the guest runtime
//! (`runtime/guest`, from an `InstancePre`) and the program, linked to it.
//!
//! Limits per run: the interpreter's step budget and call depth (counted by
//! the generated code, so both engines stop at the same point with the same
//! message), a wall-clock deadline (epochs; a run also yields to other tasks
//! at every tick), a memory cap (a resource limiter) and a stack limit.
//! Effects are asynchronous host calls: a run waiting on the network holds
//! no thread.
//!
//! A run is one call into the guest (`rt_main`): the input goes in through
//! `host.input`, the value comes back from the guest's memory, both in the
//! wire encoding (`gloam_interpreter::wire`) — the one place values cross.

use crate::budget::MemoryPool;
use crate::effects::AsyncEffects;
use gloam_interpreter::effects::{Effect, EffectError};
use gloam_interpreter::{EffectCall, Limits, Value, wire};
use gloam_language::ast::{ExprId, Module as Ast};
use gloam_language::codegen::{self, abi};
use gloam_language::types::Checked;
use gloam_language::{Answer, Builtin, Entry};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use thiserror::Error;
use wasmtime::{
    Caller, Config, Engine, Extern, Global, GlobalType, InstanceAllocationStrategy, InstancePre, Linker, Memory,
    Module, ModuleExport, Mutability, PoolingAllocationConfig, Ref, ResourceLimiter, Store, Trap, TypedFunc,
    UpdateDeadline, Val, ValType,
};

/// How often the epoch advances: the granularity of the deadline and of yielding.
const TICK: Duration = Duration::from_millis(5);

/// The most memory any run can be given (the pooled slots' size).
pub const MAX_MEMORY_BYTES: usize = 1 << 30;

/// Native stack for compiled code and the guest runtime's frames. Recursion
/// through builtins (a tree walked with `List.map`) puts the guest's frames on
/// every level; this lets it reach the language's 20,000-call limit, as in the
/// interpreter. Pooled stacks are reserved, not committed, until used.
const MAX_WASM_STACK: usize = 32 * 1024 * 1024;

/// Runs at once; more wait for a slot (each holds pooled instances).
const CONCURRENT_RUNS: u32 = 1_000;

/// The guest runtime, built by `build.rs`.
static GUEST_WASM: &[u8] = include_bytes!(env!("GLOAM_GUEST_WASM"));

#[derive(Debug, Error)]
pub enum SandboxError {
    #[error("the sandbox could not be set up: {0}")]
    Setup(String),
    #[error(transparent)]
    Codegen(#[from] codegen::CodegenError),
    #[error("internal error: wasmtime refused the compiled module: {0}")]
    Compile(String),
}

/// Limits of one run.
#[derive(Debug, Clone)]
pub struct SandboxLimits {
    pub steps: Limits,
    /// Linear memory of the guest runtime (values, strings), in bytes; at
    /// most [`MAX_MEMORY_BYTES`].
    pub memory_bytes: usize,
    /// Wall-clock time, waiting for effects included.
    pub time: Duration,
    /// Memory shared by all runs of the server, taken as a run's memory grows.
    pub pool: Option<Arc<MemoryPool>>,
}

impl Default for SandboxLimits {
    fn default() -> SandboxLimits {
        SandboxLimits {
            steps: Limits::default(),
            memory_bytes: 256 * 1024 * 1024,
            time: Duration::from_secs(30),
            pool: None,
        }
    }
}

/// Why a run stopped: the message, and the expression when one is to blame.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxFailure {
    pub message: String,
    pub site: Option<ExprId>,
}

impl SandboxFailure {
    fn new(message: impl Into<String>) -> SandboxFailure {
        SandboxFailure { message: message.into(), site: None }
    }
}

/// `rt_main`'s arguments: init and entry slots, spread, steps, depth, input length, output.
type MainArguments = (i32, i32, i32, i64, i32, i32, i32);

/// `rt_main`'s `output` for a value handed back as it is, and for none.
const OUTPUT_VALUE: i32 = -1;
const OUTPUT_NOTHING: i32 = -2;

/// One code version, compiled.
pub struct CompiledProgram {
    module: Module,
    table_slots: u32,
    entries: BTreeMap<String, u32>,
    metadata: Arc<[u8]>,
    /// Where each import comes from: a guest export, or the table base.
    imports: Vec<Import>,
}

impl std::fmt::Debug for CompiledProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledProgram").field("table_slots", &self.table_slots).finish_non_exhaustive()
    }
}

enum Import {
    /// A guest export, looked up once per version instead of by name per run.
    Guest(ModuleExport),
    TableBase,
}

/// The process-wide engine and the guest runtime, compiled once.
pub struct Sandbox {
    engine: Engine,
    guest_module: Module,
    guest: InstancePre<Run>,
    /// A slot of the pool per run: beyond them runs wait instead of failing.
    slots: tokio::sync::Semaphore,
    preemption: Preemption,
}

/// Whether the clock can stop a run and make it yield.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preemption {
    /// Epoch interruption: the wall-clock deadline is enforced inside
    /// CPU-bound code, and a run yields to other tasks at every tick.
    Epochs,
    /// No checks in the generated code: a CPU-bound run holds its thread
    /// until it ends or exhausts its step budget. Only for measuring what
    /// preemption costs (`gloam-bench`); the server always preempts.
    Off,
}

/// A run's state in its store.
struct Run {
    effects: Box<dyn AsyncEffects>,
    /// The run's input (the request, event or arguments), until the guest takes it.
    input: Vec<u8>,
    /// The answer of the last effect, until the guest takes it.
    answer: Vec<u8>,
    failure: Option<SandboxFailure>,
    metadata: Arc<[u8]>,
    memory_limit: usize,
    memory_refused: bool,
    /// The server's pool, and how much of it this run holds.
    pool: Option<Arc<MemoryPool>>,
    pool_taken: usize,
    pool_refused: bool,
    /// When the run's time is up, waiting for effects included.
    deadline: Instant,
}

impl ResourceLimiter for Run {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = desired <= self.memory_limit;
        self.memory_refused |= !allowed;
        if !allowed {
            return Ok(false);
        }
        if let Some(pool) = &self.pool {
            let growth = desired.saturating_sub(current);
            if !pool.take(growth) {
                self.pool_refused = true;
                return Ok(false);
            }
            self.pool_taken += growth;
        }
        Ok(true)
    }

    /// The pool's table size (`table_elements`) bounds tables.
    fn table_growing(&mut self, _current: usize, _desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

/// Stands in for a run's effects once they are handed back.
struct HandedBack;

impl AsyncEffects for HandedBack {
    fn perform<'a>(&'a mut self, call: &'a EffectCall, _: Effect) -> crate::effects::EffectFuture<'a> {
        Box::pin(std::future::ready(Err(EffectError::AfterRun { function: call.builtin.name() })))
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if let Some(pool) = &self.pool {
            pool.give_back(self.pool_taken);
        }
    }
}

impl Sandbox {
    /// The one sandbox of this process (wasmtime engines are meant to be
    /// shared; the pooled instance slots are reserved once).
    pub fn shared() -> Result<Arc<Sandbox>, SandboxError> {
        static SHARED: OnceLock<Result<Arc<Sandbox>, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| Sandbox::new(Preemption::Epochs).map(Arc::new).map_err(|error| error.to_string()))
            .clone()
            .map_err(SandboxError::Setup)
    }

    /// A sandbox of its own; the server uses [`Sandbox::shared`]. Each one
    /// reserves its own pool of instance slots.
    pub fn new(preemption: Preemption) -> Result<Sandbox, SandboxError> {
        let setup = |error: wasmtime::Error| SandboxError::Setup(error.to_string());
        let mut config = Config::new();
        config.epoch_interruption(preemption == Preemption::Epochs);
        config.max_wasm_stack(MAX_WASM_STACK);
        config.async_stack_size(MAX_WASM_STACK + 1024 * 1024);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(2 * CONCURRENT_RUNS)
            .total_memories(CONCURRENT_RUNS)
            .total_tables(CONCURRENT_RUNS)
            .total_stacks(CONCURRENT_RUNS)
            .max_memory_size(MAX_MEMORY_BYTES)
            .table_elements(100_000);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(setup)?;
        let guest = Module::new(&engine, GUEST_WASM).map_err(setup)?;
        let mut linker: Linker<Run> = Linker::new(&engine);
        define_host_functions(&mut linker).map_err(setup)?;
        let guest_module = guest.clone();
        let guest = linker.instantiate_pre(&guest).map_err(setup)?;
        if preemption == Preemption::Epochs {
            let ticking = engine.weak();
            std::thread::Builder::new()
                .name("gloam-epoch".into())
                .spawn(move || {
                    while let Some(engine) = ticking.upgrade() {
                        engine.increment_epoch();
                        drop(engine);
                        std::thread::sleep(TICK);
                    }
                })
                .map_err(|error| SandboxError::Setup(error.to_string()))?;
        }
        let slots = tokio::sync::Semaphore::new(CONCURRENT_RUNS as usize);
        Ok(Sandbox { engine, guest_module, guest, slots, preemption })
    }

    /// Compiles a checked module. Takes milliseconds: call it when code goes
    /// live, not per request.
    pub fn compile(&self, module: &Ast, checked: &Checked) -> Result<CompiledProgram, SandboxError> {
        let compiled = codegen::compile(module, checked)?;
        let wasm_module =
            Module::new(&self.engine, &compiled.wasm).map_err(|error| SandboxError::Compile(error.to_string()))?;
        let imports = wasm_module
            .imports()
            .map(|import| match import.module() {
                abi::HOST => Ok(Import::TableBase),
                _ => self.guest_module.get_export_index(import.name()).map(Import::Guest).ok_or_else(|| {
                    SandboxError::Compile(format!("the guest runtime does not export `{}`", import.name()))
                }),
            })
            .collect::<Result<_, _>>()?;
        Ok(CompiledProgram {
            module: wasm_module,
            table_slots: compiled.table_slots,
            entries: compiled.entries,
            metadata: compiled.metadata.into(),
            imports,
        })
    }

    /// Runs an entry of a compiled program with fresh instances; gives the
    /// effects back (with what they recorded).
    pub async fn run<E: AsyncEffects>(
        &self,
        program: &CompiledProgram,
        entry: Entry<'_>,
        input: Value,
        effects: E,
        limits: SandboxLimits,
    ) -> (Result<Value, SandboxFailure>, E) {
        let (result, effects) = self.run_boxed(program, entry, input, Box::new(effects), limits).await;
        let effects: Box<dyn std::any::Any> = effects;
        match effects.downcast::<E>() {
            Ok(effects) => (result, *effects),
            Err(_) => unreachable!("the store gives back the effects it was given"),
        }
    }

    async fn run_boxed(
        &self,
        program: &CompiledProgram,
        entry: Entry<'_>,
        input: Value,
        effects: Box<dyn AsyncEffects>,
        limits: SandboxLimits,
    ) -> (Result<Value, SandboxFailure>, Box<dyn AsyncEffects>) {
        let Ok(_slot) = self.slots.acquire().await else {
            return (Err(SandboxFailure::new("the sandbox is shutting down")), effects);
        };
        let deadline = Instant::now() + limits.time;
        let run = Run {
            effects,
            input: Vec::new(),
            answer: Vec::new(),
            failure: None,
            metadata: program.metadata.clone(),
            memory_limit: limits.memory_bytes.min(MAX_MEMORY_BYTES),
            memory_refused: false,
            pool: limits.pool.clone(),
            pool_taken: 0,
            pool_refused: false,
            deadline,
        };
        let mut store = Store::new(&self.engine, run);
        store.limiter(|run| run);
        if self.preemption == Preemption::Epochs {
            store.set_epoch_deadline(1);
            // At every tick: stop when the time is up, else let other tasks run
            // (tokio's yield also lets its timers and I/O be polled first).
            store.epoch_deadline_callback(|context| {
                Ok(if Instant::now() >= context.data().deadline {
                    UpdateDeadline::Interrupt
                } else {
                    UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now()))
                })
            });
        }
        let outcome = self.run_in(&mut store, program, entry, input, &limits).await;
        let result = outcome.map_err(|error| explain(store.data(), &error, &limits));
        // `Run` gives its memory back to the pool when dropped; the effects go on.
        let effects = std::mem::replace(&mut store.data_mut().effects, Box::new(HandedBack));
        (result, effects)
    }

    async fn run_in(
        &self,
        store: &mut Store<Run>,
        program: &CompiledProgram,
        entry: Entry<'_>,
        input: Value,
        limits: &SandboxLimits,
    ) -> wasmtime::Result<Value> {
        let guest = self.guest.instantiate_async(&mut *store).await?;
        let table = guest
            .get_table(&mut *store, abi::TABLE)
            .ok_or_else(|| wasmtime::format_err!("the guest runtime exports no function table"))?;
        let base = table.grow(&mut *store, u64::from(program.table_slots), Ref::Func(None))?;
        let table_base = Global::new(
            &mut *store,
            GlobalType::new(ValType::I32, Mutability::Const),
            Val::I32(i32::try_from(base).map_err(|_| wasmtime::format_err!("the function table is full"))?),
        )?;
        let mut imports = Vec::with_capacity(program.imports.len());
        for import in &program.imports {
            imports.push(match import {
                Import::TableBase => Extern::Global(table_base),
                Import::Guest(export) => guest
                    .get_module_export(&mut *store, export)
                    .ok_or_else(|| wasmtime::format_err!("a guest export moved"))?,
            });
        }
        wasmtime::Instance::new_async(&mut *store, &program.module, &imports).await?;

        let slot = |key: &str| {
            program
                .entries
                .get(key)
                .map(|slot| base as i32 + *slot as i32)
                .ok_or_else(|| wasmtime::format_err!("no entry {key}"))
        };
        // What the guest hands back: a handler's response, nothing of a worker
        // or a cron (their values are not used), a function's value. A
        // function's input is its argument list, spread over its parameters.
        let (spread, output) = match entry.answer() {
            Answer::Response { body } => (false, body.0 as i32),
            Answer::Nothing => (false, OUTPUT_NOTHING),
            Answer::Value => (true, OUTPUT_VALUE),
        };
        let entry = slot(&codegen::entry_key(entry.item))?;
        let input = wire::encode_text(&input).map_err(|message| wasmtime::format_err!("{message}"))?;
        let input_length = i32::try_from(input.len()).map_err(|_| wasmtime::format_err!("the input is too large"))?;
        store.data_mut().input = input.into_bytes();
        let main: TypedFunc<MainArguments, i64> = guest.get_typed_func(&mut *store, "rt_main")?;
        let steps = limits.steps;
        let arguments = (
            slot(codegen::INIT_ENTRY)?,
            entry,
            spread as i32,
            i64::try_from(steps.max_steps).unwrap_or(i64::MAX),
            steps.max_call_depth.min(i32::MAX as u32) as i32,
            input_length,
            output,
        );
        // Epochs stop running code; this stops a run waiting on an effect.
        let deadline = tokio::time::Instant::from_std(store.data().deadline);
        let packed = match tokio::time::timeout_at(deadline, main.call_async(&mut *store, arguments)).await {
            Ok(packed) => packed?,
            Err(_) => return Err(wasmtime::Error::from(Trap::Interrupt)),
        };
        let (ptr, length) = ((packed >> 32) as u32 as usize, packed as u32 as usize);
        let mut output = vec![0u8; length];
        guest_memory(&guest, &mut *store)?.read(&*store, ptr, &mut output)?;
        wire::decode_text(&output).map_err(|message| wasmtime::format_err!("{message}"))
    }
}

fn guest_memory(guest: &wasmtime::Instance, store: &mut Store<Run>) -> wasmtime::Result<Memory> {
    guest.get_memory(store, abi::MEMORY).ok_or_else(|| wasmtime::format_err!("the guest runtime exports no memory"))
}

fn caller_memory(caller: &mut Caller<'_, Run>) -> wasmtime::Result<Memory> {
    match caller.get_export(abi::MEMORY) {
        Some(Extern::Memory(memory)) => Ok(memory),
        _ => Err(wasmtime::format_err!("the guest runtime exports no memory")),
    }
}

fn read_bytes(caller: &mut Caller<'_, Run>, ptr: u32, length: u32) -> wasmtime::Result<Vec<u8>> {
    let memory = caller_memory(caller)?;
    let mut bytes = vec![0u8; length as usize];
    memory.read(&*caller, ptr as usize, &mut bytes)?;
    Ok(bytes)
}

/// What the guest imports (`host.*`): failures, effects, metadata.
fn define_host_functions(linker: &mut Linker<Run>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "host",
        "error",
        |mut caller: Caller<'_, Run>, ptr: u32, length: u32| -> wasmtime::Result<()> {
            let bytes = read_bytes(&mut caller, ptr, length)?;
            #[derive(serde::Deserialize)]
            struct Report {
                message: String,
                site: u32,
            }
            let report: Report = serde_json::from_slice(&bytes)?;
            let site = (report.site != u32::MAX).then_some(ExprId(report.site));
            caller.data_mut().failure = Some(SandboxFailure { message: report.message, site });
            Ok(())
        },
    )?;
    linker.func_wrap_async(
        "host",
        "effect",
        |mut caller: Caller<'_, Run>, (builtin, site, ptr, length): (u32, u32, u32, u32)| {
            Box::new(async move {
                let bytes = read_bytes(&mut caller, ptr, length)?;
                let builtin = *Builtin::ALL
                    .get(builtin as usize)
                    .ok_or_else(|| wasmtime::format_err!("no builtin has index {builtin}"))?;
                let arguments = match wire::decode_text(&bytes).map_err(|message| wasmtime::format_err!("{message}"))? {
                    Value::List(items) => items.to_vec(),
                    _ => return Err(wasmtime::format_err!("effect arguments are not a list")),
                };
                let call = EffectCall { site: ExprId(site), builtin, arguments };
                let answer = caller.data_mut().effects.call(&call).await;
                let (status, text) = match answer.and_then(|value| wire::encode_crossing(&value)) {
                    Ok(text) => (b'O', text),
                    Err(message) => (b'E', message),
                };
                let mut bytes = Vec::with_capacity(1 + text.len());
                bytes.push(status);
                bytes.extend_from_slice(text.as_bytes());
                let length = bytes.len() as u32;
                caller.data_mut().answer = bytes;
                Ok(length)
            })
        },
    )?;
    linker.func_wrap("host", "take", |mut caller: Caller<'_, Run>, ptr: u32| -> wasmtime::Result<()> {
        let answer = std::mem::take(&mut caller.data_mut().answer);
        caller_memory(&mut caller)?.write(&mut caller, ptr as usize, &answer)?;
        Ok(())
    })?;
    linker.func_wrap("host", "input", |mut caller: Caller<'_, Run>, ptr: u32| -> wasmtime::Result<()> {
        let input = std::mem::take(&mut caller.data_mut().input);
        caller_memory(&mut caller)?.write(&mut caller, ptr as usize, &input)?;
        Ok(())
    })?;
    linker.func_wrap("host", "metadata_length", |caller: Caller<'_, Run>| -> u32 {
        caller.data().metadata.len() as u32
    })?;
    linker.func_wrap("host", "metadata", |mut caller: Caller<'_, Run>, ptr: u32| -> wasmtime::Result<()> {
        let metadata = caller.data().metadata.clone();
        caller_memory(&mut caller)?.write(&mut caller, ptr as usize, &metadata)?;
        Ok(())
    })?;
    Ok(())
}

/// A stopped run, in words: the guest's own report when it made one, else the limit that stopped it.
fn explain(run: &Run, error: &wasmtime::Error, limits: &SandboxLimits) -> SandboxFailure {
    if let Some(failure) = &run.failure {
        return failure.clone();
    }
    if let (true, Some(pool)) = (run.pool_refused, &run.pool) {
        return SandboxFailure::new(pool.exhausted());
    }
    if run.memory_refused {
        return SandboxFailure::new(format!(
            "memory limit of {} MiB exceeded (a value grew too large?)",
            limits.memory_bytes.min(MAX_MEMORY_BYTES) / (1024 * 1024)
        ));
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => SandboxFailure::new(format!(
            "time limit of {} s exceeded (an infinite loop, or a slow effect?)",
            limits.time.as_secs_f64()
        )),
        Some(Trap::StackOverflow) => SandboxFailure::new("stack overflow: recursion too deep for the sandbox's stack"),
        Some(trap) => SandboxFailure::new(format!("the sandbox stopped the handler: {trap}")),
        // A host function's own error (a bug): the details, with the wasm
        // backtrace wasmtime attaches, go to the log, the cause to the user.
        None => {
            tracing::error!(error = ?error, "a compiled run failed inside the sandbox");
            SandboxFailure::new(format!("internal error in the sandbox: {}", error.root_cause()))
        }
    }
}
