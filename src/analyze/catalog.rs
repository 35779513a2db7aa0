//! The embedded catalogs (`catalog/*.toml`): detectors (which dependency or import means
//! which framework), artifacts (which file means which tool or deployment descriptor),
//! CI step classes, and documentation roles, sections and warnings. Loaded and compiled
//! once; their validity is guarded by tests, so a broken catalog is a defect in
//! greenlight, never in the audited repository.

use std::sync::LazyLock;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

/// What a detector recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectorKind {
    AppServer,
    AsyncRuntime,
    /// Authentication of incoming requests (login decorators, auth middleware, JWT
    /// verification).
    Auth,
    Benchmark,
    Caching,
    CliFramework,
    CloudSdk,
    Config,
    Database,
    E2eTesting,
    ErrorTracking,
    HttpClient,
    LlmProvider,
    LoadTesting,
    Logging,
    Messaging,
    Metrics,
    Migrations,
    Orm,
    StructuredLogging,
    TaskQueue,
    TerminalUi,
    TestFramework,
    Tracing,
    UiFramework,
    Validation,
    WebFramework,
}

/// A package ecosystem, which decides manifest formats and source languages.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Python,
    Rust,
    Npm,
    Go,
}

impl Ecosystem {
    /// The ecosystem whose code a file in language `lang` (an id) is.
    pub fn of_language(lang: &str) -> Option<Ecosystem> {
        match lang {
            "python" => Some(Ecosystem::Python),
            "rust" => Some(Ecosystem::Rust),
            "javascript" | "typescript" | "vue" | "svelte" => Some(Ecosystem::Npm),
            "go" => Some(Ecosystem::Go),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Ecosystem::Python => "Python",
            Ecosystem::Rust => "Rust",
            Ecosystem::Npm => "JavaScript/TypeScript",
            Ecosystem::Go => "Go",
        }
    }

