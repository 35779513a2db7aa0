//! Why tests could not run, one root cause each: the runner's errors classified
//! (missing internal module, missing package declared or not, syntax error, fixture
//! error, wrong call signature, timeout) and joined with the static facts for evidence,
//! so twenty test files failing on one missing module make one blocker.

use std::collections::{BTreeMap, HashSet};

/// Distinct unclassified errors listed as blockers, at most.
const MAX_OTHER_ERRORS: usize = 20;
use std::sync::LazyLock;

use regex::Regex;

use super::model::{Blocker, BlockerKind, CaseStatus, SuiteRun, TestRun};
use crate::analyze::Facts;
use crate::analyze::catalog::Ecosystem;
use crate::model::Evidence;
use crate::repo::Inventory;

static MISSING_MODULE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?:ModuleNotFoundError|ImportError): No module named '([\w.]+)'").ok()
});
static MISSING_NAME: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"ImportError: cannot import name '(\w+)' from '([\w.]+)'").ok());
static SYNTAX: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?s)File "([^"\n]+\.py)", line (\d+).*?\b((?:Syntax|Indentation|Tab)Error: [^\n]*)"#,
    )
    .ok()
});
static FIXTURE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"fixture '(\w+)' not found").ok());
static FIXTURE_AT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?m)^file (\S+\.py), line (\d+)").ok());
static SIGNATURE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"TypeError: ([\w.]+)\(\) (got an unexpected keyword argument '\w+'|missing \d+ required (?:positional|keyword-only) arguments?: [^\n]*|takes (?:from )?\d+ (?:to \d+ )?positional arguments? but \d+ (?:were|was) given|got multiple values for argument '\w+')",
    ).ok()
});
static FRAME: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?m)^\s*(?:File "([^"\n]+\.py)", line (\d+)|([^\s:"]+\.py):(\d+):)"#).ok()
});
static E_LINE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(?m)^E\s+(\S.*)$").ok());

/// Blockers of every suite, grouped by root cause.
pub fn classify(run: &TestRun, inventory: &Inventory, facts: &Facts) -> Vec<Blocker> {
    let mut grouped: BTreeMap<(BlockerKind, String), (Blocker, HashSet<String>)> = BTreeMap::new();
    let mut other_errors = 0usize;
    let mut add = |b: Blocker| {
        let key = (b.kind, b.subject.clone());
        match grouped.get_mut(&key) {
            Some((existing, seen)) => {
                for t in b.tests {
                    if seen.insert(t.clone()) {
                        existing.tests.push(t);
                    }
                }
            }
            None => {
                // Distinct unexplained errors are listed up to a point; the rest are
                // failures the check reports per file.
                if b.kind == BlockerKind::OtherError {
                    other_errors += 1;
                    if other_errors > MAX_OTHER_ERRORS {
                        return;
                    }
                }
                let seen = b.tests.iter().cloned().collect();
                grouped.insert(key, (b, seen));
            }
        }
    };
    for suite in &run.suites {
        if let Some(reason) = &suite.not_run {
            let setup_failed = suite.steps.last().is_some_and(|s| s.exit_code != Some(0));
            add(Blocker {
                kind: if setup_failed {
                    BlockerKind::SetupFailed
                } else {
                    BlockerKind::RunnerMissing
                },
                subject: suite.runner.clone(),
                message: reason.clone(),
                evidence: vec![Evidence::absent(
                    format!("a working {} environment", suite.runner),
                    if suite.environment.is_empty() {
                        "the test environment".to_string()
                    } else {
                        suite.environment.clone()
                    },
                )],
                tests: Vec::new(),
            });
            continue;
        }
        for why in &suite.setup_failures {
            add(Blocker {
                kind: BlockerKind::SetupFailed,
                subject: suite.runner.clone(),
                message: format!("{why}; the tests ran without what it would have installed"),
                evidence: Vec::new(),
                tests: Vec::new(),
            });
        }
        if suite.timed_out() {
            add(timeout(suite, inventory));
        }
        if let Some(b) = run_failed(suite, inventory, facts).or_else(|| unexplained_exit(suite)) {
            add(b);
        }
        for case in &suite.cases {
            // Nothing to classify: a result without a message (read from a runner's
            // progress lines after it was killed) is counted, not explained.
            if !matches!(case.status, CaseStatus::Errored | CaseStatus::Failed)
                || case.message == super::python::TIMED_OUT
                || (case.message.is_empty() && case.detail.is_empty())
            {
                continue;
            }
            let test = case.file.clone().unwrap_or_else(|| {
                format!("{} {}", case.classname, case.name)
                    .trim()
                    .to_string()
            });
            let text = format!("{}\n{}", case.message, case.detail);
            if let Some(mut b) = python_blocker(&text, inventory, facts) {
                b.tests.push(test);
                add(b);
            } else if case.status == CaseStatus::Errored {
                let message = first_error(&text);
                add(Blocker {
                    kind: BlockerKind::OtherError,
                    subject: message.clone(),
                    message,
                    evidence: frames(&text, inventory)
                        .into_iter()
                        .last()
                        .into_iter()
                        .collect(),
                    tests: vec![test],
                });
            }
        }
    }
    let mut out: Vec<Blocker> = grouped.into_values().map(|(b, _)| b).collect();
    out.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then(b.tests.len().cmp(&a.tests.len()))
            .then(a.subject.cmp(&b.subject))
    });
    out
}

