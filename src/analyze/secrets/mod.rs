//! The secret scanner: [`scan_text`] finds credentials in one file's text with the
//! rules of `catalog/secrets.toml`, weeds out look-alikes with [`noise`], and returns
//! [`SecretHit`]s that show the secret only masked, with a per-place fingerprint and a
//! hash of the value; the value itself is kept as a [`Secret`] (never printed or
//! serialized) for the redaction stage ([`redactor`]). It is pure (no I/O) so that any
//! text, such as a blob from history, can be scanned with the same rules. Its work is bounded per text
//! (matches examined, secrets kept) and by an optional deadline, and it says when a
//! bound stopped it. [`scan`] runs it over every text file of the inventory within the
//! policy's time budget and adds committed key stores found by name.

pub mod noise;
pub mod redactor;
pub mod rules;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::{Confidence, Secret, Severity, mask};
use crate::repo::{FileKind, Inventory, RepoFile};
pub use noise::HitContext;
use rules::{Anchor, Rule, rules};

/// One secret found in a text. The value is kept only for the redaction stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretHit {
    /// Catalog rule id (`github-pat`).
    pub rule: &'static str,
    /// What the secret is (`GitHub personal access token`).
    pub title: &'static str,
    /// 1-based line.
    pub line: u32,
    /// Byte range of the secret within that line (clipped to the line), so a snippet
    /// can show the line with the secret masked; empty when the secret starts on a
    /// later line (a PEM body under its header).
    pub start: u32,
    pub end: u32,
    /// First four and last two characters, or `****` for eight characters or fewer.
    pub redacted: String,
    /// Hex of SHA-256 over rule, path and secret, truncated: names this secret at this
    /// place across runs and platforms.
    pub fingerprint: String,
    /// Hex of SHA-256 over the secret alone, truncated: the same value elsewhere has the
    /// same hash.
    pub secret_hash: String,
    pub confidence: Confidence,
    /// Where it sits, when that makes it less likely to be live.
    pub context: HitContext,
    /// A provider's test-mode key.
    pub test_mode: bool,
    /// Found by a keyword = value rule rather than by a token's own shape.
    pub generic: bool,
    /// A private key stored encrypted (`BEGIN ENCRYPTED … PRIVATE KEY`,
    /// `Proc-Type: 4,ENCRYPTED`): useless without a passphrase kept elsewhere.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub encrypted: bool,
    /// The secret itself, for the redaction stage; never serialized or printed.
    #[serde(skip)]
    pub value: Secret,
}

impl SecretHit {
    /// The severity of the hit: live tokens in production code first, generic matches
    /// and test-mode keys next, anything in tests, docs or examples last.
    pub fn severity(&self) -> Severity {
        match (self.context, self.test_mode, self.generic) {
            (HitContext::None, _, _) if self.encrypted => Severity::P2,
            (HitContext::ClientKey, _, _) => Severity::P2,
            (HitContext::PublicSample, _, _) => Severity::P3,
            (_, _, _) if self.encrypted => Severity::P3,
            (HitContext::None, false, false) => Severity::P0,
            (HitContext::None, false, true) => Severity::P1,
            (HitContext::None, true, _) => Severity::P2,
            (_, false, false) => Severity::P2,
            _ => Severity::P3,
        }
    }

    /// The hit placed in `context` (from what the file is, when its path alone does
    /// not say), with its confidence lowered to match.
    pub fn in_context(mut self, context: HitContext) -> SecretHit {
        if self.context == HitContext::None && context != HitContext::None {
            self.context = context;
            self.confidence = weigh(self.confidence, context);
        }
        self
    }
}

/// Hex digits kept of a SHA-256.
const HASH_HEX: usize = 16;

/// Hex of SHA-256 over `parts` (NUL-separated), truncated to 16 digits: the fingerprint
/// scheme, fixed so fingerprints match across runs and platforms.
pub fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0u8]);
        }
        h.update(p.as_bytes());
    }
    let digest = h.finalize();
    digest
        .iter()
        .take(HASH_HEX / 2)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Confidence lowered for a secret outside ordinary code.
fn weigh(c: Confidence, context: HitContext) -> Confidence {
    match (context, c) {
        (HitContext::None, c) => c,
        (_, Confidence::High) => Confidence::Medium,
        (_, _) => Confidence::Low,
    }
}

/// The part of a secret that placeholder words are looked for in: without the rule's
/// own prefix (`sk_test_`, `ghp_`), which is not the value.
fn body<'a>(rule: &Rule, secret: &'a str) -> &'a str {
    let lower = secret.to_ascii_lowercase();
    let strip = rule
        .keywords
        .iter()
        .filter(|k| lower.starts_with(k.as_str()) && lower.len() > k.len())
        .map(String::len)
        .max()
        .unwrap_or(0);
    secret.get(strip..).unwrap_or(secret)
}

