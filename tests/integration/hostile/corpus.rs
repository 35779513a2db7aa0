//! The hostile corpus: one small function per case, each building a repository in a
//! fresh temporary directory. Every case directory holds `repo/` (the root handed to
//! the audit), `outside/` (a sibling the audit must never read: canaries live only
//! there) and `out/` (where the reports go).
//!
//! Every secret is random and fake. Inside secrets end in two letters and outside
//! canaries in two digits, so the masked form of a canary (`ghp_…42`) can never be
//! the masked form of an inside secret.

use std::fs;
use std::hash::BuildHasher;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// One built case. Dropping it removes everything it created.
pub struct Case {
    _tmp: tempfile::TempDir,
    /// The directory audited.
    pub root: PathBuf,
    /// The sibling of `root` holding what the audit must never read.
    pub outside: PathBuf,
    /// Where the reports are written.
    pub out: PathBuf,
    /// Secrets planted under `root`: reports may show their first 4 and last 2 characters.
    pub inside: Vec<String>,
    /// Canaries planted only outside `root`: no report may mention them at all.
    pub canaries: Vec<String>,
    /// Extra environment for the audited process (a canary reachable through
    /// `/proc/self/environ`).
    pub env: Vec<(String, String)>,
}

/// Builds a case into a fresh [`Case`]; `Err` skips it, saying why (a missing tool).
pub type Build = fn(&mut Case) -> Result<(), String>;

