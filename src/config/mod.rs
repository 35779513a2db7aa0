//! The policy: built-in defaults layered under `greenlight.toml` (what the file says is
//! [`PolicyFile`]; the resolved, validated form is [`Policy`]). Checks read thresholds
//! from it; the review applies its weights, overrides and suppressions centrally.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::model::{Category, ProjectKind, Severity};
use crate::repo::open::{Refusal, read_following, read_no_follow};

/// The commented starter file `greenlight init` writes.
pub const STARTER: &str = include_str!("starter.toml");

/// Default file name looked up in the audited directory.
pub const FILE_NAME: &str = "greenlight.toml";

/// Largest policy file read.
const MAX_POLICY_BYTES: u64 = 1024 * 1024;
/// Highest per-file analysis cap a policy may set: past it, one file could cost
/// gigabytes and line offsets would overflow.
pub const MAX_FILE_BYTES_CEILING: u64 = 64 * 1024 * 1024;
/// Longest time budget a policy may set, in seconds.
const MAX_BUDGET_SECONDS: u64 = 24 * 60 * 60;
/// Highest category weight a policy may set.
const MAX_WEIGHT: f64 = 1000.0;

/// Why a policy file could not be read, as one clause.
fn read_error(path: &Path, why: &Refusal) -> PolicyError {
    let message = match why {
        Refusal::TooLarge { .. } => "the policy file is larger than 1 MiB".to_string(),
        other => format!("cannot read the policy file: {other}"),
    };
    PolicyError {
        path: path.display().to_string(),
        line: None,
        message,
    }
}

/// A policy that could not be used, with where.
#[derive(Debug, thiserror::Error)]
#[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PolicyError {
    pub path: String,
    pub line: Option<u32>,
    pub message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdsFile {
    coverage: Option<f64>,
    critical_coverage: Option<f64>,
    static_analysis_errors: Option<u32>,
    e2e_passing: Option<u32>,
    max_file_lines: Option<usize>,
    max_function_complexity: Option<u32>,
    max_function_lines: Option<u32>,
    max_nesting: Option<u32>,
    max_file_bytes: Option<u64>,
    todo_per_kloc: Option<f64>,
    test_ratio: Option<f64>,
    history_seconds: Option<u64>,
    secret_scan_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckFile {
    enabled: Option<bool>,
    severity: Option<Severity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuppressFile {
    check: String,
    path: Option<String>,
    fingerprint: Option<String>,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    path: String,
    name: Option<String>,
    kind: Option<ProjectKind>,
    #[serde(default)]
    critical: bool,
    #[serde(default)]
    ignore: bool,
}

/// What the policy says of one project of the repository (`[[project]]`): a name, the
/// kind inference got wrong, that it decides the verdict whatever it is, or that it is
/// left out of the verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectOverride {
    /// Its directory relative to the root (`.` or `""` for the root).
    pub path: String,
    pub name: Option<String>,
    pub kind: Option<ProjectKind>,
    pub critical: bool,
    pub ignore: bool,
}

/// `greenlight.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    project_kind: Option<ProjectKind>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    critical: Vec<String>,
    #[serde(default)]
    thresholds: ThresholdsFile,
    #[serde(default)]
    weights: BTreeMap<String, f64>,
    #[serde(default)]
    checks: BTreeMap<String, CheckFile>,
    #[serde(default)]
    suppress: Vec<SuppressFile>,
    #[serde(default)]
    project: Vec<ProjectFile>,
}

/// Resolved thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub coverage: f64,
    pub critical_coverage: f64,
    pub static_analysis_errors: u32,
    pub e2e_passing: u32,
    pub max_file_lines: usize,
    /// McCabe complexity above which a function is too complex.
    pub max_function_complexity: u32,
    /// Lines above which a function is too long.
    pub max_function_lines: u32,
    /// Block nesting above which a function is too deep.
    pub max_nesting: u32,
    pub max_file_bytes: u64,
    pub todo_per_kloc: f64,
    pub test_ratio: f64,
    /// Time the `--history` scan may take before it stops and says so.
    pub history_seconds: u64,
    /// Time the secret scan of the tree may take before it stops and says so.
    pub secret_scan_seconds: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            coverage: 80.0,
            critical_coverage: 90.0,
            static_analysis_errors: 0,
            e2e_passing: 1,
            max_file_lines: 1000,
            max_function_complexity: 15,
            max_function_lines: 100,
            max_nesting: 5,
            max_file_bytes: 1024 * 1024,
            todo_per_kloc: 5.0,
            test_ratio: 0.3,
            history_seconds: 60,
            secret_scan_seconds: 60,
        }
    }
}