/// Whether a matched value is a secret, per the rule and the false-positive layer.
fn accepted(rule: &Rule, secret: &str, name: Option<&str>) -> bool {
    if rule.allowlist.iter().any(|a| a.is_match(secret)) {
        return false;
    }
    if rule
        .entropy
        .is_some_and(|floor| noise::entropy(secret) < floor)
    {
        return false;
    }
    if noise::is_placeholder(body(rule, secret)) {
        return false;
    }
    if rule.generic {
        if noise::is_public_key(secret) {
            return false;
        }
        if !noise::looks_random(secret)
            || noise::is_reference(secret)
            || noise::encoded_words(secret)
        {
            return false;
        }
        if name.is_some_and(noise::non_secret_name) {
            return false;
        }
        // `MauUsageWithM2MTokens = 'mauUsageWithM2MTokens'`: an enum member whose
        // value is its own name is an identifier.
        let squash = |s: &str| -> String {
            s.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        // So is a flag's name spelled as its constant's (`StorageS3SecretKeyFlag =
        // "storage-s3-secret-key"`): one holds the other's words.
        if name.is_some_and(|n| {
            let (n, v) = (squash(n), squash(secret));
            n == v || (v.len() >= 8 && n.contains(&v)) || (n.len() >= 8 && v.contains(&n))
        }) {
            return false;
        }
    }
    true
}

struct Candidate {
    rule: usize,
    /// Byte range of the secret in the text.
    start: usize,
    end: usize,
    /// Byte offset that decides the reported line.
    anchor: usize,
}

/// Most regex matches examined in one text. Real files hold a handful; a text dense
/// with keyword look-alikes (generated, or built to stall the audit) would otherwise cost
/// seconds and hundreds of megabytes each. Past it the text's scan stops and says so.
pub const MAX_MATCHES_PER_TEXT: usize = 10_000;
/// Most secrets kept from one text: what the checks can show is far less.
pub const MAX_HITS_PER_TEXT: usize = 1_000;
/// Regex matches examined between two looks at the clock.
const CLOCK_EVERY: usize = 64;

/// Why the scan of a text, or of the tree, stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Stop {
    /// The text held more than [`MAX_MATCHES_PER_TEXT`] matches or
    /// [`MAX_HITS_PER_TEXT`] secrets.
    Matches,
    /// The time budget ran out.
    Time,
}

/// What scanning one text gave.
#[derive(Debug, Clone, Default)]
pub struct TextScan {
    pub hits: Vec<SecretHit>,
    /// Set when the scan stopped before the end of the text; `hits` are then those
    /// found until it stopped.
    pub stopped: Option<Stop>,
}

/// True once `deadline` has passed.
pub fn past(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

/// Finds the secrets in one file's text. `path` (relative, `/`-separated) names the
/// file in fingerprints and places it in tests, docs or examples; nothing is read.
/// Within the per-text bounds and without a time limit: see [`scan_text_until`].
pub fn scan_text(path: &str, text: &str) -> Vec<SecretHit> {
    scan_text_until(path, text, None).hits
}

/// Byte ranges of the secrets the catalog finds in any text (a report's string, a
/// test's output), by the same rules, bounds and false-positive layer as
/// [`scan_text`].
pub fn spans(text: &str) -> Vec<(usize, usize)> {
    let profile = noise::FileProfile::of("", text);
    candidates(rules(), text, profile, None)
        .0
        .into_iter()
        .map(|c| (c.start, c.end))
        .collect()
}

/// The secrets in `text` as candidates: the rules whose keywords occur, their matches
/// accepted by the false-positive layer, one per secret (a token's own rule before a
/// generic one, then the earliest and longest match); and why the scan stopped early,
/// when it did.
fn candidates(
    cat: &rules::Rules,
    text: &str,
    profile: noise::FileProfile,
    deadline: Option<Instant>,
) -> (Vec<Candidate>, Option<Stop>) {
    let Some(ac) = &cat.keywords else {
        return (Vec::new(), None);
    };
    let mut wanted = vec![false; cat.rules.len()];
    let mut any = false;
    for m in ac.find_overlapping_iter(text) {
        if let Some(w) = cat
            .rule_of_keyword
            .get(m.pattern().as_usize())
            .and_then(|&r| wanted.get_mut(r))
        {
            *w = true;
            any = true;
        }
    }
    if !any {
        return (Vec::new(), None);
    }
    let mut found: Vec<Candidate> = Vec::new();
    let mut examined = 0usize;
    let mut stopped = None;
    'rules: for (index, rule) in cat.rules.iter().enumerate() {
        if !wanted.get(index).copied().unwrap_or(false)
            || (rule.generic && profile.structured_only())
        {
            continue;
        }
        if past(deadline) {
            stopped = Some(Stop::Time);
            break;
        }
        for caps in rule.regex.captures_iter(text) {
            examined += 1;
            if examined > MAX_MATCHES_PER_TEXT {
                stopped = Some(Stop::Matches);
                break 'rules;
            }
            if examined % CLOCK_EVERY == 0 && past(deadline) {
                stopped = Some(Stop::Time);
                break 'rules;
            }
            let secret = match rule.secret_group {
                Some(g) => caps.get(g),
                None => caps.iter().skip(1).flatten().next(),
            };
            let Some(secret) = secret else { continue };
            let name = caps.name("name").map(|m| m.as_str());
            // Credentials in a URL to a documentation host are an illustration.
            if caps
                .name("host")
                .is_some_and(|h| noise::is_documentation_host(h.as_str()))
            {
                continue;
            }
            if !accepted(rule, secret.as_str(), name) {
                continue;
            }
            // In program source a generic value without quotes is an expression
            // (`this.secret = sharedSecretB16`), not a literal.
            if rule.generic
                && rule.id.starts_with("generic-")
                && profile.code
                && !text
                    .get(..secret.start())
                    .and_then(|b| b.chars().next_back())
                    .is_some_and(|c| matches!(c, '"' | '\'' | '`'))
            {
                continue;
            }
            let anchor = match rule.anchor {
                Anchor::Secret => secret.start(),
                Anchor::Match => caps.get(0).map_or(secret.start(), |m| m.start()),
            };
            found.push(Candidate {
                rule: index,
                start: secret.start(),
                end: secret.end(),
                anchor,
            });
        }
    }
    // One hit per secret: a token's own rule before a generic one, then the earliest
    // and longest match.
    found.sort_by_key(|c| {
        let generic = cat.rules.get(c.rule).is_some_and(|r| r.generic);
        (generic, c.start, std::cmp::Reverse(c.end))
    });
    let mut kept: Vec<Candidate> = Vec::new();
    for c in found {
        if !kept.iter().any(|k| c.start < k.end && k.start < c.end) {
            kept.push(c);
        }
    }
    (kept, stopped)
}

