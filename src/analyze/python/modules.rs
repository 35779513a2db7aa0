//! The module map and import graph of a Python repository: module names from the
//! layout (flat, `src/`, packages with `__init__.py`, namespace packages), each import
//! classified as standard library, internal (with the file it reaches), internal but
//! unresolved, or third-party; import cycles among production modules; fan-in.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::{ImportGuard, PyFile, PyImport};
use crate::analyze::SourceFacts;
use crate::analyze::manifest::Manifest;
use crate::analyze::projects::Projects;
use crate::repo::{FileKind, Inventory};

#[derive(Deserialize)]
struct StdlibData {
    modules: Vec<String>,
    #[serde(default)]
    added: BTreeMap<String, String>,
    #[serde(default)]
    removed: BTreeMap<String, String>,
}

static STDLIB: LazyLock<StdlibData> = LazyLock::new(|| {
    toml::from_str(include_str!("stdlib.toml")).unwrap_or(StdlibData {
        modules: Vec::new(),
        added: BTreeMap::new(),
        removed: BTreeMap::new(),
    })
});

static STDLIB_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| STDLIB.modules.iter().map(String::as_str).collect());

/// Whether a top-level module is in the standard library of some supported Python.
pub fn is_stdlib(top: &str) -> bool {
    STDLIB_SET.contains(top)
}

/// The version a standard-library module was removed in, if it was.
pub fn stdlib_removed_in(top: &str) -> Option<&'static str> {
    STDLIB.removed.get(top).map(String::as_str)
}

/// The version a standard-library module appeared in, if after the oldest supported.
pub fn stdlib_added_in(top: &str) -> Option<&'static str> {
    STDLIB.added.get(top).map(String::as_str)
}

/// What an import reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum ImportClass {
    Stdlib,
    /// A file of the repository (index into `Inventory::files`).
    Internal {
        file: usize,
    },
    /// Names the repository's own code but no file provides it.
    Unresolved {
        /// The dotted module that is missing (`pkg.utils.helpers`).
        missing: String,
        /// Where it was looked for.
        looked_for: String,
    },
    /// Another distribution; `top` is the first dotted part.
    ThirdParty {
        top: String,
    },
    /// A module of another project of the repository (a sibling service's or a
    /// workspace member's package): internal to the repository, but only importable
    /// where that project is installed.
    Sibling {
        /// Index into `Projects::list`.
        project: usize,
        /// The file it reaches (`usize::MAX` for a package directory).
        file: usize,
    },
}

/// One import of one file, classified.
#[derive(Debug, Clone, Serialize)]
pub struct ClassifiedImport {
    /// Index into `Inventory::files` of the importing file.
    pub file: usize,
    /// Index into that file's `PyFile::imports`.
    pub import: usize,
    pub class: ImportClass,
}

/// `from module import name` where the module exists but defines no such name: an
/// ImportError when the import runs.
#[derive(Debug, Clone, Serialize)]
pub struct MissingName {
    /// The importing file (index into `Inventory::files`).
    pub file: usize,
    /// Index into that file's `PyFile::imports`.
    pub import: usize,
    pub name: String,
    /// The module file that lacks it.
    pub module_file: usize,
}

/// Production code importing the package of another project of the repository.
#[derive(Debug, Clone, Serialize)]
pub struct SiblingUse {
    /// The importing file (index into `Inventory::files`) and the import's line.
    pub file: usize,
    pub line: u32,
    /// The top-level name imported.
    pub import: String,
    /// The importing project and the one providing the package (`Projects::list`).
    pub from: Option<usize>,
    pub provider: usize,
    /// The importing project's manifests declare the provider (by its distribution
    /// name, or a path requirement to its directory).
    pub declared: bool,
}

/// An import cycle among production modules.
#[derive(Debug, Clone, Serialize)]
pub struct Cycle {
    /// Files in cycle order (indices into `Inventory::files`), the first repeated
    /// implicitly at the end.
    pub files: Vec<usize>,
    /// For each file, the line of its import of the next one.
    pub lines: Vec<u32>,
    /// Files in the strongly connected component the cycle was taken from.
    pub component: usize,
}

/// Repository-level Python facts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PyProject {
    /// Module name → file, for every Python file.
    pub modules: BTreeMap<String, usize>,
    pub imports: Vec<ClassifiedImport>,
    pub cycles: Vec<Cycle>,
    /// Production files imported by other production files: file → importers.
    pub fan_in: HashMap<usize, usize>,
    pub dependencies: Vec<super::DependencyUse>,
    /// Imported names the imported module does not define.
    pub missing_names: Vec<MissingName>,
    /// Whether any Python manifest declares dependencies (or says it has none).
    pub declares_dependencies: bool,
    /// Production imports of other projects' packages.
    pub siblings: Vec<SiblingUse>,
}

impl PyProject {
    /// Classified imports of one file.
    pub fn imports_of(&self, file: usize) -> impl Iterator<Item = &ClassifiedImport> {
        // `imports` is grouped by file in ascending order (see `build`).
        let start = self.imports.partition_point(|c| c.file < file);
        let end = self.imports.partition_point(|c| c.file <= file);
        self.imports.get(start..end).unwrap_or(&[]).iter()
    }
}

/// Directories searched as import roots besides package roots.
const SOURCE_ROOTS: &[&str] = &["", "src/", "lib/", "python/"];

struct Layout<'a> {
    inventory: &'a Inventory,
    /// Directories that contain an `__init__.py`.
    packages: HashSet<String>,
    /// Every directory holding Python files (namespace packages).
    dirs: HashSet<String>,
    /// Module name → file (`usize::MAX` for a package directory), per import root:
    /// [`global_key`] for a project's directory and the usual source roots under it,
    /// which every file of the project can import from; otherwise a directory whose files import each other by bare
    /// name (a test directory without `__init__.py`, as pytest puts it on the path).
    modules: HashMap<String, BTreeMap<String, usize>>,
    /// File → the import root of its package (its first non-package ancestor).
    root_of: HashMap<usize, String>,
    /// Stems of every file by directory (extensions, stubs, generated sources).
    stems: HashSet<String>,
    /// The project's own distribution names, as import names.
    own: HashSet<String>,
    /// Last path components of every Python file (without `.py`) and directory.
    names: HashSet<String>,
    /// Directories of files that run as scripts (a `__main__` guard).
    script_dirs: HashSet<String>,
    /// Import names of the packages a compiled-extension backend builds.
    compiled: HashSet<String>,
    /// Stems of the repository's `.proto` files when a build recipe runs `protoc`
    /// (empty otherwise): `<stem>_pb2` modules are generated at build time.
    proto_stems: HashSet<String>,
    /// Import names of the declared third-party dependencies (lower case).
    declared: HashSet<String>,
    /// The same, per project (index into the projects; `None` outside every one):
    /// what each project's own manifests declare.
    declared_in: HashMap<Option<usize>, HashSet<String>>,
    /// Every module imported by absolute name anywhere in the tree.
    imported: HashSet<String>,
    /// Directories the walk did not enter (`vendor/`, `third_party/`) as module-name
    /// prefixes under each source root: whatever is imported from them is there.
    opaque: HashSet<String>,
    /// Paths of those directories.
    unentered_dirs: HashSet<String>,
    /// Path → index into `Inventory::files`.
    by_path: HashMap<&'a str, usize>,
    /// Every trailing module path of every Python file (`pkg/mod` for
    /// `a/b/pkg/mod.py` and `a/b/pkg/mod/__init__.py`) → those files.
    by_suffix: HashMap<String, Vec<usize>>,
    projects: &'a Projects,
    /// The project of each file (index into `Inventory::files`).
    project_of: Vec<Option<usize>>,
    /// Directories holding a Django `manage.py`: it runs with its own directory on
    /// the path, so the apps beside it import each other by bare name even when the
    /// directory is itself a package.
    run_dirs: Vec<String>,
}

