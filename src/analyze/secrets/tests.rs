//! Unit tests of the secret scanner. Every token here is random and fake.

use super::*;

const GHP: &str = "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d";
const AKIA: &str = "AKIAZDOCIS2JHTLGMXGE";
const AWS_SECRET: &str = "hA+2O76UMFxFkM+R5Kjp1vRt/1fjORS+6ilI8ihN";

fn rules_of(hits: &[SecretHit]) -> Vec<&'static str> {
    hits.iter().map(|h| h.rule).collect()
}

#[test]
fn finds_a_github_token_and_keeps_only_its_masked_form() {
    let text = format!("import os\n\nGITHUB = \"{GHP}\"\n");
    let hits = scan_text("config/settings.py", &text);
    assert_eq!(rules_of(&hits), ["github-pat"]);
    let h = &hits[0];
    assert_eq!(h.line, 3);
    assert_eq!(h.redacted, "ghp_…8d");
    assert_eq!(&"GITHUB = \"".len(), &(h.start as usize));
    assert_eq!(h.end - h.start, 40);
    assert_eq!(h.confidence, Confidence::High);
    assert_eq!(h.context, HitContext::None);
    let debug = format!("{hits:?}");
    assert!(!debug.contains(&GHP[4..]), "the secret leaked: {debug}");
}

#[test]
fn fingerprints_are_stable_and_depend_on_place() {
    let text = format!("t = \"{GHP}\"\n");
    let a = scan_text("a.py", &text);
    let b = scan_text("b.py", &text);
    assert_eq!(a[0].fingerprint.len(), 16);
    // A fixed algorithm (SHA-256): the same value on every platform and run.
    assert_eq!(a[0].secret_hash, short_hash(&[GHP]));
    assert_eq!(a[0].secret_hash, b[0].secret_hash);
    assert_ne!(a[0].fingerprint, b[0].fingerprint);
    assert_eq!(short_hash(&["abc"]), "ba7816bf8f01cfea");
}

#[test]
fn aws_secret_only_near_an_aws_keyword_and_not_the_documented_keys() {
    let text = format!(
        "aws_access_key_id = {AKIA}\naws_secret_access_key = {AWS_SECRET}\nother = \"{AWS_SECRET}\"\n"
    );
    let hits = scan_text("deploy/credentials", &text);
    assert_eq!(
        rules_of(&hits),
        ["aws-access-key-id", "aws-secret-access-key"]
    );
    let docs = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
    assert!(scan_text("deploy/credentials", docs).is_empty());
}

#[test]
fn generic_assignments_need_a_random_value() {
    let text = r#"
DB_PASSWORD = "hunter2xyz9"
password = get_password()
password = os.environ["DB_PASSWORD"]
label = "Password:"
PASSWORD_FIELD = "password1"
token_url = "https://auth.acme.io/oauth2/token"
api_key = "your-api-key-here1"
TEST_SECRET = "k8Fq2LzX0pRt7Vb3Nw"
secret = settings.SECRET_KEY
"#;
    let hits = scan_text("app/settings.py", text);
    assert_eq!(rules_of(&hits), ["generic-password"]);
    assert_eq!(hits[0].line, 2);
    assert_eq!(hits[0].confidence, Confidence::Medium);
}

#[test]
fn a_token_rule_wins_over_a_generic_one_on_the_same_value() {
    let text = format!("api_token = \"{GHP}\"\n");
    assert_eq!(rules_of(&scan_text("x.py", &text)), ["github-pat"]);
}

#[test]
fn private_key_blocks_are_reported_at_their_header() {
    let body = "MIIEowIBAAKCAQEAu8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dPKR0CsTy4Qwb\n8DwkNhFdnXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojfljoQoaF1LlhA2O76UMFxFk\n";
    let text = format!("x\n-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n");
    let hits = scan_text("deploy/key.pem", &text);
    assert_eq!(rules_of(&hits), ["private-key"]);
    assert_eq!(hits[0].line, 2);
    assert_eq!((hits[0].start, hits[0].end), (0, 0));
    let placeholder = "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n";
    assert!(scan_text("docs/keys.md", placeholder).is_empty());
}

