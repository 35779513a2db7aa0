//! Stage 5 — policy and scoring. Applies the policy centrally (severity overrides,
//! suppressions), scores the ten categories, reaches the verdict by explicit rules
//! (stated in the report), fills the acceptance criteria, the risk table and the
//! prioritized actions. Produces [`Review`], the one input of every renderer.

mod date;
pub mod invariant;
mod inventory;
pub mod projects;
mod redact;

use serde::Serialize;

use crate::analyze::Facts;
use crate::analyze::secrets::redactor::Redactor;
use crate::analyze::stack::Stack;
use crate::analyze::tests::{TestInventory, TestKind};
use crate::checks::CheckResult;
use crate::config::Policy;
use crate::model::{
    Category, Effort, Evidence, Finding, FindingKind, ProjectKind, Severity, Status, plural,
};
use crate::repo::Inventory;

pub use inventory::InventorySummary;
pub use projects::{ProjectReview, localize_absences};

/// The overall decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    NotReady,
    StagingOnly,
    Ready,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::NotReady => "NOT READY",
            Verdict::StagingOnly => "STAGING ONLY",
            Verdict::Ready => "READY",
        }
    }
}

/// Low / medium / high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    Low,
    Medium,
    High,
    Unknown,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Low => "LOW",
            Level::Medium => "MEDIUM",
            Level::High => "HIGH",
            Level::Unknown => "UNKNOWN",
        }
    }
}

/// Traffic-light status of a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rag {
    Green,
    Yellow,
    Red,
    Unknown,
}

impl Rag {
    pub fn label(self) -> &'static str {
        match self {
            Rag::Green => "green",
            Rag::Yellow => "yellow",
            Rag::Red => "red",
            Rag::Unknown => "unknown",
        }
    }

    fn of(score: Option<f64>) -> Rag {
        match score {
            None => Rag::Unknown,
            Some(s) if s >= GREEN_FROM => Rag::Green,
            Some(s) if s >= YELLOW_FROM => Rag::Yellow,
            Some(_) => Rag::Red,
        }
    }
}

/// Category scores (0–10) from which a category is green / yellow.
pub const GREEN_FROM: f64 = 7.5;
pub const YELLOW_FROM: f64 = 5.0;
/// Red categories, each holding a P1 concern, from which the verdict is NOT READY.
const RED_CATEGORIES_NOT_READY: usize = 3;

