//! Derived facts: which catalog detectors fire (declared dependency, import in
//! production code, import in tests, code pattern), the stack table, and the inferred
//! project kind with the evidence behind it.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::catalog::{Detector, DetectorKind, Ecosystem, catalog};
use super::container::ContainerFacts;
use super::manifest::{DepKind, Manifest};
use super::source::SourceFacts;
use crate::config::Policy;
use crate::model::{Evidence, ProjectKind};
use crate::repo::{FileKind, Inventory};

/// Evidence kept per detection and kind of use.
const MAX_EVIDENCE: usize = 5;

/// A catalog detector that fired, with where.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    pub id: &'static str,
    pub name: &'static str,
    #[serde(skip)]
    pub kind: DetectorKind,
    #[serde(skip)]
    pub also: &'static [DetectorKind],
    pub ecosystem: Ecosystem,
    /// Manifest lines declaring it.
    pub declared: Vec<Evidence>,
    /// True when declared as a runtime (not dev/build) dependency.
    pub declared_runtime: bool,
    /// Imports or pattern matches in production source.
    pub used: Vec<Evidence>,
    pub used_count: usize,
    /// Imports or pattern matches in tests.
    pub in_tests: Vec<Evidence>,
    /// The products seen, in order (the detector's name for its primary package).
    pub products: Vec<String>,
}

impl Detection {
    /// What to call it: the products actually seen (`rollbar-go`, not "Sentry").
    pub fn display(&self) -> String {
        if self.products.is_empty() {
            self.name.to_string()
        } else {
            self.products.join(", ")
        }
    }

    fn saw(&mut self, product: String) {
        if !self.products.contains(&product) {
            self.products.push(product);
        }
    }

    /// True when it counts as `kind` (its main kind or one it also counts as).
    pub fn is(&self, kind: DetectorKind) -> bool {
        self.kind == kind || self.also.contains(&kind)
    }

    /// Part of what ships: declared for runtime or used by production code.
    pub fn in_production(&self) -> bool {
        self.declared_runtime || !self.used.is_empty()
    }

    /// The most telling evidence: a use in code, else the declaration.
    pub fn evidence(&self) -> Option<&Evidence> {
        self.used
            .first()
            .or_else(|| self.declared.first())
            .or_else(|| self.in_tests.first())
    }
}

/// A language in the repository, with its required version.
#[derive(Debug, Clone, Serialize)]
pub struct StackLanguage {
    pub name: &'static str,
    pub files: usize,
    pub code_lines: usize,
    pub version: Option<(String, Evidence)>,
}

/// One row of the stack table.
#[derive(Debug, Clone, Serialize)]
pub struct StackRow {
    pub component: &'static str,
    pub items: Vec<(String, Evidence)>,
}

/// The stack table and the project kind.
#[derive(Debug, Clone, Serialize)]
pub struct Stack {
    pub languages: Vec<StackLanguage>,
    pub rows: Vec<StackRow>,
    /// External hosts of URL literals in production code: host, uses, first place.
    pub services: Vec<(String, usize, Evidence)>,
    /// Environment variables that look like credentials, with the first read.
    pub credentials: Vec<(String, Evidence)>,
    /// Other environment variables read by production code.
    pub env_vars: Vec<(String, Evidence)>,
    pub project_kind: ProjectKind,
    /// `inferred` or `policy`.
    pub kind_source: &'static str,
    /// Why the project kind was inferred.
    pub kind_evidence: Vec<(String, Evidence)>,
    /// Set when the code is a browser front end: a UI framework used by production
    /// code, in JavaScript/TypeScript only, with no server framework of its own
    /// (a meta-framework such as Next.js renders pages, it is not an API). The
    /// evidence is the UI framework's first use.
    pub frontend: Option<Evidence>,
}