/// The key of the namespace a project shares among its files: its directory and the
/// usual source roots under it, which every file of the project can import from.
fn global_key(project: Option<usize>) -> String {
    match project {
        Some(p) => format!("*{p}"),
        None => "*".to_string(),
    }
}

/// Build backends that compile a package's module from Rust, C or C++.
const COMPILED_BACKENDS: &[&str] = &[
    "build-backend = \"maturin\"",
    "build-backend = \"scikit_build_core.build\"",
    "build-backend = \"mesonpy\"",
    "build-backend = 'maturin'",
];

/// The top-level extension modules a setup.py declares: the first string of each
/// `Extension(…)` call (`CUDAExtension(name="kernels", …)`, `Pybind11Extension`)
/// when it names no package (`pkg._speedups` is inside a Python package).
fn extension_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("Extension(").take(MAX_EXTENSIONS) {
        let Some(args) = text.get(at + "Extension(".len()..) else {
            continue;
        };
        let args = args.trim_start();
        let args = args
            .strip_prefix("name")
            .map(|r| r.trim_start().trim_start_matches('=').trim_start())
            .unwrap_or(args);
        let Some(quote) = args.chars().next().filter(|c| matches!(c, '"' | '\'')) else {
            continue;
        };
        let name = args
            .get(1..)
            .and_then(|r| r.split(quote).next())
            .unwrap_or("");
        // A top-level extension module only: `pkg._speedups` lives in a package
        // the tree holds as Python.
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push(name.to_ascii_lowercase());
        }
    }
    out
}

/// The stems of the repository's `.proto` files (`generate` for
/// `proto/v3/generate.proto`) when a build recipe (a Makefile, a shell script, a
/// Dockerfile, CI, a task runner or a package manifest) runs `protoc` (`python -m
/// grpc_tools.protoc`, `buf generate`) or a `buf.gen.yaml` configures it; empty
/// otherwise.
fn protoc_stems(inventory: &Inventory) -> HashSet<String> {
    let recipe = |f: &&crate::repo::RepoFile| {
        let name = f.name();
        f.kind == FileKind::Ci
            || name.starts_with("Makefile")
            || name.starts_with("makefile")
            || name == "GNUmakefile"
            || name.ends_with(".mk")
            || name.ends_with(".sh")
            || name.contains("Dockerfile")
            || matches!(
                name,
                "justfile"
                    | "Taskfile.yml"
                    | "tox.ini"
                    | "noxfile.py"
                    | "setup.py"
                    | "pyproject.toml"
                    | "package.json"
            )
    };
    let runs = inventory.files.iter().any(|f| {
        matches!(f.name(), "buf.gen.yaml" | "buf.gen.yml")
            || (recipe(&f)
                && f.text().is_some_and(|t| {
                    t.contains("grpc_tools.protoc")
                        || t.contains("protoc -")
                        || t.contains("protoc --")
                        || t.contains("buf generate")
                }))
    });
    if !runs {
        return HashSet::new();
    }
    inventory
        .files
        .iter()
        .filter_map(|f| f.name().strip_suffix(".proto"))
        .map(str::to_string)
        .collect()
}

/// Most `Extension(…)` calls read from one setup.py.
const MAX_EXTENSIONS: usize = 64;

/// Whether a namespace key is a project's shared one (not a local import root).
fn is_global_key(key: &str) -> bool {
    key.starts_with('*')
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

fn dir_prefix(dir: &str) -> String {
    if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    }
}

/// Whether `dir` is one of the source roots of the project at `base`.
fn is_global_root(dir: &str, base: &str) -> bool {
    let rel = if base.is_empty() {
        Some(dir)
    } else if dir == base {
        Some("")
    } else {
        dir.strip_prefix(base).and_then(|r| r.strip_prefix('/'))
    };
    rel.is_some_and(|rel| SOURCE_ROOTS.iter().any(|r| r.trim_end_matches('/') == rel))
}

/// The source roots of the project at `base`, as directories of the repository.
fn source_roots(base: &str) -> Vec<String> {
    SOURCE_ROOTS
        .iter()
        .map(|r| {
            let r = r.trim_end_matches('/');
            match (base.is_empty(), r.is_empty()) {
                (true, _) => r.to_string(),
                (false, true) => base.to_string(),
                (false, false) => format!("{base}/{r}"),
            }
        })
        .collect()
}

