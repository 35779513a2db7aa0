//! Coverage joined with the static facts: overall coverage of production code, each
//! production module against the threshold, the critical modules with the names of
//! their uncovered functions (line ranges mapped to definitions), and the tests to
//! write for them.

use std::sync::LazyLock;

use regex::Regex;

use super::model::{
    CaseStatus, Coverage, FileCoverage, ModuleCoverage, Overall, SuggestedTest, TestRun,
    UncoveredFunction,
};
use crate::analyze::Facts;
use crate::analyze::critical::CriticalModule;
use crate::analyze::python::ImportClass;
use crate::repo::{FileKind, Inventory};

/// Suggested tests per critical module, at most.
const MAX_SUGGESTED: usize = 12;

static RAISE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?:^\s*raise|\bthrow new)\s+([A-Z]\w*)").ok());
static EXCEPT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\s*except\s+\(?([A-Z]\w*)").ok());

/// Fills `overall`, `modules` and `critical_without_data` from the run's coverage.
pub fn analyse(
    run: &mut TestRun,
    inventory: &Inventory,
    facts: &Facts,
    critical: &[CriticalModule],
    threshold: f64,
) {
    let Some(coverage) = &run.coverage else {
        return;
    };
    // Tests were run but none got as far as passing or failing: what coverage saw is
    // the import of the code, not a measurement of the tests.
    let ran_any = run
        .cases()
        .any(|c| matches!(c.status, CaseStatus::Passed | CaseStatus::Failed));
    if run.suites.iter().any(|s| s.language != "report") && !ran_any {
        run.coverage_problems.push(format!(
            "coverage from {} is not a measurement: no test ran to completion (see the blockers)",
            coverage.source
        ));
        run.coverage = None;
        return;
    }
    let production: Vec<&FileCoverage> = coverage
        .files
        .iter()
        .filter(|f| {
            inventory
                .file(&f.path)
                .is_some_and(|r| r.kind == FileKind::Source)
        })
        .collect();
    // Hostile reports can state any count: add without overflow.
    let statements: u32 = production
        .iter()
        .fold(0u32, |a, f| a.saturating_add(f.statements));
    let covered: u32 = production
        .iter()
        .fold(0u32, |a, f| a.saturating_add(f.covered));
    if statements == 0 {
        // Nothing of this checkout's production code was measured: the report is about
        // other files (tests only, or a copy of the package installed elsewhere).
        let measured = production.len();
        run.coverage_problems.push(format!(
            "the coverage report ({}) measured no statement of this repository's production code ({} with data, none with statements): the tests may have imported an installed copy of the package instead of this checkout",
            coverage.source,
            crate::model::plural(measured, "production file", "production files")
        ));
        run.coverage = None;
        return;
    }
    // Production files of a measured language that the report leaves out (a Jest or
    // CI report lists only what was imported) count as unrun, by their code lines.
    let without: Vec<&crate::repo::RepoFile> = inventory
        .sources()
        .filter(|f| f.lines.code > 0 && coverage.file(&f.path).is_none())
        .filter(|f| language_measured(coverage, &f.path))
        .collect();
    let unmeasured_lines = without.iter().fold(0u32, |a, f| {
        a.saturating_add(u32::try_from(f.lines.code).unwrap_or(u32::MAX))
    });
    let total = statements.saturating_add(unmeasured_lines);
    run.overall = Some(Overall {
        statements: total,
        covered,
        percent: super::percent(covered, total),
        files_without_data: without.len(),
        unmeasured_lines,
        languages: measured_languages(coverage),
    });
    let blocked: std::collections::HashSet<&str> = run
        .blockers
        .iter()
        .flat_map(|b| b.tests.iter().map(String::as_str))
        .collect();
    // Test files that import each module, by module path.
    let mut importers: std::collections::HashMap<&str, Vec<&str>> =
        std::collections::HashMap::new();
    for c in &facts.python.imports {
        if let (ImportClass::Internal { file }, Some(from)) =
            (&c.class, inventory.files.get(c.file))
        {
            if let Some(to) = inventory.files.get(*file) {
                if from.kind == FileKind::Test && blocked.contains(from.path.as_str()) {
                    let list = importers.entry(to.path.as_str()).or_default();
                    if !list.contains(&from.path.as_str()) {
                        list.push(from.path.as_str());
                    }
                }
            }
        }
    }
    let mut modules: Vec<ModuleCoverage> = production
        .iter()
        .map(|f| {
            let crit = critical.iter().find(|c| c.path == f.path);
            let uncovered = uncovered_functions(f, inventory, facts);
            let test_file = test_file_for(&f.path, inventory, facts);
            let suggested = match crit {
                Some(_) if f.percent < threshold => suggest(&f.path, &uncovered, inventory),
                _ => Vec::new(),
            };
            ModuleCoverage {
                path: f.path.clone(),
                statements: f.statements,
                covered: f.covered,
                percent: f.percent,
                critical: crit.map(|c| c.reason.clone()),
                uncovered,
                suggested,
                test_file,
                blocked_tests: importers
                    .get(f.path.as_str())
                    .map(|v| v.iter().map(|s| s.to_string()).collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    modules.sort_by(|a, b| {
        a.percent
            .total_cmp(&b.percent)
            .then(b.statements.cmp(&a.statements))
            .then(a.path.cmp(&b.path))
    });
    run.critical_without_data = critical
        .iter()
        .filter(|c| coverage.file(&c.path).is_none() && language_measured(coverage, &c.path))
        .map(|c| (c.path.clone(), c.reason.clone()))
        .collect();
    run.critical_unmeasured = critical
        .iter()
        .filter(|c| !language_measured(coverage, &c.path))
        .map(|c| c.path.clone())
        .collect();
    run.modules = modules;
}

/// The languages the report measures, by file extension, for "of Python code".
fn measured_languages(coverage: &Coverage) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in &coverage.files {
        let lang = match f.path.rsplit_once('.').map(|(_, e)| e) {
            Some("py") => "Python",
            Some("rs") => "Rust",
            Some("go") => "Go",
            Some("js" | "jsx" | "mjs" | "cjs") => "JavaScript",
            Some("ts" | "tsx") => "TypeScript",
            _ => continue,
        };
        if !out.iter().any(|l| l == lang) {
            out.push(lang.to_string());
        }
    }
    out
}

/// Whether the coverage report measures files of this one's language (a Python report
/// says nothing about the Rust files beside it).
fn language_measured(coverage: &Coverage, path: &str) -> bool {
    let ext = |p: &str| p.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let mine = ext(path);
    coverage.files.iter().any(|f| ext(&f.path) == mine)
}

/// Functions of a file with statements no test ran: from the Python definitions when
/// the file is Python, else from the functions the report names.
fn uncovered_functions(
    f: &FileCoverage,
    inventory: &Inventory,
    facts: &Facts,
) -> Vec<UncoveredFunction> {
    let py = inventory
        .file(&f.path)
        .and_then(|_| facts.source_of(inventory, &f.path))
        .and_then(|s| s.python.as_ref());
    let mut out: Vec<UncoveredFunction> = match py {
        Some(py) => py
            .functions
            .iter()
            .filter_map(|d| {
                // The `def` line runs at import; the body is what tests must reach.
                let body = d.line.saturating_add(1)..=d.end_line;
                let missing = count_in(&f.missing, &body);
                let executed = count_in(&f.executed, &body);
                (missing > 0).then(|| UncoveredFunction {
                    name: d.qualname.clone(),
                    line: d.line,
                    end_line: d.end_line,
                    missing,
                    statements: missing + executed,
                })
            })
            .collect(),
        None => from_report_functions(f, inventory),
    };
    // Nested definitions repeat their parent's lines; keep the outermost that is fully
    // unrun, and every partly run one.
    out.sort_by(|a, b| {
        b.never_run()
            .cmp(&a.never_run())
            .then(b.missing.cmp(&a.missing))
            .then(a.line.cmp(&b.line))
    });
    let ranges: Vec<(u32, u32)> = out
        .iter()
        .filter(|u| u.never_run())
        .map(|u| (u.line, u.end_line))
        .collect();
    out.retain(|u| {
        !ranges
            .iter()
            .any(|&(s, e)| (s, e) != (u.line, u.end_line) && s <= u.line && u.end_line <= e)
    });
    out
}

/// Without definitions from greenlight's own parse: the functions the report names
/// (never called, or holding unexecuted lines), each missing line assigned to the
/// function that starts last before it.
fn from_report_functions(f: &FileCoverage, inventory: &Inventory) -> Vec<UncoveredFunction> {
    // Reports without function names (Go coverprofiles): the definitions in the source,
    // with no call counts (1: not known to be uncalled).
    let derived: Vec<(String, u32, u64)> = if f.functions.is_empty() {
        inventory
            .file(&f.path)
            .and_then(|r| r.text())
            .map(|t| {
                super::definitions(t)
                    .into_iter()
                    .map(|(n, l)| (n, l, 1))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut functions: Vec<&(String, u32, u64)> = f.functions.iter().chain(&derived).collect();
    functions.sort_by_key(|(_, line, _)| *line);
    let mut out: Vec<(UncoveredFunction, bool)> = functions
        .iter()
        .map(|(name, line, calls)| {
            let u = UncoveredFunction {
                name: name.clone(),
                line: *line,
                end_line: *line,
                missing: 0,
                statements: 0,
            };
            (u, *calls == 0)
        })
        .collect();
    for &m in &f.missing {
        let at = out.partition_point(|(u, _)| u.line <= m);
        if let Some((u, _)) = at.checked_sub(1).and_then(|i| out.get_mut(i)) {
            u.missing += 1;
            u.end_line = u.end_line.max(m);
        }
    }
    out.into_iter()
        .filter(|(u, never_called)| *never_called || u.missing > 0)
        .map(|(mut u, never_called)| {
            // Per-function statement counts are not in such reports: a function never
            // called has all its listed lines unrun; otherwise the total is unknown (0).
            if never_called {
                u.statements = u.missing;
            }
            u
        })
        .collect()
}

fn count_in(lines: &[u32], range: &std::ops::RangeInclusive<u32>) -> u32 {
    let start = lines.partition_point(|l| l < range.start());
    let end = lines.partition_point(|l| l <= range.end());
    u32::try_from(end.saturating_sub(start)).unwrap_or(u32::MAX)
}

/// The test file that imports the module, else the conventional new one.
fn test_file_for(path: &str, inventory: &Inventory, facts: &Facts) -> String {
    let stem = path
        .rsplit('/')
        .next()
        .and_then(|n| n.rsplit_once('.').map(|(s, _)| s))
        .unwrap_or(path);
    let style = Style::of(path);
    let tests = || inventory.files.iter().filter(|f| f.kind == FileKind::Test);
    // A test file named after the module.
    let names = match style {
        Style::Python => vec![format!("test_{stem}.py"), format!("{stem}_test.py")],
        Style::Go => vec![format!("{stem}_test.go")],
        Style::Rust => vec![format!("{stem}.rs")],
        Style::Js => ["js", "ts", "mjs"]
            .iter()
            .flat_map(|e| [format!("{stem}.test.{e}"), format!("{stem}.spec.{e}")])
            .collect(),
    };
    let mut named: Vec<&str> = tests()
        .filter(|f| names.iter().any(|n| n == f.name()))
        .map(|f| f.path.as_str())
        .collect();
    named.sort_by_key(|p| (p.len(), *p));
    if let Some(p) = named.first() {
        return (*p).to_string();
    }
    // A test module that imports it.
    if let Ok(index) = inventory
        .files
        .binary_search_by(|f| f.path.as_str().cmp(path))
    {
        let importer = facts.python.imports.iter().find_map(|c| {
            let f = inventory.files.get(c.file)?;
            let hit = matches!(c.class, ImportClass::Internal { file } if file == index);
            (hit && f.kind == FileKind::Test && f.name().starts_with("test_"))
                .then(|| f.path.clone())
        });
        if let Some(t) = importer {
            return t;
        }
    }
    // A new file where the project keeps its tests.
    let mut dirs: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in tests().filter(|f| Style::of(&f.path) == style) {
        let dir = f.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        *dirs.entry(dir).or_default() += 1;
    }
    let home = dirs
        .iter()
        .max_by_key(|(d, n)| (**n, std::cmp::Reverse(d.len())))
        .map(|(d, _)| *d);
    let under = |default: &str| match home {
        Some("") => String::new(),
        Some(d) => format!("{d}/"),
        None => default.to_string(),
    };
    match style {
        Style::Python => format!("{}test_{stem}.py", under("tests/")),
        Style::Go => format!("{}_test.go", path.trim_end_matches(".go")),
        Style::Rust => format!("{path} (#[cfg(test)] mod tests)"),
        Style::Js => format!("{}{stem}.test.js", under("test/")),
    }
}

/// Tests in the style a reviewer writes: `test_<function>_success`, then one per
/// exception the function raises or handles.
fn suggest(
    path: &str,
    uncovered: &[UncoveredFunction],
    inventory: &Inventory,
) -> Vec<SuggestedTest> {
    let file = inventory.file(path);
    let style = Style::of(path);
    let mut out = Vec::new();
    for u in uncovered {
        if out.len() >= MAX_SUGGESTED {
            break;
        }
        let short = u.name.rsplit('.').next().unwrap_or(&u.name);
        if short.starts_with("__") && short != "__init__" {
            continue;
        }
        // Methods carry their class: `Account.withdraw` → `account_withdraw`.
        let base = u
            .name
            .split('.')
            .map(|part| snake(part.trim_matches('_')))
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("_");
        if base.is_empty() {
            continue;
        }
        out.push(SuggestedTest {
            name: style.name(&base, "success"),
            function: u.name.clone(),
            behaviour: format!(
                "success path: call `{}` with valid input and assert its result{}",
                u.name,
                if u.never_run() {
                    " (no test runs it today)"
                } else {
                    ""
                }
            ),
        });
        let mut raised: Vec<String> = Vec::new();
        let mut handled: Vec<String> = Vec::new();
        let mut returns_error = false;
        if let Some(f) = file {
            for n in u.line..=u.end_line.min(u.line.saturating_add(2000)) {
                let text = f.line(n);
                if let Some(c) = RAISE.as_ref().and_then(|r| r.captures(text)) {
                    let e = c.get(1).map(|m| m.as_str().to_string()).unwrap_or_default();
                    if !raised.contains(&e) {
                        raised.push(e);
                    }
                }
                if let Some(c) = EXCEPT.as_ref().and_then(|r| r.captures(text)) {
                    let e = c.get(1).map(|m| m.as_str().to_string()).unwrap_or_default();
                    if !handled.contains(&e) {
                        handled.push(e);
                    }
                }
                returns_error |= ["errors.New(", "fmt.Errorf(", "Err(", "bail!("]
                    .iter()
                    .any(|p| text.contains(p));
            }
        }
        for e in raised.iter().take(2) {
            out.push(SuggestedTest {
                name: style.name(&base, &format!("raises_{}", snake(e))),
                function: u.name.clone(),
                behaviour: format!("error path: the input that makes `{}` raise {e}", u.name),
            });
        }
        for e in handled.iter().filter(|e| !raised.contains(e)).take(2) {
            out.push(SuggestedTest {
                name: style.name(&base, &format!("handles_{}", snake(e))),
                function: u.name.clone(),
                behaviour: format!(
                    "error path: make a dependency of `{}` fail with {e} and assert how it recovers",
                    u.name
                ),
            });
        }
        if returns_error && raised.is_empty() {
            out.push(SuggestedTest {
                name: style.name(&base, "returns_error"),
                function: u.name.clone(),
                behaviour: format!(
                    "error path: the input for which `{}` returns an error, and the error it returns",
                    u.name
                ),
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(t.name.clone()));
    out.truncate(MAX_SUGGESTED);
    out
}

/// How tests are named where the module lives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `test_parse_success` (Python).
    Python,
    /// `TestParse_Success` (Go).
    Go,
    /// `parse_success` (Rust).
    Rust,
    /// `parse: success` (JavaScript/TypeScript `it()`/`test()` titles).
    Js,
}

impl Style {
    fn of(path: &str) -> Style {
        match path.rsplit_once('.').map(|(_, e)| e) {
            Some("go") => Style::Go,
            Some("rs") => Style::Rust,
            Some("js" | "jsx" | "ts" | "tsx" | "mjs" | "cjs") => Style::Js,
            _ => Style::Python,
        }
    }

    /// A test name for `function` (snake case) and a behaviour (snake case).
    fn name(self, function: &str, behaviour: &str) -> String {
        let camel = |s: &str| -> String {
            s.split('_')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let mut c = p.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect()
        };
        match self {
            Style::Python => format!("test_{function}_{behaviour}"),
            Style::Rust => format!("{function}_{behaviour}"),
            Style::Go => format!("Test{}_{}", camel(function), camel(behaviour)),
            Style::Js => format!("{function}: {}", behaviour.replace('_', " ")),
        }
    }
}

/// `ValueError` → `value_error`.
fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars.get(i - 1).copied().unwrap_or('_');
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_names_become_test_names() {
        assert_eq!(snake("ValueError"), "value_error");
        assert_eq!(snake("HTTPError"), "http_error");
        assert_eq!(snake("OSError"), "os_error");
    }

    #[test]
    fn lines_are_counted_in_ranges() {
        assert_eq!(count_in(&[1, 3, 5, 7], &(2..=5)), 2);
        assert_eq!(count_in(&[], &(2..=5)), 0);
    }
}
