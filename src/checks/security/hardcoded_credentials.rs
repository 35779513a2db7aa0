//! Judges whether Python source holds credentials or personal email addresses as
//! string literals. Values are never printed: snippets are masked.

use crate::checks::python;
use crate::checks::security::sites::{self, Site};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, mask, redact};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.hardcoded-credentials",
        category: Category::Security,
        title: "No credentials in source",
        summary: "No password, secret, API key or token is assigned a string literal that looks real (long, varied, not a placeholder such as `changeme`); email addresses of real people in code are noted at low severity. Values read from the environment are fine.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "A credential in source is shared with everyone who can read the repository, every fork and clone, and every build log and container layer that includes it; it cannot be rotated without a code change and outlives its removal in history. Email addresses in code are personal data that spread the same way.",
        remediation: "Rotate the credential first — it must be treated as leaked — then read it at run time from the environment or a secret manager (`os.environ[\"DB_PASSWORD\"]`, Vault, AWS Secrets Manager), with no default in code. Remove it from history only after rotation (`git filter-repo`). Move email addresses to configuration.",
        action: "Rotate hard-coded credentials and read them from the environment",
        risk: "Credential leak",
    },
    evaluate,
};

/// Severity of an email address in code: personal data, not a way in.
const EMAIL: Severity = Severity::P3;

/// The line with the contents of its string literals masked, unless the model's own
/// redaction already masks something on it (masking twice would hide the masked form).
fn masked(line: &str) -> String {
    if redact(line) != line {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '"' && c != '\'' {
            continue;
        }
        let mut content = String::new();
        let mut closed = false;
        let mut escaped = false;
        for d in chars.by_ref() {
            if d == c && !escaped {
                closed = true;
                break;
            }
            escaped = d == '\\' && !escaped;
            content.push(d);
        }
        out.push_str(&if content.is_empty() {
            content
        } else {
            mask(&content)
        });
        if closed {
            out.push(c);
        }
    }
    out
}

/// A name that says its value is not a real credential (`TEST_SECRET`, `DUMMY_TOKEN`).
fn declared_fake(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["test", "dummy", "fake", "example", "sample", "mock"]
        .iter()
        .any(|w| lower.contains(w))
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files: Vec<_> = python::files(cx).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Python files");
    }
    let mut found = Vec::new();
    for f in &files {
        for l in &f.py.literals {
            let site = match l.kind {
                "credential" if declared_fake(&l.name) => continue,
                "credential" => Site {
                    file: *f,
                    line: l.line,
                    severity: def.severity,
                    what: format!("Hard-coded credential `{}`", l.name),
                    message: format!(
                        "`{}` is assigned a string literal that looks like a real credential: everyone with the repository has it, and it cannot be rotated without a release. Rotate it, then read it from the environment or a secret manager.",
                        l.name
                    ),
                    evidence: Evidence::at(
                        f.path(),
                        l.line,
                        &masked(&cx.line(f.path(), l.line)),
                    ),
                },
                "email" => Site {
                    file: *f,
                    line: l.line,
                    severity: EMAIL,
                    what: "Email address in code".to_string(),
                    message: "A string literal holds an email address: personal data in code spreads to every clone and build, and changes need a release. Move it to configuration.".to_string(),
                    evidence: cx.at(f.path(), l.line),
                },
                _ => continue,
            };
            found.push(site);
        }
    }
    sites::judge(
        def,
        files.len(),
        (
            "hard-coded credential or email address",
            "hard-coded credentials or email addresses",
        ),
        found,
    )
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn masks_string_contents_the_redactor_leaves_alone() {
        assert_eq!(masked(r#"pwd = "abc123XYZ!9""#), r#"pwd = "abc1…!9""#);
        assert_eq!(
            masked(r#"    'k3y-v@lue-77', 'abc'"#),
            r#"    'k3y-…77', '****'"#
        );
        assert_eq!(masked(r#"x = "a\"bcdefghij""#), r#"x = "a\"b…ij""#);
    }

    #[test]
    fn leaves_lines_the_redactor_masks_to_it() {
        let line = r#"password = "hunter2xyz9""#;
        assert_eq!(masked(line), line);
        assert_eq!(
            crate::model::redact(line),
            r#"password = "hunt…z9""#,
            "the model masks keyed passwords"
        );
    }
}
