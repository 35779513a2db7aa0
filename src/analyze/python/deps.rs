//! Declared versus used dependencies: each third-party import is mapped to the
//! distributions that provide it (the name itself, or the `import_names.toml` table for
//! the names that differ, such as `yaml` → PyYAML) and compared with what the Python
//! manifests declare. Imports guarded by `try/except ImportError`, `if TYPE_CHECKING`
//! or a version check are optional.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::modules::{ClassifiedImport, ImportClass};
use super::{ImportGuard, PyFile};
use crate::analyze::catalog::Ecosystem;
use crate::analyze::manifest::Manifest;
use crate::analyze::projects::Projects;
use crate::repo::{FileKind, Inventory};

#[derive(Deserialize)]
struct NameTable {
    names: BTreeMap<String, Vec<String>>,
}

static NAMES: LazyLock<BTreeMap<String, Vec<String>>> = LazyLock::new(|| {
    toml::from_str::<NameTable>(include_str!("import_names.toml"))
        .map(|t| t.names)
        .unwrap_or_default()
});

#[derive(Deserialize)]
struct BringsTable {
    brings: BTreeMap<String, Vec<String>>,
}

static BRINGS: LazyLock<BTreeMap<String, Vec<String>>> = LazyLock::new(|| {
    toml::from_str::<BringsTable>(include_str!("transitive.toml"))
        .map(|t| t.brings)
        .unwrap_or_default()
});

/// The declared distribution that installs `top` with it, if one does.
/// Followed through what the distributions it brings bring in turn (celery brings
/// python-dateutil, which brings six), three levels deep.
fn brought_by<'a>(top: &str, declared: &'a [(String, String, u32)]) -> Option<&'a str> {
    declared.iter().find_map(|(name, _, _)| {
        let mut frontier = vec![name.clone()];
        let mut seen: std::collections::HashSet<String> = frontier.iter().cloned().collect();
        for _ in 0..3 {
            let mut next = Vec::new();
            for dist in &frontier {
                let Some(imports) = BRINGS.get(dist) else {
                    continue;
                };
                if imports.iter().any(|i| i == top) {
                    return Some(name.as_str());
                }
                for i in imports {
                    for d in distributions_for(i) {
                        let d = d.to_ascii_lowercase().replace('_', "-");
                        if BRINGS.contains_key(&d) && seen.insert(d.clone()) {
                            next.push(d);
                        }
                    }
                }
            }
            frontier = next;
        }
        None
    })
}

/// Distributions that may provide an import, best guess first.
pub fn distributions_for(module: &str) -> Vec<String> {
    let table = &*NAMES;
    let mut key = module;
    loop {
        if let Some(d) = table.get(key) {
            return d.clone();
        }
        match key.rsplit_once('.') {
            Some((k, _)) => key = k,
            None => break,
        }
    }
    let top = module.split('.').next().unwrap_or(module);
    let mut out = vec![top.to_string()];
    // Namespace packages: `google.cloud.storage` ships as google-cloud-storage.
    let parts: Vec<&str> = module.split('.').collect();
    for n in (2..=parts.len().min(3)).rev() {
        if let Some(p) = parts.get(..n) {
            out.push(p.join("-"));
        }
    }
    // An extension namespace (`flaskext.versioned`) ships as the framework's extension
    // of that name (Flask-Versioned).
    if let [ns, name, ..] = parts.as_slice() {
        if let Some(framework) = ns.strip_suffix("ext").filter(|f| f.len() >= 3) {
            out.push(format!("{framework}-{name}"));
        }
    }
    out
}

