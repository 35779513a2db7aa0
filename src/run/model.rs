//! What the dynamic phase produces: test results and coverage, as plain data.

use serde::Serialize;

/// How one test case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseStatus {
    Passed,
    Failed,
    /// Could not run: a collection, fixture or setup error.
    Errored,
    Skipped,
}

/// One test case from a JUnit report, `go test -json`, libtest or Jest output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    /// The file the runner names (as written by the runner: absolute, relative or a
    /// package path; mapped to a repository path later), when it names one.
    pub file: Option<String>,
    /// The suite, class or package path (`tests.test_api.TestLogin`, `example.com/pkg`).
    pub classname: String,
    pub name: String,
    pub line: Option<u32>,
    pub status: CaseStatus,
    /// The failure or error message, first line (empty when passed).
    pub message: String,
    /// The failure text (traceback, panic message), capped.
    pub detail: String,
    pub seconds: Option<f64>,
}

impl CaseResult {
    /// A case with no file, line, message or timing yet.
    pub fn new(classname: &str, name: &str, status: CaseStatus) -> CaseResult {
        CaseResult {
            file: None,
            classname: classname.into(),
            name: name.into(),
            line: None,
            status,
            message: String::new(),
            detail: String::new(),
            seconds: None,
        }
    }
}

/// Coverage formats greenlight reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CoverageFormat {
    CoveragePyJson,
    Cobertura,
    Lcov,
    GoCoverprofile,
}

impl CoverageFormat {
    pub fn label(self) -> &'static str {
        match self {
            CoverageFormat::CoveragePyJson => "coverage.py JSON",
            CoverageFormat::Cobertura => "Cobertura XML",
            CoverageFormat::Lcov => "LCOV",
            CoverageFormat::GoCoverprofile => "Go coverprofile",
        }
    }
}

/// Coverage of one file as a report states it, path not yet mapped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawFileCoverage {
    /// As written in the report.
    pub path: String,
    /// Executable statements (lines for line-based formats).
    pub statements: u32,
    pub covered: u32,
    /// Lines with a statement no test executed, ascending, no duplicates.
    pub missing: Vec<u32>,
    /// Lines with a statement a test executed, ascending, no duplicates.
    pub executed: Vec<u32>,
    /// The percentage the producing tool states for the file, when it states one
    /// (coverage.py's `percent_covered`, which counts branches when measured).
    pub percent: Option<f64>,
    /// Functions the report names: (name, first line, times called).
    pub functions: Vec<(String, u32, u64)>,
}

/// A parsed coverage report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawCoverage {
    pub format: CoverageFormat,
    pub files: Vec<RawFileCoverage>,
    /// Directories the report says its paths are relative to (Cobertura `<source>`).
    pub base_dirs: Vec<String>,
}

/// Counts of test cases by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub collected: usize,
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    pub skipped: usize,
}

impl Counts {
    pub fn of<'a>(cases: impl IntoIterator<Item = &'a CaseResult>) -> Counts {
        let mut c = Counts::default();
        for case in cases {
            c.collected += 1;
            match case.status {
                CaseStatus::Passed => c.passed += 1,
                CaseStatus::Failed => c.failed += 1,
                CaseStatus::Errored => c.errored += 1,
                CaseStatus::Skipped => c.skipped += 1,
            }
        }
        c
    }

    /// `12 passed, 1 failed, 2 errors, 3 skipped` (zero counts left out).
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("{} passed", self.passed)];
        if self.failed > 0 {
            parts.push(format!("{} failed", self.failed));
        }
        if self.errored > 0 {
            parts.push(crate::model::plural(self.errored, "error", "errors"));
        }
        if self.skipped > 0 {
            parts.push(format!("{} skipped", self.skipped));
        }
        parts.join(", ")
    }
}

/// One command greenlight ran (environment set-up or the tests).
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub command: String,
    pub seconds: f64,
    /// `None` when it was killed (time limit) or could not start.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// Whether the step had network access (package installation only).
    pub network: bool,
}

