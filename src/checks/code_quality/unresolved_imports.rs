//! Judges whether every internal Python import reaches a module that exists in the
//! repository.

use std::collections::HashMap;

use crate::analyze::python::{ImportClass, ImportGuard};
use crate::checks::python::{self, Role};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "code-quality.unresolved-imports",
        category: Category::CodeQuality,
        title: "Internal imports resolve",
        summary: "Every import of the project's own modules (absolute or relative) reaches a file in the repository; imports guarded by `try/except ImportError` or `TYPE_CHECKING` are exempt. Modules the build makes are not missing: a compiled extension (maturin, scikit-build, meson, or a setup.py `Extension(\"name\", …)` beside its C, C++ or CUDA sources), `protoc` output (`*_pb2`, `*_pb2_grpc`) that the ignore rules exclude or that a build recipe of the repository (a Makefile, a script, a Dockerfile, CI, `buf.gen.yaml`) generates from its `.proto` files, and a sibling project's distribution that the importing project's own manifest declares.",
        weight: 2.0,
        severity: Severity::P0,
        by_kind: None,
        effort: Effort::S,
        rationale: "An import of a module that does not exist raises ModuleNotFoundError the moment the importing module loads: the feature behind it is dead, and so is every test that touches it. It usually means a file was renamed or deleted without updating its callers, or never committed.",
        remediation: "Restore or commit the missing module, or update the import to where the code now lives. If the module is generated at build time, name it in the build configuration (e.g. `version_file` in pyproject.toml) so the omission is deliberate.",
        action: "Restore the missing modules or fix the imports that point at them",
        risk: "Import failure at run time",
    },
    evaluate,
};

/// Fixture files inside a test tree are test data (often broken on purpose): two
/// levels below production code.
fn weigh(f: &python::PyRef<'_>, severity: Severity) -> Severity {
    // A Django management command is loaded when someone runs it (`manage.py
    // name`), never when the application starts.
    let command = f.path().contains("/management/commands/");
    let severity = if command {
        severity.max(Severity::P2)
    } else {
        severity
    };
    let in_tests = f
        .path()
        .split('/')
        .any(|seg| matches!(seg, "test" | "tests" | "testdata" | "test_data"));
    // An example that does not load fails the reader who copies it, not a deployment
    // (`examples/python/…` snippets generated from an SDK's own examples).
    if f.role == Role::Example && in_tests {
        Role::Test.weigh(Role::Test.weigh(severity))
    } else if f.role == Role::Example {
        f.role.weigh(f.role.weigh(severity))
    } else {
        f.role.weigh(severity)
    }
}

/// Whether a module's docstring opens by saying it is not implemented yet
/// (`"""NOT YET IMPLEMENTED`): a draft its authors keep out of use.
fn declared_unimplemented(f: &python::PyRef<'_>) -> bool {
    let Some(text) = f.file.text() else {
        return false;
    };
    let Some(first) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return false;
    };
    let Some(doc) = ["\"\"\"", "'''"].iter().find_map(|q| first.strip_prefix(q)) else {
        return false;
    };
    let lower = doc.to_ascii_lowercase();
    ["not yet implemented", "not implemented yet"]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// Whether a module can never have been imported: a relative import climbs above
/// every directory it sits in (`from ....celeryconf import app` three directories
/// deep), which Python refuses whatever loads it. Nothing running uses such a module.
fn never_importable(f: &python::PyRef<'_>) -> bool {
    let dirs = f.path().matches('/').count();
    f.role == Role::Production
        && f.py
            .imports
            .iter()
            .any(|i| i.guard == ImportGuard::None && usize::from(i.level) > dirs)
}

/// Names of the Python extension modules the repository's Rust code builds
/// (`#[pymodule] fn redwood`, pyo3 and maturin): a compiled module a build step puts
/// beside the Python files, which no `.py` file stands for.
fn extension_modules(cx: &Context<'_>) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for f in cx.inventory.files.iter().filter(|f| f.lang() == "rust") {
        let Some(text) = f.text() else { continue };
        if !text.contains("#[pymodule") {
            continue;
        }
        let mut after = false;
        for l in text.lines() {
            let t = l.trim();
            if t.starts_with("#[pymodule") {
                after = true;
                continue;
            }
            if after && !t.starts_with("#[") {
                let name = t
                    .trim_start_matches("pub ")
                    .strip_prefix("fn ")
                    .and_then(|rest| rest.split(['(', '<', ' ']).next());
                if let Some(name) = name.filter(|n| !n.is_empty()) {
                    out.insert(name.to_string());
                }
                after = false;
            }
        }
    }
    out
}