/// One third-party package the code imports.
#[derive(Debug, Clone, Serialize)]
pub struct DependencyUse {
    /// The project whose code imports it (its path, `.` for the root); `None` for
    /// code outside every project.
    pub project: Option<String>,
    /// Top-level import name (`yaml`, `google.cloud.storage` for namespaces).
    pub import: String,
    /// Distributions that would provide it.
    pub distributions: Vec<String>,
    /// Where a manifest declares it: (path, line).
    pub declared: Option<(String, u32)>,
    /// Named in test or task configuration (tox.ini, noxfile.py, CI workflows,
    /// Makefile) though not in a manifest.
    pub mentioned: bool,
    /// Production uses: (file index, line), first few.
    pub production: Vec<(usize, u32)>,
    pub production_uses: usize,
    /// Test and example uses: (file index, line), first few.
    pub tests: Vec<(usize, u32)>,
    pub test_uses: usize,
    /// Every production use is guarded (optional at run time).
    pub optional: bool,
    /// No production use runs at import time: each is inside a function, or in a
    /// module every importer loads in a try block (a lazy, often optional,
    /// integration).
    pub lazy: bool,
    /// A Python lock file pins it, or a declared distribution installs it: it arrives
    /// as another dependency's dependency.
    pub locked: bool,
    /// The declared distribution known to install it.
    pub via: Option<String>,
    /// Named by a build recipe (a Dockerfile or Makefile of the repository, such as
    /// `Makefile-flashinfer` or `Dockerfile_intel`): installed or built there, outside
    /// the manifests.
    pub recipe: bool,
    /// What a clean install holds is known: the repository has a lock file
    /// (`uv.lock`, `poetry.lock`, a pip-compile output …) recording every installed
    /// distribution, or every declared distribution's own requirements are known here.
    /// Otherwise a declared distribution whose requirements are not known may install
    /// it.
    pub install_recorded: bool,
}

const KEPT: usize = 5;

/// How one import of the project's own code loads a module.
enum Load {
    /// In a try block that handles the import failing.
    Optional,
    /// Inside the function of this name (lowercase).
    Hook(String),
    /// At import time, or in a function any start may call.
    Eager,
}

/// Most requirements files followed through `-r` includes from one project.
const MAX_INCLUDED: usize = 32;

/// What a project declares: (distribution, manifest, line), and its own names.
type Declared = (Vec<(String, String, u32)>, HashSet<String>);

