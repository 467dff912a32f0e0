//! The in-sandbox half of compiled handlers, built for `wasm32-unknown-unknown`.
//!
//! A compiled program (`gloam_language::codegen`) owns control flow and the
//! scalars (`Int` as `i64`, `Float` as `f64`, `Bool` as `i32`); every other
//! value lives here, in this module's linear memory, as an interpreter
//! [`Value`] named by an `i32` handle (its index in the arena). The standard
//! library is the interpreter's own (`gloam_interpreter::builtins`), compiled
//! into this module, so both engines share one implementation of it.
//!
//! One instance serves one request and is thrown away after it. The values a
//! callback makes are dropped when it returns; the rest live until the run
//! ends, bounded by the sandbox's memory cap.
//!
//! The ABI (every export is `rt_*`; the program imports them by name, see
//! `gloam_language::codegen::abi`):
//! - arguments for builders and calls go through an argument stack (`rt_push`);
//! - a failure sends `{"message", "site"}` to the host (`host.error`) and traps;
//! - effects go to the host as tagged JSON (`host.effect`, `host.take`).
//!
//! Built by `runtime/build.rs`; on other targets this crate is empty.

#[cfg(target_arch = "wasm32")]
mod sandbox;
