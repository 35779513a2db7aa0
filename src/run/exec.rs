//! Running one command of the dynamic phase: inside bubblewrap when it is installed (no
//! network, the whole file system read-only, credentials directories hidden, only the
//! scratch directory writable), with a wall-clock limit that kills the whole process
//! group, a capped capture of its output and a minimal environment.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Bytes of output kept from the start and from the end of each stream.
const KEEP_HEAD: usize = 256 * 1024;
const KEEP_TAIL: usize = 256 * 1024;

/// Variables passed through to the commands; everything else (tokens, cloud
/// credentials, CI secrets) is left out.
const PASS_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "TZ",
    "PYENV_ROOT",
    "PYENV_VERSION",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "GOROOT",
    "GOPATH",
    "GOMODCACHE",
    "GOCACHE",
    "GOFLAGS",
    "NVM_DIR",
    "NODE_PATH",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
];

/// Package index settings, which often carry a token: passed only to installation
/// steps, never to the tests.
const PASS_ENV_NETWORK: &[&str] = &[
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "npm_config_registry",
];

/// What stays visible (read-only) of the home directory inside the sandbox: the
/// toolchains and user-installed packages. Everything else there — credentials,
/// configuration, keyrings, browser profiles — is hidden.
const VISIBLE_IN_HOME: &[&str] = &[
    ".cargo",
    ".rustup",
    ".pyenv",
    ".nvm",
    ".volta",
    ".asdf",
    ".deno",
    ".bun",
    ".local/bin",
    ".local/lib",
    ".local/share/uv",
    "go",
    "sdk",
];

/// How commands are isolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
    /// bubblewrap at this path; `sized` when it can bound the size of its tmpfs mounts
    /// (`--size`, bubblewrap 0.7 and later).
    Bubblewrap { path: PathBuf, sized: bool },
    /// No sandbox: the user passed `--no-sandbox`.
    None,
}