/// Rows of the stack table, in order, with the detector kinds each shows.
const ROWS: &[(&str, &[DetectorKind])] = &[
    ("CLI framework", &[DetectorKind::CliFramework]),
    ("Terminal UI", &[DetectorKind::TerminalUi]),
    ("Web framework", &[DetectorKind::WebFramework]),
    ("Application server", &[DetectorKind::AppServer]),
    ("UI framework", &[DetectorKind::UiFramework]),
    ("Async runtime", &[DetectorKind::AsyncRuntime]),
    ("Persistence", &[DetectorKind::Database, DetectorKind::Orm]),
    ("Migrations", &[DetectorKind::Migrations]),
    (
        "Queues & messaging",
        &[DetectorKind::TaskQueue, DetectorKind::Messaging],
    ),
    ("LLM providers", &[DetectorKind::LlmProvider]),
    ("HTTP clients", &[DetectorKind::HttpClient]),
    ("Cloud SDKs", &[DetectorKind::CloudSdk]),
    ("Validation", &[DetectorKind::Validation]),
    ("Configuration", &[DetectorKind::Config]),
    (
        "Logging",
        &[DetectorKind::Logging, DetectorKind::StructuredLogging],
    ),
    ("Metrics", &[DetectorKind::Metrics]),
    ("Tracing / APM", &[DetectorKind::Tracing]),
    ("Error tracking", &[DetectorKind::ErrorTracking]),
    ("Caching", &[DetectorKind::Caching]),
    ("Test frameworks", &[DetectorKind::TestFramework]),
    ("End-to-end testing", &[DetectorKind::E2eTesting]),
    (
        "Load testing & benchmarks",
        &[DetectorKind::LoadTesting, DetectorKind::Benchmark],
    ),
];

/// Names the repository itself provides, per ecosystem: imports of these are internal.
pub struct InternalNames {
    python: HashSet<String>,
    rust: HashSet<String>,
    npm: HashSet<String>,
    go: Vec<String>,
}

impl InternalNames {
    pub fn new(
        inventory: &Inventory,
        projects: &crate::analyze::projects::Projects,
        manifests: &[Manifest],
    ) -> InternalNames {
        let mut python = HashSet::new();
        for f in &inventory.files {
            if f.lang() != "python" {
                continue;
            }
            // Relative to the file's project: `backend/app/x.py` is the module `app`.
            let base = projects
                .project_of(&f.path)
                .map(|p| p.path.as_str())
                .unwrap_or("");
            let rel = if base.is_empty() {
                f.path.as_str()
            } else {
                f.path
                    .strip_prefix(base)
                    .and_then(|r| r.strip_prefix('/'))
                    .unwrap_or(&f.path)
            };
            let rel = rel.strip_prefix("src/").unwrap_or(rel);
            let first = rel.split('/').next().unwrap_or("");
            let name = first.strip_suffix(".py").unwrap_or(first);
            if !name.is_empty() {
                python.insert(name.to_string());
            }
        }
        let declared_crates: HashSet<String> = manifests
            .iter()
            .filter(|m| m.ecosystem == Ecosystem::Rust)
            .flat_map(|m| m.dependencies.iter().map(|d| d.name.replace('-', "_")))
            .collect();
        let mut rust = HashSet::new();
        // Module files and directories of Rust crates: `use config::X` inside the crate
        // names its own module, not the `config` crate — unless a crate of that name is
        // declared, which Rust resolves first outside the crate root.
        for f in &inventory.files {
            if f.lang() != "rust" {
                continue;
            }
            let Some((_, after_src)) = f.path.split_once("src/") else {
                continue;
            };
            for part in after_src.split('/') {
                let name = part.strip_suffix(".rs").unwrap_or(part);
                if !matches!(name, "lib" | "main" | "mod" | "bin")
                    && !name.is_empty()
                    && !declared_crates.contains(name)
                {
                    rust.insert(name.to_string());
                }
            }
        }
        let mut npm = HashSet::new();
        let mut go = Vec::new();
        for m in manifests {
            let Some(name) = &m.name else { continue };
            match m.ecosystem {
                Ecosystem::Rust => {
                    rust.insert(name.replace('-', "_"));
                }
                Ecosystem::Npm => {
                    npm.insert(name.clone());
                }
                Ecosystem::Go => go.push(name.clone()),
                Ecosystem::Python => {
                    python.insert(name.replace('-', "_").to_ascii_lowercase());
                }
            }
        }
        InternalNames {
            python,
            rust,
            npm,
            go,
        }
    }

