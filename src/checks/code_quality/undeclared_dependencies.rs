//! Judges whether every third-party package the Python code imports is declared in a
//! manifest (import names mapped to distributions, `yaml` → PyYAML).

use crate::analyze::python::DependencyUse;
use crate::checks::python::{self, Role};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, ProjectKind, Severity, Status, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "code-quality.undeclared-dependencies",
        category: Category::CodeQuality,
        title: "Imported packages are declared",
        summary: "Every third-party package production code imports is declared in a manifest (pyproject.toml, requirements*.txt, setup.cfg/setup.py, Pipfile). A missing one is P1 when a lock file (uv.lock, poetry.lock, Pipfile.lock, pdm.lock, pylock.toml, or a pip-compile requirements file) records the whole install and does not hold it, and P2 when no lock file does, since a declared package may install it; optional imports guarded by `try/except ImportError` are exempt; imports made only by plugins that carry their own manifest (`manifest.yml` or `plugin.yml` with a name and a version), which their host installs, are P2; imports made only by packages that `setup.py` excludes from the distribution (`find_packages(exclude=[…])`) are P3, and so are imports of a tool made only by its plugins kept in a directory named for it with no `__init__.py` (`gitlint/`), and packages a Dockerfile or Makefile of the repository names (`Makefile-flashinfer`, `Dockerfile_intel`: a kernel built from source, a vendor's wheel), which the image or build that recipe makes installs. A distribution named for the import with a build's mark (`pyqrcode-binary`) declares it.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "A package the code imports but no manifest declares works on the developer's machine, where it happens to be installed, and fails with ModuleNotFoundError on a clean install: in the container build, in CI, for every user. Import names often differ from distribution names (`yaml` is PyYAML, `PIL` is Pillow), which is how such gaps survive review.",
        remediation: "Add each missing distribution to the runtime dependencies (`[project] dependencies` in pyproject.toml, or the requirements file the deployment installs), with a version range. Packages used only by tests belong in the test/dev group. If an import is genuinely optional, guard it with `try: … except ImportError:` and declare it as an extra.",
        action: "Declare every imported third-party package in the manifests",
        risk: "Install-time failure",
    },
    evaluate,
};

fn uses_evidence(cx: &Context<'_>, uses: &[(usize, u32)]) -> Vec<Evidence> {
    uses.iter()
        .take(3)
        .filter_map(|(file, line)| {
            let f = cx.inventory.files.get(*file)?;
            Some(cx.at(&f.path, *line))
        })
        .collect()
}

/// Directories that by convention hold optional parts of a package.
const OPTIONAL_DIRS: &[&str] = &[
    "adapters",
    "backend",
    "backends",
    "contrib",
    "ext",
    "extensions",
    "extras",
    "integrations",
    "optional",
    "plugins",
    // Helpers are loaded only by import: one that nothing imports is unused.
    "utils",
    "util",
    "helpers",
];

/// An import made only by modules no other module imports, inside a directory of
/// optional parts (`contrib/`, `backends/`, `plugins/`…) or anywhere in a library
/// (whose users import such modules only for the feature they bring): an optional
/// integration.
fn optional_module(cx: &Context<'_>, d: &DependencyUse) -> bool {
    let library = cx.kind == ProjectKind::Library;
    d.production_uses <= d.production.len()
        && d.production.iter().all(|(file, _)| {
            let leaf = cx.facts.python.fan_in.get(file).copied().unwrap_or(0) == 0;
            let optional_dir = cx.inventory.files.get(*file).is_some_and(|f| {
                f.path
                    .split('/')
                    .rev()
                    .skip(1)
                    .any(|seg| OPTIONAL_DIRS.contains(&seg))
            });
            let package = cx
                .inventory
                .files
                .get(*file)
                .is_some_and(|f| matches!(f.name(), "__init__.py" | "__main__.py"));
            leaf && !package && (optional_dir || library)
        })
}

fn names(d: &DependencyUse) -> String {
    d.distributions.join(" or ")
}