/// A run that ended in error before reporting any test: a conftest that cannot be
/// imported, a build that failed, a runner usage error.
fn run_failed(suite: &SuiteRun, inventory: &Inventory, facts: &Facts) -> Option<Blocker> {
    let step = suite.test_step()?;
    // pytest exits 5 when it collected nothing: an empty suite, not a failure.
    let failed = step
        .exit_code
        .is_some_and(|c| c != 0 && !(c == 5 && suite.runner == "pytest"));
    if !suite.cases.is_empty() || suite.timed_out() || !failed {
        return None;
    }
    let text = &suite.output_tail;
    let scope: Vec<String> = conftest(text).into_iter().collect();
    if let Some(mut b) = python_blocker(text, inventory, facts) {
        if let Some(c) = scope.first() {
            b.message = format!(
                "{}; {c} cannot be loaded, so no test under it runs",
                b.message
            );
        }
        b.tests = scope;
        return Some(b);
    }
    if let Some(b) = offline_dependency(text, inventory, facts) {
        return Some(b);
    }
    if let Some(b) = build_error(suite, text, inventory) {
        return Some(b);
    }
    let message = first_error(text);
    Some(Blocker {
        kind: BlockerKind::OtherError,
        subject: message.clone(),
        message: format!(
            "`{}` exited with {} before reporting any test: {message}",
            suite.runner,
            step.exit_code.unwrap_or(-1)
        ),
        evidence: frames(text, inventory)
            .into_iter()
            .last()
            .into_iter()
            .collect(),
        tests: scope,
    })
}

/// A declared dependency the offline run could not find (cargo's `no matching package
/// named`, Go's `module lookup disabled by GOPROXY=off`), with its manifest line.
fn offline_dependency(text: &str, inventory: &Inventory, facts: &Facts) -> Option<Blocker> {
    let name = text
        .split("no matching package named `")
        .nth(1)
        .and_then(|r| r.split('`').next())
        .or_else(|| {
            text.lines()
                .find(|l| l.contains("module lookup disabled by GOPROXY=off"))
                .and_then(|l| l.trim().strip_prefix("go: "))
                .and_then(|r| r.split('@').next())
        })?
        .trim();
    if name.is_empty() {
        return None;
    }
    let declared = facts.manifests.iter().find_map(|m| {
        m.dependencies
            .iter()
            .find(|d| d.name == name)
            .map(|d| (m.path.as_str(), d.line))
    });
    let evidence = declared
        .map(|(path, line)| Evidence::at(path, line, &line_of(inventory, path, line)))
        .into_iter()
        .collect();
    Some(Blocker {
        kind: BlockerKind::MissingDeclaredPackage,
        subject: name.to_string(),
        message: format!(
            "{name} is declared{} but not in the local package cache, and the tests run offline; rerun with --setup to download it",
            declared
                .map(|(p, _)| format!(" in {p}"))
                .unwrap_or_default()
        ),
        evidence,
        tests: Vec::new(),
    })
}

