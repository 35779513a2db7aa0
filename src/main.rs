//! The `greenlight` binary: parses the command line, runs the library, maps outcomes to
//! exit codes (0 done, 1 gate failed, 2 usage or I/O error; 128 + the signal's number
//! when interrupted).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    // An interrupt must remove the scratch copy and stop the tests.
    greenlight::run::interrupt::install();
    cli::main()
}
