//! `--history`: secrets committed and removed since, found in real git repositories
//! built in temporary directories. The secret engine is stood in for by a test scanner
//! where the library is driven directly.

use std::fs;
use std::path::Path;

use greenlight::analyze::history::{HistorySecret, collect_with};
use greenlight::model::{Confidence, Evidence, Status};
use greenlight::report::Format;

use crate::support::{
    audit_json, audit_json_within, check_locations, commit_all, git, git_with_input, run, stderr,
};

/// A repository whose history held `SECRET_…` in `app/settings.py` line 2 (committed
/// on 2024-02-03), removed in a later commit; returns it and the introducing commit.
fn removed_secret_repo(secret: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, "2024-01-01T00:00:00Z", &["init", "-q"]);
    fs::write(root.join("README.md"), "# app\n").unwrap();
    commit_all(root, "2024-01-01T00:00:00Z");
    fs::create_dir_all(root.join("app")).unwrap();
    fs::write(
        root.join("app/settings.py"),
        format!("DEBUG = False\nAPI_KEY = \"{secret}\"\n"),
    )
    .unwrap();
    let introduced = commit_all(root, "2024-02-03T04:05:06Z");
    fs::write(
        root.join("app/settings.py"),
        "import os\nAPI_KEY = os.environ[\"API_KEY\"]\n",
    )
    .unwrap();
    commit_all(root, "2024-03-01T00:00:00Z");
    (dir, introduced)
}

/// The test scanner: `SECRET_` and twelve capitals or digits, masked.
fn scanner(_path: &str, text: &str) -> Vec<HistorySecret> {
    let re = regex::Regex::new(r"SECRET_[A-Z0-9]{12}").unwrap();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for m in re.find_iter(line) {
            out.push(HistorySecret {
                rule: "test-secret".into(),
                title: "Test secret".into(),
                line: i as u32 + 1,
                redacted: format!("SECR…{}", &m.as_str()[m.as_str().len() - 2..]),
                fingerprint: format!("test-secret:{}", m.as_str().len()),
                secret_hash: m.as_str().chars().rev().collect(),
                confidence: Confidence::Medium,
                severity: greenlight::model::Severity::P1,
                value: greenlight::model::Secret::new(m.as_str()),
            });
        }
    }
    out
}

/// The whole pipeline through the library, with the test scanner on the history.
fn review_with_scanner(root: &Path) -> greenlight::review::Review {
    let policy = greenlight::load_policy(root, None).unwrap();
    let inventory = greenlight::repo::walk(root, &greenlight::repo::WalkOptions::default());
    let mut facts = greenlight::analyze::analyze(&inventory, &policy);
    facts.history = Some(collect_with(root, &policy, scanner));
    let advisories = greenlight::advisories::Scan::default();
    let cx = greenlight::checks::Context {
        inventory: &inventory,
        facts: &facts,
        policy: &policy,
        kind: facts.stack.project_kind,
        run: None,
        advisories: &advisories,
        scope: None,
    };
    let results = greenlight::checks::run(&cx);
    greenlight::review::review(&inventory, &facts, &policy, results, None, Vec::new())
}

#[test]
fn a_removed_secret_is_reported_at_its_commit_path_and_line_never_in_full() {
    let secret = "SECRET_ABCDEFGH1234";
    let (dir, introduced) = removed_secret_repo(secret);
    let review = review_with_scanner(dir.path());
    let check = review
        .checks
        .iter()
        .find(|c| c.id == "security.secret-history")
        .unwrap();
    assert_eq!(check.status, Status::Fail, "{}", check.summary);
    assert!(
        check
            .summary
            .starts_with("1 secret committed and removed since; 3 commits")
    );
    assert_eq!(check.findings.len(), 1);
    let finding = &review.findings[check.findings[0]];
    let Evidence::At(l) = &finding.evidence[0] else {
        panic!("a location")
    };
    assert_eq!(format!("{}:{}", l.path, l.line), "app/settings.py:2");
    let short = &introduced[..10];
    assert!(
        l.snippet.contains(&format!("commit {short}")),
        "{}",
        l.snippet
    );
    assert!(l.snippet.contains("2024-02-03T04:05:06Z"), "{}", l.snippet);
    assert!(
        finding.message.contains(&format!(
            "committed in {short} on 2024-02-03 and removed since"
        )),
        "{}",
        finding.message
    );
    assert_eq!(finding.confidence, Confidence::Medium);
    assert_eq!(finding.fingerprint.as_deref(), Some("test-secret:19"));
    for format in [Format::Markdown, Format::Json] {
        let text = format.render(&review);
        assert!(text.contains("app/settings.py:2") || text.contains("\"app/settings.py\""));
        assert!(text.contains(short), "{format:?} names the commit");
        assert!(
            !text.contains(secret),
            "{format:?} prints the secret in full"
        );
        assert!(
            !text.contains("ABCDEFGH1234"),
            "{format:?} prints the secret"
        );
    }
}