impl<'a> Layout<'a> {
    fn new(inventory: &'a Inventory, projects: &'a Projects, own_names: &[String]) -> Layout<'a> {
        let mut l = Layout {
            projects,
            project_of: inventory
                .files
                .iter()
                .map(|f| projects.of(&f.path))
                .collect(),
            inventory,
            packages: HashSet::new(),
            dirs: HashSet::new(),
            modules: HashMap::new(),
            root_of: HashMap::new(),
            stems: HashSet::new(),
            own: own_names
                .iter()
                .map(|n| n.replace('-', "_").to_ascii_lowercase())
                .collect(),
            by_path: inventory
                .files
                .iter()
                .enumerate()
                .map(|(i, f)| (f.path.as_str(), i))
                .collect(),
            by_suffix: HashMap::new(),
            names: HashSet::new(),
            script_dirs: HashSet::new(),
            compiled: HashSet::new(),
            proto_stems: protoc_stems(inventory),
            declared: HashSet::new(),
            declared_in: HashMap::new(),
            imported: HashSet::new(),
            opaque: HashSet::new(),
            unentered_dirs: HashSet::new(),
            run_dirs: inventory
                .files
                .iter()
                .filter(|f| f.name() == "manage.py" && f.kind == FileKind::Source)
                .map(|f| parent(&f.path).to_string())
                .filter(|d| !d.is_empty())
                .collect(),
        };
        // Only dependency directories hold importable code (`vendor/`); caches and
        // build output do not.
        for d in inventory
            .skipped
            .dirs
            .iter()
            .filter(|d| d.reason == "dependencies")
        {
            l.unentered_dirs.insert(d.path.clone());
            for r in SOURCE_ROOTS {
                let rel = if r.is_empty() {
                    Some(d.path.as_str())
                } else {
                    d.path.strip_prefix(r)
                };
                if let Some(rel) = rel.filter(|s| !s.is_empty() && s.split('/').all(is_identifier))
                {
                    l.opaque.insert(rel.replace('/', "."));
                }
            }
        }
        for (i, f) in inventory.files.iter().enumerate() {
            let stem = f.path.split_once('.').map(|(s, _)| s).unwrap_or(&f.path);
            // `pkg/_speedups.c`, `pkg/_core.pyi`, `pkg/x.pyx`: a module may be built.
            l.stems.insert(stem.to_string());
            if f.lang() != "python" {
                continue;
            }
            if f.name() == "__init__.py" {
                l.packages.insert(parent(&f.path).to_string());
            }
            if let Some(n) = f.name().strip_suffix(".py") {
                l.names.insert(n.to_string());
            }
            if let Some(stem) = f.path.strip_suffix(".py") {
                let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
                let mut rest = stem;
                loop {
                    l.by_suffix.entry(rest.to_string()).or_default().push(i);
                    match rest.split_once('/') {
                        Some((_, r)) => rest = r,
                        None => break,
                    }
                }
            }
            let mut d = parent(&f.path);
            while !d.is_empty() && l.dirs.insert(d.to_string()) {
                d = parent(d);
            }
        }
        for d in &l.dirs {
            l.names
                .insert(d.rsplit('/').next().unwrap_or(d).to_string());
        }
        let mut local_roots: HashSet<String> = HashSet::new();
        for (i, f) in inventory.files.iter().enumerate() {
            if f.lang() != "python" || !f.path.ends_with(".py") {
                continue;
            }
            // The name Python gives it when its first non-package ancestor is on the
            // path (pytest's default, a script's directory, an installed package).
            let project = l.project_of.get(i).copied().flatten();
            let base = l.base_of(project);
            let global = global_key(project);
            let mut root = parent(&f.path);
            while !root.is_empty() && root != base && l.packages.contains(root) {
                root = parent(root);
            }
            let key = if is_global_root(root, base) {
                global.clone()
            } else {
                local_roots.insert(root.to_string());
                root.to_string()
            };
            l.root_of.insert(i, key.clone());
            if let Some(n) = module_name(&f.path, root) {
                put_module(l.modules.entry(key).or_default(), n, i, inventory);
            }
            for r in l.roots(base) {
                if r.is_empty() || f.path.starts_with(&format!("{r}/")) {
                    if let Some(n) = module_name(&f.path, &r) {
                        put_module(
                            l.modules.entry(global.clone()).or_default(),
                            n,
                            i,
                            inventory,
                        );
                    }
                }
            }
        }
        // Package directories (regular and namespace) are modules too.
        for d in l.dirs.clone() {
            let project = projects.of(&d);
            let base = l.base_of(project);
            let global = global_key(project);
            let mut roots: Vec<(String, String)> = l
                .roots(base)
                .into_iter()
                .map(|r| (global.clone(), r))
                .filter(|(_, r)| r.is_empty() || d.starts_with(&format!("{r}/")))
                .collect();
            let mut a = parent(&d);
            loop {
                if local_roots.contains(a) {
                    roots.push((a.to_string(), a.to_string()));
                }
                if a.is_empty() {
                    break;
                }
                a = parent(a);
            }
            for (key, r) in roots {
                let rel = if r.is_empty() {
                    Some(d.as_str())
                } else {
                    d.strip_prefix(&format!("{r}/"))
                };
                if let Some(rel) = rel.filter(|s| !s.is_empty()) {
                    if rel.split('/').all(is_identifier) {
                        let name = rel.replace('/', ".");
                        l.modules
                            .entry(key)
                            .or_default()
                            .entry(name)
                            .or_insert(usize::MAX);
                    }
                }
            }
        }
        // A file in a namespace directory (no `__init__.py`) is a module of every
        // import root above it: `extras/ui/panels.py` is `extras.ui.panels` from the
        // root that holds `extras/`.
        for (i, f) in inventory.files.iter().enumerate() {
            if f.lang() != "python" || !f.path.ends_with(".py") {
                continue;
            }
            let Some(own) = l.root_of.get(&i).cloned() else {
                continue;
            };
            if is_global_key(&own) {
                continue;
            }
            let mut a = parent(&own);
            loop {
                if local_roots.contains(a) {
                    if let Some(n) = module_name(&f.path, a) {
                        put_module(l.modules.entry(a.to_string()).or_default(), n, i, inventory);
                    }
                }
                if a.is_empty() {
                    break;
                }
                a = parent(a);
            }
        }
        l
    }

    /// What `module` names for the file at index `from`: a file, a package
    /// directory (`Some(usize::MAX)`), or nothing.
    fn lookup(&self, module: &str, from: usize) -> Option<usize> {
        // The module or one of its parents is an unentered directory.
        if !self.opaque.is_empty() {
            let mut prefix = module;
            loop {
                if self.opaque.contains(prefix) {
                    return Some(usize::MAX);
                }
                match prefix.rsplit_once('.') {
                    Some((p, _)) => prefix = p,
                    None => break,
                }
            }
        }
        let local = self
            .root_of
            .get(&from)
            .filter(|k| !is_global_key(k))
            .and_then(|k| self.local_lookup(k, module, from));
        let project = self.project_of.get(from).copied().flatten();
        let global = self
            .modules
            .get(&global_key(project))
            .and_then(|m| m.get(module));
        // A file beats a directory of the same name.
        match (local.copied(), global.copied()) {
            (Some(l), Some(g)) if l == usize::MAX => Some(g),
            (Some(l), _) => Some(l),
            (None, g) => g,
        }
    }

    /// `module` from the local import root `root` of the file at `from`, or from a
    /// root above it when the file's directory is a namespace portion of that root
    /// (`extras/ui/panels.py` with no `extras/ui/__init__.py` runs as
    /// `extras.ui.panels`, and imports what its root's other modules import).
    fn local_lookup(&self, root: &str, module: &str, from: usize) -> Option<&usize> {
        let path = self.inventory.files.get(from).map(|f| f.path.as_str())?;
        let mut a = root;
        loop {
            let reachable = a == root || module_name(path, a).is_some();
            if let Some(hit) = self
                .modules
                .get(a)
                .filter(|_| reachable)
                .and_then(|m| m.get(module))
            {
                return Some(hit);
            }
            if a.is_empty() {
                return None;
            }
            a = parent(a);
        }
    }

    /// The import roots every file of the project at `base` shares: the usual source
    /// roots and the directories of its `manage.py` files.
    fn roots(&self, base: &str) -> Vec<String> {
        let mut out = source_roots(base);
        out.extend(
            self.run_dirs
                .iter()
                .filter(|d| base.is_empty() || d.starts_with(&format!("{base}/")))
                .cloned(),
        );
        out
    }

    /// The directory of a project (`""` for the root or for no project).
    fn base_of(&self, project: Option<usize>) -> &'a str {
        project
            .and_then(|p| self.projects.get(p))
            .map(|p| p.path.as_str())
            .unwrap_or("")
    }

    /// The other project whose source roots provide `module`, and the file (or
    /// `usize::MAX` for a package directory) it reaches there.
    fn sibling(&self, module: &str, from: usize) -> Option<(usize, usize)> {
        let own = self.project_of.get(from).copied().flatten();
        // Only products hold packages others import: not tooling, tests or examples.
        (0..self.projects.list.len())
            .filter(|&p| Some(p) != own)
            .filter(|&p| {
                self.projects
                    .get(p)
                    .is_some_and(|x| x.role == crate::analyze::projects::Role::Product)
            })
            .find_map(|p| {
                self.modules
                    .get(&global_key(Some(p)))
                    .and_then(|m| m.get(module))
                    .map(|&f| (p, f))
            })
    }

    /// `module` names only a directory with no `__init__.py` (a namespace portion).
    fn namespace_only(&self, module: &str, from: usize) -> bool {
        let project = self.project_of.get(from).copied().flatten();
        let path = module.replace('.', "/");
        self.lookup(module, from) == Some(usize::MAX)
            && !source_roots(self.base_of(project))
                .iter()
                .any(|r| self.packages.contains(&format!("{}{path}", dir_prefix(r))))
    }

    /// Whether the code imports some module of namespace `top` that exists in the
    /// tree (`app.models` for `app/`): the namespace is the project's own.
    fn own_namespace(&self, top: &str, from: usize) -> bool {
        let prefix = format!("{top}.");
        self.imported
            .iter()
            .any(|m| m.starts_with(&prefix) && self.exists(m, from))
    }

    /// Whether a path is, or is inside, a dependency directory the walk did not enter.
    fn unentered(&self, path: &str) -> bool {
        if self.unentered_dirs.is_empty() {
            return false;
        }
        let mut p = path;
        loop {
            if self.unentered_dirs.contains(p) {
                return true;
            }
            match p.rsplit_once('/') {
                Some((q, _)) => p = q,
                None => return false,
            }
        }
    }

    /// Whether a package above `module` extends its `__path__` (`pkgutil.extend_path`,
    /// `pkg_resources.declare_namespace`): its submodules may come from another
    /// installed distribution of the same import name (`polar` and `polar-sdk`).
    fn extended_ancestor(&self, module: &str, from: usize) -> bool {
        let mut prefix = module;
        while let Some((p, _)) = prefix.rsplit_once('.') {
            prefix = p;
            let extends = self
                .file(prefix, from)
                .and_then(|i| self.inventory.files.get(i))
                .filter(|f| f.name() == "__init__.py")
                .and_then(|f| f.text())
                .is_some_and(|t| t.contains("extend_path(") || t.contains("declare_namespace("));
            if extends {
                return true;
            }
        }
        false
    }

    fn exists(&self, module: &str, from: usize) -> bool {
        self.lookup(module, from).is_some()
    }

    fn file(&self, module: &str, from: usize) -> Option<usize> {
        self.lookup(module, from).filter(|&i| i != usize::MAX)
    }

    /// Whether `module` may be built rather than written in Python: a stub, a C or
    /// Cython source, or a compiled file of the same stem next to where it would be.
    fn maybe_built(&self, dir_hint: &str, leaf: &str) -> bool {
        let candidate = format!("{}{leaf}", dir_prefix(dir_hint));
        self.stems.contains(&candidate)
    }

    /// Whether a module or package named `top` sits in the directory of a script that
    /// holds file `from` (the script itself, or a module it loads): Python puts a
    /// script's own directory first on the import path, so `from utils import x` in
    /// `image_similarity/retrieval_index.py` finds `image_similarity/utils.py` when
    /// `image_similarity/main.py` runs.
    fn beside_script(&self, from: usize, top: &str) -> bool {
        let Some(f) = self.inventory.files.get(from) else {
            return false;
        };
        let mut dir = parent(&f.path);
        loop {
            if self.script_dirs.contains(dir) {
                let candidate = format!("{}{top}", dir_prefix(dir));
                if self.stems.contains(&candidate) || self.packages.contains(&candidate) {
                    return true;
                }
            }
            if dir.is_empty() {
                return false;
            }
            dir = parent(dir);
        }
    }

    /// Classifies an import of file `from`.
    fn classify(&self, from: usize, import: &PyImport, generated: &[String]) -> ImportClass {
        if import.level > 0 {
            return self.relative(from, import, generated);
        }
        let top = import.module.split('.').next().unwrap_or("");
        if is_stdlib(top) || top == "__main__" {
            return ImportClass::Stdlib;
        }
        // A directory without `__init__.py` never shadows an installed regular
        // package: `alembic/versions/` does not hide the declared `alembic`.
        if self.namespace_only(top, from) && self.declared.contains(&top.to_ascii_lowercase()) {
            return ImportClass::ThirdParty {
                top: top.to_string(),
            };
        }
        // Nor does one whose files import the name's modules it lacks while the code
        // never imports one it has: `gitlint/`, plugins a tool loads by path, holds no
        // `gitlint.rules`; the installed `gitlint` does.
        if import.module.contains('.')
            && self
                .inventory
                .files
                .get(from)
                .is_some_and(|f| f.dir().rsplit('/').next() == Some(top))
            && self.namespace_only(top, from)
            && !self.exists(&import.module, from)
            && !self.own_namespace(top, from)
        {
            return ImportClass::ThirdParty {
                top: top.to_string(),
            };
        }
        // Built from another language's sources (maturin, scikit-build, a setup.py
        // `Extension`): a directory of that name holding the sources is not it.
        if self.compiled.contains(&top.to_ascii_lowercase()) && self.file(top, from).is_none() {
            return ImportClass::Internal { file: usize::MAX };
        }
        if !self.exists(top, from) {
            // A declared distribution is what `import jwt` means, even when another
            // project has a module of that name.
            let declared = self.declared.contains(&top.to_ascii_lowercase())
                || super::deps::distributions_for(top).iter().any(|d| {
                    self.declared
                        .contains(&d.to_ascii_lowercase().replace(['-', '.'], "_"))
                });
            if let Some((project, _)) = self.sibling(top, from).filter(|_| !declared) {
                let file = self
                    .sibling(&import.module, from)
                    .filter(|(p, _)| *p == project)
                    .map(|(_, f)| f)
                    .unwrap_or(usize::MAX);
                return ImportClass::Sibling { project, file };
            }
            // A project whose own manifest declares a sibling's distribution installs it.
            let project = self.project_of.get(from).copied().flatten();
            let declared_here = self
                .declared_in
                .get(&project)
                .is_some_and(|d| d.contains(&top.to_ascii_lowercase()));
            if self.own.contains(&top.to_ascii_lowercase()) && !declared_here {
                // The project's own name, nowhere in the tree.
                return self.unresolved(from, &import.module, top, generated);
            }
            // A top-level module the build writes (`version-file = "src/_v.py"`).
            let is_generated = generated
                .iter()
                .any(|g| g.trim_end_matches(".py").rsplit('/').next() == Some(top));
            // Tests and examples put their own directories on the path at run time
            // (conftest's `sys.path` edits, Django's test apps): a name that is a
            // directory or module somewhere in the tree is theirs.
            let own_tree = self
                .inventory
                .files
                .get(from)
                .is_some_and(|f| f.kind != FileKind::Source)
                && self.names.contains(top);
            if is_generated || own_tree || (!declared && self.beside_script(from, top)) {
                return ImportClass::Internal { file: usize::MAX };
            }
            return ImportClass::ThirdParty {
                top: top.to_string(),
            };
        }
        self.absolute(from, &import.module, &import.names, generated)
    }

    fn absolute(
        &self,
        from: usize,
        module: &str,
        names: &[String],
        generated: &[String],
    ) -> ImportClass {
        if let Some(file) = self.file(module, from) {
            // `from pkg import sub` reaches `pkg/sub.py` when it exists.
            if let [one] = names {
                if let Some(f) = self.file(&format!("{module}.{one}"), from) {
                    return ImportClass::Internal { file: f };
                }
            }
            return ImportClass::Internal { file };
        }
        if self.exists(module, from) {
            // A namespace package directory: its submodules are what is imported.
            if let Some(f) = names
                .iter()
                .find_map(|n| self.file(&format!("{module}.{n}"), from))
            {
                return ImportClass::Internal { file: f };
            }
            if let Some(n) = names
                .iter()
                .find(|n| !self.exists(&format!("{module}.{n}"), from))
            {
                let full = format!("{module}.{n}");
                return self.unresolved(from, &full, &full, generated);
            }
            return ImportClass::Internal { file: usize::MAX };
        }
        // `import pkg.a.b` needs `pkg/a/b.py`; a module file cannot have submodules.
        self.unresolved(from, module, module, generated)
    }

    fn unresolved(
        &self,
        from: usize,
        module: &str,
        shown: &str,
        generated: &[String],
    ) -> ImportClass {
        let path = module.replace('.', "/");
        let leaf = module.rsplit('.').next().unwrap_or(module);
        let dir = parent(&path);
        // Built beside its own project's sources only: a sibling service's module of
        // the same name is not this one.
        let project = self.project_of.get(from).copied().flatten();
        let built = source_roots(self.base_of(project)).iter().any(|r| {
            let d = format!("{}{}", dir_prefix(r), dir)
                .trim_end_matches('/')
                .to_string();
            self.maybe_built(&d, leaf)
        });
        let is_generated = generated.iter().any(|g| {
            let g = g.trim_end_matches(".py");
            g.ends_with(&path)
        });
        if built || is_generated || self.protoc_output(leaf) || self.extended_ancestor(module, from)
        {
            return ImportClass::Internal { file: usize::MAX };
        }
        // The module is in the project's tree under an import root the layout did
        // not recognise (a directory a launcher puts on the path): it exists, so it
        // is not reported missing.
        // Dotted modules only: a bare `import config` is too common a name to be
        // satisfied by any `config.py` of the project.
        let dotted = path.contains('/');
        if let Some(&file) = self
            .by_suffix
            .get(&path)
            .filter(|_| dotted)
            .and_then(|files| {
                files
                    .iter()
                    .find(|&&f| self.project_of.get(f).copied().flatten() == project)
            })
        {
            return ImportClass::Internal { file };
        }
        // Generated beside its parent package, wherever the repository keeps it.
        let in_parent = self
            .by_suffix
            .get(dir)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.inventory.files.get(i))
            .filter(|f| f.name() == "__init__.py")
            .any(|f| self.ignored_module(&format!("{}{leaf}", dir_prefix(f.dir()))));
        if in_parent
            || source_roots(self.base_of(project))
                .iter()
                .any(|r| self.ignored_module(&format!("{}{path}", dir_prefix(r))))
        {
            return ImportClass::Internal { file: usize::MAX };
        }
        ImportClass::Unresolved {
            missing: shown.to_string(),
            looked_for: format!("{path}.py or {path}/__init__.py"),
        }
    }

    /// Whether a module of this name is what `protoc` writes from the repository's
    /// `.proto` files (`generate_pb2`, `generate_pb2_grpc`) when a build recipe of
    /// the repository runs it.
    fn protoc_output(&self, leaf: &str) -> bool {
        leaf.strip_suffix("_pb2_grpc")
            .or_else(|| leaf.strip_suffix("_pb2"))
            .is_some_and(|stem| self.proto_stems.contains(stem))
    }

    /// Whether the repository's ignore rules exclude the module at `path` (`pkg/mod`):
    /// code the build generates (`*_pb2.py` from `protoc`), not code that is missing.
    fn ignored_module(&self, path: &str) -> bool {
        // Generated by name (protoc's `_pb2`, grpc's `_grpc`, a version file): an
        // ignored `config.py` is supplied at deployment, and still missing here.
        let leaf = path.rsplit('/').next().unwrap_or(path);
        let generated = ["_pb2", "_pb2_grpc", "_grpc", "_version", "version"]
            .iter()
            .any(|s| leaf.ends_with(s));
        generated && self.inventory.ignored(&format!("{path}.py"))
            || self.inventory.ignored(&format!("{path}/__init__.py"))
    }

    fn relative(&self, from: usize, import: &PyImport, generated: &[String]) -> ImportClass {
        let Some(f) = self.inventory.files.get(from) else {
            return ImportClass::Internal { file: usize::MAX };
        };
        // The directory `level` dots point at.
        let mut dir = parent(&f.path).to_string();
        for _ in 1..import.level {
            if dir.is_empty() {
                return ImportClass::Unresolved {
                    missing: format!("{}{}", ".".repeat(usize::from(import.level)), import.module),
                    looked_for: "a parent package beyond the repository root".into(),
                };
            }
            dir = parent(&dir).to_string();
        }
        let base = if import.module.is_empty() {
            dir.clone()
        } else {
            format!("{}{}", dir_prefix(&dir), import.module.replace('.', "/"))
        };
        // A regular package comes before a module of the same name.
        let file_of = |p: &str| {
            self.by_path
                .get(format!("{}__init__.py", dir_prefix(p)).as_str())
                .or_else(|| self.by_path.get(format!("{p}.py").as_str()))
                .copied()
        };
        let is_dir = |p: &str| p.is_empty() || self.dirs.contains(p);
        // Under a directory the walk did not enter: present, not analysed.
        if self.unentered(&base) {
            return ImportClass::Internal { file: usize::MAX };
        }
        if let Some(file) = file_of(&base) {
            if let [one] = import.names.as_slice() {
                if let Some(sub) = file_of(&format!("{}{one}", dir_prefix(&base))) {
                    return ImportClass::Internal { file: sub };
                }
            }
            return ImportClass::Internal { file };
        }
        if is_dir(&base) {
            if let Some(sub) = import
                .names
                .iter()
                .find_map(|n| file_of(&format!("{}{n}", dir_prefix(&base))))
            {
                return ImportClass::Internal { file: sub };
            }
            if import.module.is_empty() {
                // `from . import x` in a namespace package: each name must be a module.
                if let Some(n) = import.names.first() {
                    let p = format!("{}{n}", dir_prefix(&base));
                    let leaf_dir = parent(&p);
                    if !self.maybe_built(leaf_dir, &p) && !self.stems.contains(&p) {
                        return ImportClass::Unresolved {
                            missing: format!("{}{n}", ".".repeat(usize::from(import.level))),
                            looked_for: format!("{p}.py or {p}/__init__.py"),
                        };
                    }
                }
            }
            return ImportClass::Internal { file: usize::MAX };
        }
        let is_generated = generated
            .iter()
            .any(|g| g.trim_end_matches(".py").ends_with(&base));
        // `from .pb.generate_pb2 import Batch`, `from .pb import generate_pb2`: the
        // package `protoc` writes into at build time.
        let leaf = base.rsplit('/').next().unwrap_or(&base);
        let protoc = self.protoc_output(leaf)
            || (!import.names.is_empty() && import.names.iter().all(|n| self.protoc_output(n)));
        if self.stems.contains(&base) || is_generated || protoc || self.ignored_module(&base) {
            return ImportClass::Internal { file: usize::MAX };
        }
        ImportClass::Unresolved {
            missing: format!("{}{}", ".".repeat(usize::from(import.level)), import.module),
            looked_for: format!("{base}.py or {base}/__init__.py"),
        }
    }
}

