//! Stage 4 — judgments. Each check is one file: a [`CheckDef`] (id, category, title,
//! weight, rationale, remediation, default severity and effort) and one `evaluate`
//! function from facts to an [`Outcome`]. Checks never fail: what cannot be determined
//! is `Unknown`, what does not apply is `NotApplicable`. The registry lists them all,
//! sorted by id; `greenlight checks`, `greenlight explain` and `docs/checks.md` are
//! generated from it.

mod architecture;
mod ci;
mod code_quality;
mod deployment;
mod documentation;
mod e2e;
mod elsewhere;
mod observability;
mod performance;
pub mod python;
pub mod reach;

/// Whether a route path is a health, liveness or readiness probe (`/healthz`,
/// `/api/v1/health`, `GET /readyz`).
pub fn is_health_route(path: &str) -> bool {
    observability::health::is_health(path)
}
mod security;
pub(crate) mod tests;

use crate::analyze::Facts;
use crate::config::Policy;
use crate::model::{
    Category, Confidence, Effort, Evidence, Finding, FindingKind, ProjectKind, Severity, Status,
};
use crate::repo::Inventory;

/// What a check is, as data.
#[derive(Debug, Clone, Copy)]
pub struct CheckDef {
    /// Stable id: `<category>.<name>`.
    pub id: &'static str,
    pub category: Category,
    pub title: &'static str,
    /// One line for `greenlight checks`.
    pub summary: &'static str,
    /// Relative weight within its category.
    pub weight: f64,
    /// Severity of its concerns unless the check or the policy says otherwise; for a
    /// check whose severity depends on the project kind, the severity for services.
    pub severity: Severity,
    /// Where the severity depends on the kind of project.
    pub by_kind: Option<KindSeverity>,
    pub effort: Effort,
    /// Why it matters.
    pub rationale: &'static str,
    /// How to fix, in full.
    pub remediation: &'static str,
    /// The short action for the prioritized list.
    pub action: &'static str,
    /// The risk the action addresses.
    pub risk: &'static str,
}

/// A check's severity for each kind of project.
#[derive(Clone, Copy, Debug)]
pub struct KindSeverity {
    /// Services, and repositories mixing a service with other things.
    pub service: Severity,
    pub cli: Severity,
    /// `None`: the check does not apply to libraries.
    pub library: Option<Severity>,
}

impl CheckDef {
    /// The severity of this check's concerns for a project of `kind`.
    pub fn severity_for(&self, kind: ProjectKind) -> Severity {
        match (self.by_kind, kind) {
            (None, _) => self.severity,
            (Some(k), ProjectKind::Service | ProjectKind::Mixed) => k.service,
            (Some(k), ProjectKind::Cli) => k.cli,
            (Some(k), ProjectKind::Library) => k.library.unwrap_or(self.severity),
        }
    }

    /// The default severity in words, per kind where it varies.
    pub fn severity_text(&self) -> String {
        let Some(k) = self.by_kind else {
            return self.severity.to_string();
        };
        let library = match k.library {
            Some(s) => format!("{s} for libraries"),
            None => "not applicable to libraries".to_string(),
        };
        format!(
            "{} for services, {} for command-line tools, {library}",
            k.service, k.cli
        )
    }
}

/// A registered check.
#[derive(Clone, Copy)]
pub struct Check {
    pub def: CheckDef,
    pub evaluate: fn(&Context<'_>) -> Outcome,
}

/// What checks read.
pub struct Context<'a> {
    pub inventory: &'a Inventory,
    pub facts: &'a Facts,
    pub policy: &'a Policy,
    pub kind: ProjectKind,
    /// What the dynamic phase found, when it ran.
    pub run: Option<&'a crate::run::TestRun>,
    /// Known vulnerabilities matched from the local database and supplied reports.
    pub advisories: &'a crate::advisories::Scan,
    /// The project judged (index into `Facts::projects`), or `None` for the whole
    /// repository. The facts are that project's already; this scopes the inventory.
    pub scope: Option<usize>,
}

impl<'a> Context<'a> {
    /// Whether a path is in what is judged.
    pub fn in_scope(&self, path: &str) -> bool {
        self.scope.is_none_or(|i| {
            crate::analyze::projects::in_view(&self.facts.projects, self.inventory, i, path)
        })
    }

    /// The files judged.
    pub fn files(&self) -> impl Iterator<Item = &'a crate::repo::RepoFile> + '_ {
        self.inventory
            .files
            .iter()
            .enumerate()
            .filter(move |(i, _)| {
                self.scope.is_none_or(|own| {
                    crate::analyze::projects::file_in_view(
                        &self.facts.projects,
                        self.inventory,
                        own,
                        *i,
                    )
                })
            })
            .map(|(_, f)| f)
    }