/// [`scan_text`], stopping at `deadline`, and saying whether it stopped early.
pub fn scan_text_until(path: &str, text: &str, deadline: Option<Instant>) -> TextScan {
    let cat = rules();
    let profile = noise::FileProfile::of(path, text);
    let (mut kept, mut stopped) = candidates(cat, text, profile, deadline);
    if kept.is_empty() {
        return TextScan {
            hits: Vec::new(),
            stopped,
        };
    }
    kept.sort_by_key(|c| (c.anchor, c.rule));
    if kept.len() > MAX_HITS_PER_TEXT {
        kept.truncate(MAX_HITS_PER_TEXT);
        stopped = stopped.or(Some(Stop::Matches));
    }
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect();
    // Where the lines that open or close a Markdown code fence start, in order.
    let fences: Vec<usize> = if text.contains("```") {
        line_starts
            .iter()
            .copied()
            .filter(|&at| {
                text.get(at..)
                    .is_some_and(|rest| rest.trim_start_matches([' ', '\t']).starts_with("```"))
            })
            .collect()
    } else {
        Vec::new()
    };
    let path_context = noise::context_of(path);
    let test_ranges = if path.ends_with(".rs") {
        noise::rust_test_ranges(text)
    } else {
        Vec::new()
    };
    let ci_config = crate::repo::kind::is_ci_config(path) || noise::ci_material(path);
    let hits = kept
        .into_iter()
        .filter_map(|c| {
            let rule = cat.rules.get(c.rule)?;
            let secret = text.get(c.start..c.end)?;
            // A Firebase app's Google API key is compiled into the app it configures.
            if rule.id == "gcp-api-key" && noise::is_firebase_client_config(path) {
                return None;
            }
            // A certificate's body under a private-key label (a form's placeholder
            // copied from the certificate above it) holds no key.
            if rule.id == "private-key" && noise::certificate_body(secret) {
                return None;
            }
            let line_index = line_starts
                .partition_point(|&s| s <= c.anchor)
                .saturating_sub(1);
            let line_start = line_starts.get(line_index).copied().unwrap_or(0);
            let line_end = line_starts
                .get(line_index + 1)
                .map_or(text.len(), |&s| s.saturating_sub(1));
            // `user:pass@db:5432`: the host follows the password's `@`.
            // `user:pass@db:5432`: the host follows the password's `@`. A loopback
            // host, or a private network name with a hand-typed default (`umami:umami`),
            // is a local database's default; a random password to a cluster service
            // name is a real credential.
            let host = text
                .get(c.end..)
                .and_then(|r| r.strip_prefix('@'))
                .map(|r| {
                    r.split(|ch: char| {
                        !(ch.is_alphanumeric() || ch == '.' || ch == '-' || ch == '_')
                    })
                    .next()
                    .unwrap_or("")
                });
            let local = rule.id == "database-url-password"
                && host.is_some_and(|h| {
                    noise::is_loopback(h)
                        || (noise::is_local_host(h) && !noise::looks_random(secret))
                });
            let line_text = text.get(line_start..line_end).unwrap_or("").trim_start();
            let context = if path_context != HitContext::None {
                path_context
            } else if noise::is_placeholder_attribute(line_text, secret)
                || noise::example_field(line_text)
            {
                // `<Input placeholder="6660491268:AAF…" />`: text shown in an empty
                // field, an example of the format.
                HitContext::Example
            } else if test_ranges
                .iter()
                .any(|&(from, to)| c.start > from && c.start < to)
                || (ci_config && rule.generic)
            {
                // A Rust test module; the literal environment of CI's own test runs.
                HitContext::TestFixture
            } else if !profile.code && line_text.starts_with(['#', ';']) {
                // A commented-out setting in a configuration file documents the key.
                HitContext::Example
            } else if local {
                HitContext::LocalService
            } else if noise::read_only_by_design(path, line_text, secret)
                || (rule.generic && {
                    let above = line_starts
                        .get(line_index.saturating_sub(3))
                        .copied()
                        .unwrap_or(0);
                    noise::notifier_key(text.get(above..line_end).unwrap_or(""), line_text)
                })
            {
                HitContext::ReadOnly
            } else if generic_and_disowned(rule.generic, text, line_start)
                || noise::disowned_above(text, line_start)
            {
                // The line above says it is not a secret, or the comment over the
                // statement holding it says it holds no real token.
                HitContext::Disowned
            } else if noise::detector_vector(text, secret) {
                HitContext::TestFixture
            } else if rule.generic
                && noise::documented_example(
                    text.get(c.start.saturating_sub(80).max(line_start)..c.start)
                        .unwrap_or(""),
                )
            {
                // Documentation text that shows the format ("Include the API key … for
                // instance: ```bash -H 'Authorization: Bearer …'").
                HitContext::Example
            } else if rule.generic && noise::introduced_as_sample(text, line_start) {
                // Prose over the value's block says it is a sample ("Sample
                // response", "Example of an OAuth response").
                HitContext::Example
            } else if rule.generic && fences.partition_point(|&at| at < line_start) % 2 == 1 {
                // A Markdown code block inside documentation text of another file (a
                // settings schema's `details: |` "Example: ```python …").
                HitContext::Example
            } else if rule.generic && {
                let above = line_starts
                    .get(line_index.saturating_sub(80))
                    .copied()
                    .unwrap_or(0);
                noise::in_demo_function(text.get(above..line_start).unwrap_or(""))
            } {
                // `func createDemoProject(…)`: the credentials of sample data the
                // product sets up for a first look.
                HitContext::Example
            } else if rule.id == "jwt" && noise::jwt_published_key(secret).is_some() {
                // jwt.io's sample token: anyone can mint it with the published key.
                HitContext::PublicSample
            } else if rule.id == "jwt" && noise::jwt_for_local_server(secret) {
                // A token a local installation issued for itself.
                HitContext::Development
            } else {
                path_context
            };
            let (start, end) = if c.start >= line_start && c.start < line_end {
                (c.start - line_start, c.end.min(line_end) - line_start)
            } else {
                (0, 0)
            };
            Some(SecretHit {
                rule: rule.id,
                title: rule.title,
                line: u32::try_from(line_index + 1).unwrap_or(u32::MAX),
                start: u32::try_from(start).unwrap_or(0),
                end: u32::try_from(end).unwrap_or(0),
                redacted: mask(secret.trim()),
                fingerprint: short_hash(&[rule.id, path, secret]),
                secret_hash: short_hash(&[secret]),
                confidence: weigh(rule.confidence, context),
                context,
                test_mode: rule.test_mode,
                generic: rule.generic,
                encrypted: rule.id == "private-key"
                    && text
                        .get(line_start..c.end)
                        .is_some_and(|k| k.contains("ENCRYPTED")),
                value: Secret::new(secret),
            })
        })
        .collect();
    TextScan { hits, stopped }
}