/// Records that `name` is the file `file` in one import root. Python finds a regular
/// package before a module of the same name (`cps/__init__.py` over `cps.py`), so
/// a package's `__init__.py` replaces a module file already recorded there.
fn put_module(
    root: &mut BTreeMap<String, usize>,
    name: String,
    file: usize,
    inventory: &Inventory,
) {
    let is_package = |i: usize| {
        inventory
            .files
            .get(i)
            .is_some_and(|f| f.name() == "__init__.py")
    };
    match root.entry(name) {
        std::collections::btree_map::Entry::Vacant(e) => {
            e.insert(file);
        }
        std::collections::btree_map::Entry::Occupied(mut e) => {
            let module_file = *e.get() != usize::MAX && !is_package(*e.get());
            if module_file && is_package(file) {
                e.insert(file);
            }
        }
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// `src/pkg/mod.py` under root `src` → `pkg.mod`; `pkg/__init__.py` → `pkg`.
fn module_name(path: &str, root: &str) -> Option<String> {
    let rel = if root.is_empty() {
        path
    } else {
        path.strip_prefix(root)?.strip_prefix('/')?
    };
    let rel = rel.strip_suffix(".py")?;
    let rel = rel.strip_suffix("/__init__").unwrap_or(rel);
    if rel == "__init__" || rel.is_empty() {
        return None;
    }
    let parts: Vec<&str> = rel.split('/').collect();
    if !parts.iter().all(|p| is_identifier(p)) {
        return None;
    }
    Some(parts.join("."))
}

/// Files a build writes (`version_file`, `write_to` in pyproject/setup), named in the
/// manifests: they are imported but legitimately absent from the tree.
fn generated_files(inventory: &Inventory) -> Vec<String> {
    let mut out = Vec::new();
    for f in &inventory.files {
        if !matches!(
            f.name(),
            "pyproject.toml" | "setup.py" | "setup.cfg" | ".gitignore" | "hatch.toml"
        ) {
            continue;
        }
        let Some(text) = f.text() else { continue };
        for token in text.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '=' | ','))
        {
            let token = token.trim_start_matches('/');
            if token.ends_with(".py") && !token.contains('*') {
                out.push(token.to_string());
            }
        }
    }
    out
}

