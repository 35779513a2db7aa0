//! The command line as typed.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "greenlight",
    version,
    about = "Automated production readiness review of a source repository",
    long_about = "greenlight reviews a repository the way a senior engineer does before it goes to production — tests, static analysis, CI/CD, security, observability, performance, deployment and documentation — and writes a verdict (READY / STAGING ONLY / NOT READY) with a risk table and prioritized actions, every claim backed by file:line evidence.\n\nExit codes: 0 done, 1 the --fail-on gate failed, 2 usage or I/O error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Review a repository and print the verdict; write full reports with --out.
    Audit(AuditArgs),
    /// List every check: id, category, weight and what it judges.
    Checks {
        /// Print the full reference documentation (docs/checks.md) instead.
        #[arg(long)]
        markdown: bool,
    },
    /// Print the full documentation of one check: what, why, how to fix.
    Explain {
        /// Check id, e.g. `tests.suite` (see `greenlight checks`).
        id: String,
    },
    /// Write a commented starter greenlight.toml (never overwrites).
    Init {
        /// Directory to write greenlight.toml into.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Repository to review.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Write the review to FILE; the format follows the extension (.md, .json). Repeatable.
    #[arg(long, short, value_name = "FILE")]
    pub out: Vec<PathBuf>,
    /// Policy file [default: greenlight.toml in PATH, if present].
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Exit with 1 when the verdict is at or below this level (for CI gates).
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,
    /// Worker threads [default: one per core].
    #[arg(
        long,
        short,
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    pub jobs: usize,
    /// Print nothing on success (errors and the gate result still go to stderr).
    #[arg(long, short)]
    pub quiet: bool,
    /// Never colour the terminal summary (also honoured: NO_COLOR).
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Fail only when the verdict is NOT READY.
    NotReady,
    /// Fail when the verdict is STAGING ONLY or NOT READY.
    StagingOnly,
}
