//! The false-positive layer of the secret scanner, separate from the rules: what makes a
//! matched value not a secret (a placeholder, a documented example, a reference to a
//! variable, a path, a low-entropy word), which files only the structured rules read
//! (lock files, minified bundles), and where a file sits (test fixture, documentation,
//! example), which weighs a finding without hiding it.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// Where a secret was found, when that makes it less likely to be live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum HitContext {
    /// Ordinary code or configuration.
    #[default]
    None,
    TestFixture,
    Docs,
    Example,
    /// A connection URL to a database on the same host or a private network name
    /// (`@localhost`, `@db:5432`): the default of a local or CI database.
    LocalService,
    /// Configuration or data for a developer's machine: `development.env`,
    /// `settings.dev.py`, database seeds.
    Development,
    /// A value the comment above it says is not a secret.
    Disowned,
    /// A key its provider issues to be committed: read-only (an Nx Cloud token whose
    /// payload ends in `|read`) or for clients to submit with (an error reporter's
    /// notifier key).
    ReadOnly,
    /// A key for a third-party API kept in an integration module (an engine, plugin or
    /// component for that API) of software its licence distributes: every installation
    /// carries it, so it is public by design.
    ClientKey,
    /// A value published as a sample for anyone to use: a JSON Web Token signed with
    /// jwt.io's demo key.
    PublicSample,
    /// A file of a third-party package the repository carries a copy of: the value is
    /// the upstream project's (often a sample in its documentation).
    Vendored,
}

impl HitContext {
    /// "in a test fixture", for titles; empty for ordinary code.
    pub fn label(self) -> &'static str {
        match self {
            HitContext::None => "",
            HitContext::TestFixture => "in a test fixture",
            HitContext::Docs => "in documentation",
            HitContext::Example => "in an example file",
            HitContext::LocalService => "for a local database",
            HitContext::Development => "in development configuration",
            HitContext::Disowned => "marked as not a secret",
            HitContext::ReadOnly => "a client or read-only key meant to be committed",
            HitContext::ClientKey => "a third-party API key shipped with every installation",
            HitContext::PublicSample => "a published sample",
            HitContext::Vendored => "in a copy of a third-party package",
        }
    }
}

/// Whether `secret`, set on `line` of the file at `path`, is a token its provider
/// issues read-only for committing: Nx Cloud's `nxCloudAccessToken` (or the
/// `accessToken` of the Nx Cloud runner's options in an `nx.json`), whose base64
/// payload is `<id>|read` (a read-write token ends in `|read-write`).
pub fn read_only_by_design(path: &str, line: &str, secret: &str) -> bool {
    let nx_json = path == "nx.json" || path.ends_with("/nx.json");
    if !(line.contains("nxCloudAccessToken") || (nx_json && line.contains("\"accessToken\""))) {
        return false;
    }
    decodes_to_read_only(secret)
}

/// Whether a credential-named value set on `line`, with `around` (its line and the few
/// above), is an error reporter's notifier key, which the provider has clients embed:
/// it can only submit reports (`bugsnag.Configure(bugsnag.Configuration{APIKey:
/// "…"})`). An auth token of the same provider reads its data and is not one.
pub fn notifier_key(around: &str, line: &str) -> bool {
    let key = line.to_ascii_lowercase().replace(['_', '-'], "");
    let around = around.to_ascii_lowercase();
    let bugsnag = key.contains("bugsnag")
        || [
            "bugsnag.configure",
            "bugsnag.configuration",
            "bugsnag.start",
        ]
        .iter()
        .any(|c| around.contains(c));
    bugsnag && key.contains("apikey") && !key.contains("token")
}

fn decodes_to_read_only(secret: &str) -> bool {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(secret.trim().trim_matches(['"', '\'']))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|t| t.ends_with("|read"))
}

/// Path segments and file names that place a file in tests, docs or examples.
pub fn context_of(path: &str) -> HitContext {
    let lower = path.to_ascii_lowercase();
    let segments: Vec<&str> = lower.split('/').collect();
    let (dirs, name) = match segments.split_last() {
        Some((name, dirs)) => (dirs, *name),
        None => (&[][..], lower.as_str()),
    };
    let stem = name.split('.').next().unwrap_or(name);
    let test_dir = |d: &&str| {
        matches!(
            *d,
            "test"
                | "tests"
                | "testing"
                | "__tests__"
                | "spec"
                | "specs"
                | "fixtures"
                | "fixture"
                | "__fixtures__"
                | "testdata"
                | "test_data"
                // Helpers only tests use (`internal/testutils/smtp_server.go`).
                | "testutil"
                | "testutils"
                | "test_utils"
                | "test-utils"
                | "testhelpers"
                | "test_helpers"
                | "testsupport"
                | "__mocks__"
                | "mocks"
                | "mock"
                | "__stubs__"
                | "stubs"
                | "stub"
                // Golden output a test compares against (`.snapshots/`).
                | ".snapshots"
                | "__snapshots__"
                | ".ci"
                | "e2e"
                | "conftest"
                | "cypress"
                | "playwright"
                | ".dredd"
                | "suites"
                | "integration-test"
                | "integration-tests"
                | "integration_tests"
                | "_integration-test"
                | "test-files"
                | "test_files"
                | "testfiles"
        ) || [".tests", ".test", "-tests", "_tests", ".unittests"]
            .iter()
            .any(|suffix| d.len() > suffix.len() && d.ends_with(suffix))
            // `test_resources`, `test-keys`, `test-environments`: material and set-ups
            // kept for the tests.
            || ["test_", "test-"].iter().any(|prefix| d.starts_with(prefix))
            // `db-test-setup`, `local_test_env`: the word among others.
            // (`ab-testing`, `speed-test`: a product's feature, not a test).
            || {
                let words: Vec<&str> = d.split(['-', '_']).collect();
                words.windows(2).any(|w| {
                    matches!(w, [before, "test" | "tests" | "testing"]
                        if !matches!(*before, "ab" | "a" | "b" | "split" | "speed" | "pen" | "multivariate"))
                })
            }
            // `e2etests`, `unittest`, `integrationtests`: a kind of test and the word.
            || ["tests", "test"].iter().any(|suffix| {
                d.strip_suffix(suffix).is_some_and(|kind| {
                    matches!(
                        kind,
                        "e2e" | "unit" | "integration" | "functional" | "acceptance" | "smoke"
                            | "system" | "load" | "perf" | "api" | "ui"
                    )
                })
            })
    };
    // Words of the file's stem (`config-local-test`, `db_migrate_dev`).
    let stem_words: Vec<&str> = stem.split(['-', '_']).collect();
    // `settings/test.py`, `config/testing.rb`: the configuration a test run selects.
    // `mock.ts`, `fixtures.py`, `dummy-gcp-credentials.json`: data made up for tests.
    // (`billing_stub.py` may be a production gRPC client.)
    // `benchmark-server-key.pem`: key material for a benchmark run (a benchmark's
    // script may hold a live key all the same).
    let key_material = [".pem", ".key", ".crt", ".p12", ".pfx", ".jks", ".creds"]
        .iter()
        .any(|e| name.ends_with(e));
    let made_up = stem_words.iter().any(|w| {
        matches!(
            *w,
            "mock" | "mocks" | "mocked" | "fixture" | "fixtures" | "dummy" | "fake"
        ) || (key_material && matches!(*w, "benchmark" | "benchmarks"))
    });
    let test_name = matches!(stem, "test" | "tests" | "testing")
        || made_up
        || stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem == "conftest"
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.contains("_spec.")
        // Compose files and env files of a test or CI run (`compose.ci.yaml`,
        // `docker-compose.test.yml`, `.env.testing`): throwaway service credentials.
        || name
            .split('.')
            .skip(1)
            .any(|part| matches!(part, "ci" | "test" | "testing" | "e2e" | "integration"))
        // `config-local-test.toml`, `settings-e2e.yaml`.
        || (stem_words.len() > 1
            && stem_words
                .iter()
                .skip(1)
                .any(|w| matches!(*w, "test" | "testing" | "e2e")));
    // A top-level `integration/` holds the integration suite and the services it
    // starts (`integration/tls/client.key`); `integrations/` may be product code.
    let integration_suite = dirs.first() == Some(&"integration");
    if dirs.iter().any(test_dir) || test_name || integration_suite {
        return HitContext::TestFixture;
    }
    // Seed data for a development database, files named for development
    // (`development.env`, `settings.dev.py`, `.env.development`) and a directory of
    // development scripts (`scripts/dev/`).
    if dirs
        .iter()
        .any(|d| matches!(*d, "seeds" | "seed" | "seeders"))
        || dirs
            .windows(2)
            .any(|w| matches!(w, ["scripts", "dev" | "development"]))
        // A top-level development directory (`dev/rstuf/keys/root1`): the set-up of
        // a developer's environment.
        || dirs
            .first()
            .is_some_and(|d| matches!(*d, "dev" | "development" | ".dev"))
        || name
            .split('.')
            .any(|part| matches!(part, "dev" | "development"))
        // `db_migrate_dev.rs`, `dev-config.toml`.
        || (stem_words.len() > 1
            && stem_words
                .iter()
                .any(|w| matches!(*w, "dev" | "development")))
    {
        return HitContext::Development;
    }
    let example = |s: &str| {
        [
            "example",
            "sample",
            "demo",
            "tutorial",
            "template",
            "quickstart",
        ]
        .iter()
        .any(|w| s.contains(w))
    };
    // A development VM or container definition; requests kept for an HTTP client
    // (`.http`, `.rest` scratch files) are samples.
    if name == "vagrantfile"
        || dirs.contains(&".devcontainer")
        || name.ends_with(".http")
        || name.ends_with(".rest")
    {
        return HitContext::Example;
    }
    // A configuration file of documented defaults (`config/defaults.hjson`,
    // `config.default.toml`, an Ansible role's `defaults/main.yml`): what the settings
    // mean, for operators to override.
    let config_ext = [
        ".json", ".hjson", ".toml", ".yaml", ".yml", ".ini", ".conf", ".cfg",
    ];
    let role_defaults = dirs
        .windows(3)
        .any(|w| matches!(w, ["roles", _, "defaults"]));
    let defaults =
        (name.contains("default") || role_defaults) && config_ext.iter().any(|e| name.ends_with(e));
    if dirs.iter().any(|d| example(d))
        || example(name)
        || defaults
        || name.ends_with(".dist")
        || name.ends_with(".tpl")
    {
        return HitContext::Example;
    }
    let doc_ext = [
        ".md",
        ".markdown",
        ".rst",
        ".adoc",
        ".txt",
        ".ipynb",
        ".html",
        ".mdx",
    ];
    if dirs
        .iter()
        .any(|d| matches!(*d, "doc" | "docs" | "documentation" | "website" | "site"))
        || stem == "readme"
        || doc_ext.iter().any(|e| name.ends_with(e))
        // An API description (`openapi.yml`, `swagger.json`): its values are examples
        // of requests and responses.
        || (["openapi", "swagger"].iter().any(|w| stem.contains(w))
            && [".yml", ".yaml", ".json"].iter().any(|e| name.ends_with(e)))
    {
        return HitContext::Docs;
    }
    HitContext::None
}

