//! Link settings for the sandbox module: compiled programs put their functions
//! into its function table (exported, growable), and deep handlers need more
//! than the default 1 MiB of stack — recursion through builtins (a tree walked
//! with `List.map`) keeps the guest's frames on every level, several hundred
//! bytes each. The stack comes first in memory, so an overflow traps instead
//! of overwriting data; untouched stack pages cost nothing.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        for argument in ["--export-table", "--growable-table", "-zstack-size=16777216"] {
            println!("cargo:rustc-link-arg-cdylib={argument}");
        }
    }
}
