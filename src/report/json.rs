//! The JSON report. Field names follow the contract in DESIGN.md (schema_version 1);
//! fields may be added, never renamed without bumping the version.

use serde::Serialize;

use crate::analyze::stack::Stack;
use crate::analyze::tests::TestInventory;
use crate::model::{Evidence, Finding, ProjectKind};
use crate::review::{
    Action, CategoryScore, CheckSummary, Criterion, InventorySummary, Level, RepositoryInfo,
    Review, Risk, Suppressed, Verdict,
};

/// A named thing with the evidence for it.
#[derive(Serialize)]
struct Named<'a> {
    name: &'a str,
    evidence: &'a Evidence,
}

#[derive(Serialize)]
struct Service<'a> {
    host: &'a str,
    uses: usize,
    evidence: &'a Evidence,
}

#[derive(Serialize)]
struct Version<'a> {
    spec: &'a str,
    evidence: &'a Evidence,
}

#[derive(Serialize)]
struct Language<'a> {
    name: &'a str,
    files: usize,
    code_lines: usize,
    version: Option<Version<'a>>,
}

#[derive(Serialize)]
struct Component<'a> {
    component: &'a str,
    items: Vec<Named<'a>>,
}

#[derive(Serialize)]
struct Reason<'a> {
    reason: &'a str,
    evidence: &'a Evidence,
}

/// The stack table: the contract's fields (languages, frameworks, external services,
/// persistence, credentials) plus the whole table by component.
#[derive(Serialize)]
struct StackJson<'a> {
    languages: Vec<Language<'a>>,
    frameworks: Vec<Named<'a>>,
    persistence: Vec<Named<'a>>,
    external_services: Vec<Service<'a>>,
    credentials: Vec<Named<'a>>,
    environment_variables: Vec<Named<'a>>,
    components: Vec<Component<'a>>,
    project_kind_source: &'a str,
    project_kind_evidence: Vec<Reason<'a>>,
}

fn stack_json(s: &Stack) -> StackJson<'_> {
    let items = |components: &[&str]| -> Vec<Named<'_>> {
        s.rows
            .iter()
            .filter(|r| components.contains(&r.component))
            .flat_map(|r| {
                r.items.iter().map(|(n, e)| Named {
                    name: n,
                    evidence: e,
                })
            })
            .collect()
    };
    StackJson {
        languages: s
            .languages
            .iter()
            .map(|l| Language {
                name: l.name,
                files: l.files,
                code_lines: l.code_lines,
                version: l
                    .version
                    .as_ref()
                    .map(|(spec, e)| Version { spec, evidence: e }),
            })
            .collect(),
        frameworks: items(&[
            "CLI framework",
            "Web framework",
            "Application server",
            "UI framework",
        ]),
        persistence: items(&["Persistence", "Migrations"]),
        external_services: s
            .services
            .iter()
            .map(|(h, n, e)| Service {
                host: h,
                uses: *n,
                evidence: e,
            })
            .collect(),
        credentials: s
            .credentials
            .iter()
            .map(|(n, e)| Named {
                name: n,
                evidence: e,
            })
            .collect(),
        environment_variables: s
            .env_vars
            .iter()
            .map(|(n, e)| Named {
                name: n,
                evidence: e,
            })
            .collect(),
        components: s
            .rows
            .iter()
            .map(|r| Component {
                component: r.component,
                items: r
                    .items
                    .iter()
                    .map(|(n, e)| Named {
                        name: n,
                        evidence: e,
                    })
                    .collect(),
            })
            .collect(),
        project_kind_source: s.kind_source,
        project_kind_evidence: s
            .kind_evidence
            .iter()
            .map(|(r, e)| Reason {
                reason: r,
                evidence: e,
            })
            .collect(),
    }
}

/// The contract's version.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Repository<'a> {
    root: &'a str,
    name: &'a str,
    commit: Option<&'a str>,
    branch: Option<&'a str>,
    package: Option<&'a str>,
}

#[derive(Serialize)]
struct Tests<'a> {
    #[serde(flatten)]
    inventory: &'a TestInventory,
    cases: usize,
    /// Results of running the tests or of the reports read; `null` when neither.
    run: Option<RunJson<'a>>,
}

