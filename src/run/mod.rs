//! Stage 3 — dynamic facts. Only when asked (`--run-tests`, `--junit`, `--coverage`):
//! runs the target's tests in a sandbox and reads the reports they write, or reads
//! reports a CI run already produced. This is the one stage that starts programs and
//! reads files outside the inventory (the reports), hence the lint exemption.
#![allow(clippy::disallowed_methods)]

mod analysis;
mod blockers;
pub mod exec;
mod go;
pub mod ingest;
pub mod interrupt;
mod js;
pub mod limits;
pub mod model;
mod python;
mod rust;
mod sandbox;
pub mod scratch;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use exec::Isolation;
pub use model::*;

use crate::analyze::Facts;
use crate::config::Policy;
use crate::repo::Inventory;
use ingest::paths::PathIndex;

/// What the user asked the dynamic phase to do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Run the tests (`--run-tests`).
    pub run_tests: bool,
    /// Build environments and install packages (`--setup`).
    pub setup: bool,
    /// Run without bubblewrap (`--no-sandbox`).
    pub no_sandbox: bool,
    /// Wall-clock limit per command.
    pub timeout: Duration,
    /// JUnit XML reports to read (`--junit`).
    pub junit: Vec<PathBuf>,
    /// Coverage reports to read (`--coverage`).
    pub coverage: Vec<PathBuf>,
}

impl RunOptions {
    /// Whether there is anything for the dynamic phase to do.
    pub fn wanted(&self) -> bool {
        self.run_tests || !self.junit.is_empty() || !self.coverage.is_empty()
    }

    /// How commands will be isolated; an error when tests are to run, bubblewrap is
    /// unavailable and the user did not accept running without it.
    pub fn isolation(&self) -> Result<Isolation, String> {
        if self.no_sandbox {
            return Ok(Isolation::None);
        }
        if !self.run_tests {
            return Ok(Isolation::None);
        }
        Isolation::detect().ok_or_else(|| {
            "cannot sandbox the tests: bubblewrap (bwrap) is not installed or cannot create namespaces here; install it (apt install bubblewrap) or pass --no-sandbox to run them unisolated".to_string()
        })
    }
}

/// What every runner reads, and where it records notes and coverage.
pub struct RunContext<'a> {
    /// The repository as given.
    pub root: &'a Path,
    pub inventory: &'a Inventory,
    pub facts: &'a Facts,
    pub scratch: &'a scratch::Scratch,
    pub isolation: &'a Isolation,
    pub setup: bool,
    pub timeout: Duration,
    index: &'a PathIndex,
    run: &'a RefCell<TestRun>,
    /// Directories of the checkout the commands must see (its virtual environment,
    /// its node_modules), although the sandbox hides the checkout.
    visible: RefCell<Vec<PathBuf>>,
}