    /// Normalises a package name the way the ecosystem compares them.
    pub fn normalize(self, name: &str) -> String {
        match self {
            // PEP 503: runs of `-`, `_`, `.` are equivalent, case-insensitive.
            Ecosystem::Python => {
                let mut out = String::with_capacity(name.len());
                let mut last_sep = false;
                for c in name.trim().chars() {
                    if matches!(c, '-' | '_' | '.') {
                        if !last_sep {
                            out.push('-');
                        }
                        last_sep = true;
                    } else {
                        out.push(c.to_ascii_lowercase());
                        last_sep = false;
                    }
                }
                out
            }
            // Cargo treats `-` and `_` as the same crate name.
            Ecosystem::Rust => name.trim().replace('_', "-").to_ascii_lowercase(),
            Ecosystem::Npm => name.trim().to_ascii_lowercase(),
            Ecosystem::Go => name.trim().to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detector {
    pub id: String,
    pub name: String,
    pub kind: DetectorKind,
    pub ecosystem: Ecosystem,
    #[serde(default)]
    pub packages: Vec<String>,
    #[serde(default)]
    pub imports: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Further kinds it counts as.
    #[serde(default)]
    pub also: Vec<DetectorKind>,
    /// `packages`, normalised once at load (prefix entries keep their `*`).
    #[serde(skip)]
    normalized: Vec<String>,
}

impl Detector {
    /// True when it is of `kind`, as its main kind or one it also counts as.
    pub fn is(&self, kind: DetectorKind) -> bool {
        self.kind == kind || self.also.contains(&kind)
    }

    /// True when a declared dependency (already normalised) is one of this detector's.
    pub fn matches_package(&self, normalized: &str) -> bool {
        self.package_index(normalized).is_some()
    }

    /// Position in `packages` of the entry a declared dependency matches.
    pub fn package_index(&self, normalized: &str) -> Option<usize> {
        self.normalized.iter().position(|p| {
            if let Some(prefix) = p.strip_suffix('*') {
                normalized.starts_with(prefix)
            } else if self.ecosystem == Ecosystem::Go {
                path_prefix(normalized, p)
            } else {
                normalized == p
            }
        })
    }

    /// The product a matched catalog entry names: the detector's own name for its
    /// first (primary) entry, else the entry itself (Go paths by their last segment),
    /// so "Sentry" is never shown for a rollbar-go import.
    pub fn product(&self, entry: &str, primary: bool) -> String {
        // Parts of one product (`opentelemetry-sdk` beside `opentelemetry-api`) share
        // their leading word with the primary entry.
        let lead = |s: &str| -> String {
            let last = s.rsplit('/').next().unwrap_or(s);
            let last = if last.is_empty() { s } else { last };
            last.trim_start_matches('@')
                .split(['-', '_', '.'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        };
        let first = self.packages.first().or_else(|| self.imports.first());
        let same = first.is_some_and(|f| {
            let (a, b) = (lead(f), lead(entry));
            !a.is_empty() && b.starts_with(&a)
        });
        if primary || same {
            return self.name.clone();
        }
        let e = entry.trim_end_matches(['$', '*', '/', '-']);
        match self.ecosystem {
            Ecosystem::Go => e.rsplit('/').next().unwrap_or(e).to_string(),
            _ => e.to_string(),
        }
    }

    /// True when an imported module is one of this detector's.
    pub fn matches_import(&self, module: &str) -> bool {
        self.import_index(module).is_some()
    }

    /// Position in `imports` of the entry an imported module matches.
    pub fn import_index(&self, module: &str) -> Option<usize> {
        self.imports.iter().position(|i| {
            if let Some(exact) = i.strip_suffix('$') {
                return module == exact;
            }
            // `*/log`: any module path whose last segment is `log`, before a Go major
            // version suffix (`charm.land/log/v2`).
            if let Some(last) = i.strip_prefix("*/") {
                let unversioned = match (self.ecosystem, module.rsplit_once('/')) {
                    (Ecosystem::Go, Some((head, v)))
                        if v.strip_prefix('v').is_some_and(|n| {
                            !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())
                        }) =>
                    {
                        head
                    }
                    _ => module,
                };
                return unversioned
                    .rsplit_once('/')
                    .is_some_and(|(_, segment)| segment == last);
            }
            match self.ecosystem {
                Ecosystem::Python => {
                    module == i
                        || module
                            .strip_prefix(i.as_str())
                            .is_some_and(|r| r.starts_with('.'))
                }
                Ecosystem::Rust => module == i,
                Ecosystem::Npm | Ecosystem::Go => path_prefix(module, i),
            }
        })
    }
}

/// `a/b` is a path prefix of `a/b` and `a/b/c`, not of `a/bc`.
fn path_prefix(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|r| r.starts_with('/'))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    Benchmark,
    Container,
    Coverage,
    DependencyUpdates,
    E2e,
    Environments,
    Formatter,
    Iac,
    Linter,
    LoadTest,
    Migrations,
    Orchestration,
    Platform,
    PreCommit,
    TestRunner,
    TypeChecker,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    pub id: String,
    pub name: String,
    pub kind: ArtifactKind,
    #[serde(default)]
    pub globs: Vec<String>,
    #[serde(default)]
    pub toml_tables: Vec<String>,
    #[serde(default)]
    pub ini_sections: Vec<String>,
    #[serde(default)]
    pub package_keys: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CiClassDef {
    pub id: String,
    pub name: String,
    pub patterns: Vec<String>,
    /// A line matching one of these never counts for the class.
    #[serde(default)]
    pub exclude: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocRole {
    pub id: String,
    pub name: String,
    pub globs: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadmeSection {
    pub id: String,
    pub name: String,
    pub words: Vec<String>,
    /// Text patterns that show the section without a heading.
    #[serde(default)]
    pub content: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WarningStrength {
    Strong,
    Mild,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningDef {
    pub strength: WarningStrength,
    pub pattern: String,
    /// The line must name the project (or start with the warning).
    #[serde(default)]
    pub subject: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectDef {
    pub pattern: String,
}

/// A compiled maintainer-warning pattern.
#[derive(Debug)]
pub struct WarningRule {
    pub strength: WarningStrength,
    pub regex: Regex,
    pub subject: bool,
}

/// Hosts that are not services (placeholders, namespaces, reference sites).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hosts {
    pub exact: Vec<String>,
    pub suffix: Vec<String>,
}

#[derive(Deserialize)]
struct DetectorFile {
    detector: Vec<Detector>,
}
#[derive(Deserialize)]
struct ArtifactFile {
    artifact: Vec<Artifact>,
}
#[derive(Deserialize)]
struct CiFile {
    class: Vec<CiClassDef>,
}
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicDef {
    pub id: String,
    pub pattern: String,
}

#[derive(Deserialize)]
struct DocsFile {
    role: Vec<DocRole>,
    section: Vec<ReadmeSection>,
    warning_subject: SubjectDef,
    warning: Vec<WarningDef>,
    topic: Vec<TopicDef>,
}

pub const DETECTORS: &str = include_str!("catalog/detectors.toml");
pub const ARTIFACTS: &str = include_str!("catalog/artifacts.toml");
pub const CI: &str = include_str!("catalog/ci.toml");
pub const DOCS: &str = include_str!("catalog/docs.toml");
pub const HOSTS: &str = include_str!("catalog/hosts.toml");

/// All catalogs, compiled.
pub struct Catalog {
    pub detectors: Vec<Detector>,
    /// Per detector, its compiled code patterns.
    pub detector_patterns: Vec<Vec<Regex>>,
    pub artifacts: Vec<Artifact>,
    /// Every artifact's globs in one set: a file is matched once for all artifacts.
    pub artifact_globs: GlobSet,
    /// For each glob in `artifact_globs`, the artifact it belongs to.
    pub artifact_of_glob: Vec<usize>,
    pub ci_classes: Vec<CiClassDef>,
    pub ci_patterns: Vec<Vec<Regex>>,
    pub ci_excludes: Vec<Vec<Regex>>,
    pub doc_roles: Vec<DocRole>,
    pub doc_role_globs: Vec<GlobSet>,
    pub sections: Vec<ReadmeSection>,
    pub section_content: Vec<Vec<Regex>>,
    pub warnings: Vec<WarningRule>,
    /// What names the project itself in a warning's line.
    pub warning_subject: Option<Regex>,
    pub topics: Vec<(String, Regex)>,
    pub hosts: Hosts,
}

/// Why an embedded catalog failed to load.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}:{line}: {message}")]
    Toml {
        file: &'static str,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Regex(#[from] regex::Error),
    #[error("{0}")]
    Glob(#[from] globset::Error),
}

fn parse<T: for<'de> Deserialize<'de>>(file: &'static str, text: &str) -> Result<T, CatalogError> {
    toml::from_str(text).map_err(|e| CatalogError::Toml {
        file,
        line: e
            .span()
            .map(|s| text.get(..s.start).unwrap_or("").lines().count())
            .unwrap_or(0),
        message: e.message().to_string(),
    })
}

fn glob_set(globs: &[String], case_insensitive: bool) -> Result<GlobSet, CatalogError> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let glob: Glob = GlobBuilder::new(g)
            .case_insensitive(case_insensitive)
            .literal_separator(true)
            .build()?;
        b.add(glob);
    }
    Ok(b.build()?)
}

fn regex(p: &str, case_insensitive: bool) -> Result<Regex, CatalogError> {
    Ok(RegexBuilder::new(p)
        .case_insensitive(case_insensitive)
        .multi_line(true)
        .size_limit(1 << 22)
        .build()?)
}

/// Loads and compiles every catalog.
pub fn load() -> Result<Catalog, CatalogError> {
    let mut detectors: DetectorFile = parse("detectors.toml", DETECTORS)?;
    for d in &mut detectors.detector {
        d.normalized = d
            .packages
            .iter()
            .map(|p| match p.strip_suffix('*') {
                Some(prefix) => format!("{}*", d.ecosystem.normalize(prefix)),
                None => d.ecosystem.normalize(p),
            })
            .collect();
    }
    let artifacts: ArtifactFile = parse("artifacts.toml", ARTIFACTS)?;
    let ci: CiFile = parse("ci.toml", CI)?;
    let docs: DocsFile = parse("docs.toml", DOCS)?;
    let hosts: Hosts = parse("hosts.toml", HOSTS)?;
    let detector_patterns = detectors
        .detector
        .iter()
        .map(|d| d.patterns.iter().map(|p| regex(p, false)).collect())
        .collect::<Result<Vec<Vec<Regex>>, _>>()?;
    let artifact_of_glob: Vec<usize> = artifacts
        .artifact
        .iter()
        .enumerate()
        .flat_map(|(i, a)| std::iter::repeat_n(i, a.globs.len()))
        .collect();
    let all_globs: Vec<String> = artifacts
        .artifact
        .iter()
        .flat_map(|a| a.globs.iter().cloned())
        .collect();
    let artifact_globs = glob_set(&all_globs, false)?;
    let ci_patterns = ci
        .class
        .iter()
        .map(|c| c.patterns.iter().map(|p| regex(p, false)).collect())
        .collect::<Result<Vec<Vec<Regex>>, _>>()?;
    let ci_excludes = ci
        .class
        .iter()
        .map(|c| c.exclude.iter().map(|p| regex(p, false)).collect())
        .collect::<Result<Vec<Vec<Regex>>, _>>()?;
    let section_content = docs
        .section
        .iter()
        .map(|s| s.content.iter().map(|p| regex(p, false)).collect())
        .collect::<Result<Vec<Vec<Regex>>, _>>()?;
    let doc_role_globs = docs
        .role
        .iter()
        .map(|r| glob_set(&r.globs, true))
        .collect::<Result<Vec<_>, _>>()?;
    let warnings = docs
        .warning
        .iter()
        .map(|w| {
            Ok(WarningRule {
                strength: w.strength,
                regex: regex(&w.pattern, true)?,
                subject: w.subject,
            })
        })
        .collect::<Result<Vec<_>, CatalogError>>()?;
    let warning_subject = Some(regex(&docs.warning_subject.pattern, true)?);
    let topics = docs
        .topic
        .iter()
        .map(|t| Ok((t.id.clone(), regex(&t.pattern, true)?)))
        .collect::<Result<Vec<_>, CatalogError>>()?;
    Ok(Catalog {
        detectors: detectors.detector,
        detector_patterns,
        artifacts: artifacts.artifact,
        artifact_globs,
        artifact_of_glob,
        ci_classes: ci.class,
        ci_patterns,
        ci_excludes,
        doc_roles: docs.role,
        doc_role_globs,
        sections: docs.section,
        section_content,
        warnings,
        warning_subject,
        topics,
        hosts,
    })
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    load().unwrap_or_else(|_| Catalog {
        detectors: Vec::new(),
        detector_patterns: Vec::new(),
        artifacts: Vec::new(),
        artifact_globs: GlobSet::empty(),
        artifact_of_glob: Vec::new(),
        ci_classes: Vec::new(),
        ci_patterns: Vec::new(),
        ci_excludes: Vec::new(),
        doc_roles: Vec::new(),
        doc_role_globs: Vec::new(),
        sections: Vec::new(),
        section_content: Vec::new(),
        warnings: Vec::new(),
        warning_subject: None,
        topics: Vec::new(),
        hosts: Hosts::default(),
    })
});

/// The compiled catalogs.
pub fn catalog() -> &'static Catalog {
    &CATALOG
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalogs_load() {
        load().unwrap();
    }

    #[test]
    fn ids_are_unique_and_sorted_within_blocks() {
        let c = load().unwrap();
        let mut seen = HashSet::new();
        for d in &c.detectors {
            assert!(seen.insert(d.id.clone()), "duplicate detector {}", d.id);
            assert!(
                !(d.packages.is_empty() && d.imports.is_empty() && d.patterns.is_empty()),
                "detector {} matches nothing",
                d.id
            );
        }
        for eco in [
            Ecosystem::Python,
            Ecosystem::Rust,
            Ecosystem::Npm,
            Ecosystem::Go,
        ] {
            let ids: Vec<&str> = c
                .detectors
                .iter()
                .filter(|d| d.ecosystem == eco)
                .map(|d| d.id.as_str())
                .collect();
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            assert_eq!(ids, sorted, "detectors of {eco:?} must be sorted by id");
        }
        let mut seen = HashSet::new();
        for a in &c.artifacts {
            assert!(seen.insert(a.id.clone()), "duplicate artifact {}", a.id);
        }
        for list in [&c.hosts.exact, &c.hosts.suffix] {
            let mut sorted = list.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(list, &sorted, "hosts.toml lists must be sorted and unique");
        }
        let ci: Vec<&str> = c.ci_classes.iter().map(|x| x.id.as_str()).collect();
        let mut sorted = ci.clone();
        sorted.sort_unstable();
        assert_eq!(ci, sorted, "CI classes must be sorted by id");
    }

    #[test]
    fn normalizes_package_names() {
        assert_eq!(
            Ecosystem::Python.normalize("Python_Dotenv"),
            "python-dotenv"
        );
        assert_eq!(
            Ecosystem::Python.normalize("zope.interface"),
            "zope-interface"
        );
        assert_eq!(Ecosystem::Rust.normalize("assert_cmd"), "assert-cmd");
    }

    #[test]
    fn matches_packages_and_imports() {
        let c = load().unwrap();
        let find = |id: &str| c.detectors.iter().find(|d| d.id == id).unwrap();
        assert!(find("py-google-cloud").matches_package("google-cloud-storage"));
        assert!(find("py-fastapi").matches_import("fastapi.responses"));
        assert!(!find("py-fastapi").matches_import("fastapix"));
        assert!(find("go-echo").matches_package("github.com/labstack/echo/v4"));
        assert!(find("go-echo").matches_import("github.com/labstack/echo/v4/middleware"));
        // `*/log` matches a last segment, whole.
        assert!(find("go-log-package").matches_import("github.com/writeas/web-core/log"));
        assert!(!find("go-log-package").matches_import("github.com/x/logic"));
        assert!(!find("go-log-package").matches_import("log"));
        assert!(find("js-sentry").matches_package("@sentry/node"));
        assert!(find("rs-assert-cmd").matches_package("assert-cmd"));
    }
}