/// Whether every production use of a dependency is in a database migration.
fn in_migrations(cx: &Context<'_>, d: &DependencyUse) -> bool {
    !d.production.is_empty()
        && d.production.iter().all(|(index, _)| {
            cx.inventory
                .files
                .get(*index)
                .is_some_and(|f| python::is_migration(&f.path))
        })
}

/// Package patterns a `setup.py` beside the code leaves out of the distribution
/// (`find_packages(exclude=["docs*", "kiwi_lint*"])`): (the setup.py's directory, the
/// patterns).
fn packaging_exclusions(cx: &Context<'_>) -> Vec<(String, Vec<String>)> {
    cx.inventory
        .files
        .iter()
        .filter(|f| f.name() == "setup.py")
        .filter_map(|f| {
            let text = f.text()?;
            let start = text
                .find("find_packages(")
                .or_else(|| text.find("find_namespace_packages("))?;
            let rest = text.get(start..)?;
            let list = rest.get(rest.find("exclude")?..)?;
            let open = list.find(['[', '('])?;
            let close = list.find([']', ')'])?;
            let inner = list.get(open + 1..close)?;
            let patterns: Vec<String> = inner
                .split(',')
                .map(|p| p.trim().trim_matches(['"', '\'']).to_string())
                .filter(|p| {
                    !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || "_.*".contains(c))
                })
                .collect();
            let dir = f.path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
            (!patterns.is_empty()).then_some((dir, patterns))
        })
        .collect()
}

/// Whether a file's top-level package (below the setup.py's directory) matches one of
/// the excluded patterns: `kiwi_lint*` matches `kiwi_lint/datetime.py`.
fn excluded_from_package(path: &str, exclusions: &[(String, Vec<String>)]) -> bool {
    exclusions.iter().any(|(dir, patterns)| {
        let rel = if dir.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(dir.as_str())
                .and_then(|r| r.strip_prefix('/'))
        };
        let Some((top, _)) = rel.and_then(|r| r.split_once('/')) else {
            return false;
        };
        patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => top.starts_with(prefix.trim_end_matches('.')),
            None => top == p,
        })
    })
}

/// Whether every production use of a dependency is in a package `setup.py` leaves out
/// of the distribution (a lint plugin, docs tooling): code that never ships.
fn in_unpackaged(
    cx: &Context<'_>,
    d: &DependencyUse,
    exclusions: &[(String, Vec<String>)],
) -> bool {
    !exclusions.is_empty()
        && !d.production.is_empty()
        && d.production.iter().all(|(index, _)| {
            cx.inventory
                .files
                .get(*index)
                .is_some_and(|f| excluded_from_package(&f.path, exclusions))
        })
}

/// Whether every production use of a dependency is in a command-line script run by
/// hand (maintainer tooling), not in code a service or package imports.
fn in_cli_scripts(cx: &Context<'_>, d: &DependencyUse) -> bool {
    !d.production.is_empty()
        && d.production.iter().all(|(index, _)| {
            python::files(cx)
                .find(|f| f.index == *index)
                .is_some_and(|f| crate::checks::security::sites::is_cli_script(&f))
        })
}

/// Directories Ansible loads plugins and modules from.
const ANSIBLE_PLUGIN_DIRS: &[&str] = &[
    "action_plugins",
    "callback_plugins",
    "filter_plugins",
    "library",
    "lookup_plugins",
    "module_utils",
    "modules",
    "plugins",
];

/// Whether `ansible` (or its collections) is imported only by plugins and modules
/// Ansible itself loads, from a directory of an Ansible tree: the program that runs
/// them provides the package.
fn ansible_provided(cx: &Context<'_>, d: &DependencyUse) -> bool {
    matches!(d.import.as_str(), "ansible" | "ansible_collections")
        && !d.production.is_empty()
        && d.production.iter().all(|(index, _)| {
            cx.inventory.files.get(*index).is_some_and(|f| {
                let dirs: Vec<&str> = f.path.split('/').rev().skip(1).collect();
                dirs.iter().any(|s| ANSIBLE_PLUGIN_DIRS.contains(s))
                    && dirs.iter().any(|s| s.contains("ansible"))
            })
        })
}