/// The tests of one ecosystem, run or ingested.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteRun {
    /// `Python`, `Rust`, `JavaScript`, `Go`, or `report` for ingested results.
    pub language: String,
    /// `pytest`, `cargo test`, `jest`, `go test`, `JUnit report`.
    pub runner: String,
    /// Where the interpreter and packages came from, in words.
    pub environment: String,
    /// Set-up commands, then the test command.
    pub steps: Vec<Step>,
    /// Why the tests were not started, when they were not.
    pub not_run: Option<String>,
    /// Cases with `file` mapped to a repository path where possible.
    pub cases: Vec<CaseResult>,
    pub counts: Counts,
    /// Declared packages the environment lacks.
    pub missing_packages: Vec<String>,
    /// Set-up steps that failed without stopping the run (the tests ran without what
    /// they would have installed), each with the installer's error.
    pub setup_failures: Vec<String>,
    /// The last lines of the test command's output.
    pub output_tail: String,
    /// Results were read from output that had to be cut: some are missing.
    pub incomplete: bool,
}

impl SuiteRun {
    pub fn new(language: &str, runner: &str) -> SuiteRun {
        SuiteRun {
            language: language.into(),
            runner: runner.into(),
            environment: String::new(),
            steps: Vec::new(),
            not_run: None,
            cases: Vec::new(),
            counts: Counts::default(),
            missing_packages: Vec::new(),
            setup_failures: Vec::new(),
            output_tail: String::new(),
            incomplete: false,
        }
    }

    /// The test command (the last step), when one ran.
    pub fn test_step(&self) -> Option<&Step> {
        if self.not_run.is_some() {
            None
        } else {
            self.steps.last()
        }
    }

    pub fn timed_out(&self) -> bool {
        self.test_step().is_some_and(|s| s.timed_out)
    }
}

/// Coverage of one repository file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileCoverage {
    pub path: String,
    pub statements: u32,
    pub covered: u32,
    pub missing: Vec<u32>,
    /// Lines with a statement a test executed (not in the JSON report: `missing` and
    /// the counts say the same in less).
    #[serde(skip)]
    pub executed: Vec<u32>,
    /// As the tool states it, else covered / statements.
    pub percent: f64,
    /// Functions the report names: (name, first line, times called).
    pub functions: Vec<(String, u32, u64)>,
}

/// A coverage report mapped onto the repository.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Where it came from: `pytest-cov` or the file given with `--coverage`.
    pub source: String,
    pub format: CoverageFormat,
    pub files: Vec<FileCoverage>,
    /// Report paths that match no repository file.
    pub unmapped: Vec<String>,
}

impl Coverage {
    pub fn file(&self, path: &str) -> Option<&FileCoverage> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// Why tests could not run, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockerKind {
    /// The runner (pytest, cargo, go, node) or its environment is not available.
    RunnerMissing,
    /// Installing the environment failed.
    SetupFailed,
    /// An import of the repository's own module that does not exist.
    MissingInternalModule,
    /// A third-party package the manifests declare but the environment lacks.
    MissingDeclaredPackage,
    /// A third-party package no manifest declares.
    MissingUndeclaredPackage,
    /// `from module import name` where the module has no such name.
    MissingName,
    SyntaxError,
    FixtureError,
    /// Tests call a function with arguments it does not accept.
    SignatureMismatch,
    /// The run was killed at the time limit.
    Timeout,
    /// The build of the tests failed (Rust, Go).
    BuildFailed,
    /// Any other error while collecting or setting up tests.
    OtherError,
}

impl BlockerKind {
    pub fn label(self) -> &'static str {
        match self {
            BlockerKind::RunnerMissing => "test runner not available",
            BlockerKind::SetupFailed => "environment set-up failed",
            BlockerKind::MissingInternalModule => "missing internal module",
            BlockerKind::MissingDeclaredPackage => "package declared but not installed",
            BlockerKind::MissingUndeclaredPackage => "package not declared",
            BlockerKind::MissingName => "missing name in an internal module",
            BlockerKind::SyntaxError => "syntax error",
            BlockerKind::FixtureError => "fixture error",
            BlockerKind::SignatureMismatch => "call with the wrong signature",
            BlockerKind::Timeout => "timeout",
            BlockerKind::BuildFailed => "build failed",
            BlockerKind::OtherError => "error",
        }
    }
}