/// Whether a file is kept for CI's own runs: beside the workflows in `.github/` (or
/// another CI system's directory), or in a `ci` directory (`.github/ci/e2econfig/`, a
/// Helm chart's `ci/*-values.yaml` that chart-testing installs into a throwaway
/// cluster). A generic value there configures a test run.
pub fn ci_material(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let Some((name, dirs)) = parts.split_last() else {
        return false;
    };
    // Configuration only: code kept there (a CI product's `ci/runner.rb`, a release
    // script) is judged as code.
    let data = [".yml", ".yaml", ".json", ".env", ".toml", ".ini", ".cfg"]
        .iter()
        .any(|e| name.ends_with(e));
    // Credentials for a pipeline's own deployments (`ci/credentials.yml`,
    // `ci/deploy-secrets.env`) are not a test run's; a word of the name, so a chart
    // test's `ct-sharedsecret-values.yaml` stays test material.
    let credentials = name
        .split(['.', '-', '_'])
        .map(str::to_ascii_lowercase)
        .any(|w| {
            matches!(
                w.as_str(),
                "credential" | "credentials" | "secret" | "secrets" | "vault"
            )
        });
    data && !credentials
        && (dirs.first().is_some_and(|d| {
            matches!(
                *d,
                ".github" | ".gitlab" | ".circleci" | ".buildkite" | ".woodpecker"
            )
        }) || dirs.iter().any(|d| d.eq_ignore_ascii_case("ci")))
}

/// The byte ranges of a Rust file compiled for tests only (`#[cfg(test)]`, or a
/// feature only tests turn on, see [`test_only_cfg`]): from the attribute to the
/// end of the file before a `mod` (the test module closes the file), and to the end of
/// the item before a `const`, `static` or `fn` (`#[cfg(test)] const FIXTURE: &str =
/// r#"…"#;`).
pub fn rust_test_ranges(text: &str) -> Vec<(usize, usize)> {
    text.match_indices("#[cfg(")
        .filter_map(|(i, m)| {
            let open = i + m.len();
            // The attribute closes on its own line: a bounded look, whatever follows.
            let line = text.get(open..)?.split('\n').next()?;
            let close = line.get(..line.len().min(ATTRIBUTE_BYTES))?.find(")]")?;
            let predicate = text.get(open..open + close)?;
            if !test_only_cfg(predicate) {
                return None;
            }
            let after = open + close + 2;
            let mut rest = text.get(after..)?.trim_start();
            // Attributes and comments between (`#[allow(clippy::unwrap_used)]`).
            for _ in 0..MAX_BETWEEN {
                if !(rest.starts_with("#[") || rest.starts_with("//")) {
                    break;
                }
                rest = rest.split_once('\n').map_or("", |(_, r)| r).trim_start();
            }
            let rest = rest
                .strip_prefix("pub(crate) ")
                .or_else(|| rest.strip_prefix("pub "))
                .unwrap_or(rest);
            if rest.starts_with("mod ") {
                // `mod tests;` keeps the module in a file of its own. Only the test
                // module runs to the end of the file; a module behind a feature may
                // sit anywhere, and is not followed.
                let head = rest.split('\n').next().unwrap_or(rest);
                if predicate.trim() != "test" || !head.contains('{') {
                    return None;
                }
                return Some((i, text.len()));
            }
            let tail = text.get(after..)?;
            if rest.starts_with("const ") || rest.starts_with("static ") {
                let semi = tail.find(';')?;
                let end = match tail.find("r#\"").filter(|&r| r < semi) {
                    Some(_) => tail.find("\"#;").map(|e| e + 3)?,
                    None => semi + 1,
                };
                return Some((i, after + end));
            }
            // An item in braces closes at the first brace in the first column: a
            // function, or the methods of an `impl` only tests build (`test_default`).
            let braced = ["fn ", "async fn ", "impl ", "impl<"];
            if braced.iter().any(|b| rest.starts_with(b)) {
                return Some((i, after + tail.find("\n}").map_or(tail.len(), |e| e + 2)));
            }
            None
        })
        .collect()
}

/// Most attribute or comment lines skipped between a `#[cfg(test)]` and its item.
const MAX_BETWEEN: usize = 8;

/// Longest `#[cfg(…)]` attribute read.
const ATTRIBUTE_BYTES: usize = 200;

/// Whether a `cfg` predicate holds only in test builds: `test`, a feature named for
/// tests (`feature = "test_mode"`, `"test-utils"`), any of those (`any(test, feature =
/// "testing")`), or all of terms one of which is.
fn test_only_cfg(predicate: &str) -> bool {
    let p: String = predicate.chars().filter(|c| !c.is_whitespace()).collect();
    let term = |t: &str| {
        t == "test"
            || t.strip_prefix("feature=\"")
                .and_then(|f| f.strip_suffix('"'))
                .is_some_and(|f| {
                    f.split(['-', '_'])
                        .any(|w| matches!(w, "test" | "tests" | "testing" | "e2e"))
                })
    };
    if let Some(inner) = p.strip_prefix("any(").and_then(|r| r.strip_suffix(')')) {
        return !inner.contains('(') && inner.split(',').all(term);
    }
    if let Some(inner) = p.strip_prefix("all(").and_then(|r| r.strip_suffix(')')) {
        return !inner.contains('(') && inner.split(',').any(term);
    }
    term(&p)
}

