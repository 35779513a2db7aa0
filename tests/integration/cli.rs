//! The command line as a user runs it: commands, options, exit codes, messages.

use std::fs;

use crate::support::{audit_json, fixtures, greenlight, run, stderr, stdout};

fn poor() -> std::path::PathBuf {
    fixtures().join("repos/python-cli-poor")
}

fn good() -> std::path::PathBuf {
    fixtures().join("repos/python-service-good")
}

#[test]
fn audit_prints_the_verdict_and_categories() {
    let out = run(&["audit", poor().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Verdict: STAGING ONLY"), "{text}");
    assert!(text.contains("Observability"));
    assert!(text.contains("Top actions:"));
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
}

#[test]
fn audit_defaults_to_the_current_directory() {
    let out = greenlight()
        .current_dir(good())
        .args(["audit", "--quiet", "--out"])
        .arg(tempfile::tempdir().unwrap().path().join("r.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = greenlight()
        .current_dir(good())
        .arg("audit")
        .output()
        .unwrap();
    assert!(stdout(&out).contains("python-service-good"));
}

#[test]
fn out_writes_markdown_and_json_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("nested/review.md");
    let json = dir.path().join("review.json");
    let out = run(&[
        "audit",
        poor().to_str().unwrap(),
        "--out",
        md.to_str().unwrap(),
        "--out",
        json.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "--quiet prints nothing");
    let md_text = fs::read_to_string(&md).unwrap();
    assert!(md_text.starts_with("# Production Readiness Review: python-cli-poor"));
    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["schema_version"], 1);
    // No temporary files are left beside the reports.
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn unknown_report_extension_is_a_usage_error_before_auditing() {
    let out = run(&["audit", poor().to_str().unwrap(), "--out", "review.pdf"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("review.pdf") && err.contains(".md or .json"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn fail_on_gates_by_verdict() {
    let not_ready = fixtures().join("repos/monorepo-go-python");
    let out = run(&[
        "audit",
        not_ready.to_str().unwrap(),
        "-q",
        "--fail-on",
        "not-ready",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("gate failed: the verdict is NOT READY"));
    // Six P1 concerns: STAGING ONLY, which only the stricter gate stops.
    let out = run(&[
        "audit",
        poor().to_str().unwrap(),
        "-q",
        "--fail-on",
        "not-ready",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The well-prepared service is STAGING ONLY until its tests are run.
    let out = run(&[
        "audit",
        good().to_str().unwrap(),
        "-q",
        "--fail-on",
        "not-ready",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&[
        "audit",
        good().to_str().unwrap(),
        "-q",
        "--fail-on",
        "staging-only",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&[
        "audit",
        good().to_str().unwrap(),
        "-q",
        "--fail-on",
        "sometimes",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missing_or_non_directory_paths_are_errors() {
    let out = run(&["audit", "/nonexistent/greenlight/path"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "greenlight: error: /nonexistent/greenlight/path does not exist"
    );
    let file = poor().join("README.md");
    let out = run(&["audit", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not a directory"));
}

#[test]
fn checks_lists_every_check_and_explain_documents_one() {
    let out = run(&["checks"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for id in greenlight::checks::ids() {
        assert!(text.contains(id), "{id} not listed");
    }
    let out = run(&["explain", "observability.health-endpoints"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("### Why it matters") && text.contains("### How to fix"));
    assert!(text.contains("Default severity: P1"));
}

#[test]
fn explain_unknown_check_suggests_close_ids() {
    let out = run(&["explain", "health-endpoints"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean observability.health-endpoints"),
        "{}",
        stderr(&out)
    );
    let out = run(&["explain", "zzz"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`greenlight checks` lists them all"));
}

#[test]
fn init_writes_a_starter_policy_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["init", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = fs::read_to_string(dir.path().join("greenlight.toml")).unwrap();
    assert_eq!(written, greenlight::config::STARTER);
    let out = run(&["init", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already exists; not overwriting it"));
    assert_eq!(
        fs::read_to_string(dir.path().join("greenlight.toml")).unwrap(),
        written
    );
    // The starter is a valid policy for an audit.
    let out = run(&["audit", dir.path().to_str().unwrap(), "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn invalid_policy_is_one_clear_sentence_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("greenlight.toml"),
        "[thresholds]\ncoverge = 70\n",
    )
    .unwrap();
    let out = run(&["audit", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("greenlight.toml:2: unknown field `coverge`"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    fs::write(
        dir.path().join("greenlight.toml"),
        "[checks.\"nope.nothing\"]\nenabled = false\n",
    )
    .unwrap();
    let out = run(&["audit", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown check `nope.nothing`"));
    let out = run(&[
        "audit",
        dir.path().to_str().unwrap(),
        "--policy",
        "/nonexistent/policy.toml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read the policy file"));
}

#[test]
fn jobs_do_not_change_the_result() {
    let (one, _) = audit_json(&poor(), &["--jobs", "1"]);
    let (many, _) = audit_json(&poor(), &["--jobs", "4"]);
    assert_eq!(one, many);
}

#[test]
fn help_describes_exit_codes() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    assert!(
        stdout(&out)
            .contains("Exit codes: 0 done, 1 the --fail-on gate failed, 2 usage or I/O error")
    );
    let out = run(&["audit", "--help"]);
    assert!(stdout(&out).contains("--fail-on"));
}

#[test]
fn a_closed_output_pipe_ends_quietly() {
    use std::process::{Command, Stdio};
    let bin = assert_cmd::cargo::cargo_bin("greenlight");
    let mut child = Command::new(bin)
        .arg("checks")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Hang up before the first write, as a reader that has seen enough does.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
}

/// A copy of the poorly prepared fixture with a policy of its own that disables a
/// check and suppresses every finding of another.
fn poor_with_own_policy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_tree(&poor(), dir.path());
    fs::write(
        dir.path().join("greenlight.toml"),
        "[thresholds]\ncoverage = 40\n\n[checks.\"e2e.suite\"]\nenabled = false\n\n[[suppress]]\ncheck = \"ci.tests\"\nreason = \"we test by hand\"\n",
    )
    .unwrap();
    dir
}

#[test]
fn a_repository_policy_that_weakens_the_review_is_announced() {
    let dir = poor_with_own_policy();
    let (json, out) = audit_json(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let effect = &json["policy_effect"];
    assert_eq!(effect["from_repository"], true);
    assert_eq!(effect["disabled_checks"], serde_json::json!(["e2e.suite"]));
    assert!(
        effect["suppressed_findings"].as_u64().unwrap() >= 1,
        "{effect}"
    );
    let text = stdout(&run(&["audit", dir.path().to_str().unwrap()]));
    assert!(
        text.contains(
            "The repository's own policy (greenlight.toml) disabled 1 check (e2e.suite), suppressed"
        ),
        "{text}"
    );
    assert!(
        text.contains("and relaxed coverage = 40 (default 80);"),
        "{text}"
    );
}

#[test]
fn an_explicit_policy_replaces_the_repository_own() {
    let dir = poor_with_own_policy();
    let mine = tempfile::tempdir().unwrap();
    let policy = mine.path().join("ci-policy.toml");
    fs::write(&policy, "").unwrap();
    let (json, out) = audit_json(dir.path(), &["--policy", policy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json["policy"], "ci-policy.toml");
    assert_eq!(json["policy_effect"]["from_repository"], false);
    assert_eq!(
        json["policy_effect"]["disabled_checks"],
        serde_json::json!([])
    );
    assert_eq!(json["policy_effect"]["suppressed_findings"], 0);
    let text = stdout(&run(&[
        "audit",
        dir.path().to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ]));
    assert!(!text.contains("own policy"), "{text}");
}

#[test]
fn a_policy_error_quoting_a_secret_masks_it() {
    let dir = tempfile::tempdir().unwrap();
    let token = "ghp_R7kQ2mX9pL4vB8nC3zT6wY1sD5fH0jG2aE4u";
    fs::write(
        dir.path().join("greenlight.toml"),
        format!("[thresholds]\n{token} = 1\n"),
    )
    .unwrap();
    let out = run(&["audit", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("greenlight.toml:2"), "{err}");
    assert!(!err.contains(&token[4..12]), "{err}");
}