impl Isolation {
    /// bubblewrap when it is installed and works here (user namespaces can be disabled).
    pub fn detect() -> Option<Isolation> {
        let bwrap = ["/usr/bin/bwrap", "/bin/bwrap"]
            .iter()
            .map(PathBuf::from)
            .find(|p| is_executable(p))
            .or_else(|| which("bwrap"))?;
        let works = |extra: &[&str]| {
            Command::new(&bwrap)
                .args(["--unshare-all", "--die-with-parent", "--ro-bind", "/", "/"])
                .args(["--dev", "/dev", "--proc", "/proc"])
                .args(extra)
                .arg("true")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !works(&[]) {
            return None;
        }
        let sized = works(&["--size", "1048576", "--tmpfs", "/tmp"]);
        Some(Isolation::Bubblewrap { path: bwrap, sized })
    }

    pub fn describe(&self) -> String {
        match self {
            Isolation::Bubblewrap { path, sized } => format!(
                "bubblewrap ({}): no network, no capabilities, file system read-only except the scratch copy, home directory hidden but for toolchains, host sockets under /run hidden{}{}",
                path.display(),
                if *sized { ", /tmp capped at 2 GiB" } else { "" },
                if prlimit().is_some() {
                    ", files capped at 4 GiB each"
                } else {
                    ""
                }
            ),
            Isolation::None => {
                "none (--no-sandbox): the tests ran with the user's network and file system".into()
            }
        }
    }
}

/// One command to run.
#[derive(Debug, Clone)]
pub struct Job {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    /// Extra environment variables.
    pub env: Vec<(String, OsString)>,
    /// Whether the command may reach the network (package installation only).
    pub network: bool,
    /// The one directory the command may write to.
    pub writable: PathBuf,
    /// Directories the command must see although the sandbox hides them (a virtual
    /// environment or node_modules of a checkout under the home directory); read-only.
    pub visible: Vec<PathBuf>,
    pub timeout: Duration,
    /// Bytes of standard output kept from its start (a runner's machine-readable
    /// results); the end is always kept too.
    pub keep_stdout: usize,
}

impl Job {
    pub fn new(program: impl Into<PathBuf>, cwd: &Path, writable: &Path) -> Job {
        Job {
            program: program.into(),
            args: Vec::new(),
            cwd: cwd.to_path_buf(),
            env: Vec::new(),
            network: false,
            writable: writable.to_path_buf(),
            visible: Vec::new(),
            timeout: Duration::from_secs(600),
            keep_stdout: KEEP_HEAD,
        }
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> Job {
        self.args.push(a.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Job
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Job {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// The command line as a reader would type it (without the sandbox wrapper).
    pub fn display(&self) -> String {
        let mut parts = vec![shell_word(&self.program.to_string_lossy())];
        parts.extend(self.args.iter().map(|a| shell_word(&a.to_string_lossy())));
        parts.join(" ")
    }
}

/// Quotes a word for display when it holds anything a shell would split or expand.
fn shell_word(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// What a command did.
#[derive(Debug, Clone)]
pub struct Ran {
    /// Exit code; `None` when killed by a signal or the time limit.
    pub code: Option<i32>,
    pub timed_out: bool,
    pub duration: Duration,
    pub stdout: String,
    pub stderr: String,
    /// Whether output beyond the kept head and tail was dropped.
    pub truncated: bool,
}

impl Ran {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Standard output then standard error.
    pub fn output(&self) -> String {
        if self.stderr.is_empty() {
            self.stdout.clone()
        } else if self.stdout.is_empty() {
            self.stderr.clone()
        } else {
            format!("{}\n{}", self.stdout, self.stderr)
        }
    }
}

/// Runs `job`; an error means the command could not be started at all.
pub fn run(job: &Job, isolation: &Isolation) -> Result<Ran, String> {
    let mut cmd = match isolation {
        Isolation::Bubblewrap { path, sized } => {
            let mut c = Command::new(path);
            c.args(bwrap_args(job, *sized)).arg("--");
            // No file larger than the cap: a runaway test cannot fill the disk with one.
            if let Some(prlimit) = prlimit() {
                c.arg(prlimit)
                    .arg(format!("--fsize={MAX_FILE_BYTES}"))
                    .arg("--");
            }
            c.arg(&job.program).args(&job.args);
            c
        }
        Isolation::None => {
            let mut c = Command::new(&job.program);
            c.args(&job.args).current_dir(&job.cwd);
            c
        }
    };
    cmd.env_clear();
    let network_env: &[&str] = if job.network { PASS_ENV_NETWORK } else { &[] };
    for key in PASS_ENV.iter().chain(network_env) {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd.env("TMPDIR", tmp_dir(job, isolation));
    for (k, v) in &job.env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", job.program.display()))?;
    let out = child
        .stdout
        .take()
        .map(|s| Capture::start(s, job.keep_stdout));
    let err = child.stderr.take().map(|s| Capture::start(s, KEEP_HEAD));
    let (code, timed_out) = wait(&mut child, job.timeout);
    let duration = start.elapsed();
    // A process that escaped the group (unsandboxed, after setsid) may hold the pipes
    // open forever: wait a little for the end of the output, then take what came.
    let grace = Instant::now() + Duration::from_secs(5);
    let (stdout, t1) = out.map(|c| c.finish(grace)).unwrap_or_default();
    let (stderr, t2) = err.map(|c| c.finish(grace)).unwrap_or_default();
    Ok(Ran {
        code,
        timed_out,
        duration,
        stdout,
        stderr,
        truncated: t1 || t2,
    })
}

/// Where temporary files go: a fresh tmpfs inside the sandbox, the scratch directory
/// outside it.
fn tmp_dir(job: &Job, isolation: &Isolation) -> PathBuf {
    match isolation {
        Isolation::Bubblewrap { .. } => PathBuf::from("/tmp"),
        Isolation::None => job.writable.join("tmp"),
    }
}

/// Largest file a sandboxed command may write.
const MAX_FILE_BYTES: u64 = 4 << 30;

/// util-linux's prlimit, which sets resource limits on the command it runs.
fn prlimit() -> Option<PathBuf> {
    ["/usr/bin/prlimit", "/bin/prlimit"]
        .iter()
        .map(PathBuf::from)
        .find(|p| is_executable(p))
}

/// A tmpfs at `dir`, of at most `bytes` when bubblewrap can say so.
fn tmpfs(sized: bool, bytes: u64, dir: &std::ffi::OsStr) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    if sized {
        a.push("--size".into());
        a.push(bytes.to_string().into());
    }
    a.push("--tmpfs".into());
    a.push(dir.to_os_string());
    a
}

fn bwrap_args(job: &Job, sized: bool) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |items: &[&std::ffi::OsStr]| a.extend(items.iter().map(|s| s.to_os_string()));
    push(&["--unshare-all".as_ref()]);
    if job.network {
        push(&["--share-net".as_ref()]);
    }
    push(&[
        // No capabilities: as root, a capability would let the command remount the
        // read-only file system writable.
        "--cap-drop".as_ref(),
        "ALL".as_ref(),
        "--die-with-parent".as_ref(),
        "--new-session".as_ref(),
        "--ro-bind".as_ref(),
        "/".as_ref(),
        "/".as_ref(),
        "--dev".as_ref(),
        "/dev".as_ref(),
        "--proc".as_ref(),
        "/proc".as_ref(),
    ]);
    a.extend(tmpfs(sized, 2 << 30, "/tmp".as_ref()));
    a.extend(tmpfs(sized, 1 << 30, "/var/tmp".as_ref()));
    // Sockets of the host's services (D-Bus, Docker, agents) live under /run: a
    // read-only mount does not stop a connect().
    a.extend(tmpfs(sized, 16 << 20, "/run".as_ref()));
    let mut push = |items: &[&std::ffi::OsStr]| a.extend(items.iter().map(|s| s.to_os_string()));
    // Name resolution for installation steps, when resolv.conf points into /run.
    if job.network {
        if let Ok(target) = std::fs::canonicalize("/etc/resolv.conf") {
            if target.starts_with("/run") {
                push(&["--ro-bind".as_ref(), target.as_os_str(), target.as_os_str()]);
            }
        }
    }
    if let Some(home) = std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|h| h.is_absolute() && h != Path::new("/"))
    {
        for arg in tmpfs(sized, 64 << 20, home.as_os_str()) {
            push(&[arg.as_os_str()]);
        }
        for d in VISIBLE_IN_HOME {
            let p = home.join(d);
            if p.is_dir() {
                push(&["--ro-bind".as_ref(), p.as_os_str(), p.as_os_str()]);
            }
        }
    }
    for v in &job.visible {
        if v.is_dir() {
            push(&["--ro-bind".as_ref(), v.as_os_str(), v.as_os_str()]);
        }
    }
    push(&[
        "--bind".as_ref(),
        job.writable.as_os_str(),
        job.writable.as_os_str(),
        "--chdir".as_ref(),
        job.cwd.as_os_str(),
    ]);
    a
}

/// Waits for the child up to `timeout`; on expiry kills its whole process group.
fn wait(child: &mut Child, timeout: Duration) -> (Option<i32>, bool) {
    let now = Instant::now();
    let deadline = now
        .checked_add(timeout)
        .unwrap_or(now + Duration::from_secs(86_400));
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                // What the command left running in its group goes with it.
                if let Ok(pid) = i32::try_from(child.id()) {
                    let _ = nix::sys::signal::killpg(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
                return (status.code(), false);
            }
            Ok(None) => {}
            Err(_) => break,
        }
        if Instant::now() >= deadline {
            kill_group(child);
            let _ = child.wait();
            return (None, true);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    kill_group(child);
    let _ = child.wait();
    (None, false)
}

fn kill_group(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // The child leads its own process group (`process_group(0)`).
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let _ = child.kill();
}

/// What has been read of a stream: its head, its tail, and whether bytes between
/// them were dropped.
#[derive(Default)]
struct Kept {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    dropped: bool,
}

/// A stream read to its end on a thread, keeping its head and tail.
struct Capture {
    kept: std::sync::Arc<std::sync::Mutex<Kept>>,
    thread: std::thread::JoinHandle<()>,
}

impl Capture {
    fn start<R: Read + Send + 'static>(mut r: R, keep_head: usize) -> Capture {
        let kept = std::sync::Arc::new(std::sync::Mutex::new(Kept::default()));
        let shared = std::sync::Arc::clone(&kept);
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            loop {
                let n = match r.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let chunk = buf.get(..n).unwrap_or(&[]);
                let Ok(mut k) = shared.lock() else { break };
                let room = keep_head.saturating_sub(k.head.len());
                let (to_head, rest) = chunk.split_at(room.min(chunk.len()));
                k.head.extend_from_slice(to_head);
                k.tail.extend(rest);
                let excess = k.tail.len().saturating_sub(KEEP_TAIL);
                if excess > 0 {
                    k.tail.drain(..excess);
                    k.dropped = true;
                }
            }
        });
        Capture { kept, thread }
    }

    /// The text kept, once the stream ended or `deadline` passed.
    fn finish(self, deadline: Instant) -> (String, bool) {
        while !self.thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let Ok(k) = self.kept.lock() else {
            return (String::new(), false);
        };
        let mut text = String::from_utf8_lossy(&k.head).into_owned();
        if k.dropped {
            text.push_str("\n[… output cut …]\n");
        }
        let (a, b) = k.tail.as_slices();
        text.push_str(&String::from_utf8_lossy(&[a, b].concat()));
        (text, k.dropped)
    }
}

/// The first `name` on PATH that is an executable file.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    // Only absolute entries: a relative one would resolve inside whatever directory
    // greenlight runs in, which may be the repository under review.
    std::env::split_paths(&path)
        .filter(|d| d.is_absolute())
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

pub fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_display_as_typed() {
        let j = Job::new("python3", Path::new("/x"), Path::new("/x")).args([
            "-m",
            "pytest",
            "it's here",
        ]);
        assert_eq!(j.display(), r"python3 -m pytest 'it'\''s here'");
    }

