//! Judges whether secrets are committed: every credential the secret scanner found in
//! a text file (one finding per distinct secret, however many places hold it), and key
//! stores or private key files committed by name. Secrets are shown only masked.

use std::collections::BTreeMap;

use crate::analyze::secrets::{
    HitContext, MAX_HITS_PER_TEXT, MAX_MATCHES_PER_TEXT, SecretFacts, SecretHit, short_hash,
};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Confidence, Effort, Evidence, Severity, group_digits, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.secrets",
        category: Category::Security,
        title: "No secrets committed",
        summary: "No credential is committed in any text file — code, configuration, notebooks, documentation: cloud keys, API tokens (GitHub, GitLab, Slack, Stripe, OpenAI, Anthropic and 50 more shapes), private keys, database URLs with passwords, and `password`/`secret`/`token` assignments with random-looking values — nor any key store file (`.p12`, `.jks`, `id_rsa`). Secrets in tests (test directories, a top-level `integration/` suite, Rust test modules even behind another attribute, keys named for a benchmark, the literal environment of CI test jobs), docs, examples (a catalogue's `example:` field), commented-out settings and development configuration (seeds, `development.env`, a top-level `dev/` directory) are listed at lower severity; a credential-named value that is base64 for a few words (`UGFzc3dvcmQA`, `Password`) is a label. An encrypted private key is P2; a read-only Nx Cloud token (`nxCloudAccessToken`, or the `accessToken` of the Nx Cloud runner in an `nx.json`) or an error reporter's notifier key, which providers mean to be committed, is P3; a key file that only tests and test configuration name (a .NET test project by a Windows-style path included) is a test fixture, and so is a configuration or credentials file (`.cfg`, `.ini`, `.conf`, `.properties`, `.creds`) that only tests name, directly or through a constant named for tests (`TEST_AUTH_CONFIG`) that no production code uses; a key file named for `localhost` is development configuration; a generic or Google API key in an integration module (`engines/`, `plugins/`, `components/`, `providers/`…, or a package among five or more siblings that each name a third-party host, such as `vehicle/toyota/`) of software with a licence file, in a module that names the API's host, ships with every installation and is P2 (a provider's secret key there keeps its weight); a JSON Web Token signed with a demo key jwt.io publishes is P3; a value in a copy of a third-party package the repository carries (a directory the code puts on `sys.path` holding packages its requirements list) is the upstream project's and weighs as test material does; translation catalogues (`locales/de/translation.json`, `.po`) are not read by the generic rules, their values being labels. Values are never printed in full. A scan stopped by its time budget (`thresholds.secret_scan_seconds`) or by a file too dense to scan whole is unknown, never a pass.",
        weight: 2.0,
        severity: Severity::P0,
        by_kind: None,
        effort: Effort::S,
        rationale: "A committed credential is shared with everyone who can read the repository, every fork and clone, and every build log and container layer that includes it; it outlives its removal in history, so it must be treated as leaked. Live cloud, payment and source-hosting keys are used by attackers within minutes of being pushed to a public repository.",
        remediation: "Rotate the credential first — it must be treated as leaked — then read it at run time from the environment or a secret manager (Vault, AWS Secrets Manager, GitHub Actions secrets), with no default in code. Remove it from history only after rotation (`git filter-repo`). For a test fixture or documentation example, use an obviously fake value (`your-api-key`, `AKIAIOSFODNN7EXAMPLE`). A value confirmed not to be a secret can be suppressed in greenlight.toml by its fingerprint: `[[suppress]] check = \"security.secrets\"`, `fingerprint = \"…\"`, `reason = \"…\"`.",
        action: "Rotate committed secrets and read them from the environment or a secret manager",
        risk: "Credential leak",
    },
    evaluate,
};

/// Distinct secrets listed one by one; the rest are counted in the summary.
const LISTED: usize = 40;
/// Places shown per secret.
const PLACES: usize = 5;

/// One place a secret was found.
struct Place<'a> {
    path: &'a str,
    hit: &'a SecretHit,
}