impl Thresholds {
    /// Each threshold set looser than its default (a lower bar, or less read), as
    /// `name = value (default d)`: what a policy can use to make a review greener.
    pub fn relaxed(&self) -> Vec<String> {
        let d = Thresholds::default();
        let mut out = Vec::new();
        // `lower`: the check demands at least the value, so a lower one is looser;
        // `higher`: it allows at most the value, so a higher one is looser.
        macro_rules! compare {
            ($($dir:ident $field:ident),*) => {
                $(let looser = match stringify!($dir) {
                    "lower" => self.$field < d.$field,
                    _ => self.$field > d.$field,
                };
                if looser {
                    out.push(format!(
                        "{} = {} (default {})",
                        stringify!($field),
                        self.$field,
                        d.$field
                    ));
                })*
            };
        }
        compare!(
            lower coverage,
            lower critical_coverage,
            higher static_analysis_errors,
            lower e2e_passing,
            higher max_file_lines,
            higher max_function_complexity,
            higher max_function_lines,
            higher max_nesting,
            lower max_file_bytes,
            higher todo_per_kloc,
            lower test_ratio,
            lower history_seconds,
            lower secret_scan_seconds
        );
        out
    }
}

/// A per-check override.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckOverride {
    pub enabled: bool,
    pub severity: Option<Severity>,
}

/// An accepted finding.
#[derive(Debug, Clone)]
pub struct Suppression {
    pub check: String,
    pub path: Option<String>,
    matcher: Option<GlobMatcher>,
    /// When set, only the finding with this fingerprint is covered.
    pub fingerprint: Option<String>,
    pub reason: String,
}

impl Suppression {
    /// True when it covers a finding of `check` with evidence at `paths` and the
    /// given fingerprint.
    pub fn covers(&self, check: &str, paths: &[&str], fingerprint: Option<&str>) -> bool {
        if self.check != check {
            return false;
        }
        if let Some(want) = &self.fingerprint {
            if fingerprint != Some(want.as_str()) {
                return false;
            }
        }
        match &self.matcher {
            None => true,
            Some(m) => !paths.is_empty() && paths.iter().all(|p| m.is_match(p)),
        }
    }
}

/// The resolved policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub project_kind: Option<ProjectKind>,
    pub project_kind_line: Option<u32>,
    pub ignore: Vec<String>,
    pub ignore_set: GlobSet,
    pub critical: Vec<String>,
    pub thresholds: Thresholds,
    weights: BTreeMap<Category, f64>,
    pub checks: BTreeMap<String, CheckOverride>,
    pub suppressions: Vec<Suppression>,
    /// `[[project]]` entries.
    pub projects: Vec<ProjectOverride>,
    /// The file it was read from; `None` for built-in defaults.
    pub source: Option<PathBuf>,
    /// Read from the audited repository itself (its own `greenlight.toml`), not
    /// given by whoever runs the audit.
    pub from_repository: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            project_kind: None,
            project_kind_line: None,
            ignore: Vec::new(),
            ignore_set: GlobSet::empty(),
            critical: Vec::new(),
            thresholds: Thresholds::default(),
            weights: BTreeMap::new(),
            checks: BTreeMap::new(),
            suppressions: Vec::new(),
            projects: Vec::new(),
            source: None,
            from_repository: false,
        }
    }
}

fn glob(path: &str, pattern: &str) -> Result<Glob, PolicyError> {
    Glob::new(pattern).map_err(|e| PolicyError {
        path: path.to_string(),
        line: None,
        message: format!("invalid glob `{pattern}`: {}", e.kind()),
    })
}

impl Policy {
    /// Weight of a category in the overall score.
    pub fn weight(&self, category: Category) -> f64 {
        self.weights.get(&category).copied().unwrap_or(1.0)
    }

    /// Each category weight set below 1 (counting less in the overall score), as
    /// `id = weight`.
    pub fn lowered_weights(&self) -> Vec<String> {
        self.weights
            .iter()
            .filter(|(_, w)| **w < 1.0)
            .map(|(c, w)| format!("{} = {w}", c.id()))
            .collect()
    }

    /// True unless the policy turned the check off.
    pub fn enabled(&self, check: &str) -> bool {
        self.checks.get(check).is_none_or(|o| o.enabled)
    }

