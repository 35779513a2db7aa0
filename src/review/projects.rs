//! Reviews per project. A repository holding several projects (services, a web
//! front end, libraries, a docs site) is judged project by project: each is reviewed
//! on its own facts, and the repository's verdict is the worst verdict among the
//! projects that ship (a docs site, an example or a packaged test suite does not decide
//! it), or the verdict its repository-wide concerns call for when that is worse.

use serde::Serialize;

use super::{CategoryScore, Review, Verdict};
use crate::analyze::Facts;
use crate::analyze::projects::{Projects, Role};
use crate::checks::tests::suite::SMALL_PROJECT_LINES;
use crate::model::{Evidence, Finding, ProjectKind, Severity, plural};

/// The review of one project.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectReview {
    /// Its directory, `.` for the root.
    pub path: String,
    pub name: String,
    pub kind: ProjectKind,
    /// Whether the kind is the policy's (`[[project]] kind`) or inferred.
    pub kind_source: &'static str,
    /// Why: each signal with its first place (`HTTP route /health at api/main.py:12`).
    pub kind_evidence: Vec<String>,
    pub role: Role,
    /// Languages of its production code, most lines first.
    pub languages: Vec<String>,
    /// Lines of production code.
    pub lines: usize,
    /// Lines of test code.
    pub test_lines: usize,
    pub verdict: Verdict,
    pub verdict_rule: String,
    /// Whether its verdict counts for the repository's: it ships (a product with
    /// production code) and the policy did not set it aside.
    pub decides: bool,
    /// The policy marked it critical: its verdict decides even when it would not.
    pub critical: bool,
    /// The policy leaves it out of the verdict (`ignore = true`): neither its verdict
    /// nor its concerns decide.
    pub ignored: bool,
    pub overall_score: Option<f64>,
    pub categories: Vec<CategoryScore>,
    /// Concerns by severity, P0 to P3.
    pub concerns: [usize; 4],
    /// The most severe concern: its title and first place.
    pub top_concern: Option<(String, Option<String>)>,
    /// The files that make it a project.
    pub markers: Vec<String>,
    /// Its findings, concerns and strengths, as its own review found them.
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

impl ProjectReview {
    /// A project listed but not reviewed on its own (too many projects): it decides
    /// nothing, and the repository is judged as one.
    pub fn unreviewed(p: &crate::analyze::projects::Project, max: usize) -> ProjectReview {
        ProjectReview {
            path: p.display().to_string(),
            name: p.name.clone(),
            kind: ProjectKind::Library,
            kind_source: "not inferred",
            kind_evidence: Vec::new(),
            role: p.role,
            languages: Vec::new(),
            lines: 0,
            test_lines: 0,
            verdict: Verdict::NotReady,
            verdict_rule: format!(
                "Not reviewed on its own: the repository holds more than {max} projects, so it is reviewed as one."
            ),
            decides: false,
            critical: p.critical,
            ignored: p.ignored,
            overall_score: None,
            categories: Vec::new(),
            concerns: [0; 4],
            top_concern: None,
            markers: p.markers.clone(),
            findings: Vec::new(),
        }
    }

    /// The review of project `index`, from its own review.
    pub fn of(projects: &Projects, index: usize, facts: &Facts, review: &Review) -> Option<Self> {
        let p = projects.get(index)?;
        let mut concerns = [0usize; 4];
        for f in review.concerns() {
            if let Some(slot) = f.severity.and_then(|s| concerns.get_mut(s as usize)) {
                *slot += 1;
            }
        }
        let top = review
            .concerns()
            .min_by_key(|f| f.severity.unwrap_or(Severity::P3))
            .map(|f| (f.title.clone(), first_place(f)));
        let lines = facts.tests.production_code_lines;
        let decides = (p.role == Role::Product && lines > 0) || p.critical;
        Some(ProjectReview {
            path: p.display().to_string(),
            name: p.name.clone(),
            kind: facts.stack.project_kind,
            kind_source: facts.stack.kind_source,
            kind_evidence: facts
                .stack
                .kind_evidence
                .iter()
                .map(|(why, e)| match e.location() {
                    Some(l) => format!("{why} at {}:{}", l.path, l.line),
                    None => why.clone(),
                })
                .collect(),
            role: p.role,
            languages: facts
                .stack
                .languages
                .iter()
                .filter(|l| l.code_lines > 0)
                .map(|l| l.name.to_string())
                .collect(),
            lines,
            test_lines: facts.tests.test_code_lines,
            verdict: review.verdict,
            verdict_rule: review.verdict_rule.clone(),
            decides: decides && !p.ignored,
            critical: p.critical,
            ignored: p.ignored,
            overall_score: review.overall_score,
            categories: review.categories.clone(),
            concerns,
            top_concern: top,
            markers: p.markers.clone(),
            findings: review.findings.clone(),
        })
    }
}

