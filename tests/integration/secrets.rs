//! The secret scanner end to end: precision and recall over the labelled corpus
//! (`tests/fixtures/secrets/`), and no report format ever showing a secret in full.
//! Every secret here is random and fake.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use greenlight::analyze::secrets::scan_text;

use crate::support::{audit_json, fixtures, materialize, run, stdout};

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn corpus_precision_and_recall() {
    let base = fixtures().join("secrets");
    let root = base.join("corpus");
    let labels: BTreeSet<(String, u32, String)> = fs::read_to_string(base.join("labels.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (place, rule) = l.split_once(' ').unwrap();
            let (path, line) = place.rsplit_once(':').unwrap();
            (
                path.to_string(),
                line.parse().unwrap(),
                rule.trim().to_string(),
            )
        })
        .collect();
    assert!(labels.len() >= 60, "{} labelled secrets", labels.len());
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    let mut found = BTreeSet::new();
    for (path, text) in &files {
        for h in scan_text(path, text) {
            found.insert((path.clone(), h.line, h.rule.to_string()));
        }
    }
    let tp = found.intersection(&labels).count();
    let fp: Vec<_> = found.difference(&labels).collect();
    let fn_: Vec<_> = labels.difference(&found).collect();
    let precision = tp as f64 / found.len().max(1) as f64;
    let recall = tp as f64 / labels.len() as f64;
    println!(
        "secret corpus: {} files, {} labelled, {} found: precision {:.1}%, recall {:.1}%",
        files.len(),
        labels.len(),
        found.len(),
        precision * 100.0,
        recall * 100.0
    );
    println!("false positives: {fp:#?}\nmissed: {fn_:#?}");
    assert!(
        precision >= 0.95,
        "precision {precision:.3}; false positives: {fp:#?}"
    );
    assert!(recall >= 0.90, "recall {recall:.3}; missed: {fn_:#?}");
}

/// (prefix shown in the masked form, random part).
const SECRETS: &[(&str, &str)] = &[
    ("ghp_", "zymMlopiWfqUyHRSIf8NFmAUNLnY5Yx0y3Rn"),
    ("sk_live_", "jDQl2Kvf8THRXfEuzcrJaBnx7IfDH5"),
    (
        "xoxb-",
        "397052327928-201027616124-NayviHzm5YdOnCqIz0Wiw8SE",
    ),
    ("AKIA", "DIJ2HGHJSLL2JNU7"),
    ("", "DGpUxjKbgRBWZRZX1VlxeVZ4DNCNnOBFXL4k41Gi"),
    (
        "sk-ant-api03-",
        "LP9qG3L0uKW4yWRzSaTLyvH1D0SZaozaNv4AH17KzcnNjeh1MVLymYZwH6Qqq5X1wUGAJ7Wx98vjE6boQ-jQaJbO0HvrgAA",
    ),
    ("hf_", "zcdvGoJWskCdSXAoZmhFkrrQxeJmXJlSwP"),
    ("", "90IfVRhUi0ijIfcWGP"),
    (
        "",
        "WvTDuRgR3yNwos/bDWmE4kuv4VGOfYcMuqbKLLp/2jfTuOQPeWIDtcKZ1Dw0gBEH",
    ),
    (
        "",
        "um3adzqxMhGx3taeY5jvDR3q9lVuD+Am3zwr8FwGvjEED1YjEGPQ/ymde3hOygLx",
    ),
    ("", "r57QqaKHsm7UxhkwyjStH"),
];

fn secret(i: usize) -> String {
    let (p, r) = SECRETS[i];
    format!("{p}{r}")
}

/// Seven-character windows of a secret that reach into its random part.
fn windows(prefix: &str, random: &str) -> Vec<String> {
    let full: Vec<char> = format!("{prefix}{random}").chars().collect();
    let start = prefix.chars().count().saturating_sub(6);
    (start..=full.len().saturating_sub(7))
        .map(|i| full[i..i + 7].iter().collect())
        .collect()
}

#[test]
fn no_report_format_shows_a_secret() {
    let mut files = BTreeMap::new();
    files.insert(
        "app/settings.py".to_string(),
        format!(
            "import os\nGITHUB_TOKEN = \"{}\"\nstripe.api_key = \"{}\"\nDB_PASSWORD = \"{}\"\nclient = Anthropic(api_key=\"{}\")\n",
            secret(0),
            secret(1),
            secret(7),
            secret(5)
        ),
    );
    files.insert(
        "deploy/values.yaml".to_string(),
        format!(
            "slack:\n  token: {}\naws:\n  aws_access_key_id: {}\n  aws_secret_access_key: {}\n",
            secret(2),
            secret(3),
            secret(4)
        ),
    );
    files.insert(
        ".env".to_string(),
        format!("HF_TOKEN={}\nAPP_SECRET={}\n", secret(6), secret(10)),
    );
    files.insert(
        "notebooks/a.ipynb".to_string(),
        format!(
            "{{\"cells\": [{{\"cell_type\": \"code\", \"source\": [\"token = \\\"{}\\\"\\n\"]}}]}}\n",
            secret(0)
        ),
    );
    files.insert(
        "deploy/key.pem".to_string(),
        format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n{}\n-----END RSA PRIVATE KEY-----\n",
            secret(8),
            secret(9)
        ),
    );
    files.insert(
        "docs/setup.md".to_string(),
        format!("Use `export GITHUB_TOKEN={}` to log in.\n", secret(0)),
    );
    let dir = materialize(&files);
    let (json, _) = audit_json(dir.path(), &[]);
    let json = json.to_string();
    let md_dir = tempfile::tempdir().unwrap();
    let md_path = md_dir.path().join("review.md");
    run(&[
        "audit",
        dir.path().to_str().unwrap(),
        "--quiet",
        "--out",
        md_path.to_str().unwrap(),
    ]);
    let markdown = fs::read_to_string(&md_path).unwrap();
    let terminal = stdout(&run(&["audit", dir.path().to_str().unwrap()]));
    assert!(
        json.contains("security.secrets") && markdown.contains("GitHub personal access token"),
        "the secrets were not reported"
    );
    assert!(terminal.len() > 100, "no terminal report");
    for (name, out) in [
        ("JSON", &json),
        ("Markdown", &markdown),
        ("terminal", &terminal),
    ] {
        for (prefix, random) in SECRETS {
            for w in windows(prefix, random) {
                assert!(
                    !out.contains(&w),
                    "{name} output shows `{w}` of secret {prefix}{}…",
                    &random[..2]
                );
            }
        }
    }
}