/// Whether `secret` is a test vector of a secret detector: the same text holds a
/// regular expression for tokens of its prefix (`ghp_[A-Za-z0-9]{36}` beside
/// `ghp_…`), as the pattern tables of secret scanners and redactors do.
pub fn detector_vector(text: &str, secret: &str) -> bool {
    // Every prefix that ends at a separator within the first 16 characters
    // (`github_`, `github_pat_`).
    secret
        .char_indices()
        .take_while(|&(i, _)| i < 16)
        .filter(|&(i, ch)| i >= 2 && (ch == '_' || ch == '-'))
        .filter_map(|(i, _)| secret.get(..=i))
        .filter(|prefix| {
            prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
        .any(|prefix| {
            text.match_indices(prefix).any(|(i, _)| {
                text.get(i + prefix.len()..)
                    .and_then(|rest| rest.chars().next())
                    .is_some_and(|c| matches!(c, '[' | '(' | '\\' | '{'))
            })
        })
}

/// Whether a connection URL's host is the machine itself or a name on a private
/// network (a Compose service, a CI service container): no dot, or a loopback address.
pub fn is_local_host(host: &str) -> bool {
    is_loopback(host) || (!host.contains('.') && !host.is_empty() && host != "::1")
}

/// Whether a JSON Web Token is issued by and for a server on the developer's own
/// machine: its payload names URLs or addresses (`iss`, `aud`, `server_url`), and every
/// one of them is on the loopback interface (`http://localhost:8888`). Such a token
/// opens only a local installation.
pub fn jwt_for_local_server(token: &str) -> bool {
    use base64::Engine as _;
    let Some(payload) = token.split('.').nth(1) else {
        return false;
    };
    let Ok(bytes) =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('='))
    else {
        return false;
    };
    let Ok(serde_json::Value::Object(claims)) = serde_json::from_slice(&bytes) else {
        return false;
    };
    let hosts: Vec<&str> = claims
        .values()
        .filter_map(|v| v.as_str())
        .filter_map(|v| {
            let rest = v.split_once("://").map_or(v, |(_, r)| r);
            let authority = rest.split('/').next().unwrap_or(rest);
            let host = authority.rsplit_once(':').map_or(authority, |(h, port)| {
                if port.chars().all(|c| c.is_ascii_digit()) {
                    h
                } else {
                    authority
                }
            });
            (v.contains("://") || authority.contains(':')).then_some(host)
        })
        .collect();
    !hosts.is_empty() && hosts.iter().all(|h| is_loopback(h))
}

/// Demo keys jwt.io publishes for its sample tokens: a token signed with one of them
/// can be minted by anyone.
const PUBLISHED_JWT_KEYS: &[&str] = &[
    "your-256-bit-secret",
    "your-384-bit-secret",
    "your-512-bit-secret",
    "a-string-secret-at-least-256-bits-long",
];

/// The published demo key a JSON Web Token is signed with (HS256/384/512), if it is.
pub fn jwt_published_key(token: &str) -> Option<&'static str> {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (signed, signature) = token.rsplit_once('.')?;
    let header = signed.split('.').next()?;
    let header: serde_json::Value = serde_json::from_slice(&engine.decode(header).ok()?).ok()?;
    let signature = engine.decode(signature.trim_end_matches('=')).ok()?;
    let verifies: fn(&str, &str, &[u8]) -> bool = match header.get("alg")?.as_str()? {
        "HS256" => hmac_verifies::<sha2::Sha256>,
        "HS384" => hmac_verifies::<sha2::Sha384>,
        "HS512" => hmac_verifies::<sha2::Sha512>,
        _ => return None,
    };
    PUBLISHED_JWT_KEYS
        .iter()
        .copied()
        .find(|k| verifies(k, signed, &signature))
}

/// Whether `signature` is the HMAC of `message` under `key`.
fn hmac_verifies<D>(key: &str, message: &str, signature: &[u8]) -> bool
where
    hmac::SimpleHmac<D>: hmac::Mac + hmac::digest::KeyInit,
    D: hmac::digest::Digest + hmac::digest::core_api::BlockSizeUser,
{
    use hmac::Mac as _;
    <hmac::SimpleHmac<D> as hmac::digest::KeyInit>::new_from_slice(key.as_bytes()).is_ok_and(
        |mut m| {
            m.update(message.as_bytes());
            m.verify_slice(signature).is_ok()
        },
    )
}

/// Whether a line sets the `example` field of a schema or catalogue (`example: eyJ…`,
/// `"example": "sk_live_…"`): the value shows the format a user will paste.
pub fn example_field(line: &str) -> bool {
    let t = line.trim_start().trim_start_matches("- ");
    let key = t
        .split([':', '='])
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches(['"', '\''])
        .to_ascii_lowercase();
    matches!(key.as_str(), "example" | "examples" | "example_value")
        && t.get(key.len()..).is_some()
        && (t.contains(':') || t.contains('='))
}

/// Whether the text before a value on its line introduces it as an example in prose or
/// a documentation code block ("for instance:", "for example", "e.g.", "```").
pub fn documented_example(before: &str) -> bool {
    let lower = before.to_ascii_lowercase();
    ["for instance", "for example", "e.g.", "```"]
        .iter()
        .any(|p| lower.contains(p))
}

/// The lines above `line_start`, nearest first, up to the first blank line: the block
/// the value's line belongs to.
fn block_above(text: &str, line_start: usize) -> impl Iterator<Item = &str> {
    text.get(..line_start.saturating_sub(1))
        .unwrap_or("")
        .rsplit('\n')
        .map(str::trim)
        .take_while(|l| !l.is_empty())
}

/// A comment line's text without its marker (`#`, `//`, `/*`, `*`, `--`); `None` for
/// a line of code.
fn comment_text(line: &str) -> Option<&str> {
    ["//", "#", "/*", "*", "--"]
        .iter()
        .find_map(|m| line.strip_prefix(m))
        .map(str::trim)
}

/// Whether the comment over the statement holding a value (above the few lines of a
/// literal that opened higher up) says it holds no real credential ("It contains NO
/// actual tokens, got it from slack docs."). Provider-shaped tokens included: the
/// author's word moves the finding down, it does not drop it.
pub fn disowned_above(text: &str, line_start: usize) -> bool {
    /// Lines of the statement itself looked through before its comment.
    const STATEMENT_LINES: usize = 8;
    /// Lines of the comment read.
    const COMMENT_LINES: usize = 6;
    let mut comment = String::new();
    let mut code = 0usize;
    let mut comment_lines = 0usize;
    for line in block_above(text, line_start) {
        match comment_text(line) {
            Some(t) if comment_lines < COMMENT_LINES => {
                comment_lines += 1;
                comment.push(' ');
                comment.push_str(&t.to_ascii_lowercase());
            }
            Some(_) => break,
            // Lines of the same literal: an opening bracket or an item of it
            // (`X = {`, `"ok": True,`), not a statement of its own.
            None if comment.is_empty()
                && code < STATEMENT_LINES
                && line.ends_with(['{', '[', '(', ',']) =>
            {
                code += 1
            }
            None => break,
        }
    }
    [
        "not a secret",
        "not actually a secret",
        "isn't a secret",
        "no actual token",
        "no actual tokens",
        "no actual secret",
        "no actual secrets",
        "no actual credential",
        "no actual credentials",
        "no real token",
        "no real tokens",
        "no real secret",
        "no real secrets",
        "no real credential",
        "no real credentials",
        "not a real token",
        "not a real key",
        "not real tokens",
        "not real credentials",
    ]
    .iter()
    .any(|p| {
        // The whole phrase: "not a secrets manager" says something else.
        comment.match_indices(p).any(|(at, _)| {
            comment
                .get(at + p.len()..)
                .and_then(|r| r.chars().next())
                .is_none_or(|c| !c.is_ascii_alphabetic())
        })
    })
}

