//! Stage 2 — static facts. Reads the inventory (never the disk) and produces
//! [`Facts`]: manifests and dependencies, per-file source facts (scanned in parallel,
//! one pass per file), CI jobs, containers, documentation, the test inventory, tool and
//! deployment artifacts, catalog detections, the stack table and the project kind.
//! Facts are neutral: they say what is there, never whether it is good.

pub mod catalog;
pub mod ci;
pub mod container;
pub mod critical;
pub mod docs;
pub mod history;
pub mod manifest;
pub mod projects;
pub mod python;
pub mod secrets;
pub mod source;
pub mod stack;
pub mod tests;
pub mod workflows;

use rayon::prelude::*;
use serde::Serialize;

use crate::config::Policy;
use crate::model::Evidence;
use crate::repo::{FileKind, Inventory};
use catalog::{Artifact, ArtifactKind, DetectorKind, catalog};

pub use ci::CiFacts;
pub use container::ContainerFacts;
pub use docs::DocFacts;
pub use manifest::{LockFile, Manifest};
pub use source::SourceFacts;
pub use stack::{Detection, Stack};
pub use tests::TestInventory;

/// Something in the repository that could not be read as what it claims to be (a
/// malformed manifest or workflow), with the line the parser stopped at.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub path: String,
    pub line: u32,
    pub message: String,
}

/// YAML parser settings for repository files. The parser's limits on size, depth and
/// alias expansion stay on (the input is hostile), but the ratio of aliases to anchors is
/// not held against a file: compose files reuse a few anchors many times by design.
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    // Comments are validated, not kept: nothing reads them, and a long run of them
    // (commented-out matrix entries) would otherwise exceed the parser's look-ahead
    // buffer and fail a valid file.
    serde_saphyr::options! {
        budget: serde_saphyr::budget! { enforce_alias_anchor_ratio: false },
        emit_comments: false,
    }
}

/// An artifact of the catalog found in the repository.
#[derive(Debug, Clone)]
pub struct ArtifactHit {
    pub artifact: &'static Artifact,
    /// Where (first few places).
    pub evidence: Vec<Evidence>,
    /// How many places in all.
    pub count: usize,
}

/// A committed environment file and the variable names it sets (values are never
/// kept).
#[derive(Debug, Clone, Serialize)]
pub struct EnvFile {
    pub path: String,
    pub kind: FileKind,
    /// (name, line, has a non-empty value)
    pub keys: Vec<(String, u32, bool)>,
    /// Variables whose name says credential (`*_PASSWORD`, `*_SECRET`, `*_TOKEN`,
    /// `*_KEY`, `*_DSN`, `DATABASE_URL`) and whose value is not a placeholder
    /// (`changeme`, `${VAR}`, `your-key`): (name, line). Values are never kept.
    pub credentials: Vec<(String, u32)>,
    /// Every host its values name (`DATABASE_HOST=localhost`, `redis://127.0.0.1`) is
    /// the machine itself, and it names at least one: a developer's environment.
    pub local: bool,
}

/// The host a variable's value names: the value of a `*_HOST`/`*_HOSTNAME` variable,
/// or the host of a URL (`postgres://user:pass@db:5432/x`).
fn env_host<'a>(name: &str, value: &'a str) -> Option<&'a str> {
    let upper = name.to_ascii_uppercase();
    if upper.ends_with("_HOST") || upper.ends_with("_HOSTNAME") || upper == "HOST" {
        return Some(value);
    }
    let rest = value.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port
            .split(']')
            .next()
            .map(|h| h.trim_start_matches('['))
    } else {
        host_port.split(':').next()
    };
    host.filter(|h| !h.is_empty())
}

/// A credential value that is a well-known default rather than a secret: a word of
/// its own name (`SECRET_KEY=key`, `POSTGRES_PASSWORD=postgres`) or a stock default
/// (`changeme`, `admin`).
fn default_credential(name: &str, value: &str) -> bool {
    let value = value.to_ascii_lowercase();
    name.to_ascii_lowercase().split('_').any(|w| w == value)
        || matches!(
            value.as_str(),
            "admin" | "changeme" | "password" | "postgres" | "root" | "secret" | "mysql" | "guest"
        )
}

/// A variable name that says its value is a credential.
fn credential_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "PRIVATE",
        "CREDENTIAL",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "_DSN",
        "DATABASE_URL",
    ]
    .iter()
    .any(|w| upper.contains(w))
        || upper.ends_with("_KEY")
}

