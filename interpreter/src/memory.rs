//! The memory a run may take, as the compiled engine caps it.
//!
//! Why the allocator counts, rather than each builtin charging the values it
//! builds: the compiled engine caps what its guest holds in linear memory —
//! every byte allocated and not yet freed, whatever allocated it. Counting at
//! the allocator measures the same thing here: values freed during a run
//! (a list built in a fold and dropped) stop counting, as they do in the
//! guest, and nothing is missed — JSON trees, decoded effect answers, the
//! copies imbl makes of shared nodes, recorded live values. Charging sizes at
//! each builtin instead would miss every allocation not written down, and
//! could not see a value being freed without hooking every `Drop`.
//!
//! The count is per thread: bytes allocated minus bytes freed on the thread a
//! run evaluates on (a run never leaves its thread; `stacker` switches stacks
//! on the same thread). [`Budget`] reads it at each evaluation step. Memory
//! another thread allocated and this one frees lowers the count (such as an
//! effect's answer read on a pool thread); the count only guards against one
//! run's values growing, so that slack is accepted.
//!
//! The allocator is installed here, by the library, on every host build: any
//! binary that can run the interpreter then enforces its cap, none has to
//! remember to install it. Builtins that can make a result far larger than
//! their arguments also ask [`Budget::reserve`] first, so that one call is
//! refused before it allocates rather than after.

use crate::error::ErrorKind;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Memory a run may take when its caller sets no other: the compiled engine's
/// default (`gloam serve --max-memory`).
pub const DEFAULT_MAX_MEMORY_BYTES: usize = 256 * 1024 * 1024;

thread_local! {
    /// Bytes allocated minus bytes freed on this thread. A `Cell` of a plain
    /// integer with a constant initialiser: reading it neither allocates nor
    /// registers a destructor, so the allocator itself may use it.
    static NET_BYTES: Cell<isize> = const { Cell::new(0) };
}

fn count(bytes: isize) {
    NET_BYTES.with(|net| net.set(net.get().wrapping_add(bytes)));
}

fn net_bytes() -> isize {
    NET_BYTES.with(Cell::get)
}

/// The system allocator, counting each thread's net bytes. Costs one
/// thread-local addition per allocation and per free.
pub struct CountingAllocator;

// The one `unsafe` of this crate: a global allocator must implement an unsafe
// trait; every call is passed on unchanged to the system allocator.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`, passed on.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            count(layout.size() as isize);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc_zeroed`, passed on.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc`, passed on.
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        moved
    }
}

#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// A run's memory: what this thread held when the run started, and how much
/// more the run may hold.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    start: isize,
    limit: usize,
}

impl Budget {
    /// Starts counting a run on this thread.
    pub fn start(limit: usize) -> Budget {
        Budget { start: net_bytes(), limit }
    }

    /// No limit: for what runs outside an evaluation (a response's JSON body).
    pub fn unlimited() -> Budget {
        Budget::start(usize::MAX)
    }

    /// Bytes the run holds now (never below zero).
    pub fn used(&self) -> usize {
        usize::try_from(net_bytes().wrapping_sub(self.start)).unwrap_or(0)
    }

    /// Fails once the run holds more than its limit.
    pub fn check(&self) -> Result<(), ErrorKind> {
        self.reserve(0)
    }

    /// Fails if `bytes` more would take the run past its limit: asked before
    /// building a result that can dwarf its arguments.
    pub fn reserve(&self, bytes: usize) -> Result<(), ErrorKind> {
        if self.used().saturating_add(bytes) > self.limit {
            return Err(self.exceeded());
        }
        Ok(())
    }

    /// The error of a run that needed more than its limit.
    pub fn exceeded(&self) -> ErrorKind {
        ErrorKind::MemoryLimit { limit: self.limit }
    }

    /// Bytes the run may still allocate.
    pub fn left(&self) -> usize {
        self.limit.saturating_sub(self.used())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_is_held_not_what_was_freed() {
        let budget = Budget::start(1 << 20);
        let held = vec![0u8; 512 * 1024];
        assert!(budget.used() >= held.len());
        assert_eq!(budget.reserve(600 * 1024), Err(ErrorKind::MemoryLimit { limit: 1 << 20 }));
        drop(held);
        assert!(budget.used() < 64 * 1024, "freed memory still counted: {}", budget.used());
        for _ in 0..100 {
            drop(vec![0u8; 512 * 1024]);
        }
        assert_eq!(budget.check(), Ok(()));
        assert!(budget.left() > 900 * 1024);
    }
}
