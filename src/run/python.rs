//! Python: find or build an environment, run pytest once with coverage.py JSON and
//! JUnit XML output, and read back what happened.

use std::path::PathBuf;

use super::exec::{self, Job};
use super::model::{CaseResult, CaseStatus, Counts, SuiteRun};
use super::{RunContext, ingest, tail_lines};
use crate::analyze::catalog::Ecosystem;
use crate::analyze::manifest::{DepKind, Dependency};

/// The message of the test that was running when the run was killed.
pub const TIMED_OUT: &str = "killed at the time limit (--test-timeout)";

/// Virtual environments looked for in the repository, in order.
const REPO_VENVS: &[&str] = &[".venv", "venv", "env", ".env"];

/// What the probe script reports about an interpreter.
#[derive(Debug, Default, serde::Deserialize)]
struct Probe {
    #[serde(default)]
    python: String,
    #[serde(default)]
    pytest: bool,
    #[serde(default)]
    pytest_cov: bool,
    #[serde(default)]
    coverage: bool,
    #[serde(default)]
    missing: Vec<String>,
    /// The installed version of the project's own distribution, when one is installed.
    #[serde(default)]
    own: Option<String>,
}

/// Prints, as JSON, the interpreter version, whether pytest, pytest-cov and coverage
/// import, the installed version of the distribution named first on the command line
/// (the project's own), and which of the others are not installed.
const PROBE: &str = r#"
import importlib.util, importlib.metadata, json, sys
def has(m):
    try:
        return importlib.util.find_spec(m) is not None
    except Exception:
        return False
def version(d):
    try:
        return importlib.metadata.version(d)
    except Exception:
        return None