/// The secrets found in one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileSecrets {
    pub path: String,
    pub kind: FileKind,
    pub hits: Vec<SecretHit>,
}

/// A committed key store or private key file, known by its name (binary stores cannot
/// be read as text).
#[derive(Debug, Clone, Serialize)]
pub struct KeyFile {
    pub path: String,
    pub kind: FileKind,
    /// "PKCS#12 key store", "Java key store", "private key".
    pub what: &'static str,
    pub context: HitContext,
}

/// What the secret scan found across the repository.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SecretFacts {
    pub files: Vec<FileSecrets>,
    pub key_files: Vec<KeyFile>,
    /// Text files scanned to their end.
    pub scanned: usize,
    /// Text files in all.
    pub text_files: usize,
    /// Text files whose scan stopped at the per-file bound on matches, sorted.
    pub dense: Vec<String>,
    /// The time budget stopped the scan: text files not scanned, or not to their end.
    pub timed_out: bool,
    /// Files the walk never read because the audit's read budget was spent: they may
    /// hold anything.
    pub not_read: usize,
}

impl SecretFacts {
    /// True when some text was not scanned to its end.
    pub fn incomplete(&self) -> bool {
        self.timed_out || !self.dense.is_empty() || self.not_read > 0
    }
}

/// Context implied by what the inventory says a file is.
fn kind_context(kind: FileKind) -> HitContext {
    match kind {
        FileKind::Test => HitContext::TestFixture,
        FileKind::Fixture => HitContext::Example,
        FileKind::Docs => HitContext::Docs,
        FileKind::Vendored => HitContext::Vendored,
        _ => HitContext::None,
    }
}

/// A key store or private key file by its name: binary stores, or key-named text that
/// holds a private key (a `.pem` with only certificates is not one).
pub fn key_file(path: &str, text: Option<&str>) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let by_ext = match ext {
        "p12" | "pfx" => Some("PKCS#12 key store"),
        "jks" | "keystore" | "bks" => Some("Java key store"),
        "ppk" => Some("PuTTY private key"),
        "pem" | "key" => Some("private key"),
        _ => None,
    };
    let ssh = ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"].contains(&name.as_str());
    let what = match (by_ext, ssh) {
        (Some(w), _) => w,
        (None, true) => "SSH private key",
        (None, false) => return None,
    };
    match text {
        // Unreadable as text: a binary store is a key by its name alone; a PEM or
        // SSH key in DER form too.
        None => Some(what),
        Some(t) => {
            let private = t.contains("PRIVATE KEY") || t.contains("PuTTY-User-Key-File");
            private.then_some(what)
        }
    }
}

/// How far one file's scan went.
enum FileScan {
    /// Scanned; the stop, if it ended early.
    Done(Option<FileSecrets>, Option<Stop>),
    /// Not text, or not reached within the time budget.
    Skipped { text: bool },
}