/// Where Dockerfiles and shell scripts copy Python files (`cp docker/config.py
/// settings/config.py`, `COPY docker/config.py /app/settings/`): source → destinations.
/// Read once per evaluation.
fn copied_python_files(cx: &Context<'_>) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let copiers = cx.inventory.files.iter().filter(|f| {
        crate::analyze::container::is_dockerfile(f.name()) || f.name().ends_with(".sh")
    });
    for line in copiers
        .filter_map(|f| f.text())
        .flat_map(|text| text.lines())
        .filter(|l| l.contains(".py"))
    {
        // Each command of the line: `cp`, `mv`, `install`, `COPY` or `ADD` with the
        // file as its last source and the destination last.
        for command in line.split([';', '&', '|']) {
            let words: Vec<&str> = command
                .split_whitespace()
                .filter(|w| !w.starts_with('-'))
                .collect();
            let copies = words.iter().take(2).any(|w| {
                matches!(*w, "cp" | "mv" | "install")
                    || w.eq_ignore_ascii_case("copy")
                    || w.eq_ignore_ascii_case("add")
            });
            if !copies {
                continue;
            }
            if let [.., src, dest] = words.as_slice() {
                if src.ends_with(".py") {
                    out.entry(src.trim_start_matches("./").to_string())
                        .or_default()
                        .push(dest.to_string());
                }
            }
        }
    }
    out
}