/// Checks whose subject no other project can provide.
const LOCAL_ONLY: &[&str] = &["tests.suite", "tests.ratio", "tests.coverage"];

/// An absence one project reports while another product of the repository (or the
/// tooling that builds it) has the thing (its health route, its container build, its
/// logging) is a gap in one part of the repository, not a product without it:
/// workspace members, shared packages and a root that only aggregates them are judged
/// as projects, and which of them is deployed on its own is not certain. Such a P0 or
/// P1 absence is lowered to P2 and names where the thing is, so the reader can judge.
/// Tests are the project's own: beside a tested product, no tests is P1 rather than
/// P0, and P2 for a small helper, a command-line tool or a browser front end (whose
/// server, tested, carries the data). `shapes` holds each project's production lines
/// and kind; `frontends` whether it is a browser front end.
pub fn localize_absences(
    results: &mut [Vec<crate::checks::CheckResult>],
    projects: &[crate::analyze::projects::Project],
    shapes: &[(usize, ProjectKind)],
    frontends: &[bool],
    driven: &[Option<crate::analyze::projects::Driven>],
) {
    // check → (project, first place of a strength of that check in a product).
    let mut present: std::collections::HashMap<&'static str, (usize, String)> =
        std::collections::HashMap::new();
    for (i, (rs, p)) in results.iter().zip(projects).enumerate() {
        // A product's, or the tooling's that builds the products (a workspace root's
        // image); not an example's or a test suite's.
        if !matches!(p.role, Role::Product | Role::Tooling) {
            continue;
        }
        for r in rs {
            let strength = r.outcome.findings.iter().find_map(|f| {
                (!f.is_concern())
                    .then(|| f.evidence.iter().find_map(|e| e.location()))
                    .flatten()
            });
            if let Some(at) = strength {
                present
                    .entry(r.def.id)
                    .or_insert((i, format!("{}:{}", at.path, at.line)));
            }
        }
    }
    // Some product is deployed (a service, a command, an application): the libraries
    // beside it are built into it, as `settle` judges them.
    let deployed = projects.iter().zip(shapes).any(|(p, (lines, kind))| {
        p.role == Role::Product && *lines > 0 && *kind != ProjectKind::Library
    });
    for (i, rs) in results.iter_mut().enumerate() {
        // A product that a packaged end-to-end suite drives is tested from outside:
        // no tests of its own is a P2 gap, not an untested release.
        if let Some(d) = driven.get(i).and_then(Option::as_ref) {
            let suite = projects.get(d.suite).map_or(".", |p| p.display());
            let through = d
                .via
                .and_then(|v| projects.get(v))
                .map(|v| format!(", through `{}` which it depends on", v.display()))
                .unwrap_or_default();
            for r in rs.iter_mut().filter(|r| r.def.id == "tests.suite") {
                for f in r.outcome.findings.iter_mut().filter(|f| {
                    f.is_concern() && is_absence(f) && f.severity.is_some_and(|s| s < Severity::P2)
                }) {
                    f.severity = Some(Severity::P2);
                    f.message = format!(
                        "{} The end-to-end suite of project `{suite}` exercises it ({}{through}), so it is tested only from outside: add unit or integration tests for its own logic.",
                        f.message.trim_end(),
                        d.at
                    );
                }
            }
        }
        // Another project's tests do not test this one; but beside a tested product,
        // an untested part is not the whole release's blocker (P0 becomes P1), and a
        // small helper, command-line tool or browser front end of it is a P2 gap.
        if let Some((other, _)) = present.get("tests.suite").filter(|(o, _)| *o != i) {
            let name = projects.get(*other).map_or(".", |p| p.display());
            // A library the deployed projects are built from is exercised through them.
            let helper = frontends.get(i).copied().unwrap_or(false)
                || shapes.get(i).is_some_and(|(lines, kind)| {
                    *lines < SMALL_PROJECT_LINES
                        || *kind == ProjectKind::Cli
                        || (*kind == ProjectKind::Library && deployed)
                });
            for r in rs.iter_mut().filter(|r| r.def.id == "tests.suite") {
                for f in r
                    .outcome
                    .findings
                    .iter_mut()
                    .filter(|f| f.is_concern() && is_absence(f))
                {
                    let lowered = match f.severity {
                        Some(Severity::P0) => Severity::P1,
                        Some(Severity::P1) if helper => Severity::P2,
                        _ => continue,
                    };
                    f.severity = Some(lowered);
                    f.message = format!(
                        "{} Project `{name}` of this repository is tested, so this is an untested part of a tested product.",
                        f.message.trim_end()
                    );
                }
            }
        }
        // A project that does not decide the release (not a product, or a library the
        // deployed projects are built from, as `settle` judges it) has gaps to close,
        // not blockers: its missing things are P2 at most.
        let decides = projects
            .get(i)
            .zip(shapes.get(i))
            .is_some_and(|(p, (lines, kind))| {
                p.critical
                    || (p.role == Role::Product
                        && *lines > 0
                        && !(*kind == ProjectKind::Library && deployed))
            });
        if !decides && deployed {
            let name = projects.get(i).map_or(".", |p| p.display());
            for r in rs.iter_mut() {
                // "Tests are not run in CI" cites the local test script it found, and
                // is an absence all the same.
                let absent = r.def.id == "ci.tests";
                for f in r.outcome.findings.iter_mut().filter(|f| {
                    f.is_concern()
                        && (absent || is_absence(f))
                        && f.severity.is_some_and(|s| s < Severity::P2)
                }) {
                    f.severity = Some(Severity::P2);
                    f.message = format!(
                        "{} Project `{name}` does not decide the release on its own (a library the deployed projects are built from, or not a product): a gap to close, not a blocker.",
                        f.message.trim_end()
                    );
                }
            }
        }
        // A test suite's, the tooling's or the docs' own section weighs its concerns as
        // the repository's review does (a critical one decides, and its findings are
        // weighed once, at the top).
        if let Some(p) = projects.get(i).filter(|p| !p.critical) {
            for r in rs.iter_mut() {
                for f in r.outcome.findings.iter_mut().filter(|f| f.is_concern()) {
                    weigh_one_lower(f, p);
                }
            }
        }
        for r in rs.iter_mut().filter(|r| !LOCAL_ONLY.contains(&r.def.id)) {
            let Some((other, at)) = present.get(r.def.id) else {
                continue;
            };
            if *other == i {
                continue;
            }
            let Some(name) = projects.get(*other).map(|p| p.display()) else {
                continue;
            };
            for f in r.outcome.findings.iter_mut().filter(|f| {
                f.is_concern() && is_absence(f) && f.severity.is_some_and(|s| s < Severity::P2)
            }) {
                f.severity = Some(Severity::P2);
                f.message = format!(
                    "{} Project `{name}` of this repository has one ({at}): if this project is deployed on its own, it needs its own.",
                    f.message.trim_end()
                );
            }
        }
    }
}