/// Builds the repository-level Python facts.
pub fn build(
    inventory: &Inventory,
    projects: &Projects,
    sources: &[SourceFacts],
    manifests: &[Manifest],
) -> PyProject {
    let python: Vec<(usize, &PyFile)> = sources
        .iter()
        .filter_map(|s| s.python.as_deref().map(|p| (s.file, p)))
        .collect();
    if python.is_empty() {
        return PyProject::default();
    }
    let own: Vec<String> = manifests
        .iter()
        .filter(|m| m.ecosystem == crate::analyze::catalog::Ecosystem::Python)
        .filter_map(|m| m.name.clone())
        .collect();
    let mut layout = Layout::new(inventory, projects, &own);
    // Packages a compiled-extension backend builds from Rust, C or C++ sources: their
    // module is nowhere in the tree as Python, and exists once built.
    layout.compiled = manifests
        .iter()
        .filter(|m| m.ecosystem == crate::analyze::catalog::Ecosystem::Python)
        .filter(|m| {
            inventory
                .file(&m.path)
                .and_then(|f| f.text())
                .is_some_and(|t| {
                    COMPILED_BACKENDS.iter().any(|b| t.contains(b)) || t.contains("[tool.maturin]")
                })
        })
        .filter_map(|m| m.name.as_deref())
        .map(|n| n.replace('-', "_").to_ascii_lowercase())
        .collect();
    // Extension modules a setup.py builds from C, C++ or CUDA sources
    // (`CUDAExtension(name="exllama_kernels", …)`).
    layout.compiled.extend(
        inventory
            .files
            .iter()
            .filter(|f| {
                f.name() == "setup.py" && matches!(f.kind, FileKind::Source | FileKind::Build)
            })
            .filter_map(|f| f.text())
            .flat_map(extension_modules),
    );
    // Declared distributions, under the import names they are known by.
    layout.declared = manifests
        .iter()
        .filter(|m| m.ecosystem == crate::analyze::catalog::Ecosystem::Python)
        .flat_map(|m| m.dependencies.iter())
        .map(|d| d.normalized.replace('-', "_"))
        .collect();
    for m in manifests
        .iter()
        .filter(|m| m.ecosystem == crate::analyze::catalog::Ecosystem::Python)
    {
        let project = layout
            .by_path
            .get(m.path.as_str())
            .and_then(|&i| layout.project_of.get(i).copied().flatten());
        layout.declared_in.entry(project).or_default().extend(
            m.dependencies
                .iter()
                .map(|d| d.normalized.replace('-', "_")),
        );
    }
    layout.script_dirs = python
        .iter()
        .filter(|(_, py)| py.main_guard.is_some())
        .filter_map(|(i, _)| inventory.files.get(*i))
        .map(|f| parent(&f.path).to_string())
        .collect();
    layout.imported = python
        .iter()
        .flat_map(|(_, py)| py.imports.iter())
        .filter(|imp| imp.level == 0)
        .map(|imp| imp.module.clone())
        .collect();
    let generated = generated_files(inventory);
    let mut imports = Vec::new();
    for (file, py) in &python {
        for (i, imp) in py.imports.iter().enumerate() {
            imports.push(ClassifiedImport {
                file: *file,
                import: i,
                class: layout.classify(*file, imp, &generated),
            });
        }
    }
    imports.sort_by_key(|c| c.file);
    let missing_names = missing_names(inventory, &python, &imports, &layout);
    let parsed_files: HashMap<usize, &PyFile> = python.iter().map(|(i, p)| (*i, *p)).collect();
    let production = |i: usize| {
        inventory
            .files
            .get(i)
            .is_some_and(|f| f.kind == FileKind::Source)
    };
    // The graph of module-level imports among production files.
    let mut edges: BTreeMap<usize, BTreeMap<usize, u32>> = BTreeMap::new();
    for c in &imports {
        let ImportClass::Internal { file: to } = c.class else {
            continue;
        };
        if to == usize::MAX || to == c.file || !production(c.file) || !production(to) {
            continue;
        }
        let Some(imp) = parsed_files
            .get(&c.file)
            .and_then(|p| p.imports.get(c.import))
        else {
            continue;
        };
        if matches!(
            imp.guard,
            ImportGuard::Function | ImportGuard::TypeChecking | ImportGuard::Main
        ) {
            continue;
        }
        edges
            .entry(c.file)
            .or_default()
            .entry(to)
            .or_insert(imp.line);
    }
    let mut fan_in: HashMap<usize, usize> = HashMap::new();
    for targets in edges.values() {
        for to in targets.keys() {
            *fan_in.entry(*to).or_default() += 1;
        }
    }
    let cycles = cycles(&edges);
    // Module names of every project, the root's first where two projects share one.
    let mut modules: BTreeMap<String, usize> = BTreeMap::new();
    let mut keys: Vec<Option<usize>> = vec![projects.of("")];
    keys.extend((0..projects.list.len()).map(Some));
    keys.push(None);
    for key in keys {
        for (name, &f) in layout.modules.get(&global_key(key)).into_iter().flatten() {
            if f != usize::MAX {
                modules.entry(name.clone()).or_insert(f);
            }
        }
    }
    let dependencies = super::deps::build(inventory, projects, &python, &imports, manifests);
    let siblings = sibling_uses(inventory, projects, &parsed_files, &imports, manifests);
    let declares_dependencies = manifests.iter().any(|m| {
        m.ecosystem == crate::analyze::catalog::Ecosystem::Python
            && (m.format != "setup.py" || !m.dependencies.is_empty())
    });
    PyProject {
        modules,
        imports,
        cycles,
        fan_in,
        dependencies,
        missing_names,
        declares_dependencies,
        siblings,
    }
}