#[test]
fn a_secret_still_in_head_is_not_reported_from_history() {
    let (dir, _) = removed_secret_repo("SECRET_ABCDEFGH1234");
    // The same secret is back in HEAD under another name: the current tree's to report.
    fs::write(dir.path().join("keys.txt"), "SECRET_ABCDEFGH1234\n").unwrap();
    commit_all(dir.path(), "2024-04-01T00:00:00Z");
    let review = review_with_scanner(dir.path());
    let check = review
        .checks
        .iter()
        .find(|c| c.id == "security.secret-history")
        .unwrap();
    assert_eq!(check.status, Status::Pass, "{}", check.summary);
}

fn check_of<'a>(json: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[test]
fn the_flag_scans_the_history_and_reports_the_counts() {
    let (dir, _) = removed_secret_repo("SECRET_ABCDEFGH1234");
    let (json, out) = audit_json(dir.path(), &["--history"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let check = check_of(&json, "security.secret-history");
    // README, two versions of settings.py.
    assert_eq!(
        check["summary"], "3 commits, 3 blobs scanned, no secret in history",
        "{check}"
    );
}

#[test]
fn without_the_flag_the_history_is_not_read() {
    let (dir, _) = removed_secret_repo("SECRET_ABCDEFGH1234");
    let (json, _) = audit_json(dir.path(), &[]);
    let check = check_of(&json, "security.secret-history");
    assert_eq!(check["status"], "unknown");
    assert!(
        check["summary"]
            .as_str()
            .unwrap()
            .contains("greenlight audit PATH --history")
    );
}

#[test]
fn outside_git_the_history_check_does_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("app.py"), "import os\n").unwrap();
    let (json, out) = audit_json(dir.path(), &["--history"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let check = check_of(&json, "security.secret-history");
    assert_eq!(check["status"], "not_applicable");
    assert!(
        check["summary"]
            .as_str()
            .unwrap()
            .contains("not a git repository")
    );
}

#[test]
fn a_shallow_clone_is_scanned_and_says_so() {
    let (dir, _) = removed_secret_repo("SECRET_ABCDEFGH1234");
    let clones = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    git(
        clones.path(),
        "",
        &["clone", "-q", "--depth", "1", &url, "c"],
    );
    let (json, _) = audit_json(&clones.path().join("c"), &["--history"]);
    let check = check_of(&json, "security.secret-history");
    assert_eq!(check["status"], "pass");
    assert!(
        check["summary"]
            .as_str()
            .unwrap()
            .starts_with("1 commit, 2 blobs scanned (a shallow clone"),
        "{check}"
    );
}

#[test]
fn the_repository_configuration_runs_nothing() {
    let (dir, _) = removed_secret_repo("SECRET_ABCDEFGH1234");
    let marker = tempfile::tempdir().unwrap();
    let touched = marker.path().join("ran");
    let command = format!("touch {}", touched.display());
    // What `git` would run on status, checkout or diff of this repository.
    for (key, value) in [
        ("core.fsmonitor", command.as_str()),
        ("core.hooksPath", "hooks"),
        ("filter.x.smudge", command.as_str()),
        ("filter.x.process", command.as_str()),
        ("diff.x.textconv", command.as_str()),
    ] {
        git(dir.path(), "", &["config", key, value]);
    }
    fs::create_dir_all(dir.path().join("hooks")).unwrap();
    fs::write(dir.path().join(".gitattributes"), "* filter=x diff=x\n").unwrap();
    let out = run(&[
        "audit",
        dir.path().to_str().unwrap(),
        "--history",
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !touched.exists(),
        "the repository's configuration ran a command"
    );
}

/// The binary with the real secret engine: an AWS-style key committed and removed.
#[test]
fn the_binary_reports_a_removed_key_with_commit_and_date_never_in_full() {
    let key = "AKIAQYLPMN5HFIQR7XYZ";
    let (dir, introduced) = removed_secret_repo(key);
    let out_dir = tempfile::tempdir().unwrap();
    let md = out_dir.path().join("review.md");
    let (json, out) = audit_json(dir.path(), &["--history", "--out", md.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let check = check_of(&json, "security.secret-history");
    assert_eq!(check["status"], "fail", "{check}");
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "security.secret-history")
        .unwrap();
    let evidence = &finding["evidence"][0];
    assert_eq!(evidence["path"], "app/settings.py");
    assert_eq!(evidence["line"], 2);
    let snippet = evidence["snippet"].as_str().unwrap();
    assert!(snippet.contains(&introduced[..10]), "{snippet}");
    assert!(snippet.contains("2024-02-03T04:05:06Z"), "{snippet}");
    let markdown = fs::read_to_string(&md).unwrap();
    assert!(!json.to_string().contains(key));
    assert!(!markdown.contains(key));
    assert!(markdown.contains("app/settings.py:2"));
}

/// Commits a tree fan-out bomb in `root` (an initialised repository) at `date`:
/// `depth` levels, each tree naming the one below `width` times, the bottom tree naming
/// one blob of `text` `width` times (and `extra` once). `width^depth` paths from `depth`
/// trees: a few kilobytes of objects.
fn fan_out_bomb(root: &Path, date: &str, width: usize, depth: usize, text: &str, extra: &str) {
    let blob = git_with_input(root, &["hash-object", "-w", "--stdin"], text);
    let mut listing: String = (0..width)
        .map(|i| format!("100644 blob {blob}\tf{i}\n"))
        .collect();
    if !extra.is_empty() {
        let other = git_with_input(root, &["hash-object", "-w", "--stdin"], "other\n");
        listing.push_str(&format!("100644 blob {other}\t{extra}\n"));
    }
    let mut tree = git_with_input(root, &["mktree"], &listing);
    for _ in 1..depth {
        listing = (0..width)
            .map(|i| format!("040000 tree {tree}\td{i}\n"))
            .collect();
        tree = git_with_input(root, &["mktree"], &listing);
    }
    let commit = git(root, date, &["commit-tree", &tree, "-m", "bomb"]);
    git(root, "", &["update-ref", "HEAD", &commit]);
}

#[test]
fn a_tree_fan_out_bomb_is_listed_once_per_tree_and_its_secret_found() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, "2024-01-01T00:00:00Z", &["init", "-q"]);
    // 10^8 paths to one blob; removed by the next commit.
    fan_out_bomb(
        root,
        "2024-01-01T00:00:00Z",
        10,
        8,
        "KEY = 'SECRET_BOMBBOMBBOMB'\n",
        "",
    );
    fs::write(root.join("README.md"), "# app\n").unwrap();
    commit_all(root, "2024-02-01T00:00:00Z");
    let started = std::time::Instant::now();
    let review = review_with_scanner(root);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let check = review
        .checks
        .iter()
        .find(|c| c.id == "security.secret-history")
        .unwrap();
    assert_eq!(check.status, Status::Fail, "{}", check.summary);
    assert_eq!(
        check.summary,
        "1 secret committed and removed since; 2 commits, 2 blobs scanned"
    );
    assert_eq!(
        check_locations(&review, "security.secret-history"),
        ["d0/d0/d0/d0/d0/d0/d0/f0:1"]
    );
}

#[test]
fn a_fan_out_bomb_listed_per_place_stops_at_its_budget_and_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, "2024-01-01T00:00:00Z", &["init", "-q"]);
    // A path the policy leaves out sits in every copy of the bottom tree, so each copy
    // must be listed at its own place: 10^7 places.
    fan_out_bomb(root, "2024-01-01T00:00:00Z", 10, 7, "clean\n", "x");
    fs::write(
        root.join("greenlight.toml"),
        "ignore = [\"**/x\"]\n[thresholds]\nhistory_seconds = 2\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let (json, out) = audit_json_within(root, &["--history"], 120);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    let check = check_of(&json, "security.secret-history");
    assert_eq!(check["status"], "unknown", "{check}");
    let summary = check["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("incomplete: the history scan stopped at its "),
        "{summary}"
    );
}

/// The test scanner, a tenth of a second per blob.
fn slow_scanner(path: &str, text: &str) -> Vec<HistorySecret> {
    std::thread::sleep(std::time::Duration::from_millis(100));
    scanner(path, text)
}

#[test]
fn a_scan_past_its_time_budget_is_incomplete_and_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, "2024-01-01T00:00:00Z", &["init", "-q"]);
    for n in 0..40 {
        fs::write(root.join(format!("{n}.txt")), format!("file {n}\n")).unwrap();
    }
    commit_all(root, "2024-01-01T00:00:00Z");
    fs::write(
        root.join("greenlight.toml"),
        "[thresholds]\nhistory_seconds = 1\n",
    )
    .unwrap();
    let policy = greenlight::load_policy(root, None).unwrap();
    let inventory = greenlight::repo::walk(root, &greenlight::repo::WalkOptions::default());
    let mut facts = greenlight::analyze::analyze(&inventory, &policy);
    facts.history = Some(collect_with(root, &policy, slow_scanner));
    let advisories = greenlight::advisories::Scan::default();
    let cx = greenlight::checks::Context {
        inventory: &inventory,
        facts: &facts,
        policy: &policy,
        kind: facts.stack.project_kind,
        run: None,
        advisories: &advisories,
        scope: None,
    };
    let results = greenlight::checks::run(&cx);
    let review = greenlight::review::review(&inventory, &facts, &policy, results, None, Vec::new());
    let check = review
        .checks
        .iter()
        .find(|c| c.id == "security.secret-history")
        .unwrap();
    assert_eq!(check.status, Status::Unknown, "{}", check.summary);
    assert!(
        check
            .summary
            .starts_with("incomplete: the history scan stopped at its 1 s time budget after "),
        "{}",
        check.summary
    );
    assert!(check.summary.contains(" of 40 blobs"), "{}", check.summary);
}