/// Every case, by name.
pub const CASES: &[(&str, Build)] = &[
    // First, as the slowest: the other worker runs the rest meanwhile.
    ("git-tree-fan-out-bomb", git_tree_fan_out_bomb),
    ("symlink-loops", symlink_loops),
    ("symlink-escapes", symlink_escapes),
    ("symlink-to-filesystem-root", symlink_to_filesystem_root),
    ("symlink-to-system-files", symlink_to_system_files),
    ("fifo-source-file", |c| fifo_at(c, "src/data.py")),
    // The three ignore files in one case: the walker reads them all the same way.
    ("fifo-ignore-files", fifo_ignore_files),
    ("fifo-greenlight-toml", |c| fifo_at(c, "greenlight.toml")),
    ("fifo-package-json", |c| fifo_at(c, "package.json")),
    ("fifo-dockerfile", |c| fifo_at(c, "Dockerfile")),
    ("fifo-git-head", |c| fifo_in_git(c, "HEAD")),
    ("fifo-git-config", |c| fifo_in_git(c, "config")),
    ("unix-socket", unix_socket),
    ("gitignore-to-dev-zero", |c| {
        device_link(c, ".gitignore", "/dev/zero")
    }),
    ("git-info-exclude-to-dev-urandom", |c| {
        device_link(c, ".git/info/exclude", "/dev/urandom")
    }),
    ("git-config-to-dev-zero", |c| {
        device_link(c, ".git/config", "/dev/zero")
    }),
    ("git-packed-refs-to-dev-urandom", |c| {
        device_link(c, ".git/packed-refs", "/dev/urandom")
    }),
    ("deep-tree", deep_tree),
    ("sparse-2gib-source-file", sparse_source_file),
    ("sparse-2gib-ignore-files", |c| {
        sparse_files(c, &[".gitignore", ".ignore", ".git/info/exclude"])
    }),
    ("sparse-2gib-config-files", |c| {
        sparse_files(
            c,
            &[
                ".dockerignore",
                "package.json",
                "pyproject.toml",
                "requirements.txt",
                "Cargo.lock",
                "go.sum",
                ".env",
                ".github/workflows/ci.yml",
            ],
        )
    }),
    ("minified-50mb-line", |c| minified(c, false)),
    ("minified-50mb-line-cap-raised", |c| minified(c, true)),
    ("binary-files-with-secrets", binary_files),
    ("non-utf8-names-and-contents", non_utf8),
    ("malformed-manifests", malformed_manifests),
    ("malformed-greenlight-toml", malformed_greenlight_toml),
    (
        "greenlight-toml-extreme-values",
        greenlight_toml_extreme_values,
    ),
    (
        "greenlight-toml-disables-and-suppresses",
        greenlight_toml_disables_and_suppresses,
    ),
    ("yaml-alias-bomb-workflow", |c| {
        yaml_alias_bomb(c, ".github/workflows/ci.yml")
    }),
    ("yaml-alias-bomb-compose", |c| {
        yaml_alias_bomb(c, "docker-compose.yml")
    }),
    ("json-nesting-bomb-package-json", |c| {
        nesting_bomb(c, "package.json", "", "[", "]")
    }),
    ("json-nesting-bomb-notebook", |c| {
        nesting_bomb(c, "analysis.ipynb", "", "[", "]")
    }),
    ("toml-nesting-bomb-pyproject", |c| {
        nesting_bomb(c, "pyproject.toml", "x = ", "[", "]")
    }),
    ("yaml-nesting-bomb-workflow", |c| {
        nesting_bomb(c, ".github/workflows/ci.yml", "on: ", "[", "]")
    }),
    ("git-alternates-absolute", |c| git_alternates(c, false)),
    ("git-alternates-relative", |c| git_alternates(c, true)),
    ("git-commondir-absolute", |c| git_commondir(c, false)),
    ("git-commondir-relative", |c| git_commondir(c, true)),
    ("git-objects-symlinked", git_objects_symlinked),
    ("git-file-gitdir-outside", git_file_gitdir),
    (
        "secret-in-branch-and-commit-message",
        secret_in_git_metadata,
    ),
    ("bidi-overrides", bidi_overrides),
    ("secret-twice-on-a-line", secret_twice_on_a_line),
    ("two-secrets-on-a-line", two_secrets_on_a_line),
    ("secret-far-into-a-long-line", secret_far_into_a_long_line),
    ("secret-in-eval", |c| {
        let s = c.ghp();
        c.write(
            "app/handler.py",
            format!("def handle(q):\n    return eval(q + \"{s}\")\n"),
        );
        Ok(())
    }),
    ("secret-in-http-call", |c| {
        let s = c.ghp();
        c.write(
            "app/client.py",
            format!(
                "import requests\n\n\ndef fetch():\n    return requests.get(\"https://api.x.com?token={s}\")\n"
            ),
        );
        Ok(())
    }),
    ("secret-in-todo", |c| {
        let s = c.ghp();
        c.write("app/main.py", format!("# TODO {s}\nx = 1\n"));
        Ok(())
    }),
    ("secret-in-print", |c| {
        let s = c.ghp();
        c.write("app/main.py", format!("print({s})\nprint(\"{s}\")\n"));
        Ok(())
    }),
    ("secret-in-dockerfile-run", |c| {
        let s = c.ghp();
        c.app();
        c.write(
            "Dockerfile",
            format!(
                "FROM python:3.12\nRUN curl https://x.sh?k={s} | sh\nCMD [\"python\", \"app.py\"]\n"
            ),
        );
        Ok(())
    }),
    ("secret-in-dockerfile-add", |c| {
        let s = c.ghp();
        c.app();
        c.write(
            "Dockerfile",
            format!("FROM python:3.12\nADD https://x/{s}.tar.gz /\nCMD [\"python\", \"app.py\"]\n"),
        );
        Ok(())
    }),
    ("secret-in-workflow-run", |c| {
        let s = c.ghp();
        c.app();
        c.write(
            ".github/workflows/ci.yml",
            format!(
                "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo {s}\n"
            ),
        );
        Ok(())
    }),
    ("secret-as-file-name", |c| {
        let s = c.ghp();
        c.app();
        c.write(&format!("config/{s}.json"), "{}\n");
        Ok(())
    }),
];

impl Case {
    /// An empty case: `repo/`, `outside/` and `out/` in a fresh temporary directory.
    pub fn new() -> Case {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let case = Case {
            root: base.join("repo"),
            outside: base.join("outside"),
            out: base.join("out"),
            _tmp: tmp,
            inside: Vec::new(),
            canaries: Vec::new(),
            env: Vec::new(),
        };
        for d in [&case.root, &case.outside, &case.out] {
            fs::create_dir(d).unwrap();
        }
        case
    }

