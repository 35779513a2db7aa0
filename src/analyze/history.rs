//! Secrets in the git history, as neutral facts: every blob reachable from HEAD is
//! scanned once (see [`crate::repo::history`]) with the secret scanner, and each secret
//! found comes back with the commit that introduced it and whether HEAD still holds
//! its blob. Only collected when the audit is asked to (`--history`), and within the
//! policy's time budget (`thresholds.history_seconds`).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::config::Policy;
use crate::model::{Confidence, Secret, Severity};
use crate::repo::history::{BlobScan, HistoryError, HistoryLimits, scan_history};

/// One secret as the scanner reports it: its masked form, and the value for the
/// redaction stage only.
#[derive(Debug, Clone)]
pub struct HistorySecret {
    /// The scanner's rule id.
    pub rule: String,
    /// What kind of secret, in words.
    pub title: String,
    /// 1-based line in the blob.
    pub line: u32,
    /// The masked form.
    pub redacted: String,
    /// Stable id of the finding, for suppressions.
    pub fingerprint: String,
    /// Hash of the secret alone: the same secret in two places has the same hash.
    pub secret_hash: String,
    pub confidence: Confidence,
    /// The severity the current-tree check would give the same hit (by rule, test-mode
    /// key, and whether the path is a test, docs or example).
    pub severity: Severity,
    /// The secret itself, for the redaction stage only.
    pub value: Secret,
}

/// A secret found in a historical blob.
#[derive(Debug, Clone)]
pub struct HistoryFinding {
    pub secret: HistorySecret,
    /// Where the blob first appeared (`/`-separated, relative to the root).
    pub path: String,
    /// The blob's object id.
    pub blob: String,
    /// The oldest commit holding the blob.
    pub commit: String,
    /// Its committer date, ISO 8601 UTC.
    pub date: String,
    /// True when HEAD's tree still holds the blob.
    pub in_head: bool,
}

/// What the history scan read and found.
#[derive(Debug, Clone, Default)]
pub struct HistoryFacts {
    /// HEAD's commit; `None` when the repository has no commits.
    pub head: Option<String>,
    pub findings: Vec<HistoryFinding>,
    pub commits: usize,
    pub blobs_found: usize,
    pub blobs_scanned: usize,
    pub bytes_scanned: u64,
    pub skipped_large: usize,
    pub skipped_binary: usize,
    pub skipped_ignored: usize,
    /// Blobs too dense to scan whole (the scanner's bound on work per text).
    pub truncated: usize,
    /// The bound that stopped the scan before the end ("its 60 s time budget").
    pub stopped: Option<String>,
    /// A shallow clone: older history is not there to scan.
    pub shallow: bool,
    /// Objects that could not be read.
    pub problems: Vec<String>,
    pub elapsed_ms: u128,
}

/// The outcome of looking at the history.
#[derive(Debug, Clone)]
pub enum History {
    /// The root is not a git repository.
    NotGit(String),
    /// The history could not be read; why.
    Unreadable(String),
    /// The history was not read: the git directory holds what must not be followed or
    /// opened (a way out of the root, a FIFO, a device, an oversized file); why.
    Refused(String),
    Scanned(HistoryFacts),
}

impl From<super::secrets::SecretHit> for HistorySecret {
    fn from(h: super::secrets::SecretHit) -> Self {
        let severity = h.severity();
        HistorySecret {
            rule: h.rule.to_string(),
            title: h.title.to_string(),
            line: h.line,
            redacted: h.redacted,
            fingerprint: h.fingerprint,
            secret_hash: h.secret_hash,
            confidence: h.confidence,
            severity,
            value: h.value,
        }
    }
}

/// The secret scanner run on each historical blob (`path`, `text`): the same engine
/// as the current tree's, stopping at the scan's deadline.
fn scan_blob(path: &str, text: &str, deadline: Option<Instant>) -> BlobScan<HistorySecret> {
    let scan = super::secrets::scan_text_until(path, text, deadline);
    BlobScan {
        hits: scan.hits.into_iter().map(HistorySecret::from).collect(),
        complete: scan.stopped.is_none(),
    }
}

/// Scans the history of `root` for secrets, within the policy's limits.
pub fn collect(root: &Path, policy: &Policy) -> History {
    collect_scanning(root, policy, scan_blob)
}

/// [`collect`] with another scanner, which is taken to scan each blob whole.
pub fn collect_with(
    root: &Path,
    policy: &Policy,
    scan: impl Fn(&str, &str) -> Vec<HistorySecret> + Sync,
) -> History {
    collect_scanning(root, policy, |path, text, _| scan(path, text).into())
}

fn collect_scanning(
    root: &Path,
    policy: &Policy,
    scan: impl Fn(&str, &str, Option<Instant>) -> BlobScan<HistorySecret> + Sync,
) -> History {
    let limits = HistoryLimits {
        max_file_bytes: policy.thresholds.max_file_bytes,
        ignore: policy.ignore_set.clone(),
        time_budget: Some(Duration::from_secs(policy.thresholds.history_seconds)),
        ..HistoryLimits::default()
    };
    match scan_history(root, &limits, scan) {
        Ok(s) => History::Scanned(HistoryFacts {
            head: s.head,
            findings: s
                .hits
                .into_iter()
                .map(|h| HistoryFinding {
                    secret: h.hit,
                    path: h.path,
                    blob: h.blob,
                    commit: h.commit,
                    date: h.date,
                    in_head: h.in_head,
                })
                .collect(),
            commits: s.commits,
            blobs_found: s.blobs_found,
            blobs_scanned: s.blobs_scanned,
            bytes_scanned: s.bytes_scanned,
            skipped_large: s.skipped_large,
            skipped_binary: s.skipped_binary,
            skipped_ignored: s.skipped_ignored,
            truncated: s.truncated,
            stopped: s.stopped.map(|stop| stop.describe()),
            shallow: s.shallow,
            problems: s.problems,
            elapsed_ms: s.elapsed.as_millis(),
        }),
        Err(e @ HistoryError::NotGit(_)) => History::NotGit(e.to_string()),
        Err(HistoryError::Refused(why)) => History::Refused(why),
        Err(e) => History::Unreadable(e.to_string()),
    }
}