impl RunContext<'_> {
    /// Maps a path a runner printed (in the scratch copy, relative, or absolute) to a
    /// repository path.
    pub fn map_path(&self, path: &str) -> Option<String> {
        let scratch = self.scratch.repo().display().to_string();
        ingest::paths::map_path(path, &[], &scratch, self.index)
    }

    /// A command run in the scratch copy, writing only to the scratch directory.
    pub fn job(&self, program: impl Into<PathBuf>) -> exec::Job {
        let mut job = exec::Job::new(program, &self.scratch.repo(), self.scratch.root());
        job.visible = self.visible.borrow().clone();
        job.blank = Some(self.scratch.blank().to_path_buf());
        job.timeout = self.timeout;
        job
    }

    /// The directory one suite's runner writes its reports to (one per suite, so one
    /// suite never reads another's).
    pub fn out_for(&self, suite: &str) -> PathBuf {
        let dir = self.scratch.out().join(suite);
        if let Err(e) = self.scratch.create_dir_all(&dir) {
            self.note(&format!(
                "cannot create {}: {e}",
                self.tidy(&dir.display().to_string())
            ));
        }
        dir
    }

    /// Cases from a runner's report, or none with a note saying why the report could
    /// not be read.
    pub fn cases_from(
        &self,
        parsed: Result<Vec<CaseResult>, String>,
        what: &str,
    ) -> Vec<CaseResult> {
        parsed.unwrap_or_else(|e| {
            self.note(&format!("the {what} could not be read: {e}"));
            Vec::new()
        })
    }

    /// Makes a directory of the checkout visible (read-only) to later commands.
    pub fn make_visible(&self, dir: &Path) {
        self.visible.borrow_mut().push(dir.to_path_buf());
    }

    /// Text with the scratch copy's paths made relative (`./`) and the scratch
    /// directory named `<scratch>`, as a reader of the report should see it.
    pub fn tidy(&self, text: &str) -> String {
        let repo = self.scratch.repo().display().to_string();
        let root = self.scratch.root().display().to_string();
        // Output of hostile code: the review's redaction stage masks it with the rest.
        text.replace(&format!("{repo}/"), "")
            .replace(&repo, ".")
            .replace(&root, "<scratch>")
    }

    /// The record of a command that ran.
    pub fn step(&self, job: &exec::Job, ran: &exec::Ran) -> Step {
        Step {
            command: self.tidy(&job.display()),
            seconds: ran.duration.as_secs_f64(),
            exit_code: ran.code,
            timed_out: ran.timed_out,
            network: job.network,
        }
    }

    /// Runs one set-up command; on failure records why in `suite` and returns false.
    pub fn setup_step(&self, suite: &mut SuiteRun, mut job: exec::Job) -> bool {
        job.timeout = self.timeout;
        let command = self.tidy(&job.display());
        match exec::run(&job, self.isolation) {
            Ok(ran) => {
                suite.steps.push(self.step(&job, &ran));
                if ran.success() {
                    return true;
                }
                let why = match &ran.stopped {
                    Some(limit) => format!(" (stopped: it {limit})"),
                    None if ran.timed_out => " (time limit)".into(),
                    None => String::new(),
                };
                suite.not_run = Some(format!(
                    "`{command}` failed{why}: {}",
                    self.tidy(&error_lines(&ran.output()))
                ));
                false
            }
            Err(e) => {
                suite.not_run = Some(e);
                false
            }
        }
    }

    /// Runs a step that turns results into a report (`coverage json`); when it fails,
    /// a note says so with its error.
    pub fn helper_step(&self, job: exec::Job, what: &str) {
        let failure = match exec::run(&job, self.isolation) {
            Ok(ran) if ran.success() => return,
            Ok(exec::Ran {
                stopped: Some(limit),
                ..
            }) => format!("stopped: it {limit}"),
            Ok(ran) => self.tidy(&error_lines(&ran.output())),
            Err(e) => e,
        };
        // `coverage json` exits 2 under a project's fail_under: the report is written.
        if !failure.is_empty() && !failure.contains("fail-under") && !failure.contains("fail_under")
        {
            self.note(&format!(
                "`{what}` failed: {}",
                crate::model::shorten(&failure, 300)
            ));
        }
    }

    /// Runs the test command: records the step and the tail of its output in `suite`;
    /// `None` (with the reason recorded) when it could not start.
    pub fn test_step(&self, suite: &mut SuiteRun, mut job: exec::Job) -> Option<exec::Ran> {
        job.timeout = self.timeout;
        match exec::run(&job, self.isolation) {
            Ok(ran) => {
                suite.steps.push(self.step(&job, &ran));
                suite.output_tail = self.tidy(&tail_lines(&ran.output(), 40));
                if let Some(limit) = &ran.stopped {
                    self.note(&format!(
                        "{} was stopped before it finished: it {limit}",
                        suite.runner
                    ));
                }
                if ran.truncated {
                    suite.incomplete = true;
                    self.note(&format!(
                        "the output of {} was larger than greenlight keeps and was cut: results read from it are incomplete",
                        suite.runner
                    ));
                }
                Some(ran)
            }
            Err(e) => {
                suite.not_run = Some(e);
                None
            }
        }
    }

    /// Attributes a case to the module that collected it (`tests.test_api.TestLogin` →
    /// `tests/test_api.py`) rather than where its function is written (a base class or
    /// mixin in another file: the line then belongs to that other file and is
    /// dropped), and rewrites scratch paths in its messages.
    pub fn attribute(&self, c: &mut CaseResult) {
        attribute_to_module(c, self.index);
        c.message = self.tidy(&c.message);
        c.detail = self.tidy(&c.detail);
    }

    pub fn note(&self, text: &str) {
        self.run.borrow_mut().notes.push(text.to_string());
    }

    /// Parses a coverage report the runner wrote and adds it to the run.
    pub fn add_coverage(&self, text: &str, source: &str) {
        let scratch = self.scratch.repo().display().to_string();
        let result = coverage_from(text, source, &scratch, self.index);
        let mut run = self.run.borrow_mut();
        match result {
            Ok(c) => merge_coverage(&mut run, c),
            Err(e) => run.coverage_problems.push(e),
        }
    }
}