    /// The severity the policy forces on a check's concerns, if any.
    pub fn severity(&self, check: &str) -> Option<Severity> {
        self.checks.get(check).and_then(|o| o.severity)
    }

    /// How reports name the policy's origin.
    pub fn source_display(&self) -> String {
        match &self.source {
            Some(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string()),
            None => "built-in defaults".to_string(),
        }
    }

    /// Parses policy text; `path` names it in errors.
    pub fn parse(path: &str, text: &str) -> Result<Policy, PolicyError> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| PolicyError {
            path: path.to_string(),
            line: e.span().map(|s| crate::model::line_at(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        let mut policy = Policy {
            project_kind: file.project_kind,
            project_kind_line: text
                .lines()
                .position(|l| l.trim_start().starts_with("project_kind"))
                .and_then(|i| u32::try_from(i + 1).ok()),
            ..Policy::default()
        };
        let t = file.thresholds;
        let d = Thresholds::default();
        policy.thresholds = Thresholds {
            coverage: t.coverage.unwrap_or(d.coverage),
            critical_coverage: t.critical_coverage.unwrap_or(d.critical_coverage),
            static_analysis_errors: t.static_analysis_errors.unwrap_or(d.static_analysis_errors),
            e2e_passing: t.e2e_passing.unwrap_or(d.e2e_passing),
            max_file_lines: t.max_file_lines.unwrap_or(d.max_file_lines),
            max_function_complexity: t
                .max_function_complexity
                .unwrap_or(d.max_function_complexity),
            max_function_lines: t.max_function_lines.unwrap_or(d.max_function_lines),
            max_nesting: t.max_nesting.unwrap_or(d.max_nesting),
            max_file_bytes: t.max_file_bytes.unwrap_or(d.max_file_bytes),
            todo_per_kloc: t.todo_per_kloc.unwrap_or(d.todo_per_kloc),
            test_ratio: t.test_ratio.unwrap_or(d.test_ratio),
            history_seconds: t.history_seconds.unwrap_or(d.history_seconds),
            secret_scan_seconds: t.secret_scan_seconds.unwrap_or(d.secret_scan_seconds),
        };
        for (name, value) in [
            ("coverage", policy.thresholds.coverage),
            ("critical_coverage", policy.thresholds.critical_coverage),
        ] {
            if !(0.0..=100.0).contains(&value) {
                return Err(PolicyError {
                    path: path.into(),
                    line: None,
                    message: format!("thresholds.{name} must be between 0 and 100, not {value}"),
                });
            }
        }
        if policy.thresholds.max_file_bytes > MAX_FILE_BYTES_CEILING {
            return Err(PolicyError {
                path: path.into(),
                line: None,
                message: format!(
                    "thresholds.max_file_bytes must be at most {MAX_FILE_BYTES_CEILING} (64 MiB), not {}",
                    policy.thresholds.max_file_bytes
                ),
            });
        }
        for (name, value) in [
            ("history_seconds", policy.thresholds.history_seconds),
            ("secret_scan_seconds", policy.thresholds.secret_scan_seconds),
        ] {
            if value > MAX_BUDGET_SECONDS {
                return Err(PolicyError {
                    path: path.into(),
                    line: None,
                    message: format!(
                        "thresholds.{name} must be at most {MAX_BUDGET_SECONDS} (a day), not {value}"
                    ),
                });
            }
        }
        if !(policy.thresholds.todo_per_kloc >= 0.0 && policy.thresholds.test_ratio >= 0.0) {
            return Err(PolicyError {
                path: path.into(),
                line: None,
                message: "thresholds.todo_per_kloc and thresholds.test_ratio must not be negative"
                    .into(),
            });
        }
        let mut ignore = GlobSetBuilder::new();
        for g in &file.ignore {
            ignore.add(glob(path, g)?);
        }
        policy.ignore_set = ignore.build().map_err(|e| PolicyError {
            path: path.into(),
            line: None,
            message: e.to_string(),
        })?;
        policy.ignore = file.ignore;
        for g in &file.critical {
            glob(path, g)?;
        }
        policy.critical = file.critical;
        for (id, w) in file.weights {
            let Some(cat) = Category::from_id(&id) else {
                let ids: Vec<&str> = Category::ALL.iter().map(|c| c.id()).collect();
                return Err(PolicyError {
                    path: path.into(),
                    line: None,
                    message: format!(
                        "unknown category `{id}` in [weights]; categories are {}",
                        ids.join(", ")
                    ),
                });
            };
            if !(0.0..=MAX_WEIGHT).contains(&w) {
                return Err(PolicyError {
                    path: path.into(),
                    line: None,
                    message: format!("weight of `{id}` must be between 0 and {MAX_WEIGHT}"),
                });
            }
            policy.weights.insert(cat, w);
        }
        for (id, c) in file.checks {
            policy.checks.insert(
                id,
                CheckOverride {
                    enabled: c.enabled.unwrap_or(true),
                    severity: c.severity,
                },
            );
        }
        for s in file.suppress {
            if s.reason.trim().is_empty() {
                return Err(PolicyError {
                    path: path.into(),
                    line: None,
                    message: format!("suppression of `{}` needs a non-empty reason", s.check),
                });
            }
            let matcher = match &s.path {
                Some(p) => Some(glob(path, p)?.compile_matcher()),
                None => None,
            };
            policy.suppressions.push(Suppression {
                check: s.check,
                path: s.path,
                matcher,
                fingerprint: s.fingerprint,
                reason: s.reason,
            });
        }
        for p in file.project {
            let raw = p.path.trim();
            // `./web/`, `web/./app` → `web`, `web/app`; `.` → the root.
            let dir = raw
                .split('/')
                .filter(|part| !part.is_empty() && *part != ".")
                .collect::<Vec<_>>()
                .join("/");
            if raw.starts_with('/') || dir.split('/').any(|part| part == "..") {
                return Err(PolicyError {
                    path: path.into(),
                    line: None,
                    message: format!(
                        "[[project]] path `{}` must be a directory inside the repository, relative to its root",
                        p.path
                    ),
                });
            }
            policy.projects.push(ProjectOverride {
                path: dir,
                name: p.name,
                kind: p.kind,
                critical: p.critical,
                ignore: p.ignore,
            });
        }
        Ok(policy)
    }

    /// Reads a policy file the user named (at most 1 MiB; a policy is a few dozen
    /// lines). The policy is the user's configuration, read before the walk it
    /// configures; a FIFO or a device given by mistake is refused, never waited on.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let bytes = read_following(path, MAX_POLICY_BYTES).map_err(|why| read_error(path, &why))?;
        Policy::from_bytes(path, bytes)
    }

    /// Reads `greenlight.toml` from the audited directory: only a regular file at that
    /// name, never through a symbolic link (which could point anywhere), opened without
    /// blocking. `None` when there is no such file.
    pub fn load_from(root: &Path) -> Result<Option<Policy>, PolicyError> {
        let path = root.join(FILE_NAME);
        match read_no_follow(&path, MAX_POLICY_BYTES) {
            Ok(bytes) => Policy::from_bytes(&path, bytes).map(Some),
            // Only a regular file is the repository's policy; anything else at that
            // name is not one.
            Err(Refusal::Missing | Refusal::Link | Refusal::Outside | Refusal::NotRegular) => {
                Ok(None)
            }
            Err(why) => Err(read_error(&path, &why)),
        }
    }

    fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Policy, PolicyError> {
        let shown = path.display().to_string();
        let text = String::from_utf8(bytes).map_err(|_| PolicyError {
            path: shown.clone(),
            line: None,
            message: "the policy file is not UTF-8".into(),
        })?;
        let mut policy = Policy::parse(&shown, &text)?;
        policy.source = Some(path.to_path_buf());
        Ok(policy)
    }

    /// Fails on check ids the registry does not know (in `[checks]` and suppressions).
    pub fn validate_check_ids(&self, known: &[&str]) -> Result<(), PolicyError> {
        let unknown = self
            .checks
            .keys()
            .map(String::as_str)
            .chain(self.suppressions.iter().map(|s| s.check.as_str()))
            .find(|id| !known.contains(id));
        match unknown {
            Some(id) => Err(PolicyError {
                path: self
                    .source
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| FILE_NAME.to_string()),
                line: None,
                message: format!("unknown check `{id}`; `greenlight checks` lists the ids"),
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn project_paths_are_normalised_and_kept_inside_the_repository() {
        let p = Policy::parse(
            "g.toml",
            "[[project]]\npath = \"./web/./app/\"\n[[project]]\npath = \".\"\nkind = \"service\"\n",
        )
        .unwrap();
        let paths: Vec<&str> = p.projects.iter().map(|o| o.path.as_str()).collect();
        assert_eq!(paths, ["web/app", ""]);
        assert!(Policy::parse("g.toml", "[[project]]\npath = \"web/../../x\"\n").is_err());
        assert!(Policy::parse("g.toml", "[[project]]\npath = \"/etc\"\n").is_err());
    }

    #[test]
    fn only_looser_thresholds_count_as_relaxed() {
        let p = Policy::parse(
            "g.toml",
            "[thresholds]\ncoverage = 50\nmax_file_lines = 80\nmax_nesting = 9\nsecret_scan_seconds = 0\n",
        )
        .unwrap_or_default();
        assert_eq!(
            p.thresholds.relaxed(),
            [
                "coverage = 50 (default 80)",
                "max_nesting = 9 (default 5)",
                "secret_scan_seconds = 0 (default 60)"
            ]
        );
    }

    use super::*;

    #[test]
    fn starter_parses_to_the_defaults() {
        let p = Policy::parse("greenlight.toml", STARTER).unwrap();
        assert_eq!(p.thresholds, Thresholds::default());
        assert!(p.project_kind.is_none());
        assert!(p.checks.is_empty());
    }

    #[test]
    fn reads_overrides() {
        let p = Policy::parse(
            "g.toml",
            "project_kind = \"cli\"\nignore = [\"docs/**\"]\n[thresholds]\ncoverage = 70\n[weights]\nsecurity = 2\n[checks.\"documentation.adr\"]\nenabled = false\n[[suppress]]\ncheck = \"security.env-files\"\npath = \"tests/**\"\nreason = \"fixtures\"\n",
        )
        .unwrap();
        assert_eq!(p.project_kind, Some(ProjectKind::Cli));
        assert_eq!(p.project_kind_line, Some(1));
        assert!(p.ignore_set.is_match("docs/a.md"));
        assert_eq!(p.thresholds.coverage, 70.0);
        assert_eq!(p.weight(Category::Security), 2.0);
        assert_eq!(p.weight(Category::Tests), 1.0);
        assert!(!p.enabled("documentation.adr"));
        assert!(p.suppressions[0].covers("security.env-files", &["tests/x/.env"], None));
        assert!(!p.suppressions[0].covers("security.env-files", &[".env"], None));
    }

    #[test]
    fn reads_function_limits() {
        let p = Policy::parse(
            "g.toml",
            "[thresholds]\nmax_function_complexity = 20\nmax_nesting = 3\n",
        )
        .unwrap();
        assert_eq!(p.thresholds.max_function_complexity, 20);
        assert_eq!(p.thresholds.max_nesting, 3);
        assert_eq!(p.thresholds.max_function_lines, 100);
    }

    #[test]
    fn reads_time_budgets() {
        let p = Policy::parse(
            "g.toml",
            "[thresholds]\nhistory_seconds = 5\nsecret_scan_seconds = 0\n",
        )
        .unwrap();
        assert_eq!(p.thresholds.history_seconds, 5);
        assert_eq!(p.thresholds.secret_scan_seconds, 0);
        let e = Policy::parse("g.toml", "[thresholds]\nhistory_seconds = 90000\n").unwrap_err();
        assert!(e.message.contains("at most 86400"), "{}", e.message);
        let e = Policy::parse("g.toml", "[thresholds]\nhistory_seconds = -1\n").unwrap_err();
        assert!(e.message.contains("invalid value"), "{}", e.message);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors_with_lines() {
        let e = Policy::parse("g.toml", "[thresholds]\ncoverge = 1\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(
            e.to_string()
                .starts_with("g.toml:2: unknown field `coverge`")
        );
        let e = Policy::parse("g.toml", "[thresholds]\ncoverage = 120\n").unwrap_err();
        assert!(e.message.contains("between 0 and 100"));
        let e = Policy::parse("g.toml", "[weights]\nsecurty = 1\n").unwrap_err();
        assert!(e.message.contains("unknown category"));
        let e = Policy::parse(
            "g.toml",
            "[thresholds]\nmax_file_bytes = 9223372036854775807\n",
        )
        .unwrap_err();
        assert!(e.message.contains("at most"), "{}", e.message);
        let e = Policy::parse("g.toml", "[weights]\nsecurity = 1e308\n").unwrap_err();
        assert!(e.message.contains("between 0 and"), "{}", e.message);
        let e =
            Policy::parse("g.toml", "[[suppress]]\ncheck = \"x\"\nreason = \" \"\n").unwrap_err();
        assert!(e.message.contains("reason"));
    }
}