/// Whether prose in the block over a value introduces it as a sample: a line that
/// starts or ends with the word (`Sample response`, `# Example of a slack OAuth
/// response`, `The response, for example:`).
pub fn introduced_as_sample(text: &str, line_start: usize) -> bool {
    /// Lines looked through: a response shown in a docstring is a dozen lines long.
    const LINES: usize = 12;
    block_above(text, line_start).take(LINES).any(|line| {
        let t = comment_text(line).unwrap_or(line);
        let t = t.trim_end_matches([':', '.']);
        // Prose: no code, and no `key:` of a configuration file (`sampler: on`).
        if t.contains(['=', '"', '\'', '{', '}', '[', '(', ':']) {
            return false;
        }
        let lower = t.to_ascii_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        let sample = |w: &&str| matches!(*w, "sample" | "example" | "samples" | "examples");
        match words.as_slice() {
            [first, ..] if sample(first) => true,
            ["a" | "an", second, ..] if sample(second) => true,
            [.., last] => sample(last),
            [] => false,
        }
    })
}

/// Whether the private key at `path` sits beside its certificate (`local-key.pem` and
/// `local-certificate.pem`, `key.pem` and `cert.pem`) and that certificate names only
/// hosts reserved for tests and documentation (`localhost`, `*.example.com`,
/// `tenant-b.example`, `*.test`, `*.invalid`): a self-made test certificate's key.
pub fn paired_with_test_certificate(inventory: &crate::repo::Inventory, path: &str) -> bool {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let stems: Vec<String> = ["cert", "certificate", "crt"]
        .iter()
        .map(|c| name.replacen("key", c, 1))
        .filter(|n| n != name)
        .collect();
    let certificate = inventory.files.iter().find(|f| {
        f.dir() == dir
            && stems.iter().any(|s| {
                f.name() == s
                    || f.name().rsplit_once('.').map(|(b, _)| b)
                        == s.rsplit_once('.').map(|(b, _)| b)
            })
            && f.text().is_some_and(|t| t.contains("BEGIN CERTIFICATE"))
    });
    let Some(text) = certificate.and_then(|f| f.text()) else {
        return false;
    };
    let hosts = certificate_hosts(text);
    !hosts.is_empty() && hosts.iter().all(|h| reserved_host(h))
}

/// Most host names read from one certificate.
const MAX_CERTIFICATE_HOSTS: usize = 64;

/// Host names written in the first certificate of a PEM text (its subject's common
/// name and alternative names, as the DER holds them in plain ASCII).
fn certificate_hosts(pem: &str) -> Vec<String> {
    use base64::Engine as _;
    let body: String = pem
        .lines()
        .skip_while(|l| !l.contains("BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.contains("END CERTIFICATE"))
        .collect();
    let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body.trim()) else {
        return Vec::new();
    };
    let mut hosts: Vec<String> = Vec::new();
    // Strings of a name (UTF8String, PrintableString, IA5String) and SAN dNSNames
    // ([2]), each a tag, a short length and that many bytes.
    for (i, tag) in der.iter().enumerate() {
        if !matches!(*tag, 0x0c | 0x13 | 0x16 | 0x82) {
            continue;
        }
        let Some(&len) = der.get(i + 1) else { break };
        let len = usize::from(len);
        if !(4..0x80).contains(&len) {
            continue;
        }
        let Some(word) = der
            .get(i + 2..i + 2 + len)
            .and_then(|b| std::str::from_utf8(b).ok())
        else {
            continue;
        };
        let hostlike = word == "localhost"
            || (word.contains('.')
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '*'))
                && word.rsplit('.').next().is_some_and(|tld| {
                    tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
                }));
        if hostlike {
            hosts.push(word.to_ascii_lowercase());
            // A certificate names a handful of hosts; one naming more is not judged.
            if hosts.len() > MAX_CERTIFICATE_HOSTS {
                return Vec::new();
            }
        }
    }
    hosts
}

/// Names RFC 2606 and RFC 6761 reserve for tests and documentation, and loopback
/// (not `.local`, which real networks use).
fn reserved_host(host: &str) -> bool {
    let host = host.trim_start_matches("*.");
    let tld = host.rsplit('.').next().unwrap_or(host);
    host == "localhost"
        || matches!(tld, "test" | "example" | "invalid" | "localhost")
        || ["example.com", "example.org", "example.net"]
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// Whether the function enclosing a value (the nearest definition in `before`, the
/// lines above it, with no line back at its indentation since) is named for
/// demonstration data: `func createDemoProject(`, `def create_example_user(`,
/// `function makeSampleAccount(`.
pub fn in_demo_function(before: &str) -> bool {
    let lines: Vec<&str> = before.lines().collect();
    let Some((at, name)) = lines
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, l)| function_name(l).map(|n| (i, n)))
    else {
        return false;
    };
    // The value must be inside that function: no line after its header returns to
    // the header's indentation (a closing `}` or the next definition).
    let indent = |l: &str| l.len() - l.trim_start().len();
    let depth = lines.get(at).map_or(0, |l| indent(l));
    let inside = lines
        .iter()
        .skip(at + 1)
        .all(|l| l.trim().is_empty() || indent(l) > depth);
    inside
        && name_parts(name)
            .iter()
            .any(|w| matches!(w.as_str(), "demo" | "example" | "sample"))
}

/// The name a line defines as a function (`func (s *S) name(`, `func name(`,
/// `def name(`, `async def name(`, `function name(`, `fn name(`).
fn function_name(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let t = t.strip_prefix("pub ").unwrap_or(t);
    let t = t.strip_prefix("export ").unwrap_or(t);
    let t = t.strip_prefix("async ").unwrap_or(t);
    let rest = ["func ", "def ", "function ", "fn "]
        .iter()
        .find_map(|k| t.strip_prefix(k))?;
    // A Go method's receiver.
    let rest = match rest.strip_prefix('(') {
        Some(r) => r.split_once(')')?.1.trim_start(),
        None => rest,
    };
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    rest.get(end..)?
        .starts_with(['(', '<'])
        .then(|| rest.get(..end))
        .flatten()
}

/// Whether a host is the machine itself.
pub fn is_loopback(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h == "localhost"
        || h.starts_with("127.")
        || h == "0.0.0.0"
        || h == "::1"
        || h == "host.docker.internal"
}

/// What a file is, for deciding which rules may read it.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileProfile {
    /// A dependency lock file: hashes and resolved URLs, never assignments.
    pub lockfile: bool,
    /// Minified or bundled: one huge line of identifiers.
    pub minified: bool,
    /// Program source, where an unquoted value is an expression, not a literal.
    pub code: bool,
    /// A translation catalogue (`locales/de/translation.json`, `messages.po`): its
    /// values are sentences and labels (`"client_secret": "Clientgeheimnis"`).
    pub translations: bool,
}

impl FileProfile {
    pub fn of(path: &str, text: &str) -> FileProfile {
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        let lockfile = matches!(
            name.as_str(),
            "package-lock.json"
                | "npm-shrinkwrap.json"
                | "yarn.lock"
                | "pnpm-lock.yaml"
                | "bun.lock"
                | "cargo.lock"
                | "poetry.lock"
                | "pipfile.lock"
                | "uv.lock"
                | "pdm.lock"
                | "go.sum"
                | "composer.lock"
                | "gemfile.lock"
                | "flake.lock"
        ) || name.ends_with(".lock");
        let bundled = [
            ".min.js",
            ".min.css",
            ".min.mjs",
            ".js.map",
            ".css.map",
            ".bundle.js",
        ]
        .iter()
        .any(|e| name.ends_with(e));
        let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
        let minified = bundled || (text.len() > 5_000 && text.len() / lines > 400);
        let code = [
            ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".vue", ".svelte", ".py",
            ".go", ".rs", ".java", ".kt", ".rb", ".php", ".cs", ".swift", ".scala", ".dart",
        ]
        .iter()
        .any(|e| name.ends_with(e));
        FileProfile {
            lockfile,
            minified,
            code,
            translations: translation_catalogue(path),
        }
    }

    /// Generic (keyword = value) rules do not read this file.
    pub fn structured_only(self) -> bool {
        self.lockfile || self.minified || self.translations
    }
}

