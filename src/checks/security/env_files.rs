//! Judges whether environment files with values are committed.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};
use crate::repo::FileKind;

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.env-files",
        category: Category::Security,
        title: "No committed .env files",
        summary: "No `.env`-style file with values is committed (examples such as .env.example are fine; a file whose opening comments call it a template to copy, with no real-looking secret, is a P3 note, and so is one whose only credential-named values are connection strings carrying no user or password, such as `DATABASE_URL=file:../data/app.db`, or whose credentials are stock defaults or a word of their own name, such as `SECRET_KEY=key` or `POSTGRES_PASSWORD=postgres`). Values are never printed.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "`.env` files hold the credentials and connection strings of a real environment. Committed, they are readable by everyone with access to the repository and its history, and must be treated as leaked.",
        remediation: "Remove the file from the repository (`git rm --cached .env`), add `.env` to .gitignore, rotate every credential it held, and commit a `.env.example` with placeholder values instead. Purge it from history if the repository is public.",
        action: "Remove committed .env files, rotate their credentials, add .env to .gitignore",
        risk: "Credential leak",
    },
    evaluate,
};

/// Whether the comments before a file's first setting say it is a template to copy.
fn declares_template(text: &str) -> bool {
    let header: String = text
        .lines()
        .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        .take(40)
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(" ");
    [
        "this file is a template",
        "is a template for",
        "copy this file",
        "example configuration",
        "sample configuration",
    ]
    .iter()
    .any(|p| header.contains(p))
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let with_values: Vec<_> = cx
        .facts
        .env_files
        .iter()
        .filter(|f| f.keys.iter().any(|(_, _, v)| *v))
        .collect();
    if with_values.is_empty() {
        return Outcome::pass("no environment file with values committed");
    }
    let (prod, test): (Vec<&crate::analyze::EnvFile>, Vec<&crate::analyze::EnvFile>) =
        with_values.iter().partition(|f| {
            // A test run's or a development container's file (`.env.testing`,
            // `.devcontainer/backend.env`) holds throwaway values.
            !matches!(f.kind, FileKind::Test | FileKind::Fixture)
                && !f.local
                && crate::analyze::secrets::noise::context_of(&f.path)
                    == crate::analyze::secrets::noise::HitContext::None
        });
    // A file holds credentials when a credential-named variable has a value that is not a
    // placeholder, or the secret scanner found something in it.
    let scanned: Vec<&str> = cx
        .facts
        .secrets
        .files
        .iter()
        .filter(|s| !s.hits.is_empty())
        .map(|s| s.path.as_str())
        .collect();
    // A file whose opening comments call it a template to copy ("This file is a
    // template … Copy this file to .env and change the values") is one, unless the
    // secret scanner finds a real-looking secret in it.
    let declared_template = |f: &crate::analyze::EnvFile| {
        cx.inventory
            .file(&f.path)
            .and_then(|file| file.text())
            .is_some_and(declares_template)
    };
    let holds_credentials = |f: &crate::analyze::EnvFile| {
        scanned.contains(&f.path.as_str()) || (!f.credentials.is_empty() && !declared_template(f))
    };
    let (prod, templates): (Vec<&crate::analyze::EnvFile>, Vec<&crate::analyze::EnvFile>) =
        prod.into_iter().partition(|f| holds_credentials(f));
    // Credential-named variables first, then the others with values.
    let evidence_of = |f: &crate::analyze::EnvFile| -> Evidence {
        let mut names: Vec<&str> = f.credentials.iter().map(|(k, _)| k.as_str()).collect();
        for (k, _, v) in &f.keys {
            if *v && !names.contains(&k.as_str()) {
                names.push(k);
            }
        }
        names.truncate(6);
        let line = f
            .credentials
            .first()
            .map(|(_, l)| *l)
            .or_else(|| f.keys.iter().find(|(_, _, v)| *v).map(|(_, l, _)| *l))
            .unwrap_or(1);
        // Never the values: only the variable names.
        Evidence::at(
            f.path.clone(),
            line,
            &format!("sets {} (values redacted)", names.join(", ")),
        )
    };
    let mut outcome = if prod.is_empty() && templates.is_empty() {
        Outcome::partial(
            0.75,
            format!(
                "{} in tests or fixtures",
                plural(test.len(), "environment file", "environment files")
            ),
        )
    } else if prod.is_empty() {
        Outcome::partial(
            0.75,
            format!(
                "{} committed with placeholder values only",
                plural(templates.len(), "environment file", "environment files")
            ),
        )
    } else {
        Outcome::fail(format!(
            "{} committed",
            plural(prod.len(), "environment file", "environment files")
        ))
    };
    for f in &prod {
        let n = f.keys.iter().filter(|(_, _, v)| *v).count();
        outcome = outcome.concern(
            def,
            format!(
                "{} is committed with {}",
                f.path,
                plural(n, "value", "values")
            ),
            format!(
                "{} sets {} and is part of the repository; treat them as leaked.",
                f.path,
                plural(n, "variable", "variables")
            ),
            vec![evidence_of(f)],
        );
    }
    for f in &templates {
        let n = f.keys.iter().filter(|(_, _, v)| *v).count();
        outcome = outcome.concern_at(
            def,
            Severity::P3,
            format!("{} is committed with {} but no credential", f.path, plural(n, "value", "values")),
            format!(
                "{} sets {}; none of the credential-named ones holds more than a placeholder, so it reads as a template. Ship it as `.env.example` and keep real `.env` files out of the repository (.gitignore), so real values are never committed next to it.",
                f.path,
                plural(n, "variable", "variables")
            ),
            vec![evidence_of(f)],
        );
    }
    for f in &test {
        use crate::analyze::secrets::noise::{HitContext, context_of};
        let (what, message) = match context_of(&f.path) {
            HitContext::Development => (
                "development configuration",
                "An environment file for development; make sure it holds no real credentials.",
            ),
            HitContext::Example => (
                "example",
                "An example environment file; make sure it holds no real credentials.",
            ),
            _ if f.local && !matches!(f.kind, FileKind::Test | FileKind::Fixture) => (
                "services on localhost",
                "Every service it names is on the developer's machine (localhost), so it configures a local environment; make sure it holds no real credentials, and keep deployed environments' files out of the repository.",
            ),
            _ => (
                f.kind.label(),
                "An environment file in tests or fixtures; make sure it holds no real credentials.",
            ),
        };
        outcome = outcome.concern_at(
            def,
            Severity::P3,
            format!("{} ({what}) is committed with values", f.path),
            message,
            vec![evidence_of(f)],
        );
    }
    outcome
}