#[derive(Debug, Clone, Serialize)]
pub struct CategoryScore {
    pub id: &'static str,
    pub title: &'static str,
    /// 0–10, one decimal; `None` when nothing could be determined.
    pub score: Option<f64>,
    pub status: Rag,
    #[serde(skip)]
    pub category: Category,
    /// Checks determined / total.
    pub determined: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckSummary {
    pub id: &'static str,
    pub category: &'static str,
    pub title: &'static str,
    pub status: Status,
    pub score: Option<f64>,
    pub summary: String,
    /// Indices into `Review::findings`.
    pub findings: Vec<usize>,
    #[serde(skip)]
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Criterion {
    pub id: String,
    pub requirement: String,
    pub actual: String,
    pub met: Option<bool>,
    pub gap: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Risk {
    pub factor: &'static str,
    pub level: Level,
    pub categories: Vec<&'static str>,
    /// Why this level.
    pub reason: String,
    /// What already mitigates it (strengths), or the action that would.
    pub mitigation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub priority: Severity,
    pub action: String,
    pub effort: Effort,
    pub risk: &'static str,
    pub check: &'static str,
    pub findings: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Suppressed {
    pub finding: Finding,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepositoryInfo {
    pub root: String,
    pub name: String,
    pub commit: Option<String>,
    pub branch: Option<String>,
    /// The name the root manifest declares, when there is one.
    pub package: Option<String>,
}

impl RepositoryInfo {
    /// The directory name, with the package's own name when it differs (an npm
    /// tarball unpacks into `package/`).
    pub fn display_name(&self) -> String {
        match &self.package {
            Some(p) if p != &self.name => format!("{} ({p})", self.name),
            _ => self.name.clone(),
        }
    }
}

/// What the policy in force changed in the review. A repository's own policy can turn
/// NOT READY into STAGING ONLY by disabling checks and suppressing findings, so the
/// review says what it did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PolicyEffect {
    /// The policy is the audited repository's own `greenlight.toml`.
    pub from_repository: bool,
    /// Checks it disabled.
    pub disabled_checks: Vec<String>,
    /// Checks whose severity it overrides.
    pub severity_overrides: Vec<String>,
    /// Findings it suppressed.
    pub suppressed_findings: usize,
    /// Path patterns it excludes from the audit.
    pub ignored_paths: usize,
    /// Thresholds it sets looser than their defaults: `coverage = 50 (default 80)`.
    pub relaxed_thresholds: Vec<String>,
    /// Categories it makes count less than the others: `security = 0.5`.
    pub lowered_weights: Vec<String>,
    /// The project kind it declares instead of the inferred one.
    pub project_kind: Option<String>,
    /// Projects it leaves out of the verdict (`[[project]] ignore = true`).
    pub ignored_projects: Vec<String>,
    /// Projects whose kind it declares: `web = library`.
    pub project_kinds: Vec<String>,
}

impl PolicyEffect {
    fn of(policy: &Policy, suppressed: usize) -> PolicyEffect {
        PolicyEffect {
            from_repository: policy.from_repository,
            disabled_checks: policy
                .checks
                .iter()
                .filter(|(_, o)| !o.enabled)
                .map(|(id, _)| id.clone())
                .collect(),
            severity_overrides: policy
                .checks
                .iter()
                .filter(|(_, o)| o.severity.is_some())
                .map(|(id, _)| id.clone())
                .collect(),
            suppressed_findings: suppressed,
            ignored_paths: policy.ignore.len(),
            relaxed_thresholds: policy.thresholds.relaxed(),
            lowered_weights: policy.lowered_weights(),
            project_kind: policy.project_kind.map(|k| k.id().to_string()),
            ignored_projects: policy
                .projects
                .iter()
                .filter(|p| p.ignore)
                .map(|p| display_dir(&p.path))
                .collect(),
            project_kinds: policy
                .projects
                .iter()
                .filter_map(|p| {
                    p.kind
                        .map(|k| format!("{} = {}", display_dir(&p.path), k.id()))
                })
                .collect(),
        }
    }

    /// True when the policy changed anything.
    pub fn any(&self) -> bool {
        !self.disabled_checks.is_empty()
            || !self.severity_overrides.is_empty()
            || self.suppressed_findings > 0
            || self.ignored_paths > 0
            || !self.relaxed_thresholds.is_empty()
            || !self.lowered_weights.is_empty()
            || self.project_kind.is_some()
            || !self.ignored_projects.is_empty()
            || !self.project_kinds.is_empty()
    }

    /// One sentence for the reader when the repository's own policy weakened the
    /// review: "The repository's own policy (greenlight.toml) disabled 2 checks and
    /// suppressed 3 findings; …". `None` otherwise.
    pub fn warning(&self) -> Option<String> {
        if !self.from_repository || !self.any() {
            return None;
        }
        let mut parts = Vec::new();
        if !self.disabled_checks.is_empty() {
            parts.push(format!(
                "disabled {} ({})",
                plural(self.disabled_checks.len(), "check", "checks"),
                self.disabled_checks.join(", ")
            ));
        }
        if !self.severity_overrides.is_empty() {
            parts.push(format!(
                "changed the severity of {}",
                plural(self.severity_overrides.len(), "check", "checks")
            ));
        }
        if self.suppressed_findings > 0 {
            parts.push(format!(
                "suppressed {}",
                plural(self.suppressed_findings, "finding", "findings")
            ));
        }
        if self.ignored_paths > 0 {
            parts.push(format!(
                "excluded {}",
                plural(self.ignored_paths, "path pattern", "path patterns")
            ));
        }
        if !self.relaxed_thresholds.is_empty() {
            parts.push(format!("relaxed {}", self.relaxed_thresholds.join(", ")));
        }
        if !self.lowered_weights.is_empty() {
            parts.push(format!(
                "lowered the weight of {}",
                self.lowered_weights.join(", ")
            ));
        }
        if let Some(kind) = &self.project_kind {
            parts.push(format!("declared the project a {kind}"));
        }
        if !self.ignored_projects.is_empty() {
            parts.push(format!(
                "left {} out of the verdict ({})",
                plural(self.ignored_projects.len(), "project", "projects"),
                self.ignored_projects.join(", ")
            ));
        }
        if !self.project_kinds.is_empty() {
            parts.push(format!(
                "declared the kind of {} ({})",
                plural(self.project_kinds.len(), "project", "projects"),
                self.project_kinds.join(", ")
            ));
        }
        let list = match parts.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        Some(format!(
            "The repository's own policy (greenlight.toml) {list}; pass --policy FILE to audit with a policy of your own."
        ))
    }
}

/// A directory as the report shows it: `.` for the root.
fn display_dir(path: &str) -> String {
    if path.is_empty() {
        ".".into()
    } else {
        path.to_string()
    }
}

/// The complete review.
#[derive(Debug, Clone)]
pub struct Review {
    pub tool_version: &'static str,
    pub date: String,
    pub repository: RepositoryInfo,
    pub policy_source: String,
    /// What the policy changed: disabled checks, severity overrides, suppressions.
    pub policy_effect: PolicyEffect,
    pub verdict: Verdict,
    pub verdict_rule: String,
    pub deployment_risk: Level,
    pub project_kind: ProjectKind,
    pub overall_score: Option<f64>,
    pub summary: String,
    pub categories: Vec<CategoryScore>,
    pub checks: Vec<CheckSummary>,
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    pub criteria: Vec<Criterion>,
    pub risks: Vec<Risk>,
    pub actions: Vec<Action>,
    pub stack: Stack,
    /// Per language of the production code, the code-level checks that read it.
    pub analysis: Vec<crate::checks::reach::LanguageAnalysis>,
    pub tests: TestInventory,
    /// What the dynamic phase found, when it ran.
    pub test_run: Option<crate::run::TestRun>,
    /// The policy's coverage thresholds, in percent.
    pub coverage_threshold: f64,
    pub critical_threshold: f64,
    pub inventory: InventorySummary,
    pub distribution: Option<crate::analyze::Distribution>,
    /// Every project of the repository with its own verdict and scores (one entry
    /// for a single-project repository).
    pub projects: Vec<projects::ProjectReview>,
    /// The audit's redaction stage, which every string above has passed through; the
    /// renderers pass their output through it again.
    pub redactor: std::sync::Arc<Redactor>,
}

impl Review {
    pub fn concerns(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_concern())
    }

    pub fn strengths(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.kind == FindingKind::Strength)
    }

    /// Concerns of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.concerns()
            .filter(|f| f.severity == Some(severity))
            .count()
    }

    pub fn category(&self, c: Category) -> Option<&CategoryScore> {
        self.categories.iter().find(|s| s.category == c)
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Builds the review from check results.
pub fn review(
    inventory: &Inventory,
    facts: &Facts,
    policy: &Policy,
    results: Vec<CheckResult>,
    test_run: Option<crate::run::TestRun>,
    projects: Vec<projects::ProjectReview>,
) -> Review {
    let mut review = assemble(inventory, facts, policy, results, test_run);
    review.inventory = inventory::summarize(inventory, facts);
    review.redactor = std::sync::Arc::new(redactor_of(facts, inventory));
    projects::attribute(&mut review.findings, &facts.projects);
    for s in &mut review.suppressed {
        projects::attribute(std::slice::from_mut(&mut s.finding), &facts.projects);
    }
    if facts.projects.is_multi() {
        let mut projects = projects;
        projects::settle(&mut projects);
        let findings = std::mem::take(&mut review.findings);
        review.findings = projects::merge(findings, &projects);
        projects::attribute_located(&mut review.findings, &facts.projects);
        projects::weigh_by_role(&mut review.findings, &facts.projects);
        if let Some(categories) = projects::aggregate_categories(&projects, &review.findings) {
            review.categories = categories;
            review.overall_score = overall(&review.categories, policy);
        }
        for c in &mut review.checks {
            c.findings = review
                .findings
                .iter()
                .enumerate()
                .filter(|(_, f)| f.check == c.id)
                .map(|(i, _)| i)
                .collect();
        }
        review.risks = risks(&review.categories, &review.findings, &review.checks);
        review.actions = actions(&review.checks, &review.findings);
        if let Some((verdict, rule)) = projects::repository_verdict(&projects, &review.findings) {
            review.verdict = verdict;
            review.verdict_rule = rule;
        }
        review.deployment_risk = deployment_risk(review.verdict, &review.findings, &review.risks);
        let unreviewed = projects
            .iter()
            .filter(|p| p.kind_source == "not inferred")
            .count();
        if unreviewed > 0 {
            review.verdict_rule = format!(
                "{} The repository holds {} projects, too many to review one by one: it was reviewed as one.",
                review.verdict_rule,
                projects.len()
            );
            for p in projects
                .iter_mut()
                .filter(|p| p.kind_source == "not inferred")
            {
                p.verdict = review.verdict;
            }
        }
        review.projects = projects;
    } else if let Some(p) = projects::ProjectReview::of(&facts.projects, 0, facts, &review) {
        review.projects = vec![p];
    }
    review.summary = executive_summary(&review);
    let redactor = std::sync::Arc::clone(&review.redactor);
    redact::Redact::redact(&mut review, &redactor);
    review
}

/// The review of one project of a repository that holds several, from its own facts
/// and check results. Not redacted here: the repository's review it joins is.
pub fn project_review(
    inventory: &Inventory,
    facts: &Facts,
    policy: &Policy,
    index: usize,
    results: Vec<CheckResult>,
    test_run: Option<crate::run::TestRun>,
) -> Option<projects::ProjectReview> {
    let review = assemble(inventory, facts, policy, results, test_run);
    projects::ProjectReview::of(&facts.projects, index, facts, &review)
}

/// Scores, verdict, criteria, risks and actions from check results, before the
/// projects, the summary and the redaction stage.
fn assemble(
    inventory: &Inventory,
    facts: &Facts,
    policy: &Policy,
    results: Vec<CheckResult>,
    test_run: Option<crate::run::TestRun>,
) -> Review {
    // Central policy application: severity overrides, then suppressions.
    let mut findings: Vec<Finding> = Vec::new();
    let mut suppressed: Vec<Suppressed> = Vec::new();
    let mut checks: Vec<CheckSummary> = Vec::new();
    for r in results {
        let mut outcome = r.outcome;
        let mut indices = Vec::new();
        let mut concerns_left = 0usize;
        let mut concerns_suppressed = 0usize;
        for mut f in outcome.findings.drain(..) {
            if f.is_concern() {
                if let Some(sev) = policy.severity(r.def.id) {
                    f.severity = Some(sev);
                }
                let paths: Vec<&str> = f
                    .evidence
                    .iter()
                    .filter_map(|e| e.location().map(|l| l.path.as_str()))
                    .collect();
                if let Some(s) = policy
                    .suppressions
                    .iter()
                    .find(|s| s.covers(r.def.id, &paths, f.fingerprint.as_deref()))
                {
                    concerns_suppressed += 1;
                    suppressed.push(Suppressed {
                        finding: f,
                        reason: s.reason.clone(),
                    });
                    continue;
                }
                concerns_left += 1;
            }
            indices.push(findings.len());
            findings.push(f);
        }
        if concerns_suppressed > 0 && concerns_left == 0 {
            // Accepting every concern makes a failing check pass; it cannot make an
            // incomplete one (unknown) complete.
            if matches!(outcome.status, Status::Fail | Status::Partial) {
                outcome.status = Status::Pass;
                outcome.score = Some(1.0);
            }
            outcome.summary = format!(
                "{} ({} suppressed by the policy)",
                outcome.summary,
                plural(concerns_suppressed, "concern", "concerns")
            );
        }
        checks.push(CheckSummary {
            id: r.def.id,
            category: r.def.category.id(),
            title: r.def.title,
            status: outcome.status,
            score: outcome.score,
            summary: outcome.summary,
            findings: indices,
            weight: r.def.weight,
        });
    }

    let categories = score_categories(&checks, &findings);
    let overall_score = overall(&categories, policy);

    let criteria = criteria(inventory, facts, policy, &findings, test_run.as_ref());
    let risks = risks(&categories, &findings, &checks);
    let actions = actions(&checks, &findings);
    let nothing_to_ship = facts.tests.production_code_lines == 0;
    let (verdict, verdict_rule) = verdict(nothing_to_ship, &findings, &categories, &criteria);
    let deployment_risk = deployment_risk(verdict, &findings, &risks);

    Review {
        tool_version: env!("CARGO_PKG_VERSION"),
        date: date::today(),
        repository: RepositoryInfo {
            root: inventory.root.display().to_string(),
            name: inventory.name.clone(),
            commit: inventory.git.as_ref().and_then(|g| g.commit.clone()),
            branch: inventory.git.as_ref().and_then(|g| g.branch.clone()),
            package: facts
                .manifests
                .iter()
                .filter(|m| !m.path.contains('/'))
                .find_map(|m| m.name.clone()),
        },
        policy_source: policy.source_display(),
        policy_effect: PolicyEffect::of(policy, suppressed.len()),
        verdict,
        verdict_rule,
        deployment_risk,
        project_kind: facts.stack.project_kind,
        overall_score,
        summary: String::new(),
        categories,
        checks,
        findings,
        suppressed,
        criteria,
        risks,
        actions,
        stack: facts.stack.clone(),
        analysis: crate::checks::reach::by_language(&facts.stack, &facts.detections),
        tests: facts.tests.clone(),
        test_run,
        coverage_threshold: policy.thresholds.coverage,
        critical_threshold: policy.thresholds.critical_coverage,
        // The repository's review sets these; a project's review does not need them.
        inventory: InventorySummary::default(),
        distribution: facts.distribution.clone(),
        projects: Vec::new(),
        redactor: std::sync::Arc::new(Redactor::default()),
    }
}

/// The redaction stage of this audit: every secret value the tree scan and the
/// history scan found. A word that is also a name in the tree (a directory, a file,
/// the repository's own name: a password `mealie` in the `mealie` repository) is
/// public already; masking it everywhere would mask every path. It is still masked
/// where the catalog recognises a credential around it.
fn redactor_of(facts: &Facts, inventory: &Inventory) -> Redactor {
    let mut names: std::collections::HashSet<&str> = std::collections::HashSet::new();
    names.insert(inventory.name.as_str());
    for f in &inventory.files {
        for part in f.path.split('/') {
            names.insert(part);
            if let Some((stem, _)) = part.split_once('.') {
                names.insert(stem);
            }
        }
    }
    // Only a word can be public this way: a value with digits or of a token's length
    // is masked even where it names a file (a file may be named after a secret).
    let public = |s: &&crate::model::Secret| {
        let v = s.expose().trim();
        v.len() <= 24
            && v.chars()
                .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '_')
            && names.contains(v)
    };
    let tree = facts
        .secrets
        .files
        .iter()
        .flat_map(|f| f.hits.iter().map(|h| &h.value));
    let history = match &facts.history {
        Some(crate::analyze::history::History::Scanned(h)) => h.findings.as_slice(),
        _ => &[],
    };
    Redactor::new(
        tree.chain(history.iter().map(|f| &f.secret.value))
            .filter(|s| !public(s)),
    )
}

/// The overall score: the categories' scores weighted by the policy.
fn overall(categories: &[CategoryScore], policy: &Policy) -> Option<f64> {
    let (mut sum, mut weight) = (0.0, 0.0);
    for c in categories {
        if let Some(s) = c.score {
            let w = policy.weight(c.category);
            sum += s * w;
            weight += w;
        }
    }
    (weight > 0.0).then(|| round1(sum / weight))
}

fn score_categories(checks: &[CheckSummary], findings: &[Finding]) -> Vec<CategoryScore> {
    Category::ALL
        .iter()
        .map(|&cat| {
            let of_cat: Vec<_> = checks.iter().filter(|c| c.category == cat.id()).collect();
            let (mut sum, mut weight) = (0.0, 0.0);
            let mut determined = 0;
            for c in &of_cat {
                if let Some(s) = c.score {
                    sum += s * c.weight;
                    weight += c.weight;
                    determined += 1;
                }
            }
            let score = (weight > 0.0).then(|| round1(10.0 * sum / weight));
            // Housekeeping (P3) alone never turns a category red.
            let serious = findings.iter().any(|f| {
                f.is_concern() && f.category == cat && f.severity.is_some_and(|s| s <= Severity::P2)
            });
            let status = match Rag::of(score) {
                Rag::Red if !serious => Rag::Yellow,
                other => other,
            };
            CategoryScore {
                id: cat.id(),
                title: cat.title(),
                score,
                status,
                category: cat,
                determined,
                total: of_cat.len(),
            }
        })
        .collect()
}

fn criteria(
    inventory: &Inventory,
    facts: &Facts,
    policy: &Policy,
    findings: &[Finding],
    run: Option<&crate::run::TestRun>,
) -> Vec<Criterion> {
    let t = &policy.thresholds;
    let mut out = Vec::new();
    let not_run = "not measured: tests were not run".to_string();
    let measured = run.and_then(|r| r.overall.as_ref().map(|o| (r, o)));
    if t.coverage > 0.0 {
        let requirement = format!("Line coverage ≥ {}%", t.coverage);
        out.push(match measured {
            Some((_, o)) => Criterion {
                id: "global-coverage".into(),
                requirement,
                actual: format!(
                    "{:.1}% ({} of {} statements)",
                    o.percent, o.covered, o.statements
                ),
                met: Some(o.percent >= t.coverage),
                gap: (o.percent < t.coverage)
                    .then(|| format!("{:.1} points below", t.coverage - o.percent)),
            },
            None => Criterion {
                id: "global-coverage".into(),
                requirement,
                actual: not_run.clone(),
                met: None,
                gap: Some("pending: run the tests with coverage".into()),
            },
        });
    }
    if t.critical_coverage > 0.0 {
        let modules: Vec<String> =
            crate::analyze::critical::critical_modules(inventory, facts, policy)
                .into_iter()
                .map(|c| c.path)
                .collect();
        let requirement = format!("Critical-module coverage ≥ {}%", t.critical_coverage);
        out.push(match measured {
            Some((r, _)) => {
                let critical: Vec<&crate::run::ModuleCoverage> =
                    r.modules.iter().filter(|m| m.critical.is_some()).collect();
                let below: Vec<String> = critical
                    .iter()
                    .filter(|m| m.percent < t.critical_coverage)
                    .map(|m| format!("{} {:.0}%", m.path, m.percent))
                    .chain(
                        r.critical_without_data
                            .iter()
                            .map(|(p, _)| format!("{p} no data")),
                    )
                    .collect();
                let lowest = critical
                    .iter()
                    .map(|m| m.percent)
                    .fold(None, |acc: Option<f64>, p| {
                        Some(acc.map_or(p, |a| a.min(p)))
                    });
                let total = critical.len() + r.critical_without_data.len();
                Criterion {
                    id: "critical-coverage".into(),
                    requirement,
                    actual: if !r.critical_unmeasured.is_empty() && below.is_empty() {
                        format!(
                            "not measured for {} (no coverage of {})",
                            plural(
                                r.critical_unmeasured.len(),
                                "critical module",
                                "critical modules"
                            ),
                            r.critical_unmeasured.join(", ")
                        )
                    } else if total == 0 {
                        "no critical module has coverage data".into()
                    } else if below.is_empty() {
                        format!(
                            "all {} at or above (lowest {:.0}%)",
                            plural(total, "critical module", "critical modules"),
                            lowest.unwrap_or(100.0)
                        )
                    } else {
                        format!("{} of {} below: {}", below.len(), total, below.join(", "))
                    },
                    // A critical module nothing measured leaves the criterion open.
                    met: if !below.is_empty() {
                        Some(false)
                    } else if total == 0 || !r.critical_unmeasured.is_empty() {
                        None
                    } else {
                        Some(true)
                    },
                    gap: (!below.is_empty()).then(|| {
                        format!(
                            "{} below the threshold",
                            plural(below.len(), "module", "modules")
                        )
                    }),
                }
            }
            None => Criterion {
                id: "critical-coverage".into(),
                requirement,
                actual: if modules.is_empty() {
                    not_run.clone()
                } else {
                    format!("{not_run} (critical: {})", modules.join(", "))
                },
                met: None,
                gap: Some("pending: run the tests with coverage".into()),
            },
        });
    }
    let static_errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            f.is_concern()
                && f.category == Category::CodeQuality
                && matches!(f.severity, Some(Severity::P0) | Some(Severity::P1))
        })
        .collect();
    let allowed = usize::try_from(t.static_analysis_errors).unwrap_or(usize::MAX);
    out.push(if static_errors.len() > allowed {
        Criterion {
            id: "static-analysis".into(),
            requirement: format!("Static-analysis errors ≤ {}", t.static_analysis_errors),
            actual: plural(static_errors.len(), "error", "errors"),
            met: Some(false),
            gap: Some(format!("{} over the limit", static_errors.len() - allowed)),
        }
    } else {
        Criterion {
            id: "static-analysis".into(),
            requirement: format!("Static-analysis errors ≤ {}", t.static_analysis_errors),
            actual: if facts.sources.iter().any(|s| s.python.is_some()) {
                format!(
                    "{} from greenlight's Python analysis; external linters and type checkers not run",
                    plural(static_errors.len(), "error", "errors")
                )
            } else {
                "not run: no external linter or type checker results".into()
            },
            met: None,
            gap: Some("pending: run the linters and type checker".into()),
        }
    });
    if t.e2e_passing > 0 {
        // A library's end-to-end tests are its integration tests through the public API.
        let library = facts.stack.project_kind == ProjectKind::Library;
        let e2e: Vec<_> = facts
            .tests
            .files
            .iter()
            .filter(|f| f.kind == TestKind::E2e || (library && f.kind == TestKind::Integration))
            .collect();
        let cases: usize = e2e.iter().map(|f| f.cases).sum();
        let requirement = format!("Passing end-to-end tests ≥ {}", t.e2e_passing);
        out.push(
            if cases == 0 && facts.distribution.is_some() && facts.tests.files.is_empty() {
                Criterion {
                    id: "e2e-passing".into(),
                    requirement,
                    actual: "unknown: this published package ships no tests".into(),
                    met: None,
                    gap: Some("pending: audit the source repository".into()),
                }
            } else if let Some(r) = run.filter(|r| r.executed()) {
                let files: Vec<&str> = e2e.iter().map(|f| f.path.as_str()).collect();
                let counts = crate::run::Counts::of(
                    r.cases()
                        .filter(|c| c.file.as_deref().is_some_and(|f| files.contains(&f))),
                );
                let needed = usize::try_from(t.e2e_passing).unwrap_or(usize::MAX);
                let failing = counts.failed + counts.errored;
                Criterion {
                    id: "e2e-passing".into(),
                    requirement,
                    actual: if cases == 0 {
                        "0 end-to-end tests exist".into()
                    } else if counts.collected == 0 {
                        format!(
                            "{} found; the test run reported none of them",
                            plural(cases, "end-to-end test", "end-to-end tests")
                        )
                    } else {
                        format!(
                            "{} of {} run: {}",
                            plural(counts.collected, "end-to-end test", "end-to-end tests"),
                            cases,
                            counts.describe()
                        )
                    },
                    // Results for none of the end-to-end files say nothing about them.
                    met: if cases == 0 {
                        Some(false)
                    } else if counts.collected == 0 {
                        None
                    } else {
                        Some(counts.passed >= needed && failing == 0)
                    },
                    gap: if cases > 0 && counts.collected == 0 {
                        Some("pending: the end-to-end tests did not report results".into())
                    } else if failing > 0 {
                        Some(format!("{failing} failing"))
                    } else {
                        (counts.passed < needed)
                            .then(|| format!("{} more passing needed", needed - counts.passed))
                    },
                }
            } else if cases == 0 {
                Criterion {
                    id: "e2e-passing".into(),
                    requirement,
                    actual: "0 end-to-end tests exist".into(),
                    met: Some(false),
                    gap: Some(format!("{} missing", t.e2e_passing)),
                }
            } else {
                Criterion {
                    id: "e2e-passing".into(),
                    requirement,
                    actual: format!(
                        "{} found, not run",
                        plural(cases, "end-to-end test", "end-to-end tests")
                    ),
                    met: None,
                    gap: Some("pending: run the end-to-end tests".into()),
                }
            },
        );
    }
    out
}