/// Whether every production file importing `d` sits in a directory named for it with
/// no `__init__.py` (`gitlint/gitlint_emoji.py` importing `gitlint.rules`): plugins a
/// tool loads from a path, which the tool running them provides.
fn tool_plugins(cx: &Context<'_>, d: &DependencyUse) -> bool {
    !d.production.is_empty()
        && d.production.iter().all(|(index, _)| {
            cx.inventory.files.get(*index).is_some_and(|f| {
                let dir = f.dir();
                dir.rsplit('/').next() == Some(d.import.as_str())
                    && cx.inventory.file(&format!("{dir}/__init__.py")).is_none()
            })
        })
}

/// Manifests of a plugin or applet that another program installs and runs where it
/// is deployed (a name and a version of its own).
const PLUGIN_MANIFESTS: &[&str] = &["manifest.yml", "manifest.yaml", "plugin.yml", "plugin.yaml"];

/// The plugin manifest of the directory holding a file or one above it, below the
/// project's root: `apps/terminal/applets/chrome/manifest.yml` with `name:` and
/// `version:`.
fn plugin_manifest<'a>(cx: &Context<'a>, path: &str) -> Option<&'a str> {
    let mut dir = path.rsplit_once('/').map(|(d, _)| d)?;
    loop {
        let found = PLUGIN_MANIFESTS.iter().find_map(|m| {
            let f = cx.inventory.file(&format!("{dir}/{m}"))?;
            let text = f.text()?;
            let key = |k: &str| text.lines().any(|l| l.starts_with(k));
            (key("name:") && key("version:")).then_some(f.path.as_str())
        });
        if found.is_some() {
            return found;
        }
        dir = dir.rsplit_once('/').map(|(d, _)| d)?;
    }
}

/// Whether every production use of a dependency is inside plugins with their own
/// manifest: the plugin's host installs what it needs, not the project's environment.
fn in_plugins<'a>(cx: &Context<'a>, d: &DependencyUse) -> Option<&'a str> {
    let mut first = None;
    for (index, _) in &d.production {
        let manifest = cx
            .inventory
            .files
            .get(*index)
            .and_then(|f| plugin_manifest(cx, &f.path))?;
        first.get_or_insert(manifest);
    }
    first
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let outcome = third_party(cx);
    siblings(cx, outcome)
}

/// Packages of other projects of the repository that production code imports without
/// its project declaring them: they import in development, where the whole repository
/// is on the path, and fail in the project's own image or install.
fn siblings(cx: &Context<'_>, mut outcome: Outcome) -> Outcome {
    let def = &CHECK.def;
    let undeclared: Vec<_> = cx
        .facts
        .python
        .siblings
        .iter()
        .filter(|u| !u.declared)
        .collect();
    if undeclared.is_empty() {
        return outcome;
    }
    if outcome.status == Status::Pass || outcome.status == Status::NotApplicable {
        outcome.status = Status::Partial;
        outcome.score = Some(0.75);
    }
    outcome.summary = format!(
        "{}; {} of another project imported without declaring it",
        outcome.summary,
        plural(undeclared.len(), "package", "packages")
    );
    for u in undeclared.iter().take(10) {
        let (Some(file), Some(provider)) = (
            cx.inventory.files.get(u.file),
            cx.facts.projects.get(u.provider),
        ) else {
            continue;
        };
        let importer = u
            .from
            .and_then(|i| cx.facts.projects.get(i))
            .map(|p| format!("project `{}`", p.display()))
            .unwrap_or_else(|| "this code".into());
        outcome = outcome.concern_at(
            def,
            Severity::P2,
            format!(
                "`{}` comes from project `{}`, which {importer} does not declare",
                u.import,
                provider.display()
            ),
            format!(
                "{}:{} imports `{}`, the package of project `{}` ({}), but no manifest of {importer} declares it (by the name `{}` or a path requirement): it imports in a checkout of the whole repository and fails wherever {importer} is installed or built on its own.",
                file.path,
                u.line,
                u.import,
                provider.display(),
                provider.markers.join(", "),
                provider.name
            ),
            vec![cx.at(&file.path, u.line)],
        );
    }
    outcome
}