own = version(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else None
missing = [d for d in sys.argv[2:] if version(d) is None]
print(json.dumps({"python": sys.version.split()[0], "pytest": has("pytest"),
                  "pytest_cov": has("pytest_cov"), "coverage": has("coverage"),
                  "missing": missing, "own": own}))
"#;

/// Whether there is anything for pytest to run.
pub fn applies(cx: &RunContext<'_>) -> bool {
    cx.facts.tests.files.iter().any(|f| f.language == "Python")
}

pub fn run(cx: &RunContext<'_>) -> SuiteRun {
    let mut suite = SuiteRun::new("Python", "pytest");
    let repo = cx.scratch.repo();
    let Some(python) = environment(cx, &mut suite) else {
        return suite;
    };
    // What the environment has.
    let declared = declared_distributions(cx);
    let own = own_distribution(cx);
    let probe_job = cx
        .job(&python)
        .args(["-I", "-c", PROBE])
        .arg(own.as_ref().map(|(n, _)| n.as_str()).unwrap_or(""))
        .args(declared.iter().map(String::as_str));
    let probe = match exec::run(&probe_job, cx.isolation) {
        Ok(ran) if ran.success() => match serde_json::from_str::<Probe>(ran.stdout.trim()) {
            Ok(p) => p,
            Err(e) => {
                suite.not_run = Some(format!(
                    "the environment probe of {} printed something unexpected ({e}): {}",
                    python.display(),
                    cx.tidy(&tail_lines(&ran.output(), 3))
                ));
                return suite;
            }
        },
        Ok(ran) => {
            suite.not_run = Some(format!(
                "the interpreter {} does not start: {}",
                python.display(),
                tail_lines(&ran.output(), 3)
            ));
            return suite;
        }
        Err(e) => {
            suite.not_run = Some(e);
            return suite;
        }
    };
    if !probe.python.is_empty() {
        suite.environment = format!("{} (Python {})", suite.environment, probe.python);
    }
    suite.missing_packages = probe.missing;
    if let (Some((name, version)), Some(installed)) = (&own, &probe.own) {
        if version != installed && version.starts_with(|c: char| c.is_ascii_digit()) {
            cx.note(&format!(
                "the environment also has {name} {installed} installed (this checkout is {version}): tests that read the installed package's metadata see {installed}"
            ));
        }
    }
    if !probe.pytest {
        suite.not_run = Some(format!(
            "pytest is not installed in {}; rerun with --setup to install it into a throwaway environment",
            python.display()
        ));
        return suite;
    }
    let out = cx.out_for("python");
    let junit = out.join("junit.xml");
    let coverage = out.join("coverage.json");
    let data = out.join(".coverage");
    let environment = |mut job: Job| -> Job {
        job = job
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("COVERAGE_FILE", &data);
        // A virtual environment's console scripts (mypy, a CLI under test) are on PATH,
        // as they would be with the environment activated.
        if let Some(bin) = python
            .parent()
            .filter(|b| b.parent().is_some_and(|v| v.join("pyvenv.cfg").is_file()))
        {
            let mut path = std::ffi::OsString::from(bin);
            if let Some(old) = std::env::var_os("PATH") {
                path.push(":");
                path.push(old);
            }
            job = job.env("PATH", path);
            if let Some(venv) = bin.parent() {
                job = job.env("VIRTUAL_ENV", venv);
            }
        }
        // A `src/` layout is importable only once installed; put the checkout's `src/`
        // first so the tests exercise this code, not a copy installed elsewhere.
        if src_layout(cx) {
            job = job.env("PYTHONPATH", repo.join("src"));
        }
        job
    };
    if src_layout(cx) {
        suite.environment.push_str("; src/ on PYTHONPATH");
    }
    // coverage.py starts before pytest, so modules pytest or its plugins import early
    // are measured too; a project whose own options start pytest-cov keeps it, since
    // pytest-cov would take the measurement over.
    let pytest_cov_configured = config_mentions(cx, "--cov");
    let mode = if probe.coverage && !pytest_cov_configured {
        Measure::CoverageRun
    } else if probe.pytest_cov {
        Measure::PytestCov
    } else {
        Measure::None
    };
    let mut job = cx.job(&python);
    job = match mode {
        Measure::CoverageRun => job
            .args(["-m", "coverage", "run"])
            .arg(format!("--source={}", repo.display()))
            .args(["-m", "pytest"]),
        _ => job.args(["-m", "pytest"]),
    };
    job = environment(job)
        .args(["-p", "no:cacheprovider"])
        .args([
            "--continue-on-collection-errors",
            "-v",
            "-rfE",
            "--color=no",
        ])
        .args(["-o", "junit_family=xunit1"])
        .arg(format!("--junitxml={}", junit.display()));
    if mode == Measure::PytestCov {
        job = job
            .arg(format!("--cov={}", repo.display()))
            .arg(format!("--cov-report=json:{}", coverage.display()))
            .arg("--cov-report=");
    }
    let Some(ran) = cx.test_step(&mut suite, job) else {
        return suite;
    };
    let output = ran.output();
    let mut cases = match cx.scratch.read(&junit) {
        Some(text) => cx.cases_from(ingest::junit::parse(&text), "JUnit report of pytest"),
        None => Vec::new(),
    };
    if cases.is_empty() {
        // No report (killed at the time limit, or pytest crashed): what `-v` printed,
        // and the test that was running when the run was killed.
        cases = verbose_cases(&output);
        if ran.timed_out {
            if let Some((file, name)) = running_at_end(&output) {
                let mut hung = case(&file, &name, CaseStatus::Errored);
                hung.message = TIMED_OUT.to_string();
                cases.push(hung);
            }
        }
    }
    for c in &mut cases {
        c.file = c.file.as_deref().and_then(|f| cx.map_path(f));
        cx.attribute(c);
    }
    suite.counts = Counts::of(&cases);
    suite.cases = cases;
    match mode {
        Measure::None => cx.note(
            "coverage not measured: neither coverage nor pytest-cov is installed in the test environment (rerun with --setup)",
        ),
        Measure::CoverageRun if !ran.timed_out => {
            // Parallel data files (a project's `parallel = true`) are combined first.
            let parallel = cx
                .scratch
                .list(&out)
                .iter()
                .any(|n| n.to_string_lossy().starts_with(".coverage."));
            if parallel {
                let combine = environment(cx.job(&python))
                    .args(["-m", "coverage", "combine", "-q"]);
                cx.helper_step(combine, "coverage combine");
            }
            let report = environment(cx.job(&python))
                .args(["-m", "coverage", "json", "-q", "--ignore-errors", "-o"])
                .arg(&coverage);
            cx.helper_step(report, "coverage json");
        }
        _ => {}
    }
    if mode != Measure::None {
        let source = if mode == Measure::CoverageRun {
            "coverage run -m pytest"
        } else {
            "pytest-cov"
        };
        match cx.scratch.read(&coverage) {
            Some(text) => cx.add_coverage(&text, source),
            None if !ran.timed_out => cx.note(&format!("{source} wrote no coverage report")),
            None => {}
        }
        let late = not_measured(&output);
        if !late.is_empty() {
            cx.note(&format!(
                "coverage of {} is understated: imported before coverage started (by pytest or a plugin), so its import-time lines count as unrun",
                late.join(", ")
            ));
        }
    }
    suite
}

/// How coverage is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    /// `python -m coverage run -m pytest`.
    CoverageRun,
    /// pytest-cov, when the project's options already start it.
    PytestCov,
    None,
}