/// Risk factors and the categories that speak to them.
const FACTORS: &[(&str, &[Category])] = &[
    ("Security vulnerabilities", &[Category::Security]),
    ("Functional bugs", &[Category::Tests, Category::CodeQuality]),
    ("Integration failures", &[Category::E2e]),
    ("Regressions", &[Category::Ci]),
    ("Performance under load", &[Category::Performance]),
    ("Undetected incidents", &[Category::Observability]),
    ("Failed deployment / rollback", &[Category::Deployment]),
    (
        "Slow incident response",
        &[Category::Documentation, Category::Architecture],
    ),
];

fn risks(categories: &[CategoryScore], findings: &[Finding], checks: &[CheckSummary]) -> Vec<Risk> {
    // A category none of whose checks applies to the project (observability for a library).
    let not_applicable = |c: &CategoryScore| {
        c.score.is_none()
            && checks
                .iter()
                .filter(|k| k.category == c.id)
                .all(|k| k.status == Status::NotApplicable)
    };
    FACTORS
        .iter()
        .map(|(factor, cats)| {
            let scores: Vec<&CategoryScore> = categories
                .iter()
                .filter(|c| cats.contains(&c.category))
                .collect();
            let concerns: Vec<&Finding> = findings
                .iter()
                .filter(|f| f.is_concern() && cats.contains(&f.category))
                .collect();
            let worst_sev = concerns.iter().filter_map(|f| f.severity).min();
            let worst_rag = scores
                .iter()
                .map(|c| c.status)
                .filter(|s| *s != Rag::Unknown)
                .max_by_key(|s| match s {
                    Rag::Red => 2,
                    Rag::Yellow => 1,
                    _ => 0,
                });
            let applies = !scores.iter().all(|c| not_applicable(c));
            let level = match (worst_rag, worst_sev) {
                // Nothing in these categories applies to the project: not its risk.
                (None, None) if !applies => Level::Low,
                (None, None) => Level::Unknown,
                (Some(Rag::Red), _) | (_, Some(Severity::P0)) | (_, Some(Severity::P1)) => {
                    Level::High
                }
                (Some(Rag::Yellow), _) | (_, Some(Severity::P2)) => Level::Medium,
                _ => Level::Low,
            };
            let reason = {
                let parts: Vec<String> = scores
                    .iter()
                    .map(|c| match c.score {
                        Some(s) => format!("{} {s:.1}/10", c.title),
                        None if not_applicable(c) => format!("{}: no check applies", c.title),
                        None => format!("{} not determined", c.title),
                    })
                    .collect();
                let mut r = parts.join("; ");
                if let Some(top) = concerns.iter().min_by_key(|f| f.severity) {
                    r.push_str(&format!(
                        "; worst: {} ({})",
                        top.title,
                        top.severity.map(|s| s.label()).unwrap_or("")
                    ));
                }
                r
            };
            let strengths: Vec<&str> = findings
                .iter()
                .filter(|f| f.kind == FindingKind::Strength && cats.contains(&f.category))
                .map(|f| f.title.as_str())
                .take(2)
                .collect();
            let mitigation = if !applies {
                "none needed".to_string()
            } else if strengths.is_empty() {
                let fix = concerns
                    .iter()
                    .min_by_key(|f| f.severity)
                    .and_then(|f| f.action.clone())
                    .unwrap_or_else(|| "none needed".to_string());
                format!("none in place; {fix}")
            } else {
                strengths.join("; ")
            };
            Risk {
                factor,
                level,
                categories: cats.iter().map(|c| c.id()).collect(),
                reason,
                mitigation,
            }
        })
        .collect()
}

