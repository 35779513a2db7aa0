//! Hostile or broken input: every case completes with a finding or a clear message,
//! never a panic.

use std::fs;

use greenlight::model::Status;
use greenlight::review::Verdict;

use crate::support::{audit, audit_markdown, check_locations, files, materialize, run, stderr};

fn status(review: &greenlight::review::Review, id: &str) -> Status {
    review.checks.iter().find(|c| c.id == id).unwrap().status
}

#[test]
fn malformed_manifests_and_workflows_become_findings_with_lines() {
    let dir = materialize(&files(&[
        (
            "pyproject.toml",
            "[project]\nname = \"x\"\ndependencies = [\n",
        ),
        (
            "package.json",
            "{\n  \"name\": \"x\",\n  \"version\": \n}\n",
        ),
        ("Cargo.toml", "[package]\nname = \"x\"\nversion = 1.0.0\n"),
        (
            ".github/workflows/ci.yml",
            "on: [push]\njobs:\n  test:\n    steps: [\n",
        ),
        ("app.py", "print('hi')\n"),
    ]));
    let review = audit(dir.path());
    assert_eq!(status(&review, "code-quality.config-valid"), Status::Fail);
    let locs = check_locations(&review, "code-quality.config-valid");
    for want in ["pyproject.toml:3", "package.json:4", "Cargo.toml:3"] {
        assert!(locs.contains(&want.to_string()), "{want} not in {locs:?}");
    }
    assert!(
        locs.iter()
            .any(|l| l.starts_with(".github/workflows/ci.yml:")),
        "{locs:?}"
    );
}

#[test]
fn non_utf8_source_is_read_lossily_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("latin1.py"), b"# caf\xe9\nx = 1\n").unwrap();
    fs::write(dir.path().join("ok.py"), "y = 2\n").unwrap();
    let review = audit(dir.path());
    assert_eq!(
        status(&review, "code-quality.analysable-source"),
        Status::Partial
    );
    assert_eq!(
        check_locations(&review, "code-quality.analysable-source"),
        vec!["latin1.py:1"]
    );
    assert_eq!(review.inventory.not_utf8, 1);
}

#[cfg(unix)]
#[test]
fn symlinks_are_never_followed_and_loops_do_not_hang() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.py"), "SECRET = 1\n").unwrap();
    let dir = materialize(&files(&[("app/main.py", "import os\n")]));
    symlink(outside.path(), dir.path().join("escape")).unwrap();
    symlink(
        outside.path().join("secret.py"),
        dir.path().join("linked.py"),
    )
    .unwrap();
    symlink(dir.path().join("app"), dir.path().join("app/loop")).unwrap();
    let review = audit(dir.path());
    let paths: Vec<&str> = review
        .inventory
        .source_files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(paths, vec!["app/main.py"]);
    assert_eq!(review.inventory.symlinks, 3);
}

#[cfg(unix)]
#[test]
fn a_named_pipe_does_not_block_the_walk() {
    let dir = materialize(&files(&[("main.py", "x = 1\n")]));
    let fifo = dir.path().join("pipe.py");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        return; // mkfifo unavailable: nothing to test here.
    }
    let review = audit(dir.path());
    assert_eq!(review.inventory.files, 1);
}

#[test]
fn files_over_the_size_cap_are_counted_not_read() {
    let big = "x = 1\n".repeat(2000);
    let dir = materialize(&files(&[
        ("big.py", big.as_str()),
        ("small.py", "y = 2\n"),
        ("greenlight.toml", "[thresholds]\nmax_file_bytes = 1000\n"),
    ]));
    let review = audit(dir.path());
    assert_eq!(review.inventory.too_large, 1);
    assert_eq!(
        check_locations(&review, "code-quality.analysable-source"),
        vec!["big.py:1"]
    );
}

#[test]
fn binary_files_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("blob.py"), [0u8, 159, 146, 150, 0, 1]).unwrap();
    fs::write(dir.path().join("main.py"), "x = 1\n").unwrap();
    let review = audit(dir.path());
    assert_eq!(review.inventory.binary_files, 1);
}

#[test]
fn dependency_and_build_directories_are_skipped_and_counted() {
    let dir = materialize(&files(&[
        ("main.py", "x = 1\n"),
        ("node_modules/left-pad/index.js", "module.exports = 1\n"),
        ("node_modules/left-pad/package.json", "{}\n"),
        ("target/debug/build.log", "log\n"),
        (".venv/lib/site.py", "x\n"),
        ("ignored/out.py", "x\n"),
        (".gitignore", "ignored/\n"),
    ]));
    let review = audit(dir.path());
    let skipped: Vec<(String, usize)> = review
        .inventory
        .skipped_dirs
        .iter()
        .map(|d| (d.path.clone(), d.files))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (".venv".to_string(), 1),
            ("node_modules".to_string(), 2),
            ("target".to_string(), 1)
        ]
    );
    assert_eq!(review.inventory.ignored_by_rules, 1);
    assert!(
        review
            .inventory
            .source_files
            .iter()
            .all(|f| !f.path.starts_with("node_modules"))
    );
}