/// A translation catalogue, by path: a catalogue format (`.po`, `.xliff`, `.arb`,
/// `.ftl`), a data file under a locale directory, one named as a catalogue
/// (`translation.json`, `messages_de.properties`), or a module named by a locale under
/// a locale directory (`i18n/de.ts`).
fn translation_catalogue(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let mut segments: Vec<&str> = lower.split('/').collect();
    let Some(name) = segments.pop() else {
        return false;
    };
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    if matches!(
        ext,
        "po" | "pot" | "xliff" | "xlf" | "arb" | "ftl" | "strings"
    ) {
        return true;
    }
    let locale_dir = segments.iter().any(|d| {
        matches!(
            *d,
            "locales" | "locale" | "i18n" | "l10n" | "lang" | "langs" | "translations"
        )
    });
    let data = matches!(ext, "json" | "yml" | "yaml" | "properties" | "toml");
    let module = matches!(ext, "js" | "mjs" | "cjs" | "ts" | "mts" | "cts");
    let catalogue_name = (ext == "json" && matches!(stem, "translation" | "translations"))
        || (ext == "properties" && stem.starts_with("messages_"));
    (data && (locale_dir || catalogue_name)) || (module && locale_dir && is_locale_code(stem))
}

/// A locale tag (`de`, `pt_br`, `zh-hans`, `es-419`), lower-cased.
fn is_locale_code(s: &str) -> bool {
    let (lang, region) = match s.split_once(['-', '_']) {
        Some((l, r)) => (l, Some(r)),
        None => (s, None),
    };
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| {
            (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0usize; 256];
    let mut n = 0usize;
    for b in s.bytes() {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c += 1;
        }
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let len = n as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

/// Words and markers that say a value stands in for a real one.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "your",
    "redacted",
    "example",
    "dummy",
    "fake",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "changethis",
    "change_this",
    "change-this",
    "changeit",
    "replace",
    "redacted",
    "xxxx",
    "****",
    "...",
    "…",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "%(",
    "%s",
    "process.env",
    "os.environ",
    "getenv",
    "secrets.",
    "insert",
    "todo",
    "lorem",
    "foobar",
    "mock",
    "sample",
    "notreal",
    "not-real",
    "notasecret",
    "not-a-secret",
    "not_a_secret",
    "not-for-production",
    "not_for_production",
    "dev-only",
    "dev_only",
    "do-not-use",
    "do_not_use",
    "not_real",
    "invalid",
    "nothing",
    "secretkey",
    "secret_key",
    "password",
    "passw0rd",
    "p@ss",
];

/// Well-known default passwords of databases and brokers (`postgres:postgres@`,
/// `guest:guest@`): a local development setup, not a leaked credential.
const DEFAULT_CREDENTIALS: &[&str] = &[
    "postgres",
    "root",
    "admin",
    "administrator",
    "guest",
    "mysql",
    "redis",
    "rabbitmq",
    "mongo",
    "mongodb",
    "user",
    "pass",
    "secret",
    "default",
    "letmein",
    "qwerty",
    "oracle",
    "toor",
    "django",
    "airflow",
    "minioadmin",
    "localdev",
    "devpass",
    "dev",
];

/// Words that, with default credentials, make up prose standing in for a value.
const FILLER_WORDS: &[&str] = &[
    "a", "an", "the", "my", "some", "this", "that", "it", "secret", "password", "pwd", "key",
    "token", "here", "goes", "value", "super", "very",
];

/// A host name reserved for documentation (RFC 2606, RFC 6761): `example.com`,
/// `*.example.org`, `foo.test`, `bar.invalid`, `x.example`.
pub fn is_documentation_host(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    ["example.com", "example.org", "example.net"]
        .iter()
        .any(|d| h == *d || h.ends_with(&format!(".{d}")))
        || [".example", ".test", ".invalid"]
            .iter()
            .any(|t| h.ends_with(t))
        || ["example", "test", "invalid"].contains(&h.as_str())
}

/// Whether a value is base64 for a few words of text (`UGFzc3dvcmQA` is `Password`
/// and a NUL, the challenge an SMTP server sends): a label encoded, not a random key.
/// Digits or symbols in the text (an encoded `Qwerty123`) keep it a candidate.
pub fn encoded_words(value: &str) -> bool {
    use base64::Engine as _;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(value.trim()) else {
        return false;
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return false;
    };
    let text = text.trim_end_matches(['\0', '\n']);
    // A label is short; a longer run of letters may be a passphrase.
    (4..=MAX_LABEL).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphabetic() || matches!(c, ' ' | '.'))
        && !looks_random(text)
}

/// Longest text read as an encoded label (`User Name`).
const MAX_LABEL: usize = 12;

/// A value that stands in for a secret: placeholder words, template syntax, environment
/// lookups, a run of one character, an ascending sequence (`123456`, `abcdef`), a
/// `test` word.
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if DEFAULT_CREDENTIALS.contains(&lower.as_str()) {
        return true;
    }
    // Prose standing in for a value (`a secret`, `my%20password`): every word is a
    // filler or a default credential.
    let decoded = lower.replace("%20", " ").replace('+', " ");
    let words: Vec<&str> = decoded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > 1
        && words
            .iter()
            .all(|w| FILLER_WORDS.contains(w) || DEFAULT_CREDENTIALS.contains(w))
    {
        return true;
    }
    // `sk-my-openai-1st-key`: words that say whose value it is stand in for one.
    if words.len() >= 3
        && words.contains(&"my")
        && words.iter().all(|w| {
            w.chars().all(|c| c.is_ascii_lowercase())
                || ["st", "nd", "rd", "th"].iter().any(|o| {
                    w.strip_suffix(o)
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                })
        })
    {
        return true;
    }
    if PLACEHOLDER_MARKERS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    if self_described(value) {
        return true;
    }
    if lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w.starts_with("test"))
    {
        return true;
    }
    let bytes = lower.as_bytes();
    let mut run = 1;
    let mut asc = 1;
    for pair in bytes.windows(2) {
        let (a, b) = match pair {
            [a, b] => (*a, *b),
            _ => continue,
        };
        run = if a == b && a.is_ascii_alphanumeric() {
            run + 1
        } else {
            1
        };
        asc = if b.is_ascii_alphanumeric() && a.wrapping_add(1) == b {
            asc + 1
        } else {
            1
        };
        if run >= 5 || asc >= 6 {
            return true;
        }
    }
    false
}

/// `preview-token-123`, `vue3-typescript-admin-access-token`, `s2-skip-access-tokens`:
/// lower-case words joined by hyphens that name the kind of credential they stand for
/// (a storage key's name, a preview's stand-in). A secret does not spell out its own
/// kind in words; random parts (longer runs of letters and digits) keep the value.
fn self_described(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let word = |p: &str| p.len() >= 3 && p.len() <= 15 && p.chars().all(|c| c.is_ascii_lowercase());
    let short = |p: &str| {
        !p.is_empty()
            && p.len() <= 4
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    parts.len() >= 3
        && parts.iter().all(|p| word(p) || short(p))
        && parts.iter().filter(|p| word(p)).count() >= 2
        && parts.iter().any(|p| {
            matches!(
                *p,
                "token" | "tokens" | "key" | "keys" | "secret" | "secrets" | "password" | "apikey"
            )
        })
}

static DOTTED: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_$][\w$]*(?:(?:\.|::|->)[A-Za-z_$][\w$]*)+$").ok());
static SNAKE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)$").ok()
});
/// A lower-case path of names (`ory/keysetpagination_v2/page_token`): a namespace
/// or a label, where a secret's base64 would mix cases.
static NAME_PATH: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[a-z][a-z0-9_.-]+(?:/[a-z0-9][a-z0-9_.-]+)+$").ok());
static UUID: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$").ok()
});

fn is_match(re: &LazyLock<Option<Regex>>, s: &str) -> bool {
    re.as_ref().is_some_and(|r| r.is_match(s))
}