fn actions(checks: &[CheckSummary], findings: &[Finding]) -> Vec<Action> {
    let mut out: Vec<Action> = Vec::new();
    for c in checks {
        let concerns: Vec<usize> = c
            .findings
            .iter()
            .copied()
            .filter(|&i| findings.get(i).is_some_and(Finding::is_concern))
            .collect();
        let Some(def) = crate::checks::find(c.id).map(|k| k.def) else {
            continue;
        };
        // One action per distinct thing to do: a check whose findings each say what
        // to do (a USER for one, a HEALTHCHECK for another) gets one row for each.
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for &i in &concerns {
            let Some(f) = findings.get(i) else { continue };
            let action = f.action.clone().unwrap_or_else(|| def.action.to_string());
            match groups.iter_mut().find(|(a, _)| *a == action) {
                Some((_, members)) => members.push(i),
                None => groups.push((action, vec![i])),
            }
        }
        for (action, members) in groups {
            let priority = members
                .iter()
                .filter_map(|&i| findings.get(i).and_then(|f| f.severity))
                .min()
                .unwrap_or(def.severity);
            out.push(Action {
                priority,
                action,
                effort: def.effort,
                risk: def.risk,
                check: def.id,
                findings: members,
            });
        }
    }
    let order = |id: &str| {
        Category::ALL
            .iter()
            .position(|c| id.starts_with(c.id()))
            .unwrap_or(99)
    };
    out.sort_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then(order(a.check).cmp(&order(b.check)))
            .then(a.check.cmp(b.check))
    });
    out
}