    #[test]
    fn a_runaway_command_is_killed_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let mut job = Job::new("sh", dir.path(), dir.path()).args(["-c", "sleep 30 & sleep 30"]);
        job.timeout = Duration::from_millis(300);
        let start = Instant::now();
        let ran = run(&job, &Isolation::None).unwrap();
        assert!(ran.timed_out);
        // The background sleep holds the output pipe open: were it still alive, reading
        // the output would take 30 s.
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_process_holding_the_output_open_does_not_hang_the_run() {
        let dir = tempfile::tempdir().unwrap();
        // setsid puts the sleeper out of the killed process group, still holding stdout.
        let job = Job::new("sh", dir.path(), dir.path())
            .args(["-c", "echo started; setsid sleep 30 & exit 0"]);
        let start = Instant::now();
        let ran = run(&job, &Isolation::None).unwrap();
        assert!(ran.success());
        assert!(ran.stdout.starts_with("started"));
        assert!(start.elapsed() < Duration::from_secs(15));
    }

    #[test]
    fn output_is_capped_at_head_and_tail() {
        let dir = tempfile::tempdir().unwrap();
        let job = Job::new("sh", dir.path(), dir.path()).args([
            "-c",
            "echo first; head -c 2000000 /dev/zero | tr '\\0' x; echo; echo last",
        ]);
        let ran = run(&job, &Isolation::None).unwrap();
        assert!(ran.truncated);
        assert!(ran.stdout.starts_with("first"));
        assert!(ran.stdout.trim_end().ends_with("last"));
        assert!(ran.stdout.len() < KEEP_HEAD + KEEP_TAIL + 100);
    }

    #[test]
    fn secrets_in_the_environment_do_not_reach_the_command() {
        let dir = tempfile::tempdir().unwrap();
        // cargo sets CARGO_MANIFEST_DIR for the test process; it must not pass through.
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
        let job = Job::new("sh", dir.path(), dir.path())
            .args(["-c", "echo ${CARGO_MANIFEST_DIR:-unset} $GL_TEST"])
            .env("GL_TEST", "given");
        let ran = run(&job, &Isolation::None).unwrap();
        assert_eq!(ran.stdout.trim(), "unset given");
    }
}