/// Whether a pytest configuration file mentions `needle` (e.g. `--cov` in addopts).
fn config_mentions(cx: &RunContext<'_>, needle: &str) -> bool {
    [
        "pytest.ini",
        "pyproject.toml",
        "setup.cfg",
        "tox.ini",
        ".pytest.ini",
    ]
    .iter()
    .filter_map(|p| cx.inventory.file(p))
    .filter_map(|f| f.text())
    .any(|t| {
        // `addopts` and what follows it, on one line or continued below.
        t.match_indices("addopts").any(|(i, _)| {
            let end = (i + 400).min(t.len());
            t.get(i..end)
                .or_else(|| t.get(i..))
                .is_some_and(|w| w.contains(needle))
        })
    })
}

/// Modules coverage.py says were imported before it started
/// (`Module x was previously imported, but not measured`).
fn not_measured(output: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in output.lines() {
        if let Some(rest) = line.split("Module ").nth(1) {
            if let Some((module, _)) = rest.split_once(" was previously imported, but not measured")
            {
                let m = module.trim().to_string();
                if !m.is_empty() && !out.contains(&m) && out.len() < 20 {
                    out.push(m);
                }
            }
        }
    }
    out
}

/// The project's own distribution name and version, from the root manifest.
fn own_distribution(cx: &RunContext<'_>) -> Option<(String, String)> {
    cx.facts
        .manifests
        .iter()
        .filter(|m| m.ecosystem == Ecosystem::Python && !m.path.contains('/'))
        .find_map(|m| Some((m.name.clone()?, m.version.as_ref()?.0.clone())))
}

/// Whether the project keeps its packages under `src/`.
fn src_layout(cx: &RunContext<'_>) -> bool {
    cx.inventory.files.iter().any(|f| {
        f.path
            .strip_prefix("src/")
            .is_some_and(|rest| rest.ends_with("/__init__.py") && rest.matches('/').count() == 1)
    })
}

/// Picks the interpreter: the repository's own virtual environment, else (with
/// `--setup`) a throwaway one with the project installed, else `python3` on PATH.
fn environment(cx: &RunContext<'_>, suite: &mut SuiteRun) -> Option<PathBuf> {
    for name in REPO_VENVS {
        let dir = cx.root.join(name);
        let python = dir.join("bin/python");
        if dir.join("pyvenv.cfg").is_file() && exec::is_executable(&python) {
            cx.make_visible(&dir);
            suite.environment = format!("the repository's virtual environment {name}/");
            return Some(python);
        }
    }
    if cx.setup {
        return build_venv(cx, suite);
    }
    match exec::which("python3").or_else(|| exec::which("python")) {
        Some(p) => {
            suite.environment = format!("{} from PATH, as installed", p.display());
            Some(p)
        }
        None => {
            suite.not_run = Some("no Python interpreter (python3) on PATH".into());
            None
        }
    }
}

