//! Judges whether a project with a database manages its schema with migrations.

use crate::analyze::catalog::{ArtifactKind, DetectorKind};
use crate::checks::{Check, CheckDef, Context, Outcome, Presence};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "deployment.migrations",
        category: Category::Deployment,
        title: "Schema migrations",
        summary: "Code that uses a SQL or document database manages its schema with versioned migrations (Alembic, Django, Diesel, SQLx, Prisma, golang-migrate, Flyway, …).",
        weight: 0.75,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::M,
        rationale: "A schema changed by hand, or created implicitly at start-up, drifts between environments and cannot be rolled forward or back together with the code.",
        remediation: "Adopt the migration tool of your stack, generate a baseline migration from the current schema, and run migrations as an explicit deployment step (never implicitly on every start).",
        action: "Manage the database schema with versioned migrations",
        risk: "Data integrity",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let dbs: Vec<_> = cx
        .facts
        .detections
        .iter()
        .filter(|d| (d.is(DetectorKind::Database) || d.is(DetectorKind::Orm)) && !d.used.is_empty())
        // A cache or a search index has no schema to migrate.
        .filter(|d| !d.is(DetectorKind::Caching) && !d.name.contains("Elasticsearch"))
        .collect();
    if dbs.is_empty() {
        return Outcome::not_applicable(
            "no relational or document database used in production code",
        );
    }
    let mut found: Vec<Evidence> = cx
        .facts
        .artifacts_of(ArtifactKind::Migrations)
        .flat_map(|a| a.evidence.iter().take(2).cloned())
        .collect();
    for d in cx.facts.detected(DetectorKind::Migrations) {
        if let Some(e) = d.evidence() {
            found.push(e.clone());
        }
    }
    found.truncate(5);
    let names: Vec<String> = dbs.iter().map(|d| d.display()).collect();
    let mut outcome = Presence {
        def: &CHECK.def,
        found,
        found_title: "Schema migrations managed".into(),
        missing_title: "No schema migrations".into(),
        missing_message: format!("The code uses {} but no migration tool or migration files were found.", names.join(", ")),
        looked_for: "alembic, Django migrations/, diesel/sqlx/prisma migrations, golang-migrate, goose, Flyway, Liquibase".into(),
        scope: cx.scope(),
        severity: CHECK.def.severity,
    }
    .judge();
    if let Some(f) = outcome.findings.first_mut() {
        if f.is_concern() {
            f.evidence
                .extend(dbs.iter().filter_map(|d| d.used.first().cloned()).take(3));
        }
    }
    outcome
}