/// A runner that exited with an error (or was killed by a signal) although every test
/// it reported passed: a crashed test binary, a coverage gate, an internal error.
fn unexplained_exit(suite: &SuiteRun) -> Option<Blocker> {
    let step = suite.test_step()?;
    let failed = match step.exit_code {
        Some(c) => c != 0 && !(c == 5 && suite.runner == "pytest"),
        None => !step.timed_out,
    };
    let explained = suite
        .cases
        .iter()
        .any(|c| matches!(c.status, CaseStatus::Failed | CaseStatus::Errored));
    if !failed || explained || suite.cases.is_empty() {
        return None;
    }
    let how = step
        .exit_code
        .map(|c| format!("exited with {c}"))
        .unwrap_or_else(|| "was killed by a signal".into());
    Some(Blocker {
        kind: BlockerKind::OtherError,
        subject: format!("{} {how}", suite.runner),
        message: format!(
            "`{}` {how} although every test it reported passed: a test process crashed, a coverage or other gate failed, or results are missing ({})",
            suite.runner,
            crate::model::shorten(&first_error(&suite.output_tail), 200)
        ),
        evidence: Vec::new(),
        tests: Vec::new(),
    })
}

/// `ImportError while loading conftest 'tests/conftest.py'` → that path.
fn conftest(text: &str) -> Option<String> {
    let start = text.find("while loading conftest '")? + "while loading conftest '".len();
    let rest = text.get(start..)?;
    let end = rest.find('\'')?;
    Some(relative(rest.get(..end)?))
}

/// A compile error of the tests (Rust `error[E…]` with its `--> file:line`, Go
/// `file.go:line:col: message` under a `# package` header).
fn build_error(suite: &SuiteRun, text: &str, inventory: &Inventory) -> Option<Blocker> {
    let mut message: Option<String> = None;
    let mut evidence = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if message.is_none() && (t.starts_with("error[") || t.starts_with("error:")) {
            message = Some(t.to_string());
        }
        let at = t
            .strip_prefix("--> ")
            .or_else(|| (suite.language == "Go" && t.contains(".go:")).then_some(t));
        if let Some(at) = at {
            let mut parts = at.split(':');
            let (Some(path), Some(line_no)) = (parts.next(), parts.next()) else {
                continue;
            };
            let path = relative(path);
            if let (Some(f), Ok(n)) = (inventory.file(&path), line_no.trim().parse::<u32>()) {
                if message.is_none() && suite.language == "Go" {
                    message = Some(t.to_string());
                }
                if evidence.len() < 3 {
                    evidence.push(Evidence::at(&path, n, f.line(n)));
                }
            }
        }
    }
    let message = message?;
    if text.contains("offline mode")
        || text.contains("GOPROXY=off")
        || text.contains("GOFLAGS=-mod=mod") && text.contains("cannot find module")
    {
        return Some(Blocker {
            kind: BlockerKind::SetupFailed,
            subject: crate::model::shorten(&message, 120),
            message: format!(
                "a dependency is not in the local cache and the tests run offline: {message}; rerun with --setup to download dependencies first"
            ),
            evidence,
            tests: Vec::new(),
        });
    }
    Some(Blocker {
        kind: BlockerKind::BuildFailed,
        subject: crate::model::shorten(&message, 120),
        message: format!("the tests do not compile: {message}"),
        evidence,
        tests: Vec::new(),
    })
}