/// Only what is deployed decides: once some project that decides is a service, a
/// command or an application, the libraries it is built from (workspace packages)
/// decide through it, not on their own. A repository of libraries only is judged by
/// its libraries. The policy's `critical` projects always decide.
pub fn settle(projects: &mut [ProjectReview]) {
    let deployed = projects
        .iter()
        .any(|p| p.decides && p.kind != ProjectKind::Library);
    if deployed {
        for p in projects.iter_mut() {
            if p.kind == ProjectKind::Library && !p.critical {
                p.decides = false;
            }
        }
    }
}

/// Concerns in a project that is not a product (a packaged test suite, tooling, docs,
/// examples) weigh one level less: they do not reach production. The root's files are
/// the repository's own and keep their weight.
pub fn weigh_by_role(findings: &mut [Finding], projects: &Projects) {
    for f in findings.iter_mut().filter(|f| f.is_concern()) {
        let Some(p) = f
            .project
            .as_deref()
            .and_then(|path| projects.list.iter().find(|p| p.display() == path))
        else {
            continue;
        };
        weigh_one_lower(f, p);
    }
}

/// Weighs a concern of a project that is not a product (and not the root) one level
/// lower, saying why.
fn weigh_one_lower(f: &mut Finding, p: &crate::analyze::projects::Project) {
    if p.role == Role::Product || p.path.is_empty() {
        return;
    }
    if let Some(s) = f.severity {
        let lower = match s {
            Severity::P0 => Severity::P1,
            Severity::P1 => Severity::P2,
            _ => Severity::P3,
        };
        if lower != s {
            f.severity = Some(lower);
            let what = match p.role {
                Role::Tests => "holds a test suite",
                Role::Docs => "holds documentation",
                Role::Example => "holds examples",
                Role::Retired => "is a component its README says is no longer used",
                _ => "holds tooling",
            };
            f.message = format!(
                "{} (Weighed one level lower: `{}` {what}, not production code.)",
                f.message,
                p.display(),
            );
        }
    }
}