fn verdict(
    nothing_to_ship: bool,
    findings: &[Finding],
    categories: &[CategoryScore],
    criteria: &[Criterion],
) -> (Verdict, String) {
    if nothing_to_ship {
        return (
            Verdict::NotReady,
            "Nothing to ship: no production source code was found.".into(),
        );
    }
    let titles = |sev: Severity| -> Vec<String> {
        findings
            .iter()
            .filter(|f| f.is_concern() && f.severity == Some(sev))
            .map(|f| f.title.clone())
            .collect()
    };
    let p0 = titles(Severity::P0);
    if !p0.is_empty() {
        return (
            Verdict::NotReady,
            format!(
                "NOT READY because {} must be fixed before production: {}.",
                plural(p0.len(), "P0 concern", "P0 concerns"),
                list(&p0, 5)
            ),
        );
    }
    let red: Vec<String> = categories
        .iter()
        .filter(|c| c.status == Rag::Red)
        .map(|c| c.title.to_string())
        .collect();
    // Red categories block a release only through what must be fixed before
    // production: a red category of P2/P3 gaps (no load tests, no tracing) weighs as
    // one red category, not as a blocker.
    let blocking: Vec<String> = categories
        .iter()
        .filter(|c| {
            c.status == Rag::Red
                && findings.iter().any(|f| {
                    f.is_concern()
                        && f.category == c.category
                        && f.severity.is_some_and(|s| s <= Severity::P1)
                })
        })
        .map(|c| c.title.to_string())
        .collect();
    if blocking.len() >= RED_CATEGORIES_NOT_READY {
        return (
            Verdict::NotReady,
            format!(
                "NOT READY because {} categories are red with a P1 concern: {}.",
                blocking.len(),
                list(&blocking, 5)
            ),
        );
    }
    let p1 = titles(Severity::P1);
    if !p1.is_empty() {
        return (
            Verdict::StagingOnly,
            format!(
                "STAGING ONLY because {} must be fixed before production: {}.",
                plural(p1.len(), "P1 concern", "P1 concerns"),
                list(&p1, 5)
            ),
        );
    }
    if !red.is_empty() {
        return (
            Verdict::StagingOnly,
            format!(
                "STAGING ONLY because {} red: {}.",
                if red.len() == 1 {
                    "one category is".to_string()
                } else {
                    format!("{} categories are", red.len())
                },
                list(&red, 5)
            ),
        );
    }
    let unmet: Vec<String> = criteria
        .iter()
        .filter(|c| c.met == Some(false))
        .map(|c| c.requirement.clone())
        .collect();
    if !unmet.is_empty() {
        return (
            Verdict::StagingOnly,
            format!(
                "STAGING ONLY because acceptance criteria are not met: {}.",
                list(&unmet, 4)
            ),
        );
    }
    let pending: Vec<String> = criteria
        .iter()
        .filter(|c| c.met.is_none())
        .map(|c| c.requirement.clone())
        .collect();
    if !pending.is_empty() {
        return (
            Verdict::StagingOnly,
            format!(
                "STAGING ONLY because READY needs every acceptance criterion verified and {} pending: {}.",
                if pending.len() == 1 {
                    "one is"
                } else {
                    "some are"
                },
                list(&pending, 4)
            ),
        );
    }
    (
        Verdict::Ready,
        "READY: no P0 or P1 concern, no red category, every acceptance criterion met.".into(),
    )
}

