//! The hostile corpus (built by `hostile/corpus.rs`) audited by the built binary with
//! `--history` and both report formats, each case under a wall-clock and a memory
//! limit. Every case must: exit 0, or 2 with one line on stderr, never panicking; read
//! nothing outside its root (no trace of a canary in any output, not even masked); show
//! no secret inside its root beyond its first four and last two characters; write no
//! raw bidirectional-override character; leave the checkout byte-identical. `--nocapture` prints the table of cases, times and peak
//! memory.

mod corpus;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use corpus::{CASES, Case};

/// Cases that fail on the current code, and what fails. A listed case does not fail
/// the test (a case not listed does); one that passes again is named in a note so its
/// line can be removed.
const KNOWN_FAILING: &[(&str, &str)] = &[];

/// Wall-clock limit per audit; past it the process group is killed ("hang").
const TIME_LIMIT: Duration = Duration::from_secs(60);
/// An audit that uses no CPU for this long is blocked (on a FIFO, say) and is killed.
const IDLE_LIMIT: Duration = Duration::from_secs(15);
/// Address-space limit per audit (with `prlimit`), or peak RSS allowed (without).
const MEMORY_LIMIT: u64 = 2 << 30;
/// A thread that sleeps in a pipe this long has opened a FIFO and is killed.
const PIPE_LIMIT: Duration = Duration::from_secs(2);
/// Audits at a time.
const PARALLEL: usize = 2;
/// Larger files are fingerprinted by size, times and their ends instead of hashed whole.
const HASH_WHOLE_UP_TO: u64 = 64 << 20;

#[test]
fn hostile_repositories_are_audited_within_bounds_and_leak_nothing() {
    for (name, _) in KNOWN_FAILING {
        assert!(
            CASES.iter().any(|(case, _)| case == name),
            "KNOWN_FAILING names no case: {name}"
        );
    }
    let tools = Tools::detect();
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            std::thread::Builder::new()
                .stack_size(64 << 20)
                .spawn_scoped(scope, || {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(&(name, build)) = CASES.get(i) else {
                            break;
                        };
                        let outcome =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                run_case(build, &tools)
                            }))
                            .unwrap_or_else(|e| Outcome {
                                result: CaseResult::Failed(vec![format!(
                                    "test harness panicked: {}",
                                    panic_text(&e)
                                )]),
                                seconds: 0.0,
                                peak_kib: None,
                            });
                        outcomes.lock().unwrap().push((i, name, outcome));
                    }
                })
                .unwrap();
        }
    });
    let mut outcomes = outcomes.into_inner().unwrap();
    outcomes.sort_by_key(|(i, _, _)| *i);

    let mut unexpected = Vec::new();
    let mut notes = Vec::new();
    println!(
        "\nhostile corpus: {} cases, {} s and {} MiB each at most (prlimit: {}, peak memory from {})\n",
        CASES.len(),
        TIME_LIMIT.as_secs(),
        MEMORY_LIMIT >> 20,
        if tools.prlimit { "yes" } else { "no" },
        if tools.time {
            "/usr/bin/time and VmHWM"
        } else {
            "VmHWM"
        },
    );
    println!(
        "{:<40} {:<7} {:>7} {:>9}  what failed",
        "case", "result", "seconds", "peak MiB"
    );
    for (_, name, o) in &outcomes {
        let known = KNOWN_FAILING.iter().any(|(k, _)| k == name);
        let (result, what) = match (&o.result, known) {
            (CaseResult::Skipped(why), _) => {
                notes.push(format!("{name} skipped: {why}"));
                ("skip".to_string(), String::new())
            }
            (CaseResult::Passed(code), false) => (format!("ok {code}"), String::new()),
            (CaseResult::Passed(code), true) => {
                notes.push(format!("{name} now passes, remove it from KNOWN_FAILING"));
                (format!("ok {code}"), String::new())
            }
            (CaseResult::Failed(why), true) => ("known".to_string(), why.join("; ")),
            (CaseResult::Failed(why), false) => {
                unexpected.push(format!("{name}: {}", why.join("; ")));
                ("FAIL".to_string(), why.join("; "))
            }
        };
        let peak = o.peak_kib.map_or_else(|| "-".into(), mib);
        println!(
            "{name:<40} {result:<7} {:>7.1} {peak:>9}  {what}",
            o.seconds
        );
    }
    if let Some((_, name, o)) = outcomes
        .iter()
        .max_by(|a, b| a.2.seconds.total_cmp(&b.2.seconds))
    {
        println!(
            "\nslowest: {name}, {:.1} s, peak {} MiB",
            o.seconds,
            o.peak_kib.map_or_else(|| "-".into(), mib)
        );
    }
    if let Some((_, name, o)) = outcomes.iter().max_by_key(|(_, _, o)| o.peak_kib) {
        println!(
            "most memory: {name}, {} MiB",
            o.peak_kib.map_or_else(|| "-".into(), mib)
        );
    }
    for note in &notes {
        println!("note: {note}");
    }
    assert!(
        unexpected.is_empty(),
        "hostile cases failing (not in KNOWN_FAILING):\n{}",
        unexpected.join("\n")
    );
}