    /// True when `module` (as imported in `eco` code) is the repository's own.
    pub fn is_internal(&self, eco: Ecosystem, module: &str) -> bool {
        match eco {
            Ecosystem::Python => {
                module.starts_with('.')
                    || self.python.contains(module.split('.').next().unwrap_or(""))
            }
            Ecosystem::Rust => self.rust.contains(module),
            Ecosystem::Npm => {
                module.starts_with('.')
                    || module.starts_with('/')
                    || self
                        .npm
                        .iter()
                        .any(|n| module == n || module.starts_with(&format!("{n}/")))
            }
            Ecosystem::Go => self
                .go
                .iter()
                .any(|m| module == m || module.starts_with(&format!("{m}/"))),
        }
    }
}

/// Finds every detector that fires.
pub fn detect(
    inventory: &Inventory,
    manifests: &[Manifest],
    sources: &[SourceFacts],
    internal: &InternalNames,
) -> Vec<Detection> {
    let cat = catalog();
    let mut out: BTreeMap<usize, Detection> = BTreeMap::new();
    // Declared dependencies.
    for m in manifests {
        for dep in &m.dependencies {
            for (i, d) in cat.detectors.iter().enumerate() {
                if d.ecosystem != m.ecosystem {
                    continue;
                }
                let Some(which) = d.package_index(&dep.normalized) else {
                    continue;
                };
                let det = out.entry(i).or_insert_with(|| new_detection(d));
                det.saw(d.product(&dep.name, which == 0));
                if det.declared.len() < MAX_EVIDENCE {
                    det.declared.push(Evidence::at(
                        m.path.clone(),
                        dep.line,
                        &format!("{} {}", dep.name, dep.spec),
                    ));
                }
                // `[workspace.dependencies]` offers versions to the members; only a
                // member that takes one up depends on it.
                if matches!(dep.kind, DepKind::Runtime | DepKind::Indirect) && !dep.inherited {
                    det.declared_runtime = true;
                }
            }
        }
    }
    // Index detectors by the first segment of their import names.
    // Detectors matching by the last segment (`*/log`) are candidates for every import.
    let mut by_head: BTreeMap<(Ecosystem, String), Vec<usize>> = BTreeMap::new();
    let mut by_tail: Vec<(Ecosystem, usize)> = Vec::new();
    for (i, d) in cat.detectors.iter().enumerate() {
        for imp in &d.imports {
            if imp.starts_with("*/") {
                by_tail.push((d.ecosystem, i));
                continue;
            }
            by_head
                .entry((d.ecosystem, head(d.ecosystem, imp.trim_end_matches('$'))))
                .or_default()
                .push(i);
        }
    }
    by_tail.dedup();
    for s in sources {
        let Some(file) = inventory.files.get(s.file) else {
            continue;
        };
        let Some(eco) = Ecosystem::of_language(file.lang()) else {
            continue;
        };
        let source = file.kind == FileKind::Source;
        if !source && file.kind != FileKind::Test {
            continue;
        }
        let mut seen_here: HashSet<usize> = HashSet::new();
        for imp in &s.imports {
            if internal.is_internal(eco, &imp.module) {
                continue;
            }
            let tails = by_tail.iter().filter(|(e, _)| *e == eco).map(|(_, i)| i);
            let candidates: Vec<&usize> = by_head
                .get(&(eco, head(eco, &imp.module)))
                .into_iter()
                .flatten()
                .chain(tails)
                .collect();
            if candidates.is_empty() {
                continue;
            }
            // `from a import b` may import the submodule `a.b`.
            let qualified: Vec<String> = imp
                .names
                .iter()
                .map(|n| format!("{}.{n}", imp.module))
                .collect();
            for &i in candidates {
                let Some(d) = cat.detectors.get(i) else {
                    continue;
                };
                let which = d
                    .import_index(&imp.module)
                    .or_else(|| qualified.iter().find_map(|q| d.import_index(q)));
                let Some(which) = which else { continue };
                if !seen_here.insert(i) {
                    continue;
                }
                let entry = d.imports.get(which).map(String::as_str).unwrap_or("");
                let production = source && !s.is_inline_test(imp.line);
                record(
                    &mut out,
                    i,
                    d,
                    file.path.as_str(),
                    imp.line,
                    file.line(imp.line),
                    production,
                    d.product(entry, which == 0),
                );
            }
        }
        for &(i, line) in &s.detector_hits {
            let Some(d) = cat.detectors.get(i) else {
                continue;
            };
            if seen_here.insert(i) {
                let production = source && !s.is_inline_test(line);
                record(
                    &mut out,
                    i,
                    d,
                    file.path.as_str(),
                    line,
                    file.line(line),
                    production,
                    d.name.clone(),
                );
            }
        }
    }
    out.into_values().collect()
}