/// Compares imports with declarations.
pub(super) fn build(
    inventory: &Inventory,
    projects: &Projects,
    python: &[(usize, &PyFile)],
    imports: &[ClassifiedImport],
    manifests: &[Manifest],
) -> Vec<DependencyUse> {
    let eco = Ecosystem::Python;
    // What each project declares: its own manifests, those of the projects that hold
    // it (a workspace root's) and those of the repository's images its Dockerfiles
    // start from. Code outside every project sees every manifest.
    let by_path: HashMap<&str, &Manifest> =
        manifests.iter().map(|m| (m.path.as_str(), m)).collect();
    let scope = |project: Option<usize>| -> Vec<&Manifest> {
        let Some(p) = project.and_then(|p| projects.get(p)) else {
            return manifests.iter().filter(|m| m.ecosystem == eco).collect();
        };
        let own: Vec<&Manifest> = manifests
            .iter()
            .filter(|m| m.ecosystem == eco)
            .filter(|m| {
                let dir = m.path.rsplit_once('/').map_or("", |(d, _)| d);
                projects
                    .project_of(&m.path)
                    .is_some_and(|holder| p.path == holder.path || holder.contains(&p.path))
                    // What the image it is built from installs.
                    || p.base_dirs.iter().any(|b| b == dir)
            })
            .collect();
        // Requirements files those include (`-r backend/requirements.txt`), and what
        // those include in turn.
        let mut included: Vec<&Manifest> = Vec::new();
        let mut seen: HashSet<&str> = own.iter().map(|m| m.path.as_str()).collect();
        let mut todo: Vec<&str> = own
            .iter()
            .flat_map(|m| m.includes.iter().take(MAX_INCLUDED).map(String::as_str))
            .collect();
        while let Some(path) = todo.pop() {
            if included.len() >= MAX_INCLUDED || !seen.insert(path) {
                continue;
            }
            if let Some(m) = by_path.get(path) {
                todo.extend(m.includes.iter().take(MAX_INCLUDED).map(String::as_str));
                included.push(m);
            }
        }
        own.into_iter().chain(included).collect()
    };
    let mut declared_by: HashMap<Option<usize>, Declared> = HashMap::new();
    // Each text is split into its words once; every import is then a set lookup.
    let (task, lock) = (task_text(inventory), lock_text(inventory));
    let recipe_text = recipe_text(inventory);
    let recipes = words(&recipe_text);
    let mentions = words(&task);
    let locks = words(&lock);
    let parsed: HashMap<usize, &PyFile> = python.iter().map(|(i, p)| (*i, *p)).collect();
    // How production code loads each of its own modules: files every importer loads
    // optionally (in a try block that handles the import failing) run their
    // module-level imports only when they can. Tests and examples load what they test.
    let mut loaded: HashMap<usize, Vec<Load>> = HashMap::new();
    for c in imports {
        let ImportClass::Internal { file } = c.class else {
            continue;
        };
        if file == usize::MAX
            || file == c.file
            || inventory
                .files
                .get(c.file)
                .is_none_or(|f| f.kind != FileKind::Source)
        {
            continue;
        }
        let Some((importer, import)) = parsed
            .get(&c.file)
            .and_then(|p| p.imports.get(c.import).map(|i| (*p, i)))
        else {
            continue;
        };
        let load = match import.guard {
            ImportGuard::TryExcept => Load::Optional,
            // An import inside a function may run on every start (`AppConfig.ready`, a
            // `main`); inside a hook named for a package
            // (`_jupyter_server_extension_points`), only that package calls it.
            ImportGuard::Function => importer
                .functions
                .iter()
                .filter(|f| f.line <= import.line && import.line <= f.end_line)
                .max_by_key(|f| f.line)
                .map_or(Load::Eager, |f| Load::Hook(f.name.to_ascii_lowercase())),
            _ => Load::Eager,
        };
        loaded.entry(file).or_default().push(load);
    }
    // Whether every load of `file` happens only when `top` can be imported.
    let on_demand = |file: usize, top: &str| {
        let top = top.to_ascii_lowercase();
        loaded.get(&file).is_some_and(|loads| {
            loads.iter().all(|l| match l {
                Load::Optional => true,
                Load::Hook(name) => top.len() >= 4 && name.contains(&top),
                Load::Eager => false,
            })
        })
    };
    let mut uses: BTreeMap<(Option<usize>, String), DependencyUse> = BTreeMap::new();
    // Each file's inline script metadata, read once.
    let mut inline_by_file: HashMap<usize, Vec<String>> = HashMap::new();
    for c in imports {
        let ImportClass::ThirdParty { top } = &c.class else {
            continue;
        };
        let Some(imp) = parsed.get(&c.file).and_then(|p| p.imports.get(c.import)) else {
            continue;
        };
        if imp.guard == ImportGuard::TypeChecking {
            continue;
        }
        let Some(file) = inventory.files.get(c.file) else {
            continue;
        };
        let project = projects.of(&file.path);
        let (declared, own) = declared_by.entry(project).or_insert_with(|| {
            let in_scope = scope(project);
            let declared: Vec<(String, String, u32)> = in_scope
                .iter()
                .flat_map(|m| {
                    m.dependencies
                        .iter()
                        .map(|d| (d.normalized.clone(), m.path.clone(), d.line))
                })
                .collect();
            let own: HashSet<String> = in_scope
                .iter()
                .filter_map(|m| m.name.as_deref().map(|n| eco.normalize(n)))
                .collect();
            (declared, own)
        });
        let (declared, own) = (&*declared, &*own);
        // `from google.cloud import storage` imports google.cloud.storage.
        let module = match imp.names.first() {
            Some(n) if NAMESPACES.contains(&top.as_str()) && imp.module.split('.').count() < 3 => {
                format!("{}.{n}", imp.module)
            }
            _ => imp.module.clone(),
        };
        let dists = distributions_for(&module);
        // A script that declares its own dependencies (PEP 723 `# /// script`): its
        // runner (`uv run`, `pipx run`) installs them.
        let inline = inline_by_file
            .entry(c.file)
            .or_insert_with(|| file.text().map(inline_dependencies).unwrap_or_default());
        if !inline.is_empty()
            && dists
                .iter()
                .chain(std::iter::once(top))
                .any(|d| inline.contains(&eco.normalize(d)))
        {
            continue;
        }
        let key = namespace_key(&module, top);
        let entry = uses.entry((project, key.clone())).or_insert_with(|| {
            let normalized: Vec<String> = dists.iter().map(|d| eco.normalize(d)).collect();
            // A namespace family (`opentelemetry-sdk` brings `opentelemetry-api`) is
            // declared by any of its members.
            let family = NAMESPACES
                .contains(&top.as_str())
                .then(|| format!("{}-", eco.normalize(top)));
            // Framework plug-ins ship under the framework's prefix (`django-crum`
            // installs `crum`, `python-dotenv` installs `dotenv`).
            let top_norm = eco.normalize(top);
            // Separators aside, too: `django-soft-delete` installs `django_softdelete`.
            let squash =
                |x: &str| -> String { x.chars().filter(|c| c.is_ascii_alphanumeric()).collect() };
            let top_squashed = squash(&top_norm);
            // Every word of a compound import inside the distribution's name
            // (`django_comments` from django-contrib-comments), and a `lib` suffix the
            // distribution leaves out (`redminelib` from python-redmine).
            let top_words: Vec<&str> = top_norm.split('-').collect();
            let lib_base = top_norm
                .strip_suffix("lib")
                .filter(|b| b.len() >= 4 && !b.contains('-'));
            let plugin = |n: &str| {
                let words: Vec<&str> = n.split('-').collect();
                let unprefixed = n
                    .strip_prefix("python-")
                    .or_else(|| n.strip_prefix("py-"))
                    .unwrap_or(n);
                (top_words.len() >= 2 && top_words.iter().all(|w| words.contains(w)))
                    || lib_base.is_some_and(|b| unprefixed == b)
                    || ["django-", "flask-", "python-", "py-", "pytest-", "sphinx-"]
                        .iter()
                        .any(|p| n.strip_prefix(p) == Some(top_norm.as_str()))
                    || n.strip_suffix("-python") == Some(top_norm.as_str())
                    || (top_squashed.len() >= 6 && squash(n) == top_squashed)
                    || fork_named(n, &top_squashed)
                    || vendor_named(n, &top_norm, &top_squashed)
                    || sdk_named(n, &top_norm)
            };
            let declared_at = declared
                .iter()
                .find(|(n, _, _)| {
                    normalized.contains(n)
                        || family.as_ref().is_some_and(|f| n.starts_with(f))
                        || plugin(n)
                })
                .map(|(_, p, l)| (p.clone(), *l));
            let mentioned =
                dists.iter().any(|d| mentions_word(&mentions, d)) || mentions_word(&mentions, top);
            let via = brought_by(top, declared).map(str::to_string);
            let recipe = dists.iter().any(|d| mentions_word(&recipes, d))
                || mentions_word(&recipes, top)
                || mentions_word(&recipes, &top.replace('_', "-"));
            let locked = via.is_some()
                || dists
                    .iter()
                    .any(|d| mentions_word(&locks, &eco.normalize(d)) || mentions_word(&locks, d))
                || locks
                    .iter()
                    .any(|w| vendor_named(w, &top_norm, &top_squashed));
            DependencyUse {
                project: project
                    .and_then(|p| projects.get(p))
                    .map(|p| p.display().to_string()),
                import: key.clone(),
                distributions: dists.clone(),
                declared: declared_at,
                mentioned,
                production: Vec::new(),
                production_uses: 0,
                tests: Vec::new(),
                test_uses: 0,
                optional: true,
                lazy: true,
                locked,
                via,
                recipe,
                install_recorded: !lock.is_empty()
                    || declared.iter().all(|(n, _, _)| BRINGS.contains_key(n)),
            }
        });
        if own.contains(&eco.normalize(top)) {
            // The project importing itself (an installed layout the map missed).
            entry.declared.get_or_insert((String::new(), 0));
        }
        if file.kind == FileKind::Source {
            entry.production_uses += 1;
            if entry.production.len() < KEPT {
                entry.production.push((c.file, imp.line));
            }
            match imp.guard {
                ImportGuard::TryExcept | ImportGuard::Conditional | ImportGuard::TypeChecking => {}
                ImportGuard::Function | ImportGuard::Main => entry.optional = false,
                ImportGuard::None => {
                    entry.optional = false;
                    if !on_demand(c.file, top) {
                        entry.lazy = false;
                    }
                }
            }
        } else {
            // Tests count where a runner collects them and the import is not guarded;
            // other files in a test tree are helpers or data, often broken on purpose.
            // Imports inside test functions often load modules the test itself writes.
            if !super::is_test_module(file.name())
                || matches!(
                    imp.guard,
                    ImportGuard::TryExcept | ImportGuard::Function | ImportGuard::Main
                )
            {
                continue;
            }
            entry.test_uses += 1;
            if entry.tests.len() < KEPT {
                entry.tests.push((c.file, imp.line));
            }
        }
    }
    uses.into_values().collect()
}