fn mib(kib: u64) -> String {
    format!("{:.0}", kib as f64 / 1024.0)
}

/// What one case came to, with the audit's wall-clock time and peak memory.
struct Outcome {
    result: CaseResult,
    seconds: f64,
    peak_kib: Option<u64>,
}

enum CaseResult {
    /// Every promise kept; the exit code (0 or 2).
    Passed(i32),
    /// What failed, in a few words each.
    Failed(Vec<String>),
    /// Why the case was not built (a missing tool).
    Skipped(String),
}

fn panic_text(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// Builds one case, audits it and checks every promise.
fn run_case(build: corpus::Build, tools: &Tools) -> Outcome {
    let mut case = Case::new();
    if let Err(why) = build(&mut case) {
        return Outcome {
            result: CaseResult::Skipped(why),
            seconds: 0.0,
            peak_kib: None,
        };
    }
    let before = snapshot(&case.root);
    let run = audit(&case, tools);
    let after = snapshot(&case.root);
    let mut failures = judge(&case, &run, tools);
    if let Some(change) = first_difference(&before, &after) {
        failures.push(format!("checkout modified: {change}"));
    }
    Outcome {
        result: match (failures.is_empty(), &run.ended) {
            (true, Ended::Code(code)) => CaseResult::Passed(*code),
            _ => CaseResult::Failed(failures),
        },
        seconds: run.seconds,
        peak_kib: run.peak_kib,
    }
}

/// The limiting and measuring programs found on this machine.
struct Tools {
    /// `prlimit --as` caps the audit's address space.
    prlimit: bool,
    /// GNU `/usr/bin/time -f %M` reports the audit's peak RSS.
    time: bool,
}

impl Tools {
    fn detect() -> Tools {
        let works = |program: &str, args: &[&str]| {
            Command::new(program)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        Tools {
            prlimit: works("prlimit", &["--as=1073741824", "--", "true"]),
            time: works("/usr/bin/time", &["-f", "%M", "-o", "/dev/null", "true"]),
        }
    }
}

enum Ended {
    Code(i32),
    Signal(i32),
    /// Killed by the harness, and why.
    Hung(String),
}

/// One audit's observable results.
struct Run {
    ended: Ended,
    seconds: f64,
    peak_kib: Option<u64>,
    /// stdout, stderr, the Markdown and the JSON report (absent when not written).
    outputs: Vec<(&'static str, Option<Vec<u8>>)>,
}

/// `greenlight audit ROOT --history --out review.md --out review.json`, in its own
/// process group, killed when it outlives [`TIME_LIMIT`].
fn audit(case: &Case, tools: &Tools) -> Run {
    let out = &case.out;
    let (md, json, time_file) = (
        out.join("review.md"),
        out.join("review.json"),
        out.join("time.txt"),
    );
    let (stdout, stderr) = (out.join("stdout.txt"), out.join("stderr.txt"));
    let mut argv: Vec<OsString> = Vec::new();
    if tools.prlimit {
        argv.extend([
            "prlimit".into(),
            format!("--as={MEMORY_LIMIT}").into(),
            "--".into(),
        ]);
    }
    if tools.time {
        argv.extend(["/usr/bin/time", "-f", "%M", "-o"].map(OsString::from));
        argv.extend([time_file.clone().into(), "--".into()]);
    }
    argv.push(env!("CARGO_BIN_EXE_greenlight").into());
    argv.extend(["audit".into(), case.root.clone().into(), "--history".into()]);
    argv.extend([
        "--out".into(),
        md.clone().into(),
        "--out".into(),
        json.clone().into(),
    ]);
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(out)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env("NO_COLOR", "1")
        .env("GREENLIGHT_CACHE_DIR", "/nonexistent/greenlight-test-cache")
        .env_remove("GREENLIGHT_OSV_URL")
        .env_remove("RUST_BACKTRACE")
        .envs(case.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout).unwrap())
        .stderr(fs::File::create(&stderr).unwrap())
        .process_group(0);
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    let mut hwm = 0;
    let (mut cpu, mut cpu_moved) = (0, Instant::now());
    let mut in_pipe_since: Option<Instant> = None;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Ok(status);
        }
        let tree = process_tree(pid);
        hwm = tree
            .iter()
            .filter_map(|&p| vm_hwm_kib(p))
            .fold(hwm, u64::max);
        let ticks: u64 = tree.iter().filter_map(|&p| cpu_ticks(p)).sum();
        if ticks != cpu {
            (cpu, cpu_moved) = (ticks, Instant::now());
        }
        // A thread asleep in a pipe for a while has opened a FIFO: that alone breaks
        // the promise, and without a writer it never returns.
        let pipe_wait = tree.iter().find_map(|&p| waiting_on_a_pipe(p));
        let pipe_since = match &pipe_wait {
            Some(_) => *in_pipe_since.get_or_insert_with(Instant::now),
            None => {
                in_pipe_since = None;
                Instant::now()
            }
        };
        let hung = if let Some(wchan) = pipe_wait.filter(|_| pipe_since.elapsed() > PIPE_LIMIT) {
            Some(format!("hang (blocked in a FIFO: {wchan})"))
        } else if started.elapsed() > TIME_LIMIT {
            Some(format!("hang (killed after {} s)", TIME_LIMIT.as_secs()))
        } else if cpu_moved.elapsed() > IDLE_LIMIT {
            Some(format!(
                "hang (blocked: no CPU time for {} s)",
                IDLE_LIMIT.as_secs()
            ))
        } else {
            None
        };
        if let Some(why) = hung {
            kill_group(pid);
            let _ = child.wait();
            break Err(why);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let seconds = started.elapsed().as_secs_f64();
    // Nothing the audit started may outlive it.
    kill_group(pid);
    let time_text = fs::read_to_string(&time_file).unwrap_or_default();
    let signal = time_text.lines().find_map(|l| {
        l.strip_prefix("Command terminated by signal ")
            .and_then(|n| n.trim().parse().ok())
    });
    // GNU time's figure is exact; sampling may miss a last peak or find none.
    let measured: Option<u64> = time_text.lines().last().and_then(|l| l.trim().parse().ok());
    let peak_kib = measured
        .into_iter()
        .chain(Some(hwm))
        .max()
        .filter(|&k| k > 0);
    let ended = match (status, signal) {
        (Err(why), _) => Ended::Hung(why),
        (Ok(_), Some(sig)) => Ended::Signal(sig),
        (Ok(s), None) => match (s.code(), s.signal()) {
            (Some(code), _) => Ended::Code(code),
            (None, sig) => Ended::Signal(sig.unwrap_or(0)),
        },
    };
    Run {
        ended,
        seconds,
        peak_kib,
        outputs: vec![
            ("stdout", fs::read(&stdout).ok()),
            ("stderr", fs::read(&stderr).ok()),
            ("md", fs::read(&md).ok()),
            ("json", fs::read(&json).ok()),
        ],
    }
}

fn kill_group(leader: u32) {
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(leader as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
}

/// `pid` and its descendants (the audit runs under `prlimit` and `time`).
fn process_tree(pid: u32) -> Vec<u32> {
    let mut tree = vec![pid];
    let mut i = 0;
    while let Some(&p) = tree.get(i) {
        let children =
            fs::read_to_string(format!("/proc/{p}/task/{p}/children")).unwrap_or_default();
        tree.extend(
            children
                .split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok()),
        );
        i += 1;
    }
    tree
}

/// The kernel function a thread of `pid` sleeps in, when it is one that waits for
/// the other end of a pipe or FIFO.
fn waiting_on_a_pipe(pid: u32) -> Option<String> {
    const PIPE_WAITS: &[&str] = &[
        "wait_for_partner",
        "pipe_wait",
        "pipe_read",
        "pipe_wait_readable",
    ];
    fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .filter_map(|t| fs::read_to_string(t.ok()?.path().join("wchan")).ok())
        .find(|w| PIPE_WAITS.contains(&w.trim()))
}

/// User and system CPU time of a process, in clock ticks, from `/proc/PID/stat`.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which ends at the last ')': state is the first,
    // utime and stime the 12th and 13th.
    let mut fields = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The peak resident set of a running process, from `/proc/PID/status`.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Every promise the audit broke, in a few words each.
fn judge(case: &Case, run: &Run, tools: &Tools) -> Vec<String> {
    let mut failures = Vec::new();
    let output = |name: &str| {
        run.outputs
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, b)| b.as_deref())
            .unwrap_or(&[])
    };
    let stderr = String::from_utf8_lossy(output("stderr"));
    let panicked = stderr.contains("panicked");
    match run.ended {
        Ended::Hung(ref why) => failures.push(why.clone()),
        Ended::Signal(sig) => {
            let why = if stderr.contains("memory allocation") {
                " (memory allocation failed)"
            } else if stderr.contains("stack overflow") {
                " (stack overflow)"
            } else {
                ""
            };
            failures.push(format!("killed by signal {sig}{why}"));
        }
        Ended::Code(0) => {
            let json_ok = serde_json::from_slice::<serde_json::Value>(output("json")).is_ok();
            let md_ok = !output("md").is_empty();
            if !(json_ok && md_ok) {
                failures.push("exit 0 without both reports".into());
            }
        }
        Ended::Code(2) => {
            let lines: Vec<&str> = stderr.trim().lines().collect();
            if lines.len() != 1 || panicked || stderr.contains("backtrace") {
                failures.push(format!(
                    "exit 2 without one sentence on stderr ({} lines)",
                    lines.len()
                ));
            }
        }
        Ended::Code(code) => failures.push(format!("exit code {code}")),
    }
    if panicked {
        let at = stderr
            .lines()
            .find(|l| l.contains("panicked"))
            .unwrap_or("")
            .trim();
        failures.push(format!("panic: {at}"));
    }
    if !tools.prlimit && run.peak_kib.is_some_and(|k| k << 10 > MEMORY_LIMIT) {
        failures.push(format!("peak memory over {} MiB", MEMORY_LIMIT >> 20));
    }
    let leaks = |secrets: &[String], masked_too: bool| {
        let mut places = Vec::new();
        for (name, bytes) in &run.outputs {
            let raw = bytes.as_deref().unwrap_or(&[]);
            // Markdown escapes `_` (`ghp\_…`): look in the text with escapes removed too.
            let unescaped = unescape(raw);
            let found = secrets.iter().any(|s| {
                let masked = format!("{}…{}", &s[..4], &s[s.len() - 2..]);
                [raw, unescaped.as_slice()].iter().any(|text| {
                    s.as_bytes()
                        .windows(7)
                        .any(|w| memchr::memmem::find(text, w).is_some())
                        || (masked_too && memchr::memmem::find(text, masked.as_bytes()).is_some())
                })
            });
            if found {
                places.push(*name);
            }
        }
        places
    };
    let read_outside = leaks(&case.canaries, true);
    if !read_outside.is_empty() {
        failures.push(format!(
            "outside canary read (in {})",
            read_outside.join(", ")
        ));
    }
    let shown = leaks(&case.inside, false);
    if !shown.is_empty() {
        failures.push(format!("secret shown beyond 4+2 (in {})", shown.join(", ")));
    }
    // Bidirectional controls (U+202A–U+202E, U+2066–U+2069) are written escaped.
    let bidi: Vec<&str> = run
        .outputs
        .iter()
        .filter(|(_, bytes)| {
            String::from_utf8_lossy(bytes.as_deref().unwrap_or(&[]))
                .chars()
                .any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        })
        .map(|(name, _)| *name)
        .collect();
    if !bidi.is_empty() {
        failures.push(format!(
            "raw bidirectional control (in {})",
            bidi.join(", ")
        ));
    }
    failures
}