fn new_detection(d: &'static Detector) -> Detection {
    Detection {
        id: d.id.as_str(),
        name: d.name.as_str(),
        kind: d.kind,
        also: d.also.as_slice(),
        ecosystem: d.ecosystem,
        declared: Vec::new(),
        declared_runtime: false,
        used: Vec::new(),
        used_count: 0,
        in_tests: Vec::new(),
        products: Vec::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    out: &mut BTreeMap<usize, Detection>,
    i: usize,
    d: &'static Detector,
    path: &str,
    line: u32,
    snippet: &str,
    production: bool,
    product: String,
) {
    let det = out.entry(i).or_insert_with(|| new_detection(d));
    det.saw(product);
    if production {
        det.used_count += 1;
        if det.used.len() < MAX_EVIDENCE {
            det.used.push(Evidence::at(path, line, snippet));
        }
    } else if det.in_tests.len() < MAX_EVIDENCE {
        det.in_tests.push(Evidence::at(path, line, snippet));
    }
}

/// First segment of an import or package name, the index key.
fn head(eco: Ecosystem, name: &str) -> String {
    match eco {
        Ecosystem::Python => name.split('.').next().unwrap_or("").to_string(),
        Ecosystem::Rust => name.split("::").next().unwrap_or("").to_string(),
        Ecosystem::Npm => {
            let mut parts = name.split('/');
            match parts.next() {
                Some(scope) if scope.starts_with('@') => scope.to_string(),
                Some(first) => first.to_string(),
                None => String::new(),
            }
        }
        Ecosystem::Go => {
            let parts: Vec<&str> = name.split('/').collect();
            // Hosted paths (github.com/owner/...) are keyed by host and owner.
            if parts.first().is_some_and(|p| p.contains('.')) {
                parts.iter().take(2).copied().collect::<Vec<_>>().join("/")
            } else {
                parts.first().copied().unwrap_or("").to_string()
            }
        }
    }
}

fn is_test_tooling(kind: DetectorKind) -> bool {
    matches!(
        kind,
        DetectorKind::TestFramework
            | DetectorKind::E2eTesting
            | DetectorKind::LoadTesting
            | DetectorKind::Benchmark
    )
}

/// Environment variable names that look like credentials.
pub fn looks_like_credential(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "KEY",
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "PASS",
        "CREDENTIAL",
        "AUTH",
        "PRIVATE",
        "DSN",
        "DATABASE_URL",
        "API_KEY",
    ]
    .iter()
    .any(|w| n.split('_').any(|part| part == *w) || n.ends_with(w))
}

