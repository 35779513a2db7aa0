//! The review never contradicts its own evidence: every absence check that can claim
//! an absence at P0/P1 names its subject, and a claim the facts contradict is lowered.

use std::collections::BTreeSet;
use std::fs;

use greenlight::checks::{CHECKS, CheckResult};
use greenlight::model::{Confidence, Evidence, Finding, FindingKind, Severity};
use greenlight::review::invariant::{JUDGED_BY_THE_CHECK, enforce, subject};

use crate::support::fixtures;

/// Checks whose fixtures expect an absence claimed at P0 or P1.
fn absence_checks() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let dir = fixtures().join("checks");
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let id = path.file_stem().unwrap().to_str().unwrap().to_string();
        let doc: toml::Value = toml::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let cases = doc
            .get("case")
            .and_then(|c| c.as_array())
            .cloned()
            .unwrap_or_default();
        let claims = cases.iter().any(|c| {
            c.get("absent").and_then(|a| a.as_bool()) == Some(true)
                && c.get("severity")
                    .and_then(|s| s.as_str())
                    .is_some_and(|s| s == "P0" || s == "P1")
        });
        if claims {
            out.insert(id);
        }
    }
    out
}

fn facts_of(name: &str) -> (greenlight::repo::Inventory, greenlight::analyze::Facts) {
    let policy = greenlight::config::Policy::default();
    let root = fixtures().join("repos").join(name);
    let inventory = greenlight::repo::walk(&root, &greenlight::repo::WalkOptions::default());
    let facts = greenlight::analyze::analyze(&inventory, &policy);
    (inventory, facts)
}

fn claimed_absence(check: &'static str) -> Finding {
    let def = CHECKS
        .iter()
        .find(|c| c.def.id == check)
        .map(|c| c.def)
        .unwrap();
    greenlight::checks::Outcome::fail("absent")
        .concern_at(
            &def,
            Severity::P1,
            "Nothing of the kind",
            "Not found.",
            vec![Evidence::absent("the subject", "the repository")],
        )
        .findings
        .remove(0)
}

#[test]
fn every_absence_check_claimed_at_p0_or_p1_names_its_subject() {
    let (inventory, facts) = facts_of("python-service-good");
    let judged: BTreeSet<&str> = JUDGED_BY_THE_CHECK.iter().map(|(id, _)| *id).collect();
    let checks = absence_checks();
    assert!(checks.len() >= 5, "{checks:?}");
    for id in &checks {
        assert!(
            subject(id, &facts, &inventory).is_some() || judged.contains(id.as_str()),
            "{id} claims absences at P0/P1 but names no subject for the review's invariant"
        );
    }
}

#[test]
fn an_absence_the_facts_contradict_is_lowered_and_cites_them() {
    // The well-kept service has CI, tests, end-to-end tests, a Dockerfile with a
    // HEALTHCHECK, health routes, logging and a release job.
    let (inventory, facts) = facts_of("python-service-good");
    let ids: Vec<&'static str> = CHECKS
        .iter()
        .map(|c| c.def.id)
        .filter(|id| subject(id, &facts, &inventory).is_some_and(|v| !v.is_empty()))
        .collect();
    for expected in [
        "ci.pipeline",
        "ci.tests",
        "deployment.container",
        "observability.health-endpoints",
        "tests.suite",
        "e2e.suite",
    ] {
        assert!(
            ids.contains(&expected),
            "{expected} has no subject here: {ids:?}"
        );
    }
    let mut results: Vec<CheckResult> = ids
        .iter()
        .map(|id| {
            let def = CHECKS.iter().find(|c| c.def.id == *id).unwrap().def;
            let mut outcome = greenlight::checks::Outcome::fail("absent");
            outcome.findings.push(claimed_absence(id));
            CheckResult { def, outcome }
        })
        .collect();
    enforce(&mut results, &facts, &inventory);
    for r in &results {
        let f = &r.outcome.findings[0];
        assert_eq!(f.kind, FindingKind::Concern);
        assert_eq!(f.severity, Some(Severity::P3), "{}", r.def.id);
        assert_eq!(f.confidence, Confidence::Low, "{}", r.def.id);
        assert!(
            f.evidence.iter().any(|e| e.location().is_some()),
            "{}: no contradicting evidence cited",
            r.def.id
        );
    }
}

#[test]
fn an_absence_the_facts_do_not_contradict_stands() {
    // The poor CLI has no Dockerfile and no health route.
    let (inventory, facts) = facts_of("python-cli-poor");
    for id in ["deployment.container", "observability.health-endpoints"] {
        let def = CHECKS.iter().find(|c| c.def.id == id).unwrap().def;
        let mut outcome = greenlight::checks::Outcome::fail("absent");
        outcome.findings.push(claimed_absence(id));
        let mut results = vec![CheckResult { def, outcome }];
        enforce(&mut results, &facts, &inventory);
        assert_eq!(
            results[0].outcome.findings[0].severity,
            Some(Severity::P1),
            "{id}"
        );
    }
}

#[test]
fn through_the_whole_audit_true_absences_keep_their_weight() {
    // CI that never runs on changes, and a health route only on a test's mock server:
    // neither contradicts its claim.
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            ".github/workflows/stale.yml",
            "name: Stale\non:\n  schedule:\n    - cron: '0 0 * * *'\njobs:\n  stale:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/stale@v9\n",
        ),
        (
            "pyproject.toml",
            "[project]\nname = \"svc\"\nversion = \"1\"\ndependencies = [\"fastapi\"]\n",
        ),
        (
            "svc/app.py",
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get(\"/users\")\ndef users():\n    return []\n",
        ),
        (
            "tests/test_mock.py",
            "from fastapi import FastAPI\n\nmock = FastAPI()\n\n\n@mock.get(\"/health\")\ndef health():\n    return {}\n\n\ndef test_mock():\n    assert mock\n",
        ),
        (
            "deploy/Chart.yaml",
            "apiVersion: v2\nname: svc\nversion: 1.0.0\n",
        ),
    ]));
    let r = crate::support::audit(dir.path());
    let worst = |check: &str| {
        r.findings
            .iter()
            .filter(|f| f.is_concern() && f.check == check)
            .filter_map(|f| f.severity)
            .min()
    };
    assert_eq!(worst("ci.pipeline"), Some(Severity::P1));
    assert_eq!(worst("observability.health-endpoints"), Some(Severity::P1));
}