    /// Production source files (kind `source`) with text, of what is judged.
    pub fn sources(&self) -> impl Iterator<Item = &'a crate::repo::RepoFile> + '_ {
        self.files()
            .filter(|f| f.kind == crate::repo::FileKind::Source && f.text().is_some())
    }

    /// Lines of production source code.
    pub fn production_lines(&self) -> usize {
        self.facts.tests.production_code_lines
    }

    /// The text of a line, for snippets.
    pub fn line(&self, path: &str, line: u32) -> String {
        self.inventory
            .file(path)
            .map(|f| f.line(line).to_string())
            .unwrap_or_default()
    }

    /// Evidence at a document's first line of text (skipping blank lines and
    /// reStructuredText over/underlines), for "this file exists" claims.
    pub fn at_start(&self, path: &str) -> Evidence {
        let line = self
            .inventory
            .file(path)
            .and_then(|f| {
                let total = u32::try_from(f.index.len()).unwrap_or(u32::MAX);
                (1..=total.min(50)).find(|&n| f.line(n).chars().any(char::is_alphanumeric))
            })
            .unwrap_or(1);
        self.at(path, line)
    }

    /// Evidence at a file line, with the line's text as snippet.
    pub fn at(&self, path: &str, line: u32) -> Evidence {
        Evidence::at(path, line, &self.line(path, line))
    }

    /// When the tree is a published package, what packages leave out (CI, tests) is
    /// unknown, not absent: this is the outcome to return instead of a failure.
    pub fn not_shipped(&self, what: &str) -> Option<Outcome> {
        self.facts.distribution.as_ref().map(|d| {
            Outcome::unknown(format!(
                "{what} could not be checked: this tree is a {} ({}), which does not ship it; audit the source repository",
                d.kind, d.marker
            ))
        })
    }

    /// How many files were searched, for absence evidence.
    pub fn scope(&self) -> String {
        crate::model::plural(self.files().count(), "file", "files")
    }
}

/// What a check concluded.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    /// 0–1; `None` for unknown and not applicable.
    pub score: Option<f64>,
    /// What was found, in one line.
    pub summary: String,
    pub findings: Vec<Finding>,
}

impl Outcome {
    pub fn pass(summary: impl Into<String>) -> Outcome {
        Outcome {
            status: Status::Pass,
            score: Some(1.0),
            summary: summary.into(),
            findings: Vec::new(),
        }
    }

    pub fn partial(score: f64, summary: impl Into<String>) -> Outcome {
        Outcome {
            status: Status::Partial,
            score: Some(score.clamp(0.0, 1.0)),
            summary: summary.into(),
            findings: Vec::new(),
        }
    }

    pub fn fail(summary: impl Into<String>) -> Outcome {
        Outcome {
            status: Status::Fail,
            score: Some(0.0),
            summary: summary.into(),
            findings: Vec::new(),
        }
    }

    pub fn unknown(summary: impl Into<String>) -> Outcome {
        Outcome {
            status: Status::Unknown,
            score: None,
            summary: summary.into(),
            findings: Vec::new(),
        }
    }

    pub fn not_applicable(summary: impl Into<String>) -> Outcome {
        Outcome {
            status: Status::NotApplicable,
            score: None,
            summary: summary.into(),
            findings: Vec::new(),
        }
    }

    /// Status from a 0–1 score: 1 passes, ≥ 0.5 is partial, below fails.
    pub fn scored(score: f64, summary: impl Into<String>) -> Outcome {
        let score = score.clamp(0.0, 1.0);
        let status = if score >= 0.999 {
            Status::Pass
        } else if score >= 0.5 {
            Status::Partial
        } else {
            Status::Fail
        };
        Outcome {
            status,
            score: Some(score),
            summary: summary.into(),
            findings: Vec::new(),
        }
    }

    /// Adds a strength.
    pub fn strength(
        mut self,
        def: &CheckDef,
        title: impl Into<String>,
        message: impl Into<String>,
        evidence: Vec<Evidence>,
    ) -> Outcome {
        self.findings.push(Finding {
            check: def.id,
            category: def.category,
            kind: FindingKind::Strength,
            severity: None,
            title: title.into(),
            message: message.into(),
            evidence,
            action: None,
            effort: None,
            confidence: Confidence::High,
            fingerprint: None,
            project: None,
        });
        self
    }

    /// Adds a concern with the check's default severity and action.
    pub fn concern(
        self,
        def: &CheckDef,
        title: impl Into<String>,
        message: impl Into<String>,
        evidence: Vec<Evidence>,
    ) -> Outcome {
        self.concern_at(def, def.severity, title, message, evidence)
    }