fn timeout(suite: &SuiteRun, inventory: &Inventory) -> Blocker {
    let seconds = suite.test_step().map(|s| s.seconds).unwrap_or(0.0);
    let running = super::python::running_at_end(&suite.output_tail);
    let mut evidence = Vec::new();
    let mut tests = Vec::new();
    if let Some((file, name)) = &running {
        let base = name.split('[').next().unwrap_or(name);
        let func = base.rsplit("::").next().unwrap_or(base);
        if let Some(f) = inventory.file(file) {
            let def = format!("def {func}(");
            let line = (1..=u32::try_from(f.index.len()).unwrap_or(0))
                .find(|&n| f.line(n).contains(&def))
                .unwrap_or(1);
            evidence.push(Evidence::at(file, line, f.line(line)));
        }
        tests.push(format!("{file}::{name}"));
    }
    Blocker {
        kind: BlockerKind::Timeout,
        subject: running
            .map(|(f, n)| format!("{f}::{n}"))
            .unwrap_or_else(|| suite.runner.clone()),
        message: format!(
            "the test run was killed after {:.0} s (the --test-timeout limit){}",
            seconds,
            if tests.is_empty() {
                String::new()
            } else {
                "; this test was running".to_string()
            }
        ),
        evidence,
        tests,
    }
}

/// Classifies one Python error text.
fn python_blocker(text: &str, inventory: &Inventory, facts: &Facts) -> Option<Blocker> {
    let where_ = frames(text, inventory);
    let at = where_.last().cloned();
    if let Some(c) = MISSING_MODULE.as_ref()?.captures(text) {
        let module = c.get(1)?.as_str();
        return Some(missing_module(module, at, inventory, facts));
    }
    if let Some(c) = MISSING_NAME.as_ref()?.captures(text) {
        let (name, module) = (c.get(1)?.as_str(), c.get(2)?.as_str());
        if internal_top(module, facts) {
            return Some(Blocker {
                kind: BlockerKind::MissingName,
                subject: format!("{module}.{name}"),
                message: format!("`{module}` does not define `{name}`"),
                evidence: at.into_iter().collect(),
                tests: Vec::new(),
            });
        }
        return Some(Blocker {
            kind: BlockerKind::OtherError,
            subject: format!("{module}.{name}"),
            message: format!(
                "the installed `{module}` has no `{name}` (a version the code does not expect)"
            ),
            evidence: at.into_iter().collect(),
            tests: Vec::new(),
        });
    }
    if let Some(c) = SYNTAX.as_ref()?.captures(text) {
        let path = relative(c.get(1)?.as_str());
        let line: u32 = c.get(2)?.as_str().parse().ok()?;
        let evidence = inventory
            .file(&path)
            .map(|f| Evidence::at(&path, line, f.line(line)));
        return Some(Blocker {
            kind: BlockerKind::SyntaxError,
            subject: path.clone(),
            message: c.get(3)?.as_str().trim().to_string(),
            evidence: evidence.into_iter().collect(),
            tests: Vec::new(),
        });
    }
    if let Some(c) = FIXTURE.as_ref()?.captures(text) {
        let name = c.get(1)?.as_str();
        let evidence = FIXTURE_AT.as_ref()?.captures(text).and_then(|c| {
            let path = relative(c.get(1)?.as_str());
            let line: u32 = c.get(2)?.as_str().parse().ok()?;
            let f = inventory.file(&path)?;
            Some(Evidence::at(&path, line, f.line(line)))
        });
        return Some(Blocker {
            kind: BlockerKind::FixtureError,
            subject: name.to_string(),
            message: format!("fixture '{name}' not found: no conftest.py or plugin defines it"),
            evidence: evidence.into_iter().collect(),
            tests: Vec::new(),
        });
    }
    if let Some(c) = SIGNATURE.as_ref()?.captures(text) {
        let function = c.get(1)?.as_str();
        let mut evidence: Vec<Evidence> = at.into_iter().collect();
        if let Some(def) = definition(function, inventory, facts) {
            evidence.push(def);
        }
        return Some(Blocker {
            kind: BlockerKind::SignatureMismatch,
            subject: function.to_string(),
            message: format!("{function}() {}", c.get(2)?.as_str()),
            evidence,
            tests: Vec::new(),
        });
    }
    None
}