#[test]
fn an_empty_directory_has_nothing_to_ship() {
    let dir = tempfile::tempdir().unwrap();
    let review = audit(dir.path());
    assert_eq!(review.verdict, Verdict::NotReady);
    assert_eq!(
        review.verdict_rule,
        "Nothing to ship: no production source code was found."
    );
    let out = run(&["audit", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn hostile_text_does_not_break_the_markdown_report() {
    let dir = materialize(&files(&[
        (
            "README.md",
            "# Demo | <script>alert(1)</script>\n\nDo not use in production | `x`\n",
        ),
        ("app.py", "# TODO | fix `this` <b>\nx = 1\n"),
    ]));
    let text = audit_markdown(dir.path());
    assert!(!text.contains("<script>"), "HTML must be escaped");
}

#[cfg(unix)]
#[test]
fn a_fifo_in_git_metadata_does_not_block() {
    let dir = materialize(&files(&[("main.py", "x = 1\n")]));
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    let ok = std::process::Command::new("mkfifo")
        .arg(dir.path().join(".git/HEAD"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        return;
    }
    let review = audit(dir.path());
    assert!(review.repository.commit.is_none());
}

#[test]
fn secrets_in_source_never_reach_the_reports_in_full() {
    let dir = materialize(&files(&[
        (
            "app.py",
            "import os\nKEY = os.getenv(\"OPENAI_API_KEY\", \"sk-proj-HARDCODEDVALUE123456\")\nDB = \"postgres://admin:PGPASSWORDSECRET@db:5432/app\"\n",
        ),
        (
            ".github/workflows/ci.yml",
            "on: [push]\njobs:\n  t:\n    steps:\n      - run: OPENAI_API_KEY=sk-live-CIVALUE1234567 pytest\n",
        ),
        (".env", "API_TOKEN=abcdefghijklmnop123\n"),
    ]));
    let out_dir = tempfile::tempdir().unwrap();
    let md = out_dir.path().join("r.md");
    let json = out_dir.path().join("r.json");
    let out = run(&[
        "audit",
        dir.path().to_str().unwrap(),
        "-q",
        "--out",
        md.to_str().unwrap(),
        "--out",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for path in [&md, &json] {
        let text = fs::read_to_string(path).unwrap();
        for secret in [
            "HARDCODEDVALUE123456",
            "PGPASSWORDSECRET",
            "CIVALUE1234567",
            "abcdefghijklmnop123",
        ] {
            assert!(
                !text.contains(secret),
                "{secret} printed in {}",
                path.display()
            );
        }
    }
}

#[test]
fn paths_with_pipes_and_control_characters_do_not_break_the_markdown() {
    let dir = materialize(&files(&[
        ("src/a|b.py", "x = 1\n"),
        ("src/esc\u{1b}[31mred.py", "# TODO fix ``a|b``\ny = 2\n"),
    ]));
    let text = audit_markdown(dir.path());
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "control characters in the report"
    );
    assert!(
        text.contains("src/a\\|b.py"),
        "a pipe in a path must be escaped"
    );
}

#[test]
fn python_that_stalls_the_parser_is_set_aside_within_its_budget() {
    // Tens of thousands of unclosed brackets make error recovery quadratic.
    let stall = "from a import (\n".repeat(40_000);
    let dir = materialize(&files(&[
        ("stall.py", stall.as_str()),
        ("ok.py", "def f():\n    return 1\n"),
    ]));
    let started = std::time::Instant::now();
    let review = audit(dir.path());
    // The budget is 2 s plus 2 s per MB (this file is 0.64 MB): well under a minute
    // even on a loaded machine, where the unbounded parse takes minutes.
    assert!(started.elapsed().as_secs() < 60);
    assert_eq!(
        check_locations(&review, "code-quality.analysable-source"),
        vec!["stall.py:1"]
    );
    let syntax = review
        .checks
        .iter()
        .find(|c| c.id == "code-quality.syntax-errors")
        .unwrap();
    assert_eq!(
        syntax.summary,
        "the one Python file parses; 1 file not parsed (see code-quality.analysable-source)"
    );
}

#[cfg(unix)]
#[test]
fn ignore_files_that_are_fifos_or_devices_neither_hang_nor_flood_the_walk() {
    use std::os::unix::fs::symlink;
    let dir = materialize(&files(&[
        ("main.py", "x = 1\n"),
        ("sub/app.py", "y = 2\n"),
        (".git/info/.keep", ""),
    ]));
    let root = dir.path();
    let mode = nix::sys::stat::Mode::S_IRWXU;
    nix::unistd::mkfifo(&root.join(".gitignore"), mode).unwrap();
    nix::unistd::mkfifo(&root.join("sub/.ignore"), mode).unwrap();
    symlink("/dev/zero", root.join("sub/.gitignore")).unwrap();
    symlink("/dev/zero", root.join(".git/info/exclude")).unwrap();
    let (json, out) = crate::support::audit_json_within(root, &[], 60);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json["inventory"]["files"], 2, "{}", json["inventory"]);
}

#[cfg(unix)]
#[test]
fn a_policy_that_is_a_fifo_is_refused_not_waited_on() {
    let dir = materialize(&files(&[("main.py", "x = 1\n")]));
    let policy = dir.path().join("policy.toml");
    nix::unistd::mkfifo(&policy, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let out = crate::support::greenlight()
        .args([
            "audit",
            dir.path().to_str().unwrap(),
            "--quiet",
            "--policy",
            policy.to_str().unwrap(),
        ])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot read the policy file: not a regular file"),
        "{}",
        stderr(&out)
    );
}
