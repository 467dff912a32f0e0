//! `gloam`: the command-line entry point.

/// Requests allocate and free many small values (requests, traces, wasm
/// instances' bookkeeping); mimalloc does that faster than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gloam_runtime::cli::main()
}
