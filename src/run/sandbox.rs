//! What a sandboxed command sees: bubblewrap's arguments. The root file system
//! read-only; the home directory an empty tmpfs holding only an allowlist of what
//! toolchains need to run (their binaries, installed versions and read-only package
//! caches, never their configuration or credentials); other users' home directories
//! empty; the host's password hashes, sudoers and private keys blanked; only the
//! scratch directory writable.

use std::ffi::{OsStr, OsString};
use std::path::{Component, Path, PathBuf};

use super::exec::Job;

/// A directory a toolchain keeps its installation in.
struct Toolchain {
    /// Where it is by default, relative to the home directory; `None`: only where
    /// `var` says.
    default: Option<&'static str>,
    /// The variable that names it instead (a list for GOPATH).
    var: Option<&'static str>,
    /// What of it a command sees (`""`: all of it): binaries, installed versions,
    /// package caches. Configuration is left out: cargo's, npm's and pip's can hold
    /// registry tokens.
    visible: &'static [&'static str],
    /// Files that hold or may hold tokens, blanked where they are visible: under a
    /// visible part, or anywhere in the directory when it is outside every hidden
    /// tree (then the read-only root shows all of it). `*` stands for any part of one
    /// component.
    secrets: &'static [&'static str],
}

/// Sorted by default location.
const TOOLCHAINS: &[Toolchain] = &[
    Toolchain {
        default: None,
        var: Some("GOROOT"),
        visible: &[""],
        secrets: &[],
    },
    Toolchain {
        default: Some(".asdf"),
        var: Some("ASDF_DATA_DIR"),
        visible: &["asdf.sh", "bin", "installs", "lib", "plugins", "shims"],
        secrets: &["installs/nodejs/*/etc/npmrc", "installs/python/*/pip.conf"],
    },
    Toolchain {
        default: Some(".bun"),
        var: Some("BUN_INSTALL"),
        visible: &["bin"],
        secrets: &[],
    },
    Toolchain {
        default: Some(".cargo"),
        var: Some("CARGO_HOME"),
        visible: &["bin", "git", "registry"],
        secrets: &["config", "config.toml", "credentials", "credentials.toml"],
    },
    Toolchain {
        default: Some(".deno"),
        var: Some("DENO_INSTALL"),
        visible: &["bin"],
        secrets: &[],
    },
    Toolchain {
        default: Some(".local/bin"),
        var: None,
        visible: &[""],
        secrets: &[],
    },
    Toolchain {
        default: Some(".local/lib"),
        var: None,
        visible: &[""],
        secrets: &[],
    },
    Toolchain {
        default: Some(".local/share/pipx"),
        var: Some("PIPX_HOME"),
        visible: &["shared", "venvs"],
        secrets: &["venvs/*/pip.conf"],
    },
    Toolchain {
        default: Some(".local/share/uv"),
        var: None,
        visible: &["python", "tools"],
        secrets: &["credentials", "python/*/pip.conf", "tools/*/pip.conf"],
    },
    Toolchain {
        default: Some(".nvm"),
        var: Some("NVM_DIR"),
        visible: &["alias", "nvm.sh", "versions"],
        secrets: &["versions/node/*/etc/npmrc"],
    },
    Toolchain {
        default: Some(".pyenv"),
        var: Some("PYENV_ROOT"),
        visible: &[
            "bin", "libexec", "plugins", "pyenv.d", "shims", "version", "versions",
        ],
        secrets: &["versions/*/pip.conf"],
    },
    Toolchain {
        default: Some(".rustup"),
        var: Some("RUSTUP_HOME"),
        visible: &["settings.toml", "toolchains"],
        secrets: &[],
    },
    Toolchain {
        default: Some(".volta"),
        var: Some("VOLTA_HOME"),
        visible: &["bin", "tools"],
        secrets: &["tools/image/node/*/etc/npmrc"],
    },
    Toolchain {
        default: Some("go"),
        var: Some("GOPATH"),
        visible: &["bin", "pkg/mod"],
        secrets: &[],
    },
    Toolchain {
        default: Some("go/pkg/mod"),
        var: Some("GOMODCACHE"),
        visible: &[""],
        secrets: &[],
    },
    Toolchain {
        default: Some("sdk"),
        var: None,
        visible: &[""],
        secrets: &[],
    },
];

/// Home directories: emptied, but for the running user's allowlist.
const HOMES: &[&str] = &["/home", "/root"];

/// The host's secrets outside home directories, blanked (a file) or emptied (a
/// directory). Sorted.
const SYSTEM_SECRETS: &[&str] = &[
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/security/opasswd",
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/ssh/ssh_host_*_key",
    "/etc/ssl/private",
    "/etc/sudoers",
    "/etc/sudoers.d",
];

