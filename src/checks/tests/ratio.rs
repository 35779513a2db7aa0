//! Judges the amount of test code against production code.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, group_digits, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "tests.ratio",
        category: Category::Tests,
        title: "Test-to-code ratio",
        summary: "Lines of test code per line of production code reach the policy minimum (default 0.3).",
        weight: 2.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::L,
        rationale: "Coverage needs the tests to run; the ratio of test code to production code is a cheap static proxy for how much of the code the tests can possibly exercise. A handful of tests against a large code base cannot cover it.",
        remediation: "Grow the test suite around the least-tested modules first; measure coverage (`greenlight audit --run-tests` when available, or pytest-cov / cargo llvm-cov / c8) to aim the effort.",
        action: "Grow the test suite around the least-tested modules",
        risk: "Functional bugs",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let t = &cx.facts.tests;
    let prod = t.production_code_lines;
    if prod == 0 {
        return Outcome::not_applicable("no production source code");
    }
    if t.test_code_lines == 0 {
        if let Some(o) = cx.not_shipped("The test suite") {
            return o;
        }
    }
    let ratio = t.test_code_lines as f64 / prod as f64;
    let min = cx.policy.thresholds.test_ratio;
    let summary = format!(
        "{} lines of test code for {} lines of production code (ratio {ratio:.2}; minimum {min})",
        group_digits(t.test_code_lines),
        group_digits(prod)
    );
    if ratio >= min || min <= 0.0 {
        return Outcome::pass(summary);
    }
    let score = (ratio / min).clamp(0.0, 1.0);
    let mut outcome = Outcome::scored(score, summary.clone());
    // Point at the largest production files: where tests would matter most.
    let mut big: Vec<_> = cx.sources().collect();
    big.sort_by(|a, b| b.lines.code.cmp(&a.lines.code).then(a.path.cmp(&b.path)));
    let evidence: Vec<Evidence> = big
        .iter()
        .take(5)
        .map(|f| {
            Evidence::at(
                f.path.clone(),
                1,
                &plural(f.lines.code, "code line", "code lines"),
            )
        })
        .collect();
    outcome = outcome.concern(
        &CHECK.def,
        "Little test code for the amount of production code",
        summary,
        evidence,
    );
    outcome
}
