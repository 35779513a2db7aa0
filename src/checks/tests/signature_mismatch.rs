//! Judges whether Python tests call the project's functions with arguments their
//! current signatures accept: tests written against an old API fail with TypeError.

use std::collections::HashMap;

use crate::analyze::python::{CallShape, Function, ImportClass, ParamKind, PyFile};
use crate::checks::python::{self, PyRef, Role};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity, plural};
use crate::run::BlockerKind;

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "tests.signature-mismatch",
        category: Category::Tests,
        title: "Tests call the current API",
        summary: "Calls from Python tests to the project's functions and classes pass arguments the definitions accept: no unknown keyword, no extra positional argument, no missing required argument.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "When a function's parameters are renamed or removed and its tests are not updated, those tests fail with `TypeError: got an unexpected keyword argument` before they assert anything. A reviewer finds them by running the suite; greenlight finds them by matching each call in a test with the definition it reaches, so the tests that still document the old API are named before anyone relies on them.",
        remediation: "Update each call to the function's current signature (or restore the parameter, if the test documents intended behaviour), then run those tests. When a signature changes on purpose, search the tests for its callers in the same change.",
        action: "Update tests that call functions with arguments they no longer accept",
        risk: "Tests failing on outdated API",
    },
    evaluate,
};

/// What a callee name in a test reaches: a module file, or a name in one.
enum Target {
    Module(usize),
    Name(usize, String),
}

/// Decorators that keep the decorated function's signature.
fn preserves_signature(decorator: &str) -> bool {
    matches!(
        decorator,
        "functools.lru_cache"
            | "functools.cache"
            | "contextlib.contextmanager"
            | "contextlib.asynccontextmanager"
            | "staticmethod"
            | "abc.abstractmethod"
    )
}

/// Local names a test module's imports bind, as the resolved callee text starts.
fn targets(cx: &Context<'_>, f: &PyRef<'_>) -> HashMap<String, Target> {
    let mut out = HashMap::new();
    for c in cx.facts.python.imports_of(f.index) {
        let ImportClass::Internal { file } = c.class else {
            continue;
        };
        let Some(target) = cx.inventory.files.get(file) else {
            continue;
        };
        let Some(imp) = f.py.imports.get(c.import) else {
            continue;
        };
        let prefix = format!("{}{}", ".".repeat(usize::from(imp.level)), imp.module);
        if imp.names.is_empty() {
            out.insert(prefix, Target::Module(file));
            continue;
        }
        let stem = target.name().trim_end_matches(".py");
        for n in &imp.names {
            let key = if prefix.ends_with('.') || prefix.is_empty() {
                format!("{prefix}{n}")
            } else {
                format!("{prefix}.{n}")
            };
            // `from pkg import sub` reaches the submodule; `from pkg.sub import sub`
            // reaches a name inside it.
            let last = imp.module.rsplit('.').next().unwrap_or("");
            let t = if imp.names.len() == 1 && stem == n && last != n {
                Target::Module(file)
            } else {
                Target::Name(file, n.clone())
            };
            out.insert(key, t);
        }
    }
    out
}

/// The definition a call reaches and whether it is a class's `__init__`.
fn definition<'a>(py: &'a PyFile, name: &str) -> Option<(&'a Function, bool)> {
    let functions: Vec<&Function> = py
        .functions
        .iter()
        .filter(|f| f.qualname == name && !f.is_method)
        .collect();
    if let [only] = functions.as_slice() {
        return Some((only, false));
    }
    if !functions.is_empty() {
        // Overloads or conditional definitions: several signatures.
        return None;
    }
    let class = py.classes.iter().find(|c| c.top_level && c.name == name)?;
    // Enum members are looked up by value (`Planet(1)`), and typed containers build
    // their own constructors: their `__init__` is not what a call reaches.
    let special = class.bases.iter().any(|b| {
        let b = b.rsplit('.').next().unwrap_or(b);
        b.ends_with("Enum")
            || matches!(
                b,
                "Flag" | "IntFlag" | "NamedTuple" | "TypedDict" | "Protocol"
            )
    });
    if !class.decorators.is_empty() || special {
        return None;
    }
    let init = format!("{name}.__init__");
    let inits: Vec<&Function> = py.functions.iter().filter(|f| f.qualname == init).collect();
    match inits.as_slice() {
        [only] => Some((only, true)),
        _ => None,
    }
}

