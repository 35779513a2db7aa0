//! The projects of a repository: every directory with a manifest of its own
//! (pyproject.toml, setup.py/setup.cfg, Pipfile, requirements files beside code,
//! package.json, Cargo.toml, go.mod, go.work) or with a Dockerfile beside source code.
//! A file belongs to the innermost project that contains it; files outside every
//! project belong to the repository (CI, docs, compose files). A repository with no
//! project of its own is one project at the root.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::ci::CiFacts;
use super::container::ContainerFacts;
use super::manifest::Manifest;
use super::{ArtifactHit, Facts, SourceFacts};
use crate::config::Policy;
use crate::model::ProjectKind;
use crate::repo::language::LanguageType;
use crate::repo::{FileKind, Inventory, RepoFile};

/// What part a project plays in the product: only products decide the repository's
/// verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Code that ships: a service, a web app, a library, a command.
    Product,
    /// A documentation site.
    Docs,
    /// Examples, samples and demos.
    Example,
    /// A test suite packaged on its own (end-to-end, load tests).
    Tests,
    /// Development tooling and scripts.
    Tooling,
    /// A component its own README says is no longer used or maintained.
    Retired,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Product => "product",
            Role::Docs => "docs",
            Role::Example => "example",
            Role::Tests => "tests",
            Role::Tooling => "tooling",
            Role::Retired => "retired",
        }
    }
}

/// One project of the repository.
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    /// Directory relative to the root, `/`-separated; `""` for the root.
    pub path: String,
    /// The name its manifest gives, else its directory's name.
    pub name: String,
    /// The files that make it a project (`backend/pyproject.toml`).
    pub markers: Vec<String>,
    /// Indices into `Facts::manifests` of its own manifests.
    #[serde(skip)]
    pub manifests: Vec<usize>,
    /// It declares a workspace of packages (npm/yarn/pnpm workspaces, a Cargo
    /// workspace, go.work).
    pub workspace: bool,
    pub role: Role,
    /// The kind the policy gives it (`[[project]] kind`), over the inferred one.
    #[serde(skip)]
    pub kind_override: Option<ProjectKind>,
    /// The policy says its verdict decides the repository's (`critical = true`).
    pub critical: bool,
    /// The policy leaves it out of the repository's verdict (`ignore = true`).
    pub ignored: bool,
    /// Directories of the repository's images its Dockerfiles start from (`FROM
    /// base`, built from `core/base/Dockerfile`): what those images install, their
    /// manifests declare for this project.
    #[serde(skip)]
    pub base_dirs: Vec<String>,
}

impl Project {
    /// A project at `path` with the role its directory's name gives it, before its
    /// markers, manifests and policy are added.
    fn at(path: &str) -> Project {
        Project {
            path: path.to_string(),
            name: String::new(),
            markers: Vec::new(),
            manifests: Vec::new(),
            workspace: false,
            role: role_of(path),
            kind_override: None,
            critical: false,
            ignored: false,
            base_dirs: Vec::new(),
        }
    }

    /// `.` for the root, else the path.
    pub fn display(&self) -> &str {
        if self.path.is_empty() {
            "."
        } else {
            &self.path
        }
    }