    /// Writes `rel` under the root, creating its parents.
    fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        write(&self.root.join(rel), content.as_ref());
    }

    /// A small Python application, so every case has something to review.
    fn app(&self) {
        self.write("app.py", "def main():\n    return 1\n");
    }

    /// A GitHub token planted inside the root.
    fn ghp(&mut self) -> String {
        let s = token("ghp_", ALNUM, 34, LOWER);
        self.inside.push(s.clone());
        s
    }

    /// An AWS access key id planted inside the root.
    fn akia(&mut self) -> String {
        let s = token("AKIA", BASE32, 14, UPPER);
        self.inside.push(s.clone());
        s
    }

    /// A GitHub-token canary and an AWS-key canary, to be planted only outside.
    fn canaries(&mut self) -> (String, String) {
        let ghp = token("ghp_", ALNUM, 34, DIGITS);
        let akia = token("AKIA", BASE32, 14, "234567");
        self.canaries.push(ghp.clone());
        self.canaries.push(akia.clone());
        (ghp, akia)
    }

    /// Writes both canaries into `outside/<rel>` as Python assignments.
    fn plant_outside(&mut self, rel: &str) {
        let (ghp, akia) = self.canaries();
        write(
            &self.outside.join(rel),
            format!("GITHUB_TOKEN = \"{ghp}\"\nAWS_ACCESS_KEY_ID = \"{akia}\"\n").as_bytes(),
        );
    }

    /// A git repository in `outside/` whose history holds both canaries (committed in
    /// `secret.py`, removed by the next commit); returns the clean HEAD commit.
    fn outside_repo(&mut self) -> Result<String, String> {
        require_git()?;
        let dir = self.outside.clone();
        git(&dir, &["init", "-q"])?;
        self.plant_outside("secret.py");
        git(&dir, &["add", "-A"])?;
        git(&dir, &["commit", "-q", "-m", "add settings"])?;
        fs::remove_file(dir.join("secret.py")).unwrap();
        write(&dir.join("app.py"), b"def main():\n    return 1\n");
        git(&dir, &["add", "-A"])?;
        git(
            &dir,
            &["commit", "-q", "-m", "read settings from the environment"],
        )?;
        git(&dir, &["rev-parse", "HEAD"])
    }

    /// Makes the root a git repository with one commit of what it holds.
    fn commit_root(&self) -> Result<(), String> {
        require_git()?;
        git(&self.root, &["init", "-q"])?;
        git(&self.root, &["add", "-A"])?;
        git(
            &self.root,
            &["commit", "-q", "--allow-empty", "-m", "initial"],
        )?;
        Ok(())
    }
}

fn write(path: &Path, content: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, content).unwrap();
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";

/// `prefix`, `body` random characters of `alphabet`, then two of `tail`.
fn token(prefix: &str, alphabet: &str, body: usize, tail: &str) -> String {
    let pick = |set: &str| {
        let bytes = set.as_bytes();
        char::from(bytes[(random() % bytes.len() as u64) as usize])
    };
    let mut s = prefix.to_string();
    s.extend((0..body).map(|_| pick(alphabet)));
    s.extend((0..2).map(|_| pick(tail)));
    s
}