/// Whether `text` holds `path` as a whole path (`-e ../shared`, not `../shared-utils`).
fn names_path(text: &str, path: &str) -> bool {
    text.match_indices(path).any(|(at, _)| {
        text.get(at + path.len()..)
            .and_then(|rest| rest.chars().next())
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
    })
}

/// Production imports of other projects' packages, and whether the importing project
/// declares each provider.
fn sibling_uses(
    inventory: &Inventory,
    projects: &Projects,
    parsed: &HashMap<usize, &PyFile>,
    imports: &[ClassifiedImport],
    manifests: &[Manifest],
) -> Vec<SiblingUse> {
    let mut out: Vec<SiblingUse> = Vec::new();
    for c in imports {
        let ImportClass::Sibling {
            project: provider, ..
        } = c.class
        else {
            continue;
        };
        let Some(file) = inventory.files.get(c.file) else {
            continue;
        };
        let Some(imp) = parsed.get(&c.file).and_then(|p| p.imports.get(c.import)) else {
            continue;
        };
        if file.kind != FileKind::Source || imp.guard == ImportGuard::TypeChecking {
            continue;
        }
        let top = imp.module.split('.').next().unwrap_or("").to_string();
        let from = projects.of(&file.path);
        if out
            .iter()
            .any(|u| u.from == from && u.provider == provider && u.import == top)
        {
            continue;
        }
        let declared = projects.get(provider).is_some_and(|p| {
            let name = p.name.replace(['-', '.'], "_").to_ascii_lowercase();
            let dir = p.path.rsplit('/').next().unwrap_or(&p.path);
            manifests
                .iter()
                .filter(|m| m.ecosystem == crate::analyze::catalog::Ecosystem::Python)
                .filter(|m| projects.of(&m.path) == from)
                .any(|m| {
                    m.dependencies
                        .iter()
                        .any(|d| d.normalized.replace('-', "_") == name)
                        || inventory
                            .file(&m.path)
                            .and_then(|f| f.text())
                            .is_some_and(|t| {
                                names_path(t, &format!("../{dir}"))
                                    || names_path(t, &format!("./{}", p.path))
                            })
                })
        });
        out.push(SiblingUse {
            file: c.file,
            line: imp.line,
            import: top,
            from,
            provider,
            declared,
        });
    }
    out
}