fn missing_module(
    module: &str,
    at: Option<Evidence>,
    inventory: &Inventory,
    facts: &Facts,
) -> Blocker {
    let mut evidence: Vec<Evidence> = at.into_iter().collect();
    if internal_top(module, facts) {
        evidence.push(Evidence::absent(
            format!(
                "module {module} ({})",
                expected_path(module, inventory, facts)
            ),
            "the repository",
        ));
        return Blocker {
            kind: BlockerKind::MissingInternalModule,
            subject: module.to_string(),
            message: format!("No module named '{module}': the repository does not contain it"),
            evidence,
            tests: Vec::new(),
        };
    }
    let top = module.split('.').next().unwrap_or(module);
    let dists = crate::analyze::python::deps::distributions_for(module);
    let wanted: Vec<String> = dists
        .iter()
        .chain(std::iter::once(&top.to_string()))
        .map(|d| Ecosystem::Python.normalize(d))
        .collect();
    let declared = facts
        .manifests
        .iter()
        .filter(|m| m.ecosystem == Ecosystem::Python)
        .find_map(|m| {
            m.dependencies
                .iter()
                .find(|d| wanted.contains(&d.normalized))
                .map(|d| (m, d))
        });
    let dist = dists.first().cloned().unwrap_or_else(|| top.to_string());
    match declared {
        Some((m, d)) => {
            evidence.push(Evidence::at(
                &m.path,
                d.line,
                &line_of(inventory, &m.path, d.line),
            ));
            Blocker {
                kind: BlockerKind::MissingDeclaredPackage,
                subject: d.name.clone(),
                message: format!(
                    "No module named '{module}': {} is declared in {} but not installed in the test environment",
                    d.name, m.path
                ),
                evidence,
                tests: Vec::new(),
            }
        }
        None => {
            evidence.push(Evidence::absent(
                format!("{dist} among the declared dependencies"),
                "every Python manifest",
            ));
            Blocker {
                kind: BlockerKind::MissingUndeclaredPackage,
                subject: dist.clone(),
                message: format!(
                    "No module named '{module}': no manifest declares {dist}, so no environment built from them has it"
                ),
                evidence,
                tests: Vec::new(),
            }
        }
    }
}

/// Whether the first dotted part of `module` is one of the repository's own modules.
fn internal_top(module: &str, facts: &Facts) -> bool {
    let top = module.split('.').next().unwrap_or(module);
    facts.python.modules.keys().any(|k| {
        k == top
            || k.strip_prefix(top).is_some_and(|r| r.starts_with('.'))
            || k.rsplit_once('.').is_some_and(|(_, last)| last == top) && k.starts_with("src.")
    })
}

/// Where `pkg.sub.missing` would live: next to the deepest existing package.
fn expected_path(module: &str, inventory: &Inventory, facts: &Facts) -> String {
    let parts: Vec<&str> = module.split('.').collect();
    for n in (1..parts.len()).rev() {
        let Some(prefix) = parts.get(..n) else {
            continue;
        };
        let name = prefix.join(".");
        let Some(&file) = facts.python.modules.get(&name) else {
            continue;
        };
        let Some(f) = inventory.files.get(file) else {
            continue;
        };
        if let Some(dir) = f.path.strip_suffix("/__init__.py") {
            let rest = parts.get(n..).unwrap_or(&[]).join("/");
            return format!("expected at {dir}/{rest}.py or {dir}/{rest}/__init__.py");
        }
    }
    format!("expected at {}.py", parts.join("/"))
}