/// Runs [`scan_text`] over every text file of the inventory, in parallel, within
/// `budget` of time in all, and finds key files by name.
pub fn scan(inventory: &Inventory, budget: Duration) -> SecretFacts {
    // No deadline when the budget is beyond what the clock can represent.
    let deadline = Instant::now().checked_add(budget);
    let out_of_time = AtomicBool::new(false);
    let per_file = |f: &RepoFile| -> FileScan {
        let Some(text) = f.text() else {
            return FileScan::Skipped { text: false };
        };
        if out_of_time.load(Ordering::Relaxed) || past(deadline) {
            out_of_time.store(true, Ordering::Relaxed);
            return FileScan::Skipped { text: true };
        }
        let context = kind_context(f.kind);
        let scan = scan_text_until(&f.path, text, deadline);
        if scan.stopped == Some(Stop::Time) {
            out_of_time.store(true, Ordering::Relaxed);
        }
        let hits: Vec<SecretHit> = scan
            .hits
            .into_iter()
            .map(|h| h.in_context(context))
            .collect();
        let found = (!hits.is_empty()).then(|| FileSecrets {
            path: f.path.clone(),
            kind: f.kind,
            hits,
        });
        FileScan::Done(found, scan.stopped)
    };
    let outcomes: Vec<FileScan> = inventory.files.par_iter().map(per_file).collect();
    let mut facts = SecretFacts::default();
    for (file, outcome) in inventory.files.iter().zip(outcomes) {
        match outcome {
            FileScan::Done(found, stopped) => {
                facts.text_files += 1;
                match stopped {
                    None => facts.scanned += 1,
                    Some(Stop::Matches) => facts.dense.push(file.path.clone()),
                    Some(Stop::Time) => {}
                }
                facts.files.extend(found);
            }
            FileScan::Skipped { text } => facts.text_files += usize::from(text),
        }
    }
    facts.timed_out = out_of_time.load(Ordering::Relaxed);
    facts.not_read = inventory
        .files
        .iter()
        .filter(|f| matches!(f.content, crate::repo::Content::OverBudget))
        .count();
    // A key file only tests use: its path is named by test configuration and by no
    // production file outside comments.
    // A generic or Google API key in an integration module that names the API's host,
    // in software a licence distributes: shipped to every installation.
    let distributed = inventory.files.iter().any(|f| {
        !f.path.contains('/') && {
            let upper = f.path.to_ascii_uppercase();
            upper.starts_with("LICENSE")
                || upper.starts_with("LICENCE")
                || upper.starts_with("COPYING")
        }
    });
    if distributed {
        // Per directory: whether one of its source files names a third-party host.
        let mut package_names_host: std::collections::HashMap<String, bool> =
            std::collections::HashMap::new();
        // Per directory: whether it is a collection of clients of third-party APIs.
        let mut collections: std::collections::HashMap<String, bool> =
            std::collections::HashMap::new();
        for found in &mut facts.files {
            let Some(text) = inventory.file(&found.path).and_then(|f| f.text()) else {
                continue;
            };
            // The module, or its package (a driver's `util.go` beside its
            // `driver.go`), names the service it talks to.
            let module = (integration_module(&found.path)
                || (client_source(&found.path)
                    && integration_collection(inventory, &found.path, &mut collections)))
                && (names_external_api(text) || {
                    let dir = found.path.rsplit_once('/').map_or("", |(d, _)| d);
                    *package_names_host
                        .entry(dir.to_string())
                        .or_insert_with(|| {
                            inventory
                                .files
                                .iter()
                                .filter(|f| f.dir() == dir && client_source(&f.path))
                                .take(32)
                                .filter_map(|f| f.text())
                                .any(names_external_api)
                        })
                });
            let source = client_source(&found.path);
            let lines: Vec<&str> = if source {
                text.lines().collect()
            } else {
                Vec::new()
            };
            for h in &mut found.hits {
                // The key handed to a client together with the third-party host it
                // calls (`super('https://api.themoviedb.org/3', { api_key: '…' })`).
                let beside_host = || {
                    let at = usize::try_from(h.line)
                        .unwrap_or(usize::MAX)
                        .saturating_sub(1);
                    let from = at.saturating_sub(6);
                    lines.get(from..lines.len().min(at + 7)).is_some_and(|w| {
                        w.iter().any(|l| {
                            let t = l.trim_start();
                            // A URL in a string the code passes, not a link in a
                            // comment or a licence header.
                            !["#", "//", "*", "/*", "--"]
                                .iter()
                                .any(|c| t.starts_with(c))
                                && ["'http", "\"http", "`http"].iter().any(|q| l.contains(q))
                                && names_external_api(l)
                        })
                    })
                };
                if h.context == HitContext::None
                    && !h.test_mode
                    && (h.generic || h.rule == "gcp-api-key")
                    && (module || beside_host())
                {
                    h.context = HitContext::ClientKey;
                    h.confidence = weigh(h.confidence, HitContext::ClientKey);
                }
            }
        }
    }
    // A file whose opening comments reserve it for development or tests, or a
    // configuration that turns on the application's development mode, holds a
    // developer's values.
    for found in &mut facts.files {
        if !found.hits.iter().any(|h| h.context == HitContext::None) {
            continue;
        }
        let developer = inventory
            .file(&found.path)
            .and_then(|f| f.text())
            .is_some_and(|t| {
                crate::repo::kind::marked_not_for_production(t)
                    || crate::repo::kind::enables_dev_mode(&found.path, t)
            });
        if developer {
            let hits = std::mem::take(&mut found.hits);
            found.hits = hits
                .into_iter()
                .map(|h| h.in_context(HitContext::Development))
                .collect();
        }
    }
    // Whether only tests name a key, asked of the first keys only: each question
    // reads the repository's text once. Answers are kept for the second use.
    let asked = std::cell::RefCell::new(std::collections::HashMap::<String, bool>::new());
    let tests_only = |path: &str| -> bool {
        if let Some(&known) = asked.borrow().get(path) {
            return known;
        }
        let answer = asked.borrow().len() < MAX_KEYS_TRACED && used_only_by_tests(inventory, path);
        asked.borrow_mut().insert(path.to_string(), answer);
        answer
    };
    // A key named for `localhost` serves a developer's HTTPS on their own machine.
    for found in &mut facts.files {
        if key_file(&found.path, Some("PRIVATE KEY")).is_none()
            || !found.hits.iter().any(|h| h.context == HitContext::None)
        {
            continue;
        }
        let context = if tests_only(&found.path)
            || noise::paired_with_test_certificate(inventory, &found.path)
        {
            HitContext::TestFixture
        } else if localhost_key(&found.path) {
            HitContext::Development
        } else {
            continue;
        };
        let hits = std::mem::take(&mut found.hits);
        found.hits = hits.into_iter().map(|h| h.in_context(context)).collect();
    }
    // A configuration file holding a secret, that only tests name (directly, or
    // through a constant named for tests): a test fixture, like a key only tests use.
    for found in &mut facts.files {
        if !CONFIG_DATA.iter().any(|e| found.path.ends_with(e))
            || !found.hits.iter().any(|h| h.context == HitContext::None)
            || !tests_only(&found.path)
        {
            continue;
        }
        let hits = std::mem::take(&mut found.hits);
        found.hits = hits
            .into_iter()
            .map(|h| {
                if h.context == HitContext::None {
                    h.in_context(HitContext::TestFixture)
                } else {
                    h
                }
            })
            .collect();
    }
    facts.key_files = inventory
        .files
        .iter()
        .filter_map(|f| {
            let what = key_file(&f.path, f.text())?;
            let context = match noise::context_of(&f.path) {
                HitContext::None
                    if tests_only(&f.path)
                        || noise::paired_with_test_certificate(inventory, &f.path) =>
                {
                    HitContext::TestFixture
                }
                HitContext::None if localhost_key(&f.path) => HitContext::Development,
                HitContext::None => kind_context(f.kind),
                c => c,
            };
            Some(KeyFile {
                path: f.path.clone(),
                kind: f.kind,
                what,
                context,
            })
        })
        .collect();
    facts
}