/// Why a call does not fit a signature, if it does not.
fn mismatch(call: &CallShape, def: &Function, is_init: bool) -> Option<String> {
    if call.unpacked || call.expects_error || !def.decorators.iter().all(|d| preserves_signature(d))
    {
        return None;
    }
    let params: Vec<_> = def.params.iter().skip(usize::from(is_init)).collect();
    let var_args = params.iter().any(|p| p.kind == ParamKind::VarArgs);
    let var_kwargs = params.iter().any(|p| p.kind == ParamKind::VarKwargs);
    let positional: Vec<_> = params
        .iter()
        .filter(|p| matches!(p.kind, ParamKind::PositionalOnly | ParamKind::Normal))
        .collect();
    let given = usize::try_from(call.positional).unwrap_or(usize::MAX);
    if !var_args && given > positional.len() {
        return Some(format!(
            "takes {} but {given} {} given",
            plural(
                positional.len(),
                "positional argument",
                "positional arguments"
            ),
            if given == 1 { "was" } else { "were" }
        ));
    }
    if !var_kwargs {
        if let Some(k) = call.keywords.iter().find(|k| {
            !params.iter().any(|p| {
                p.name == **k && matches!(p.kind, ParamKind::Normal | ParamKind::KeywordOnly)
            })
        }) {
            return Some(format!("got an unexpected keyword argument '{k}'"));
        }
    }
    let missing: Vec<&str> = params
        .iter()
        .enumerate()
        .filter(|(_, p)| p.default.is_none())
        .filter(|(i, p)| match p.kind {
            ParamKind::PositionalOnly => *i >= given,
            ParamKind::Normal => *i >= given && !call.keywords.contains(&p.name),
            ParamKind::KeywordOnly => !call.keywords.contains(&p.name),
            ParamKind::VarArgs | ParamKind::VarKwargs => false,
        })
        .map(|(_, p)| p.name.as_str())
        .collect();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|m| format!("'{m}'")).collect();
        return Some(format!(
            "missing required {}: {}",
            if missing.len() == 1 {
                "argument"
            } else {
                "arguments"
            },
            list.join(", ")
        ));
    }
    None
}

/// The environment variable a test needs before it runs at all: the module skips
/// itself unless it is set (`if not os.getenv("X"): pytest.skip(…,
/// allow_module_level=True)`, `pytestmark = pytest.mark.skipif(…getenv…)`), or the test
/// at `line` is decorated `@pytest.mark.skipif(os.getenv("X") is None, …)`.
fn opt_in_variable(text: &str, line: u32) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let reads_env = |l: &str| l.contains("getenv(") || l.contains("environ");
    // The module's own skip, at the left margin or in an `if` at the left margin.
    let module_skip = lines.iter().enumerate().find_map(|(i, l)| {
        let t = l.trim_start();
        let skips = (t.starts_with("pytest.skip(")
            && lines
                .iter()
                .skip(i)
                .take(4)
                .any(|n| n.contains("allow_module_level=True")))
            || t.starts_with("pytestmark");
        if !skips {
            return None;
        }
        let condition = if t.starts_with("pytestmark") {
            lines.iter().skip(i).take(3).copied().collect::<Vec<_>>()
        } else {
            lines
                .iter()
                .take(i)
                .rev()
                .take(3)
                .copied()
                .collect::<Vec<_>>()
        };
        condition
            .into_iter()
            .find(|c| reads_env(c))
            .map(str::to_string)
    });
    // The decorators of the test function holding the call.
    let at = usize::try_from(line).ok()?.checked_sub(1)?;
    let test_def = lines.iter().take(at + 1).rposition(|l| {
        let t = l.trim_start();
        t.starts_with("def test") || t.starts_with("async def test")
    });
    let decorated = test_def.and_then(|d| {
        lines
            .iter()
            .take(d)
            .rev()
            .take_while(|l| l.trim_start().starts_with('@'))
            .find(|l| l.contains("skipif(") && reads_env(l))
            .map(|l| l.to_string())
    });
    let condition = module_skip.or(decorated)?;
    let name = condition
        .split(['"', '\''])
        .nth(1)
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or("an environment variable");
    Some(name.to_string())
}