/// Names imported from internal modules that do not bind them.
fn missing_names(
    inventory: &Inventory,
    python: &[(usize, &PyFile)],
    imports: &[ClassifiedImport],
    layout: &Layout<'_>,
) -> Vec<MissingName> {
    let parsed: HashMap<usize, &PyFile> = python.iter().map(|(i, p)| (*i, *p)).collect();
    // django-simple-history builds `Historical<Model>` for each model with
    // `HistoricalRecords` when Django prepares the class, and sets it on the model's
    // module.
    let simple_history = python.iter().any(|(_, p)| {
        p.imports
            .iter()
            .any(|i| i.module == "simple_history" || i.module.starts_with("simple_history."))
    });
    let mut out = Vec::new();
    for c in imports {
        let ImportClass::Internal { file: target } = c.class else {
            continue;
        };
        let (Some(py), Some(target_py), Some(target_file)) = (
            parsed.get(&c.file),
            parsed.get(&target),
            inventory.files.get(target),
        ) else {
            continue;
        };
        let Some(imp) = py.imports.get(c.import) else {
            continue;
        };
        // A module with syntax errors binds what it binds (its own finding); one the
        // parser gave up on or could not follow to the end is not known.
        if imp.names.is_empty()
            || !target_py.syntax_errors.is_empty()
            || target_py.unparsed.is_some()
            || !target_py.too_deep.is_empty()
        {
            continue;
        }
        let package_dir = target_file
            .path
            .strip_suffix("__init__.py")
            .map(str::to_string)
            .or_else(|| {
                // `from . import views, interfaces` in a namespace package, resolved to
                // the first submodule: the other names are its siblings.
                // (`from .config import config, settings` names config.py's own
                // attributes.)
                let stem = target_file.name().trim_end_matches(".py");
                let last = imp.module.rsplit('.').next().unwrap_or("");
                (last != stem && imp.names.iter().any(|n| n == stem))
                    .then(|| dir_prefix(target_file.dir()))
            });
        for name in &imp.names {
            // `from pkg import sub` resolved to the submodule itself.
            let stem = target_file.name().trim_end_matches(".py");
            let last = imp.module.rsplit('.').next().unwrap_or("");
            // `from pkg.scraper import scraper` reaching `pkg/scraper/scraper.py`: a
            // submodule named like its package.
            let module_path = imp.module.trim_start_matches('.').replace('.', "/");
            let submodule = (stem == name && last != name)
                || target_file.path.ends_with(&format!("/{name}/__init__.py"))
                || (stem == name
                    && !module_path.is_empty()
                    && target_file
                        .path
                        .ends_with(&format!("{module_path}/{name}.py")));
            if submodule {
                continue;
            }
            if let Some(dir) = &package_dir {
                let sub = format!("{dir}{name}");
                if layout.stems.contains(&sub)
                    || layout.dirs.contains(&sub)
                    || layout.unentered(&sub)
                {
                    continue;
                }
            }
            let historical = simple_history
                && name
                    .strip_prefix("Historical")
                    .is_some_and(|model| !model.is_empty() && target_py.may_define(model));
            // The author told the type checker the name is set at run time.
            let ignored = inventory
                .files
                .get(c.file)
                .is_some_and(|f| f.line(imp.line).contains("type: ignore[attr-defined]"));
            if !target_py.may_define(name) && !historical && !ignored {
                out.push(MissingName {
                    file: c.file,
                    import: c.import,
                    name: name.clone(),
                    module_file: target,
                });
            }
        }
    }
    out
}