/// A connection string's name (`DATABASE_URL`, `SENTRY_DSN`): a credential only when
/// its value carries one. A name that also says password, secret, token or key
/// (`PG_DSN_PASSWORD`) is a credential's.
fn connection_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    (upper.contains("_DSN") || upper.contains("DATABASE_URL"))
        && !["PASSWORD", "PASSWD", "SECRET", "TOKEN", "KEY"]
            .iter()
            .any(|w| upper.contains(w))
}

/// Whether a connection string carries a credential: a user part (`postgres://u:p@h`,
/// a DSN's `https://key@host`) or a password parameter. A file path
/// (`file:../data/app.db`) or a host alone (`postgres://db/app`) carries none.
fn connection_holds_credentials(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    // A user part, with or without a scheme (`root:pw@tcp(db:3306)/app`,
    // `scott/tiger@orcl`).
    let rest = lower.split_once("://").map_or(lower.as_str(), |(_, r)| r);
    let before_query = rest.split(['?', '#']).next().unwrap_or(rest);
    before_query.contains('@')
        || [
            "password=",
            "pwd=",
            "passwd=",
            "secret=",
            "token=",
            "key=",
            "auth=",
        ]
        .iter()
        .any(|p| lower.contains(p))
}

/// A tree that is a published package (an sdist, a crate package, an npm tarball)
/// rather than a source repository: CI configuration and often tests are not shipped.
#[derive(Debug, Clone, Serialize)]
pub struct Distribution {
    /// "Python source distribution", "crate package", "npm package".
    pub kind: &'static str,
    /// The file that shows it.
    pub marker: String,
}

fn distribution(inventory: &Inventory, manifests: &[Manifest]) -> Option<Distribution> {
    if inventory.git.is_some() {
        return None;
    }
    let has = |p: &str| inventory.file(p).is_some();
    if has("PKG-INFO") {
        return Some(Distribution {
            kind: "Python source distribution",
            marker: "PKG-INFO".into(),
        });
    }
    for marker in [".cargo_vcs_info.json", "Cargo.toml.orig"] {
        if has(marker) {
            return Some(Distribution {
                kind: "crate package",
                marker: marker.into(),
            });
        }
    }
    // `npm pack` keeps only what package.json's "files" lists.
    let npm_root = manifests.iter().find(|m| m.path == "package.json");
    if npm_root.is_some_and(|m| m.config_keys.iter().any(|(k, _)| k == "files"))
        && !has(".npmignore")
    {
        let no_ci = !inventory.files.iter().any(|f| f.kind == FileKind::Ci);
        if no_ci {
            return Some(Distribution {
                kind: "npm package",
                marker: "package.json (\"files\")".into(),
            });
        }
    }
    None
}

/// Everything the static analysis found.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The projects of the repository, and which one each path belongs to.
    pub projects: std::sync::Arc<projects::Projects>,
    pub sources: Vec<SourceFacts>,
    pub manifests: Vec<Manifest>,
    pub lockfiles: Vec<LockFile>,
    pub ci: CiFacts,
    pub containers: ContainerFacts,
    pub docs: DocFacts,
    pub tests: TestInventory,
    pub artifacts: Vec<ArtifactHit>,
    pub detections: Vec<Detection>,
    pub stack: Stack,
    pub env_files: Vec<EnvFile>,
    pub problems: Vec<Problem>,
    /// Set when the tree is a published package, not a repository.
    pub distribution: Option<Distribution>,
    /// Python module map, import graph and dependency use.
    pub python: python::PyProject,
    /// Secrets found in the text of every file, and committed key files.
    pub secrets: secrets::SecretFacts,
    /// Secrets in the git history; `None` unless the audit was asked to scan it.
    pub history: Option<history::History>,
}

impl Facts {
    /// Detections of a kind.
    pub fn detected(&self, kind: DetectorKind) -> impl Iterator<Item = &Detection> {
        self.detections.iter().filter(move |d| d.is(kind))
    }

    /// Artifacts of a kind.
    pub fn artifacts_of(&self, kind: ArtifactKind) -> impl Iterator<Item = &ArtifactHit> {
        self.artifacts
            .iter()
            .filter(move |a| a.artifact.kind == kind)
    }

    /// Source facts of the file at `path`.
    pub fn source_of<'a>(&'a self, inventory: &Inventory, path: &str) -> Option<&'a SourceFacts> {
        self.sources
            .iter()
            .find(|s| inventory.files.get(s.file).is_some_and(|f| f.path == path))
    }
}

/// Evidence kept per artifact.
const MAX_ARTIFACT_EVIDENCE: usize = 5;