    /// Adds a concern with an explicit severity.
    pub fn concern_at(
        mut self,
        def: &CheckDef,
        severity: Severity,
        title: impl Into<String>,
        message: impl Into<String>,
        evidence: Vec<Evidence>,
    ) -> Outcome {
        self.findings.push(Finding {
            check: def.id,
            category: def.category,
            kind: FindingKind::Concern,
            severity: Some(severity),
            title: title.into(),
            message: message.into(),
            evidence,
            action: Some(def.action.to_string()),
            effort: Some(def.effort),
            confidence: Confidence::High,
            fingerprint: None,
            project: None,
        });
        self
    }

    /// Sets the action of the finding added last: what to do about this finding, where
    /// the check's general action would not say.
    pub fn action(mut self, action: impl Into<String>) -> Outcome {
        if let Some(f) = self.findings.last_mut() {
            f.action = Some(action.into());
        }
        self
    }

    /// Sets the confidence of the finding added last.
    pub fn confidence(mut self, confidence: Confidence) -> Outcome {
        if let Some(f) = self.findings.last_mut() {
            f.confidence = confidence;
        }
        self
    }

    /// Sets the fingerprint of the finding added last.
    pub fn fingerprint(mut self, fingerprint: impl Into<String>) -> Outcome {
        if let Some(f) = self.findings.last_mut() {
            f.fingerprint = Some(fingerprint.into());
        }
        self
    }
}

/// Every check, sorted by id.
pub static CHECKS: &[Check] = &[
    architecture::architecture_docs::CHECK,
    architecture::complex_functions::CHECK,
    architecture::god_files::CHECK,
    architecture::import_cycles::CHECK,
    ci::coverage_gate::CHECK,
    ci::lint::CHECK,
    ci::pipeline::CHECK,
    ci::tests::CHECK,
    code_quality::analysable::CHECK,
    code_quality::assert_validation::CHECK,
    code_quality::config_valid::CHECK,
    code_quality::exception_handling::CHECK,
    code_quality::format_spec_errors::CHECK,
    code_quality::linters::CHECK,
    code_quality::mutable_defaults::CHECK,
    code_quality::syntax_errors::CHECK,
    code_quality::todo_density::CHECK,
    code_quality::undeclared_dependencies::CHECK,
    code_quality::unresolved_imports::CHECK,
    deployment::container::CHECK,
    deployment::dockerfile::CHECK,
    deployment::environments::CHECK,
    deployment::migrations::CHECK,
    deployment::orchestration::CHECK,
    deployment::release::CHECK,
    deployment::rollback::CHECK,
    deployment::versioning::CHECK,
    documentation::adr::CHECK,
    documentation::changelog::CHECK,
    documentation::codeowners::CHECK,
    documentation::contributing::CHECK,
    documentation::license::CHECK,
    documentation::maintainer_warnings::CHECK,
    documentation::readme::CHECK,
    documentation::runbook::CHECK,
    documentation::troubleshooting::CHECK,
    e2e::suite::CHECK,
    observability::error_tracking::CHECK,
    observability::health::CHECK,
    observability::logging::CHECK,
    observability::metrics::CHECK,
    observability::print_statements::CHECK,
    observability::structured_logging::CHECK,
    observability::tracing::CHECK,
    performance::benchmarks::CHECK,
    performance::blocking_in_async::CHECK,
    performance::caching::CHECK,
    performance::connection_reuse::CHECK,
    performance::http_timeouts::CHECK,
    performance::load_tests::CHECK,
    security::action_pinning::CHECK,
    security::app_config::CHECK,
    security::code_injection::CHECK,
    security::command_injection::CHECK,
    security::container_build::CHECK,
    security::container_runtime::CHECK,
    security::dangerous_triggers::CHECK,
    security::dependency_audit::CHECK,
    security::dependency_pinning::CHECK,
    security::dependency_updates::CHECK,
    security::email_addresses::CHECK,
    security::env_files::CHECK,
    security::known_vulnerabilities::CHECK,
    security::lockfile::CHECK,
    security::path_traversal::CHECK,
    security::policy::CHECK,
    security::sast::CHECK,
    security::secret_history::CHECK,
    security::secret_scanning::CHECK,
    security::secrets::CHECK,
    security::sql_injection::CHECK,
    security::tls_verification::CHECK,
    security::unsafe_deserialization::CHECK,
    security::weak_crypto::CHECK,
    security::workflow_injection::CHECK,
    security::workflow_permissions::CHECK,
    tests::coverage::CHECK,
    tests::critical_coverage::CHECK,
    tests::import_errors::CHECK,
    tests::ratio::CHECK,
    tests::run::CHECK,
    tests::runner::CHECK,
    tests::signature_mismatch::CHECK,
    tests::suite::CHECK,
];

