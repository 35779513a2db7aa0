//! Resource limits of a sandboxed command, and the watch that enforces the two the
//! kernel cannot: the size of the scratch directory (the one place on the host's disk
//! a command writes to) and the number of its processes (RLIMIT_NPROC does not apply
//! to root). The others are resource limits set by `prlimit` inside the sandbox.

use std::collections::HashSet;
use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use nix::fcntl::{AtFlags, OFlag, open, openat};
use nix::sys::stat::{Mode, SFlag, fstatat};

/// What one sandboxed command may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest file it may write (RLIMIT_FSIZE).
    pub file_bytes: u64,
    /// Address space of each of its processes (RLIMIT_AS): bounds a runaway
    /// allocation, generous enough for the reservations of Go, Node.js and the JVM.
    pub memory_bytes: u64,
    /// Threads of its user (RLIMIT_NPROC), where the kernel enforces it: not for root.
    pub threads: u64,
    /// Processes in its sandbox; past this it is stopped.
    pub processes: usize,
    /// Disk space the scratch directory may take, the copy included (every entry counts
    /// at least one 4 KiB block, so a flood of empty files counts too); past this the
    /// command is stopped.
    pub scratch_bytes: u64,
}

/// The scratch directory's cap: the copy (at most 2 GiB), an environment, build
/// output and what the tests write.
pub const SCRATCH_BYTES: u64 = 8 << 30;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            file_bytes: 1 << 30,
            memory_bytes: 8 << 30,
            threads: 4096,
            processes: 1024,
            scratch_bytes: SCRATCH_BYTES,
        }
    }
}

impl Limits {
    /// `prlimit`'s options for the limits the kernel enforces.
    pub fn prlimit_args(&self) -> Vec<OsString> {
        vec![
            format!("--fsize={}", self.file_bytes).into(),
            format!("--as={}", self.memory_bytes).into(),
            format!("--nproc={}", self.threads).into(),
        ]
    }

    /// The limits in words, for the report.
    pub fn describe(&self) -> String {
        format!(
            "at most {} processes, {} of address space per process, files of at most {}, {} of scratch space",
            self.processes,
            size(self.memory_bytes),
            size(self.file_bytes),
            size(self.scratch_bytes)
        )
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes % (1 << 30) == 0 {
        format!("{} GiB", bytes >> 30)
    } else {
        format!("{} MiB", bytes >> 20)
    }
}

/// How often the process count is taken: a fork bomb outgrows the limit by what it
/// starts in this time.
const PROCESS_EVERY: Duration = Duration::from_millis(100);
/// How often the scratch directory is measured at most; a large tree is measured less
/// often, so measuring takes at most a tenth of the time.
const DISK_EVERY: Duration = Duration::from_secs(1);

/// Watches one running command.
pub struct Watch {
    limits: Limits,
    writable: PathBuf,
    /// The command's process (bubblewrap's), whose child is the sandbox's first process.
    sandbox: Option<u32>,
    /// The sandbox's PID namespace, once found.
    namespace: Option<PathBuf>,
    next_processes: Instant,
    next_disk: Instant,
}

impl Watch {
    /// `sandbox` is the process of bubblewrap when the command runs in one.
    pub fn new(limits: &Limits, writable: &Path, sandbox: Option<u32>) -> Watch {
        let now = Instant::now();
        Watch {
            limits: limits.clone(),
            writable: writable.to_path_buf(),
            sandbox,
            namespace: None,
            next_processes: now,
            next_disk: now,
        }
    }

    /// Why the command must be stopped now, if it must: a limit it went past.
    pub fn check(&mut self) -> Option<String> {
        let now = Instant::now();
        if let Some(sandbox) = self.sandbox.filter(|_| now >= self.next_processes) {
            self.next_processes = now + PROCESS_EVERY;
            if self.namespace.is_none() {
                self.namespace = namespace_of_child(sandbox);
            }
            if let Some(ns) = &self.namespace {
                let n = processes_in(ns, self.limits.processes);
                if n >= self.limits.processes {
                    return Some(format!(
                        "started more than {} processes",
                        self.limits.processes
                    ));
                }
            }
        }
        if now >= self.next_disk {
            let used = disk_usage(&self.writable, self.limits.scratch_bytes);
            let took = now.elapsed();
            self.next_disk = Instant::now() + DISK_EVERY.max(took * 10);
            match used {
                Usage::Bytes(n) if n > self.limits.scratch_bytes => {
                    return Some(format!(
                        "filled the scratch directory past {}",
                        size(self.limits.scratch_bytes)
                    ));
                }
                Usage::TooDeep => {
                    return Some(format!(
                        "nested directories more than {MAX_DEPTH} deep in the scratch directory"
                    ));
                }
                Usage::Bytes(_) => {}
            }
        }
        None
    }
}

/// The PID namespace of the first child of `pid` (bubblewrap's sandboxed side), when
/// it differs from greenlight's own.
fn namespace_of_child(pid: u32) -> Option<PathBuf> {
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    let child: u32 = children.split_whitespace().next()?.parse().ok()?;
    let ns = std::fs::read_link(format!("/proc/{child}/ns/pid")).ok()?;
    let own = std::fs::read_link("/proc/self/ns/pid").ok()?;
    (ns != own).then_some(ns)
}

/// The processes whose PID namespace is `ns`, counted up to `stop_at`.
fn processes_in(ns: &Path, stop_at: usize) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        if !name
            .to_str()
            .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))
        {
            continue;
        }
        if std::fs::read_link(e.path().join("ns/pid")).is_ok_and(|l| l == ns) {
            n += 1;
            if n >= stop_at {
                break;
            }
        }
    }
    n
}