/// A random number: std's randomly keyed hasher over a counter.
fn random() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    std::collections::hash_map::RandomState::new().hash_one(COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn have_git() -> bool {
    static HAVE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAVE.get_or_init(|| {
        Command::new("git")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn require_git() -> Result<(), String> {
    if have_git() {
        Ok(())
    } else {
        Err("git not found".into())
    }
}

/// Runs git in `dir` with no user or system configuration, no hooks and a fixed
/// identity and date; returns its standard output, trimmed.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    git_with_input(dir, args, None)
}

fn git_with_input(dir: &Path, args: &[&str], input: Option<&str>) -> Result<String, String> {
    let date = "2024-01-01T00:00:00Z";
    let mut child = Command::new("git")
        .current_dir(dir)
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .args(["-c", "core.hooksPath=/dev/null", "-c", "user.name=T"])
        .args([
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("git: {e}"))?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(text.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Creates a named pipe; `Err` when `mkfifo` is unavailable.
fn mkfifo(path: &Path) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(())
    } else {
        Err("mkfifo failed".into())
    }
}

// ---- Symlinks ----------------------------------------------------------------------

fn symlink_loops(c: &mut Case) -> Result<(), String> {
    c.app();
    let r = &c.root;
    symlink("b", r.join("a")).unwrap();
    symlink("a", r.join("b")).unwrap();
    symlink(".", r.join("self")).unwrap();
    symlink("..", r.join("up")).unwrap();
    fs::create_dir(r.join("dir")).unwrap();
    symlink("..", r.join("dir/parent")).unwrap();
    symlink("../dir", r.join("dir/again")).unwrap();
    symlink(r, r.join("dir/root")).unwrap();
    Ok(())
}

fn symlink_escapes(c: &mut Case) -> Result<(), String> {
    c.app();
    c.plant_outside("settings.py");
    c.plant_outside("conf/.env");
    let (r, o) = (&c.root, &c.outside);
    symlink(o.join("settings.py"), r.join("settings_abs.py")).unwrap();
    symlink("../outside/settings.py", r.join("settings_rel.py")).unwrap();
    symlink(o.join("conf"), r.join("conf_abs")).unwrap();
    symlink("../outside/conf", r.join("conf_rel")).unwrap();
    symlink("../outside/conf/.env", r.join(".env")).unwrap();
    fs::create_dir(r.join("src")).unwrap();
    symlink("../../outside", r.join("src/vendor")).unwrap();
    Ok(())
}

fn symlink_to_filesystem_root(c: &mut Case) -> Result<(), String> {
    c.app();
    c.plant_outside("settings.py");
    symlink("/", c.root.join("slash")).unwrap();
    symlink("/proc/self/root", c.root.join("proc_root")).unwrap();
    Ok(())
}

fn symlink_to_system_files(c: &mut Case) -> Result<(), String> {
    c.app();
    // A canary only in the audited process's environment: reading
    // /proc/self/environ through the link would put it in the report.
    let (ghp, _) = c.canaries();
    c.env.push(("GREENLIGHT_HOSTILE_CANARY".into(), ghp));
    let r = &c.root;
    symlink("/etc/passwd", r.join("passwd.txt")).unwrap();
    symlink("/etc/passwd", r.join(".env")).unwrap();
    symlink("/proc/self/environ", r.join("environ.env")).unwrap();
    symlink("/proc/self/environ", r.join("config.py")).unwrap();
    symlink("/proc/self/fd", r.join("fd")).unwrap();
    Ok(())
}

// ---- Special files -------------------------------------------------------------------

fn fifo_at(c: &mut Case, rel: &str) -> Result<(), String> {
    c.app();
    mkfifo(&c.root.join(rel))
}

fn fifo_ignore_files(c: &mut Case) -> Result<(), String> {
    fifo_in_git(c, "info/exclude")?;
    mkfifo(&c.root.join(".gitignore"))?;
    mkfifo(&c.root.join(".ignore"))
}

fn fifo_in_git(c: &mut Case, rel: &str) -> Result<(), String> {
    c.app();
    c.commit_root()?;
    let path = c.root.join(".git").join(rel);
    let _ = fs::remove_file(&path);
    mkfifo(&path)
}

fn unix_socket(c: &mut Case) -> Result<(), String> {
    c.app();
    let listener = std::os::unix::net::UnixListener::bind(c.root.join("app.sock"))
        .map_err(|e| format!("cannot bind a unix socket: {e}"))?;
    // The socket file stays after the listener closes; nothing will ever answer.
    drop(listener);
    Ok(())
}

/// `rel` (a file git or the walker reads) as a symlink to an endless device.
fn device_link(c: &mut Case, rel: &str, device: &str) -> Result<(), String> {
    c.app();
    if rel.starts_with(".git/") || have_git() {
        c.commit_root()?;
    }
    let path = c.root.join(rel);
    let _ = fs::remove_file(&path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    symlink(device, path).unwrap();
    Ok(())
}

// ---- Size and shape ------------------------------------------------------------------

fn deep_tree(c: &mut Case) -> Result<(), String> {
    c.app();
    let s = c.ghp();
    let deep = "d/".repeat(500);
    c.write(&format!("{deep}settings.py"), format!("TOKEN = \"{s}\"\n"));
    Ok(())
}

fn sparse(path: &Path) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::File::create(path).unwrap().set_len(2 << 30).unwrap();
}

fn sparse_source_file(c: &mut Case) -> Result<(), String> {
    c.app();
    sparse(&c.root.join("src/huge.py"));
    Ok(())
}

/// Each of `rels` a sparse 2 GiB file of NULs.
fn sparse_files(c: &mut Case, rels: &[&str]) -> Result<(), String> {
    c.app();
    for rel in rels {
        sparse(&c.root.join(rel));
    }
    Ok(())
}

/// A 50 MB minified bundle on one line with a secret in the middle; `raise_cap` sets
/// the file-size cap to its maximum so the bundle is read.
fn minified(c: &mut Case, raise_cap: bool) -> Result<(), String> {
    c.app();
    let s = c.ghp();
    let half = "var a=function(b){return b+1};".repeat(25_000_000 / 30);
    let body = format!("{half}var k=\"{s}\";{half}");
    c.write("static/app.min.js", body);
    if raise_cap {
        c.write(
            "greenlight.toml",
            "[thresholds]\nmax_file_bytes = 67108864\n",
        );
    }
    Ok(())
}

fn binary_files(c: &mut Case) -> Result<(), String> {
    c.app();
    let (a, b, d, e) = (c.ghp(), c.akia(), c.ghp(), c.ghp());
    let mut blob = vec![0u8, 1, 2, 3, 0xff, 0];
    blob.extend_from_slice(a.as_bytes());
    blob.extend_from_slice(&[0, 0, 0x7f, 0x45, 0x4c, 0x46, 0]);
    blob.extend_from_slice(b.as_bytes());
    blob.push(0);
    c.write("lib/native.so", &blob);
    c.write(
        "app/data.py",
        format!("TOKEN = \"{d}\"\x00\x00\nx = 1\n").into_bytes(),
    );
    // UTF-16LE with a byte-order mark: a secret between NULs.
    let mut utf16 = vec![0xff, 0xfe];
    for unit in format!("token = {e}\n").encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    c.write("notes.txt", &utf16);
    Ok(())
}

fn non_utf8(c: &mut Case) -> Result<(), String> {
    c.app();
    let (a, b) = (c.ghp(), c.akia());
    let r = &c.root;
    let latin = [
        b"# caf\xe9 cr\xe8me\nTOKEN = \"".as_slice(),
        a.as_bytes(),
        b"\"  # \xff\xfe\n".as_slice(),
    ]
    .concat();
    write(&r.join("settings.py"), &latin);
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.py");
    write(
        &r.join(name),
        format!("AWS_ACCESS_KEY_ID = \"{b}\"\n").as_bytes(),
    );
    let dir = std::ffi::OsStr::from_bytes(b"bad\xff\xfedir");
    write(
        &r.join(dir).join(std::ffi::OsStr::from_bytes(b"x\x80.py")),
        b"x = 1\n",
    );
    write(
        &r.join(std::ffi::OsStr::from_bytes(b"\xc3\x28.env")),
        b"A=1\n",
    );
    Ok(())
}

// ---- Configuration -------------------------------------------------------------------

fn malformed_manifests(c: &mut Case) -> Result<(), String> {
    c.app();
    c.write(
        "pyproject.toml",
        "[project\nname = = \"x\n\u{0}\ndependencies = [\n",
    );
    c.write(
        "package.json",
        "{\"name\": [}, \"dependencies\": {\"a\": 1,,}\n",
    );
    c.write(
        "Cargo.toml",
        "[package\nname = \nversion = 1.0.0\n[dependencies]\n= \"*\"\n",
    );
    c.write(
        "go.mod",
        "module\ngo 1.x.y.z\nrequire (\n\tgithub.com/x v\n\t(\n",
    );
    c.write(
        ".github/workflows/ci.yml",
        "on: [push\njobs: {\n  x: *undefined\n  - : :\n\t\u{0}\n",
    );
    c.write(
        "docker-compose.yml",
        "services:\n  web:\n    image: [\n  - : :\n\t&a *a\n",
    );
    c.write("requirements.txt", "-r requirements.txt\n-c \u{0}\n==\n");
    c.write("Dockerfile", "FROM\nRUN \\\n");
    c.write("poetry.lock", [0xffu8, 0xfe, 0, 0x5b]);
    Ok(())
}

fn malformed_greenlight_toml(c: &mut Case) -> Result<(), String> {
    c.app();
    c.write(
        "greenlight.toml",
        "[[suppress]]\ncheck = \n[thresholds\nmax_file_bytes = -1\n\u{0}\n",
    );
    Ok(())
}

fn greenlight_toml_extreme_values(c: &mut Case) -> Result<(), String> {
    c.app();
    c.write(
        "greenlight.toml",
        "ignore = [\"**/[\", \"{{{{\", \"\"]\ncritical = [\"[\", \"/\"]\n\n[thresholds]\n\
         coverage = 1e308\ncritical_coverage = nan\nmax_file_bytes = 9223372036854775807\n\
         max_file_lines = 0\ntodo_per_kloc = -inf\ntest_ratio = nan\n\n[weights]\nsecurity = 1e308\n",
    );
    Ok(())
}

fn greenlight_toml_disables_and_suppresses(c: &mut Case) -> Result<(), String> {
    c.app();
    let (a, b, d) = (c.ghp(), c.akia(), c.ghp());
    c.write(
        "greenlight.toml",
        "ignore = [\"ignored/**\"]\n\n[checks.\"security.secrets\"]\nenabled = false\n\n\
         [checks.\"security.secret-history\"]\nenabled = false\n\n[[suppress]]\n\
         check = \"security.env-files\"\npath = \"**\"\nreason = \"accepted\"\n\n[[suppress]]\n\
         check = \"security.secrets\"\nfingerprint = \"0000000000000000\"\nreason = \"accepted\"\n",
    );
    c.write("app/settings.py", format!("TOKEN = \"{a}\"\n# TODO {a}\n"));
    c.write(".env", format!("AWS_ACCESS_KEY_ID={b}\n"));
    c.write("ignored/creds.py", format!("TOKEN = \"{d}\"\n"));
    Ok(())
}

/// Nine levels of nine aliases each: a billion `lol`s when expanded.
fn yaml_alias_bomb(c: &mut Case, rel: &str) -> Result<(), String> {
    c.app();
    let mut y = String::from(
        "x-a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        y.push_str(&format!("x-{}: &{} [{refs}]\n", w[1], w[1]));
    }
    if rel.contains("workflows") {
        y.push_str(
            "on: [push]\njobs:\n  test:\n    runs-on: *i\n    env: *i\n    steps:\n      - run: echo *i\n        with: *i\n",
        );
    } else {
        y.push_str(
            "services:\n  web:\n    image: python:3.12\n    command: *i\n    environment: *i\n",
        );
    }
    c.write(rel, y);
    Ok(())
}

/// 100,000 nested `open` … `close` after `prefix`.
fn nesting_bomb(
    c: &mut Case,
    rel: &str,
    prefix: &str,
    open: &str,
    close: &str,
) -> Result<(), String> {
    c.app();
    let n = 100_000;
    c.write(
        rel,
        format!("{prefix}{}{}\n", open.repeat(n), close.repeat(n)),
    );
    Ok(())
}

// ---- Git metadata pointing outside ---------------------------------------------------

/// The root cloned with `--shared` from the outside repository: its objects are only
/// reachable through `objects/info/alternates`.
fn git_alternates(c: &mut Case, relative: bool) -> Result<(), String> {
    c.outside_repo()?;
    let outside = c.outside.to_string_lossy().into_owned();
    let tmp = c.root.parent().unwrap().to_path_buf();
    git(&tmp, &["clone", "-q", "--shared", &outside, "repo"])?;
    let alternates = c.root.join(".git/objects/info/alternates");
    if relative {
        // Relative to the objects directory: repo/.git/objects → outside/.git/objects.
        fs::write(&alternates, "../../../outside/.git/objects\n").unwrap();
    }
    assert!(alternates.is_file());
    Ok(())
}

/// A `.git` directory holding only HEAD and a `commondir` naming the outside
/// repository's, as a linked worktree's does.
fn git_commondir(c: &mut Case, relative: bool) -> Result<(), String> {
    let head = c.outside_repo()?;
    c.app();
    let gitdir = c.root.join(".git");
    fs::create_dir(&gitdir).unwrap();
    fs::write(gitdir.join("HEAD"), format!("{head}\n")).unwrap();
    let common = if relative {
        "../../outside/.git".to_string()
    } else {
        c.outside.join(".git").to_string_lossy().into_owned()
    };
    fs::write(gitdir.join("commondir"), format!("{common}\n")).unwrap();
    fs::write(
        gitdir.join("gitdir"),
        format!("{}\n", c.root.join(".git").display()),
    )
    .unwrap();
    Ok(())
}

/// A repository whose `.git/objects` is a symlink to the outside repository's.
fn git_objects_symlinked(c: &mut Case) -> Result<(), String> {
    let head = c.outside_repo()?;
    c.app();
    git(&c.root, &["init", "-q"])?;
    let objects = c.root.join(".git/objects");
    fs::remove_dir_all(&objects).unwrap();
    symlink(c.outside.join(".git/objects"), &objects).unwrap();
    fs::write(c.root.join(".git/refs/heads/main"), format!("{head}\n")).unwrap();
    Ok(())
}

/// `.git` as a file: `gitdir: ../outside/.git`.
fn git_file_gitdir(c: &mut Case) -> Result<(), String> {
    c.outside_repo()?;
    c.app();
    c.write(".git", "gitdir: ../outside/.git\n");
    Ok(())
}

/// A commit whose tree holds one subtree 16 times, six levels deep (16⁶ paths to one
/// blob holding a secret), followed by a commit of the plain checkout.
fn git_tree_fan_out_bomb(c: &mut Case) -> Result<(), String> {
    require_git()?;
    c.app();
    let s = c.ghp();
    let r = c.root.clone();
    git(&r, &["init", "-q"])?;
    let leaf = git_with_input(
        &r,
        &["hash-object", "-w", "--stdin"],
        Some(&format!("TOKEN = \"{s}\"\n")),
    )?;
    let mut tree = git_with_input(
        &r,
        &["mktree"],
        Some(&format!("100644 blob {leaf}\tsettings.py\n")),
    )?;
    for _ in 0..6 {
        let entries: String = (0..16)
            .map(|i| format!("040000 tree {tree}\td{i:02}\n"))
            .collect();
        tree = git_with_input(&r, &["mktree"], Some(&entries))?;
    }
    let bomb = git(&r, &["commit-tree", &tree, "-m", "vendor"])?;
    let app = git(&r, &["hash-object", "-w", "app.py"])?;
    let clean = git_with_input(
        &r,
        &["mktree"],
        Some(&format!("100644 blob {app}\tapp.py\n")),
    )?;
    let head = git(&r, &["commit-tree", &clean, "-p", &bomb, "-m", "clean"])?;
    git(&r, &["update-ref", "refs/heads/main", &head])?;
    git(&r, &["reset", "-q"])?;
    Ok(())
}

/// A secret as a branch name and in a commit message.
fn secret_in_git_metadata(c: &mut Case) -> Result<(), String> {
    require_git()?;
    c.app();
    let (a, b) = (c.ghp(), c.ghp());
    let r = c.root.clone();
    git(&r, &["init", "-q"])?;
    git(&r, &["add", "-A"])?;
    git(&r, &["commit", "-q", "-m", &format!("deploy with {a}")])?;
    git(&r, &["checkout", "-q", "-b", &b])?;
    Ok(())
}

// ---- Text ------------------------------------------------------------------------------

fn bidi_overrides(c: &mut Case) -> Result<(), String> {
    c.app();
    let s = c.ghp();
    c.write("src/\u{202e}yp.exe.py", "x = 1\n");
    c.write("src/\u{2066}admin\u{2069}\u{2067}.py", "y = 2\n");
    c.write(
        "src/auth.py",
        format!(
            "def allowed(user):\n    # TODO \u{202e} remove the bypass \u{202c} before release\n    \
             return user == \"admin\" # \u{2067}\u{2066} TOKEN = \"{s}\" \u{2069}\u{2069}\n"
        ),
    );
    Ok(())
}

fn secret_twice_on_a_line(c: &mut Case) -> Result<(), String> {
    c.app();
    let s = c.ghp();
    c.write(
        "app/settings.py",
        format!("TOKEN = \"{s}\"; BACKUP_TOKEN = \"{s}\"  # {s}\n"),
    );
    Ok(())
}

fn two_secrets_on_a_line(c: &mut Case) -> Result<(), String> {
    c.app();
    let (a, b) = (c.ghp(), c.akia());
    c.write(
        "app/settings.py",
        format!("CREDENTIALS = (\"{a}\", \"{b}\")\n"),
    );
    Ok(())
}

fn secret_far_into_a_long_line(c: &mut Case) -> Result<(), String> {
    c.app();
    let s = c.ghp();
    let padding = "value + ".repeat(44);
    c.write(
        "app/settings.py",
        format!(
            "total = {padding}0; TOKEN = \"{s}\"  # {}\n",
            "x".repeat(40)
        ),
    );
    Ok(())
}