/// The unconditional skip on the test at `line` or on its class (`@skip`,
/// `@unittest.skip("…")`, `@pytest.mark.skip(…)`, not `skipif`): the test never runs.
fn always_skipped(text: &str, line: u32) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let at = usize::try_from(line).ok()?.checked_sub(1)?;
    let indent = |l: &str| l.len() - l.trim_start().len();
    // The function holding the call, which must be a test.
    let test_def = lines.iter().take(at + 1).rposition(|l| {
        let t = l.trim_start();
        t.starts_with("def ") || t.starts_with("async def ")
    })?;
    let header = lines.get(test_def)?.trim_start();
    if !(header.starts_with("def test") || header.starts_with("async def test")) {
        return None;
    }
    let class_def = lines.get(test_def).and_then(|d| {
        let inner = indent(d);
        lines
            .iter()
            .take(test_def)
            .rposition(|l| l.trim_start().starts_with("class ") && indent(l) < inner)
    });
    let skip = |def: usize| {
        lines
            .iter()
            .take(def)
            .rev()
            .take_while(|l| l.trim_start().starts_with('@'))
            .map(|l| l.trim())
            .find(|l| {
                let d = l.trim_start_matches('@');
                d == "skip"
                    || d.starts_with("skip(")
                    || d.starts_with("unittest.skip(")
                    || d == "unittest.skip"
                    || d.starts_with("pytest.mark.skip(")
                    || d == "pytest.mark.skip"
            })
            .map(str::to_string)
    };
    skip(test_def).or_else(|| class_def.and_then(skip))
}

