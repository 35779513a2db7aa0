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
    /// Manage the local advisory database the audit matches packages against.
    #[command(subcommand)]
    Advisories(AdvisoriesCommand),
    /// Write a commented starter greenlight.toml (never overwrites).
    Init {
        /// Directory to write greenlight.toml into.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdvisoriesCommand {
    /// Download the OSV advisories of the ecosystems a repository uses (or those named
    /// with --ecosystem) and index them for offline audits. The only command that goes
    /// online.
    Update(UpdateArgs),
}

#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// Repository whose manifests say which ecosystems to fetch.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Fetch this ecosystem instead of detecting them: pypi, crates.io, npm, go.
    /// Repeatable.
    #[arg(long, value_name = "NAME")]
    pub ecosystem: Vec<String>,
    /// Where to keep the database [default: $GREENLIGHT_CACHE_DIR, else
    /// $XDG_CACHE_HOME/greenlight/osv, else ~/.cache/greenlight/osv].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Base URL of the dumps (`<URL>/<Ecosystem>/all.zip`): an https:// mirror, a
    /// file:// URL or a directory [default: $GREENLIGHT_OSV_URL, else OSV's bucket].
    #[arg(long, value_name = "URL")]
    pub source: Option<String>,
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
    /// Also scan every blob reachable from HEAD in the git history for secrets that were
    /// committed and later removed. Reads the object database directly (git is never
    /// run); each blob is read once, within the file-size cap and a total budget.
    #[arg(long)]
    pub history: bool,
    /// Run the repository's tests (pytest, cargo test, Jest/Vitest/node --test, go test) with
    /// coverage, in a bubblewrap sandbox on a scratch copy. Without it nothing from the
    /// repository is ever executed.
    #[arg(long, help_heading = "Running the tests")]
    pub run_tests: bool,
    /// Allow installing what the tests need (a throwaway virtualenv with the project,
    /// its dependencies, pytest and pytest-cov; npm ci; cargo fetch; go mod download).
    /// Installation is the only step with network access.
    #[arg(long, requires = "run_tests", help_heading = "Running the tests")]
    pub setup: bool,
    /// Run the tests without a sandbox (when bubblewrap is unavailable); the report
    /// says so.
    #[arg(long, requires = "run_tests", help_heading = "Running the tests")]
    pub no_sandbox: bool,
    /// Wall-clock limit for each test or set-up command: seconds, or with a unit
    /// (90s, 10m, 1h). The whole process group is killed when it expires.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10m",
        value_parser = parse_duration,
        help_heading = "Running the tests"
    )]
    pub test_timeout: std::time::Duration,
    /// Read test results from a JUnit XML report (a CI run's) instead of, or besides,
    /// running the tests. Repeatable.
    #[arg(long, value_name = "FILE", help_heading = "Running the tests")]
    pub junit: Vec<PathBuf>,
    /// Read coverage from a report: coverage.py JSON or XML, Cobertura, LCOV or a Go
    /// coverprofile. Paths are mapped to repository files. Repeatable.
    #[arg(long, value_name = "FILE", help_heading = "Running the tests")]
    pub coverage: Vec<PathBuf>,
    /// Read known vulnerabilities from a report: pip-audit --format json, cargo audit
    /// --json or npm audit --json (detected). Repeatable.
    #[arg(long, value_name = "FILE", help_heading = "Known vulnerabilities")]
    pub audit_report: Vec<PathBuf>,
    /// The advisory database written by `greenlight advisories update` [default:
    /// $GREENLIGHT_CACHE_DIR, else $XDG_CACHE_HOME/greenlight/osv, else
    /// ~/.cache/greenlight/osv]. Never fetched during the audit.
    #[arg(long, value_name = "DIR", help_heading = "Known vulnerabilities")]
    pub cache_dir: Option<PathBuf>,
}

/// `600`, `90s`, `10m`, `1h` → a duration.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: use seconds, or 90s, 10m, 1h"))?;
    let seconds = match unit.trim() {
        "s" | "sec" => n,
        "m" | "min" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => {
            return Err(format!(
                "`{text}` is not a duration: use seconds, or 90s, 10m, 1h"
            ));
        }
    };
    if seconds == 0 {
        return Err("the test timeout must be at least one second".into());
    }
    if seconds > 7 * 86_400 {
        return Err("the test timeout can be at most a week (168h)".into());
    }
    Ok(std::time::Duration::from_secs(seconds))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Fail only when the verdict is NOT READY.
    NotReady,
    /// Fail when the verdict is STAGING ONLY or NOT READY.
    StagingOnly,
}