/// Sizes of the tmpfs mounts: `/tmp` and `/var/tmp` hold what the tests write there
/// and count against memory, not disk.
const TMP_BYTES: u64 = 2 << 30;
const VAR_TMP_BYTES: u64 = 1 << 30;
const HOME_BYTES: u64 = 64 << 20;
const RUN_BYTES: u64 = 16 << 20;
/// An emptied directory: read-only once everything is mounted.
const EMPTY_BYTES: u64 = 64 << 10;

/// A variable of greenlight's environment.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// The arguments to bubblewrap for `job`, before `--` and the command. `sized`: this
/// bubblewrap can bound its tmpfs mounts. `env` reads greenlight's environment (the
/// home directory and the toolchains' variables).
pub fn args(job: &Job, sized: bool, env: Env<'_>) -> Vec<OsString> {
    let mut a = Args::default();
    a.push(&["--unshare-all"]);
    if job.network {
        a.push(&["--share-net"]);
    }
    // No capabilities: as root, a capability would let the command remount the
    // read-only file system writable, or read files its owner cannot.
    a.push(&["--cap-drop", "ALL", "--die-with-parent", "--new-session"]);
    a.push(&["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]);
    a.tmpfs(sized, TMP_BYTES, "/tmp".as_ref());
    a.tmpfs(sized, VAR_TMP_BYTES, "/var/tmp".as_ref());
    // Sockets of the host's services (D-Bus, Docker, agents) live under /run: a
    // read-only mount does not stop a connect().
    a.tmpfs(sized, RUN_BYTES, "/run".as_ref());
    // Name resolution for installation steps, when resolv.conf points into /run.
    if job.network {
        if let Ok(target) = std::fs::canonicalize("/etc/resolv.conf") {
            if target.starts_with("/run") {
                a.bind_ro(&target);
            }
        }
    }
    let home = env("HOME")
        .map(PathBuf::from)
        .filter(|h| h.is_absolute() && h.parent().is_some() && h.is_dir());
    let mut hidden: Vec<PathBuf> = HOMES
        .iter()
        .map(PathBuf::from)
        .filter(|d| d.is_dir() && Some(d) != home.as_ref())
        .collect();
    for d in &hidden {
        a.tmpfs(sized, EMPTY_BYTES, d.as_os_str());
    }
    // The user's own home: an empty, writable tmpfs (tools write caches there).
    if let Some(home) = &home {
        a.tmpfs(sized, HOME_BYTES, home.as_os_str());
    }
    let within = |p: &Path| home.iter().chain(&hidden).any(|h| p.starts_with(h));
    let blank: &Path = job.blank.as_deref().unwrap_or("/dev/null".as_ref());
    let mut masked_dirs: Vec<PathBuf> = Vec::new();
    let mut mask = |a: &mut Args, p: &Path| {
        if p.is_dir() {
            a.tmpfs(sized, EMPTY_BYTES, p.as_os_str());
            masked_dirs.push(p.to_path_buf());
        } else if p.exists() {
            a.push(&["--ro-bind".as_ref(), blank.as_os_str(), p.as_os_str()]);
        }
    };
    for tool in TOOLCHAINS {
        for root in toolchain_roots(tool, home.as_deref(), env) {
            if within(&root) {
                for sub in tool.visible {
                    let p = if sub.is_empty() {
                        root.clone()
                    } else {
                        root.join(sub)
                    };
                    if p.exists() {
                        a.bind_ro(&p);
                    }
                }
            }
            for secret in tool.secrets {
                for p in expand(&root, secret) {
                    let shown = !within(&root)
                        || tool
                            .visible
                            .iter()
                            .any(|sub| sub.is_empty() || p.starts_with(root.join(sub)));
                    if shown {
                        mask(&mut a, &p);
                    }
                }
            }
        }
    }
    for secret in SYSTEM_SECRETS {
        for p in expand(Path::new("/"), secret) {
            mask(&mut a, &p);
        }
    }
    for v in &job.visible {
        if v.is_dir() {
            a.bind_ro(v);
        }
    }
    a.push(&[
        "--bind".as_ref(),
        job.writable.as_os_str(),
        job.writable.as_os_str(),
        "--chdir".as_ref(),
        job.cwd.as_os_str(),
    ]);
    // Last, once nothing more is mounted inside them.
    hidden.extend(masked_dirs);
    for d in &hidden {
        a.push(&["--remount-ro".as_ref(), d.as_os_str()]);
    }
    a.0
}

#[derive(Default)]
struct Args(Vec<OsString>);

impl Args {
    fn push<S: AsRef<OsStr> + ?Sized>(&mut self, items: &[&S]) {
        self.0
            .extend(items.iter().map(|s| s.as_ref().to_os_string()));
    }

    fn bind_ro(&mut self, p: &Path) {
        self.push(&["--ro-bind".as_ref(), p.as_os_str(), p.as_os_str()]);
    }

    /// A tmpfs at `dir`, of at most `bytes` when bubblewrap can say so.
    fn tmpfs(&mut self, sized: bool, bytes: u64, dir: &OsStr) {
        if sized {
            self.push(&["--size".as_ref(), OsStr::new(&bytes.to_string())]);
        }
        self.push(&["--tmpfs".as_ref(), dir]);
    }
}

/// Where `tool` is: the absolute entries of its variable when set, else its default
/// under the home directory.
fn toolchain_roots(tool: &Toolchain, home: Option<&Path>, env: Env<'_>) -> Vec<PathBuf> {
    if let Some(value) = tool.var.and_then(env).filter(|v| !v.is_empty()) {
        return std::env::split_paths(&value)
            .filter(|p| p.is_absolute() && p.parent().is_some())
            .collect();
    }
    match (tool.default, home) {
        (Some(d), Some(h)) => vec![h.join(d)],
        _ => Vec::new(),
    }
}

/// The existing paths `pattern` (relative to `base`; `*` stands for any part of one
/// component) names, at most 64.
fn expand(base: &Path, pattern: &str) -> Vec<PathBuf> {
    let mut found = vec![base.to_path_buf()];
    for part in Path::new(pattern).components() {
        let Component::Normal(part) = part else {
            continue;
        };
        let part = part.to_string_lossy();
        found = match part.split_once('*') {
            None => found
                .into_iter()
                .map(|p| p.join(&*part))
                .filter(|p| p.symlink_metadata().is_ok())
                .collect(),
            Some((prefix, suffix)) => found
                .iter()
                .filter_map(|p| std::fs::read_dir(p).ok())
                .flat_map(|d| d.flatten())
                .filter(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name.len() >= prefix.len() + suffix.len()
                        && name.starts_with(prefix)
                        && name.ends_with(suffix)
                })
                .map(|e| e.path())
                .take(64)
                .collect(),
        };
    }
    found.truncate(64);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    /// The path mounted by each `--ro-bind` (its destination).
    fn bound(args: &[String]) -> Vec<&str> {
        args.windows(3)
            .filter(|w| w[0] == "--ro-bind")
            .map(|w| w[2].as_str())
            .collect()
    }

    #[test]
    fn the_tables_are_sorted() {
        let defaults: Vec<&str> = TOOLCHAINS.iter().filter_map(|t| t.default).collect();
        let mut sorted = defaults.clone();
        sorted.sort();
        assert_eq!(defaults, sorted);
        let mut secrets = SYSTEM_SECRETS.to_vec();
        secrets.sort();
        assert_eq!(secrets, SYSTEM_SECRETS);
    }

    #[test]
    fn the_home_shows_toolchains_but_not_their_configuration() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        for d in [".cargo/bin", ".cargo/registry", ".pyenv/versions/3.12/bin"] {
            std::fs::create_dir_all(h.join(d)).unwrap();
        }
        for f in [
            ".cargo/credentials.toml",
            ".cargo/config.toml",
            ".pyenv/versions/3.12/pip.conf",
            ".npmrc",
        ] {
            std::fs::write(h.join(f), "token").unwrap();
        }
        let job = Job::new("true", h, h);
        let home_var = h.as_os_str().to_os_string();
        let env = move |k: &str| (k == "HOME").then(|| home_var.clone());
        let args = words(&args(&job, true, &env));
        let binds = bound(&args);
        let at = |p: &str| h.join(p).display().to_string();
        assert!(binds.contains(&at(".cargo/bin").as_str()), "{args:?}");
        assert!(binds.contains(&at(".cargo/registry").as_str()));
        assert!(binds.contains(&at(".pyenv/versions").as_str()));
        assert!(!binds.contains(&at(".cargo").as_str()));
        // Blanked: inside a visible part. Not mounted at all: outside every visible part.
        assert!(binds.contains(&at(".pyenv/versions/3.12/pip.conf").as_str()));
        assert!(!binds.contains(&at(".cargo/credentials.toml").as_str()));
        assert!(!args.iter().any(|a| a.ends_with(".npmrc")));
    }

    #[test]
    fn a_toolchain_outside_the_home_has_its_credentials_blanked() {
        let cargo = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(cargo.path().join("bin")).unwrap();
        std::fs::write(cargo.path().join("credentials.toml"), "token").unwrap();
        let job = Job::new("true", cargo.path(), cargo.path());
        let cargo_home = cargo.path().as_os_str().to_os_string();
        let env = move |k: &str| (k == "CARGO_HOME").then(|| cargo_home.clone());
        let args = words(&args(&job, false, &env));
        let credentials = cargo.path().join("credentials.toml").display().to_string();
        assert!(bound(&args).contains(&credentials.as_str()), "{args:?}");
    }
}