#[allow(clippy::too_many_arguments)]
pub fn build(
    inventory: &Inventory,
    manifests: &[Manifest],
    sources: &[SourceFacts],
    detections: &[Detection],
    containers: &ContainerFacts,
    policy: &Policy,
    scope: &dyn Fn(&crate::repo::RepoFile) -> bool,
) -> Stack {
    // Languages with the version each manifest requires.
    let mut languages = Vec::new();
    for (name, totals) in inventory.languages_in(scope) {
        let eco = match name {
            "Python" => Some(Ecosystem::Python),
            "Rust" => Some(Ecosystem::Rust),
            "JavaScript" | "TypeScript" => Some(Ecosystem::Npm),
            "Go" => Some(Ecosystem::Go),
            _ => None,
        };
        let version = eco.and_then(|eco| {
            manifests
                .iter()
                .filter(|m| m.ecosystem == eco)
                .min_by_key(|m| m.path.matches('/').count())
                .and_then(|m| {
                    m.language_version.as_ref().map(|v| {
                        let snippet = inventory
                            .file(&m.path)
                            .map(|f| f.line(v.line).to_string())
                            .unwrap_or_default();
                        (
                            v.spec.clone(),
                            Evidence::at(m.path.clone(), v.line, &snippet),
                        )
                    })
                })
        });
        languages.push(StackLanguage {
            name,
            files: totals.files,
            code_lines: totals.lines.code,
            version,
        });
    }
    languages.sort_by_key(|l| std::cmp::Reverse(l.code_lines));

    let mut rows = Vec::new();
    for (component, kinds) in ROWS {
        let items: Vec<(String, Evidence)> = detections
            .iter()
            .filter(|d| kinds.contains(&d.kind))
            // Outside test tooling, a library seen only in tests is not part of the stack;
            // test tooling is shown when declared or used by tests.
            .filter(|d| {
                if is_test_tooling(d.kind) {
                    !d.declared.is_empty() || !d.in_tests.is_empty()
                } else {
                    d.in_production()
                }
            })
            .filter_map(|d| {
                let e = if is_test_tooling(d.kind) {
                    d.in_tests
                        .first()
                        .or_else(|| d.declared.first())
                        .or_else(|| d.used.first())
                } else {
                    d.evidence()
                };
                e.map(|e| (d.display(), e.clone()))
            })
            .collect();
        if !items.is_empty() {
            rows.push(StackRow { component, items });
        }
    }

    // External services, credentials and other environment variables in production code.
    let mut hosts: BTreeMap<String, (usize, Evidence)> = BTreeMap::new();
    let mut creds: BTreeMap<String, Evidence> = BTreeMap::new();
    let mut env: BTreeMap<String, Evidence> = BTreeMap::new();
    for s in sources {
        let Some(file) = inventory.files.get(s.file) else {
            continue;
        };
        if file.kind != FileKind::Source {
            continue;
        }
        for (host, line) in s.urls.iter().filter(|(_, l)| !s.is_inline_test(*l)) {
            let e = hosts
                .entry(host.clone())
                .or_insert_with(|| (0, Evidence::at(file.path.clone(), *line, file.line(*line))));
            e.0 += 1;
        }
        // A name ending in `_` is a prefix completed at run time, not a variable.
        for (name, line) in s
            .env_reads
            .iter()
            .filter(|(n, l)| !s.is_inline_test(*l) && !n.ends_with('_'))
        {
            let target = if looks_like_credential(name) {
                &mut creds
            } else {
                &mut env
            };
            target
                .entry(name.clone())
                .or_insert_with(|| Evidence::at(file.path.clone(), *line, file.line(*line)));
        }
    }
    let mut services: Vec<(String, usize, Evidence)> =
        hosts.into_iter().map(|(h, (n, e))| (h, n, e)).collect();
    services.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

    let (project_kind, kind_source, kind_evidence) = match policy.project_kind {
        Some(k) => (
            k,
            "policy",
            vec![(
                format!("project_kind = \"{}\"", k.id()),
                Evidence::at(
                    policy.source_display(),
                    policy.project_kind_line.unwrap_or(1),
                    "",
                ),
            )],
        ),
        None => {
            let (k, ev) = infer_kind(inventory, manifests, sources, detections, containers);
            (k, "inferred", ev)
        }
    };

    let frontend = frontend(&languages, detections, sources);
    Stack {
        languages,
        rows,
        services,
        credentials: creds.into_iter().collect(),
        env_vars: env.into_iter().collect(),
        project_kind,
        kind_source,
        kind_evidence,
        frontend,
    }
}