/// Runs the dynamic phase.
pub fn run(
    root: &Path,
    inventory: &Inventory,
    facts: &Facts,
    policy: &Policy,
    options: &RunOptions,
    isolation: &Isolation,
) -> TestRun {
    let index = PathIndex::new(inventory.files.iter().map(|f| f.path.clone()));
    let cell = RefCell::new(TestRun::default());
    let root_text = root
        .canonicalize()
        .unwrap_or_else(|_| root.to_path_buf())
        .display()
        .to_string();
    for path in &options.junit {
        ingest_junit(&cell, path, &root_text, &index);
    }
    for path in &options.coverage {
        let source = format!("{} (--coverage)", path.display());
        let result = match scratch::read_report(path) {
            Some(text) => coverage_from(&text, &source, &root_text, &index),
            None => Err(format!(
                "cannot read the coverage report {}: not a regular file of at most 64 MiB",
                path.display()
            )),
        };
        match result {
            Ok(c) => merge_coverage(&mut cell.borrow_mut(), c),
            Err(e) => cell.borrow_mut().coverage_problems.push(e),
        }
    }
    if options.run_tests {
        cell.borrow_mut().isolation = isolation.describe();
        match scratch::Scratch::new().and_then(|s| s.copy_from(root).map(|_| s)) {
            Ok(scratch) => {
                let cx = RunContext {
                    root,
                    inventory,
                    facts,
                    scratch: &scratch,
                    isolation,
                    setup: options.setup,
                    timeout: options.timeout,
                    index: &index,
                    run: &cell,
                    visible: RefCell::new(Vec::new()),
                };
                let mut suites = Vec::new();
                if python::applies(&cx) {
                    suites.push(python::run(&cx));
                }
                if rust::applies(&cx) {
                    suites.push(rust::run(&cx));
                }
                if js::applies(&cx) {
                    suites.push(js::run(&cx));
                }
                if go::applies(&cx) {
                    suites.push(go::run(&cx));
                }
                if !suites.is_empty() && nix::unistd::geteuid().is_root() {
                    cx.note("the tests ran as root: tests that expect a permission error (an unreadable file, a protected directory) fail for that reason alone");
                }
                if suites.is_empty() {
                    cx.note(
                        "no test suite found to run (Python, Rust, JavaScript/TypeScript or Go)",
                    );
                }
                cell.borrow_mut().suites.extend(suites);
            }
            Err(e) => cell.borrow_mut().problems.push(e),
        }
    }
    let mut run = cell.into_inner();
    run.blockers = blockers::classify(&run, inventory, facts);
    // Once coverage has counted statements, size by them.
    let statements: std::collections::HashMap<String, usize> = run
        .coverage
        .iter()
        .flat_map(|c| c.files.iter())
        .map(|f| (f.path.clone(), f.statements as usize))
        .collect();
    let critical = crate::analyze::critical::critical_modules_by(inventory, facts, policy, &|f| {
        match statements.get(&f.path) {
            Some(&n) => (n, "statements"),
            None => (f.lines.code, "lines of code"),
        }
    });
    analysis::analyse(
        &mut run,
        inventory,
        facts,
        &critical,
        policy.thresholds.critical_coverage,
    );
    run
}