/// The helper function holding the call at `line`, when it is neither a test nor a
/// fixture and no file of the repository names it again: code that never runs.
fn uncalled_helper(cx: &Context<'_>, text: &str, line: u32) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let at = usize::try_from(line).ok()?.checked_sub(1)?;
    let def = lines.iter().take(at + 1).rposition(|l| {
        let t = l.trim_start();
        t.starts_with("def ") || t.starts_with("async def ")
    })?;
    let header = lines.get(def)?.trim_start();
    let name: String = header
        .trim_start_matches("async ")
        .trim_start_matches("def ")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let decorated = lines
        .iter()
        .take(def)
        .rev()
        .take_while(|l| l.trim_start().starts_with('@'))
        .count()
        > 0;
    // Tests, fixtures and the hooks a framework calls by convention (`setUp`,
    // `setup_method`, `pytest_configure`, dunders).
    let hook = name.starts_with("pytest_")
        || name.starts_with("__")
        || [
            "setUp",
            "tearDown",
            "setUpClass",
            "tearDownClass",
            "setUpTestData",
            "asyncSetUp",
            "asyncTearDown",
            "setUpModule",
            "tearDownModule",
            "setup_method",
            "teardown_method",
            "setup_class",
            "teardown_class",
            "setup_module",
            "teardown_module",
            "setup_function",
            "teardown_function",
            "runTest",
        ]
        .contains(&name.as_str());
    if name.is_empty() || name.starts_with("test") || decorated || hook {
        return None;
    }
    let mentions: usize = cx
        .inventory
        .files
        .iter()
        .filter(|f| f.path.ends_with(".py"))
        .filter_map(|f| f.text())
        .map(|t| {
            t.match_indices(name.as_str())
                .filter(|(i, _)| {
                    let before = t.get(..*i).and_then(|b| b.chars().next_back());
                    let after = t.get(i + name.len()..).and_then(|a| a.chars().next());
                    !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                        && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                })
                .count()
        })
        .sum();
    (mentions <= 1).then_some(name)
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let tests: Vec<PyRef<'_>> = python::files(cx)
        .filter(|f| f.role == Role::Test && !f.py.test_calls.is_empty())
        .collect();
    if tests.is_empty() {
        return Outcome::not_applicable("no Python test code calling the project");
    }
    let parsed: HashMap<usize, &PyFile> = python::files(cx).map(|f| (f.index, f.py)).collect();
    let mut checked = 0usize;
    // (test path, line, callee, reason, def path, def line)
    let mut found: Vec<(String, u32, String, String, String, u32)> = Vec::new();
    for f in &tests {
        let map = targets(cx, f);
        if map.is_empty() {
            continue;
        }
        for call in &f.py.test_calls {
            let reached = match map.get(&call.callee) {
                Some(Target::Name(file, name)) => Some((*file, name.clone())),
                Some(Target::Module(_)) => None,
                None => call
                    .callee
                    .rsplit_once('.')
                    .and_then(|(head, last)| match map.get(head) {
                        Some(Target::Module(file)) => Some((*file, last.to_string())),
                        _ => None,
                    }),
            };
            let Some((file, name)) = reached else {
                continue;
            };
            let Some(py) = parsed.get(&file) else {
                continue;
            };
            let Some((function, is_init)) = definition(py, &name) else {
                continue;
            };
            checked += 1;
            if let Some(reason) = mismatch(call, function, is_init) {
                let def_path = cx
                    .inventory
                    .files
                    .get(file)
                    .map(|t| t.path.clone())
                    .unwrap_or_default();
                found.push((
                    f.path().to_string(),
                    call.line,
                    name,
                    reason,
                    def_path,
                    function.line,
                ));
            }
        }
    }
    // What the test run already reports as a blocker is one finding there, not two.
    let before = found.len();
    found.retain(|f| {
        !super::confirmed_by_run(cx, &[BlockerKind::SignatureMismatch], &f.0, |s| {
            s.rsplit('.').next() == Some(f.2.as_str())
        })
    });
    let confirmed = before - found.len();
    if found.is_empty() && confirmed > 0 {
        return Outcome::fail(format!(
            "{} confirmed by the test run (see tests.run)",
            plural(
                confirmed,
                "call with the wrong signature",
                "calls with the wrong signature"
            )
        ));
    }
    if found.is_empty() {
        if checked == 0 {
            return Outcome::pass("no test calls a project function directly");
        }
        return Outcome::pass(format!(
            "all {} to project functions fit their signatures",
            plural(checked, "test call", "test calls")
        ));
    }
    let files: std::collections::BTreeSet<&str> = found.iter().map(|f| f.0.as_str()).collect();
    let mut outcome = Outcome::scored(
        (1.0 - found.len() as f64 / checked.max(1) as f64).min(0.6),
        format!(
            "{} of {} to project functions do not fit the current signature ({})",
            found.len(),
            plural(checked, "test call", "test calls"),
            plural(files.len(), "test file", "test files")
        ),
    );
    for (path, line, name, reason, def_path, def_line) in found.iter().take(20) {
        // A test that runs only when a developer sets a variable (an API key) breaks
        // no one's build: it rots unseen until someone opts in.
        let text = cx.inventory.file(path).and_then(|f| f.text());
        let opt_in = text.and_then(|text| opt_in_variable(text, *line));
        let skipped = text.and_then(|text| always_skipped(text, *line));
        let unused = text.and_then(|text| uncalled_helper(cx, text, *line));
        let (severity, note) = match (&skipped, &opt_in) {
            _ if unused.is_some() => (
                Severity::P3,
                format!(
                    " It is in `{}`, a helper that no test calls: dead code to fix or delete.",
                    unused.as_deref().unwrap_or("")
                ),
            ),
            (Some(decorator), _) => (
                Severity::P3,
                format!(
                    " The test is skipped unconditionally (`{decorator}`), so it never runs: the call rots unseen until someone removes the skip."
                ),
            ),
            (None, Some(var)) => (
                Severity::P2,
                format!(
                    " The test runs only when `{var}` is set, so CI without it never shows the failure."
                ),
            ),
            (None, None) => (def.severity, String::new()),
        };
        outcome = outcome.concern_at(
            def,
            severity,
            format!("{path}:{line} calls {name}() with arguments it no longer accepts"),
            format!(
                "{path}:{line} calls `{name}`, which {reason} (defined at {def_path}:{def_line}): the test fails with TypeError before it asserts anything.{note}"
            ),
            vec![cx.at(path, *line), cx.at(def_path, *def_line)],
        );
    }
    if found.len() > 20 {
        outcome
            .summary
            .push_str(&format!(" (20 listed, {} more)", found.len() - 20));
    }
    outcome
}