/// `text` without the backslashes that escape ASCII punctuation.
fn unescape(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.iter().peekable();
    while let Some(&b) = bytes.next() {
        if b == b'\\' && bytes.peek().is_some_and(|n| n.is_ascii_punctuation()) {
            continue;
        }
        out.push(b);
    }
    out
}

/// Every path under `root` (symlinks not followed, `.git` included) with its type, mode
/// and content: a file's hash, a symlink's target, a special file's type only.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut map = BTreeMap::new();
    visit(root, root, &mut map);
    map
}

fn visit(root: &Path, path: &Path, map: &mut BTreeMap<PathBuf, String>) {
    let meta = fs::symlink_metadata(path).unwrap();
    let kind = meta.file_type();
    let mode = meta.mode() & 0o7777;
    let description = if kind.is_symlink() {
        format!("symlink -> {:?}", fs::read_link(path).unwrap())
    } else if kind.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            visit(root, &entry.unwrap().path(), map);
        }
        format!("dir {mode:o}")
    } else if kind.is_file() {
        format!("file {mode:o} {} {}", meta.len(), digest(path, &meta))
    } else if kind.is_fifo() {
        format!("fifo {mode:o}")
    } else if kind.is_socket() {
        format!("socket {mode:o}")
    } else if kind.is_char_device() || kind.is_block_device() {
        format!("device {mode:o} {}", meta.rdev())
    } else {
        format!("other {mode:o}")
    };
    map.insert(path.strip_prefix(root).unwrap().to_path_buf(), description);
}