    /// Whether `path` (a file or directory) is inside this project's directory.
    pub fn contains(&self, path: &str) -> bool {
        self.path.is_empty()
            || path
                .strip_prefix(self.path.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

/// Every project found, and which one each path belongs to.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Projects {
    /// Sorted by path (the root first).
    pub list: Vec<Project>,
    #[serde(skip)]
    by_path: HashMap<String, usize>,
    /// The project of each file of the inventory, by index.
    #[serde(skip)]
    owners: Vec<Option<usize>>,
}

impl Projects {
    /// Index of the innermost project holding `path` (a file or directory), if any.
    pub fn of(&self, path: &str) -> Option<usize> {
        if let Some(&i) = self.by_path.get(path) {
            return Some(i);
        }
        let mut p = path;
        while let Some((dir, _)) = p.rsplit_once('/') {
            if let Some(&i) = self.by_path.get(dir) {
                return Some(i);
            }
            p = dir;
        }
        self.by_path.get("").copied()
    }

    /// The project of the file at `index` in the inventory (as [`Projects::of`] its
    /// path, computed once).
    pub fn of_file(&self, index: usize) -> Option<usize> {
        self.owners.get(index).copied().flatten()
    }

    /// The innermost project holding `path`.
    pub fn project_of(&self, path: &str) -> Option<&Project> {
        self.of(path).and_then(|i| self.list.get(i))
    }

    /// More than one project: the review is given per project too.
    pub fn is_multi(&self) -> bool {
        self.list.len() > 1
    }

    pub fn get(&self, i: usize) -> Option<&Project> {
        self.list.get(i)
    }

    fn new(list: Vec<Project>) -> Projects {
        let by_path = list
            .iter()
            .enumerate()
            .map(|(i, p)| (p.path.clone(), i))
            .collect();
        Projects {
            list,
            by_path,
            owners: Vec::new(),
        }
    }

    /// Records the project of every file of the inventory.
    fn with_owners(mut self, inventory: &Inventory) -> Projects {
        self.owners = inventory.files.iter().map(|f| self.of(&f.path)).collect();
        self
    }
}

/// `dir/` (or nothing for the root), to prefix a file name.
fn prefix(dir: &str) -> String {
    if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    }
}

/// A file that builds a container image.
fn is_container_file(name: &str) -> bool {
    name.starts_with("Dockerfile") || name == "Containerfile" || name.ends_with(".dockerfile")
}

/// Programming-language source that belongs to the product.
fn is_code(f: &RepoFile) -> bool {
    matches!(f.kind, FileKind::Source | FileKind::Test) && is_program(f)
}

/// A file in a programming language other than the build's own (Makefiles,
/// Dockerfiles, shell and batch scripts).
fn is_program(f: &RepoFile) -> bool {
    f.language
        .and_then(|l| l.get())
        .is_some_and(|l| l.kind == LanguageType::Programming)
        && !matches!(f.lang(), "makefile" | "dockerfile" | "batch" | "shell")
}

/// Directories whose name says what they hold besides product code.
fn role_of(path: &str) -> Role {
    let Some(last) = path.rsplit('/').next() else {
        return Role::Product;
    };
    let last = last.to_ascii_lowercase();
    let any = |names: &[&str]| {
        path.split('/')
            .any(|part| names.contains(&part.to_ascii_lowercase().as_str()))
    };
    // `api-documentation`: documentation as the last word of the name
    // (`source-google-docs` connects to a product named Docs).
    let doc_word = path.split('/').any(|part| {
        part.to_ascii_lowercase()
            .rsplit(['-', '_', '.'])
            .next()
            .is_some_and(|w| w == "documentation")
    });
    if doc_word
        || any(&[
            "docs",
            "doc",
            "documentation",
            "website",
            "site",
            "docs-site",
        ])
    {
        Role::Docs
    } else if path.split('/').any(|part| {
        // `demo_api`, `example-app`: a word of the directory's name.
        // `sample`, `samples` and `playground` (an app to try the libraries in) only as
        // the whole name (`sample-tracker` is a product).
        let part = part.to_ascii_lowercase();
        matches!(
            part.as_str(),
            "samples" | "sample" | "playground" | "playgrounds"
        ) || part
            .split(['-', '_', '.'])
            .any(|w| matches!(w, "examples" | "example" | "demo" | "demos"))
    }) {
        Role::Example
    } else if matches!(
        last.as_str(),
        "e2e"
            | "playwright"
            | "cypress"
            | "tests"
            | "test"
            | "integration-tests"
            | "e2e-tests"
            | "load-tests"
            | "loadtest"
            | "benchmarks"
            | "bench"
    ) || last.ends_with("-e2e")
        || last.ends_with("-tests")
        || last.ends_with("_tests")
    {
        Role::Tests
    } else if any(&[
        "tools",
        "scripts",
        "tooling",
        "dev",
        ".github",
        ".devcontainer",
        "docker",
        ".docker",
        "deploy",
        "deployment",
        "deployments",
        "packaging",
        "infra",
        "infrastructure",
        "ops",
        "helm",
        "charts",
    ]) {
        Role::Tooling
    } else {
        Role::Product
    }
}

/// Projects reviewed one by one at most: past this, the repository is reviewed as one
/// (each view costs a pass over the repository's files).
pub const MAX_PROJECT_REVIEWS: usize = 200;

/// Finds the projects of the repository, then applies the policy's `[[project]]`
/// entries (a directory they name becomes a project if discovery missed it).
pub fn discover(inventory: &Inventory, manifests: &[Manifest], policy: &Policy) -> Projects {
    // Directory → (markers, manifests, workspace, name).
    let mut found: BTreeMap<String, Project> = BTreeMap::new();
    let by_path: HashMap<&str, usize> = manifests
        .iter()
        .enumerate()
        .map(|(i, m)| (m.path.as_str(), i))
        .collect();
    // Directories holding code, with every ancestor (for "beside code").
    let mut code_dirs: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for f in inventory.files.iter().filter(|f| is_code(f)) {
        let mut d = f.dir();
        while code_dirs.insert(d) && !d.is_empty() {
            d = d.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
        }
    }
    let holds_code = |dir: &str| code_dirs.contains(dir);
    for f in &inventory.files {
        // Manifests of fixtures, tests and vendored copies describe other projects.
        if matches!(
            f.kind,
            FileKind::Fixture | FileKind::Vendored | FileKind::Generated | FileKind::Test
        ) {
            continue;
        }
        let dir = f.dir();
        let name = f.name();
        let manifest = by_path.get(f.path.as_str()).copied();
        let is_project_marker = match manifest.and_then(|i| manifests.get(i)) {
            Some(m) if m.format.starts_with("requirements") || name.ends_with(".txt") => {
                holds_code(dir)
            }
            Some(_) => true,
            // A Dockerfile in docker/, deploy/ or e2e/ packages or tests the project
            // around it; only beside a product's own code does it make one.
            None => {
                name == "go.work"
                    || (is_container_file(name) && holds_code(dir) && role_of(dir) == Role::Product)
            }
        };
        // A package.json inside a Python package builds that package's assets (CSS,
        // bundled scripts): the package stays in the Python project around it.
        let python_package_assets = name == "package.json"
            && !dir.is_empty()
            && inventory
                .file(&format!("{}__init__.py", prefix(dir)))
                .is_some();
        if !is_project_marker || python_package_assets {
            continue;
        }
        let p = found
            .entry(dir.to_string())
            .or_insert_with(|| Project::at(dir));
        p.markers.push(f.path.clone());
        if let Some(i) = manifest {
            p.manifests.push(i);
            if let Some(m) = manifests.get(i) {
                p.workspace |= m.workspace;
                if p.name.is_empty() {
                    if let Some(n) = &m.name {
                        p.name = n.clone();
                    }
                }
            }
        }
        if name == "go.work" {
            p.workspace = true;
        }
        // pnpm declares its workspace's members in pnpm-workspace.yaml (which may
        // hold only settings).
        let pnpm = inventory
            .file(&format!("{}pnpm-workspace.yaml", prefix(dir)))
            .and_then(|f| f.text());
        if name == "package.json"
            && pnpm.is_some_and(|t| t.lines().any(|l| l.trim_start().starts_with("packages:")))
        {
            p.workspace = true;
        }
    }
    if !found.contains_key("") {
        // No manifest at the root: the root is a project when nothing else is, or
        // when it holds production code of its own outside every project found.
        let outside = inventory.files.iter().any(|f| {
            f.kind == FileKind::Source
                && is_code(f)
                && !found
                    .keys()
                    .any(|d| d.is_empty() || f.path.starts_with(&format!("{d}/")))
        });
        if found.is_empty() || outside {
            found.insert(String::new(), Project::at(""));
        }
    }
    for o in &policy.projects {
        let exists = o.path.is_empty()
            || inventory
                .files
                .iter()
                .any(|f| f.path.starts_with(&format!("{}/", o.path)));
        if !exists || found.contains_key(&o.path) {
            continue;
        }
        let mut p = Project::at(&o.path);
        p.markers.push("greenlight.toml [[project]]".into());
        found.insert(o.path.clone(), p);
    }
    for o in &policy.projects {
        if let Some(p) = found.get_mut(&o.path) {
            if let Some(n) = &o.name {
                p.name = n.clone();
            }
            p.kind_override = o.kind.or(p.kind_override);
            p.critical |= o.critical;
            p.ignored |= o.ignore;
            if o.critical {
                p.role = Role::Product;
            }
        }
    }
    let mut list: Vec<Project> = found.into_values().collect();
    for p in &mut list {
        if p.name.is_empty() {
            p.name = if p.path.is_empty() {
                inventory.name.clone()
            } else {
                p.path.rsplit('/').next().unwrap_or(&p.path).to_string()
            };
        }
        // The root of a repository is the product, whatever its directory is called.
        if p.path.is_empty() {
            p.role = Role::Product;
        } else if p.role == Role::Product && !p.critical && retired(inventory, &p.path) {
            p.role = Role::Retired;
        }
    }
    // A workspace root that only gathers its members (no package or image of its
    // own) holds the repository's tooling, not a product.
    if list.len() > 1 {
        let dirs: Vec<String> = list.iter().map(|p| p.path.clone()).collect();
        // Directories with an application of their own besides their members: code in
        // a source directory (`src/`, `app/`, `lib/`, `server/`), or enough code to be
        // more than a few helper scripts.
        const OWN_APP_LINES: usize = 300;
        let mut own_lines: HashMap<&str, usize> = HashMap::new();
        let mut own_sources: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for f in inventory
            .files
            .iter()
            .filter(|f| f.kind == FileKind::Source && is_code(f))
        {
            let owner = dirs
                .iter()
                .filter(|d| d.is_empty() || f.path.starts_with(&format!("{d}/")))
                .max_by_key(|d| d.len());
            let Some(d) = owner else { continue };
            if role_of(f.dir()) != Role::Product || is_tool_config(f) {
                continue;
            }
            *own_lines.entry(d.as_str()).or_default() += f.lines.code;
            let rel = if d.is_empty() {
                f.path.as_str()
            } else {
                f.path.get(d.len() + 1..).unwrap_or("")
            };
            if ["src/", "app/", "lib/", "server/"]
                .iter()
                .any(|s| rel.starts_with(s))
            {
                own_sources.insert(d.as_str());
            }
        }
        let own_code: std::collections::HashSet<String> = own_lines
            .iter()
            .filter(|(d, lines)| **lines >= OWN_APP_LINES || own_sources.contains(*d))
            .map(|(d, _)| (*d).to_string())
            .collect();
        for p in &mut list {
            let members = dirs.iter().any(|d| *d != p.path && p.contains(d));
            let gathers_only = p.workspace
                && members
                && !own_code.contains(&p.path)
                && !p.critical
                && p.markers.iter().all(|m| {
                    let name = m.rsplit('/').next().unwrap_or(m);
                    let unnamed_crate = name == "Cargo.toml"
                        && by_path
                            .get(m.as_str())
                            .and_then(|&i| manifests.get(i))
                            .is_some_and(|m| m.name.is_none());
                    // An image built from the whole workspace at its root builds
                    // its members (see `view`).
                    matches!(name, "package.json" | "go.work")
                        || unnamed_crate
                        || (is_container_file(name) && builds_members(inventory, m, &p.path))
                });
            // A root that is a project only for its Dockerfile, with a few scripts of
            // its own, whose image copies a member in to build it: the image is the
            // member's, the root holds tooling.
            let image_only = p.path.is_empty()
                && members
                && p.manifests.is_empty()
                && !own_code.contains(&p.path)
                && !p.markers.is_empty()
                && p.markers.iter().all(|m| {
                    is_container_file(m.rsplit('/').next().unwrap_or(m))
                        && copies_member(inventory, m, &dirs)
                });
            let configuration = p.role == Role::Product && shared_configuration(inventory, p);
            if (gathers_only || image_only || configuration) && !p.critical {
                p.role = Role::Tooling;
            }
        }
    }
    // A workspace package with no tests of its own that every manifest naming it
    // lists as a development dependency (a local test network, a lint preset):
    // development tooling. (A service or an SDK another package lists for its types
    // or its tests has a suite of its own.)
    for p in &mut list {
        if p.critical
            || p.role != Role::Product
            || inventory
                .files
                .iter()
                .any(|f| f.kind == FileKind::Test && p.contains(&f.path))
        {
            continue;
        }
        let names: Vec<&str> = p
            .manifests
            .iter()
            .filter_map(|&i| manifests.get(i))
            .filter(|m| m.format == "package.json")
            .filter_map(|m| m.name.as_deref())
            .collect();
        // Listed by the workspace root only: an app that bundles a package lists it
        // as a development dependency too, and ships it.
        let mut listings = manifests
            .iter()
            .flat_map(|m| m.dependencies.iter().map(move |d| (m, d)))
            .filter(|(_, d)| names.contains(&d.name.as_str()))
            .peekable();
        if listings.peek().is_some()
            && listings.all(|(m, d)| {
                m.path == "package.json" && d.kind == crate::analyze::manifest::DepKind::Dev
            })
        {
            p.role = Role::Tooling;
        }
    }
    Projects::new(list).with_owners(inventory)
}

/// Whether a member's README says, in its opening lines, that the component is no
/// longer used or maintained ("This is not used anymore.").
fn retired(inventory: &Inventory, dir: &str) -> bool {
    ["README.md", "README", "README.rst", "readme.md"]
        .iter()
        .filter_map(|n| inventory.file(&format!("{dir}/{n}")))
        .filter_map(|f| f.text())
        .any(|t| {
            // The opening paragraph under the title, where a README says what the
            // component is.
            t.lines()
                .skip_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
                .take_while(|l| !l.trim().is_empty())
                .take(6)
                .any(|l| {
                    let l = l.to_ascii_lowercase();
                    [
                        "not used anymore",
                        "no longer used",
                        "no longer maintained",
                        "not maintained anymore",
                        "is deprecated and",
                        "this service is deprecated",
                        "this package is deprecated",
                        "this project is deprecated",
                    ]
                    .iter()
                    .any(|p| l.contains(p))
                })
        })
}

/// Whether the Dockerfile at `path` builds workspace members by name: it copies the
/// whole context and runs a build (`cargo build`, `go build`, `npm run build`, `pnpm
/// --filter`, `turbo`), rather than holding the root's own application.
fn builds_members(inventory: &Inventory, path: &str, dir: &str) -> bool {
    let Some(text) = inventory.file(path).and_then(|f| f.text()) else {
        return false;
    };
    // The whole context, or the whole workspace directory when the image is built from
    // the repository root (`COPY bridge /app/bridge`).
    let copies_all = text.lines().any(|l| {
        let l = l.trim();
        (l.starts_with("COPY ") || l.starts_with("ADD "))
            && l.split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .nth(1)
                .is_some_and(|src| {
                    src == "."
                        || src == "./"
                        || (!dir.is_empty() && src.trim_end_matches('/') == dir)
                })
    });
    copies_all
        && [
            "cargo build",
            "cargo chef",
            "go build",
            "turbo",
            "--filter",
            "nx build",
            "cargo install --path",
            "yarn workspace",
            "npm run build --workspace",
            "pnpm -r",
            "lerna run",
        ]
        .iter()
        .any(|b| text.contains(b))
}

/// The directories of the projects whose code the image's command runs: the final
/// stage's CMD or ENTRYPOINT names a file that a COPY put there, from the build
/// context or from a build stage that copied those directories in
/// (`COPY --from=build-backend /build/backend/app /srv/app` after `ADD backend
/// /build/backend`). Empty when the command cannot be traced.
fn started_member(d: &super::container::Dockerfile, projects: &Projects) -> Vec<String> {
    let last = d.stages.len().saturating_sub(1);
    let in_stage = |s: usize| d.instructions.iter().filter(move |i| i.stage == s);
    let words = |args: &str| -> Vec<String> {
        args.split([' ', '"', '\'', '[', ']', ','])
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let Some(start) = in_stage(last).rfind(|i| i.op == "CMD" || i.op == "ENTRYPOINT") else {
        return Vec::new();
    };
    let Some(binary) = words(&start.args).into_iter().find(|w| w.starts_with('/')) else {
        return Vec::new();
    };
    // The COPY that put the binary (or its directory) in place.
    let Some(copy) = in_stage(last)
        .filter(|i| i.op == "COPY" || i.op == "ADD")
        .find(|i| {
            words(&i.args).last().is_some_and(|dest| {
                let dest = dest.trim_end_matches('/');
                !dest.is_empty() && (binary == dest || binary.starts_with(&format!("{dest}/")))
            })
        })
    else {
        return Vec::new();
    };
    let from = copy
        .flags
        .iter()
        .find_map(|f| f.strip_prefix("--from="))
        .map(str::to_string);
    // The instructions whose sources count: the final COPY itself, or every COPY
    // and ADD from the context in the stage it copies from.
    let sources: Vec<String> = match from {
        None => vec![copy.args.clone()],
        Some(name) => {
            let stage = d
                .stages
                .iter()
                .position(|s| s.alias.as_deref() == Some(name.as_str()))
                .or_else(|| name.parse::<usize>().ok());
            match stage {
                Some(s) => in_stage(s)
                    .filter(|i| {
                        (i.op == "COPY" || i.op == "ADD")
                            && !i.flags.iter().any(|f| f.starts_with("--from"))
                    })
                    .map(|i| i.args.clone())
                    .collect(),
                None => return Vec::new(),
            }
        }
    };
    projects
        .list
        .iter()
        .filter(|p| !p.path.is_empty())
        .filter(|p| sources.iter().any(|a| names_dir_where(a, &p.path, true)))
        .map(|p| p.path.clone())
        .collect()
}

/// Whether the Dockerfile at `path` copies a member project's directory from the
/// build context (`ADD backend /build/backend`).
fn copies_member(inventory: &Inventory, path: &str, dirs: &[String]) -> bool {
    let Some(text) = inventory.file(path).and_then(|f| f.text()) else {
        return false;
    };
    text.lines().any(|l| {
        let l = l.trim();
        let copy = l.starts_with("COPY ") || l.starts_with("ADD ");
        copy && !l.contains("--from")
            && dirs
                .iter()
                .filter(|d| !d.is_empty())
                .any(|d| names_dir_where(l, d, true))
    })
}

/// The sources of a COPY or ADD instruction's arguments: every word but the last
/// (the destination), flags left out.
fn copy_sources(args: &str) -> Vec<&str> {
    let words: Vec<&str> = args
        .split_whitespace()
        .filter(|w| !w.starts_with("--"))
        .collect();
    match words.split_last() {
        Some((_, sources)) => sources.to_vec(),
        None => Vec::new(),
    }
}

/// A dependency manifest or lock file, copied alone so dependencies install before
/// the sources change.
fn is_manifest_name(name: &str) -> bool {
    matches!(
        name,
        "package.json"
            | "package-lock.json"
            | "yarn.lock"
            | "pnpm-lock.yaml"
            | "Cargo.toml"
            | "Cargo.lock"
            | "go.mod"
            | "go.sum"
            | "pyproject.toml"
            | "poetry.lock"
            | "uv.lock"
    ) || (name.starts_with("requirements") && name.ends_with(".txt"))
}

/// Whether a Dockerfile runs the artefact a project builds: its ENTRYPOINT, CMD or
/// HEALTHCHECK starts the project's binary (`/app/NAME`). Tools built beside it and
/// copied in are shipped, not run.
fn ships_artifact(d: &super::container::Dockerfile, name: &str) -> bool {
    if name.len() < 3 {
        return false;
    }
    let binary = name.replace('-', "_");
    let is_name = |w: &str| w == name || w == binary;
    d.instructions.iter().any(|i| {
        let words: Vec<&str> = i
            .args
            .split([' ', '"', '\'', '[', ']', ','])
            .filter(|w| !w.is_empty())
            .collect();
        match i.op.as_str() {
            // A path to the binary anywhere in the command, or the binary itself as the
            // command run (`CMD ["svix-bridge"]`, found on the PATH).
            "ENTRYPOINT" | "CMD" | "HEALTHCHECK" => {
                words
                    .iter()
                    .any(|w| w.contains('/') && is_name(w.rsplit('/').next().unwrap_or(w)))
                    || (i.op != "HEALTHCHECK" && words.first().is_some_and(|w| is_name(w)))
            }
            _ => false,
        }
    })
}

/// A package of shared tool configuration (`@acme/eslint-config`, `tailwind-config`),
/// or a project whose only code is tool configuration (`tailwind.config.js`).
fn shared_configuration(inventory: &Inventory, p: &Project) -> bool {
    let named = |n: &str| {
        let last = n.rsplit('/').next().unwrap_or(n).to_ascii_lowercase();
        last.ends_with("-config") || last.starts_with("config-") || last == "config"
    };
    if named(&p.name) || (!p.path.is_empty() && named(&p.path)) {
        return true;
    }
    // Tool configuration is classed as build material (`.eslintrc.js`) or kept as
    // source (`tailwind.config.js`): either way the project holds no product code.
    let mut code = inventory
        .files
        .iter()
        .filter(|f| p.contains(&f.path))
        .filter(|f| matches!(f.kind, FileKind::Source | FileKind::Build) && is_program(f))
        .peekable();
    code.peek().is_some() && code.all(is_tool_config)
}

/// A tool's configuration file written as code (`tailwind.config.js`, `.eslintrc.js`).
fn is_tool_config(f: &RepoFile) -> bool {
    let name = f.name().to_ascii_lowercase();
    name.contains(".config.") || name.starts_with('.') || name.ends_with("rc.js")
}

/// Whether a path belongs to project `index` (and to no project nested in it).
pub fn owns(projects: &Projects, index: usize, path: &str) -> bool {
    projects.of(path) == Some(index)
}

/// Files every project shares: the repository's CI, documentation, configuration and
/// build files outside the project (outside every project, or in a project that
/// holds it, such as a workspace root).
fn shared(f: &RepoFile) -> bool {
    matches!(
        f.kind,
        FileKind::Ci | FileKind::Docs | FileKind::Config | FileKind::Build | FileKind::Other
    )
}

/// Whether a path is in the view of project `index`: its own, or a file it shares
/// with the repository (see [`shared`]).
pub fn in_view(projects: &Projects, inventory: &Inventory, index: usize, path: &str) -> bool {
    match projects.of(path) {
        Some(p) if p == index => true,
        None => inventory.file(path).is_none_or(shared),
        Some(p) => {
            let holds = match (projects.get(p), projects.get(index)) {
                (Some(outer), Some(inner)) => outer.contains(&inner.path),
                _ => false,
            };
            holds && inventory.file(path).is_none_or(shared)
        }
    }
}

/// Whether `text` names the directory `dir` as a path of its own (`cd web`,
/// `working-directory: ./web`, `web/**`), not as part of a longer word (`webpack`).
fn names_dir(text: &str, dir: &str) -> bool {
    names_dir_where(text, dir, false)
}

/// [`names_dir`], where `absolute` also accepts the directory at the end of a longer
/// path (`WORKDIR /src/packages/api` names `packages/api`). Otherwise the path starts
/// the word (`cd api`, `./api`, `"api/**"`), so `tests/api` does not name `api`.
fn names_dir_where(text: &str, dir: &str, absolute: bool) -> bool {
    if dir.is_empty() {
        return false;
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    text.match_indices(dir).any(|(at, _)| {
        let head = text.get(..at).unwrap_or("");
        let before = head.chars().next_back();
        let after = text.get(at + dir.len()..).and_then(|a| a.chars().next());
        let starts = match before {
            None => true,
            Some('/') => absolute || head.ends_with("./") && !head.ends_with("../"),
            Some(c) => !word(c),
        };
        starts && after.is_none_or(|c| !word(c))
    })
}

/// A product that a packaged test suite (a project of role [`Role::Tests`]) starts or
/// drives, directly or as a workspace package the driven product depends on.
#[derive(Debug, Clone)]
pub struct Driven {
    /// The suite's project.
    pub suite: usize,
    /// Where the suite names the product it drives (`path:line`).
    pub at: String,
    /// The driven product this one is a dependency of, when it is not named itself.
    pub via: Option<usize>,
}

/// Per project, the packaged test suite that drives it: a suite's scripts or
/// Playwright/Cypress configuration name the product by package name or path
/// (`start-server-and-test "npm run start -w @acme/web"`, `cd ../../apps/web`). The
/// workspace packages a driven product depends on are exercised through it.
pub fn driven_by_suites(
    projects: &Projects,
    manifests: &[Manifest],
    inventory: &Inventory,
    frontends: &[bool],
) -> Vec<Option<Driven>> {
    let mut out: Vec<Option<Driven>> = vec![None; projects.list.len()];
    let named_in = |line: &str, p: &Project| {
        (!p.path.is_empty() && names_dir_where(line, &p.path, true))
            || ((p.name.contains('/') || p.name.starts_with('@'))
                && line.match_indices(p.name.as_str()).any(|(at, _)| {
                    line.get(at + p.name.len()..)
                        .and_then(|rest| rest.chars().next())
                        .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                }))
    };
    for (s, suite) in projects.list.iter().enumerate() {
        if suite.role != Role::Tests {
            continue;
        }
        let mut lines: Vec<(String, u32, String)> = Vec::new();
        for m in suite.manifests.iter().filter_map(|&i| manifests.get(i)) {
            for (_, text, line) in &m.scripts {
                lines.push((m.path.clone(), *line, text.clone()));
            }
        }
        for f in browser_configs(inventory, &suite.path) {
            for (n, l) in f.text().unwrap_or("").lines().enumerate() {
                let n = u32::try_from(n + 1).unwrap_or(u32::MAX);
                lines.push((f.path.clone(), n, l.to_string()));
            }
        }
        for (p, product) in projects.list.iter().enumerate() {
            if p == s || product.role != Role::Product || product.path.is_empty() {
                continue;
            }
            if let Some(slot) = out.get_mut(p).filter(|d| d.is_none()) {
                *slot =
                    lines
                        .iter()
                        .find(|(_, _, l)| named_in(l, product))
                        .map(|(path, line, _)| Driven {
                            suite: s,
                            at: format!("{path}:{line}"),
                            via: None,
                        });
            }
        }
    }
    // A browser suite that names no product (`baseURL: http://localhost:1411`), kept
    // as a test package or in a test directory, drives the repository's browser front
    // ends: a browser suite has no other subject.
    let named_some: Vec<usize> = out.iter().flatten().map(|d| d.suite).collect();
    let suites = inventory.files.iter().filter(|f| {
        ["playwright.config.", "cypress.config."]
            .iter()
            .any(|c| f.name().starts_with(c))
    });
    for config in suites {
        let Some(owner) = projects.of(&config.path) else {
            continue;
        };
        let suite_role = projects.list.get(owner).map(|p| p.role);
        let test_package = suite_role == Some(Role::Tests);
        // A front end's own browser suite tests that front end; a suite that names
        // its products drives those.
        let own_frontend = frontends.get(owner).copied().unwrap_or(false);
        if own_frontend
            || named_some.contains(&owner)
            || !(test_package || config.kind == FileKind::Test)
        {
            continue;
        }
        for (p, product) in projects.list.iter().enumerate() {
            let frontend = frontends.get(p).copied().unwrap_or(false);
            if p == owner || product.role != Role::Product || !frontend {
                continue;
            }
            if let Some(slot) = out.get_mut(p).filter(|d| d.is_none()) {
                *slot = Some(Driven {
                    suite: owner,
                    at: format!("{}:1", config.path),
                    via: None,
                });
            }
        }
    }
    // A browser suite inside one product that starts another from its directory
    // (`cd ../ && ./listmonk` in a front end's cypress.config.js): that product, the
    // root one included, is tested from outside.
    for (s, suite) in projects.list.iter().enumerate() {
        if suite.role == Role::Tests {
            continue;
        }
        for f in browser_configs(inventory, &suite.path) {
            for (n, l) in f.text().unwrap_or("").lines().enumerate() {
                for target in cd_targets(&suite.path, l) {
                    let Some((p, _)) = projects
                        .list
                        .iter()
                        .enumerate()
                        .find(|(p, x)| *p != s && x.role == Role::Product && x.path == target)
                    else {
                        continue;
                    };
                    if let Some(slot) = out.get_mut(p).filter(|d| d.is_none()) {
                        *slot = Some(Driven {
                            suite: s,
                            at: format!("{}:{}", f.path, n + 1),
                            via: None,
                        });
                    }
                }
            }
        }
    }
    // The workspace packages a driven product depends on.
    let direct: Vec<(usize, Driven)> = out
        .iter()
        .enumerate()
        .filter_map(|(i, d)| Some((i, d.clone()?)))
        .collect();
    for (driven, how) in direct {
        let Some(product) = projects.list.get(driven) else {
            continue;
        };
        let deps: Vec<&str> = product
            .manifests
            .iter()
            .filter_map(|&i| manifests.get(i))
            .flat_map(|m| m.dependencies.iter().map(|d| d.name.as_str()))
            .collect();
        for (p, package) in projects.list.iter().enumerate() {
            if package.role != Role::Product || !deps.contains(&package.name.as_str()) {
                continue;
            }
            if let Some(slot) = out.get_mut(p).filter(|d| d.is_none()) {
                *slot = Some(Driven {
                    via: Some(driven),
                    ..how.clone()
                });
            }
        }
    }
    out
}

/// The Playwright and Cypress configuration files directly in `dir`.
fn browser_configs<'a>(
    inventory: &'a Inventory,
    dir: &'a str,
) -> impl Iterator<Item = &'a RepoFile> + 'a {
    inventory.files.iter().filter(move |f| {
        f.dir() == dir
            && ["playwright.config.", "cypress.config."]
                .iter()
                .any(|c| f.name().starts_with(c))
    })
}

/// The directories `cd ..`-style commands in `line` enter, resolved from `dir` (the
/// repository root is `""`): `cd ../ && ./app` in `frontend` enters `""`.
fn cd_targets(dir: &str, line: &str) -> Vec<String> {
    let code = line.trim_start();
    if code.starts_with("//") || code.starts_with('#') || code.starts_with('*') {
        return Vec::new();
    }
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | ';' | '&' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .filter(|w| w.first() == Some(&"cd"))
        .filter_map(|w| w.get(1))
        .filter(|target| target.starts_with(".."))
        .filter_map(|target| crate::repo::join_path(dir, target))
        .collect()
}

/// The projects each CI job names (file by file, job by job): a working directory, a
/// `cd`, `--filter @acme/web`. A `paths:` filter says when a workflow runs, not what
/// it runs: only the jobs' own commands count. Computed once for all projects.
pub struct CiLinks(Vec<Vec<JobLinks>>);

/// The projects one CI job names, and whether it also runs a step that names none
/// from the repository root (`make test` beside `cd ui && yarn`).
struct JobLinks {
    named: Vec<usize>,
    /// A step runs a task in every workspace member (`pnpm -r test`, or `pnpm ci:test`
    /// whose root script is `pnpm -r test:ci`).
    fans_out: bool,
    /// Per step: it names no project and no step of the job sets a working directory.
    at_root: Vec<bool>,
}

impl CiLinks {
    pub fn new(ci: &CiFacts, inventory: &Inventory, projects: &Projects) -> CiLinks {
        let mentioned = |text: &str| -> Vec<usize> {
            projects
                .list
                .iter()
                .enumerate()
                .filter(|(_, p)| !p.path.is_empty())
                .filter(|(_, p)| {
                    names_dir(text, &p.path)
                        || (p.name.contains('/') || p.name.starts_with('@'))
                            && text.contains(p.name.as_str())
                })
                .map(|(i, _)| i)
                .collect()
        };
        let root_scripts = root_scripts(inventory);
        let tree_wide = root_runner_tree_wide(inventory);
        // Each project's package scripts, parsed once.
        let scripts: HashMap<&str, HashMap<String, String>> = projects
            .list
            .iter()
            .map(|p| (p.path.as_str(), scripts_at(inventory, &p.path)))
            .filter(|(_, s)| !s.is_empty())
            .collect();
        CiLinks(
            ci.files
                .iter()
                .map(|file| {
                    let lines: Vec<&str> = inventory
                        .file(&file.path)
                        .and_then(|f| f.text())
                        .map(|t| t.lines().collect())
                        .unwrap_or_default();
                    file.jobs
                        .iter()
                        .map(|job| {
                            let from = usize::try_from(job.line.saturating_sub(1)).unwrap_or(0);
                            let to = usize::try_from(job.end_line).unwrap_or(0).min(lines.len());
                            // What a job runs, not what its steps are called.
                            let body: Vec<&str> = lines
                                .get(from..to)
                                .unwrap_or(&[])
                                .iter()
                                .copied()
                                .filter(|l| {
                                    let t = l.trim_start().trim_start_matches("- ");
                                    !t.starts_with("name:") && !t.starts_with('#')
                                })
                                .collect();
                            let text = body.join("\n");
                            let mut named = mentioned(&text);
                            // Members a package script of the job's directories starts
                            // (`yarn test` → `yarn COLLABORATION_SERVER run test` →
                            // `yarn workspace server-y-provider run test`).
                            let expanded = expand_scripts(&text, &scripts, projects, &named);
                            for i in workspace_targets(&expanded, projects) {
                                if !named.contains(&i) {
                                    named.push(i);
                                }
                            }
                            JobLinks {
                                named,
                                fans_out: job.steps.iter().any(|s| {
                                    runs_in_every_member(&s.text, &root_scripts, tree_wide)
                                }),
                                at_root: job
                                    .steps
                                    .iter()
                                    .map(|s| {
                                        let at = usize::try_from(s.line.saturating_sub(1))
                                            .unwrap_or(usize::MAX);
                                        !in_working_directory(&lines, from, to, at)
                                            && runs_at_root(&s.text, &mentioned)
                                    })
                                    .collect(),
                            }
                        })
                        .collect()
                })
                .collect(),
        )
    }

    /// The CI of project `index`: the jobs that name it (or a project inside it), and
    /// those that name no project, which run for every project.
    fn ci_of(
        &self,
        ci: &CiFacts,
        inventory: &Inventory,
        projects: &Projects,
        index: usize,
    ) -> CiFacts {
        let root = projects.get(index).is_some_and(|p| p.path.is_empty());
        // A workspace member (its own package.json) takes part in a task run in every
        // member.
        let member = projects.get(index).is_some_and(|p| {
            !p.path.is_empty() && p.markers.iter().any(|m| m.ends_with("package.json"))
        });
        let runs_here = |job: &JobLinks| {
            let linked = job.named.as_slice();
            linked.is_empty()
                || (member && job.fans_out)
                || (root && job.at_root.contains(&true))
                || linked.contains(&index)
                || projects.get(index).is_some_and(|own| {
                    !own.path.is_empty()
                        && linked
                            .iter()
                            .any(|&l| projects.get(l).is_some_and(|p| own.contains(&p.path)))
                })
        };
        let mut out = CiFacts {
            files: ci.files.clone(),
            // Task runners (package.json scripts, a Makefile) of this project or shared
            // with the repository, not another project's.
            local: ci
                .local
                .iter()
                .filter(|t| in_view(projects, inventory, index, &t.path))
                .cloned()
                .collect(),
            release_tests: ci
                .release_tests
                .clone()
                .filter(|(path, _, _)| in_view(projects, inventory, index, path)),
            workflows: ci.workflows.clone(),
        };
        for (f, file) in out.files.iter_mut().enumerate() {
            let links = self.0.get(f);
            let mut j = 0;
            file.jobs.retain_mut(|job| {
                let linked = links.and_then(|l| l.get(j));
                j += 1;
                let Some(linked) = linked else {
                    return true;
                };
                if !runs_here(linked) {
                    return false;
                }
                // The root keeps only the steps of another project's job that run
                // from the root.
                let others_only =
                    root && !linked.named.is_empty() && !linked.named.contains(&index);
                if others_only {
                    let mut k = 0;
                    job.steps.retain(|_| {
                        let keep = linked.at_root.get(k).copied().unwrap_or(false);
                        k += 1;
                        keep
                    });
                }
                true
            });
        }
        out
    }
}

/// What the package scripts a CI job's commands start run, transitively: the
/// scripts of the root's and the named projects' package.json files, each expanded up
/// to [`SCRIPT_DEPTH`] levels, a script used as a prefix (`yarn APP run test` with
/// `"APP": "yarn workspace app"`) joined to the rest of its command.
fn expand_scripts(
    text: &str,
    scripts_of: &HashMap<&str, HashMap<String, String>>,
    projects: &Projects,
    named: &[usize],
) -> String {
    let mut out = String::new();
    let dirs = std::iter::once("").chain(
        named
            .iter()
            .filter_map(|&i| projects.get(i))
            .map(|p| p.path.as_str()),
    );
    for dir in dirs {
        let Some(scripts) = scripts_of.get(dir) else {
            continue;
        };
        let mut frontier = vec![text.to_string()];
        // Each script and its arguments expanded once, and the whole bounded: a
        // script naming itself (`"a": "yarn a && yarn a"`) does not multiply.
        let mut seen: HashSet<String> = HashSet::new();
        let mut kept = out.len();
        for _ in 0..SCRIPT_DEPTH {
            let mut next = Vec::new();
            for t in &frontier {
                for command in t.split(['\n', ';']).flat_map(|l| l.split("&&")) {
                    let command = command.trim().trim_start_matches("- ");
                    let command = command.strip_prefix("run:").unwrap_or(command);
                    let words: Vec<&str> = command.split_whitespace().collect();
                    let (name, rest) = match words.as_slice() {
                        ["pnpm" | "npm" | "yarn" | "bun", "run", name, rest @ ..] => (*name, rest),
                        ["pnpm" | "yarn", name, rest @ ..] => (*name, rest),
                        _ => continue,
                    };
                    let Some(body) = scripts.get(name) else {
                        continue;
                    };
                    let expanded = format!("{body} {}", rest.join(" "));
                    if kept + expanded.len() > EXPANDED_BYTES || !seen.insert(expanded.clone()) {
                        continue;
                    }
                    kept += expanded.len();
                    next.push(expanded);
                }
            }
            if next.is_empty() {
                break;
            }
            for n in &next {
                out.push_str(n);
                out.push('\n');
            }
            frontier = next;
        }
    }
    out
}

/// Levels of package scripts followed from a CI command.
const SCRIPT_DEPTH: usize = 4;
/// Bytes of expanded scripts kept per CI job.
const EXPANDED_BYTES: usize = 64 * 1024;

/// The projects a command addresses by package name: `yarn workspace NAME`,
/// `pnpm --filter NAME`, `npm -w NAME`, `--workspace=NAME`.
fn workspace_targets(text: &str, projects: &Projects) -> Vec<usize> {
    let mut names: Vec<&str> = Vec::new();
    let words: Vec<&str> = text
        .split_whitespace()
        .map(|w| w.trim_matches(['"', '\'']))
        .collect();
    for (i, w) in words.iter().enumerate() {
        if let Some(v) = w
            .strip_prefix("--filter=")
            .or_else(|| w.strip_prefix("--workspace="))
        {
            names.push(v);
        } else if matches!(*w, "workspace" | "--filter" | "-F" | "-w" | "--workspace") {
            if let Some(v) = words.get(i + 1) {
                names.push(v);
            }
        }
    }
    projects
        .list
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.path.is_empty() && names.contains(&p.name.as_str()))
        .map(|(i, _)| i)
        .collect()
}

/// The root package.json's scripts: name → command.
fn root_scripts(inventory: &Inventory) -> HashMap<String, String> {
    scripts_at(inventory, "")
}

/// The scripts of the package.json in `dir`: name → command.
fn scripts_at(inventory: &Inventory, dir: &str) -> HashMap<String, String> {
    let path = if dir.is_empty() {
        "package.json".to_string()
    } else {
        format!("{dir}/package.json")
    };
    let Some(text) = inventory.file(&path).and_then(|f| f.text()) else {
        return HashMap::new();
    };
    let Ok(serde_json::Value::Object(doc)) = serde_json::from_str::<serde_json::Value>(text) else {
        return HashMap::new();
    };
    doc.get("scripts")
        .and_then(|s| s.as_object())
        .map(|scripts| {
            scripts
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a command runs a test task in every workspace member, itself (`pnpm -r test`,
/// `turbo run test`) or through a root script (`pnpm ci:test` → `pnpm -r test:ci`).
/// A `--filter` names its members, which [`CiLinks`] reads as names.
///
/// A root script that starts Vitest or Jest itself (`"test": "vitest run"`) runs the
/// test files of the whole tree when `tree_wide` (the root's configuration does not
/// narrow where tests are looked for) and the command names no directory or project.
fn runs_in_every_member(
    text: &str,
    root_scripts: &HashMap<String, String>,
    tree_wide: bool,
) -> bool {
    let fans = |t: &str| {
        t.contains("test")
            && !t.contains("--filter")
            && ([
                "pnpm -r ",
                "pnpm --recursive",
                "turbo run ",
                "turbo test",
                "lerna run ",
                "nx run-many",
                "yarn workspaces ",
                "--workspaces",
            ]
            .iter()
            .any(|f| t.contains(f))
                || t.split_whitespace().any(|w| w == "-ws"))
    };
    if fans(text) {
        return true;
    }
    text.split(['\n', ';'])
        .flat_map(|l| l.split("&&"))
        .any(|command| {
            // A step's text starts with its key (`run: pnpm test`).
            let command = command.trim().trim_start_matches("- ");
            let command = command.strip_prefix("run:").unwrap_or(command);
            let words: Vec<&str> = command
                .split_whitespace()
                .map(|w| w.trim_matches(['"', '\'']))
                .collect();
            let script = match words.as_slice() {
                ["pnpm" | "npm" | "yarn" | "bun", "run", name, ..] => Some(*name),
                ["pnpm" | "yarn", name, ..] => Some(*name),
                _ => None,
            };
            script
                .and_then(|name| root_scripts.get(name))
                .is_some_and(|body| fans(body) || (tree_wide && runs_whole_tree(body)))
        })
}

/// Whether a script starts Vitest or Jest with nothing that narrows it to a directory,
/// a file or a project of the workspace.
fn runs_whole_tree(body: &str) -> bool {
    let words: Vec<&str> = body.split_whitespace().collect();
    let Some(at) = words.iter().position(|w| matches!(*w, "vitest" | "jest")) else {
        return false;
    };
    words.iter().skip(at + 1).all(|w| {
        let narrows = [
            "--dir",
            "--root",
            "--project",
            "--selectProjects",
            "--roots",
            "--rootDir",
            "-r",
        ]
        .iter()
        .any(|f| w == f || w.starts_with(&format!("{f}=")));
        // A path argument (`src/`, `packages/api`) is a filter; words such as `run`,
        // `e2e`, or flags and their values are not.
        let path = w.contains('/') && !w.starts_with('-');
        !narrows && !path
    }) && !body.contains("&&")
}

/// Whether the root's Vitest or Jest configuration leaves the default, tree-wide search
/// for tests: no configuration, a workspace of projects, or `include` patterns that
/// all start anywhere (`**/*.spec.ts`); `roots` or a pattern under one directory
/// narrows it.
fn root_runner_tree_wide(inventory: &Inventory) -> bool {
    const CONFIGS: &[&str] = &[
        "vitest.config.ts",
        "vitest.config.mts",
        "vitest.config.js",
        "vitest.config.mjs",
        "vitest.config.cts",
        "vite.config.ts",
        "vite.config.mts",
        "vite.config.js",
        "vite.config.mjs",
        "jest.config.js",
        "jest.config.ts",
        "jest.config.mjs",
        "jest.config.cjs",
    ];
    let texts: Vec<&str> = CONFIGS
        .iter()
        .filter_map(|c| inventory.file(c).and_then(|f| f.text()))
        .collect();
    if [
        "vitest.workspace.ts",
        "vitest.workspace.mts",
        "vitest.workspace.js",
    ]
    .iter()
    .any(|w| inventory.file(w).is_some())
    {
        return true;
    }
    texts.iter().all(|t| {
        if t.contains("projects:") {
            return true;
        }
        if t.contains("roots:") || t.contains("rootDir:") || t.contains("dir:") {
            return false;
        }
        ["include:", "testMatch:"].iter().all(|key| {
            t.match_indices(key).all(|(at, _)| {
                // The list after the key, up to its closing bracket.
                let rest = t.get(at + key.len()..).unwrap_or("");
                let list = rest.split(']').next().unwrap_or(rest);
                list.split(['"', '\'', '`'])
                    .skip(1)
                    .step_by(2)
                    .all(|pattern| pattern.starts_with("**") || pattern.starts_with("*."))
            })
        })
    })
}

/// Whether some command of a step runs at the repository root: one that names no
/// project and comes before any `cd` (`turbo run build --filter=@acme/web && turbo run
/// test` runs its tests at the root; `cd ui && yarn test` does not).
fn runs_at_root(text: &str, mentioned: &dyn Fn(&str) -> Vec<usize>) -> bool {
    if mentioned(text).is_empty() {
        return true;
    }
    for segment in text
        .split(['\n', ';'])
        .flat_map(|l| l.split("&&"))
        .flat_map(|l| l.split("||"))
    {
        let t = segment
            .trim()
            .trim_start_matches("- ")
            .trim_start_matches("run:")
            .trim();
        if t.starts_with("cd ") || t.starts_with("pushd ") {
            return false;
        }
        if !t.is_empty() && mentioned(t).is_empty() && t.split_whitespace().count() > 1 {
            return true;
        }
    }
    false
}

/// Whether the CI line at index `at` (of a job spanning `from..to`) runs in a working
/// directory: one set for the whole job (`defaults: run: working-directory:`, before
/// its `steps:`), or by the step it belongs to (the list item around it).
fn in_working_directory(lines: &[&str], from: usize, to: usize, at: usize) -> bool {
    let job = lines.get(from..to).unwrap_or(&[]);
    let steps = job
        .iter()
        .position(|l| l.trim_start().starts_with("steps:"));
    let sets = |l: &&str| {
        l.trim_start()
            .trim_start_matches("- ")
            .starts_with("working-directory")
    };
    let Some(steps) = steps else {
        return job.iter().any(sets);
    };
    if job.iter().take(steps).any(sets) {
        return true;
    }
    let indent = |l: &str| l.len() - l.trim_start().len();
    let Some(line) = lines.get(at) else {
        return false;
    };
    // The step: the nearest list item at or above the line, shallower than it (or the
    // line itself when it opens the item).
    let start = (from..=at).rev().find(|&i| {
        lines.get(i).is_some_and(|l| {
            l.trim_start().starts_with("- ") && (i == at || indent(l) < indent(line))
        })
    });
    let Some(start) = start else {
        return false;
    };
    let item = lines.get(start).map_or(0, |l| indent(l));
    lines
        .iter()
        .enumerate()
        .take(to)
        .skip(start)
        .take_while(|(i, l)| *i == start || l.trim().is_empty() || indent(l) > item)
        .any(|(_, l)| sets(l))
}

/// [`in_view`] for the file at `file` in the inventory, without looking its path up.
pub fn file_in_view(projects: &Projects, inventory: &Inventory, index: usize, file: usize) -> bool {
    let Some(f) = inventory.files.get(file) else {
        return false;
    };
    match projects.of_file(file) {
        Some(p) if p == index => true,
        None => shared(f),
        Some(p) => {
            shared(f)
                && match (projects.get(p), projects.get(index)) {
                    (Some(outer), Some(inner)) => outer.contains(&inner.path),
                    _ => false,
                }
        }
    }
}

/// Build contexts a Compose file names (`build: ./api`, `context: ../web`), as
/// directories of the repository.
fn compose_contexts(path: &str, text: &str) -> Vec<String> {
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let value = t
            .strip_prefix("build:")
            .or_else(|| t.strip_prefix("context:"))
            .map(|v| v.trim().trim_matches(['"', '\'']));
        let Some(v) = value.filter(|v| !v.is_empty() && !v.contains("${") && !v.contains("://"))
        else {
            continue;
        };
        out.extend(crate::repo::join_path(dir, v));
    }
    out
}

/// Test files of the root project, of a test package or of no project that import a
/// top-level Python package of project `index` (`core/admin/mailu/__init__.py` makes
/// `mailu`), when the project's own files hold no test.
fn borrowed_tests(
    facts: &Facts,
    inventory: &Inventory,
    index: usize,
    own: &[SourceFacts],
) -> Vec<SourceFacts> {
    let projects = &facts.projects;
    let Some(p) = projects.get(index).filter(|p| !p.path.is_empty()) else {
        return Vec::new();
    };
    let kind_of = |file: usize| inventory.files.get(file).map(|f| f.kind);
    if own.iter().any(|s| kind_of(s.file) == Some(FileKind::Test)) {
        return Vec::new();
    }
    let prefix = format!("{}/", p.path);
    let packages: Vec<&str> = own
        .iter()
        .filter_map(|s| inventory.files.get(s.file))
        .filter_map(|f| f.path.strip_prefix(&prefix)?.strip_suffix("/__init__.py"))
        .filter(|pkg| !pkg.contains('/'))
        .collect();
    if packages.is_empty() {
        return Vec::new();
    }
    facts
        .sources
        .iter()
        .filter(|s| kind_of(s.file) == Some(FileKind::Test))
        .filter(|s| {
            let Some(path) = inventory.files.get(s.file).map(|f| f.path.as_str()) else {
                return false;
            };
            projects.of(path).is_none_or(|o| {
                projects
                    .get(o)
                    .is_some_and(|q| q.path.is_empty() || q.role == Role::Tests)
            })
        })
        .filter(|s| {
            s.imports.iter().any(|i| {
                let top = i.module.split('.').next().unwrap_or("");
                packages.contains(&top)
            })
        })
        .cloned()
        .collect()
}

/// Whether a Go or Rust file inside project `index` belongs to the module of an
/// enclosing project instead: Go and Cargo give a file to the nearest `go.mod` or
/// `Cargo.toml` above it, so `ui/serve.go` under a root `go.mod` is the Go program's,
/// not the `ui/package.json` front end's.
fn foreign_module_file(
    projects: &Projects,
    inventory: &Inventory,
    index: usize,
    file: usize,
) -> bool {
    let Some(f) = inventory.files.get(file) else {
        return false;
    };
    let module = match f.path.rsplit_once('.').map(|(_, e)| e) {
        Some("go") => "go.mod",
        Some("rs") => "Cargo.toml",
        _ => return false,
    };
    let Some(p) = projects.get(index) else {
        return false;
    };
    let has = |q: &Project| {
        q.markers
            .iter()
            .any(|m| m.rsplit('/').next().unwrap_or(m) == module)
    };
    !has(p)
        && projects.list.iter().any(|q| {
            q.path != p.path
                && (q.path.is_empty() || p.path.starts_with(&format!("{}/", q.path)))
                && has(q)
        })
}

/// Gives each project the directories of the repository's images its own Dockerfiles
/// start from (`FROM base`, where `core/base/Dockerfile` builds `base` for a bake or
/// compose build): what those images install, their manifests declare for the project.
pub fn link_base_images(projects: &mut Projects, containers: &ContainerFacts) {
    let all = || {
        containers
            .dockerfiles
            .iter()
            .chain(&containers.dev_dockerfiles)
    };
    let dir_of = |path: &str| path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    // Directory name → the directories of that name holding a Dockerfile.
    let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
    for d in all() {
        let dir = dir_of(&d.path);
        let name = dir.rsplit('/').next().unwrap_or("").to_string();
        let dirs = by_name.entry(name).or_default();
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    let mut links: Vec<(usize, String)> = Vec::new();
    let mut seen: std::collections::HashSet<(usize, String)> = std::collections::HashSet::new();
    for d in all() {
        let Some(owner) = projects.of(&d.path) else {
            continue;
        };
        let own_dir = dir_of(&d.path);
        for stage in d.stages.iter().filter(|s| {
            !s.internal
                && s.tag.is_none()
                && !s.digest
                && !s.image.contains(['/', '$', '.', ':'])
                && !super::container::OFFICIAL_IMAGES.contains(&s.image.as_str())
        }) {
            for dir in by_name.get(&stage.image).into_iter().flatten() {
                if *dir != own_dir && seen.insert((owner, dir.clone())) {
                    links.push((owner, dir.clone()));
                }
            }
        }
    }
    for (owner, dir) in links {
        if let Some(p) = projects.list.get_mut(owner) {
            p.base_dirs.push(dir);
        }
    }
}

/// The facts of one project: its files' facts, its manifests, containers, tests, stack
/// and kind, with what belongs to the whole repository (CI, documentation, files
/// outside every project). The history scan stays with the repository.
pub fn view(
    facts: &Facts,
    inventory: &Inventory,
    index: usize,
    policy: &Policy,
    links: &CiLinks,
) -> Facts {
    let projects = &facts.projects;
    // What the project owns; what it shares with the repository (CI, docs) is in
    // the facts kept whole.
    let keep = |path: &str| owns(projects, index, path);
    let own = keep;
    // A workspace root's manifest and lock file cover its members.
    let workspace_root = |path: &str| {
        projects.project_of(path).is_some_and(|holder| {
            holder.workspace
                && projects
                    .get(index)
                    .is_some_and(|p| p.path != holder.path && holder.contains(&p.path))
        })
    };
    let file_kept = |file: usize| projects.of_file(file) == Some(index);
    // Dockerfiles that belong to no product (a workspace root's `prod.Dockerfile`, a
    // file outside every project) and copy this project in. A product's own image
    // that copies its workspace members in builds that product.
    let copies_here = |d: &super::container::Dockerfile| {
        let unowned = projects
            .project_of(&d.path)
            .is_none_or(|owner| owner.role != Role::Product);
        // An image that copies several members in runs one of them: when its command
        // traces back to a member's directory, the image is that member's alone.
        // The member whose binary the command runs (`CMD ["/usr/local/bin/NAME"]`)
        // first, then the member the command's files were copied from.
        let shipped: Vec<&str> = projects
            .list
            .iter()
            .filter(|q| !q.path.is_empty() && ships_artifact(d, &q.name))
            .map(|q| q.path.as_str())
            .collect();
        if unowned && !shipped.is_empty() {
            return projects
                .get(index)
                .is_some_and(|p| shipped.contains(&p.path.as_str()));
        }
        let runs = started_member(d, projects);
        if unowned && !runs.is_empty() {
            return projects.get(index).is_some_and(|p| runs.contains(&p.path));
        }
        unowned
            && projects.get(index).is_some_and(|p| {
                !p.path.is_empty()
                    && d.instructions.iter().any(|i| {
                        match i.op.as_str() {
                            // The directory, not only its manifest copied in to
                            // fetch dependencies before the sources.
                            "COPY" | "ADD" => {
                                let from_stage = i.flags.iter().any(|f| f.starts_with("--from"));
                                copy_sources(&i.args).iter().any(|src| {
                                    if from_stage {
                                        // The member's built directory, taken from a
                                        // build stage (`COPY --from=build /data/apps/web
                                        // ./apps/web`).
                                        let src = src.trim_end_matches('/');
                                        src == p.path || src.ends_with(&format!("/{}", p.path))
                                    } else {
                                        names_dir_where(src, &p.path, true)
                                            && !is_manifest_name(
                                                src.rsplit('/').next().unwrap_or(src),
                                            )
                                    }
                                })
                            }
                            // The directory itself, not one of its parents.
                            // `/app` is the conventional directory of any image,
                            // not the project called `app`.
                            "WORKDIR" => {
                                let dir = i.args.trim().trim_end_matches('/');
                                let top_level = dir.starts_with('/')
                                    && !dir.trim_start_matches('/').contains('/');
                                dir == p.path
                                    || (!top_level && dir.ends_with(&format!("/{}", p.path)))
                            }
                            _ => false,
                        }
                    })
                    || ships_artifact(d, &p.name)
            })
    };
    // Kubernetes manifests outside every product (k8s/, deploy/, a chart) that run this
    // project's image: an `image:` naming the project.
    let deploys_here = |path: &str| {
        let unowned = projects
            .project_of(path)
            .is_none_or(|owner| owner.role != Role::Product);
        let Some(p) = projects.get(index).filter(|p| !p.path.is_empty()) else {
            return false;
        };
        let names: Vec<&str> = [
            p.path.rsplit('/').next().unwrap_or(&p.path),
            p.name.rsplit('/').next().unwrap_or(&p.name),
        ]
        .into_iter()
        .filter(|n| n.len() >= 3)
        .collect();
        unowned
            && inventory
                .file(path)
                .and_then(|f| f.text())
                .is_some_and(|t| {
                    t.lines().any(|l| {
                        l.trim_start()
                            .trim_start_matches("- ")
                            .strip_prefix("image:")
                            .is_some_and(|image| {
                                // `registry/acme/api:1.2` names `api`.
                                let repo = image.trim().trim_matches(['"', '\'']);
                                let repo = repo.split([':', '@']).next().unwrap_or(repo);
                                let last = repo.rsplit('/').next().unwrap_or(repo);
                                names.contains(&last)
                            })
                    })
                })
    };
    // Compose files elsewhere that build this project.
    let builds_here = |path: &str| {
        let Some(p) = projects.get(index) else {
            return false;
        };
        !p.path.is_empty()
            && inventory
                .file(path)
                .and_then(|f| f.text())
                .is_some_and(|t| compose_contexts(path, t).iter().any(|c| p.contains(c)))
    };
    let sources: Vec<SourceFacts> = facts
        .sources
        .iter()
        .filter(|s| file_kept(s.file) && !foreign_module_file(projects, inventory, index, s.file))
        .cloned()
        .collect();
    let from_base = |path: &str| {
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        projects
            .get(index)
            .is_some_and(|p| p.base_dirs.iter().any(|b| b == dir))
    };
    let manifests: Vec<Manifest> = facts
        .manifests
        .iter()
        .filter(|m| own(&m.path) || workspace_root(&m.path) || from_base(&m.path))
        .cloned()
        .collect();
    // What the project itself declares and installs: its kind and stack are its own.
    let own_manifests: Vec<Manifest> = manifests.iter().filter(|m| own(&m.path)).cloned().collect();
    let lockfiles = facts
        .lockfiles
        .iter()
        .filter(|l| keep(&l.path) || workspace_root(&l.path))
        .cloned()
        .collect();
    let c = &facts.containers;
    let containers = ContainerFacts {
        dockerfiles: c
            .dockerfiles
            .iter()
            .filter(|d| keep(&d.path) || copies_here(d))
            .cloned()
            .collect(),
        dev_dockerfiles: c
            .dev_dockerfiles
            .iter()
            .filter(|d| keep(&d.path))
            .cloned()
            .collect(),
        compose: c
            .compose
            .iter()
            .filter(|d| keep(&d.path) || builds_here(&d.path))
            .cloned()
            .collect(),
        kubernetes: c
            .kubernetes
            .iter()
            .filter(|d| keep(&d.path) || deploys_here(&d.path))
            .cloned()
            .collect(),
        workloads: c
            .workloads
            .iter()
            .filter(|d| keep(&d.path))
            .cloned()
            .collect(),
    };
    // Tests kept outside every product (the root's `tests/`, a test package) that
    // import this project's own Python packages test it: `tests/anonmail/` importing
    // `mailu` from `core/admin/mailu/`. Counted only where the project has none of its
    // own.
    let borrowed = borrowed_tests(facts, inventory, index, &sources);
    let mut tests = if borrowed.is_empty() {
        super::tests::build(inventory, &sources)
    } else {
        let with: Vec<SourceFacts> = sources.iter().cloned().chain(borrowed).collect();
        super::tests::build(inventory, &with)
    };
    let internal = super::stack::InternalNames::new(inventory, projects, &manifests);
    let detections = super::stack::detect(inventory, &own_manifests, &sources, &internal);
    let scope = |f: &RepoFile| keep(&f.path);
    // The policy's `project_kind` is the repository's; a project's is its own
    // `[[project]] kind`.
    let mut own_policy = policy.clone();
    if projects.get(index).is_none_or(|p| !p.path.is_empty()) {
        own_policy.project_kind = None;
    }
    let mut stack = super::stack::build(
        inventory,
        &own_manifests,
        &sources,
        &detections,
        &containers,
        &own_policy,
        &scope,
    );
    // End-to-end suites drive the whole system through its services, wherever they
    // are kept.
    let kind = projects
        .get(index)
        .and_then(|p| p.kind_override)
        .unwrap_or(stack.project_kind);
    if kind.is_service() {
        tests.e2e_elsewhere = facts
            .tests
            .of_kind(super::tests::TestKind::E2e)
            .filter(|f| !keep(&f.path))
            .cloned()
            .collect();
    }
    if let Some(kind) = projects.get(index).and_then(|p| p.kind_override) {
        stack.project_kind = kind;
        stack.kind_source = "policy";
        stack.kind_evidence = vec![(
            format!("[[project]] kind = \"{}\"", kind.id()),
            crate::model::Evidence::at(policy.source_display(), 1, ""),
        )];
    }
    // Deployment described outside every project (a root `deploy/` chart, Terraform,
    // a platform manifest) deploys the repository's projects.
    let deploys_all = |a: &ArtifactHit, path: &str| {
        use super::catalog::ArtifactKind;
        matches!(
            a.artifact.kind,
            ArtifactKind::Orchestration | ArtifactKind::Platform | ArtifactKind::Iac
        ) && a.artifact.id != "docker-compose"
            && projects.of(path).is_none()
    };
    let artifacts = facts
        .artifacts
        .iter()
        .filter_map(|a| {
            let evidence: Vec<_> = a
                .evidence
                .iter()
                .filter(|e| {
                    e.location()
                        .is_none_or(|l| keep(&l.path) || deploys_all(a, &l.path))
                })
                .cloned()
                .collect();
            let count = evidence.len();
            (count > 0).then_some(ArtifactHit {
                artifact: a.artifact,
                count,
                evidence,
            })
        })
        .collect();
    let py = &facts.python;
    let python = super::python::PyProject {
        modules: py
            .modules
            .iter()
            .filter(|(_, f)| file_kept(**f))
            .map(|(m, f)| (m.clone(), *f))
            .collect(),
        imports: py
            .imports
            .iter()
            .filter(|c| file_kept(c.file))
            .cloned()
            .collect(),
        cycles: py
            .cycles
            .iter()
            .filter(|c| c.files.iter().all(|&f| file_kept(f)))
            .cloned()
            .collect(),
        fan_in: py
            .fan_in
            .iter()
            .filter(|(f, _)| file_kept(**f))
            .map(|(f, n)| (*f, *n))
            .collect(),
        dependencies: py
            .dependencies
            .iter()
            .filter(|d| match &d.project {
                Some(p) => projects.get(index).is_some_and(|own| own.display() == p),
                None => true,
            })
            .cloned()
            .collect(),
        missing_names: py
            .missing_names
            .iter()
            .filter(|m| file_kept(m.file))
            .cloned()
            .collect(),
        siblings: py
            .siblings
            .iter()
            .filter(|u| u.from == Some(index))
            .cloned()
            .collect(),
        declares_dependencies: manifests.iter().any(|m| {
            m.ecosystem == super::catalog::Ecosystem::Python
                && (m.format != "setup.py" || !m.dependencies.is_empty())
        }),
    };
    let s = &facts.secrets;
    let secrets = super::secrets::SecretFacts {
        files: s.files.iter().filter(|f| keep(&f.path)).cloned().collect(),
        key_files: s
            .key_files
            .iter()
            .filter(|f| keep(&f.path))
            .cloned()
            .collect(),
        dense: s.dense.iter().filter(|p| keep(p)).cloned().collect(),
        scanned: s.scanned,
        text_files: s.text_files,
        timed_out: s.timed_out,
        not_read: s.not_read,
    };
    Facts {
        projects: std::sync::Arc::clone(&facts.projects),
        sources,
        manifests,
        lockfiles,
        ci: links.ci_of(&facts.ci, inventory, projects, index),
        containers,
        docs: {
            // A member's own README documents it; the repository's README otherwise.
            let mut docs = facts.docs.clone();
            if let Some(own) = projects
                .get(index)
                .filter(|p| !p.path.is_empty())
                .and_then(|p| super::docs::readme_in(inventory, &p.path))
            {
                docs.readme = Some(own);
            }
            docs
        },
        tests,
        artifacts,
        detections,
        stack,
        env_files: facts
            .env_files
            .iter()
            .filter(|e| keep(&e.path))
            .cloned()
            .collect(),
        problems: facts
            .problems
            .iter()
            .filter(|p| keep(&p.path))
            .cloned()
            .collect(),
        distribution: facts.distribution.clone(),
        python,
        secrets,
        history: None,
    }
}

/// Scripts that start a Node package in production.
const START_SCRIPTS: &[&str] = &["start", "start:prod", "start:production", "serve", "prod"];

/// The member projects a project's start script runs: `"start": "cd packages/core &&
/// npm start"`, `npm --prefix api start`, `pnpm -C server start`. A workspace root
/// started that way runs its member's code, with the member's logger.
fn started_by_script(v: &Facts, projects: &Projects, index: usize) -> Vec<usize> {
    let Some(project) = projects.get(index) else {
        return Vec::new();
    };
    let own = v
        .manifests
        .iter()
        .filter(|m| project.markers.contains(&m.path));
    let mut out = Vec::new();
    for m in own {
        let dir = m.path.rsplit_once('/').map_or("", |(d, _)| d);
        for (_, script, _) in m
            .scripts
            .iter()
            .filter(|(n, _, _)| START_SCRIPTS.contains(&n.as_str()))
        {
            let words: Vec<&str> = script
                .split(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | ';' | '&'))
                .filter(|w| !w.is_empty())
                .collect();
            for pair in words.windows(2) {
                let (Some(&flag), Some(&target)) = (pair.first(), pair.get(1)) else {
                    continue;
                };
                if !matches!(flag, "cd" | "--prefix" | "-C" | "--dir" | "--cwd") {
                    continue;
                }
                let target = target.trim_start_matches("./").trim_end_matches('/');
                let path = if dir.is_empty() {
                    target.to_string()
                } else {
                    format!("{dir}/{target}")
                };
                if let Some(j) = projects
                    .list
                    .iter()
                    .position(|p| !p.path.is_empty() && p.path == path)
                {
                    out.push(j);
                }
            }
        }
    }
    out
}

/// The facts of every project (see [`view`]), built in parallel. A project that
/// depends on another of the repository by name (a workspace package such as
/// `@acme/logger`), or whose start script runs another (see [`started_by_script`]),
/// also has the libraries that project uses: logging through a shared logger package
/// is logging.
pub fn views(facts: &Facts, inventory: &Inventory, policy: &Policy) -> Vec<Facts> {
    use rayon::prelude::*;
    let links = CiLinks::new(&facts.ci, inventory, &facts.projects);
    let mut views: Vec<Facts> = (0..facts.projects.list.len())
        .into_par_iter()
        .map(|i| view(facts, inventory, i, policy, &links))
        .collect();
    let names: Vec<&str> = facts
        .projects
        .list
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let depends: Vec<Vec<usize>> = views
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let declared: std::collections::HashSet<&str> = v
                .manifests
                .iter()
                .flat_map(|m| m.dependencies.iter().map(|d| d.name.as_str()))
                .collect();
            let started = started_by_script(v, &facts.projects, i);
            names
                .iter()
                .enumerate()
                .filter(|&(j, n)| j != i && (declared.contains(n) || started.contains(&j)))
                .map(|(j, _)| j)
                .collect()
        })
        .collect();
    let used: Vec<Vec<super::Detection>> = views
        .iter()
        .map(|v| {
            v.detections
                .iter()
                .filter(|d| !d.used.is_empty())
                .cloned()
                .collect()
        })
        .collect();
    for (i, v) in views.iter_mut().enumerate() {
        for &j in depends.get(i).into_iter().flatten() {
            for d in used.get(j).into_iter().flatten() {
                match v.detections.iter_mut().find(|own| own.id == d.id) {
                    Some(own) if own.used.is_empty() => {
                        own.used = d.used.clone();
                        own.used_count = d.used_count;
                    }
                    Some(_) => {}
                    None => v.detections.push(d.clone()),
                }
            }
        }
        // A front end built from a workspace package that imports the UI framework.
        if v.stack.frontend.is_none() {
            v.stack.frontend =
                super::stack::frontend(&v.stack.languages, &v.detections, &v.sources);
        }
    }
    views
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_that_name_themselves_expand_a_bounded_amount() {
        let projects = Projects::new(vec![Project::at("")]);
        let body = format!("yarn a{}", " && yarn a".repeat(300));
        let mut root = HashMap::new();
        root.insert("a".to_string(), body);
        let mut scripts: HashMap<&str, HashMap<String, String>> = HashMap::new();
        scripts.insert("", root);
        let out = expand_scripts("yarn a", &scripts, &projects, &[]);
        assert!(out.len() <= EXPANDED_BYTES, "{}", out.len());
        assert!(out.contains("yarn a && yarn a"));
    }

    fn project(path: &str) -> Project {
        let mut p = Project::at(path);
        p.name = path.into();
        p
    }

    #[test]
    fn innermost_project_holds_a_path() {
        let p = Projects::new(vec![project(""), project("api"), project("api/worker")]);
        assert_eq!(p.of("api/app/main.py"), Some(1));
        assert_eq!(p.of("api/worker/x.py"), Some(2));
        assert_eq!(p.of("api"), Some(1));
        assert_eq!(p.of("apis/x.py"), Some(0));
        assert_eq!(p.of("README.md"), Some(0));
        let no_root = Projects::new(vec![project("api"), project("web")]);
        assert_eq!(no_root.of(".github/workflows/ci.yml"), None);
        assert_eq!(no_root.of("web/src/a.ts"), Some(1));
    }

    #[test]
    fn directories_named_in_commands() {
        assert!(names_dir("cd web && npm test", "web"));
        assert!(names_dir("working-directory: ./web", "web"));
        assert!(names_dir("      - 'apps/api/**'", "apps/api"));
        assert!(!names_dir("npx webpack", "web"));
        assert!(!names_dir("cd website", "web"));
        assert!(!names_dir("run: pytest backend_tests", "backend"));
        assert!(!names_dir("cd apps/api-gateway", "apps/api"));
        assert!(!names_dir("pytest tests/web", "web"));
        assert!(names_dir_where(
            "WORKDIR /src/packages/api",
            "packages/api",
            true
        ));
    }

    #[test]
    fn roles_from_directory_names() {
        assert_eq!(role_of("docs"), Role::Docs);
        assert_eq!(role_of("web/docs-site"), Role::Docs);
        assert_eq!(role_of("packages/api-documentation"), Role::Docs);
        assert_eq!(role_of("packages/docsearch"), Role::Product);
        assert_eq!(role_of("crates/crates_io_docs_rs"), Role::Product);
        assert_eq!(role_of("connectors/source-google-docs"), Role::Product);
        assert_eq!(role_of("examples/chat"), Role::Example);
        assert_eq!(role_of("demo_api"), Role::Example);
        assert_eq!(role_of("apps/example-app"), Role::Example);
        assert_eq!(role_of("apps/demonstrator"), Role::Product);
        assert_eq!(role_of("playground/nextjs"), Role::Example);
        assert_eq!(role_of("apps/playground-api"), Role::Product);
        assert_eq!(role_of("e2e"), Role::Tests);
        assert_eq!(role_of("playwright"), Role::Tests);
        assert_eq!(role_of("api"), Role::Product);
        assert_eq!(role_of("api_tests"), Role::Tests);
        assert_eq!(role_of("packages/server"), Role::Product);
        assert_eq!(role_of("docker"), Role::Tooling);
        assert_eq!(role_of("deployments/aio/community"), Role::Tooling);
        assert!(project("api").contains("api/x.py"));
        assert!(!project("api").contains("apis/x.py"));
    }
}
