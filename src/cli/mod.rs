//! Command-line interface: what the user typed ([`args`]) and what each command does.

mod args;
mod commands;

use std::process::ExitCode;

use clap::Parser;

/// Exit code when the `--fail-on` gate fails.
pub const EXIT_GATE: u8 = 1;
/// Exit code for usage and I/O errors.
pub const EXIT_ERROR: u8 = 2;

pub fn main() -> ExitCode {
    let args = match args::Cli::try_parse() {
        Ok(a) => a,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { 0 });
        }
    };
    match commands::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Repository text can reach the message (a policy line): no control bytes,
            // and the same masking as every report.
            let message: String = format!("{e:#}")
                .chars()
                .filter(|c| !c.is_control())
                .collect();
            let message =
                greenlight::analyze::secrets::redactor::Redactor::default().redact(&message);
            eprintln!("greenlight: error: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