fn find_artifacts(inventory: &Inventory, manifests: &[Manifest]) -> Vec<ArtifactHit> {
    let cat = catalog();
    let tox_sections: Vec<(String, u32, String)> = inventory
        .files
        .iter()
        .filter(|f| f.name() == "tox.ini" && f.kind != FileKind::Fixture)
        .filter_map(|f| f.text().map(|t| (f, t)))
        .flat_map(|(f, t)| {
            manifest::ini::parse(t)
                .into_iter()
                .map(|s| (s.name, s.line, f.path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    // Which artifacts each file's path matches, all artifacts at once.
    let by_path: Vec<(usize, usize)> = inventory
        .files
        .par_iter()
        .enumerate()
        .filter(|(_, f)| !matches!(f.kind, FileKind::Fixture | FileKind::Vendored))
        .flat_map_iter(|(i, f)| {
            let mut arts: Vec<usize> = cat
                .artifact_globs
                .matches(&f.path)
                .into_iter()
                .filter_map(|g| cat.artifact_of_glob.get(g).copied())
                .collect();
            arts.dedup();
            arts.into_iter().map(move |a| (a, i))
        })
        .collect();
    let mut hits = Vec::new();
    for (index, artifact) in cat.artifacts.iter().enumerate() {
        let mut evidence = Vec::new();
        let mut count = 0usize;
        let mut add = |e: Evidence| {
            count += 1;
            if evidence.len() < MAX_ARTIFACT_EVIDENCE {
                evidence.push(e);
            }
        };
        let deployment = matches!(
            artifact.kind,
            ArtifactKind::Container
                | ArtifactKind::Orchestration
                | ArtifactKind::Iac
                | ArtifactKind::Platform
                | ArtifactKind::Environments
        );
        let suite = matches!(
            artifact.kind,
            ArtifactKind::Benchmark | ArtifactKind::LoadTest | ArtifactKind::E2e
        );
        let files = by_path
            .iter()
            .filter(|(a, _)| *a == index)
            .filter_map(|(_, i)| inventory.files.get(*i));
        for f in files {
            // Test infrastructure and dev containers are not deployment; prose in a
            // benchmarks/ folder is not a benchmark.
            if deployment && (f.kind == FileKind::Test || f.path.contains(".devcontainer/")) {
                continue;
            }
            if suite
                && (f.kind == FileKind::Docs
                    || matches!(f.lang(), "markdown" | "restructuredtext" | "text"))
            {
                continue;
            }
            add(Evidence::at(f.path.clone(), 1, ""));
        }
        for m in manifests {
            let keys = match m.format {
                "pyproject.toml" | "Cargo.toml" => &artifact.toml_tables,
                "setup.cfg" => &artifact.ini_sections,
                "package.json" => &artifact.package_keys,
                _ => continue,
            };
            for (key, line) in &m.config_keys {
                if keys.iter().any(|k| key == k) {
                    let snippet = inventory.file(&m.path).map(|f| f.line(*line)).unwrap_or("");
                    add(Evidence::at(m.path.clone(), *line, snippet));
                }
            }
        }
        for (section, line, path) in &tox_sections {
            if artifact.ini_sections.iter().any(|s| s == section) {
                add(Evidence::at(path.clone(), *line, &format!("[{section}]")));
            }
        }
        if count > 0 {
            hits.push(ArtifactHit {
                artifact,
                evidence,
                count,
            });
        }
    }
    hits
}

fn is_env_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let example = [
        "example", "sample", "template", "dist", "defaults", "default", "tpl", "schema",
    ]
    .iter()
    .any(|w| lower.contains(w));
    // A diff or a copy of an environment file is not one.
    let other = [
        ".patch", ".diff", ".orig", ".rej", ".md", ".sh", ".py", ".js", ".ts",
    ]
    .iter()
    .any(|e| lower.ends_with(e));
    !example
        && !other
        && (lower == ".env"
            || lower == ".envrc"
            || lower.starts_with(".env.")
            || lower.ends_with(".env"))
}

fn env_files(inventory: &Inventory) -> Vec<EnvFile> {
    let mut out = Vec::new();
    for f in &inventory.files {
        if !is_env_file(f.name()) {
            continue;
        }
        let Some(text) = f.text() else { continue };
        let mut keys = Vec::new();
        let mut credentials = Vec::new();
        let (mut hosts, mut local_hosts) = (0usize, 0usize);
        for (i, raw) in text.lines().enumerate() {
            let t = raw.trim();
            let t = t.strip_prefix("export ").unwrap_or(t);
            if t.starts_with('#') {
                continue;
            }
            let Some((k, v)) = t.split_once('=') else {
                continue;
            };
            let k = k.trim();
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let v = v.trim().trim_matches(['"', '\'']);
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            if !v.is_empty()
                && credential_name(k)
                && (!connection_name(k) || connection_holds_credentials(v))
                && !secrets::noise::is_placeholder(v)
                && !secrets::noise::is_reference(v)
                && !default_credential(k, v)
            {
                credentials.push((k.to_string(), line));
            }
            if let Some(host) = env_host(k, v) {
                hosts += 1;
                local_hosts += usize::from(secrets::noise::is_loopback(host));
            }
            keys.push((k.to_string(), line, !v.is_empty()));
        }
        out.push(EnvFile {
            path: f.path.clone(),
            kind: f.kind,
            keys,
            credentials,
            local: hosts > 0 && hosts == local_hosts,
        });
    }
    out
}

/// Runs every analyzer over the inventory.
pub fn analyze(inventory: &Inventory, policy: &Policy) -> Facts {
    let mut problems = Vec::new();
    let sources: Vec<SourceFacts> = inventory
        .files
        .par_iter()
        .enumerate()
        .filter(|(_, f)| {
            f.text().is_some()
                && matches!(
                    f.kind,
                    FileKind::Source | FileKind::Test | FileKind::Fixture
                )
                && f.language
                    .and_then(|l| l.get())
                    .is_some_and(|l| l.kind == crate::repo::language::LanguageType::Programming)
        })
        .filter_map(|(i, f)| source::scan(i, f))
        .collect();
    let (manifests, lockfiles) = manifest::parse_all(inventory, &mut problems);
    let mut projects = projects::discover(inventory, &manifests, policy);
    let ci = ci::analyze(inventory, &mut problems);
    let containers = container::analyze(inventory, &mut problems);
    projects::link_base_images(&mut projects, &containers);
    let mut names: Vec<String> = manifests.iter().filter_map(|m| m.name.clone()).collect();
    names.push(inventory.name.clone());
    names.retain(|n| n.len() >= 3);
    // Documentation and the stack are independent: analyse them side by side.
    let (docs, (tests, artifacts, detections)) = rayon::join(
        || docs::analyze(inventory, &names),
        || {
            let tests = tests::build(inventory, &sources);
            let artifacts = find_artifacts(inventory, &manifests);
            let internal = stack::InternalNames::new(inventory, &projects, &manifests);
            let detections = stack::detect(inventory, &manifests, &sources, &internal);
            (tests, artifacts, detections)
        },
    );
    let stack = stack::build(
        inventory,
        &manifests,
        &sources,
        &detections,
        &containers,
        policy,
        &|_| true,
    );
    let python = python::modules::build(inventory, &projects, &sources, &manifests);
    let env_files = env_files(inventory);
    let secrets = secrets::scan(
        inventory,
        std::time::Duration::from_secs(policy.thresholds.secret_scan_seconds),
    );
    let distribution = distribution(inventory, &manifests);
    problems.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
    Facts {
        projects: std::sync::Arc::new(projects),
        sources,
        manifests,
        lockfiles,
        ci,
        containers,
        docs,
        tests,
        artifacts,
        detections,
        stack,
        env_files,
        problems,
        distribution,
        python,
        secrets,
        history: None,
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn connection_strings_hold_credentials_only_with_a_user_part_or_password() {
        assert!(connection_holds_credentials(
            "postgres://app:s3cret@db:5432/app"
        ));
        assert!(connection_holds_credentials(
            "https://4f2a9c@o1.ingest.sentry.io/7"
        ));
        assert!(connection_holds_credentials(
            "Server=db;User Id=sa;Password=x1;"
        ));
        assert!(!connection_holds_credentials(
            "file:../data/pingvin-share.db"
        ));
        assert!(connection_holds_credentials("root:pw@tcp(db:3306)/app"));
        assert!(connection_holds_credentials("scott/tiger@orcl"));
        assert!(connection_holds_credentials(
            "libsql://x.turso.io?authToken=abc"
        ));
        assert!(!connection_name("PG_DSN_PASSWORD"));
        assert!(connection_name("SENTRY_DSN"));
        assert!(!connection_holds_credentials("postgres://db:5432/app"));
        assert!(!connection_holds_credentials("sqlite:///data/app.db"));
    }

    #[test]
    fn env_file_names() {
        assert!(is_env_file(".env"));
        assert!(is_env_file(".env.production"));
        assert!(is_env_file(".envrc"));
        assert!(is_env_file("prod.env"));
        assert!(!is_env_file(".env.example"));
        assert!(!is_env_file(".env.sample"));
        assert!(!is_env_file("environment.py"));
        assert!(!is_env_file(".env.patch"));
    }
}