/// The repository's category scores from those of the projects that decide its
/// verdict: each score is their mean weighted by lines of production code; a category
/// is red only when a concern of P2 or worse in it remains.
pub fn aggregate_categories(
    projects: &[ProjectReview],
    findings: &[Finding],
) -> Option<Vec<CategoryScore>> {
    let deciding: Vec<&ProjectReview> = projects.iter().filter(|p| p.decides).collect();
    let first = deciding.first()?;
    let mut out = Vec::new();
    for c in &first.categories {
        let (mut sum, mut weight) = (0.0, 0.0);
        let (mut determined, mut total) = (0, 0);
        for p in &deciding {
            let Some(pc) = p.categories.iter().find(|x| x.id == c.id) else {
                continue;
            };
            determined += pc.determined;
            total += pc.total;
            if let Some(s) = pc.score {
                let w = p.lines.max(1) as f64;
                sum += s * w;
                weight += w;
            }
        }
        let score = (weight > 0.0).then(|| super::round1(sum / weight));
        let serious = findings.iter().any(|f| {
            f.is_concern()
                && f.category == c.category
                && f.severity.is_some_and(|s| s <= Severity::P2)
        });
        let status = match super::Rag::of(score) {
            super::Rag::Red if !serious => super::Rag::Yellow,
            other => other,
        };
        out.push(CategoryScore {
            id: c.id,
            title: c.title,
            score,
            status,
            category: c.category,
            determined,
            total,
        });
    }
    Some(out)
}

/// `path:line` of a finding's first location.
fn first_place(f: &Finding) -> Option<String> {
    f.evidence.iter().find_map(|e| match e {
        Evidence::At(l) => Some(format!("{}:{}", l.path, l.line)),
        Evidence::Absent { .. } => None,
    })
}

/// Sets each finding's project: the innermost project holding its first location.
/// With one project, a finding with no location is that project's too; with several,
/// it is the repository's (`None`).
pub fn attribute(findings: &mut [Finding], projects: &Projects) {
    let single = (!projects.is_multi())
        .then(|| projects.list.first())
        .flatten();
    for f in findings {
        let located = f.evidence.iter().find_map(|e| match e {
            Evidence::At(l) => Some(l.path.as_str()),
            Evidence::Absent { .. } => None,
        });
        f.project = match located {
            Some(path) => projects.project_of(path).map(|p| p.display().to_string()),
            None => single.map(|p| p.display().to_string()),
        };
    }
}

/// Sets the project of each finding that has a place in a file, from that place (a
/// merged absence keeps the project that reported it).
pub fn attribute_located(findings: &mut [Finding], projects: &Projects) {
    for f in findings {
        if let Some(path) = f
            .evidence
            .iter()
            .find_map(|e| e.location().map(|l| l.path.as_str()))
        {
            f.project = projects.project_of(path).map(|p| p.display().to_string());
        }
    }
}