fn ingest_junit(cell: &RefCell<TestRun>, path: &Path, root: &str, index: &PathIndex) {
    let parsed = match scratch::read_report(path) {
        Some(text) => ingest::junit::parse(&text),
        None => Err("not a regular file of at most 64 MiB".to_string()),
    };
    let mut run = cell.borrow_mut();
    match parsed {
        Ok(mut cases) => {
            for c in &mut cases {
                c.file = c
                    .file
                    .as_deref()
                    .and_then(|f| ingest::paths::map_path(f, &[], root, index));
                attribute_to_module(c, index);
            }
            let mut suite = SuiteRun::new("report", "JUnit report");
            suite.environment =
                format!("{} (--junit), produced outside greenlight", path.display());
            suite.counts = Counts::of(&cases);
            suite.cases = cases;
            run.suites.push(suite);
        }
        Err(e) => run.problems.push(format!(
            "cannot use the JUnit report {}: {e}",
            path.display()
        )),
    }
}

/// Moves a case to the file of the module that collected it, when its classname names
/// one; the line then belongs to the other file and is dropped.
fn attribute_to_module(c: &mut CaseResult, index: &PathIndex) {
    if let Some(collected) = file_of_classname(&c.classname, index) {
        if c.file.as_deref() != Some(collected.as_str()) {
            c.line = None;
            c.file = Some(collected);
        }
    }
}

/// `tests.test_api.TestLogin` → `tests/test_api.py`, when such a file exists.
fn file_of_classname(classname: &str, index: &PathIndex) -> Option<String> {
    // A dotted module path is short; a hostile report's is not worth more than this.
    let parts: Vec<&str> = classname
        .split('.')
        .filter(|p| !p.is_empty())
        .take(16)
        .collect();
    (1..=parts.len()).rev().find_map(|n| {
        let stem = parts.get(..n)?.join("/");
        // Exact, else the one repository file the module path is the tail of (a
        // rootdir below the repository root names `test_api`, not `tests.test_api`).
        ["py", "js", "ts", "go", "rs"]
            .iter()
            .find_map(|ext| ingest::paths::map_path(&format!("{stem}.{ext}"), &[], "", index))
    })
}

fn coverage_from(
    text: &str,
    source: &str,
    root: &str,
    index: &PathIndex,
) -> Result<Coverage, String> {
    let raw = ingest::coverage::parse(text).map_err(|e| format!("{source}: {e}"))?;
    let mut files: Vec<FileCoverage> = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut unmapped = Vec::new();
    for f in raw.files {
        match ingest::paths::map_path(&f.path, &raw.base_dirs, root, index) {
            // Two entries for one file (an absolute and a relative spelling): the one
            // that saw more executed.
            Some(path) if seen.contains_key(&path) => {
                if let Some(e) = seen.get(&path).and_then(|&i| files.get_mut(i)) {
                    if f.covered > e.covered {
                        e.statements = f.statements;
                        e.covered = f.covered;
                        e.missing = f.missing;
                        e.executed = f.executed;
                        e.percent = f
                            .percent
                            .unwrap_or_else(|| percent(f.covered, f.statements));
                        e.functions = f.functions;
                    }
                }
            }
            Some(path) => {
                seen.insert(path.clone(), files.len());
                let percent = f
                    .percent
                    .unwrap_or_else(|| percent(f.covered, f.statements));
                files.push(FileCoverage {
                    path,
                    statements: f.statements,
                    covered: f.covered,
                    missing: f.missing,
                    executed: f.executed,
                    percent,
                    functions: f.functions,
                });
            }
            None => unmapped.push(f.path),
        }
    }
    if files.is_empty() {
        return Err(format!(
            "the coverage report {source} ({}) names {} but none of them is a file of this repository{}; it was not used",
            raw.format.label(),
            crate::model::plural(unmapped.len(), "file", "files"),
            unmapped
                .first()
                .map(|p| format!(" (first: {p})"))
                .unwrap_or_default()
        ));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Coverage {
        source: source.to_string(),
        format: raw.format,
        files,
        unmapped,
    })
}

