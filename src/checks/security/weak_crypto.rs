//! Judges whether Python code protects secrets with broken primitives: MD5/SHA-1 on
//! passwords and tokens, the `random` module making secrets, `tempfile.mktemp`.

use crate::analyze::python::CallKind;
use crate::checks::python;
use crate::checks::security::sites::{self, Site};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.weak-crypto",
        category: Category::Security,
        title: "Secrets use sound primitives",
        summary: "No MD5/SHA-1 applied to passwords, tokens or secrets, no `random` module making tokens, salts or passwords, and no `tempfile.mktemp`. Checksums and non-secret randomness are fine.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "MD5 and SHA-1 are fast: a GPU tries billions of candidate passwords a second against a leaked hash, and both have practical collisions. The `random` module is a Mersenne Twister whose whole state is recovered from 624 outputs, after which every future token is known. `tempfile.mktemp` returns a name that another process can create first, redirecting the write.",
        remediation: "Hash passwords with a slow, salted function (`argon2-cffi`, `bcrypt`, `hashlib.scrypt`, or the framework's hasher); use SHA-256 or HMAC for integrity, and pass `usedforsecurity=False` where MD5 is only a checksum. Make tokens with `secrets` (`secrets.token_urlsafe()`, `secrets.choice`). Create temporary files with `tempfile.NamedTemporaryFile` / `mkstemp` / `mkdtemp`.",
        action: "Use secrets, a password hasher and mkstemp instead of random, MD5/SHA-1 and mktemp",
        risk: "Weak cryptography",
    },
    evaluate,
};

/// Purposes where a fast hash is the weakness itself: low-entropy secrets that are
/// guessed offline.
const PASSWORD: &[&str] = &["password", "passwd", "pwd"];
/// Severity of MD5/SHA-1 near other secrets (tokens, nonces, salts): hashing random
/// bytes with them is harmless, a secret-prefix MAC or a hashed short secret is not.
const OTHER_SECRET: Severity = Severity::P3;

/// `hashlib.sha1().block_size`: a property of the algorithm, not a hash of anything.
fn size_query(f: &python::PyRef<'_>, line: u32, callee: &str) -> bool {
    let name = callee.rsplit('.').next().unwrap_or(callee);
    let text = f.file.line(line);
    ["().block_size", "().digest_size", "().name"]
        .iter()
        .any(|m| text.contains(&format!("{name}{m}")))
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files: Vec<_> = python::files(cx).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Python files");
    }
    let mut found = Vec::new();
    for f in &files {
        for c in &f.py.calls {
            let mut severity = def.severity;
            let (what, message) = match &c.kind {
                CallKind::WeakHash { callee, .. } if size_query(f, c.line, callee) => continue,
                CallKind::WeakHash { callee, purpose } => {
                    if !PASSWORD.contains(&purpose.as_str()) {
                        severity = OTHER_SECRET;
                    }
                    (
                    format!("`{callee}` used for `{purpose}`"),
                    format!(
                        "`{callee}` hashes a value whose name or context says `{purpose}`: MD5 and SHA-1 are fast enough to brute-force and have practical collisions. Use a password hasher (argon2, bcrypt, scrypt) for passwords, SHA-256/HMAC otherwise, or `usedforsecurity=False` if this is only a checksum."
                    ),
                    )
                }
                CallKind::InsecureRandom { callee, purpose } => (
                    format!("`{callee}` used for `{purpose}`"),
                    format!(
                        "`{callee}` makes a value whose name or context says `{purpose}`, but the `random` module is predictable: its state is recovered from a few hundred outputs, and every later value with it. Use `secrets` (`secrets.token_urlsafe`, `secrets.choice`)."
                    ),
                ),
                CallKind::Mktemp => (
                    "`tempfile.mktemp`".to_string(),
                    "`tempfile.mktemp` returns a name that does not exist yet; another process can create it (or a symlink) before this one opens it. Use `tempfile.NamedTemporaryFile`, `mkstemp` or `mkdtemp`, which create the file atomically.".to_string(),
                ),
                _ => continue,
            };
            found.push(Site {
                file: *f,
                line: c.line,
                severity,
                what,
                message,
                evidence: cx.at(f.path(), c.line),
            });
        }
    }
    sites::judge(
        def,
        files.len(),
        ("weak cryptographic use", "weak cryptographic uses"),
        found,
    )
}
