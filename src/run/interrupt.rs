//! What an interrupt must undo. By default SIGINT, SIGTERM and SIGHUP end a process
//! at once, so no destructor runs: this module keeps the live scratch directories and
//! the process groups of running commands, and a thread woken by those signals kills
//! the groups, removes the directories and exits with 128 + the signal's number (130,
//! 143, 129).

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

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

/// Takes over SIGINT, SIGTERM and SIGHUP: their handler wakes a thread that cleans up
/// and exits. Handlers, unlike a blocked signal mask, are not inherited by the
/// commands (exec resets them). Returns once the handlers are in place; when they
/// cannot be, the signals keep their default (ending at once).
pub fn install() {
    let (ready, registered) = std::sync::mpsc::sync_channel(1);
    let waiter = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let signals = Signals::new([SIGINT, SIGTERM, SIGHUP]);
            let _ = ready.send(signals.is_ok());
            if let Ok(mut signals) = signals {
                if let Some(signal) = signals.forever().next() {
                    stop(signal);
                }
            }
        });
    if waiter.is_ok() {
        let _ = registered.recv();
    }
}

/// Kills every running command's group, removes every scratch directory and exits.
fn stop(signal: i32) {
    let live = live();
    for &group in &live.groups {
        let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
    }
    for dir in &live.scratch {
        remove(dir);
    }
    std::process::exit(128 + signal);
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