/// Meta-frameworks that render a front end's pages on a server.
const PAGE_FRAMEWORKS: &[&str] = &["js-next"];

/// The first use of a UI framework when the code is a browser front end.
pub(crate) fn frontend(
    languages: &[StackLanguage],
    detections: &[Detection],
    sources: &[SourceFacts],
) -> Option<Evidence> {
    // API routes (Next.js `pages/api`, `app/api`) are a server's, except those that
    // render a page's assets (`/api/og-image`, `/api/sitemap`).
    let serves_api = sources.iter().any(|s| {
        s.routes
            .iter()
            .any(|r| r.path.starts_with("/api") && !renders_page_asset(&r.path))
    });
    if serves_api {
        return None;
    }
    // Languages of a browser front end and its build; anything else runs on a server.
    let other_code = languages.iter().any(|l| {
        l.code_lines > 0
            && !matches!(
                l.name,
                "JavaScript"
                    | "TypeScript"
                    | "Vue"
                    | "Svelte"
                    | "Astro"
                    | "HTML"
                    | "CSS"
                    | "SCSS"
                    | "Sass"
                    | "Less"
                    | "Shell"
            )
    });
    let server = detections.iter().any(|d| {
        (d.is(DetectorKind::WebFramework) || d.is(DetectorKind::AppServer))
            && !d.used.is_empty()
            && !PAGE_FRAMEWORKS.contains(&d.id)
    });
    if other_code || server {
        return None;
    }
    detections
        .iter()
        .find(|d| d.is(DetectorKind::UiFramework) && !d.used.is_empty())
        .and_then(|d| d.used.first().cloned())
}

/// Routes that render an asset of the site's pages (social-card images, sitemaps,
/// feeds, icons) rather than serve an API.
const PAGE_ASSET_ROUTES: &[&str] = &[
    "og",
    "og-image",
    "ogimage",
    "opengraph-image",
    "twitter-image",
    "sitemap",
    "sitemap.xml",
    "robots",
    "robots.txt",
    "rss",
    "rss.xml",
    "feed",
    "feed.xml",
    "atom",
    "icon",
    "favicon",
    "manifest",
];

fn renders_page_asset(path: &str) -> bool {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .is_some_and(|last| PAGE_ASSET_ROUTES.contains(&last.to_ascii_lowercase().as_str()))
}

/// True when the manifest's text declares an optional-dependency group of that name.
fn optional_group_named(m: &Manifest, group: &str) -> bool {
    m.optional_groups.iter().any(|g| g == group)
}