fn list(items: &[String], max: usize) -> String {
    let shown: Vec<&str> = items.iter().take(max).map(String::as_str).collect();
    let mut s = shown.join("; ");
    if items.len() > max {
        s.push_str(&format!("; and {} more", items.len() - max));
    }
    s
}

fn deployment_risk(verdict: Verdict, findings: &[Finding], risks: &[Risk]) -> Level {
    let high = risks.iter().filter(|r| r.level == Level::High).count();
    let p0 = findings
        .iter()
        .any(|f| f.is_concern() && f.severity == Some(Severity::P0));
    let p1 = findings
        .iter()
        .any(|f| f.is_concern() && f.severity == Some(Severity::P1));
    if p0 || high >= 2 || verdict == Verdict::NotReady {
        Level::High
    } else if high == 1 || p1 || verdict == Verdict::StagingOnly {
        Level::Medium
    } else {
        Level::Low
    }
}

fn executive_summary(r: &Review) -> String {
    let inv = &r.inventory;
    let langs: Vec<String> = r
        .stack
        .languages
        .iter()
        .take(3)
        .map(|l| format!("{} {}", l.name, crate::model::group_digits(l.code_lines)))
        .collect();
    let mut s = format!(
        "greenlight reviewed {} as a {} ({}): {} of production code{}, and {} of tests.",
        r.repository.display_name(),
        r.project_kind.noun(),
        if r.stack.kind_source == "policy" {
            "as the policy says"
        } else {
            "inferred"
        },
        plural(r.tests.production_code_lines, "line", "lines"),
        if langs.is_empty() {
            format!(" in {}", plural(inv.files, "file", "files"))
        } else {
            format!(" ({})", langs.join(", "))
        },
        plural(r.tests.test_code_lines, "line", "lines"),
    );
    s.push_str(&format!(
        " Verdict: {}. {}",
        r.verdict.label(),
        r.verdict_rule
    ));
    let scored: Vec<&CategoryScore> = r.categories.iter().filter(|c| c.score.is_some()).collect();
    if let (Some(best), Some(worst)) = (
        scored.iter().max_by(|a, b| {
            a.score
                .partial_cmp(&b.score)
                .unwrap_or(std::cmp::Ordering::Equal)
        }),
        scored.iter().min_by(|a, b| {
            a.score
                .partial_cmp(&b.score)
                .unwrap_or(std::cmp::Ordering::Equal)
        }),
    ) {
        if let (Some(overall), Some(b), Some(w)) = (r.overall_score, best.score, worst.score) {
            // Scores equal to the shown precision: no category stands out.
            if format!("{b:.1}") == format!("{w:.1}") {
                s.push_str(&format!(
                    " Overall score {overall:.1}/10; every scored category scores {b:.1}."
                ));
            } else {
                s.push_str(&format!(
                    " Overall score {overall:.1}/10; strongest: {} ({b:.1}), weakest: {} ({w:.1}).",
                    best.title, worst.title
                ));
            }
        }
    }
    let counts: Vec<String> = [Severity::P0, Severity::P1, Severity::P2, Severity::P3]
        .iter()
        .map(|&sev| (sev, r.count(sev)))
        .filter(|(_, n)| *n > 0)
        .map(|(sev, n)| format!("{n} {sev}"))
        .collect();
    if counts.is_empty() {
        s.push_str(" No concerns were found.");
    } else {
        s.push_str(&format!(
            " Concerns: {}; {}.",
            counts.join(", "),
            plural(r.strengths().count(), "strength", "strengths")
        ));
    }
    if let Some(d) = &r.distribution {
        s.push_str(&format!(
            " This tree is a {} ({}): CI configuration and often tests are not shipped in one, so checks that need them are unknown; audit the source repository for a complete review.",
            d.kind, d.marker
        ));
    }
    if let Some(unread) = crate::checks::reach::statement(&r.analysis) {
        s.push(' ');
        s.push_str(&unread);
    }
    let pending = r.criteria.iter().filter(|c| c.met.is_none()).count();
    if pending > 0 {
        s.push_str(&format!(
            " {} could not be verified statically and {} pending.",
            plural(pending, "acceptance criterion", "acceptance criteria"),
            if pending == 1 { "is" } else { "are" }
        ));
    }
    s
}