/// Directories that hold one module per third-party service the software talks to.
const INTEGRATION_DIRS: &[&str] = &[
    "engines",
    "plugins",
    "components",
    "providers",
    "integrations",
    "connectors",
    "extensions",
    "addons",
    "drivers",
];

/// The directory whose entries would be the sibling clients of the file at `path`:
/// its package's parent (`vehicle` for `vehicle/toyota/api.go`).
fn collection_of(path: &str) -> String {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    dir.rsplit_once('/').map_or("", |(d, _)| d).to_string()
}

/// Whether the file at `path` is one client among many: its directory, or its
/// directory's parent, holds at least [`COLLECTION_MIN`] entries (a package, or a
/// flat module) whose code names a third-party host of its own, each a different one
/// (`vehicle/` holding `toyota/`, `bmw.go`, `tesla/`…), under whatever name the project
/// gives it. A directory that holds a program's code (`src/`, `internal/`) is no such
/// collection; an entry with a manifest of its own is a project of a monorepo, not a
/// client. Answers are kept per directory in `known`.
fn integration_collection(
    inventory: &crate::repo::Inventory,
    path: &str,
    known: &mut std::collections::HashMap<String, bool>,
) -> bool {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    let parent = collection_of(path);
    [dir, parent]
        .into_iter()
        .filter(|d| {
            let last = d.rsplit('/').next().unwrap_or(d);
            !d.is_empty() && !CODE_ROOTS.contains(&last)
        })
        .any(|d| {
            *known
                .entry(d.clone())
                .or_insert_with(|| clients_under(inventory, &d))
        })
}

/// Directory names that hold a program's code, not a family of clients.
const CODE_ROOTS: &[&str] = &[
    "src",
    "lib",
    "app",
    "apps",
    "internal",
    "pkg",
    "cmd",
    "packages",
    "services",
    "modules",
    "components",
    "pages",
    "utils",
    "api",
    "server",
    "client",
    "web",
    "frontend",
    "backend",
    "core",
    "common",
    "shared",
];

/// Whether at least [`COLLECTION_MIN`] entries of `dir` (a package, or a flat module)
/// name a third-party host of their own, each a different one, on a line of code.
fn clients_under(inventory: &crate::repo::Inventory, dir: &str) -> bool {
    let prefix = format!("{dir}/");
    let start = inventory
        .files
        .partition_point(|f| f.path.as_str() < prefix.as_str());
    let mut entries: std::collections::HashMap<&str, Option<String>> =
        std::collections::HashMap::new();
    for f in inventory
        .files
        .iter()
        .skip(start)
        .take_while(|f| f.path.starts_with(&prefix))
        .filter(|f| client_source(&f.path))
        .take(COLLECTION_FILES)
    {
        let rest = f.path.get(prefix.len()..).unwrap_or("");
        let entry = rest.split('/').next().unwrap_or(rest);
        let entry = entry.split('.').next().unwrap_or(entry);
        if rest.contains('/')
            && PROJECT_MANIFESTS
                .iter()
                .any(|m| inventory.file(&format!("{prefix}{entry}/{m}")).is_some())
        {
            continue;
        }
        let host = entries.entry(entry).or_insert(None);
        if host.is_none() {
            *host = f.text().and_then(code_host);
        }
    }
    let hosts: std::collections::HashSet<&String> = entries.values().flatten().collect();
    hosts.len() >= COLLECTION_MIN
}

