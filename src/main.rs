//! The `greenlight` binary: parses the command line, runs the library, maps outcomes to
//! exit codes (0 done, 1 gate failed, 2 usage or I/O error).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
