//! The test inventory: test files and cases per language, each file classified as unit,
//! integration, end-to-end, security or performance, plus benchmarks and the lines of
//! test code against production code.

use std::collections::BTreeMap;

use serde::Serialize;

use super::catalog::{DetectorKind, Ecosystem, catalog};
use super::source::SourceFacts;
use crate::repo::{FileKind, Inventory, RepoFile};

/// What a test file exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestKind {
    Unit,
    Integration,
    E2e,
    Security,
    Performance,
}

impl TestKind {
    /// Every kind, in report order.
    pub const ALL: [TestKind; 5] = [
        TestKind::Unit,
        TestKind::Integration,
        TestKind::E2e,
        TestKind::Security,
        TestKind::Performance,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TestKind::Unit => "unit",
            TestKind::Integration => "integration",
            TestKind::E2e => "end-to-end",
            TestKind::Security => "security",
            TestKind::Performance => "performance",
        }
    }
}

/// A file that holds tests.
#[derive(Debug, Clone, Serialize)]
pub struct TestFile {
    pub path: String,
    pub language: &'static str,
    pub kind: TestKind,
    pub cases: usize,
    /// Line of the first test case.
    pub first_line: u32,
    /// Why it got its kind, for the report.
    pub reason: String,
    pub lines: usize,
}

/// Totals for one language.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LanguageTests {
    pub files: usize,
    pub cases: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TestInventory {
    pub files: Vec<TestFile>,
    pub by_language: BTreeMap<&'static str, LanguageTests>,
    /// Files and cases per kind (unit, integration, e2e, security, performance).
    pub by_kind: BTreeMap<TestKind, LanguageTests>,
    /// Benchmarks found: (path, line, name).
    pub benchmarks: Vec<(String, u32, String)>,
    /// Lines of test code (test files plus Rust inline test modules).
    pub test_code_lines: usize,
    /// Lines of production code (source files, minus inline test modules).
    pub production_code_lines: usize,
    /// End-to-end suites elsewhere in the repository (a project of their own, or
    /// another project's) that drive this project with the rest of the system: set in
    /// a project's view only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub e2e_elsewhere: Vec<TestFile>,
}

impl TestInventory {
    pub fn cases(&self) -> usize {
        self.files.iter().map(|f| f.cases).sum()
    }

    pub fn of_kind(&self, kind: TestKind) -> impl Iterator<Item = &TestFile> {
        self.files.iter().filter(move |f| f.kind == kind)
    }
}

fn tokens(path: &str) -> Vec<String> {
    path.to_ascii_lowercase()
        .split(['/', '_', '-', '.'])
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Kind from path words; `None` when the path says nothing special.
fn kind_from_path(path: &str) -> Option<(TestKind, &'static str)> {
    let toks = tokens(path);
    let lower = path.to_ascii_lowercase();
    let has = |words: &[&str]| toks.iter().any(|t| words.contains(&t.as_str()));
    let phrase = |phrases: &[&str]| phrases.iter().any(|p| lower.contains(p));
    if has(&[
        "e2e",
        "end2end",
        "endtoend",
        "acceptance",
        "playwright",
        "cypress",
        "selenium",
        "browser",
        "robot",
    ]) || phrase(&["end-to-end", "end_to_end"])
    {
        return Some((TestKind::E2e, "end-to-end path"));
    }
    if has(&["security", "pentest", "fuzz", "fuzzing"]) {
        return Some((TestKind::Security, "security path"));
    }
    // "load" alone names functions as often as load tests: only the phrases count.
    if has(&[
        "perf",
        "performance",
        "loadtest",
        "loadtests",
        "locustfile",
        "stress",
        "bench",
        "benchmark",
        "benchmarks",
    ]) || phrase(&["load_test", "load-test", "load/test"])
    {
        return Some((TestKind::Performance, "performance path"));
    }
    if has(&[
        "integration",
        "integ",
        "functional",
        "system",
        "contract",
        "it",
    ]) {
        return Some((TestKind::Integration, "integration path"));
    }
    None
}

/// Rust: files directly in a crate's `tests/` directory are integration tests.
fn rust_integration(path: &str) -> bool {
    path.ends_with(".rs") && (path.starts_with("tests/") || path.contains("/tests/"))
}

/// Python modules of in-process HTTP test clients (a client of the app's routes).
const HTTP_TEST_CLIENTS: &[&str] = &[
    "fastapi.testclient",
    "starlette.testclient",
    "rest_framework.test",
    "aiohttp.test_utils",
    "webtest",
    "litestar.testing",
];

/// Modules whose import means a test drives a browser or runs the built program (end to
/// end), as opposed to calling code in-process.
const PROGRAM_DRIVERS: &[&str] = &[
    "playwright",
    "selenium",
    "cypress",
    "puppeteer",
    "webdriver",
    "chromedp",
    "assert_cmd",
    "trycmd",
    "subprocess",
    "child_process",
    "execa",
    "click.testing",
    "typer.testing",
    "os/exec",
];

/// Whether a file starts a program from cargo's build output (`target/debug/app`,
/// `target/release/app`) outside comments; test binaries under `deps/` are not the
/// program.
fn launches_build_output(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        if ["#", "//", "--", "*"].iter().any(|c| t.starts_with(c)) {
            return false;
        }
        ["target/debug/", "target/release/"].iter().any(|dir| {
            t.match_indices(dir).any(|(at, _)| {
                let rest = t.get(at + dir.len()..).unwrap_or("");
                !rest.starts_with("deps/")
                    && !rest.starts_with("build/")
                    && rest.starts_with(|c: char| c.is_ascii_alphanumeric())
            })
        })
    })
}