/// The definition of a function named in a TypeError (`summary`, `Class.method`).
fn definition(function: &str, inventory: &Inventory, facts: &Facts) -> Option<Evidence> {
    let name = function.rsplit('.').next().unwrap_or(function);
    let mut found = facts.sources.iter().filter_map(|s| {
        let py = s.python.as_ref()?;
        let f = inventory.files.get(s.file)?;
        if f.kind == crate::repo::FileKind::Test {
            return None;
        }
        py.functions
            .iter()
            .find(|d| d.name == name && (d.qualname == function || !function.contains('.')))
            .map(|d| Evidence::at(&f.path, d.line, f.line(d.line)))
    });
    let first = found.next()?;
    // Ambiguous names point nowhere rather than at the wrong definition.
    found.next().is_none().then_some(first)
}

/// Traceback frames that point into the repository, in order.
fn frames(text: &str, inventory: &Inventory) -> Vec<Evidence> {
    let Some(frame) = FRAME.as_ref() else {
        return Vec::new();
    };
    frame
        .captures_iter(text)
        .filter_map(|c| {
            let (p, l) = match (c.get(1), c.get(2), c.get(3), c.get(4)) {
                (Some(p), Some(l), _, _) | (_, _, Some(p), Some(l)) => (p, l),
                _ => return None,
            };
            let path = relative(p.as_str());
            let line: u32 = l.as_str().parse().ok()?;
            let f = inventory.file(&path)?;
            Some(Evidence::at(&path, line, f.line(line)))
        })
        .collect()
}

/// The first `E   Something: message` line, or the first line.
fn first_error(text: &str) -> String {
    let line = E_LINE
        .iter()
        .flat_map(|re| re.captures_iter(text))
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str())
        .find(|l| l.contains("Error") || l.contains("Exception"))
        .or_else(|| {
            text.lines()
                .map(str::trim)
                .find(|l| l.contains("Error:") || l.starts_with("error"))
        })
        .or_else(|| text.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("error");
    crate::model::shorten(line.trim(), 200)
}

/// A path from a traceback as a repository path: the scratch copy's prefix removed.
fn relative(path: &str) -> String {
    let p = match path.find("/greenlight-run-") {
        Some(i) => path
            .get(i..)
            .and_then(|rest| rest.split_once("/repo/"))
            .map(|(_, r)| r)
            .unwrap_or(path),
        None => path,
    };
    p.trim_start_matches("./").to_string()
}

fn line_of(inventory: &Inventory, path: &str, line: u32) -> String {
    inventory
        .file(path)
        .map(|f| f.line(line).to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        for r in [
            &*MISSING_MODULE,
            &*MISSING_NAME,
            &*SYNTAX,
            &*FIXTURE,
            &*FIXTURE_AT,
            &*SIGNATURE,
            &*FRAME,
            &*E_LINE,
        ] {
            assert!(r.is_some());
        }
    }

    #[test]
    fn scratch_paths_become_repository_paths() {
        assert_eq!(
            relative("/tmp/greenlight-run-abc123/repo/tests/test_x.py"),
            "tests/test_x.py"
        );
        assert_eq!(relative("./tests/test_x.py"), "tests/test_x.py");
    }

    #[test]
    fn signature_errors_are_recognised() {
        let t = "E       TypeError: summary() got an unexpected keyword argument 'digits'";
        let c = SIGNATURE.as_ref().unwrap().captures(t).unwrap();
        assert_eq!(&c[1], "summary");
        let t = "TypeError: Client.get() missing 1 required positional argument: 'url'";
        assert_eq!(
            &SIGNATURE.as_ref().unwrap().captures(t).unwrap()[1],
            "Client.get"
        );
        assert!(
            SIGNATURE
                .as_ref()
                .unwrap()
                .captures("TypeError: unsupported operand")
                .is_none()
        );
    }
}