/// Creates a virtual environment in the scratch directory and installs pytest,
/// pytest-cov, the project and its declared runtime and development dependencies.
/// Installation is the only step with network access.
fn build_venv(cx: &RunContext<'_>, suite: &mut SuiteRun) -> Option<PathBuf> {
    let Some(python3) = exec::which("python3") else {
        suite.not_run =
            Some("no Python interpreter (python3) on PATH to build an environment with".into());
        return None;
    };
    let venv = cx.scratch.root().join("venv");
    let uv = exec::which("uv");
    let cache = cx.scratch.root().join("cache");
    let create = match &uv {
        Some(uv) => cx
            .job(uv)
            .args(["venv", "--quiet", "--python"])
            .arg(&python3)
            .arg(&venv)
            .env("UV_CACHE_DIR", &cache),
        None => cx.job(&python3).args(["-m", "venv"]).arg(&venv),
    };
    if !cx.setup_step(suite, create) {
        return None;
    }
    let python = venv.join("bin/python");
    let installer = |packages: &[String]| -> Job {
        let base = match &uv {
            Some(uv) => cx
                .job(uv)
                .args(["pip", "install", "--quiet", "--python"])
                .arg(&python)
                .env("UV_CACHE_DIR", &cache),
            None => cx
                .job(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .env("PIP_CACHE_DIR", &cache),
        };
        let mut job = base.args(packages.iter().map(String::as_str));
        job.network = true;
        job
    };
    let tools = ["pytest", "pytest-cov", "coverage"].map(String::from);
    if !cx.setup_step(suite, installer(&tools)) {
        return None;
    }
    let plan = install_plan(cx);
    if !plan.is_empty() && !cx.setup_step(suite, installer(&plan)) {
        // pytest is there: record why, install what can be installed, run what can run,
        // and let the blockers name what is missing.
        if let Some(why) = suite.not_run.take() {
            suite.setup_failures.push(why);
        }
        let project = project_only(cx);
        if !project.is_empty() && project != plan && !cx.setup_step(suite, installer(&project)) {
            if let Some(why) = suite.not_run.take() {
                suite.setup_failures.push(why);
            }
        }
    }
    suite.environment = format!(
        "a throwaway virtual environment built with {} (--setup)",
        if uv.is_some() { "uv" } else { "venv + pip" }
    );
    Some(python)
}

/// Whether the repository root holds an installable Python project.
fn installable(cx: &RunContext<'_>) -> bool {
    ["pyproject.toml", "setup.py", "setup.cfg"]
        .iter()
        .any(|f| cx.root.join(f).is_file())
        && cx.facts.manifests.iter().any(|m| {
            m.ecosystem == Ecosystem::Python
                && !m.path.contains('/')
                && (m.format != "pyproject.toml" || m.name.is_some())
        })
}

/// The runtime and development dependencies the Python manifests declare.
fn declared<'a>(cx: &RunContext<'a>) -> impl Iterator<Item = &'a Dependency> {
    cx.facts
        .manifests
        .iter()
        .filter(|m| m.ecosystem == Ecosystem::Python)
        .flat_map(|m| m.dependencies.iter())
        .filter(|d| matches!(d.kind, DepKind::Runtime | DepKind::Dev))
}

/// Extras and dependency groups that hold what the tests need.
const TEST_GROUPS: &[&str] = &["test", "tests", "testing"];
/// Used when the project has no test group of its own.
const DEV_GROUPS: &[&str] = &["dev", "develop", "development"];

/// What `--setup` installs: the project with its test extras, the test dependency
/// groups and test requirement files — else the development ones, else every declared
/// runtime and development requirement. Documentation, typing and lint groups stay
/// out: they slow the set-up and fail it for reasons that are not the tests'.
fn install_plan(cx: &RunContext<'_>) -> Vec<String> {
    let repo = cx.scratch.repo();
    for groups in [TEST_GROUPS, DEV_GROUPS] {
        let mut plan: Vec<String> = Vec::new();
        let extras: Vec<&str> = cx
            .facts
            .manifests
            .iter()
            .filter(|m| m.ecosystem == Ecosystem::Python && !m.path.contains('/'))
            .flat_map(|m| m.optional_groups.iter())
            .map(String::as_str)
            .filter(|g| groups.contains(&g.to_ascii_lowercase().as_str()))
            .collect();
        let files: Vec<&str> = cx
            .facts
            .manifests
            .iter()
            .filter(|m| m.ecosystem == Ecosystem::Python && m.format == "requirements")
            .map(|m| m.path.as_str())
            .filter(|p| {
                let name = p.rsplit('/').next().unwrap_or(p).to_ascii_lowercase();
                groups.iter().any(|g| name.contains(g)) && !name.ends_with(".in")
            })
            .collect();
        let group_reqs = dependency_groups(cx, groups);
        if extras.is_empty() && files.is_empty() && group_reqs.is_empty() {
            continue;
        }
        if installable(cx) {
            plan.push("-e".into());
            plan.push(if extras.is_empty() {
                repo.display().to_string()
            } else {
                format!("{}[{}]", repo.display(), extras.join(","))
            });
        }
        for f in files {
            plan.push("-r".into());
            plan.push(repo.join(f).display().to_string());
        }
        plan.extend(group_reqs);
        return plan;
    }
    let mut plan = project_only(cx);
    plan.extend(requirements(cx));
    plan
}

/// The project itself, editable, when it is installable.
fn project_only(cx: &RunContext<'_>) -> Vec<String> {
    if installable(cx) {
        vec!["-e".into(), cx.scratch.repo().display().to_string()]
    } else {
        Vec::new()
    }
}