/// SHA-256 of a file; past [`HASH_WHOLE_UP_TO`], of its first and last MiB plus its
/// modification and change times (any write moves the change time).
fn digest(path: &Path, meta: &fs::Metadata) -> String {
    let mut file = fs::File::open(path).unwrap();
    let mut hasher = Sha256::new();
    if meta.len() <= HASH_WHOLE_UP_TO {
        let mut buf = vec![0; 1 << 20];
        loop {
            let n = file.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    } else {
        use std::io::{Seek, SeekFrom};
        let mut buf = vec![0; 1 << 20];
        file.read_exact(&mut buf).unwrap();
        hasher.update(&buf);
        file.seek(SeekFrom::End(-(1 << 20))).unwrap();
        file.read_exact(&mut buf).unwrap();
        hasher.update(&buf);
        hasher.update(
            format!(
                "{}.{} {}.{}",
                meta.mtime(),
                meta.mtime_nsec(),
                meta.ctime(),
                meta.ctime_nsec()
            )
            .as_bytes(),
        );
    }
    format!("{:x}", hasher.finalize())
}

/// The first path added, removed or changed between two snapshots.
fn first_difference(
    before: &BTreeMap<PathBuf, String>,
    after: &BTreeMap<PathBuf, String>,
) -> Option<String> {
    for (path, was) in before {
        match after.get(path) {
            None => return Some(format!("{} removed", path.display())),
            Some(now) if now != was => return Some(format!("{} changed", path.display())),
            _ => {}
        }
    }
    after
        .keys()
        .find(|p| !before.contains_key(*p))
        .map(|p| format!("{} added", p.display()))
}

#[test]
fn the_snapshot_sees_content_mode_link_and_entry_changes() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join(".git")).unwrap();
    fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    fs::write(root.join("a.py"), "x = 1\n").unwrap();
    symlink("a.py", root.join("link")).unwrap();
    let before = snapshot(root);
    assert_eq!(first_difference(&before, &snapshot(root)), None);
    let changes: [&dyn Fn(); 4] = [
        &|| fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\r").unwrap(),
        &|| fs::set_permissions(root.join("a.py"), fs::Permissions::from_mode(0o600)).unwrap(),
        &|| {
            fs::remove_file(root.join("link")).unwrap();
            symlink("b.py", root.join("link")).unwrap();
        },
        &|| fs::write(root.join(".git/index.lock"), "").unwrap(),
    ];
    for change in changes {
        let before = snapshot(root);
        change();
        assert!(first_difference(&before, &snapshot(root)).is_some());
    }
}

#[test]
fn a_secret_escaped_by_markdown_is_still_found() {
    let text = r"token ghp\_ab12CD34 and `ghp_…`".as_bytes();
    assert!(memchr::memmem::find(&unescape(text), b"ghp_ab12CD34").is_some());
    assert!(memchr::memmem::find(text, b"ghp_ab12CD34").is_none());
}
