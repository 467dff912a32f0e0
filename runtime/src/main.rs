//! `gloam`: the command-line entry point.

fn main() -> std::process::ExitCode {
    gloam_runtime::cli::main()
}