/// One cycle per strongly connected component of two or more files (Tarjan), the
/// shortest through the component's first file.
fn cycles(edges: &BTreeMap<usize, BTreeMap<usize, u32>>) -> Vec<Cycle> {
    let nodes: Vec<usize> = {
        let mut n: Vec<usize> = edges
            .keys()
            .copied()
            .chain(edges.values().flat_map(|t| t.keys().copied()))
            .collect();
        n.sort_unstable();
        n.dedup();
        n
    };
    let components = tarjan(&nodes, edges);
    let mut out = Vec::new();
    for comp in components.into_iter().filter(|c| c.len() >= 2) {
        let members: HashSet<usize> = comp.iter().copied().collect();
        let Some(&start) = comp.iter().min() else {
            continue;
        };
        // BFS from start back to start inside the component.
        let mut prev: HashMap<usize, usize> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut found = None;
        'bfs: while let Some(n) = queue.pop_front() {
            for &m in edges.get(&n).map(|t| t.keys()).into_iter().flatten() {
                if !members.contains(&m) {
                    continue;
                }
                if m == start {
                    found = Some(n);
                    break 'bfs;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(m) {
                    e.insert(n);
                    queue.push_back(m);
                }
            }
        }
        let Some(last) = found else { continue };
        let mut path = vec![last];
        let mut cur = last;
        while cur != start {
            let Some(&p) = prev.get(&cur) else { break };
            path.push(p);
            cur = p;
        }
        path.reverse();
        let lines: Vec<u32> = path
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let next = path.get(i + 1).copied().unwrap_or(start);
                edges
                    .get(f)
                    .and_then(|t| t.get(&next))
                    .copied()
                    .unwrap_or(1)
            })
            .collect();
        out.push(Cycle {
            files: path,
            lines,
            component: comp.len(),
        });
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.component));
    out
}

/// Strongly connected components, iteratively (hostile graphs can be deep).
fn tarjan(nodes: &[usize], edges: &BTreeMap<usize, BTreeMap<usize, u32>>) -> Vec<Vec<usize>> {
    let mut index: HashMap<usize, usize> = HashMap::new();
    let mut low: HashMap<usize, usize> = HashMap::new();
    let mut on_stack: HashSet<usize> = HashSet::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut next = 0usize;
    let mut out = Vec::new();
    let succ = |n: usize| -> Vec<usize> {
        edges
            .get(&n)
            .map(|t| t.keys().copied().collect())
            .unwrap_or_default()
    };
    for &root in nodes {
        if index.contains_key(&root) {
            continue;
        }
        // (node, successors, position)
        let mut work: Vec<(usize, Vec<usize>, usize)> = vec![(root, succ(root), 0)];
        index.insert(root, next);
        low.insert(root, next);
        next += 1;
        stack.push(root);
        on_stack.insert(root);
        while let Some((n, ss, pos)) = work.last_mut() {
            let n = *n;
            if let Some(&m) = ss.get(*pos) {
                *pos += 1;
                if let std::collections::hash_map::Entry::Vacant(e) = index.entry(m) {
                    e.insert(next);
                    low.insert(m, next);
                    next += 1;
                    stack.push(m);
                    on_stack.insert(m);
                    work.push((m, succ(m), 0));
                } else if on_stack.contains(&m) {
                    let lm = index.get(&m).copied().unwrap_or(0);
                    if let Some(l) = low.get_mut(&n) {
                        *l = (*l).min(lm);
                    }
                }
                continue;
            }
            work.pop();
            let ln = low.get(&n).copied().unwrap_or(0);
            if let Some((p, _, _)) = work.last() {
                if let Some(l) = low.get_mut(p) {
                    *l = (*l).min(ln);
                }
            }
            if Some(&ln) == index.get(&n) {
                let mut comp = Vec::new();
                while let Some(m) = stack.pop() {
                    on_stack.remove(&m);
                    comp.push(m);
                    if m == n {
                        break;
                    }
                }
                out.push(comp);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdlib_list_is_sorted_and_knows_versions() {
        let m = &STDLIB.modules;
        assert!(m.len() > 250);
        assert!(m.windows(2).all(|w| w[0] < w[1]));
        assert!(is_stdlib("os") && is_stdlib("tomllib") && is_stdlib("distutils"));
        assert!(!is_stdlib("requests"));
        assert_eq!(stdlib_removed_in("distutils"), Some("3.12"));
        assert_eq!(stdlib_added_in("tomllib"), Some("3.11"));
        for k in STDLIB.added.keys().chain(STDLIB.removed.keys()) {
            assert!(is_stdlib(k), "{k} missing from modules");
        }
    }

    #[test]
    fn path_requirements_name_whole_directories() {
        assert!(names_path("fastapi\n-e ../shared\n", "../shared"));
        assert!(!names_path("-e ../shared-utils\n", "../shared"));
    }

    #[test]
    fn module_names_from_paths() {
        assert_eq!(module_name("src/pkg/a.py", "src").as_deref(), Some("pkg.a"));
        assert_eq!(module_name("pkg/__init__.py", "").as_deref(), Some("pkg"));
        assert_eq!(module_name("my-dir/a.py", ""), None);
    }

    #[test]
    fn finds_a_cycle_with_its_lines() {
        let mut e: BTreeMap<usize, BTreeMap<usize, u32>> = BTreeMap::new();
        e.entry(1).or_default().insert(2, 10);
        e.entry(2).or_default().insert(3, 20);
        e.entry(3).or_default().insert(1, 30);
        e.entry(3).or_default().insert(4, 31);
        let c = cycles(&e);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].files, vec![1, 2, 3]);
        assert_eq!(c[0].lines, vec![10, 20, 30]);
    }
}