#[test]
fn test_fixtures_are_reported_but_weighed_less() {
    let text = format!("TOKEN = \"{GHP}\"\n");
    let hits = scan_text("tests/fixtures/auth.py", &text);
    assert_eq!(hits[0].context, HitContext::TestFixture);
    assert_eq!(hits[0].confidence, Confidence::Medium);
    let moved = scan_text("app/x.py", &text)
        .remove(0)
        .in_context(HitContext::Docs);
    assert_eq!(moved.confidence, Confidence::Medium);
}

#[test]
fn lock_files_are_read_by_token_rules_only() {
    let lock = "\"integrity\": \"sha512-Qz7xR2mK9pW4M2k8Fq2LzX0pRt7Vb3Nw==\",\n\"token\": \"k8Fq2LzX0pRt7Vb3Nw\"\n";
    assert!(scan_text("package-lock.json", lock).is_empty());
    assert_eq!(scan_text("config.json", lock).len(), 1);
}

#[test]
fn a_file_without_keywords_has_no_hits() {
    assert!(scan_text("src/lib.rs", "fn main() { println!(\"hi\"); }\n").is_empty());
}

#[test]
fn key_files_by_name_and_content() {
    assert_eq!(
        key_file("certs/server.p12", None),
        Some("PKCS#12 key store")
    );
    assert_eq!(
        key_file("deploy/id_rsa", Some("-----BEGIN OPENSSH PRIVATE KEY-----")),
        Some("SSH private key")
    );
    assert_eq!(
        key_file("certs/ca.pem", Some("-----BEGIN CERTIFICATE-----\nMIIB\n")),
        None
    );
    assert_eq!(key_file("src/key.rs", Some("PRIVATE KEY")), None);
}

#[test]
fn urls_to_documentation_hosts_and_prose_passwords_are_not_secrets() {
    let quiet = [
        "E.g.: `https://1234abcd:5678efgh@sentry.example.com/30`.",
        "url = 'postgresql://app:Xk29dLq0PzT4@db.example.org/app'",
        "    >>> URL('https://jo%40email.com:a%20secret@m.de:1234/pa%20th')",
        "sqlalchemy.url = postgresql://postgres:changethis@db/app",
    ];
    for line in quiet {
        assert!(scan_text("app/settings.py", line).is_empty(), "{line}");
    }
    let found = scan_text(
        "app/settings.py",
        "url = 'postgresql://app:Xk29dLq0PzT4vR@db.internal.corp/app'",
    );
    assert_eq!(found.len(), 1);
}

#[test]
fn public_addresses_translations_and_stand_in_passwords_are_not_secrets() {
    let quiet = [
        "  BeeTokenAddress = '0x36435796Ca9be2bf150CE0dECc2D8Fab5C4d6E13'",
        "  privateKey: '0x02c7a1f1e7a6d0b7b7c4ed0d8be6c1ed8c6b4aeab4b65f7e5a0a2a0d4e6f8a9c06'",
        "  \"INITIAL_TOKEN_TOOLTIP\": \"此令牌為初始令牌，請在使用前更換它。\",",
        "  password = \"password123\"",
        "  \"password\": \"admin2024!\",",
    ];
    for line in quiet {
        assert!(scan_text("src/app.ts", line).is_empty(), "{line}");
    }
    let found = scan_text(
        "src/app.ts",
        "  privateKey: '0x5bcc3e9d38baa06e7bfaab80ae5957bbe8ef059e640311d7d6d465e6bc948e3e'",
    );
    assert_eq!(found.len(), 1, "a 32-byte private key is a secret");
}

#[test]
fn quoted_paths_resolve_from_the_naming_file_or_above() {
    assert!(super::resolves_to(
        "command/src/state.rs",
        "../assets/key.pem",
        "command/assets/key.pem"
    ));
    assert!(super::resolves_to(
        "command/src/state.rs",
        "./assets/key.pem",
        "command/assets/key.pem"
    ));
    assert!(!super::resolves_to(
        "lib/src/tls.rs",
        "../assets/key.pem",
        "command/assets/key.pem"
    ));
    assert!(!super::resolves_to("a.rs", "../../../key.pem", "key.pem"));
    assert_eq!(
        super::quoted_paths(r#"include_str!("../a/k.pem"), 'x'"#),
        vec!["../a/k.pem", "x"]
    );
}