/// Looks a check up by id.
pub fn find(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.def.id == id)
}

/// Every check id.
pub fn ids() -> Vec<&'static str> {
    CHECKS.iter().map(|c| c.def.id).collect()
}

/// One check's result.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub def: CheckDef,
    pub outcome: Outcome,
}

/// Runs every check the policy leaves on.
pub fn run(cx: &Context<'_>) -> Vec<CheckResult> {
    let code = reach::Code::of(&cx.facts.stack, &cx.facts.detections);
    CHECKS
        .iter()
        .map(|c| {
            let outcome = if cx.policy.enabled(c.def.id) {
                reach::account(&c.def, (c.evaluate)(cx), &code)
            } else {
                Outcome::not_applicable("turned off by the policy")
            };
            CheckResult {
                def: c.def,
                outcome,
            }
        })
        .collect()
}

/// The full documentation of a check, as `greenlight explain` prints it (Markdown).
pub fn explain(def: &CheckDef) -> String {
    format!(
        "## {id} — {title}\n\n{summary}\n\n- Category: {cat} ({cat_title})\n- Weight: {weight}\n- Default severity: {sev}\n- Effort to fix: {effort}\n\n### Why it matters\n\n{why}\n\n### How to fix\n\n{fix}\n",
        id = def.id,
        title = def.title,
        summary = def.summary,
        cat = def.category.id(),
        cat_title = def.category.title(),
        weight = def.weight,
        sev = def.severity_text(),
        effort = def.effort.describe(),
        why = def.rationale,
        fix = def.remediation,
    )
}

/// `docs/checks.md`, generated from the registry.
pub fn reference_doc() -> String {
    let mut out = String::from(
        "# greenlight checks\n\nGenerated from the check registry by `greenlight checks --markdown`; a test keeps it\ncurrent. `greenlight explain ID` prints one entry.\n\n",
    );
    for cat in Category::ALL {
        out.push_str(&format!("# {}\n\n", cat.title()));
        for c in CHECKS.iter().filter(|c| c.def.category == cat) {
            out.push_str(&explain(&c.def));
            out.push('\n');
        }
    }
    out
}

/// A "is X there?" judgment: a strength with the evidence when found, else one
/// concern whose evidence records what was searched for.
pub struct Presence<'a> {
    pub def: &'a CheckDef,
    pub found: Vec<Evidence>,
    /// Strength title and summary when found (`"Dockerfile present"`).
    pub found_title: String,
    /// Concern title when missing (`"No Dockerfile"`).
    pub missing_title: String,
    /// Why the absence matters, for the concern's message.
    pub missing_message: String,
    /// What was looked for (`"Dockerfile, Containerfile"`).
    pub looked_for: String,
    pub scope: String,
    pub severity: Severity,
}

impl Presence<'_> {
    pub fn judge(mut self) -> Outcome {
        // One piece of evidence per place.
        let mut seen = std::collections::HashSet::new();
        self.found.retain(|e| {
            seen.insert(
                e.location()
                    .map(|l| l.display())
                    .unwrap_or_else(|| e.describe()),
            )
        });
        if self.found.is_empty() {
            Outcome::fail(self.missing_title.clone()).concern_at(
                self.def,
                self.severity,
                self.missing_title,
                self.missing_message,
                vec![Evidence::absent(self.looked_for, self.scope)],
            )
        } else {
            let title = self.found_title.clone();
            Outcome::pass(self.found_title).strength(self.def, title, String::new(), self.found)
        }
    }
}

#[cfg(test)]
mod registry_tests {
    use super::*;

    #[test]
    fn registry_is_sorted_unique_and_ids_follow_the_convention() {
        let ids = ids();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(
            ids, sorted,
            "CHECKS must be sorted by id without duplicates"
        );
        for c in CHECKS {
            let (cat, name) = c.def.id.split_once('.').unwrap();
            assert_eq!(
                cat,
                c.def.category.id(),
                "{} is filed under the wrong category",
                c.def.id
            );
            assert!(
                name.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "{} must be kebab-case",
                c.def.id
            );
            for (field, text) in [
                ("title", c.def.title),
                ("summary", c.def.summary),
                ("rationale", c.def.rationale),
                ("remediation", c.def.remediation),
                ("action", c.def.action),
                ("risk", c.def.risk),
            ] {
                assert!(!text.trim().is_empty(), "{} has an empty {field}", c.def.id);
            }
            assert!(c.def.weight > 0.0);
        }
    }

    #[test]
    fn every_category_has_checks() {
        for cat in Category::ALL {
            assert!(
                CHECKS.iter().any(|c| c.def.category == cat),
                "{cat} has no checks"
            );
        }
    }
}