/// Whether the distribution `name` (normalized) is the import `top` (normalized, and
/// with separators dropped) under a vendor's or a framework's prefix:
/// `django-simple-captcha` installs `captcha`, `ipip-ipdb` `ipdb`, `pyhttpsig`
/// `httpsig`, `djangorestframework-bulk` `rest_framework_bulk`, `esdk-obs-python`
/// `obs`. Names of three letters or fewer match only a whole `-name` suffix.
fn vendor_named(name: &str, top: &str, top_squashed: &str) -> bool {
    // Stubs, instrumentation and linter plug-ins are named for a package they do not
    // install (`types-requests`, `opentelemetry-instrumentation-redis`).
    const FOR_ANOTHER: &[&str] = &[
        "types-",
        "opentelemetry-instrumentation-",
        "flake8-",
        "pytest-",
        "mypy-",
        "sentry-",
        "pylint-",
    ];
    if FOR_ANOTHER.iter().any(|p| name.starts_with(p)) || name.ends_with("-stubs") {
        return false;
    }
    let name = name.strip_suffix("-python").unwrap_or(name);
    let squashed: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    top.len() >= 3
        && (name
            .strip_suffix(top)
            .is_some_and(|head| head.ends_with('-') && head.len() > 1)
            || (top_squashed.len() >= 6
                && squashed.len() > top_squashed.len()
                && squashed.ends_with(top_squashed)
                && (squashed.starts_with("py") || name.contains('-'))))
}

