//! Deep recursion over user input grows the stack on the heap (`stacker`) on
//! the host. Inside the WebAssembly sandbox there is no stacker (it needs
//! assembly); there wasmtime's stack limit stops what goes too deep, as a trap.

/// Runs `work` with at least `red_zone` bytes of stack, growing it by
/// `stack_size` when less is left (host only).
#[cfg(not(target_arch = "wasm32"))]
pub fn grow<R>(red_zone: usize, stack_size: usize, work: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(red_zone, stack_size, work)
}

/// Runs `work` as it is: the sandbox's own stack limit applies.
#[cfg(target_arch = "wasm32")]
pub fn grow<R>(_red_zone: usize, _stack_size: usize, work: impl FnOnce() -> R) -> R {
    work()
}