/// A value that names something instead of being a secret: a call, a dotted or
/// snake-case identifier, a variable, a YAML tag or anchor, a URL, a path or a file
/// name, a UUID.
/// Words that, followed by digits, make the classic stand-in password.
const COMMON_WORDS: &[&str] = &[
    "password", "passwd", "pass", "secret", "admin", "user", "test", "letmein", "qwerty",
    "welcome", "changeme", "root", "guest", "demo", "hello", "abc", "foo", "bar",
];

static ETH_PUBLIC: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // An account address (20 bytes) or a compressed public key (33 bytes).
    Regex::new(r"^0x(?:[0-9a-fA-F]{40}|0[23][0-9a-fA-F]{64})$").ok()
});

/// Keys that vendors publish to browsers by design: a PostHog project key (`phc_`), a
/// Stripe publishable key (`pk_live_`, `pk_test_`), a Mapbox public token (`pk.`).
pub fn is_public_key(value: &str) -> bool {
    ["phc_", "pk_live_", "pk_test_", "pk.ey"]
        .iter()
        .any(|p| value.starts_with(p))
}

/// The client configuration Firebase generates for a mobile app
/// (`google-services.json`, `GoogleService-Info.plist`): its API key ships inside the
/// app, restricted by the project's security rules.
pub fn is_firebase_client_config(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(name, "google-services.json" | "GoogleService-Info.plist")
}

/// Whether a PEM body (escaped newlines and whitespace aside) starts like an X.509
/// certificate (`MIIF…gAwIBAgI`: a sequence, then the version and serial number), not
/// like any private key encoding.
pub fn certificate_body(pem: &str) -> bool {
    // `-----BEGIN PRIVATE KEY-----BODY-----END …`: the body is the third piece; a
    // match of the body alone is all body.
    let body = if pem.contains("-----") {
        pem.split("-----").nth(2).unwrap_or("")
    } else {
        pem
    };
    let start: String = body
        .replace("\\n", "")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
        .take(24)
        .collect();
    start.contains("AwIBAgI")
}

/// Whether the value sits in a form field's placeholder on its line
/// (`placeholder="…"`, `placeholder: "…"`): an example of the format to type.
pub fn is_placeholder_attribute(line: &str, value: &str) -> bool {
    let Some(at) = line.find(value) else {
        return false;
    };
    let before = line.get(..at).unwrap_or("").to_ascii_lowercase();
    let before = before.trim_end_matches(['"', '\'', '`', '{', ' ']);
    before.ends_with("placeholder=") || before.ends_with("placeholder:")
}

pub fn is_reference(value: &str) -> bool {
    let file_ext = [
        ".json", ".pem", ".key", ".txt", ".yaml", ".yml", ".crt", ".env", ".p12", ".toml", ".cfg",
        ".ini", ".html", ".js", ".py",
    ];
    let lower = value.to_ascii_lowercase();
    let hash_formats = [
        "pbkdf2_", "argon2", "bcrypt$", "scrypt$", "sha1$", "md5$", "{ssha}",
    ];
    value.contains('(')
        || value.contains(')')
        || value.contains('[')
        || value.contains(']')
        // Escapes: bytes spelled out in code (`b"\x9b\xbe…"`), not a typed credential.
        || value.contains('\\')
        || value.ends_with([',', ';'])
        || hash_formats.iter().any(|h| lower.starts_with(h))
        || value.starts_with(['$', '@', '%', '&', '*', '!', '#', '/', '~', '.'])
        // A CSS custom property or a flag (`--color-chart-series-2`).
        || value.starts_with("--")
        // A template's lookup (`{env:DEEPSEEK_API_KEY}`, `{{ .Values.token }}`).
        || (value.starts_with('{') && value.ends_with('}'))
        // A URN (`urn:ietf:params:oauth:token-type:saml2`) names a standard thing.
        || lower.starts_with("urn:")
        || value.contains("://")
        || value.contains("-----")
        || file_ext.iter().any(|e| lower.ends_with(e))
        || is_match(&DOTTED, value)
        || is_match(&SNAKE, value)
        || is_match(&NAME_PATH, value)
        || is_match(&UUID, value)
        || is_match(&ETH_PUBLIC, value)
}

/// Runs of neighbouring keys, the mark of a value typed by hand as a stand-in.
const KEYBOARD_RUNS: &[&str] = &[
    "asdf", "sdfg", "dfgh", "fghj", "ghjk", "hjkl", "qwer", "wert", "erty", "rtyu", "tyui", "yuio",
    "uiop", "zxcv", "xcvb", "cvbn", "vbnm", "lkjh", "kjhg", "jhgf", "fdsa",
];

/// A generic value that could be a secret: letters and digits both, no keyboard run
/// (`asdf`), no chunk typed twice (`asdasd`).
pub fn looks_random(value: &str) -> bool {
    // Text (translations, sentences) is not a typed credential.
    if !value.is_ascii() || value.contains(char::is_whitespace) {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    // A common word with digits (`password123`, `admin2024!`) is a stand-in.
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || "!?.#".contains(c));
    if stem.len() < lower.len() && COMMON_WORDS.contains(&stem) {
        return false;
    }
    if KEYBOARD_RUNS.iter().any(|k| lower.contains(k)) {
        return false;
    }
    let b = lower.as_bytes();
    for k in 3..=4 {
        for i in 0..b.len().saturating_sub(2 * k - 1) {
            if b.get(i..i + k) == b.get(i + k..i + 2 * k)
                && b.get(i..i + k)
                    .is_some_and(|c| c.iter().all(u8::is_ascii_alphabetic))
            {
                return false;
            }
        }
    }
    value.chars().any(|c| c.is_ascii_alphabetic()) && value.chars().any(|c| c.is_ascii_digit())
}

/// Parts of a variable name (`apiKeyURL`, `API_KEY_url` → `api`, `key`, `url`).
pub(crate) fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts
}

