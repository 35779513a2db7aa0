//! JavaScript/TypeScript: the package's test runner — Jest or Vitest with a JSON result
//! file and LCOV coverage, any other test script through `npm test` (exit status only)
//! — when `node_modules` exists, the package has no dependencies, or `--setup` installs
//! them.

use super::exec;
use super::model::{Counts, SuiteRun};
use super::{RunContext, ingest};
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
        let mut install = cx
            .job(&npm)
            .args(if lock {
                ["ci", "--no-audit", "--no-fund"]
            } else {
                ["install", "--no-audit", "--no-fund"]
            })
            .env("npm_config_cache", root.join("npm-cache"));
        install.network = true;
        if !cx.setup_step(&mut suite, install) {
            return suite;
        }
        suite.environment = "node_modules installed by npm (--setup)".into();
    } else if installed.is_dir() {
        cx.make_visible(&installed);
        if cx
            .scratch
            .symlink(&installed, &repo.join("node_modules"))
            .is_err()
        {
            suite.not_run = Some("cannot link node_modules into the scratch copy".into());
            return suite;
        }
        suite.environment = "the repository's node_modules, read-only".into();
    } else if m.dependencies.is_empty() {
        suite.environment = "Node.js as installed (the package has no dependencies)".into();
    } else {
        suite.not_run = Some(
            "node_modules is missing and the package declares dependencies; rerun with --setup to install them (npm ci, or npm install without a lock file)".into(),
        );
        return suite;
    }
    let out = cx.out_for("js");
    let results = out.join("results.json");
    let coverage_dir = out.join("coverage");
    let bin = repo.join("node_modules/.bin");
    let junit = out.join("junit.xml");
    let lcov = coverage_dir.join("lcov.info");
    if cx.scratch.create_dir_all(&coverage_dir).is_err() {
        cx.note("cannot create the coverage directory in the scratch space");
    }
    let node_test = node_test_args(&script);
    let mut job = if let Some(extra) = &node_test {
        suite.runner = "node --test".into();
        let Some(node) = exec::which("node") else {
            suite.not_run = Some("node is not on PATH".into());
            return suite;
        };
        cx.job(node)
            .args(["--test", "--experimental-test-coverage"])
            .arg("--test-reporter=junit")
            .arg(format!("--test-reporter-destination={}", junit.display()))
            .arg("--test-reporter=lcov")
            .arg(format!("--test-reporter-destination={}", lcov.display()))
            .args(["--test-reporter=spec", "--test-reporter-destination=stdout"])
            .args(extra.iter().map(String::as_str))
    } else if has("jest") && script.contains("jest") {
        suite.runner = "jest".into();
        cx.job(bin.join("jest"))
            .args(["--ci", "--json", "--coverage", "--coverageReporters=lcov"])
            .arg(format!("--outputFile={}", results.display()))
            .arg(format!("--coverageDirectory={}", coverage_dir.display()))
    } else if has("vitest") && script.contains("vitest") {
        suite.runner = "vitest".into();
        let mut j = cx
            .job(bin.join("vitest"))
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
        cx.job(&npm).args(["test", "--silent"])
    };
    job = job
        .env("CI", "true")
        .env("npm_config_cache", root.join("npm-cache"));
    let Some(ran) = cx.test_step(&mut suite, job) else {
        return suite;
    };
    let mut cases = if node_test.is_some() {
        let mut cases = cx
            .scratch
            .read(&junit)
            .map(|t| cx.cases_from(ingest::junit::parse(&t), "JUnit report of node --test"))
            .unwrap_or_default();
        // Node's JUnit names no file; a failure's stack trace does.
        for c in &mut cases {
            if c.file.is_none() {
                c.file = stack_file(&c.detail);
            }
            if c.file.is_none() {
                // Node names the suite `test`, which is no file.
                c.classname.clear();
            }
        }
        cases
    } else {
        cx.scratch
            .read(&results)
            .map(|t| cx.cases_from(ingest::jest::parse(&t), "JSON results"))
            .unwrap_or_default()
    };
    for c in &mut cases {
        c.file = c.file.as_deref().and_then(|f| cx.map_path(f));
        c.message = cx.tidy(&c.message);
        c.detail = cx.tidy(&c.detail);
    }
    if cases.is_empty() && suite.runner == "npm test" {
        cx.note(&format!(
            "the test script `{script}` ran (exit code {}), but it writes no per-test results greenlight reads (Jest or Vitest JSON)",
            ran.code.map(|c| c.to_string()).unwrap_or_else(|| "none".into())
        ));
    }
    suite.counts = Counts::of(&cases);
    suite.cases = cases;
    match cx.scratch.read(&lcov) {
        Some(text) => cx.add_coverage(&text, &suite.runner),
        None => cx.note("JavaScript coverage not measured: the test runner wrote no LCOV report"),
    }
    suite
}

/// The arguments after `node --test` in a test script (`node --test test/` → `test/`),
/// when the script runs Node's built-in test runner.
fn node_test_args(script: &str) -> Option<Vec<String>> {
    let first = script.split(['&', ';', '|']).next()?.trim();
    let rest = first.strip_prefix("node --test")?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some(
        rest.split_whitespace()
            .filter(|a| !a.starts_with("--test-reporter"))
            .map(str::to_string)
            .collect(),
    )
}

/// The first `file.js:line:col` of a stack trace that is not Node's own.
fn stack_file(detail: &str) -> Option<String> {
    let re = regex::Regex::new(r"([^\s()]+\.(?:c|m)?[jt]sx?):\d+:\d+").ok()?;
    re.captures_iter(detail)
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
        .find(|p| !p.starts_with("node:") && !p.contains("node_modules"))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_test_scripts_are_recognised() {
        assert_eq!(node_test_args("node --test"), Some(vec![]));
        assert_eq!(
            node_test_args("node --test test/ && echo done"),
            Some(vec!["test/".to_string()])
        );
        assert_eq!(node_test_args("node --testing"), None);
        assert_eq!(node_test_args("jest"), None);
    }

    #[test]
    fn the_failing_file_comes_from_the_stack() {
        let detail = "AssertionError\n    at TestContext.<anonymous> (/tmp/x/repo/test/a.test.js:4:34)\n    at Test.run (node:internal/test_runner/test:796:25)";
        assert_eq!(
            stack_file(detail).as_deref(),
            Some("/tmp/x/repo/test/a.test.js")
        );
    }
}