fn drives_program(s: &SourceFacts) -> bool {
    let cat = catalog();
    // Rust tests that run the binary cargo built for them (`CARGO_BIN_EXE_<name>`).
    let runs_binary = s.detector_hits.iter().any(|(i, _)| {
        cat.detectors
            .get(*i)
            .is_some_and(|d| d.id == "rs-assert-cmd")
    });
    runs_binary
        || s.imports.iter().any(|i| {
            let m = i.module.to_ascii_lowercase();
            PROGRAM_DRIVERS.iter().any(|d| m.contains(d))
        })
}

/// The kind pytest markers give a file's tests (`@pytest.mark.integration`,
/// `pytestmark = pytest.mark.e2e`), the broadest kind when several apply.
fn marker_kind(s: &SourceFacts) -> Option<(TestKind, String)> {
    let py = s.python.as_deref()?;
    let kind_of = |m: &str| match m {
        "e2e" | "end_to_end" | "endtoend" | "browser" | "playwright" | "selenium"
        | "acceptance" | "ui" => Some(TestKind::E2e),
        "integration" | "integration_test" | "integ" | "functional" | "live" | "network" => {
            Some(TestKind::Integration)
        }
        "benchmark" | "perf" | "performance" | "load" | "stress" => Some(TestKind::Performance),
        "security" => Some(TestKind::Security),
        _ => None,
    };
    let rank = |k: TestKind| match k {
        TestKind::E2e => 0,
        TestKind::Integration => 1,
        TestKind::Performance => 2,
        TestKind::Security => 3,
        TestKind::Unit => 4,
    };
    py.tests
        .iter()
        .flat_map(|t| t.markers.iter())
        .filter_map(|m| kind_of(m).map(|k| (k, m)))
        .min_by_key(|(k, _)| rank(*k))
        .map(|(k, m)| (k, format!("marked @pytest.mark.{m}")))
}

/// A JavaScript/TypeScript module path without its extension (`server/test/support`).
fn module_stem(path: &str) -> &str {
    [".ts", ".tsx", ".js", ".mjs", ".cjs", ".jsx", ".mts", ".cts"]
        .iter()
        .find_map(|e| path.strip_suffix(e))
        .unwrap_or(path)
}

/// Whether the import `module`, written in the file at `from`, can be the module
/// `stem`: a relative import resolved against the importer's directory, or an alias or
/// bare path (`@server/test/support`) whose last two parts end the stem.
fn imports_module(from: &str, module: &str, stem: &str) -> bool {
    let stem = stem.strip_suffix("/index").unwrap_or(stem);
    if module.starts_with("./") || module.starts_with("../") {
        let mut parts: Vec<&str> = from.split('/').collect();
        parts.pop();
        for part in module.split('/') {
            match part {
                "." | "" => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        return module_stem(&parts.join("/")) == stem;
    }
    let tail: Vec<&str> = module.rsplit('/').take(2).collect();
    if tail.len() < 2 || tail.iter().any(|t| t.starts_with('@') || t.is_empty()) {
        return false;
    }
    let tail = format!(
        "{}/{}",
        tail.get(1).unwrap_or(&""),
        tail.first().unwrap_or(&"")
    );
    stem == tail || stem.ends_with(&format!("/{tail}"))
}

/// The test-support modules that start the application's HTTP server in the test
/// process (`http.createServer(app.callback())` and `listen`, or supertest), and those
/// that wrap one of them: a test that imports one sends real requests through the
/// application's middleware and routes, an integration test.
fn server_harnesses<'a>(inventory: &'a Inventory, sources: &[SourceFacts]) -> Vec<&'a str> {
    let js = |f: &RepoFile| matches!(f.lang(), "javascript" | "typescript");
    let in_tests = |f: &RepoFile| f.kind == FileKind::Test || f.path.contains("test");
    let support: Vec<(&SourceFacts, &RepoFile)> = sources
        .iter()
        .filter_map(|s| Some((s, inventory.files.get(s.file)?)))
        .filter(|(s, f)| js(f) && in_tests(f) && s.tests.is_empty())
        .collect();
    let mut harnesses: Vec<&str> = support
        .iter()
        .filter(|(s, f)| {
            let http = s.imports.iter().any(|i| {
                matches!(
                    i.module.as_str(),
                    "http" | "node:http" | "https" | "node:https"
                )
            });
            let text = f.text().unwrap_or("");
            (http && text.contains("createServer(") && text.contains(".listen("))
                || s.imports.iter().any(|i| i.module == "supertest")
        })
        .map(|(_, f)| module_stem(&f.path))
        .collect();
    // One level of wrapping (`support.ts` exporting `getTestServer()`).
    let wrappers: Vec<&str> = support
        .iter()
        .filter(|(s, f)| {
            !harnesses.contains(&module_stem(&f.path))
                && s.imports.iter().any(|i| {
                    harnesses
                        .iter()
                        .any(|h| imports_module(&f.path, &i.module, h))
                })
        })
        .map(|(_, f)| module_stem(&f.path))
        .collect();
    harnesses.extend(wrappers);
    harnesses
}