/// A variable name that says its value is not a live credential (`TEST_SECRET`,
/// `dummy_token`), or not a credential at all (`token_url`, `PASSWORD_FIELD`,
/// `secret_name`).
pub fn non_secret_name(name: &str) -> bool {
    let parts = name_parts(name);
    let fake = [
        "test",
        "dummy",
        "fake",
        "example",
        "sample",
        "mock",
        "placeholder",
        // What a credential is replaced with when shown (`REDACTED_CREDENTIAL_VALUE`).
        "redacted",
        "masked",
    ];
    if parts.iter().any(|p| fake.contains(&p.as_str())) {
        return true;
    }
    // Identifiers vendors publish to every visitor's browser by design: a chat
    // widget's `websiteToken`, a captcha's `siteKey`, a `publishableKey`.
    let public = parts.iter().any(|p| p == "publishable")
        || parts.windows(2).any(|w| {
            matches!(w, [site, key]
                if matches!(site.as_str(), "site" | "website")
                    && matches!(key.as_str(), "key" | "token"))
        });
    if public {
        return true;
    }
    let not_a_value = [
        "url",
        "uri",
        "urls",
        "endpoint",
        "path",
        "file",
        "filename",
        "dir",
        "name",
        "header",
        "field",
        "type",
        "prefix",
        "suffix",
        "length",
        "len",
        "expiry",
        "expires",
        "ttl",
        "timeout",
        "id",
        "env",
        "var",
        "label",
        "regex",
        "pattern",
        "format",
        "hint",
        "param",
        "policy",
        "mode",
        "method",
        "algorithm",
        "alg",
        "version",
        "count",
        "min",
        "max",
        "limit",
        "class",
        "encoding",
        "kind",
        "hash",
        "hashed",
        "digest",
        "prompt",
        "text",
        "message",
        "msg",
        "title",
        "description",
        "help",
        "error",
        "placeholder",
        "cookie",
        "scope",
        "scopes",
        "location",
        "ref",
        "arn",
        "provider",
        "storage",
        "size",
        "host",
    ];
    // A credential word must be a word of the name, or end one (`dbPassword`,
    // `APITOKEN`): `tokenizerModel` and `max_tokens_per_name` name something else.
    let credential = [
        "secret",
        "secrets",
        "token",
        "password",
        "passwd",
        "pwd",
        "pass",
        "key",
        "credential",
        "credentials",
        "passphrase",
    ];
    // `API_KEY2`, `STRIPE_API_KEYS`: a number or a plural after the word.
    let names_a_credential = parts.iter().any(|p| {
        let p = p.trim_end_matches(|c: char| c.is_ascii_digit());
        let singular = p.strip_suffix('s').unwrap_or(p);
        credential
            .iter()
            .any(|c| p.ends_with(c) || singular.ends_with(c))
    });
    // A word after the credential word that names an attribute of it
    // (`TokenTypeSAML2`, `AuthKeyDeriveInfo`): the value is that attribute.
    let about_it = [
        "info", "context", "purpose", "usage", "type", "kind", "label",
    ];
    let last_credential = parts.iter().rposition(|p| {
        let p = p.trim_end_matches(|c: char| c.is_ascii_digit());
        credential.iter().any(|c| p.ends_with(c))
    });
    let describes = last_credential.is_some_and(|at| {
        parts
            .get(at + 1)
            .is_some_and(|p| about_it.contains(&p.as_str()))
            || parts
                .get(at + 2)
                .is_some_and(|p| about_it.contains(&p.as_str()) && at + 3 == parts.len())
    });
    !names_a_credential
        || describes
        || parts
            .last()
            .is_some_and(|p| not_a_value.contains(&p.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_under_a_key_label_and_form_placeholders_are_not_secrets() {
        let cert = "-----BEGIN PRIVATE KEY-----\\nMIIFRDCCAyygAwIBAgIUEPOR47ys6VDwMVB9tYoeEka83uQw\\n-----END PRIVATE KEY-----";
        assert!(certificate_body(cert));
        let key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCu\n-----END PRIVATE KEY-----";
        assert!(!certificate_body(key));
        assert!(certificate_body(
            "\\nMIIFRDCCAyygAwIBAgIUEPOR47ys6VDwMVB9\\n"
        ));
        let line = r#"<Input placeholder="6660491268:AAFdqU2LK7Vj4mD8n5Rm1tZ8k" {...field} />"#;
        assert!(is_placeholder_attribute(
            line,
            "6660491268:AAFdqU2LK7Vj4mD8n5Rm1tZ8k"
        ));
        let line = r#"const token = "6660491268:AAFdqU2LK7Vj4mD8n5Rm1tZ8k";"#;
        assert!(!is_placeholder_attribute(
            line,
            "6660491268:AAFdqU2LK7Vj4mD8n5Rm1tZ8k"
        ));
        assert!(is_reference("urn:ietf:params:oauth:token-type:saml2"));
        assert!(non_secret_name("TokenTypeSAML2"));
        assert!(non_secret_name("AuthKeyDeriveInfo"));
        assert!(!non_secret_name("API_KEY_PROD"));
        assert!(!non_secret_name("SECRET_KEY_BASE"));
    }

    #[test]
    fn disclaimers_and_sample_prose_are_read_as_phrases() {
        let text = "# not a secrets manager, move to Vault\nKEY = \"k\"\n";
        assert!(!disowned_above(text, text.find("KEY").unwrap_or(0)));
        let text =
            "# It contains no actual tokens\nSAMPLE = {\n    \"ok\": True,\n    \"t\": \"k\",\n}\n";
        assert!(disowned_above(text, text.find("    \"t\"").unwrap_or(0)));
        let text = "# It contains no actual tokens\nSAMPLE = {}\nSIGNING_SECRET = \"k\"\n";
        assert!(!disowned_above(text, text.find("SIGNING").unwrap_or(0)));
        let text = "tracing:\n  sampler: always_on\n  api_key: k\n";
        assert!(!introduced_as_sample(
            text,
            text.find("  api_key").unwrap_or(0)
        ));
        let text = "    Sample response\n    {\n        \"access_token\":\"k\",\n";
        assert!(introduced_as_sample(
            text,
            text.find("        \"access").unwrap_or(0)
        ));
        assert!(is_placeholder("sk-my-openai-1st-key"));
        assert!(!is_placeholder("my-Pr0d-db-2024!"));
        assert!(!non_secret_name("REDIS_SENTINEL_PASSWORD"));
        assert!(!ci_material("ci/credentials.yml"));
        assert!(!ci_material("ci/deploy-secrets.env"));
        assert!(ci_material("helm/app/ci/ct-sharedsecret-values.yaml"));
        assert!(!ci_material("lib/gitlab/ci/runner.rb"));
        assert!(ci_material(".github/ci/e2econfig/config.yaml"));
    }

    #[test]
    fn cfg_predicates_of_test_builds() {
        for p in [
            "test",
            "feature = \"test_mode\"",
            "feature=\"test-utils\"",
            "any(test, feature = \"testing\")",
            "all(unix, test)",
        ] {
            assert!(test_only_cfg(p), "{p}");
        }
        for p in [
            "feature = \"dkim\"",
            "not(test)",
            "any(test, feature = \"tls\")",
            "feature = \"latest\"",
            "unix",
        ] {
            assert!(!test_only_cfg(p), "{p}");
        }
        let text = "#[cfg(test)]\nmod tests;\n\nconst KEY: &str = \"k\";\n";
        assert!(rust_test_ranges(text).is_empty());
        // The test-only item holds `"k"`, and `fn b` after it is outside every range.
        let covers_k_only = |text: &str| {
            let ranges = rust_test_ranges(text);
            let at = text.find("\"k\"").unwrap_or(0);
            let b = text.find("fn b").unwrap_or(0);
            ranges.iter().any(|&(from, to)| from < at && at < to)
                && ranges.iter().all(|&(_, to)| to < b)
        };
        let text =
            "fn a() {}\n#[cfg(feature = \"test_mode\")]\nconst KEY: &str = \"k\";\nfn b() {}\n";
        assert_eq!(rust_test_ranges(text).len(), 1);
        assert!(covers_k_only(text));
        let text = "struct S;\n#[cfg(test)]\nimpl S {\n    pub(crate) async fn fake() -> Self {\n        let k = \"k\";\n        S\n    }\n}\n\nfn b() {}\n";
        assert!(covers_k_only(text));
        // Another attribute between the `cfg` and the test module.
        let text = "fn a() {}\n#[cfg(test)]\n#[allow(clippy::unwrap_used)]\nmod tests {\n    const K: &str = \"k\";\n}\n";
        let at = text.find("\"k\"").unwrap_or(0);
        assert!(
            rust_test_ranges(text)
                .iter()
                .any(|&(from, to)| from < at && at < to)
        );
    }

    #[test]
    fn placeholders_are_recognised() {
        for v in [
            "your-api-key",
            "dev-only-pepper-not-for-production-use-32b+",
            "xxxxxxxxxxxxxxxx",
            "changeme",
            "<token>",
            "${DB_PASSWORD}",
            "{{ vault_pass }}",
            "%(password)s",
            "process.env.TOKEN",
            "os.environ['X']",
            "aaaaaaaa1",
            "1234567890",
            "abcdef0987",
            "my-example-key-1",
            "dummy123456",
            "fake_token_77",
            "test1234abcd",
            "sk_live_testkey9Z",
            "postgres",
            "guest",
            "preview-token-123",
            "vue3-typescript-admin-access-token",
            "s2-skip-access-tokens",
        ] {
            assert!(is_placeholder(v), "{v} should be a placeholder");
        }
    }

    #[test]
    fn random_values_are_not_placeholders() {
        for v in [
            "Qz7xR2mK9pW4M2",
            "hunter2xyz9",
            "k8Fq2LzX0pRt7Vb3Nw",
            "ghp_T9kq2LmX8vB4nR7cW1zY5pD3hJ6fA0sQeUiO",
            "access-token-k8Fq2LzX0pRt7Vb3",
            "correct-horse-battery-staple",
        ] {
            assert!(!is_placeholder(v), "{v} is not a placeholder");
        }
    }

    #[test]
    fn references_are_not_values() {
        for v in [
            "get_password()",
            "settings.SECRET_KEY",
            "config.api_key",
            "DB_PASSWORD_V2",
            "api_key_v2",
            "$SECRET",
            "!vault",
            "https://oauth2.example.org/token",
            "/run/secrets/db2",
            "service-account.json",
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            "Self::TOKEN2",
            "ory/keysetpagination_v2/page_token",
            "--color-chart-series-2",
            "{env:DEEPSEEK_API_KEY_E2E}",
        ] {
            assert!(is_reference(v), "{v} should be a reference");
        }
        assert!(!is_reference("Qz7xR2mK9pW4M2"));
        assert!(!is_reference("-Qz7xR2mK9pW4M2"));
        // Base64 with slashes mixes cases: still a value.
        assert!(!is_reference("aB3x/Yq9Zk2P/wR7tLm4"));
        for v in [
            "token_string[0:2]",
            "Tokens_js_1.Tokens,",
            "\\x9b\\xbe\\x43\\x6b",
            "pbkdf2_sha256$10000$LUyhxJjuLwXF$f6Zbpnx1L5dPze8m0itBaHMDyZ",
        ] {
            assert!(is_reference(v), "{v} should not be a value");
        }
    }

    #[test]
    fn hand_typed_stand_ins_do_not_look_random() {
        assert!(!looks_random("asdfoiw37850234lkjsdfsdf"));
        assert!(!looks_random("2kjshdfp92i34asdasd"));
        assert!(!looks_random("Password"));
        assert!(example_field("            example: cy.s.api1.eyJraWQ"));
        assert!(example_field("  \"example\": \"eyJhbGci\","));
        assert!(!example_field("  api_key: eyJhbGci"));
        assert!(!example_field("example_key = \"eyJhbGci\""));
        assert!(encoded_words("UGFzc3dvcmQA"));
        assert!(encoded_words("VXNlciBOYW1lAA=="));
        assert!(!encoded_words("UXdlcnR5MTIz"));
        // CorrectHorseBatteryStaple, admin:SuperSecretPass: passphrases.
        assert!(!encoded_words("Q29ycmVjdEhvcnNlQmF0dGVyeVN0YXBsZQ=="));
        assert!(!encoded_words("YWRtaW46U3VwZXJTZWNyZXRQYXNz"));
        assert!(!encoded_words("k8Fq2LzX0pRt7Vb3Nw"));
        assert!(looks_random("k8Fq2LzX0pRt7Vb3Nw"));
    }

    #[test]
    fn names_that_do_not_hold_credentials() {
        assert!(non_secret_name("TEST_SECRET"));
        assert!(non_secret_name("tokenUrl"));
        assert!(non_secret_name("PASSWORD_FIELD"));
        assert!(non_secret_name("secret_name"));
        assert!(!non_secret_name("DB_PASSWORD"));
        assert!(!non_secret_name("apiKey"));
        assert!(!non_secret_name("client_secret"));
        assert!(!non_secret_name("dbPassword"));
        assert!(!non_secret_name("APITOKEN"));
        assert!(!non_secret_name("private_key"));
        assert!(non_secret_name("tokenizerModel"));
        assert!(!non_secret_name("API_KEY2"));
        assert!(!non_secret_name("STRIPE_API_KEYS"));
        assert!(!non_secret_name("DB_PASSWORD2"));
        assert!(non_secret_name("tokens_per_message"));
    }

    #[test]
    fn entropy_grows_with_variety() {
        assert!(entropy("aaaaaaaa") < 0.01);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
        assert!(entropy("Qz7xR2mK9pW4M2") > 3.5);
    }

    #[test]
    fn files_are_placed_by_path() {
        assert_eq!(
            context_of("tests/fixtures/keys.py"),
            HitContext::TestFixture
        );
        assert_eq!(context_of("pkg/client_test.go"), HitContext::TestFixture);
        assert_eq!(context_of("src/app.spec.ts"), HitContext::TestFixture);
        assert_eq!(context_of("docs/setup.md"), HitContext::Docs);
        assert_eq!(context_of("README.md"), HitContext::Docs);
        assert_eq!(context_of("examples/client.py"), HitContext::Example);
        assert_eq!(
            context_of("internal/testutils/smtp_server.go"),
            HitContext::TestFixture
        );
        assert_eq!(
            context_of("internal/utils/smtp_server.go"),
            HitContext::None
        );
        assert_eq!(context_of(".env.example"), HitContext::Example);
        assert_eq!(context_of("config/settings.py"), HitContext::None);
        assert_eq!(context_of("src/contest.py"), HitContext::None);
        assert_eq!(
            context_of("config-local-test.toml"),
            HitContext::TestFixture
        );
        assert_eq!(
            context_of("scripts/test-environments/oidc/configuration.yml"),
            HitContext::TestFixture
        );
        assert_eq!(
            context_of("src/data/migration/db_migrate_dev.rs"),
            HitContext::Development
        );
        assert_eq!(context_of("src/device.rs"), HitContext::None);
        assert_eq!(context_of("src/latest.toml"), HitContext::None);
        assert_eq!(context_of("config/testimonials.yml"), HitContext::None);
        assert_eq!(
            context_of("db-test-setup/postgres/ssl/server.key"),
            HitContext::TestFixture
        );
        assert_eq!(
            context_of("db-setup/postgres/ssl/server.key"),
            HitContext::None
        );
        assert_eq!(context_of("my-contest-app/server.key"), HitContext::None);
        assert_eq!(
            context_of("services/ab-testing/config.py"),
            HitContext::None
        );
        assert_eq!(context_of("tools/speed-test/keys.py"), HitContext::None);
        assert_eq!(
            context_of("integration/tls/client.key"),
            HitContext::TestFixture
        );
        assert_eq!(
            context_of("src/integration/slack/keys.py"),
            HitContext::None
        );
        assert_eq!(context_of("integrations/slack.py"), HitContext::None);
        assert_eq!(
            context_of("dev/rstuf/keys/root/root1"),
            HitContext::Development
        );
        assert_eq!(context_of("app/dev/keys.py"), HitContext::None);
        assert_eq!(
            context_of("server/configs/certs/tls/benchmark-server-key-rsa-2048.pem"),
            HitContext::TestFixture
        );
        assert_eq!(context_of("scripts/benchmark.py"), HitContext::None);
    }

    #[test]
    fn tokens_signed_with_a_published_demo_key_are_recognised() {
        // jwt.io's sample token, signed with `your-256-bit-secret`, and another
        // token signed with that key.
        let sample = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let dev = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsIm5hbWUiOiJEZXYgVXNlciIsImVtYWlsIjoiZGV2QGFjbWUub3JnIn0.pAImQ5XZMl3RzMwamAgkDbRYsnpOTQMkDxKnJvXsMtM";
        assert_eq!(jwt_published_key(dev), Some("your-256-bit-secret"));
        assert_eq!(jwt_published_key(sample), Some("your-256-bit-secret"));
        // The same claims signed with another key.
        let other = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsIm5hbWUiOiJEZXYgVXNlciIsImVtYWlsIjoiZGV2QGFjbWUub3JnIn0.calp9Cday6u4cKRLSg7Gh3rCOX5oWwEbC-8ZGWKDlPw";
        assert_eq!(jwt_published_key(other), None);
        assert_eq!(jwt_published_key("not.a.token"), None);
    }

    #[test]
    fn translation_catalogues_are_structured_only() {
        for path in [
            "static/locales/de/translation.json",
            "web/src/i18n/translations/de-DE.ts",
            "locale/fr/LC_MESSAGES/django.po",
            "config/locales/pt_BR.yml",
            "app/lang/es-419.json",
        ] {
            assert!(FileProfile::of(path, "{}").structured_only(), "{path}");
        }
        for path in [
            "config/settings.json",
            "src/i18n/index.ts",
            "src/lang/parser.ts",
            "deploy/values.yaml",
            "src/api.ts",
            "nx.json",
            "config/translation.yml",
            "config/translation_api.json",
        ] {
            assert!(!FileProfile::of(path, "{}").structured_only(), "{path}");
        }
    }

    #[test]
    fn lock_and_minified_files_are_structured_only() {
        assert!(FileProfile::of("web/package-lock.json", "{}").structured_only());
        assert!(FileProfile::of("Cargo.lock", "").structured_only());
        assert!(FileProfile::of("static/app.min.js", "x").structured_only());
        let long = "a".repeat(10_000);
        assert!(FileProfile::of("static/app.js", &long).structured_only());
        assert!(!FileProfile::of("app/settings.py", "x = 1\n").structured_only());
    }
}