fn merge_coverage(run: &mut TestRun, new: Coverage) {
    match &mut run.coverage {
        None => run.coverage = Some(new),
        Some(old) => {
            for f in new.files {
                match old.files.iter_mut().find(|o| o.path == f.path) {
                    Some(o) if o.covered >= f.covered => {}
                    Some(o) => *o = f,
                    None => old.files.push(f),
                }
            }
            old.files.sort_by(|a, b| a.path.cmp(&b.path));
            old.unmapped.extend(new.unmapped);
            old.source = format!("{}; {}", old.source, new.source);
        }
    }
}

/// covered / statements in percent; 100 for a file without statements.
pub fn percent(covered: u32, statements: u32) -> f64 {
    if statements == 0 {
        100.0
    } else {
        100.0 * f64::from(covered) / f64::from(statements)
    }
}

/// What an installer said went wrong: its error lines (not notices, not the path of a
/// log file in the scratch directory, which is gone by the time anyone reads it), else
/// its last lines.
pub fn error_lines(output: &str) -> String {
    let errors: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| {
            let lower = l.to_ascii_lowercase();
            (lower.contains("error") || lower.contains("no matching"))
                && !lower.contains("complete log")
                && !lower.contains("_logs/")
                && !lower.starts_with("npm notice")
        })
        .take(4)
        .collect();
    if errors.is_empty() {
        tail_lines(output, 5)
    } else {
        errors.join("\n")
    }
}

/// The last `n` non-empty lines of `text`.
pub fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines
        .get(lines.len().saturating_sub(n)..)
        .unwrap_or(&[])
        .join("\n")
}

/// Function definitions in Rust, Go and JavaScript/TypeScript source: `fn name`,
/// `func name` / `func (r T) name`, `function name`.
static DEFINITION: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?m)^\s*(?:(?:pub(?:\([^)]*\))?|export|default|async|const|unsafe|extern)\s+)*(?:fn|func(?:\s*\([^)]*\))?|function\*?)\s+(\w+)",
    )
    .ok()
});

/// The functions a source file defines: (name, line), in order.
pub fn definitions(text: &str) -> Vec<(String, u32)> {
    let Some(re) = DEFINITION.as_ref() else {
        return Vec::new();
    };
    re.captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| {
            (
                m.as_str().to_string(),
                crate::model::line_at(text, m.start()),
            )
        })
        .collect()
}

/// Gives cases the runner reported without a file (nextest, passing Go tests) the
/// file and line of their function, when exactly one file with `extension` defines
/// that name.
fn locate(cx: &RunContext<'_>, cases: &mut [CaseResult], extension: &str) {
    if cases.iter().all(|c| c.file.is_some()) {
        return;
    }
    let mut index: std::collections::HashMap<String, Vec<(&str, u32)>> =
        std::collections::HashMap::new();
    for f in cx
        .inventory
        .files
        .iter()
        .filter(|f| f.path.ends_with(extension))
    {
        let Some(text) = f.text() else { continue };
        for (name, line) in definitions(text) {
            index.entry(name).or_default().push((f.path.as_str(), line));
        }
    }
    for c in cases.iter_mut().filter(|c| c.file.is_none()) {
        // `tests::sub_works`, `TestParse/empty_input`.
        let name = c.name.split('/').next().unwrap_or(&c.name);
        let name = name.rsplit("::").next().unwrap_or(name);
        if let Some([(path, line)]) = index.get(name).map(Vec::as_slice) {
            c.file = Some((*path).to_string());
            c.line = Some(*line);
        }
    }
}