/// Requirements of the root pyproject.toml's `[dependency-groups]` named in `groups`
/// (PEP 735), with `{include-group = …}` followed one level.
fn dependency_groups(cx: &RunContext<'_>, groups: &[&str]) -> Vec<String> {
    let Some(text) = cx.inventory.file("pyproject.toml").and_then(|f| f.text()) else {
        return Vec::new();
    };
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let Some(table) = doc.get("dependency-groups").and_then(toml::Value::as_table) else {
        return Vec::new();
    };
    let items = |name: &str| -> Vec<toml::Value> {
        table
            .get(name)
            .and_then(toml::Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut out: Vec<String> = Vec::new();
    for (name, _) in table
        .iter()
        .filter(|(n, _)| groups.contains(&n.to_ascii_lowercase().as_str()))
    {
        let mut reqs = items(name);
        let included: Vec<toml::Value> = reqs
            .iter()
            .filter_map(|v| v.get("include-group").and_then(toml::Value::as_str))
            .flat_map(items)
            .collect();
        reqs.extend(included);
        for r in reqs.iter().filter_map(toml::Value::as_str) {
            if !out.iter().any(|o| o == r) {
                out.push(r.to_string());
            }
        }
    }
    out
}

/// Declared runtime and development requirements, as `name<spec>` strings.
fn requirements(cx: &RunContext<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in declared(cx).filter(|d| !d.name.starts_with('-')) {
        let spec = d.spec.trim();
        let req = if spec.starts_with(['<', '>', '=', '!', '~', '[', ';', '@']) {
            format!("{}{spec}", d.name)
        } else {
            d.name.clone()
        };
        if !out.contains(&req) {
            out.push(req);
        }
    }
    out
}

/// Distribution names the manifests declare for runtime and development.
fn declared_distributions(cx: &RunContext<'_>) -> Vec<String> {
    let own: Vec<String> = cx
        .facts
        .manifests
        .iter()
        .filter_map(|m| m.name.as_ref().map(|n| n.to_ascii_lowercase()))
        .collect();
    let mut out: Vec<String> = Vec::new();
    for d in declared(cx) {
        let valid = !d.name.is_empty()
            && d.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if valid && !own.contains(&d.name.to_ascii_lowercase()) && !out.contains(&d.name) {
            out.push(d.name.clone());
        }
    }
    out.truncate(500);
    out
}

/// Cases from `pytest -v` lines (`tests/test_x.py::test_y PASSED`), used when no JUnit
/// report was written. A final node id without a result is the test that was running
/// when the run was stopped.
fn verbose_cases(output: &str) -> Vec<CaseResult> {
    let mut out = Vec::new();
    for line in output.lines() {
        let line = line.trim_end();
        let Some((file, rest)) = line.split_once("::") else {
            continue;
        };
        if !file.ends_with(".py") || file.contains(' ') {
            continue;
        }
        let mut words = rest.split_whitespace();
        let Some(name) = words.next() else { continue };
        let status = match words.next() {
            Some("PASSED") | Some("XFAIL") | Some("XPASS") => CaseStatus::Passed,
            Some("FAILED") => CaseStatus::Failed,
            Some("ERROR") => CaseStatus::Errored,
            Some("SKIPPED") => CaseStatus::Skipped,
            _ => continue,
        };
        out.push(case(file, name, status));
    }
    out
}

/// The test that was running when the output stopped: the last `file.py::name` line
/// with no result after it.
pub fn running_at_end(output: &str) -> Option<(String, String)> {
    let last = output
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with("[…"))?;
    let (file, rest) = last.split_once("::")?;
    let mut words = rest.split_whitespace();
    let name = words.next()?;
    (file.ends_with(".py") && words.next().is_none()).then(|| (file.to_string(), name.to_string()))
}

fn case(file: &str, name: &str, status: CaseStatus) -> CaseResult {
    CaseResult {
        file: Some(file.to_string()),
        ..CaseResult::new("", name, status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_output_gives_cases_and_the_test_left_running() {
        let out = "tests/test_a.py::test_one PASSED                    [ 50%]\n\
                   tests/test_a.py::test_two FAILED                    [ 75%]\n\
                   tests/test_loop.py::test_forever ";
        let cases = verbose_cases(out);
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[1].status, CaseStatus::Failed);
        assert_eq!(
            running_at_end(out),
            Some(("tests/test_loop.py".into(), "test_forever".into()))
        );
        assert_eq!(running_at_end("tests/test_a.py::test_one PASSED"), None);
    }
}