fn secrets_check(json: &serde_json::Value) -> &serde_json::Value {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "security.secrets")
        .unwrap()
}

#[test]
fn a_scan_past_its_time_budget_is_incomplete_and_unknown() {
    let dir = materialize(
        &[
            ("app.py", "import os\n"),
            ("greenlight.toml", "[thresholds]\nsecret_scan_seconds = 0\n"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect(),
    );
    let (json, _) = audit_json(dir.path(), &[]);
    let check = secrets_check(&json);
    assert_eq!(check["status"], "unknown", "{check}");
    assert_eq!(
        check["summary"],
        "incomplete: the secret scan stopped at its 0 s time budget after 0 of 2 text files; no secret in what was scanned"
    );
}

/// The secrets check of a repository holding `files` and a `settings.py` dense with
/// twelve thousand stand-in passwords (each a regex match the noise layer rejects).
fn dense_secrets_check(files: &[(&str, &str)]) -> serde_json::Value {
    let dense = "password = \"changeme\"\n".repeat(12_000);
    let dir = materialize(
        &std::iter::once(("settings.py", dense.as_str()))
            .chain(files.iter().copied())
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    );
    let (json, _) = audit_json(dir.path(), &[]);
    secrets_check(&json).clone()
}

#[test]
fn a_file_dense_with_look_alikes_is_scanned_within_bounds_and_says_so() {
    let check = dense_secrets_check(&[("app.py", "import os\n")]);
    assert_eq!(check["status"], "unknown", "{check}");
    assert!(
        check["summary"]
            .as_str()
            .unwrap()
            .starts_with("incomplete: settings.py too dense to scan whole"),
        "{check}"
    );
}

#[test]
fn suppressing_every_concern_of_an_incomplete_scan_does_not_make_it_pass() {
    // A dense file stops the scan (unknown); a fixture secret is its one concern, and
    // the repository's policy accepts it.
    let fixture = "TOKEN = \"ghp_R7kQ2mX9pL4vB8nC3zT6wY1sD5fH0jG2aE4u\"\n";
    let policy = "[[suppress]]\ncheck = \"security.secrets\"\nreason = \"fixtures\"\n";
    let check =
        dense_secrets_check(&[("tests/test_auth.py", fixture), ("greenlight.toml", policy)]);
    assert_eq!(check["status"], "unknown", "{check}");
    assert!(
        check["summary"]
            .as_str()
            .unwrap()
            .contains("suppressed by the policy"),
        "{check}"
    );
}

#[test]
fn files_past_the_read_budget_make_the_scan_incomplete() {
    let dir = materialize(
        &[
            ("a.py", "x = 1\n"),
            ("b.py", "y = 2\n"),
            ("c.py", "z = 3\n"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect(),
    );
    let options = greenlight::repo::WalkOptions {
        max_total_bytes: 7,
        ..greenlight::repo::WalkOptions::default()
    };
    let inventory = greenlight::repo::walk(dir.path(), &options);
    let facts = greenlight::analyze::secrets::scan(&inventory, std::time::Duration::from_secs(60));
    assert!(facts.not_read >= 1, "{facts:?}");
    assert!(facts.incomplete());
}

#[test]
fn a_secret_that_is_also_a_name_in_the_tree_masks_its_credential_not_every_path() {
    let mut files = BTreeMap::new();
    files.insert(
        "mealie/settings.py".to_string(),
        "import os\n\nDEBUG = os.environ.get(\"DEBUG\")\n".to_string(),
    );
    files.insert(
        "docker-compose.yml".to_string(),
        "services:\n  api:\n    environment:\n      DATABASE_URL: postgres://app:mealie@db:5432/app\n"
            .to_string(),
    );
    let dir = materialize(&files);
    let md = dir.path().join("review.md");
    let out = run(&[
        "audit",
        dir.path().to_str().unwrap(),
        "--out",
        md.to_str().unwrap(),
    ]);
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{out:?}"
    );
    let md = fs::read_to_string(md).unwrap();
    // The credential is masked where it is one...
    assert!(!md.contains("app:mealie@"), "{md}");
    // ...and the directory of the same name is still readable.
    assert!(md.contains("mealie/settings.py"), "{md}");
}