/// Directories deeper than this are not walked but stopped: every level holds a
/// descriptor open while its subtree is measured.
const MAX_DEPTH: usize = 256;

enum Usage {
    Bytes(u64),
    TooDeep,
}

/// The disk space taken under `root`, counted up to just past `stop_above`. The tree
/// is the tests' to rearrange while it is measured: it is walked by descriptors, each
/// directory opened without following a link, and a file with several links counts
/// once.
fn disk_usage(root: &Path, stop_above: u64) -> Usage {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let Ok(top) = open(root, flags, Mode::empty()) else {
        return Usage::Bytes(0);
    };
    let mut total: u64 = 0;
    let mut linked: HashSet<(u64, u64)> = HashSet::new();
    // Directories to read: the parent's descriptor (shared, so at most one per level of
    // the path being walked stays open), the name and the depth.
    let mut stack: Vec<(Rc<OwnedFd>, std::ffi::CString, usize)> = Vec::new();
    let mut pending: Vec<(OwnedFd, usize)> = vec![(top, 0)];
    loop {
        let (fd, depth) = match pending.pop() {
            Some(d) => d,
            None => {
                let Some((parent, name, depth)) = stack.pop() else {
                    break;
                };
                match openat(&*parent, name.as_c_str(), flags, Mode::empty()) {
                    Ok(fd) => (fd, depth),
                    Err(_) => continue,
                }
            }
        };
        if depth > MAX_DEPTH {
            return Usage::TooDeep;
        }
        let Ok(dup) = fd.try_clone() else { continue };
        let Ok(mut dir) = nix::dir::Dir::from_fd(dup) else {
            continue;
        };
        let names: Vec<std::ffi::CString> = dir
            .iter()
            .flatten()
            .map(|e| e.file_name().to_owned())
            .filter(|n| n.as_bytes() != b"." && n.as_bytes() != b"..")
            .collect();
        drop(dir);
        let fd = Rc::new(fd);
        for name in names {
            let Ok(st) = fstatat(&*fd, name.as_c_str(), AtFlags::AT_SYMLINK_NOFOLLOW) else {
                continue;
            };
            let is_dir = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR;
            if !is_dir && st.st_nlink > 1 && !linked.insert((st.st_dev, st.st_ino)) {
                continue;
            }
            let blocks = u64::try_from(st.st_blocks).unwrap_or(0).saturating_mul(512);
            total = total.saturating_add(blocks.max(4096));
            if total > stop_above {
                return Usage::Bytes(total);
            }
            if is_dir {
                stack.push((Rc::clone(&fd), name, depth + 1));
            }
        }
    }
    Usage::Bytes(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scratch_directory_is_measured_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/f"), vec![1u8; 1 << 20]).unwrap();
        std::fs::hard_link(dir.path().join("a/b/f"), dir.path().join("a/g")).unwrap();
        std::os::unix::fs::symlink("/usr", dir.path().join("usr")).unwrap();
        let Usage::Bytes(n) = disk_usage(dir.path(), u64::MAX) else {
            panic!("too deep")
        };
        // One MiB of data counted once, plus a few entries; nothing of /usr.
        assert!((1 << 20..(1 << 20) + 64 * 1024).contains(&n), "{n}");
    }

    #[test]
    fn nesting_past_the_depth_limit_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = dir.path().to_path_buf();
        for _ in 0..MAX_DEPTH + 2 {
            p.push("d");
        }
        std::fs::create_dir_all(&p).unwrap();
        assert!(matches!(disk_usage(dir.path(), u64::MAX), Usage::TooDeep));
    }

    #[test]
    fn limits_are_stated_in_words() {
        assert_eq!(
            Limits::default().describe(),
            "at most 1024 processes, 8 GiB of address space per process, files of at most 1 GiB, 8 GiB of scratch space"
        );
    }
}
