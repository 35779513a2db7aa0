//! Running one command of the dynamic phase: inside bubblewrap when it is installed
//! (what the command sees is decided in `sandbox`, what it may use in `limits`), with a
//! wall-clock limit that kills the whole process group, a capped capture of its output,
//! a minimal environment, and its process group known to the interrupt handler.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::limits::{Limits, Watch};

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
            Isolation::Bubblewrap { path, sized } => {
                let limits = Limits::default();
                let mut text = format!(
                    "bubblewrap ({}): no network, no capabilities, file system read-only except the scratch copy, home directory empty but for toolchains (binaries, installed versions, package caches; no configuration or credentials), other home directories empty, password hashes, sudoers and private keys blanked, host sockets under /run hidden",
                    path.display()
                );
                if *sized {
                    text.push_str(", /tmp capped at 2 GiB");
                }
                if prlimit().is_some() {
                    text.push_str(&format!("; {}", limits.describe()));
                } else {
                    text.push_str(&format!(
                        "; at most {} processes and {} GiB of scratch space (prlimit is not installed: no memory or file size limit)",
                        limits.processes,
                        limits.scratch_bytes >> 30
                    ));
                }
                text
            }
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
    /// What it may use.
    pub limits: Limits,
    /// An empty file the sandbox cannot reach, mounted over the files it hides;
    /// `/dev/null` (unreadable there) when `None`.
    pub blank: Option<PathBuf>,
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
            limits: Limits::default(),
            blank: None,
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
    /// The limit it went past, when greenlight stopped it for that: "started more than
    /// 1024 processes".
    pub stopped: Option<String>,
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
            c.args(super::sandbox::args(job, *sized, &|k| std::env::var_os(k)))
                .arg("--");
            // The limits the kernel enforces, set inside the sandbox so they bind the
            // command and everything it starts, not bubblewrap.
            if let Some(prlimit) = prlimit() {
                c.arg(prlimit).args(job.limits.prlimit_args()).arg("--");
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
    let mut child = super::interrupt::spawn(&mut cmd)
        .map_err(|e| format!("cannot start {}: {e}", job.program.display()))?;
    let out = child
        .stdout
        .take()
        .map(|s| Capture::start(s, job.keep_stdout));
    let err = child.stderr.take().map(|s| Capture::start(s, KEEP_HEAD));
    let sandbox = matches!(isolation, Isolation::Bubblewrap { .. }).then(|| child.id());
    let mut watch = Watch::new(&job.limits, &job.writable, sandbox);
    let (code, timed_out, stopped) = wait(&mut child, job.timeout, &mut watch);
    super::interrupt::forget_group(&child);
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
        stopped,
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

/// util-linux's prlimit, which sets resource limits on the command it runs.
fn prlimit() -> Option<PathBuf> {
    ["/usr/bin/prlimit", "/bin/prlimit"]
        .iter()
        .map(PathBuf::from)
        .find(|p| is_executable(p))
}

/// Waits for the child up to `timeout`; on expiry, or when `watch` finds a limit
/// passed, kills its whole process group. (exit code, timed out, limit passed).
fn wait(
    child: &mut Child,
    timeout: Duration,
    watch: &mut Watch,
) -> (Option<i32>, bool, Option<String>) {
    let now = Instant::now();
    let deadline = now
        .checked_add(timeout)
        .unwrap_or(now + Duration::from_secs(86_400));
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                // What the command left running in its group goes with it.
                kill_group(child);
                return (status.code(), false, None);
            }
            Ok(None) => {}
            Err(_) => break,
        }
        if Instant::now() >= deadline {
            kill_group(child);
            let _ = child.wait();
            return (None, true, None);
        }
        if let Some(limit) = watch.check() {
            kill_group(child);
            let _ = child.wait();
            return (None, false, Some(limit));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    kill_group(child);
    let _ = child.wait();
    (None, false, None)
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

    /// bubblewrap; `None` (the test is skipped) only when GREENLIGHT_SKIP_RUN_TESTS
    /// says the machine has none.
    fn bubblewrap() -> Option<Isolation> {
        let found = Isolation::detect();
        if found.is_none() {
            assert!(
                std::env::var_os("GREENLIGHT_SKIP_RUN_TESTS").is_some(),
                "this test needs bubblewrap (apt install bubblewrap); set GREENLIGHT_SKIP_RUN_TESTS=1 to skip it"
            );
        }
        found
    }

    #[test]
    fn a_command_filling_the_scratch_directory_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let mut job = Job::new("sh", dir.path(), dir.path()).args([
            "-c",
            "for i in 1 2 3 4 5 6 7 8 9 10; do head -c 8388608 /dev/zero > f$i; sleep 0.5; done; echo finished",
        ]);
        job.limits.scratch_bytes = 20 << 20;
        let ran = run(&job, &Isolation::None).unwrap();
        assert_eq!(
            ran.stopped.as_deref(),
            Some("filled the scratch directory past 20 MiB")
        );
        assert!(!ran.stdout.contains("finished"));
    }

    #[test]
    fn a_sandboxed_command_starting_too_many_processes_is_stopped() {
        let Some(sandbox) = bubblewrap() else { return };
        let dir = tempfile::tempdir().unwrap();
        let mut job = Job::new("sh", dir.path(), dir.path()).args([
            "-c",
            "i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); done; wait",
        ]);
        job.limits.processes = 50;
        let start = Instant::now();
        let ran = run(&job, &sandbox).unwrap();
        assert_eq!(
            ran.stopped.as_deref(),
            Some("started more than 50 processes")
        );
        assert!(start.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn a_sandboxed_command_cannot_reserve_more_memory_than_the_limit() {
        let Some(sandbox) = bubblewrap() else { return };
        if prlimit().is_none() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        // Reserves 12 GiB without touching it: harmless without a limit.
        let job = Job::new("python3", dir.path(), dir.path()).args([
            "-c",
            "import mmap; mmap.mmap(-1, 12 << 30); print('reserved')",
        ]);
        let ran = run(&job, &sandbox).unwrap();
        assert!(!ran.success(), "{}", ran.output());
        assert!(ran.stderr.contains("MemoryError") || ran.stderr.contains("Cannot allocate"));
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
