//! The `lyceum` binary.

fn main() -> std::process::ExitCode {
    lyceum::cli::main()
}