pub fn build(inventory: &Inventory, sources: &[SourceFacts]) -> TestInventory {
    let cat = catalog();
    let mut inv = TestInventory::default();
    let harnesses = server_harnesses(inventory, sources);
    let drivers_by_dir: std::collections::HashSet<&str> = sources
        .iter()
        .filter(|s| drives_program(s))
        .filter_map(|s| inventory.files.get(s.file))
        // Files directly in tests/ are separate crates; only tests/<dir>/ shares.
        .filter(|f| f.lang() == "rust" && rust_integration(&f.path) && !f.dir().ends_with("tests"))
        .map(|f| f.dir())
        .collect();
    // Directories whose conftest.py builds an HTTP test client of the app
    // (`TestClient(app)`): the tests below them call the app through it.
    let client_dirs: Vec<&str> = sources
        .iter()
        .filter_map(|s| Some((s, inventory.files.get(s.file)?)))
        .filter(|(s, f)| {
            f.name() == "conftest.py"
                && (s.imports.iter().any(|i| {
                    HTTP_TEST_CLIENTS
                        .iter()
                        .any(|c| i.module == *c || i.module.starts_with(&format!("{c}.")))
                })
                    // Flask's client is a method of the app: `api_app.test_client()`.
                    || f.text().is_some_and(|t| t.contains(".test_client()")))
        })
        .map(|(_, f)| f.dir())
        .collect();
    // Test-support files that start the program cargo built (`./target/debug/pgcat`
    // in `tests/python/utils.py`): the tests beside and below them run it.
    let launchers: Vec<&RepoFile> = inventory
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Test || f.path.contains("test"))
        // Test code of a suite's own directory; a root script or a CI file that runs
        // the program does not make every test of the repository end-to-end.
        .filter(|f| {
            !f.dir().is_empty()
                && matches!(
                    f.lang(),
                    "python" | "javascript" | "typescript" | "go" | "rust" | "ruby"
                )
        })
        .filter(|f| f.text().is_some_and(launches_build_output))
        .collect();
    let launcher_of = |path: &str| {
        launchers
            .iter()
            .find(|l| path.starts_with(&format!("{}/", l.dir())))
    };
    let under_client = |path: &str| {
        client_dirs
            .iter()
            .any(|d| d.is_empty() || path.starts_with(&format!("{d}/")))
    };
    for s in sources {
        let Some(file) = inventory.files.get(s.file) else {
            continue;
        };
        let lang = file.language.map(|l| l.name()).unwrap_or("");
        // Code lines (not blanks or comments) of an inline test module.
        let inline_test_lines = s
            .inline_tests_from
            .map(|from| {
                let total = u32::try_from(file.index.len()).unwrap_or(u32::MAX);
                (from..=total)
                    .filter(|&l| {
                        file.index
                            .info(l)
                            .is_some_and(|i| i.kind == crate::repo::lines::LineKind::Code)
                    })
                    .count()
            })
            .unwrap_or(0);
        match file.kind {
            FileKind::Source => {
                inv.production_code_lines += file.lines.code.saturating_sub(inline_test_lines);
                inv.test_code_lines += inline_test_lines.min(file.lines.code);
            }
            FileKind::Test => inv.test_code_lines += file.lines.code,
            _ => {}
        }
        // A benchmark inside a test fixture belongs to the fixture, not the project.
        let own = matches!(file.kind, FileKind::Source | FileKind::Test);
        for (name, line) in s.benchmarks.iter().filter(|_| own) {
            inv.benchmarks
                .push((file.path.clone(), *line, name.clone()));
        }
        if s.tests.is_empty() || !matches!(file.kind, FileKind::Test | FileKind::Source) {
            continue;
        }
        let eco = Ecosystem::of_language(file.lang());
        let uses = |kind: DetectorKind| {
            s.imports.iter().any(|i| {
                cat.detectors
                    .iter()
                    .filter(|d| d.kind == kind && Some(d.ecosystem) == eco)
                    .any(|d| d.matches_import(&i.module))
            }) || s
                .detector_hits
                .iter()
                .any(|(d, _)| cat.detectors.get(*d).is_some_and(|d| d.kind == kind))
        };
        // A Rust test crate (tests/<dir>/…) shares its imports: when one module drives
        // the built program, its sibling test modules do too.
        let crate_drives = file.lang() == "rust"
            && rust_integration(&file.path)
            && drivers_by_dir.contains(file.dir());
        let path_kind = kind_from_path(&file.path);
        let marked = marker_kind(s);
        let (kind, reason) = match path_kind {
            Some((TestKind::E2e, why)) => (TestKind::E2e, why.to_string()),
            _ if marked.is_some() => marked.unwrap_or((TestKind::Unit, String::new())),
            _ if file.kind == FileKind::Test && (drives_program(s) || crate_drives) => (
                TestKind::E2e,
                "runs the program or drives a browser".to_string(),
            ),
            _ if file.kind == FileKind::Test && launcher_of(&file.path).is_some() => (
                TestKind::E2e,
                format!(
                    "runs the built program ({})",
                    launcher_of(&file.path)
                        .map(|l| l.path.as_str())
                        .unwrap_or("")
                ),
            ),
            Some((k, why)) => (k, why.to_string()),
            None if uses(DetectorKind::E2eTesting) => (
                TestKind::Integration,
                "uses an HTTP test client".to_string(),
            ),
            None if file.lang() == "python" && under_client(&file.path) => (
                TestKind::Integration,
                "uses the HTTP test client its conftest.py builds".to_string(),
            ),
            None if s.imports.iter().any(|i| {
                harnesses
                    .iter()
                    .any(|h| imports_module(&file.path, &i.module, h))
            }) =>
            {
                (
                    TestKind::Integration,
                    "starts the application's server through a test harness".to_string(),
                )
            }
            None if uses(DetectorKind::LoadTesting) || uses(DetectorKind::Benchmark) => (
                TestKind::Performance,
                "uses a load or benchmark tool".to_string(),
            ),
            None if file.lang() == "rust"
                && file.kind == FileKind::Test
                && rust_integration(&file.path) =>
            {
                (
                    TestKind::Integration,
                    "Rust integration test (tests/ directory)".to_string(),
                )
            }
            None => (TestKind::Unit, "default".to_string()),
        };
        let first_line = s.tests.first().map(|(_, l)| *l).unwrap_or(1);
        inv.files.push(TestFile {
            path: file.path.clone(),
            language: lang,
            kind,
            cases: s.tests.len(),
            first_line,
            reason,
            lines: file.lines.code,
        });
        let t = inv.by_language.entry(lang).or_default();
        t.files += 1;
        t.cases += s.tests.len();
        let k = inv.by_kind.entry(kind).or_default();
        k.files += 1;
        k.cases += s.tests.len();
    }
    inv.files.sort_by(|a, b| a.path.cmp(&b.path));
    inv
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn classifies_by_path_words() {
        assert_eq!(
            kind_from_path("tests/e2e/test_flow.py").map(|k| k.0),
            Some(TestKind::E2e)
        );
        assert_eq!(
            kind_from_path("tests/test_security_webdev_p0.py").map(|k| k.0),
            Some(TestKind::Security)
        );
        assert_eq!(
            kind_from_path("tests/integration/api_test.go").map(|k| k.0),
            Some(TestKind::Integration)
        );
        assert_eq!(kind_from_path("tests/test_units.py"), None);
        assert_eq!(kind_from_path("tests/test_build.py"), None);
        assert_eq!(kind_from_path("tests/load.rs"), None);
        assert_eq!(kind_from_path("tests/test_ui.py"), None);
        assert_eq!(
            kind_from_path("tests/load_tests/test_api.py").map(|k| k.0),
            Some(TestKind::Performance)
        );
    }

    #[test]
    fn classifies_python_tests_by_markers() {
        let f = crate::analyze::source::test_support::file(
            "tests/test_orders.py",
            "import pytest\npytestmark = pytest.mark.integration\n\ndef test_a():\n    pass\n\n@pytest.mark.e2e\ndef test_b():\n    pass\n",
        );
        let s = crate::analyze::source::scan(0, &f).unwrap();
        let (kind, why) = marker_kind(&s).unwrap();
        assert_eq!(kind, TestKind::E2e);
        assert_eq!(why, "marked @pytest.mark.e2e");
    }
}
