//! What an interrupt must undo. SIGINT, SIGTERM and SIGHUP end greenlight at once,
//! so no destructor runs: this module keeps the live scratch directories and the
//! process groups of running commands, and a thread that waits for those signals
//! kills the groups, removes the directories and exits with 128 + the signal's
//! number (130, 143, 129).

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::signal::{SigSet, Signal, killpg};
use nix::unistd::Pid;

#[derive(Default)]
struct Live {
    scratch: Vec<PathBuf>,
    groups: Vec<i32>,
}

/// Held by the interrupt handler from the moment it starts until the process exits:
/// no command starts and no directory is registered after the clean-up began.
static LIVE: Mutex<Live> = Mutex::new(Live {
    scratch: Vec::new(),
    groups: Vec::new(),
});

fn live() -> MutexGuard<'static, Live> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Takes over SIGINT, SIGTERM and SIGHUP. Must run before any other thread starts:
/// the signals are blocked in the calling thread and so in every thread it starts,
/// and one thread receives them with `sigwait`. Commands do not inherit the block
/// (the standard library clears the signal mask of every child it starts).
pub fn install() {
    let mut set = SigSet::empty();
    for s in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        set.add(s);
    }
    if set.thread_block().is_err() {
        return;
    }
    let waiter = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            while let Ok(signal) = set.wait() {
                stop(signal);
            }
        });
    if waiter.is_err() {
        // Nobody would receive them: the default (ending at once) is better than none.
        let _ = set.thread_unblock();
    }
}

/// Kills every running command's group, removes every scratch directory and exits.
fn stop(signal: Signal) {
    let live = live();
    for &group in &live.groups {
        let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
    }
    for dir in &live.scratch {
        remove(dir);
    }
    std::process::exit(128 + signal as i32);
}

/// Removes `dir`, trying again while the killed commands' last writes land.
fn remove(dir: &Path) {
    let until = Instant::now() + Duration::from_secs(3);
    while std::fs::remove_dir_all(dir).is_err() && dir.exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Creates a scratch directory with `make` and registers it, under the lock, so an
/// interrupt finds every directory that exists.
pub(super) fn track_scratch(
    make: impl FnOnce() -> std::io::Result<tempfile::TempDir>,
) -> std::io::Result<tempfile::TempDir> {
    let mut live = live();
    let dir = make()?;
    live.scratch.push(dir.path().to_path_buf());
    Ok(dir)
}

pub(super) fn forget_scratch(dir: &Path) {
    live().scratch.retain(|d| d != dir);
}

/// Starts `cmd`, which leads its own process group, and registers the group, under
/// the lock: an interrupt either comes before the start (nothing starts) or finds it.
pub(super) fn spawn(cmd: &mut Command) -> std::io::Result<Child> {
    let mut live = live();
    let child = cmd.spawn()?;
    if let Ok(pid) = i32::try_from(child.id()) {
        live.groups.push(pid);
    }
    Ok(child)
}

pub(super) fn forget_group(child: &Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        live().groups.retain(|&g| g != pid);
    }
}