/// Whether the distribution `name` (normalized) is a fork that keeps the import
/// `top` (separators dropped) and adds a short mark to the name:
/// `argos-translate-lt` installs `argostranslate`.
fn fork_named(name: &str, top_squashed: &str) -> bool {
    const FORK_WORDS: &[&str] = &[
        "fork",
        "ng",
        "next",
        "plus",
        "community",
        "maintained",
        "reloaded",
        "continued",
        "patched",
        "redux",
    ];
    let Some((head, mark)) = name.rsplit_once('-') else {
        return false;
    };
    let squashed: String = head.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    top_squashed.len() >= 8
        && squashed == top_squashed
        && (FORK_WORDS.contains(&mark)
            || (mark.len() <= 2 && mark.chars().all(|c| c.is_ascii_alphanumeric())))
}

/// Words a vendor's SDK adds to the import name in its distribution's name
/// (`hubspot-api-client` installs `hubspot`, `openfeature-sdk` installs `openfeature`),
/// and the mark of a build published as its own distribution (`pyqrcode-binary`
/// installs `pyqrcode`).
const SDK_WORDS: &[&str] = &[
    "sdk", "api", "client", "python", "py", "lib", "core", "official", "bindings", "binary",
];

/// Whether the distribution `name` is the import `top` followed only by SDK words.
fn sdk_named(name: &str, top: &str) -> bool {
    top.len() >= 3
        && name.strip_prefix(top).is_some_and(|rest| {
            rest.strip_prefix('-').is_some_and(|words| {
                !words.is_empty() && words.split('-').all(|w| SDK_WORDS.contains(&w))
            })
        })
}

/// Top-level names shared by many distributions.
pub(super) const NAMESPACES: &[&str] = &[
    "google",
    "azure",
    "zope",
    "backports",
    "jaraco",
    "opentelemetry",
    "sphinxcontrib",
];