/// Python that is a small part of a project in another language (helper, generator
/// and tutorial scripts of a Rust or Go service): not what ships.
fn helper_scripts(cx: &Context<'_>) -> bool {
    let python_lines: usize = python::files(cx)
        .filter(|f| f.role == Role::Production)
        .map(|f| f.file.lines.code)
        .sum();
    python_lines * 5 < cx.production_lines()
}

/// Whether every production file importing `d` lies outside the directory of every
/// Python manifest (a tutorial script beside a Rust workspace whose only Python
/// manifests belong to its test suites).
fn unowned(cx: &Context<'_>, d: &DependencyUse) -> bool {
    let dirs: Vec<&str> = cx
        .facts
        .manifests
        .iter()
        .filter(|m| m.ecosystem == crate::analyze::catalog::Ecosystem::Python)
        .map(|m| m.path.rsplit_once('/').map_or("", |(dir, _)| dir))
        .collect();
    !d.production.is_empty()
        && d.production.iter().all(|(file, _)| {
            cx.inventory.files.get(*file).is_some_and(|f| {
                !dirs
                    .iter()
                    .any(|dir| dir.is_empty() || f.path.starts_with(&format!("{dir}/")))
            })
        })
}

fn third_party(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    if !python::any(cx) {
        return Outcome::not_applicable("no Python files");
    }
    let project = &cx.facts.python;
    let used: Vec<&DependencyUse> = project.dependencies.iter().collect();
    let production: Vec<&DependencyUse> = used
        .iter()
        .copied()
        .filter(|d| d.production_uses > 0)
        .collect();
    if used.is_empty() {
        return Outcome::pass("no third-party imports");
    }
    if !project.declares_dependencies {
        let required: Vec<&DependencyUse> =
            production.iter().copied().filter(|d| !d.optional).collect();
        if required.is_empty() {
            return Outcome::pass(
                "no manifest, and production code imports no third-party package unguarded",
            );
        }
        let list: Vec<&str> = required.iter().map(|d| d.import.as_str()).collect();
        let mut evidence = vec![Evidence::absent(
            "pyproject.toml, requirements*.txt, setup.cfg, setup.py, Pipfile",
            cx.scope(),
        )];
        for d in required.iter().take(5) {
            evidence.extend(uses_evidence(cx, &d.production).into_iter().take(1));
        }
        let severity = if helper_scripts(cx) {
            Severity::P3
        } else {
            def.severity
        };
        return Outcome::fail(format!(
            "no Python manifest declares dependencies; production code imports {}",
            plural(required.len(), "third-party package", "third-party packages")
        ))
        .concern_at(
            def,
            severity,
            "No manifest declares the Python dependencies",
            format!(
                "Production code imports {} ({}), but no manifest declares any dependency: a clean install cannot run it.",
                plural(required.len(), "third-party package", "third-party packages"),
                list.join(", ")
            ),
            evidence,
        );
    }
    let missing: Vec<&DependencyUse> = production
        .iter()
        .copied()
        .filter(|d| d.declared.is_none() && !d.optional)
        .collect();
    let optional = production
        .iter()
        .filter(|d| d.declared.is_none() && d.optional)
        .count();
    // A published package does not ship the files that install test tools.
    let shipped = cx.facts.distribution.is_none();
    let test_only: Vec<&DependencyUse> = used
        .iter()
        .copied()
        .filter(|_| shipped)
        .filter(|d| {
            d.production_uses == 0 && d.test_uses > 0 && d.declared.is_none() && !d.mentioned
        })
        .collect();
    let optional_note = if optional > 0 {
        format!(
            "; {} optional (guarded) and undeclared",
            plural(optional, "import is", "imports are")
        )
    } else {
        String::new()
    };
    if missing.is_empty() && test_only.is_empty() && production.is_empty() {
        return Outcome::pass(format!(
            "production code imports no third-party package{optional_note}"
        ));
    }
    if missing.is_empty() && test_only.is_empty() {
        return Outcome::pass(format!(
            "all {} imported by production code are declared{optional_note}",
            plural(
                production.len(),
                "third-party package",
                "third-party packages"
            )
        ));
    }
    let exclusions = packaging_exclusions(cx);
    let helpers = helper_scripts(cx);
    let hard = missing
        .iter()
        .filter(|d| {
            let soft = (helpers && unowned(cx, d))
                || d.locked
                || d.lazy
                || d.recipe
                || optional_module(cx, d)
                || in_unpackaged(cx, d, &exclusions)
                || tool_plugins(cx, d);
            !soft
        })
        .count();
    let score = if hard == 0 {
        0.8
    } else {
        (1.0 - hard as f64 / production.len().max(1) as f64).min(0.4)
    };
    let mut summary = format!(
        "{} of {} imported by production code not declared",
        missing.len(),
        plural(
            production.len(),
            "third-party package",
            "third-party packages"
        )
    );
    if !test_only.is_empty() {
        summary.push_str(&format!(
            "; {} used only by tests not declared anywhere",
            plural(test_only.len(), "package", "packages")
        ));
    }
    summary.push_str(&optional_note);
    let mut outcome = Outcome::scored(score, summary);
    for d in missing.iter().take(20) {
        let places = plural(d.production_uses, "place", "places");
        let (severity, title, message) = if d.locked {
            let how = match &d.via {
                Some(via) => format!("{via}, which is declared, installs it"),
                None => "the lock file pins it for another package".to_string(),
            };
            (
                Severity::P3,
                format!("`{}` is imported but declared only transitively", d.import),
                format!(
                    "Production code imports `{}` in {places}; no manifest declares {}, and it is installed only because {how}. Declare what the code imports directly, or an upgrade of that package can remove it.",
                    d.import,
                    names(d)
                ),
            )
        } else if d.lazy {
            (
                Severity::P3,
                format!("`{}` is imported lazily but not declared", d.import),
                format!(
                    "Production code imports `{}` only where it runs on demand — inside functions, under `if __name__ == \"__main__\":`, or in modules every importer loads in a try block ({places}) — and no manifest declares {}: the code path that needs it fails with ModuleNotFoundError on a clean install. Declare it, as an extra if it is optional.",
                    d.import,
                    names(d)
                ),
            )
        } else if d.recipe {
            (
                Severity::P3,
                format!(
                    "`{}` is installed by a build recipe but not declared",
                    d.import
                ),
                format!(
                    "Production code imports `{}` ({places}); no manifest declares {}, but a Dockerfile or Makefile of the repository names it, so the image or build that recipe makes installs it (often a kernel built from source or a vendor's wheel). An install from the manifests alone lacks it: declare it as an extra, or say in the README which recipe provides it.",
                    d.import,
                    names(d)
                ),
            )
        } else if tool_plugins(cx, d) {
            (
                Severity::P3,
                format!(
                    "`{}` is imported by its own plugins but not declared",
                    d.import
                ),
                format!(
                    "`{}` is imported ({places}) only by files in a directory named for it with no `__init__.py`: plugins the `{}` tool loads from that path, and the tool that runs them provides it. Declare it with the development tools that run it.",
                    d.import, d.import
                ),
            )
        } else if ansible_provided(cx, d) {
            (
                Severity::P3,
                format!(
                    "`{}` is imported by Ansible plugins but not declared",
                    d.import
                ),
                format!(
                    "`{}` is imported ({places}) only by plugins and modules Ansible loads, and no manifest declares {}: the Ansible that runs them provides it. Pin the Ansible version they need with the playbooks' requirements.",
                    d.import,
                    names(d)
                ),
            )
        } else if in_unpackaged(cx, d, &exclusions) {
            (
                Severity::P3,
                format!("`{}` is imported but not declared (not packaged)", d.import),
                format!(
                    "`{}` is imported ({places}) only by packages that `setup.py` excludes from the distribution, and no manifest declares {}: the code does not ship, but whoever runs it needs it; declare it with the development requirements.",
                    d.import,
                    names(d)
                ),
            )
        } else if in_migrations(cx, d) {
            (
                Severity::P3,
                format!("`{}` is imported but not declared (migrations)", d.import),
                format!(
                    "`{}` is imported ({places}) only by database migrations, and no manifest declares {}: old migrations keep the imports of their day, and a fresh database runs them once. Squash the migrations or declare it.",
                    d.import,
                    names(d)
                ),
            )
        } else if in_cli_scripts(cx, d) {
            (
                Severity::P2,
                format!("`{}` is imported but not declared", d.import),
                format!(
                    "`{}` is imported ({places}) only by command-line scripts (a shebang and a main guard), and no manifest declares {}: whoever runs the script has to install it by hand. Declare it with the scripts' own requirements.",
                    d.import,
                    names(d)
                ),
            )
        } else if let Some(manifest) = in_plugins(cx, d) {
            (
                Severity::P2,
                format!("`{}` is imported but not declared (plugin)", d.import),
                format!(
                    "`{}` is imported ({places}) only by plugins that carry their own manifest ({manifest}) and are installed and run where their host deploys them, and no manifest declares {}: declare it with the plugin's own requirements so its host can install it.",
                    d.import,
                    names(d)
                ),
            )
        } else if optional_module(cx, d) {
            (
                Severity::P2,
                format!("`{}` is imported but not declared", d.import),
                format!(
                    "`{}` is imported ({places}) only by optional modules nothing else in the project imports, and no manifest declares {}: users who load that module get ModuleNotFoundError. Declare it as an extra.",
                    d.import,
                    names(d)
                ),
            )
        } else if helpers && unowned(cx, d) {
            (
                Severity::P3,
                format!(
                    "`{}` is imported but not declared (helper scripts)",
                    d.import
                ),
                format!(
                    "`{}` is imported ({places}) by Python that is a small part of a project written in another language (helper, generator or tutorial scripts), outside the directory of every Python manifest, and no manifest declares {}: whoever runs the scripts installs it by hand. Declare it in a requirements file beside them.",
                    d.import,
                    names(d)
                ),
            )
        } else if !d.install_recorded {
            (
                Severity::P2,
                format!("`{}` is imported but not declared", d.import),
                format!(
                    "Production code imports `{}` at module level ({places}), but no manifest declares {}, and no lock file records what a clean install holds: it may arrive only as the requirement of a declared package, which an upgrade of that package can remove, or not at all, and then the import fails with ModuleNotFoundError. Declare it.",
                    d.import,
                    names(d)
                ),
            )
        } else {
            (
                def.severity,
                format!("`{}` is imported but not declared", d.import),
                format!(
                    "Production code imports `{}` at module level ({places}), but no manifest declares {} and the lock file does not record it: a clean install fails with ModuleNotFoundError.",
                    d.import,
                    names(d)
                ),
            )
        };
        outcome = outcome.concern_at(
            def,
            severity,
            title,
            message,
            uses_evidence(cx, &d.production),
        );
    }
    for d in test_only.iter().take(10) {
        outcome = outcome.concern_at(
            def,
            Severity::P3,
            format!("`{}` is imported by tests but not declared (test code)", d.import),
            format!(
                "Tests import `{}` in {}, but neither a manifest nor tox/nox/CI configuration installs {}: the suite fails to collect on a fresh environment.",
                d.import,
                plural(d.test_uses, "place", "places"),
                names(d)
            ),
            uses_evidence(cx, &d.tests),
        );
    }
    outcome
}