/// One root cause that kept tests from running, with the tests it affected.
#[derive(Debug, Clone, Serialize)]
pub struct Blocker {
    pub kind: BlockerKind,
    /// The module, package, fixture or function at fault.
    pub subject: String,
    /// What the runner said, one line.
    pub message: String,
    /// Where: the failing line, the absent path.
    pub evidence: Vec<crate::model::Evidence>,
    /// Test files or test ids it affected.
    pub tests: Vec<String>,
}

impl Blocker {
    /// `2 test files` or, when it names test ids, `1 test`.
    pub fn affected(&self) -> String {
        if self.tests.iter().any(|t| t.contains("::")) {
            crate::model::plural(self.tests.len(), "test", "tests")
        } else {
            crate::model::plural(self.tests.len(), "test file", "test files")
        }
    }
}

/// Everything the dynamic phase learned.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TestRun {
    /// How the commands were isolated, in words; empty when nothing ran.
    pub isolation: String,
    pub suites: Vec<SuiteRun>,
    pub coverage: Option<Coverage>,
    /// Overall coverage of production code, when coverage was measured.
    pub overall: Option<Overall>,
    /// Production modules with coverage, lowest first; critical ones flagged.
    pub modules: Vec<ModuleCoverage>,
    /// Critical modules the coverage report does not cover at all.
    pub critical_without_data: Vec<(String, String)>,
    /// Critical modules in a language the coverage report does not measure: unknown.
    pub critical_unmeasured: Vec<String>,
    pub blockers: Vec<Blocker>,
    /// Test reports or runs that could not be used (unreadable, unrecognised).
    pub problems: Vec<String>,
    /// Coverage reports that could not be used (unreadable, unrecognised, matching no
    /// repository file).
    pub coverage_problems: Vec<String>,
    /// What the reader should know about how the run went (coverage not measured, a
    /// runner without per-test results).
    pub notes: Vec<String>,
}

impl TestRun {
    /// All cases of every suite.
    pub fn cases(&self) -> impl Iterator<Item = &CaseResult> {
        self.suites.iter().flat_map(|s| s.cases.iter())
    }

    pub fn counts(&self) -> Counts {
        Counts::of(self.cases())
    }

    /// Whether any tests actually executed.
    pub fn executed(&self) -> bool {
        self.cases().next().is_some()
    }
}

/// A function with statements no test executed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UncoveredFunction {
    /// `name`, `Class.method`.
    pub name: String,
    pub line: u32,
    pub end_line: u32,
    /// Statements in its body no test executed, of all its statements (0 when the
    /// report does not say).
    pub missing: u32,
    pub statements: u32,
}

impl UncoveredFunction {
    /// Never entered by any test.
    pub fn never_run(&self) -> bool {
        self.missing > 0 && self.missing == self.statements
    }
}

/// A test to write for an uncovered function.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuggestedTest {
    /// `test_parse_config_raises_value_error`.
    pub name: String,
    /// The function it exercises.
    pub function: String,
    /// The behaviour to cover, in words.
    pub behaviour: String,
}

impl SuggestedTest {
    /// `test_parse_success()`, or `it("parse: success")` for a JavaScript title.
    pub fn display(&self) -> String {
        if self.name.contains(' ') {
            format!("it(\"{}\")", self.name)
        } else {
            format!("{}()", self.name)
        }
    }
}

/// Coverage of one production module against the policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModuleCoverage {
    pub path: String,
    pub statements: u32,
    pub covered: u32,
    pub percent: f64,
    /// Why the module is critical, when it is.
    pub critical: Option<String>,
    /// Functions with unexecuted statements, never-run ones first.
    pub uncovered: Vec<UncoveredFunction>,
    /// For critical modules below the threshold.
    pub suggested: Vec<SuggestedTest>,
    /// Where the suggested tests belong: the test file that already imports the
    /// module, else a new one.
    pub test_file: String,
    /// Test files that import the module but were stopped by a blocker: part of its
    /// gap is theirs, not missing tests.
    pub blocked_tests: Vec<String>,
}

/// Coverage over every production file the report covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overall {
    pub statements: u32,
    pub covered: u32,
    pub percent: f64,
    /// Production files of a measured language with no coverage data at all (never
    /// imported by a test, or left out of the report).
    pub files_without_data: usize,
    /// Their code lines, counted in `statements` as unrun.
    pub unmeasured_lines: u32,
    /// The languages the report measures.
    pub languages: Vec<String>,
}
