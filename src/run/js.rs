//! JavaScript/TypeScript: the package's test runner — Jest or Vitest with a JSON result
//! file and LCOV coverage, any other test script through `npm test` (exit status only)
//! — when `node_modules` exists, the package has no dependencies, or `--setup` installs
//! them.

use super::exec::{self, Job};
use super::model::{Counts, SuiteRun};
use super::{RunContext, ingest, python::read_report, tail_lines};
use crate::analyze::catalog::Ecosystem;
use crate::analyze::manifest::Manifest;

fn package<'a>(cx: &RunContext<'a>) -> Option<&'a Manifest> {
    cx.facts
        .manifests
        .iter()
        .find(|m| m.ecosystem == Ecosystem::Npm && m.path == "package.json")
}

fn test_script(m: &Manifest) -> Option<&str> {
    m.scripts
        .iter()
        .find(|(name, _, _)| name == "test")
        .map(|(_, cmd, _)| cmd.as_str())
        .filter(|cmd| !cmd.contains("no test specified"))
}

pub fn applies(cx: &RunContext<'_>) -> bool {
    package(cx).and_then(test_script).is_some()
}

pub fn run(cx: &RunContext<'_>) -> SuiteRun {
    let mut suite = SuiteRun::new("JavaScript", "npm test");
    let Some(m) = package(cx) else { return suite };
    let script = test_script(m).unwrap_or_default().to_string();
    let has = |dep: &str| m.dependencies.iter().any(|d| d.name == dep);
    let Some(npm) = exec::which("npm") else {
        suite.not_run = Some("npm is not on PATH".into());
        return suite;
    };
    let repo = cx.scratch.repo();
    let root = cx.scratch.root();
    let installed = cx.root.join("node_modules");
    if cx.setup {
        let lock = cx.root.join("package-lock.json").is_file();
        let mut install = Job::new(&npm, &repo, root)
            .args(if lock {
                ["ci", "--no-audit", "--no-fund"]
            } else {
                ["install", "--no-audit", "--no-fund"]
            })
            .env("npm_config_cache", root.join("npm-cache"));
        install.network = true;
        install.timeout = cx.timeout;
        let ran = exec::run(&install, cx.isolation);
        if let Ok(r) = &ran {
            suite.steps.push(cx.step(&install, r));
        }
        if !ran.as_ref().is_ok_and(|r| r.success()) {
            suite.not_run = Some(format!(
                "`npm {}` failed: {}",
                if lock { "ci" } else { "install" },
                ran.map(|r| cx.tidy(&tail_lines(&r.output(), 5)))
                    .unwrap_or_else(|e| e)
            ));
            return suite;
        }
        suite.environment = "node_modules installed by npm (--setup)".into();
    } else if installed.is_dir() {
        if std::os::unix::fs::symlink(&installed, repo.join("node_modules")).is_err() {
            suite.not_run = Some("cannot link node_modules into the scratch copy".into());
            return suite;
        }
        suite.environment = "the repository's node_modules, read-only".into();
    } else if m.dependencies.is_empty() {
        suite.environment = "Node.js as installed (the package has no dependencies)".into();
    } else {
        suite.not_run = Some(
            "node_modules is missing and the package declares dependencies; rerun with --setup to install them (npm ci)".into(),
        );
        return suite;
    }
    let out = cx.scratch.out();
    let results = out.join("results.json");
    let coverage_dir = out.join("coverage");
    let bin = repo.join("node_modules/.bin");
    let mut job = if has("jest") && script.contains("jest") {
        suite.runner = "jest".into();
        Job::new(bin.join("jest"), &repo, root)
            .args(["--ci", "--json", "--coverage", "--coverageReporters=lcov"])
            .arg(format!("--outputFile={}", results.display()))
            .arg(format!("--coverageDirectory={}", coverage_dir.display()))
    } else if has("vitest") && script.contains("vitest") {
        suite.runner = "vitest".into();
        let mut j = Job::new(bin.join("vitest"), &repo, root)
            .args(["run", "--reporter=json"])
            .arg(format!("--outputFile={}", results.display()));
        if has("@vitest/coverage-v8") || has("@vitest/coverage-istanbul") {
            j = j
                .args(["--coverage.enabled", "--coverage.reporter=lcov"])
                .arg(format!(
                    "--coverage.reportsDirectory={}",
                    coverage_dir.display()
                ));
        }
        j
    } else {
        Job::new(&npm, &repo, root).args(["test", "--silent"])
    };
    job = job
        .env("CI", "true")
        .env("npm_config_cache", root.join("npm-cache"));
    job.timeout = cx.timeout;
    let ran = match exec::run(&job, cx.isolation) {
        Ok(r) => r,
        Err(e) => {
            suite.not_run = Some(e);
            return suite;
        }
    };
    suite.steps.push(cx.step(&job, &ran));
    suite.output_tail = cx.tidy(&tail_lines(&ran.output(), 40));
    let mut cases = read_report(&results)
        .and_then(|t| ingest::jest::parse(&t).ok())
        .unwrap_or_default();
    for c in &mut cases {
        c.file = c.file.as_deref().and_then(|f| cx.map_path(f));
    }
    if cases.is_empty() && suite.runner == "npm test" {
        cx.note(&format!(
            "the test script `{script}` ran (exit code {}), but it writes no per-test results greenlight reads (Jest or Vitest JSON)",
            ran.code.map(|c| c.to_string()).unwrap_or_else(|| "none".into())
        ));
    }
    suite.counts = Counts::of(&cases);
    suite.cases = cases;
    match read_report(&coverage_dir.join("lcov.info")) {
        Some(text) => cx.add_coverage(&text, &suite.runner),
        None => cx.note("JavaScript coverage not measured: the test runner wrote no LCOV report"),
    }
    suite
}