/// The repository's verdict from its projects' and its own repository-wide concerns,
/// with the sentence that says which decided it.
pub fn repository_verdict(
    projects: &[ProjectReview],
    findings: &[Finding],
) -> Option<(Verdict, String)> {
    let deciding: Vec<&ProjectReview> = projects.iter().filter(|p| p.decides).collect();
    if deciding.is_empty() {
        return None;
    }
    let worst = deciding
        .iter()
        .min_by_key(|p| (p.verdict, p.path.as_str()))?;
    // Concerns outside every project (the repository's CI, documentation, files
    // shared by all) decide too.
    // Concerns that decide besides the deciding projects' verdicts: those outside every
    // project and in every project that does not decide (a workspace root's files,
    // the libraries the deployed projects are built from, and, one level lower,
    // test suites, tooling, docs and examples) unless the policy set it aside.
    let repository_wide = |f: &Finding| match f.project.as_deref() {
        None => true,
        Some(path) => projects
            .iter()
            .find(|p| p.path == path)
            .is_none_or(|p| !p.decides && !p.ignored),
    };
    let shared = |sev: Severity| {
        findings
            .iter()
            .filter(|f| f.is_concern() && repository_wide(f) && f.severity == Some(sev))
            .filter(|f| f.evidence.iter().any(|e| matches!(e, Evidence::At(_))))
            .map(|f| f.title.clone())
            .collect::<Vec<_>>()
    };
    let p0 = shared(Severity::P0);
    if !p0.is_empty() && worst.verdict > Verdict::NotReady {
        return Some((
            Verdict::NotReady,
            format!(
                "NOT READY because {} outside the deployed projects must be fixed before production: {}.",
                plural(p0.len(), "P0 concern", "P0 concerns"),
                super::list(&p0, 5)
            ),
        ));
    }
    let p1 = shared(Severity::P1);
    if !p1.is_empty() && worst.verdict > Verdict::StagingOnly {
        return Some((
            Verdict::StagingOnly,
            format!(
                "STAGING ONLY because {} outside the deployed projects must be fixed before production: {}.",
                plural(p1.len(), "P1 concern", "P1 concerns"),
                super::list(&p1, 5)
            ),
        ));
    }
    let others = deciding.len() - 1;
    let rule = if worst.verdict == Verdict::Ready {
        format!(
            "READY: every project that ships is ready ({}).",
            deciding
                .iter()
                .map(|p| format!("`{}`", p.path))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        format!(
            "{} because project `{}` ({}) is {}{}, {}",
            worst.verdict.label(),
            worst.path,
            worst.kind.id(),
            worst.verdict.label(),
            if others > 0 {
                format!(
                    ", the worst of {} that ship",
                    plural(deciding.len(), "project", "projects")
                )
            } else {
                String::new()
            },
            lower_first(&worst.verdict_rule)
        )
    };
    Some((worst.verdict, rule))
}

/// "NOT READY because …" → "because …" is kept whole; only the verdict word that
/// repeats is dropped.
fn lower_first(rule: &str) -> String {
    for label in ["NOT READY ", "STAGING ONLY ", "READY "] {
        if let Some(rest) = rule.strip_prefix(label) {
            return rest.to_string();
        }
    }
    rule.to_string()
}

/// What identifies a finding across the reviews of several projects.
fn key(f: &Finding) -> (&'static str, &str, &str, Vec<(&str, u32)>) {
    (
        f.check,
        f.title.as_str(),
        f.message.as_str(),
        f.evidence
            .iter()
            .filter_map(|e| e.location().map(|l| (l.path.as_str(), l.line)))
            .collect(),
    )
}

/// The findings of a repository of several projects: each project that decides the
/// verdict contributes its own review's findings; what the repository-wide review
/// found outside those projects is kept. A finding reported the same way by several
/// projects is listed once: an absence every deciding project reports is the
/// repository's (project `null`); one that several report is listed once, naming
/// them; one that a single project reports is that project's.
pub fn merge(repository: Vec<Finding>, projects: &[ProjectReview]) -> Vec<Finding> {
    let deciding: Vec<&ProjectReview> = projects.iter().filter(|p| p.decides).collect();
    // A finding of the repository's review in a deciding project is that project's to
    // report: kept only when the project's own review has nothing of the same check at
    // the same place (the history scan, a secret grouped across projects).
    let reported = |f: &Finding| {
        let Some(p) = f
            .project
            .as_deref()
            .and_then(|path| deciding.iter().find(|p| p.path == path))
        else {
            return false;
        };
        let place = first_place(f);
        p.findings
            .iter()
            .any(|own| own.check == f.check && first_place(own) == place)
    };
    // Absences are judged project by project once some project decides.
    let mut out: Vec<Finding> = repository
        .into_iter()
        .filter(|f| !reported(f) && (deciding.is_empty() || !is_absence(f)))
        .collect();
    // Where each finding is in `out`: the same finding from a deciding project that
    // weighs it more (a root image that is a shipping service's image) takes its place.
    let mut seen: std::collections::HashMap<OwnedKey, usize> = out
        .iter()
        .enumerate()
        .map(|(i, f)| (owned_key(f), i))
        .collect();
    // Which deciding projects report each absence.
    // (check, title, severity) → the projects reporting it.
    type Absence<'a> = (&'static str, &'a str, Option<Severity>);
    let mut absences: std::collections::HashMap<Absence, Vec<&str>> =
        std::collections::HashMap::new();
    for p in &deciding {
        for f in p.findings.iter().filter(|f| is_absence(f)) {
            let (check, title, _, _) = key(f);
            let by = absences.entry((check, title, f.severity)).or_default();
            if by.last() != Some(&p.path.as_str()) {
                by.push(&p.path);
            }
        }
    }
    for p in &deciding {
        for f in &p.findings {
            let mut f = f.clone();
            if is_absence(&f) {
                let (check, title, _, _) = key(&f);
                let by = absences
                    .get(&(check, title, f.severity))
                    .cloned()
                    .unwrap_or_default();
                if by.first() != Some(&p.path.as_str()) {
                    continue; // listed with the first project that reports it
                }
                match by.as_slice() {
                    _ if deciding.len() == 1 => f.project = Some(p.path.clone()),
                    [one] => {
                        f.project = Some((*one).to_string());
                        let label = if *one == "." { "root project" } else { one };
                        f.title = format!("{label}: {}", f.title);
                    }
                    _ if by.len() == deciding.len() && same_everywhere(&absences, check, title) => {
                        f.message = format!(
                            "In every project that ships; in `{}`: {}",
                            p.path, f.message
                        );
                        f.project = None;
                    }
                    several => {
                        f.project = None;
                        f.message = format!(
                            "In {}; in `{}`: {}",
                            projects_list(several),
                            p.path,
                            f.message
                        );
                        f.title = format!("{} in {}", f.title, projects_list(several));
                    }
                }
            }
            match seen.get(&owned_key(&f)).copied() {
                None => {
                    seen.insert(owned_key(&f), out.len());
                    out.push(f);
                }
                Some(i) => {
                    if let Some(kept) = out.get_mut(i) {
                        let worse = match (f.severity, kept.severity) {
                            (Some(new), Some(old)) => new < old,
                            (Some(_), None) => true,
                            _ => false,
                        };
                        if worse {
                            *kept = f;
                        }
                    }
                }
            }
        }
    }
    merge_same_absences(out)
}

/// The same absence reported twice for one project (by the repository's review and
/// by the project's own, citing different task files) is one finding with the
/// places of both. The repository's finding, not yet given a project, is the same as
/// the root project's when that one cites every place it cites ("tests are not run in
/// CI" citing the same task file).
fn merge_same_absences(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings {
        let starts_absent =
            |g: &Finding| g.evidence.first().is_some_and(|e| e.location().is_none());
        // Every place the finding without a project cites, the other cites too.
        let same_places = |g: &Finding| {
            let (open, other) = if g.project.is_none() {
                (g, &f)
            } else {
                (&f, g)
            };
            let mut places = open.evidence.iter().filter(|e| e.location().is_some());
            places.clone().next().is_some() && places.all(|e| other.evidence.contains(e))
        };
        let twin = out.iter_mut().find(|g| {
            g.is_concern()
                && f.is_concern()
                && starts_absent(g)
                && starts_absent(&f)
                && g.check == f.check
                && g.title == f.title
                && g.severity == f.severity
                && (g.project == f.project
                    || ((g.project.is_none() || f.project.is_none())
                        && (g.project.as_deref() == Some(".")
                            || f.project.as_deref() == Some("."))
                        && same_places(g)))
        });
        match twin {
            Some(g) => {
                if g.project.is_none() {
                    g.project.clone_from(&f.project);
                }
                for e in f.evidence {
                    if !g.evidence.contains(&e) {
                        g.evidence.push(e);
                    }
                }
            }
            None => out.push(f),
        }
    }
    out
}

/// Whether an absence is reported at one severity only.
fn same_everywhere(
    absences: &std::collections::HashMap<(&'static str, &str, Option<Severity>), Vec<&str>>,
    check: &str,
    title: &str,
) -> bool {
    absences
        .keys()
        .filter(|(c, t, _)| *c == check && *t == title)
        .count()
        == 1
}

/// "`a`, `b` and 3 other projects".
fn projects_list(paths: &[&str]) -> String {
    const SHOWN: usize = 3;
    let named: Vec<String> = paths.iter().take(SHOWN).map(|p| format!("`{p}`")).collect();
    let rest = paths.len().saturating_sub(SHOWN);
    match (named.split_last(), rest) {
        (Some((last, [])), 0) => format!("project {last}"),
        (Some((last, others)), 0) => format!("projects {} and {last}", others.join(", ")),
        (_, _) => format!(
            "projects {} and {}",
            named.join(", "),
            plural(rest, "other project", "other projects")
        ),
    }
}

/// [`key`], owned.
type OwnedKey = (&'static str, String, String, Vec<(String, u32)>);

fn owned_key(f: &Finding) -> OwnedKey {
    let (check, title, message, at) = key(f);
    (
        check,
        title.to_string(),
        message.to_string(),
        at.into_iter().map(|(p, l)| (p.to_string(), l)).collect(),
    )
}

/// A finding with no place in a file: something is missing.
fn is_absence(f: &Finding) -> bool {
    f.evidence.iter().all(|e| e.location().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, Confidence, Effort, FindingKind};

    #[test]
    fn the_same_absence_twice_for_one_project_is_one_finding_with_both_places() {
        let mut a = concern("ci.tests", "Tests are not run in CI", Severity::P1, None);
        a.evidence
            .push(Evidence::at("package.json", 28, "\"test\": \"vitest\""));
        let mut b = a.clone();
        b.evidence.push(Evidence::at(
            "packages/lib/package.json",
            13,
            "\"test\": \"vitest\"",
        ));
        let other = concern("ci.tests", "Tests are not run in CI", Severity::P2, None);
        let merged = merge_same_absences(vec![a, b, other]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].evidence.len(), 3);
    }

    #[test]
    fn the_repository_absence_and_the_root_project_one_citing_the_same_place_are_one() {
        let mut repository = concern("ci.tests", "Tests are not run in CI", Severity::P1, None);
        repository
            .evidence
            .push(Evidence::at("Justfile", 74, "cargo test --workspace"));
        let mut root = repository.clone();
        root.message = "No CI job runs this project's test suite.".into();
        root.project = Some(".".into());
        // Another project's absence, citing its own place, stays apart.
        let mut api = concern("ci.tests", "Tests are not run in CI", Severity::P1, None);
        api.evidence
            .push(Evidence::at("api/package.json", 9, "\"test\": \"jest\""));
        api.project = Some("api".into());
        let merged = merge_same_absences(vec![repository.clone(), root, api.clone()]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].project.as_deref(), Some("."));
        assert_eq!(merged[1].project.as_deref(), Some("api"));
        // A repository finding citing two projects' places is neither project's.
        let mut both = repository;
        both.evidence
            .push(Evidence::at("api/package.json", 9, "\"test\": \"jest\""));
        let merged = merge_same_absences(vec![both, api]);
        assert_eq!(merged.len(), 2);
    }

    fn concern(check: &'static str, title: &str, severity: Severity, at: Option<&str>) -> Finding {
        Finding {
            check,
            category: Category::Tests,
            kind: FindingKind::Concern,
            severity: Some(severity),
            title: title.into(),
            message: format!("{title}."),
            evidence: vec![match at {
                Some(path) => Evidence::at(path, 3, "x"),
                None => Evidence::absent("tests", "10 files"),
            }],
            action: Some("Fix it".into()),
            effort: Some(Effort::S),
            confidence: Confidence::High,
            fingerprint: None,
            project: None,
        }
    }

    fn project(path: &str, role: Role, verdict: Verdict, findings: Vec<Finding>) -> ProjectReview {
        ProjectReview {
            path: path.into(),
            name: path.into(),
            kind: ProjectKind::Service,
            kind_source: "inferred",
            kind_evidence: Vec::new(),
            role,
            languages: vec!["Python".into()],
            lines: 100,
            test_lines: 0,
            verdict,
            verdict_rule: format!("{} because of reasons.", verdict.label()),
            decides: role == Role::Product,
            critical: false,
            ignored: false,
            overall_score: None,
            categories: Vec::new(),
            concerns: [0; 4],
            top_concern: None,
            markers: Vec::new(),
            findings,
        }
    }

    #[test]
    fn the_worst_deciding_project_decides_and_is_named() {
        let projects = [
            project("api", Role::Product, Verdict::StagingOnly, vec![]),
            project("docs", Role::Docs, Verdict::NotReady, vec![]),
            project("web", Role::Product, Verdict::Ready, vec![]),
        ];
        let (v, rule) = repository_verdict(&projects, &[]).unwrap();
        assert_eq!(v, Verdict::StagingOnly);
        assert_eq!(
            rule,
            "STAGING ONLY because project `api` (service) is STAGING ONLY, the worst of 2 projects that ship, because of reasons."
        );
        // A docs site alone decides nothing.
        assert!(repository_verdict(&projects[1..2], &[]).is_none());
        // A P0 outside every project makes the repository NOT READY.
        let shared = concern(
            "security.secrets",
            "Key in docs",
            Severity::P0,
            Some("docs.md"),
        );
        let (v, rule) = repository_verdict(&projects, std::slice::from_ref(&shared)).unwrap();
        assert_eq!(v, Verdict::NotReady);
        assert!(rule.contains("outside the deployed projects"), "{rule}");
        // ... and so does one in a library the deployed projects are built from, but
        // not one in a project the policy set aside.
        let mut library = project("lib", Role::Product, Verdict::NotReady, vec![]);
        library.decides = false;
        let mut legacy = project("legacy", Role::Product, Verdict::NotReady, vec![]);
        legacy.decides = false;
        legacy.ignored = true;
        let with = [projects[2].clone(), library, legacy];
        let at = |path: &str| {
            let mut f = shared.clone();
            f.project = Some(path.into());
            f
        };
        let (v, _) = repository_verdict(&with, &[at("lib")]).unwrap();
        assert_eq!(v, Verdict::NotReady);
        let (v, rule) = repository_verdict(&with, &[at("legacy")]).unwrap();
        assert_eq!(v, Verdict::Ready, "{rule}");
    }

    #[test]
    fn a_finding_a_shipping_project_weighs_more_keeps_that_weight() {
        // The repository's review saw a root image at P2 (the root only gathers the
        // workspace); the service whose image it is reports it at P1.
        let mut root = concern(
            "deployment.dockerfile",
            "prod.Dockerfile runs as root",
            Severity::P2,
            Some("prod.Dockerfile"),
        );
        root.project = Some(".".into());
        let mut own = root.clone();
        own.severity = Some(Severity::P1);
        let projects = [
            project(".", Role::Tooling, Verdict::NotReady, vec![root.clone()]),
            project("api", Role::Product, Verdict::NotReady, vec![own]),
        ];
        let merged = merge(vec![root], &projects);
        let same: Vec<_> = merged
            .iter()
            .filter(|f| f.title == "prod.Dockerfile runs as root")
            .collect();
        assert_eq!(same.len(), 1, "{merged:#?}");
        assert_eq!(same[0].severity, Some(Severity::P1));
    }

    #[test]
    fn absences_are_listed_once_with_the_projects_that_report_them() {
        let no_tests = || concern("tests.suite", "No automated tests", Severity::P0, None);
        let no_e2e = || concern("e2e.suite", "No end-to-end tests", Severity::P1, None);
        let projects = [
            project(
                "a",
                Role::Product,
                Verdict::NotReady,
                vec![no_tests(), no_e2e()],
            ),
            project(
                "b",
                Role::Product,
                Verdict::NotReady,
                vec![no_tests(), no_e2e()],
            ),
            project("c", Role::Product, Verdict::Ready, vec![no_e2e()]),
            project("docs", Role::Docs, Verdict::NotReady, vec![no_tests()]),
        ];
        let located = concern("x.y", "Bad line", Severity::P2, Some("a/app.py"));
        let mut repository = vec![no_tests(), located.clone()];
        repository[1].project = Some("a".into());
        let merged = merge(repository, &projects);
        let titles: Vec<(&str, Option<&str>)> = merged
            .iter()
            .map(|f| (f.title.as_str(), f.project.as_deref()))
            .collect();
        // The repository's review found something in `a` that `a`'s own review did not
        // (the history scan): it is kept.
        assert_eq!(
            titles,
            [
                ("Bad line", Some("a")),
                ("No automated tests in projects `a` and `b`", None),
                ("No end-to-end tests", None),
            ]
        );
        // When the project's own review reports it, it is listed once.
        let with_own = [project(
            "a",
            Role::Product,
            Verdict::NotReady,
            vec![located.clone(), no_tests()],
        )];
        let mut again = located.clone();
        again.project = Some("a".into());
        let merged = merge(vec![again], &with_own);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[1].project.as_deref(), Some("a"));
        assert_eq!(merged[1].title, "No automated tests");
    }
}