/// Severity of a secret by what it is and where it sits.
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn evidence(cx: &Context<'_>, p: &Place<'_>) -> Evidence {
    let text = cx.line(p.path, p.hit.line);
    Evidence::at_masking(
        p.path,
        p.hit.line,
        &text,
        (p.hit.start as usize, p.hit.end as usize),
        &p.hit.redacted,
    )
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let facts = &cx.facts.secrets;
    // The same secret in many places is one finding.
    let mut groups: BTreeMap<&str, Vec<Place<'_>>> = BTreeMap::new();
    for f in &facts.files {
        for hit in &f.hits {
            groups
                .entry(hit.secret_hash.as_str())
                .or_default()
                .push(Place {
                    path: f.path.as_str(),
                    hit,
                });
        }
    }
    let mut groups: Vec<Vec<Place<'_>>> = groups.into_values().collect();
    for g in &mut groups {
        g.sort_by(|a, b| {
            (a.hit.severity(), a.hit.confidence, a.path, a.hit.line).cmp(&(
                b.hit.severity(),
                b.hit.confidence,
                b.path,
                b.hit.line,
            ))
        });
    }
    groups.sort_by_key(|g| {
        g.first()
            .map(|p| (p.hit.severity(), p.path.to_string(), p.hit.line))
    });
    // Secrets that first appear on the same line (an access and a refresh token in one
    // row) are one finding: one place to fix.
    let mut merged: Vec<Vec<Place<'_>>> = Vec::new();
    for g in groups {
        let at = g.first().map(|p| (p.path, p.hit.line));
        match merged
            .iter_mut()
            .find(|m| m.first().map(|p| (p.path, p.hit.line)) == at)
        {
            Some(m) => m.extend(g.into_iter().skip(1)),
            None => merged.push(g),
        }
    }
    let groups = merged;
    let with_hits: Vec<&str> = facts.files.iter().map(|f| f.path.as_str()).collect();
    let key_files: Vec<_> = facts
        .key_files
        .iter()
        .filter(|k| !with_hits.contains(&k.path.as_str()))
        .collect();
    let incomplete = incomplete(facts, cx.policy.thresholds.secret_scan_seconds);
    if groups.is_empty() && key_files.is_empty() {
        // What was not scanned may hold a secret: never a pass.
        return match incomplete {
            Some(why) => Outcome::unknown(format!("{why}; no secret in what was scanned")),
            None => Outcome::pass(format!(
                "no secret in {}",
                plural(facts.scanned, "text file", "text files")
            )),
        };
    }
    let key_severity = |c: HitContext| {
        if c == HitContext::None {
            Severity::P1
        } else {
            Severity::P3
        }
    };
    let worst = groups
        .iter()
        .filter_map(|g| g.first().map(|p| p.hit.severity()))
        .chain(key_files.iter().map(|k| key_severity(k.context)))
        .min()
        .unwrap_or(Severity::P3);
    let outside = groups
        .iter()
        .filter(|g| g.first().is_some_and(|p| p.hit.context != HitContext::None))
        .count();
    let mut summary = plural(groups.len(), "secret", "secrets");
    if outside > 0 {
        summary.push_str(&format!(
            " ({outside} in tests, docs, examples or local database defaults)"
        ));
    }
    if !key_files.is_empty() {
        summary.push_str(&format!(
            ", {}",
            plural(key_files.len(), "key file", "key files")
        ));
    }
    // A fail stands whatever was left unscanned; a milder verdict could be wrong.
    let mut outcome = match (&incomplete, worst <= Severity::P1) {
        (_, true) => Outcome::fail(summary),
        (Some(_), false) => Outcome::unknown(summary),
        (None, false) => Outcome::partial(0.75, summary),
    };
    let total = groups.len();
    for g in groups.iter().take(LISTED) {
        let Some(first) = g.first() else { continue };
        let hit = first.hit;
        let others = g.len() - 1;
        let mut title = format!("{} in {}", capitalised(hit.title), first.path);
        if hit.context != HitContext::None {
            title.push_str(&format!(" ({})", hit.context.label()));
        }
        if others > 0 {
            title.push_str(&format!(
                " and {}",
                plural(others, "other place", "other places")
            ));
        }
        let mut message = format!(
            "{} ({}) is committed at {}:{}",
            capitalised(hit.title),
            hit.redacted,
            first.path,
            hit.line
        );
        if others > 0 {
            message.push_str(&format!(
                ", and the same value in {}",
                plural(others, "other place", "other places")
            ));
        }
        message.push_str(". ");
        message.push_str(match (hit.context, hit.test_mode, hit.generic) {
            (HitContext::ClientKey, _, _) => "It is the key this integration sends to the third-party API it is written for, and the software is distributed under its licence, so every installation carries it: it is public by design, not a leaked secret of a deployment. Make sure the provider account limits the key to this client's use, and let installations configure their own.",
            (HitContext::PublicSample, _, _) => "It is signed with a key jwt.io publishes for its sample tokens, so it opens nothing by itself and anyone can mint one like it: make sure no deployment verifies tokens with that key.",
            (HitContext::Vendored, _, _) => "It is in a copy of a third-party package the repository carries, so the value is the upstream project's (often a sample in its documentation), not a credential of this deployment; confirm it opens nothing of yours, and prefer installing the package to keeping a copy.",
            (HitContext::ReadOnly, _, _) => "Its provider issues it to be committed: a read-only token every clone and CI run may use, or a notifier key that clients embed to submit error reports; it cannot read or change the account's data. Keep the service's read-write and management keys out of the repository.",
            _ if hit.encrypted => "The key is stored encrypted, so it is useless without its passphrase, which the repository does not hold; a weak passphrase can still be attacked offline, so keep the passphrase strong and out of the repository.",
            (HitContext::None, true, _) => "It is a test-mode key: it reaches no real money or data, but it gives access to the account's test environment; rotate it and read it from the environment.",
            (HitContext::None, false, false) => "Anyone with the repository can use it: treat it as leaked, rotate it, then read it from the environment or a secret manager.",
            (HitContext::None, false, true) => "A credential-named value that looks random; if it is a real credential, treat it as leaked, rotate it, and read it from the environment.",
            (HitContext::LocalService, _, _) => "The database it opens is on the same host or a private network (a Compose service, a CI service container), so this is a shipped default, not a leaked credential: make sure production overrides it from the environment and that the default cannot reach a deployed database.",
            (_, _, _) => "It sits outside production code, so it may be a dummy; confirm it is not a live credential (rotate it if it is) and prefer an obviously fake value.",
        });
        outcome = outcome
            .concern_at(
                def,
                hit.severity(),
                title,
                message,
                g.iter().take(PLACES).map(|p| evidence(cx, p)).collect(),
            )
            .confidence(hit.confidence)
            .fingerprint(hit.fingerprint.clone());
    }
    for k in &key_files {
        let mut title = format!("{} committed: {}", capitalised(k.what), k.path);
        if k.context != HitContext::None {
            title.push_str(&format!(" ({})", k.context.label()));
        }
        outcome = outcome
            .concern_at(
                def,
                key_severity(k.context),
                title,
                format!(
                    "{} is a {} by its name and content; a committed key must be treated as leaked. Rotate it, remove it from the repository and load it from a secret store at deploy time.",
                    k.path, k.what
                ),
                vec![Evidence::at(k.path.clone(), 1, "")],
            )
            .confidence(if k.context == HitContext::None {
                Confidence::Medium
            } else {
                Confidence::Low
            })
            .fingerprint(short_hash(&["key-file", &k.path]));
    }
    if total > LISTED {
        outcome
            .summary
            .push_str(&format!(" ({LISTED} listed, {} more)", total - LISTED));
    }
    if let Some(why) = incomplete {
        outcome.summary.push_str(&format!("; {why}"));
    }
    outcome
}