/// The first external host a line of code (not a comment) names in a URL.
fn code_host(text: &str) -> Option<String> {
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            !["#", "//", "*", "/*", "--"]
                .iter()
                .any(|c| t.starts_with(c))
        })
        .filter(|l| names_external_api(l))
        .find_map(|l| {
            let (_, rest) = l.split_once("://")?;
            let host: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                .collect();
            host.contains('.').then_some(host)
        })
}

/// Files that make a directory a project of its own.
const PROJECT_MANIFESTS: &[&str] = &[
    "package.json",
    "pyproject.toml",
    "setup.py",
    "Cargo.toml",
    "go.mod",
    "composer.json",
    "Gemfile",
];

/// Entries naming hosts of their own that make a directory a collection of clients.
const COLLECTION_MIN: usize = 5;
/// Source files read to decide it.
const COLLECTION_FILES: usize = 400;

/// Whether a source file is an integration module: under [`INTEGRATION_DIRS`].
fn integration_module(path: &str) -> bool {
    let dirs: Vec<&str> = path.split('/').collect();
    let n = dirs.len().saturating_sub(1);
    dirs.get(..n)
        .is_some_and(|d| d.iter().any(|d| INTEGRATION_DIRS.contains(d)))
        && client_source(path)
}

/// Whether a file is source code of a language API clients are written in.
fn client_source(path: &str) -> bool {
    matches!(
        path.rsplit('.').next(),
        Some("py" | "js" | "ts" | "go" | "rs" | "rb" | "php")
    )
}

/// Whether a text names an external host (`https://api.thetvdb.com/`): the API an
/// integration module talks to.
fn names_external_api(text: &str) -> bool {
    // A TLS endpoint without a scheme (`"grpcuserapi.example.cn:443"`).
    let tls_endpoint = text.match_indices(":443\"").any(|(i, _)| {
        let host: String = text
            .get(..i)
            .unwrap_or("")
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .collect::<String>()
            .chars()
            .rev()
            .collect();
        host.matches('.').count() >= 1 && !host.contains("localhost") && !noise::is_loopback(&host)
    });
    tls_endpoint
        || text.match_indices("://").any(|(i, m)| {
            let scheme = text.get(..i).unwrap_or("");
            if !(scheme.ends_with("https") || scheme.ends_with("http")) {
                return false;
            }
            let host: String = text
                .get(i + m.len()..)
                .unwrap_or("")
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                .collect();
            host.contains('.')
                && !["localhost", "127.0.0.1", "example.com", "example.org"]
                    .iter()
                    .any(|l| host == *l || host.ends_with(&format!(".{l}")))
        })
}

/// Whether a key file is named for `localhost` (`localhost.pem`, `localhost-key.pem`,
/// mkcert's `localhost+2-key.pem`): a certificate for a developer's own machine.
fn localhost_key(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == "localhost")
}

/// Whether the key file at `path` is named by a test file or test configuration, and
/// by no other file outside comments. A file names it by its path from the root (as
/// `../../.circleci/server.key` names `.circleci/server.key`), or, for a key kept with
/// CI's files or named for tests, anywhere; any key is named by a quoted path that
/// resolves to it from the naming file's directory or one above it
/// (`include_str!("../assets/key.pem")` in `command/src/state.rs`). Code after a
/// Rust `#[cfg(test)] mod tests {` is test code. CI files, documentation, manifests
/// and a sample configuration beside the key are neutral; any other file naming it,
/// by its full path or a path that resolves to it, makes it not a test key. A key
/// nothing names keeps its weight.
/// Most key files whose users are looked up across the repository.
const MAX_KEYS_TRACED: usize = 64;

/// Configuration files a program or its tests load by name.
const CONFIG_DATA: &[&str] = &[".cfg", ".ini", ".conf", ".properties", ".creds"];

fn used_only_by_tests(inventory: &Inventory, path: &str) -> bool {
    let kept_for_tests = path.to_ascii_lowercase().contains("test")
        || inventory.file(path).is_some_and(|k| k.kind == FileKind::Ci);
    let name = path.rsplit('/').next().unwrap_or(path);
    let key_dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let mut by_tests = false;
    // Per constant named for tests: whether production code uses it.
    let mut constants: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    for f in &inventory.files {
        // A sample configuration beside the key (`assets/config.toml` naming
        // `./assets/key.pem`) goes with it; code beside it does not.
        let sample_config = !key_dir.is_empty()
            && f.dir() == key_dir
            && [".toml", ".yaml", ".yml", ".json", ".conf", ".ini"]
                .iter()
                .any(|e| f.name().ends_with(e));
        let neutral = matches!(f.kind, FileKind::Ci | FileKind::Docs)
            || matches!(f.name(), "Cargo.toml" | "package.json" | "MANIFEST.in")
            || sample_config;
        if f.path == path || neutral {
            continue;
        }
        let Some(text) = f.text() else { continue };
        if !text.contains(name) {
            continue;
        }
        let test_file =
            f.kind == FileKind::Test || noise::context_of(&f.path) == HitContext::TestFixture;
        let tests_from = rust_test_module(text);
        let mut offset = 0usize;
        // The lines before this one, for a statement continued over lines.
        let mut previous: [&str; 3] = [""; 3];
        for l in text.split_inclusive('\n') {
            let at = offset;
            offset += l.len();
            let before = previous;
            previous = [before[1], before[2], l];
            let t = l.trim_start();
            if ["#", "//", ";", "--", "<!--"]
                .iter()
                .any(|c| t.starts_with(c))
            {
                continue;
            }
            let full = l.contains(path);
            let resolved = quoted_paths(l)
                .into_iter()
                .chain(l.split_whitespace().map(|w| {
                    w.trim_matches(|c: char| matches!(c, '"' | '\'' | ',' | ';' | '(' | ')' | '='))
                }))
                .any(|q| resolves_to(&f.path, q, path));
            if !full && !resolved {
                continue;
            }
            let test = test_file
                || tests_from.is_some_and(|from| from < at)
                || test_constant(inventory, &f.path, l, &before, &mut constants);
            if !test {
                return false;
            }
            // A test naming the key by its full path counts only for a key kept for
            // tests; a path from the test's own directory always does.
            if resolved || kept_for_tests {
                by_tests = true;
            }
        }
    }
    by_tests
}

