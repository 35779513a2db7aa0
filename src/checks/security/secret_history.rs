//! Judges whether the git history holds secrets that were committed and removed since
//! (secrets still in HEAD are the current tree's checks' to report). Values are never
//! printed: only the scanner's masked form.

use std::collections::{BTreeMap, HashSet};

use crate::analyze::history::{History, HistoryFacts, HistoryFinding};
use crate::analyze::secrets::{MAX_HITS_PER_TEXT, MAX_MATCHES_PER_TEXT};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, group_digits, plural};
use crate::repo::FileKind;

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.secret-history",
        category: Category::Security,
        title: "No secrets in git history",
        summary: "No secret was committed and later removed: every blob reachable from HEAD is scanned once (with `--history`). Removal does not revoke a secret; anyone with a clone still has it. Values are never printed. A scan stopped by its time budget (`thresholds.history_seconds`) or another bound, or refused because the git metadata points outside the repository, is unknown, never a pass.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "Deleting a committed credential leaves it in every clone, fork and mirror of the repository, readable with `git log -p`; automated scrapers mine public histories within minutes of a push. Until rotated, a secret in history is as exposed as one in HEAD.",
        remediation: "Rotate (revoke and reissue) every credential found, first. Then, if the repository is or was shared, purge it from history (`git filter-repo --replace-text`, or BFG), force-push, and ask collaborators to re-clone. Add a secret scanner to pre-commit and CI so the next one never lands.",
        action: "Rotate the credentials found in git history, then purge them from it",
        risk: "Credential leak",
    },
    evaluate,
};

/// The command that scans the history, for outcomes that ask for it.
const ASK: &str = "greenlight audit PATH --history";

fn evaluate(cx: &Context<'_>) -> Outcome {
    match &cx.facts.history {
        None if cx.inventory.git.is_none() => {
            Outcome::not_applicable("not a git repository: there is no history to scan")
        }
        None => Outcome::unknown(format!(
            "the git history was not scanned: run `{ASK}` to scan every committed blob for secrets"
        )),
        Some(History::NotGit(why)) => Outcome::not_applicable(why.clone()),
        Some(History::Unreadable(why)) => {
            Outcome::unknown(format!("the git history could not be read: {why}"))
        }
        Some(History::Refused(why)) => {
            Outcome::unknown(format!("the git history was not scanned: {why}"))
        }
        // A scan stopped before it found HEAD (its time budget ran out while the git
        // directory was being checked) knows nothing about the commits: unknown.
        Some(History::Scanned(h)) if h.head.is_none() && h.stopped.is_none() => {
            Outcome::not_applicable("the repository has no commits yet")
        }
        Some(History::Scanned(h)) => judge(h),
    }
}

/// What was scanned, and what was not, in one clause.
fn scope(h: &HistoryFacts) -> String {
    let mut s = format!(
        "{}, {} scanned",
        plural(h.commits, "commit", "commits"),
        plural(h.blobs_scanned, "blob", "blobs")
    );
    if h.shallow {
        s.push_str(" (a shallow clone: older history is not there)");
    }
    if !h.problems.is_empty() {
        s.push_str(&format!(
            " ({} could not be read)",
            plural(h.problems.len(), "object", "objects")
        ));
    }
    s
}

/// Why the scan did not read every blob to its end, in one clause; `None` when it did.
fn incomplete(h: &HistoryFacts) -> Option<String> {
    let mut why = Vec::new();
    if let Some(stop) = &h.stopped {
        why.push(format!(
            "the history scan stopped at {stop} after {} of {}",
            group_digits(h.blobs_scanned),
            plural(h.blobs_found, "blob", "blobs")
        ));
    }
    if h.truncated > 0 {
        why.push(format!(
            "{} too dense to scan whole (a blob is scanned up to {} candidate matches or {} secrets)",
            plural(h.truncated, "blob", "blobs"),
            group_digits(MAX_MATCHES_PER_TEXT),
            group_digits(MAX_HITS_PER_TEXT)
        ));
    }
    (!why.is_empty()).then(|| format!("incomplete: {}", why.join("; ")))
}