/// Namespace packages are told apart by their second part (`google.cloud` users differ
/// from `google.protobuf` users).
/// The distributions a script's inline metadata (PEP 723) declares, normalized:
/// `# /// script`, `# dependencies = ["tomlkit", "httpx>=0.27"]`, `# ///`.
fn inline_dependencies(text: &str) -> Vec<String> {
    let mut lines = text.lines().take(200);
    if !lines.any(|l| l.trim_end() == "# /// script") {
        return Vec::new();
    }
    let block: String = lines
        .take_while(|l| l.trim_end() != "# ///")
        .map(|l| l.strip_prefix('#').unwrap_or(l).trim_start())
        .collect::<Vec<_>>()
        .join("\n");
    let Ok(table) = block.parse::<toml::Table>() else {
        return Vec::new();
    };
    table
        .get("dependencies")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str())
        .map(|d| {
            let name: String = d
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            Ecosystem::Python.normalize(&name)
        })
        .collect()
}

fn namespace_key(module: &str, top: &str) -> String {
    if NAMESPACES.contains(&top) {
        let parts: Vec<&str> = module.split('.').take(3).collect();
        if parts.len() >= 2 {
            return parts.join(".");
        }
    }
    top.to_string()
}

/// Lower-cased text of files that install test or task dependencies outside manifests.
fn task_text(inventory: &Inventory) -> String {
    let mut out = String::new();
    for f in &inventory.files {
        let name = f.name();
        let relevant = matches!(
            name,
            "tox.ini" | "noxfile.py" | "Makefile" | "justfile" | ".pre-commit-config.yaml"
        ) || f.kind == FileKind::Ci
            || (name.starts_with("requirements") && name.ends_with(".in"))
            || (f.path.contains("requirements/") && name.ends_with(".in"));
        if relevant {
            if let Some(t) = f.text() {
                out.push_str(&t.to_ascii_lowercase());
                out.push('\n');
            }
        }
    }
    out
}

/// Lower-cased install lines of the repository's build recipes: Dockerfiles
/// (`Dockerfile_intel`, `api.Dockerfile`, `Containerfile`) and Makefiles
/// (`Makefile-awq`, `kernels.mk`), which install what a manifest cannot (kernels built
/// from source, a vendor's wheels). Only lines that install, build or fetch a package
/// count: a `CMD ["uvicorn", …]` or a `FROM redis:7` installs nothing.
fn recipe_text(inventory: &Inventory) -> String {
    const INSTALLS: &[&str] = &[
        "pip install",
        "pip3 install",
        "pip uninstall",
        "pip wheel",
        "uv pip",
        "uv add",
        "conda install",
        "mamba install",
        "micromamba install",
        "poetry add",
        "setup.py install",
        "git clone",
    ];
    let mut out = String::new();
    for f in &inventory.files {
        let name = f.name();
        let recipe = name.contains("Dockerfile")
            || name.contains("Containerfile")
            || name.starts_with("Makefile")
            || name == "GNUmakefile"
            || name.ends_with(".mk");
        if !recipe || matches!(f.kind, FileKind::Fixture | FileKind::Vendored) {
            continue;
        }
        for line in f.text().into_iter().flat_map(str::lines) {
            let lower = line.to_ascii_lowercase();
            if INSTALLS.iter().any(|i| lower.contains(i)) {
                out.push_str(&lower);
                out.push('\n');
            }
        }
    }
    out
}

/// Lower-cased text of Python lock files, pip-compile's requirements files among
/// them (each pin annotated with the requirement it comes `# via`).
fn lock_text(inventory: &Inventory) -> String {
    let mut out = String::new();
    for f in &inventory.files {
        let name = f.name();
        let lock = matches!(
            name,
            "uv.lock" | "poetry.lock" | "Pipfile.lock" | "pdm.lock" | "pylock.toml"
        );
        let compiled = name.ends_with(".txt")
            && (name.starts_with("requirements")
                || f.dir().rsplit('/').next() == Some("requirements"));
        if !lock && !compiled {
            continue;
        }
        if let Some(t) = f.text().filter(|t| lock || t.contains("# via")) {
            out.push_str(&t.to_ascii_lowercase());
            out.push('\n');
        }
    }
    out
}

/// The words of a (lower-cased) text: runs of letters, digits, `_` and `-`.
fn words(text: &str) -> HashSet<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect()
}