#[derive(Serialize)]
struct RunJson<'a> {
    /// Cases of every suite by outcome.
    counts: crate::run::Counts,
    #[serde(flatten)]
    run: &'a crate::run::TestRun,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    repository: Repository<'a>,
    date: &'a str,
    policy: &'a str,
    /// What the policy changed; `from_repository` when it is the audited
    /// repository's own file.
    policy_effect: &'a crate::review::PolicyEffect,
    verdict: Verdict,
    verdict_rule: &'a str,
    deployment_risk: Level,
    project_kind: ProjectKind,
    overall_score: Option<f64>,
    summary: &'a str,
    categories: &'a [CategoryScore],
    checks: &'a [CheckSummary],
    findings: &'a [Finding],
    suppressed: &'a [Suppressed],
    criteria: &'a [Criterion],
    risks: &'a [Risk],
    actions: &'a [Action],
    stack: StackJson<'a>,
    /// Per language of the production code, the code-level checks that do not read it.
    analysis: &'a [crate::checks::reach::LanguageAnalysis],
    tests: Tests<'a>,
    inventory: &'a InventorySummary,
    /// Set when the tree is a published package rather than a repository.
    distribution: Option<&'a crate::analyze::Distribution>,
    /// Every project found, with its own verdict and category scores.
    projects: Vec<ProjectJson<'a>>,
}

#[derive(Serialize)]
struct Concerns {
    #[serde(rename = "P0")]
    p0: usize,
    #[serde(rename = "P1")]
    p1: usize,
    #[serde(rename = "P2")]
    p2: usize,
    #[serde(rename = "P3")]
    p3: usize,
}

#[derive(Serialize)]
struct TopConcern<'a> {
    title: &'a str,
    at: Option<&'a str>,
}

#[derive(Serialize)]
struct ProjectJson<'a> {
    path: &'a str,
    name: &'a str,
    kind: ProjectKind,
    kind_source: &'a str,
    kind_evidence: &'a [String],
    role: crate::analyze::projects::Role,
    languages: &'a [String],
    lines: usize,
    test_lines: usize,
    verdict: Verdict,
    verdict_rule: &'a str,
    /// Its verdict counts for the repository's.
    decides: bool,
    overall_score: Option<f64>,
    categories: &'a [CategoryScore],
    concerns: Concerns,
    top_concern: Option<TopConcern<'a>>,
    markers: &'a [String],
}

fn project_json(p: &crate::review::ProjectReview) -> ProjectJson<'_> {
    let [p0, p1, p2, p3] = p.concerns;
    ProjectJson {
        path: &p.path,
        name: &p.name,
        kind: p.kind,
        kind_source: p.kind_source,
        kind_evidence: &p.kind_evidence,
        role: p.role,
        languages: &p.languages,
        lines: p.lines,
        test_lines: p.test_lines,
        verdict: p.verdict,
        verdict_rule: &p.verdict_rule,
        decides: p.decides,
        overall_score: p.overall_score,
        categories: &p.categories,
        concerns: Concerns { p0, p1, p2, p3 },
        top_concern: p.top_concern.as_ref().map(|(title, at)| TopConcern {
            title,
            at: at.as_deref(),
        }),
        markers: &p.markers,
    }
}

/// Renders the review as pretty-printed JSON.
pub fn render(r: &Review) -> String {
    let RepositoryInfo {
        root,
        name,
        commit,
        branch,
        package,
    } = &r.repository;
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "greenlight",
            version: r.tool_version,
        },
        repository: Repository {
            root,
            name,
            commit: commit.as_deref(),
            branch: branch.as_deref(),
            package: package.as_deref(),
        },
        date: &r.date,
        policy: &r.policy_source,
        policy_effect: &r.policy_effect,
        verdict: r.verdict,
        verdict_rule: &r.verdict_rule,
        deployment_risk: r.deployment_risk,
        project_kind: r.project_kind,
        overall_score: r.overall_score,
        summary: &r.summary,
        categories: &r.categories,
        checks: &r.checks,
        findings: &r.findings,
        suppressed: &r.suppressed,
        criteria: &r.criteria,
        risks: &r.risks,
        actions: &r.actions,
        stack: stack_json(&r.stack),
        analysis: &r.analysis,
        tests: Tests {
            inventory: &r.tests,
            cases: r.tests.cases(),
            run: r.test_run.as_ref().map(|run| RunJson {
                counts: run.counts(),
                run,
            }),
        },
        inventory: &r.inventory,
        distribution: r.distribution.as_ref(),
        projects: r.projects.iter().map(project_json).collect(),
    };
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_else(|e| {
        // Serialising plain data cannot fail; keep the contract even if it did.
        format!("{{\"schema_version\":{SCHEMA_VERSION},\"error\":\"{e}\"}}")
    });
    out.push('\n');
    out
}