/// Evidence helper for renderers: the first location of a finding, as `path:line`.
pub fn first_location(f: &Finding) -> Option<String> {
    f.evidence
        .iter()
        .find_map(Evidence::location)
        .map(|l| l.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Confidence;

    fn red(category: Category) -> CategoryScore {
        CategoryScore {
            id: category.id(),
            title: category.title(),
            score: Some(3.0),
            status: Rag::Red,
            category,
            determined: 4,
            total: 4,
        }
    }

    fn concern(category: Category, severity: Severity) -> Finding {
        Finding {
            check: "x.y",
            category,
            kind: FindingKind::Concern,
            severity: Some(severity),
            title: format!("{} gap", category.title()),
            message: String::new(),
            evidence: vec![Evidence::absent("it", "10 files")],
            action: None,
            effort: Some(Effort::S),
            confidence: Confidence::High,
            fingerprint: None,
            project: None,
        }
    }

    #[test]
    fn red_categories_block_a_release_only_through_their_p1_concerns() {
        let cats = [
            Category::Observability,
            Category::Performance,
            Category::Deployment,
        ];
        let categories: Vec<CategoryScore> = cats.iter().map(|&c| red(c)).collect();
        // Three red categories of P2 gaps: one red category's weight, not a blocker.
        let gaps: Vec<Finding> = cats.iter().map(|&c| concern(c, Severity::P2)).collect();
        let (v, rule) = verdict(false, &gaps, &categories, &[]);
        assert_eq!(v, Verdict::StagingOnly, "{rule}");
        assert!(
            rule.starts_with("STAGING ONLY because 3 categories are red"),
            "{rule}"
        );
        // With a P1 in each, the same three make it NOT READY.
        let p1s: Vec<Finding> = cats.iter().map(|&c| concern(c, Severity::P1)).collect();
        let (v, rule) = verdict(false, &p1s, &categories, &[]);
        assert_eq!(v, Verdict::NotReady, "{rule}");
        assert!(
            rule.contains("3 categories are red with a P1 concern"),
            "{rule}"
        );
    }
}
