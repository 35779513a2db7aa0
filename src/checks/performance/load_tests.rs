//! Judges whether a service has load tests.

use crate::analyze::catalog::{ArtifactKind, DetectorKind};
use crate::checks::{Check, CheckDef, Context, Outcome, Presence};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "performance.load-tests",
        category: Category::Performance,
        title: "Load tests",
        summary: "A service has load tests (Locust, k6, JMeter, Gatling, Artillery, Vegeta).",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::M,
        rationale: "Whether a service holds its expected traffic, and where it breaks, is only known by generating that traffic. Capacity problems found in production are outages.",
        remediation: "Write a load test of the main endpoints (Locust, k6) at the expected peak plus margin, run it against a staging environment before releases, and record the baseline latency and throughput.",
        action: "Add load tests for the main endpoints",
        risk: "Performance issues",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    if !cx.kind.is_service() {
        return Outcome::not_applicable(format!("a {} takes no network load", cx.kind.noun()));
    }
    let mut found: Vec<Evidence> = cx
        .facts
        .artifacts_of(ArtifactKind::LoadTest)
        .flat_map(|a| a.evidence.iter().take(2).cloned())
        .collect();
    for d in cx.facts.detected(DetectorKind::LoadTesting) {
        if let Some(e) = d.used.first().or_else(|| d.in_tests.first()) {
            found.push(e.clone());
        }
    }
    found.truncate(5);
    Presence {
        def: &CHECK.def,
        found,
        found_title: "Load tests present".into(),
        missing_title: "No load tests".into(),
        missing_message: "Nothing measures how the service behaves under load.".into(),
        looked_for: "locustfile.py, k6 scripts, *.jmx, gatling/, artillery*.yml, load-tests/; Locust, k6, Artillery, Vegeta dependencies".into(),
        scope: cx.scope(),
        severity: CHECK.def.severity,
    }
    .judge()
}
