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