/// Prepares a git directory for one case.
type Setup<'a> = &'a dyn Fn(&Path);

#[cfg(unix)]
#[test]
fn object_stores_and_git_directories_outside_the_root_are_not_followed() {
    use std::os::unix::fs::symlink;
    let key = "AKIAQYLPMN5HFIQR7XYZ";
    let (other, _) = removed_secret_repo(key);
    let head = git(other.path(), "", &["rev-parse", "HEAD"]);
    let objects = other.path().join(".git/objects");
    let cases: [(&str, Setup<'_>); 3] = [
        (
            "the repository's object store points outside it (objects/info/alternates); not followed",
            &|git_dir: &Path| {
                fs::write(
                    git_dir.join("objects/info/alternates"),
                    format!("{}\n", objects.display()),
                )
                .unwrap();
            },
        ),
        (
            "the repository's object store points outside it (objects is a symbolic link); not followed",
            &|git_dir: &Path| {
                fs::remove_dir_all(git_dir.join("objects")).unwrap();
                symlink(&objects, git_dir.join("objects")).unwrap();
            },
        ),
        (
            "the repository's git directory points outside it (commondir); not followed",
            &|git_dir: &Path| {
                fs::write(
                    git_dir.join("commondir"),
                    format!("{}\n", other.path().join(".git").display()),
                )
                .unwrap();
            },
        ),
    ];
    for (expected, setup) in cases {
        let dir = tempfile::tempdir().unwrap();
        let git_dir = dir.path().join(".git");
        fs::create_dir_all(git_dir.join("refs/heads")).unwrap();
        fs::create_dir_all(git_dir.join("objects/info")).unwrap();
        fs::write(git_dir.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        fs::write(git_dir.join("refs/heads/main"), format!("{head}\n")).unwrap();
        setup(&git_dir);
        let (json, out) = audit_json_within(dir.path(), &["--history"], 120);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let check = check_of(&json, "security.secret-history");
        assert_eq!(check["status"], "unknown", "{expected}: {check}");
        assert_eq!(
            check["summary"],
            format!("the git history was not scanned: {expected}"),
        );
    }
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_in_the_git_directory_neither_hang_nor_flood_the_scan() {
    use std::os::unix::fs::symlink;
    for (name, fifo) in [
        ("HEAD", true),
        ("config", true),
        ("config", false),
        ("packed-refs", false),
    ] {
        let (dir, _) = removed_secret_repo("SECRET_ABCDEFGH1234");
        let path = dir.path().join(".git").join(name);
        let _ = fs::remove_file(&path);
        if fifo {
            nix::unistd::mkfifo(&path, nix::sys::stat::Mode::S_IRWXU).unwrap();
        } else {
            symlink("/dev/zero", &path).unwrap();
        }
        let (json, out) = audit_json_within(dir.path(), &["--history"], 60);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let check = check_of(&json, "security.secret-history");
        assert_eq!(check["status"], "unknown", "{name}: {check}");
        let expected = if fifo {
            format!("the repository's {name} is not a regular file")
        } else {
            format!("the repository's {name} points outside it; not followed")
        };
        let summary = check["summary"].as_str().unwrap();
        assert!(summary.contains(&expected), "{name}: {summary}");
    }
}