/// Where a Rust file's test module starts: a `#[cfg(test)]` followed by `mod NAME {`.
fn rust_test_module(text: &str) -> Option<usize> {
    text.match_indices("#[cfg(test)]").find_map(|(at, attr)| {
        let after = text.get(at + attr.len()..)?.trim_start();
        let line = after.lines().next()?;
        (line.starts_with("mod ") && line.contains('{')).then_some(at)
    })
}

/// The quoted strings of a line.
fn quoted_paths(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for quote in ['"', '\''] {
        // Outside, inside, outside, …: every second part is quoted.
        out.extend(line.split(quote).skip(1).step_by(2));
    }
    out
}

/// Whether the line naming a file (`line`, after the `before` lines) assigns it to a
/// constant named for tests (`TEST_AUTH_CONFIG = resource("data/test_auth.cfg")`,
/// the assignment on the line or opening a statement continued onto it) that no
/// production source file other than `path` mentions.
fn test_constant(
    inventory: &Inventory,
    path: &str,
    line: &str,
    before: &[&str; 3],
    known: &mut std::collections::HashMap<String, bool>,
) -> bool {
    let target = |l: &str| -> Option<String> {
        let (left, _) = l.split_once('=')?;
        let name = left
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .rfind(|w| !w.is_empty())?;
        Some(name.to_string())
    };
    // On the line itself, before the path; else the statement's first line, which
    // leaves a bracket open.
    let name = target(line).or_else(|| {
        before
            .iter()
            .rev()
            .take_while(|l| !l.trim().is_empty())
            .find(|l| l.trim_end().ends_with(['(', '[', '{', ',']))
            .and_then(|l| target(l))
    });
    let Some(name) = name else { return false };
    let named_for_tests = name
        .split('_')
        .any(|w| w.eq_ignore_ascii_case("test") || w.eq_ignore_ascii_case("tests"));
    if !named_for_tests {
        return false;
    }
    if let Some(&answer) = known.get(&name) {
        return answer;
    }
    // Each new name reads the sources once; past a few, a name is not trusted.
    if known.len() >= MAX_TEST_CONSTANTS {
        return false;
    }
    // Used by production code, whatever its name says.
    let answer = !inventory.files.iter().any(|f| {
        f.kind == FileKind::Source
            && f.path != path
            && f.text().is_some_and(|t| {
                t.match_indices(name.as_str()).any(|(at, _)| {
                    let after = t.get(at + name.len()..).and_then(|r| r.chars().next());
                    let prior = t.get(..at).and_then(|b| b.chars().next_back());
                    let word =
                        |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
                    !word(after) && !word(prior)
                })
            })
    });
    known.insert(name, answer);
    answer
}

/// Constants named for tests whose use is looked up, per key.
const MAX_TEST_CONSTANTS: usize = 8;

/// Whether `literal`, a path written in the file at `from`, names `target` when read
/// from that file's directory or any directory above it.
fn resolves_to(from: &str, literal: &str, target: &str) -> bool {
    // A Windows-style path (`..\..\certs\app.pfx` in a `.csproj`) is the same path.
    let literal = literal.replace('\\', "/");
    let literal = literal.trim_start_matches("./");
    if literal.is_empty() || !target.ends_with(literal.rsplit('/').next().unwrap_or(literal)) {
        return false;
    }
    let mut base = from.rsplit_once('/').map_or("", |(d, _)| d);
    loop {
        if crate::repo::join_path(base, literal).as_deref() == Some(target) {
            return true;
        }
        if base.is_empty() {
            return false;
        }
        base = base.rsplit_once('/').map_or("", |(d, _)| d);
    }
}

/// Whether a generic match (a name like `*_SECRET_KEY` and a random-looking value) sits
/// under a comment that says it is not a secret (`// This is not actually a secret
/// key, it's just a string we XOR …`): the author's word on a value that only looks
/// like one. Provider-shaped tokens are reported whatever the comment says.
fn generic_and_disowned(generic: bool, text: &str, line_start: usize) -> bool {
    if !generic {
        return false;
    }
    let before = text.get(..line_start.saturating_sub(1)).unwrap_or("");
    let previous = before.rsplit('\n').next().unwrap_or("").trim_start();
    let comment = ["//", "#", "/*", "*", "--"]
        .iter()
        .any(|c| previous.starts_with(c));
    let lower = previous.to_ascii_lowercase();
    comment
        && [
            "not a secret",
            "not actually a secret",
            "not secret",
            "isn't a secret",
            "not sensitive",
        ]
        .iter()
        .any(|p| lower.contains(p))
}

#[cfg(test)]
mod tests;