/// Whether a relative import resolves where an image build copies the file
/// (`cp docker/config.py settings/config.py` in a Dockerfile, then `from .common
/// import *` finds `settings/common.py`): the file runs there, not where it is kept.
fn resolved_where_copied(
    cx: &Context<'_>,
    copies: &HashMap<String, Vec<String>>,
    path: &str,
    imp: &crate::analyze::python::PyImport,
) -> bool {
    if imp.level == 0 {
        return false;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some(destinations) = copies.get(path) else {
        return false;
    };
    destinations.iter().any(|dest| {
        let dest = if dest.ends_with('/') {
            format!("{dest}{name}")
        } else {
            dest.clone()
        };
        // `/app/settings/config.py` in the image: the repository's `settings/`, found by
        // dropping leading directories until one exists.
        let parts: Vec<&str> = dest
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        (0..parts.len()).any(|skip| {
            let kept: Vec<&str> = parts.iter().skip(skip).copied().collect();
            let Some((_, dirs)) = kept.split_last() else {
                return false;
            };
            let up = usize::from(imp.level).saturating_sub(1);
            if up > dirs.len() {
                return false;
            }
            let mut base: Vec<&str> = dirs.iter().take(dirs.len() - up).copied().collect();
            base.extend(imp.module.split('.').filter(|m| !m.is_empty()));
            let module = base.join("/");
            !module.is_empty()
                && (cx.inventory.file(&format!("{module}.py")).is_some()
                    || cx
                        .inventory
                        .file(&format!("{module}/__init__.py"))
                        .is_some())
        })
    })
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    if !python::any(cx) {
        return Outcome::not_applicable("no Python files");
    }
    let project = &cx.facts.python;
    // Packages the manifests declare are installed (`kanidm = { path = "../pykanidm" }`),
    // not looked up in this tree.
    let normal = |n: &str| n.to_ascii_lowercase().replace('-', "_");
    let declared: std::collections::HashSet<String> = cx
        .facts
        .manifests
        .iter()
        .flat_map(|m| m.dependencies.iter())
        .map(|d| normal(&d.name))
        .collect();
    let installed = |imp: &crate::analyze::python::PyImport| {
        imp.level == 0
            && imp
                .module
                .split('.')
                .next()
                .is_some_and(|top| declared.contains(&normal(top)))
    };
    let extensions = extension_modules(cx);
    let copies = copied_python_files(cx);
    let mut internal = 0usize;
    let mut missing = Vec::new();
    for f in python::files(cx).filter(|f| f.role != Role::Test) {
        for c in project.imports_of(f.index) {
            let Some(imp) = f.py.imports.get(c.import) else {
                continue;
            };
            match &c.class {
                ImportClass::Internal { .. } | ImportClass::Sibling { .. } => internal += 1,
                ImportClass::Unresolved {
                    missing: m,
                    looked_for,
                } => {
                    internal += 1;
                    if matches!(
                        imp.guard,
                        ImportGuard::TryExcept | ImportGuard::TypeChecking
                    ) || installed(imp)
                        || imp
                            .module
                            .rsplit('.')
                            .next()
                            .is_some_and(|last| extensions.contains(last))
                    {
                        continue;
                    }
                    if resolved_where_copied(cx, &copies, f.path(), imp) {
                        continue;
                    }
                    missing.push((f, imp, m.clone(), looked_for.clone()));
                }
                _ => {}
            }
        }
    }
    // `from module import name` where the module exists but lacks the name.
    let mut absent_names = Vec::new();
    for m in &project.missing_names {
        let Some(f) = python::files(cx).find(|f| f.index == m.file) else {
            continue;
        };
        if f.role == Role::Test {
            continue;
        }
        let Some(imp) = f.py.imports.get(m.import) else {
            continue;
        };
        if matches!(
            imp.guard,
            ImportGuard::TryExcept | ImportGuard::TypeChecking
        ) {
            continue;
        }
        let module = cx
            .inventory
            .files
            .get(m.module_file)
            .map(|t| t.path.as_str())
            .unwrap_or("");
        absent_names.push((f, imp, m.name.clone(), module.to_string()));
    }
    if missing.is_empty() && absent_names.is_empty() {
        return Outcome::pass(format!(
            "all {} resolve",
            plural(internal, "internal import", "internal imports")
        ));
    }
    missing.sort_by(|a, b| (a.0.role, a.0.path(), a.1.line).cmp(&(b.0.role, b.0.path(), b.1.line)));
    let production = missing
        .iter()
        .map(|m| m.0.role)
        .chain(absent_names.iter().map(|m| m.0.role))
        .filter(|r| *r == Role::Production)
        .count();
    let score = if production > 0 { 0.0 } else { 0.5 };
    let mut outcome = Outcome::scored(
        score,
        format!(
            "{} of {} reach no file or name ({production} in production code)",
            plural(missing.len() + absent_names.len(), "import", "imports"),
            plural(internal, "internal import", "internal imports")
        ),
    );
    for (f, imp, name, module) in absent_names.iter().take(20) {
        let draft = declared_unimplemented(f);
        let severity = if draft {
            Severity::P2
        } else if imp.guard == ImportGuard::None {
            def.severity
        } else {
            Severity::P1
        };
        outcome = outcome.concern_at(
            def,
            weigh(f, severity),
            format!(
                "{} imports `{name}`, which {module} does not define{}",
                f.path(),
                f.role.suffix()
            ),
            format!(
                "{}:{} imports `{name}` from {module}, which neither defines, assigns nor imports that name: ImportError when the import runs.{}",
                f.path(),
                imp.line,
                if draft {
                    " Its docstring says the module is not implemented yet, so it is a draft kept out of use: fix the import before it is wired in."
                } else {
                    ""
                }
            ),
            vec![cx.at(f.path(), imp.line)],
        );
    }
    for (f, imp, module, looked_for) in missing.iter().take(20) {
        let dead = never_importable(f);
        let severity = match imp.guard {
            // Broken beyond repair: nothing can be running it.
            ImportGuard::None if dead => Severity::P2,
            ImportGuard::None => def.severity,
            // Only when the file is run as a script: the module's importers never
            // reach it.
            ImportGuard::Main => Severity::P2,
            // Executed only when a function runs or a condition holds.
            _ => Severity::P1,
        };
        let when = if dead {
            "if anything imports it, though it cannot load anyway: one of its relative imports climbs above its top-level package, so it is dead code"
        } else {
            match imp.guard {
                ImportGuard::Function => "when the enclosing function runs",
                ImportGuard::Main => "when the file is run as a script",
                ImportGuard::Conditional => "when the enclosing condition holds",
                _ => "when the module loads",
            }
        };
        outcome = outcome.concern_at(
            def,
            weigh(f, severity),
            format!("{} imports missing module {module}{}", f.path(), f.role.suffix()),
            format!(
                "{}:{} imports `{module}`, but the repository has no {looked_for}: ModuleNotFoundError {when}.",
                f.path(),
                imp.line
            ),
            vec![cx.at(f.path(), imp.line)],
        );
    }
    if missing.len() > 20 {
        outcome
            .summary
            .push_str(&format!(" (20 listed, {} more)", missing.len() - 20));
    }
    outcome
}
