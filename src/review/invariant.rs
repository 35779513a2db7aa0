//! The review never contradicts its own evidence: a P0/P1 claim that something is
//! absent (no health endpoint, no CI pipeline, no tests) cannot stand when the facts the
//! checks read hold that very thing. Each absence check names its subject here, read
//! more broadly than the check reads it; a claim the facts contradict is lowered to P3,
//! its confidence to low, and the contradicting evidence is cited.

use crate::analyze::Facts;
use crate::analyze::catalog::DetectorKind;
use crate::analyze::tests::TestKind;
use crate::checks::CheckResult;
use crate::model::{Confidence, Evidence, Finding, Severity};
use crate::repo::Inventory;

/// Places where the subject of an absence check exists in `facts`, for the checks whose
/// subject is a fact of the repository; `None` for a check that claims no absence of
/// that kind.
pub fn subject(check: &str, facts: &Facts, inventory: &Inventory) -> Option<Vec<Evidence>> {
    let at = |path: &str, line: u32, what: &str| Evidence::at(path.to_string(), line, what);
    let mut found: Vec<Evidence> = Vec::new();
    match check {
        // The claims are "no CI" and "CI never runs on changes": a pipeline that runs
        // on pushes or pull requests contradicts both.
        "ci.pipeline" => found.extend(
            facts
                .ci
                .files
                .iter()
                .filter(|f| f.on_changes)
                .map(|f| at(&f.path, 1, &format!("{} configuration", f.system.name()))),
        ),
        // The claim is about runs on changes: a scheduled run does not contradict it.
        "ci.tests" => found.extend(
            facts
                .ci
                .steps("test")
                .iter()
                .map(|s| at(&s.file.path, s.step.line, &s.step.text)),
        ),
        "deployment.release-pipeline" => found.extend(
            facts
                .ci
                .all_steps("release")
                .iter()
                .map(|s| at(&s.file.path, s.step.line, &s.step.text)),
        ),
        "deployment.container" => found.extend(facts.containers.dockerfiles.iter().map(|d| {
            at(
                &d.path,
                d.stages.first().map(|s| s.line).unwrap_or(1),
                "Dockerfile",
            )
        })),
        "observability.health-endpoints" => {
            let production = |i: usize| {
                inventory
                    .files
                    .get(i)
                    .is_some_and(|f| f.kind == crate::repo::FileKind::Source)
            };
            for s in facts.sources.iter().filter(|s| production(s.file)) {
                for r in s.routes.iter().filter(|r| {
                    crate::checks::is_health_route(&r.path) && !s.is_inline_test(r.line)
                }) {
                    if let Some(file) = inventory.files.get(s.file) {
                        found.push(at(&file.path, r.line, &format!("route {}", r.path)));
                    }
                }
            }
            found.extend(
                facts
                    .containers
                    .dockerfiles
                    .iter()
                    .filter_map(|d| d.healthcheck.map(|l| at(&d.path, l, "HEALTHCHECK"))),
            );
        }
        "observability.logging" => found.extend(
            facts
                .detections
                .iter()
                .filter(|d| d.is(DetectorKind::Logging) || d.is(DetectorKind::StructuredLogging))
                .flat_map(|d| d.used.iter().take(1).cloned()),
        ),
        "tests.suite" => found.extend(
            facts
                .tests
                .files
                .iter()
                .map(|t| at(&t.path, t.first_line, "test file")),
        ),
        "e2e.suite" => found.extend(
            facts
                .tests
                .of_kind(TestKind::E2e)
                .chain(facts.tests.e2e_elsewhere.iter())
                .map(|t| at(&t.path, t.first_line, "end-to-end test file")),
        ),
        "documentation.readme" => {
            found.extend(facts.docs.readme.iter().map(|r| at(&r.path, 1, "README")))
        }
        // "listens on every interface with no authentication": authentication used.
        "security.app-config" => found.extend(
            facts
                .detections
                .iter()
                .filter(|d| d.is(DetectorKind::Auth))
                .flat_map(|d| d.used.iter().take(1).cloned()),
        ),
        _ => return None,
    }
    Some(found)
}

/// The absence checks whose subject is not a single fact of the repository, and why
/// they are left to the check itself.
pub const JUDGED_BY_THE_CHECK: &[(&str, &str)] = &[(
    "tests.coverage",
    "the absence is of measured data in a supplied report, not of something in the tree",
)];

/// Whether a finding claims an absence.
fn claims_absence(f: &Finding) -> bool {
    f.evidence
        .iter()
        .any(|e| matches!(e, Evidence::Absent { .. }))
}

/// Lowers every P0/P1 absence claim the facts contradict.
pub fn enforce(results: &mut [CheckResult], facts: &Facts, inventory: &Inventory) {
    for r in results {
        for f in r.outcome.findings.iter_mut() {
            if !f.is_concern() || !claims_absence(f) || f.severity.is_none_or(|s| s > Severity::P1)
            {
                continue;
            }
            let Some(found) = subject(r.def.id, facts, inventory).filter(|v| !v.is_empty()) else {
                continue;
            };
            contradict(f, found);
        }
    }
}

fn contradict(f: &mut Finding, found: Vec<Evidence>) {
    let places: Vec<String> = found
        .iter()
        .filter_map(|e| e.location().map(|l| l.display()))
        .take(3)
        .collect();
    f.severity = Some(Severity::P3);
    f.confidence = Confidence::Low;
    f.message.push_str(&format!(
        " The facts of this review hold it, though ({}): the claim is kept at P3 for a reader to confirm.",
        places.join(", ")
    ));
    f.evidence.extend(found.into_iter().take(3));
}