/// Infers library / cli / service / mixed from entry points and server signals.
fn infer_kind(
    inventory: &Inventory,
    manifests: &[Manifest],
    sources: &[SourceFacts],
    detections: &[Detection],
    containers: &ContainerFacts,
) -> (ProjectKind, Vec<(String, Evidence)>) {
    let mut service: Vec<(String, Evidence)> = Vec::new();
    let mut cli: Vec<(String, Evidence)> = Vec::new();

    // A published npm library (main/exports, not private, no start script) that starts
    // a server is a framework offering one, not a service.
    let npm: Vec<&Manifest> = manifests
        .iter()
        .filter(|m| m.ecosystem == Ecosystem::Npm)
        .collect();
    // A `start` script that runs the package's own command (`"bin": "./dist/index.js"`,
    // `"start": "node dist/index.js"`) starts the CLI, not a server.
    let starts_own_command = |m: &Manifest, command: &str| {
        m.entry_points.iter().any(|e| {
            let target = e.target.trim_start_matches("./");
            !target.is_empty()
                && command
                    .split_whitespace()
                    .any(|w| w.trim_start_matches("./") == target)
        })
    };
    let npm_app = npm.is_empty()
        || npm.iter().any(|m| {
            !m.library
                || m.scripts.iter().any(|(n, command, _)| {
                    (n == "start" || n == "serve") && !starts_own_command(m, command)
                })
        });
    let web_framework = detections
        .iter()
        .find(|d| d.is(DetectorKind::WebFramework) && d.in_production());
    // A Rust library crate that declares routes hands them to the binary that starts
    // the server (a workspace's `server` crate): only a crate with a `main` or a server
    // start-up of its own serves them.
    let rust_program = sources.iter().any(|s| {
        inventory.files.get(s.file).is_some_and(|f| {
            f.kind == FileKind::Source
                && f.lang() == "rust"
                && (s.main_entry.is_some() || !s.server_starts.is_empty())
        })
    });
    for s in sources {
        let Some(file) = inventory.files.get(s.file) else {
            continue;
        };
        if file.kind != FileKind::Source {
            continue;
        }
        if web_framework.is_some() && (file.lang() != "rust" || rust_program) {
            if let Some(r) = s.routes.iter().find(|r| !s.is_inline_test(r.line)) {
                service.push((
                    format!("HTTP route `{}`", r.path),
                    Evidence::at(file.path.clone(), r.line, file.line(r.line)),
                ));
            }
        }
        if let Some(&line) = s.server_starts.iter().find(|l| !s.is_inline_test(**l)) {
            let js = matches!(file.lang(), "javascript" | "typescript");
            // In Go, only a main package runs a server; a library offers one.
            let go_program =
                file.lang() == "go" && (s.main_entry.is_some() || file.path.contains("cmd/"));
            if web_framework.is_some() || go_program || (js && npm_app) {
                service.push((
                    "server start-up".into(),
                    Evidence::at(file.path.clone(), line, file.line(line)),
                ));
            }
        }
        // A `__main__` guard in any library module is a convenience, not a program;
        // it counts in a package's __main__.py, a cli/main module, or a root script.
        let python_program = file.lang() != "python"
            || matches!(
                file.name(),
                "__main__.py" | "cli.py" | "main.py" | "manage.py"
            )
            || !file.path.contains('/');
        if let (Some(line), true) = (s.main_entry, python_program) {
            cli.push((
                "program entry point".into(),
                Evidence::at(file.path.clone(), line, file.line(line)),
            ));
        }
    }
    for d in detections
        .iter()
        .filter(|d| d.kind == DetectorKind::AppServer && d.declared_runtime)
    {
        if let Some(e) = d.evidence() {
            service.push((format!("application server {}", d.display()), e.clone()));
        }
    }
    let task_queue = detections
        .iter()
        .find(|d| d.is(DetectorKind::TaskQueue) && !d.used.is_empty());
    for df in &containers.dockerfiles {
        if let Some((port, line)) = df.expose.first() {
            service.push((
                format!("container exposes port {port}"),
                Evidence::at(df.path.clone(), *line, &format!("EXPOSE {port}")),
            ));
        } else if let Some(run) = df
            .instructions
            .iter()
            .rev()
            .find(|i| matches!(i.op.as_str(), "CMD" | "ENTRYPOINT"))
        {
            // An image that runs a command without a port: a background worker when
            // the code consumes a task queue, else a program run as a job.
            let evidence = Evidence::at(
                df.path.clone(),
                run.line,
                &format!("{} {}", run.op, run.args),
            );
            match task_queue {
                Some(q) => service.push((format!("background worker ({})", q.display()), evidence)),
                None => cli.push(("container runs a command".into(), evidence)),
            }
        }
    }
    for r in containers
        .kubernetes
        .iter()
        .filter(|r| matches!(r.kind.as_str(), "Deployment" | "Service" | "StatefulSet"))
    {
        service.push((
            format!("Kubernetes {}", r.kind),
            Evidence::at(r.path.clone(), r.line, &format!("kind: {}", r.kind)),
        ));
    }
    for m in manifests {
        // A command behind an optional extra (`pip install pkg[cli]`) is an add-on to
        // a library, not what the project is.
        let optional_cli = m.ecosystem == Ecosystem::Python
            && m.config_keys
                .iter()
                .any(|(k, _)| k == "project.optional-dependencies")
            && m.dependencies.iter().any(|d| d.kind == DepKind::Optional)
            && m.library
            && optional_group_named(m, "cli");
        if optional_cli {
            continue;
        }
        for ep in &m.entry_points {
            cli.push((
                format!("installs command `{}`", ep.name),
                Evidence::at(
                    m.path.clone(),
                    ep.line,
                    &format!("{} = {}", ep.name, ep.target),
                ),
            ));
        }
    }
    // With the CLI behind an extra, its framework belongs to the extra too.
    let cli_is_extra = manifests
        .iter()
        .any(|m| m.library && optional_group_named(m, "cli"));
    for d in detections
        .iter()
        .filter(|d| d.kind == DetectorKind::CliFramework && !d.used.is_empty() && !cli_is_extra)
    {
        if let Some(e) = d.used.first() {
            cli.push((format!("uses {}", d.display()), e.clone()));
        }
    }
    // A desktop application (Tauri, Electron) is a program its users run; the local
    // server inside it serves that one user, not network traffic.
    let desktop = manifests.iter().find_map(|m| {
        m.dependencies
            .iter()
            .find(|d| matches!(d.name.as_str(), "tauri" | "electron"))
            .map(|d| (m, d))
    });
    if let Some((m, d)) = desktop {
        service.clear();
        cli.insert(
            0,
            (
                format!("desktop application ({})", d.name),
                Evidence::at(
                    m.path.clone(),
                    d.line,
                    inventory
                        .file(&m.path)
                        .map(|f| f.line(d.line))
                        .unwrap_or(""),
                ),
            ),
        );
    }
    // A main function in examples/ or tests does not make a CLI; only production entry
    // points were collected above. Keep the evidence short.
    // Show both halves of a mixed project: a few signals of each.
    service.truncate(3);
    cli.truncate(3);
    let kind = match (service.is_empty(), cli.is_empty()) {
        (false, false) => ProjectKind::Mixed,
        (false, true) => ProjectKind::Service,
        (true, false) => ProjectKind::Cli,
        (true, true) => ProjectKind::Library,
    };
    let mut evidence = service;
    evidence.extend(cli);
    if evidence.is_empty() {
        evidence.push((
            "no entry points or server start-up found".into(),
            Evidence::absent(
                "installed commands, main functions, HTTP routes with a web framework, server start-up, EXPOSE",
                format!("{} files", inventory.files.len()),
            ),
        ));
    }
    (kind, evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        assert!(looks_like_credential("OPENAI_API_KEY"));
        assert!(looks_like_credential("DB_PASSWORD"));
        assert!(looks_like_credential("GITHUB_TOKEN"));
        assert!(!looks_like_credential("LOG_LEVEL"));
        assert!(!looks_like_credential("KEYBOARD_LAYOUT"));
    }

    #[test]
    fn go_heads_use_host_and_owner() {
        assert_eq!(
            head(Ecosystem::Go, "github.com/gin-gonic/gin/binding"),
            "github.com/gin-gonic"
        );
        assert_eq!(head(Ecosystem::Go, "net/http"), "net");
        assert_eq!(head(Ecosystem::Npm, "@sentry/node"), "@sentry");
    }
}