fn judge(h: &HistoryFacts) -> Outcome {
    let def = &CHECK.def;
    // A secret HEAD still holds, anywhere, is reported on the current tree.
    let in_head: HashSet<&str> = h
        .findings
        .iter()
        .filter(|f| f.in_head)
        .map(|f| f.secret.secret_hash.as_str())
        .collect();
    // One finding per distinct secret, at its oldest appearance.
    let mut removed: BTreeMap<&str, (&HistoryFinding, usize)> = BTreeMap::new();
    for f in h
        .findings
        .iter()
        .filter(|f| !in_head.contains(f.secret.secret_hash.as_str()))
    {
        let entry = removed
            .entry(f.secret.secret_hash.as_str())
            .or_insert((f, 0));
        entry.1 += 1;
        if (f.date.as_str(), f.path.as_str()) < (entry.0.date.as_str(), entry.0.path.as_str()) {
            entry.0 = f;
        }
    }
    let incomplete = incomplete(h);
    if removed.is_empty() {
        // What was not scanned may hold a secret: never a pass.
        return match incomplete {
            Some(why) => Outcome::unknown(format!(
                "{why}; {}, no secret in what was scanned",
                scope(h)
            )),
            None => Outcome::pass(format!("{}, no secret in history", scope(h))),
        };
    }
    let mut found: Vec<(&HistoryFinding, usize)> = removed.into_values().collect();
    found.sort_by(|(a, _), (b, _)| {
        (&a.date, &a.path, a.secret.line).cmp(&(&b.date, &b.path, b.secret.line))
    });
    // Secrets found make a fail, whatever was left unscanned.
    let mut outcome = Outcome::fail(format!(
        "{} committed and removed since; {}",
        plural(found.len(), "secret", "secrets"),
        scope(h)
    ));
    if let Some(why) = incomplete {
        outcome.summary.push_str(&format!("; {why}"));
    }
    let kinds = crate::repo::kind::rules();
    for (f, places) in found {
        let short = f.commit.get(..10).unwrap_or(&f.commit);
        let day = f.date.get(..10).unwrap_or(&f.date);
        // Test data, and a dependency's copy in a vendor directory (its own test keys,
        // its sample configuration): not this project's credentials.
        let vendored = f.path.split('/').rev().skip(1).any(|d| {
            matches!(
                d,
                "vendor" | "node_modules" | "third_party" | "bower_components" | "site-packages"
            ) || d == "Godeps"
        });
        let test_data = vendored
            || matches!(
                kinds.classify(&f.path, None),
                FileKind::Test | FileKind::Fixture | FileKind::Vendored
            );
        // As on the current tree, but a removed secret is never a P0: it is no longer
        // shipped, only still valid until rotated.
        let severity = if test_data {
            Severity::P3
        } else {
            f.secret.severity.max(def.severity)
        };
        let elsewhere = if places > 1 {
            format!(" It appears in {} in all.", plural(places, "blob", "blobs"))
        } else {
            String::new()
        };
        outcome = outcome
            .concern_at(
                def,
                severity,
                format!("{} in git history: {}", f.secret.title, f.path),
                format!(
                    "{} ({}) was committed in {short} on {day} and removed since: still valid until rotated.{elsewhere}",
                    f.secret.title, f.secret.redacted
                ),
                vec![Evidence::at(
                    f.path.clone(),
                    f.secret.line,
                    &format!("{} (commit {short}, {})", f.secret.redacted, f.date),
                )],
            )
            .confidence(f.secret.confidence)
            .fingerprint(f.secret.fingerprint.clone());
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::history::HistorySecret;
    use crate::model::{Confidence, Status};

    fn finding(hash: &str, path: &str, date: &str, in_head: bool) -> HistoryFinding {
        HistoryFinding {
            secret: HistorySecret {
                rule: "aws-access-key".into(),
                title: "AWS access key".into(),
                line: 3,
                redacted: "AKIA…XY".into(),
                fingerprint: format!("fp-{hash}"),
                secret_hash: hash.into(),
                confidence: Confidence::Medium,
                severity: Severity::P0,
                value: Default::default(),
            },
            path: path.into(),
            blob: "b".repeat(40),
            commit: format!("{}{}", "c".repeat(39), &hash[..1]),
            date: date.into(),
            in_head,
        }
    }

    fn facts(findings: Vec<HistoryFinding>) -> HistoryFacts {
        HistoryFacts {
            head: Some("a".repeat(40)),
            findings,
            commits: 12,
            blobs_found: 40,
            blobs_scanned: 40,
            ..HistoryFacts::default()
        }
    }

    #[test]
    fn passes_with_counts_when_the_history_is_clean() {
        let o = judge(&facts(Vec::new()));
        assert_eq!(o.status, Status::Pass);
        assert_eq!(
            o.summary,
            "12 commits, 40 blobs scanned, no secret in history"
        );
    }

    #[test]
    fn fails_once_per_removed_secret_at_its_oldest_appearance() {
        let o = judge(&facts(vec![
            finding("1", "app/new.py", "2024-05-01T00:00:00Z", false),
            finding("1", "app/old.py", "2024-01-01T00:00:00Z", false),
            finding("2", "config.yml", "2024-03-01T00:00:00Z", false),
        ]));
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.findings.len(), 2);
        let first = &o.findings[0];
        let Evidence::At(l) = &first.evidence[0] else {
            panic!("location expected")
        };
        assert_eq!((l.path.as_str(), l.line), ("app/old.py", 3));
        assert!(l.snippet.contains("commit cccccccccc"), "{}", l.snippet);
        assert!(l.snippet.contains("2024-01-01T00:00:00Z"));
        assert!(
            first
                .message
                .contains("committed in cccccccccc on 2024-01-01")
        );
        assert!(first.message.contains("2 blobs"));
        assert_eq!(first.confidence, Confidence::Medium);
        assert_eq!(first.fingerprint.as_deref(), Some("fp-1"));
        assert_eq!(first.severity, Some(Severity::P1));
    }

    #[test]
    fn a_secret_still_in_head_is_left_to_the_current_tree_checks() {
        let o = judge(&facts(vec![
            finding("1", "old/config.py", "2024-01-01T00:00:00Z", false),
            finding("1", "config.py", "2024-02-01T00:00:00Z", true),
        ]));
        assert_eq!(o.status, Status::Pass);
    }

    #[test]
    fn secrets_in_test_data_are_low_severity() {
        let o = judge(&facts(vec![finding(
            "1",
            "tests/fixtures/keys.txt",
            "2024-01-01T00:00:00Z",
            false,
        )]));
        assert_eq!(o.findings[0].severity, Some(Severity::P3));
    }

    #[test]
    fn secrets_in_a_vendored_dependency_are_low_severity() {
        for path in [
            "vendor/github.com/lib/pq/certs/server.key",
            "Godeps/_workspace/src/github.com/lib/pq/certs/postgresql.key",
        ] {
            let o = judge(&facts(vec![finding("a", path, "2019-01-01", false)]));
            assert_eq!(
                o.findings.first().and_then(|f| f.severity),
                Some(Severity::P3),
                "{path}"
            );
        }
        // The project's own file keeps its weight.
        let o = judge(&facts(vec![finding(
            "a",
            "certs/server.key",
            "2019-01-01",
            false,
        )]));
        assert!(o.findings.first().and_then(|f| f.severity) < Some(Severity::P3));
    }

    #[test]
    fn a_shallow_scan_says_so() {
        let mut h = facts(Vec::new());
        h.shallow = true;
        let o = judge(&h);
        assert_eq!(o.status, Status::Pass);
        assert!(o.summary.contains("shallow clone"), "{}", o.summary);
    }

    #[test]
    fn a_scan_stopped_before_it_found_head_is_unknown_not_inapplicable() {
        let h = HistoryFacts {
            stopped: Some("its 0 s time budget".into()),
            ..HistoryFacts::default()
        };
        let o = judge(&h);
        assert_eq!(o.status, Status::Unknown, "{}", o.summary);
    }

    #[test]
    fn a_scan_a_budget_stopped_is_unknown_never_a_pass() {
        let mut h = facts(Vec::new());
        h.stopped = Some("its 60 s time budget".into());
        h.blobs_scanned = 10;
        let o = judge(&h);
        assert_eq!(o.status, Status::Unknown);
        assert!(
            o.summary.starts_with(
                "incomplete: the history scan stopped at its 60 s time budget after 10 of 40 blobs"
            ),
            "{}",
            o.summary
        );
        let mut h = facts(Vec::new());
        h.truncated = 2;
        let o = judge(&h);
        assert_eq!(o.status, Status::Unknown);
        assert!(o.summary.contains("2 blobs too dense"), "{}", o.summary);
    }

    #[test]
    fn secrets_found_before_a_budget_stopped_the_scan_still_fail() {
        let mut h = facts(vec![finding(
            "1",
            "app/old.py",
            "2024-01-01T00:00:00Z",
            false,
        )]);
        h.stopped = Some("its 60 s time budget".into());
        let o = judge(&h);
        assert_eq!(o.status, Status::Fail);
        assert!(o.summary.contains("incomplete: "), "{}", o.summary);
    }
}
