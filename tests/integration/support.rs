//! Helpers shared by the integration tests.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use greenlight::review::Review;

/// The fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Writes `files` (path → content) into a fresh temporary directory.
pub fn materialize(files: &BTreeMap<String, String>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let full = dir.path().join(path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&full, content).unwrap();
    }
    dir
}

/// Creates minimal git metadata: a HEAD on `main` and the given tags.
pub fn fake_git(root: &Path, tags: &[String]) {
    let git = root.join(".git");
    fs::create_dir_all(git.join("refs/heads")).unwrap();
    fs::create_dir_all(git.join("refs/tags")).unwrap();
    let id = "0123456789abcdef0123456789abcdef01234567";
    fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
    fs::write(git.join("refs/heads/main"), format!("{id}\n")).unwrap();
    for t in tags {
        fs::write(git.join("refs/tags").join(t), format!("{id}\n")).unwrap();
    }
}

/// Runs `git` to build a fixture repository, with a fixed identity and date and
/// without the user's configuration; returns its standard output, trimmed.
pub fn git(dir: &Path, date: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs `git` with `input` on its standard input; returns its standard output, trimmed.
pub fn git_with_input(dir: &Path, args: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Commits everything in `dir` at `date`; returns the commit id.
pub fn commit_all(dir: &Path, date: &str) -> String {
    git(dir, date, &["add", "-A"]);
    git(
        dir,
        date,
        &["commit", "-q", "--allow-empty", "-m", "change"],
    );
    git(dir, date, &["rev-parse", "HEAD"])
}

/// Audits a directory through the library with its own greenlight.toml (if any).
pub fn audit(root: &Path) -> Review {
    greenlight::audit(root, &greenlight::AuditOptions::default()).unwrap()
}

/// The built binary, with a fixed date so reports are reproducible.
pub fn greenlight() -> Command {
    let mut cmd = Command::cargo_bin("greenlight").unwrap();
    // No advisory database unless a test builds one: the user's cache is not the test's.
    cmd.env("SOURCE_DATE_EPOCH", "1767225600")
        .env("NO_COLOR", "1")
        .env("GREENLIGHT_CACHE_DIR", "/nonexistent/greenlight-test-cache")
        .env_remove("GREENLIGHT_OSV_URL");
    cmd
}

/// Runs the binary and returns its output (no assertion on the status).
pub fn run(args: &[&str]) -> Output {
    greenlight().args(args).output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `greenlight audit ROOT --out review.json` and parses the JSON.
pub fn audit_json(root: &Path, extra: &[&str]) -> (serde_json::Value, Output) {
    audit_json_timed(root, extra, None)
}

/// [`audit_json`], failing when the audit takes longer than `seconds` (the binary is
/// killed): for input built to hang it.
pub fn audit_json_within(root: &Path, extra: &[&str], seconds: u64) -> (serde_json::Value, Output) {
    audit_json_timed(root, extra, Some(seconds))
}

fn audit_json_timed(
    root: &Path,
    extra: &[&str],
    seconds: Option<u64>,
) -> (serde_json::Value, Output) {
    let out_dir = tempfile::tempdir().unwrap();
    let json = out_dir.path().join("review.json");
    let mut args = vec![
        "audit",
        root.to_str().unwrap(),
        "--out",
        json.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let mut cmd = greenlight();
    cmd.args(&args);
    if let Some(seconds) = seconds {
        cmd.timeout(std::time::Duration::from_secs(seconds));
    }
    let output = cmd.output().unwrap();
    let text = fs::read_to_string(&json)
        .unwrap_or_else(|_| panic!("no JSON written; stderr: {}", stderr(&output)));
    (serde_json::from_str(&text).unwrap(), output)
}

/// Runs `greenlight audit ROOT --quiet --out review.md`, asserts success, and returns
/// the Markdown.
pub fn audit_markdown(root: &Path) -> String {
    let out_dir = tempfile::tempdir().unwrap();
    let md = out_dir.path().join("review.md");
    let output = run(&[
        "audit",
        root.to_str().unwrap(),
        "--quiet",
        "--out",
        md.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    fs::read_to_string(md).unwrap()
}

/// `path:line` of every location in the findings of one check.
pub fn check_locations(review: &Review, check: &str) -> Vec<String> {
    let summary = review.checks.iter().find(|c| c.id == check).unwrap();
    summary
        .findings
        .iter()
        .flat_map(|&i| review.findings[i].evidence.iter())
        .filter_map(|e| e.location().map(|l| format!("{}:{}", l.path, l.line)))
        .collect()
}

/// Builds a local advisory database under `dir` from OSV documents the way a user
/// does: one `<Ecosystem>/all.zip` per ecosystem, indexed by `advisories update`.
pub fn osv_database(dir: &Path, advisories: &[String]) -> PathBuf {
    let mirror = osv_mirror(dir, advisories);
    let cache = dir.join("osv-cache");
    let ecosystems: Vec<_> = ["pypi", "crates.io", "npm", "go"]
        .iter()
        .filter(|e| {
            let name = greenlight::advisories::index::osv_name(
                greenlight::advisories::parse_ecosystem(e).unwrap(),
            );
            mirror.join(name).join("all.zip").is_file()
        })
        .map(|e| greenlight::advisories::parse_ecosystem(e).unwrap())
        .collect();
    greenlight::advisories::update::update(mirror.to_str().unwrap(), &cache, &ecosystems).unwrap();
    cache
}

/// Writes OSV documents into `<dir>/mirror/<Ecosystem>/all.zip`, grouped by the
/// ecosystem of their first affected package.
pub fn osv_mirror(dir: &Path, advisories: &[String]) -> PathBuf {
    use std::io::Write;
    let mirror = dir.join("mirror");
    let mut by_eco: std::collections::BTreeMap<String, Vec<(String, &String)>> = Default::default();
    for text in advisories {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let eco = v["affected"][0]["package"]["ecosystem"]
            .as_str()
            .unwrap()
            .to_string();
        let id = v["id"].as_str().unwrap().to_string();
        by_eco.entry(eco).or_default().push((id, text));
    }
    for (eco, docs) in by_eco {
        let d = mirror.join(&eco);
        std::fs::create_dir_all(&d).unwrap();
        let file = std::fs::File::create(d.join("all.zip")).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        for (id, text) in docs {
            zip.start_file(
                format!("{id}.json"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }
    mirror
}

/// Copies the directory tree `from` into `to` (created when missing).
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A file tree from `(path, content)` pairs, for [`materialize`].
pub fn files(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(p, c)| ((*p).to_string(), (*c).to_string()))
        .collect()
}