/// Why the scan did not read every text file to its end, in one clause; `None` when it
/// did.
fn incomplete(facts: &SecretFacts, seconds: u64) -> Option<String> {
    if facts.timed_out {
        return Some(format!(
            "incomplete: the secret scan stopped at its {seconds} s time budget after {} of {}",
            group_digits(facts.scanned),
            plural(facts.text_files, "text file", "text files")
        ));
    }
    if facts.not_read > 0 {
        return Some(format!(
            "incomplete: {} past the audit's read budget were not read",
            plural(facts.not_read, "file", "files")
        ));
    }
    let first = facts.dense.first()?;
    let more = match facts.dense.len() {
        1 => String::new(),
        n => format!(" and {}", plural(n - 1, "other", "others")),
    };
    Some(format!(
        "incomplete: {first}{more} too dense to scan whole (a file is scanned up to {} candidate matches or {} secrets)",
        group_digits(MAX_MATCHES_PER_TEXT),
        group_digits(MAX_HITS_PER_TEXT)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(context: HitContext, test_mode: bool, generic: bool) -> SecretHit {
        SecretHit {
            rule: "r",
            title: "t",
            line: 1,
            start: 0,
            end: 0,
            redacted: "****".into(),
            fingerprint: String::new(),
            secret_hash: String::new(),
            confidence: Confidence::High,
            context,
            test_mode,
            generic,
            encrypted: false,
            value: Default::default(),
        }
    }

    #[test]
    fn live_tokens_in_code_are_p0_and_fixtures_weigh_less() {
        assert_eq!(hit(HitContext::None, false, false).severity(), Severity::P0);
        assert_eq!(hit(HitContext::None, false, true).severity(), Severity::P1);
        assert_eq!(hit(HitContext::None, true, false).severity(), Severity::P2);
        assert_eq!(
            hit(HitContext::TestFixture, false, false).severity(),
            Severity::P2
        );
        assert_eq!(hit(HitContext::Docs, false, true).severity(), Severity::P3);
    }
}