fn mentions_word(words: &HashSet<&str>, word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    !w.is_empty() && words.contains(w.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the quoted keys of a table file are sorted and unique, as written.
    fn sorted_keys(text: &str) -> bool {
        let raw: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with('"'))
            .filter_map(|l| l.split('"').nth(1))
            .collect();
        raw.windows(2).all(|w| w[0] < w[1])
    }

    #[test]
    fn name_table_parses_and_is_sorted() {
        assert!(NAMES.len() > 100);
        assert!(sorted_keys(include_str!("import_names.toml")));
        assert!(NAMES.values().all(|v| !v.is_empty()));
    }

    #[test]
    fn a_fork_keeps_the_import_and_marks_its_name() {
        assert!(fork_named("argos-translate-lt", "argostranslate"));
        assert!(!fork_named("pyjwt-fork", "pyjwtlib"));
        assert!(fork_named("markdown2-ng", "markdown2"));
        // A plug-in named for its host is no fork of it.
        assert!(!fork_named("django-environ", "django"));
        assert!(!fork_named("requests-oauthlib", "requests"));
        // Short imports are too common to match a prefix.
        assert!(!fork_named("redis-om", "redis"));
    }

    #[test]
    fn a_vendor_prefix_names_the_import() {
        let squash =
            |x: &str| -> String { x.chars().filter(|c| c.is_ascii_alphanumeric()).collect() };
        let named = |dist: &str, top: &str| vendor_named(dist, top, &squash(top));
        assert!(named("django-simple-captcha", "captcha"));
        assert!(named("ipip-ipdb", "ipdb"));
        assert!(named("pyhttpsig", "httpsig"));
        assert!(named("pyjwkest", "jwkest"));
        assert!(named("djangorestframework-bulk", "rest-framework-bulk"));
        assert!(named("esdk-obs-python", "obs"));
        assert!(named("panzi-json-logic", "json-logic"));
        assert!(named("alibabacloud-tea", "tea"));
        // Not a vendor prefix: a longer word, or too short to tell.
        assert!(!named("pytea", "tea"));
        assert!(!named("requests", "requests"));
        assert!(!named("ab", "b"));
        assert!(!named("mycaptcha", "captcha"));
        // Stubs and instrumentation name what they do not install.
        assert!(!named("types-requests", "requests"));
        assert!(!named("opentelemetry-instrumentation-redis", "redis"));
        assert!(!named("redis-stubs", "redis"));
    }

    #[test]
    fn maps_import_names_to_distributions() {
        assert_eq!(distributions_for("yaml"), vec!["PyYAML"]);
        assert_eq!(distributions_for("PIL.Image"), vec!["Pillow"]);
        assert_eq!(distributions_for("requests.adapters")[0], "requests");
        assert!(
            distributions_for("google.cloud.storage").contains(&"google-cloud-storage".to_string())
        );
        // The old extension namespace ships as the framework's extension.
        assert!(distributions_for("flaskext.versioned").contains(&"flask-versioned".to_string()));
        assert!(!distributions_for("text.versioned").contains(&"t-versioned".to_string()));
        assert!(
            !distributions_for("flaskext")
                .iter()
                .any(|d| d.starts_with("flask-"))
        );
    }

    #[test]
    fn transitive_table_parses_and_is_sorted() {
        assert!(BRINGS.len() > 15);
        assert!(sorted_keys(include_str!("transitive.toml")));
        assert!(BRINGS.keys().all(|k| Ecosystem::Python.normalize(k) == *k));
    }

    #[test]
    fn reads_inline_script_metadata() {
        let text = "# /// script\n# requires-python = \">=3.11\"\n# dependencies = [\"tomlkit\", \"Py_Find_1st>=1.1\"]\n# ///\n\nimport tomlkit\n";
        assert_eq!(inline_dependencies(text), vec!["tomlkit", "py-find-1st"]);
        assert!(inline_dependencies("import tomlkit\n").is_empty());
    }

    #[test]
    fn mentions_whole_words_only() {
        assert!(mentions_word(
            &words("deps = pytest\n  pytest-cov"),
            "pytest"
        ));
        assert!(!mentions_word(&words("deps = pytest-cov"), "pytest"));
    }
}
