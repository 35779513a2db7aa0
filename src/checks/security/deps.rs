//! What the dependency-hygiene checks share: which manifests describe dependencies the
//! project installs, which lock files cover them, and how a declared version
//! requirement reads (pinned, bounded, open, unconstrained, by URL).

use std::str::FromStr;

use crate::analyze::catalog::Ecosystem;
use crate::analyze::manifest::{DepKind, Dependency, LockFile, Manifest};
use crate::checks::Context;
use crate::repo::FileKind;

/// Manifests whose dependencies the project installs: not under tests, docs, fixtures
/// or vendored code, with at least one dependency of its own (a Cargo workspace root
/// that only declares `[workspace.dependencies]` has none).
pub(crate) fn in_use<'a>(cx: &'a Context<'_>) -> Vec<&'a Manifest> {
    cx.facts
        .manifests
        .iter()
        .filter(|m| {
            !cx.inventory.file(&m.path).is_some_and(|f| {
                matches!(
                    f.kind,
                    FileKind::Test | FileKind::Fixture | FileKind::Vendored
                )
            }) && !for_docs(&m.path)
        })
        .filter(|m| {
            m.dependencies
                .iter()
                .any(|d| !d.inherited && !local(m.ecosystem, &d.spec))
        })
        .collect()
}

/// True for a manifest that builds documentation (`docs/requirements.txt`,
/// `requirements-docs.txt`): requirements files are text, so the file kind does not
/// tell.
fn for_docs(path: &str) -> bool {
    path.split('/').any(|part| {
        let p = part.to_ascii_lowercase();
        p == "docs"
            || p == "doc"
            || p.starts_with("requirements-doc")
            || p.starts_with("requirements_doc")
    })
}

/// True when `dir` is `ancestor` or lies beneath it (`""` is the root).
pub(crate) fn within(dir: &str, ancestor: &str) -> bool {
    ancestor.is_empty()
        || dir == ancestor
        || dir
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The lock files that cover a manifest: those of its ecosystem in the nearest
/// directory at or above it that has any (workspaces lock at their root). Go reads
/// go.sum beside go.mod only. A pinned requirements file does not cover itself.
pub(crate) fn covering<'a>(cx: &'a Context<'_>, m: &Manifest) -> Vec<&'a LockFile> {
    let candidates: Vec<&LockFile> = cx
        .facts
        .lockfiles
        .iter()
        .filter(|l| l.ecosystem == m.ecosystem && l.path != m.path)
        .filter(|l| {
            if m.ecosystem == Ecosystem::Go {
                l.dir() == m.dir()
            } else {
                within(m.dir(), l.dir())
            }
        })
        .collect();
    let deepest = candidates.iter().map(|l| l.dir().len()).max();
    candidates
        .into_iter()
        .filter(|l| Some(l.dir().len()) == deepest)
        .collect()
}

/// True when the manifest is itself a lock (a requirements file pinning everything).
pub(crate) fn self_locked(cx: &Context<'_>, m: &Manifest) -> bool {
    cx.facts.lockfiles.iter().any(|l| l.path == m.path)
}

/// True when a lock file is generated from this manifest, so every direct dependency
/// must appear in it: Cargo.lock from Cargo.toml, npm locks from package.json, go.sum
/// from go.mod, Pipfile.lock from Pipfile, poetry/uv/pdm locks from pyproject.toml,
/// and a pinned `X.txt` compiled from `X.in` beside it.
pub(crate) fn generated_from(lock: &LockFile, m: &Manifest) -> bool {
    let lock_name = lock.path.rsplit('/').next().unwrap_or(&lock.path);
    let name = m.path.rsplit('/').next().unwrap_or(&m.path);
    match m.ecosystem {
        Ecosystem::Rust | Ecosystem::Npm | Ecosystem::Go => true,
        Ecosystem::Python => match (name, lock_name) {
            ("Pipfile", "Pipfile.lock") => true,
            ("pyproject.toml", "poetry.lock" | "uv.lock" | "pdm.lock") => true,
            (n, l) if n.ends_with(".in") => {
                lock.dir() == m.dir() && l.strip_suffix(".txt") == n.strip_suffix(".in")
            }
            _ => false,
        },
    }
}

/// Dependencies of a manifest that a lock generated from it must contain.
pub(crate) fn locked_direct<'a>(lock: &LockFile, m: &'a Manifest) -> Vec<&'a Dependency> {
    let lock_name = lock.path.rsplit('/').next().unwrap_or(&lock.path);
    let own = m.name.as_deref().map(|n| m.ecosystem.normalize(n));
    m.dependencies
        .iter()
        .filter(|d| !d.inherited && !local(m.ecosystem, &d.spec))
        .filter(|d| own.as_deref() != Some(d.normalized.as_str()))
        .filter(|d| match (m.ecosystem, d.kind) {
            // Peer and optional dependencies are not always installed.
            (Ecosystem::Npm, DepKind::Optional) => false,
            // Build requirements are installed in an isolated build environment.
            (Ecosystem::Python, DepKind::Build) => false,
            // pdm locks only the groups asked for.
            (Ecosystem::Python, DepKind::Optional) => lock_name != "pdm.lock",
            _ => true,
        })
        .collect()
}

/// A dependency given by path, workspace member or link: nothing to lock or pin.
pub(crate) fn local(eco: Ecosystem, spec: &str) -> bool {
    match eco {
        Ecosystem::Rust => spec == "path" || spec == "workspace",
        Ecosystem::Npm => ["file:", "link:", "workspace:", "portal:"]
            .iter()
            .any(|p| spec.starts_with(p)),
        Ecosystem::Python => spec == "path" || spec.starts_with("@ file:"),
        Ecosystem::Go => false,
    }
}

/// Whether a locked version satisfies a declared requirement: `Some(true/false)`
/// when the requirement and version could be read (semver for Cargo and npm, PEP 440
/// for Python, exact for Go), `None` when they could not.
pub(crate) fn satisfies(eco: Ecosystem, spec: &str, version: &str) -> Option<bool> {
    let spec = spec.trim();
    if spec.is_empty() || version.is_empty() {
        return None;
    }
    match eco {
        Ecosystem::Rust => {
            let req = semver::VersionReq::parse(spec).ok()?;
            let v = semver::Version::parse(version).ok()?;
            Some(req.matches(&v))
        }
        Ecosystem::Npm => {
            let v = semver::Version::parse(version.trim_start_matches('v')).ok()?;
            let alternatives = npm_range(spec)?;
            Some(alternatives.iter().any(|r| r.matches(&v)))
        }
        Ecosystem::Python => {
            let req = pep440_rs::VersionSpecifiers::from_str(spec).ok()?;
            let v = pep440_rs::Version::from_str(version).ok()?;
            Some(req.contains(&v))
        }
        Ecosystem::Go => Some(spec == version),
    }
}

/// An npm range as semver requirements, one per `||` alternative: comparators
/// separated by spaces become comma-separated, `a - b` becomes `>=a, <=b`. `None`
/// for what is not a range (tags, URLs, aliases).
fn npm_range(spec: &str) -> Option<Vec<semver::VersionReq>> {
    if spec.contains([':', '/', '#'])
        || spec
            .chars()
            .any(|c| c.is_ascii_alphabetic() && !matches!(c, 'x' | 'X'))
    {
        return None;
    }
    spec.split("||")
        .map(|alt| {
            let alt = alt.trim();
            let text = match alt.split_once(" - ") {
                Some((lo, hi)) => format!(">={}, <={}", lo.trim(), hi.trim()),
                None => {
                    // `>= 1.2` → `>=1.2`, then one comparator per word.
                    let mut joined = String::new();
                    for w in alt.split_whitespace() {
                        if !joined.is_empty() && !joined.ends_with(['<', '>', '=', '~', '^']) {
                            joined.push_str(", ");
                        }
                        joined.push_str(w);
                    }
                    if joined.is_empty() {
                        "*".to_string()
                    } else {
                        joined
                    }
                }
            };
            semver::VersionReq::parse(&text).ok()
        })
        .collect()
}

/// How tightly a declared requirement fixes what gets installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pin {
    /// One version (`==1.2.3`, `=1.2.3`, a commit, a hashed URL) or a local path.
    Exact,
    /// A range with an upper bound (`^1.2`, `~=1.2`, `>=1,<2`, Cargo's `1.2`).
    Bounded,
    /// A lower bound only (`>=1.2`, `>1`).
    Open,
    /// Anything goes: no requirement, `*`, `latest` or another dist-tag.
    Unconstrained,
    /// A VCS reference that follows a branch.
    VcsBranch,
    /// A URL without a hash.
    Url,
}

impl Pin {
    /// Short wording for findings.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Pin::Exact => "pinned",
            Pin::Bounded => "bounded range",
            Pin::Open => "no upper bound",
            Pin::Unconstrained => "no version constraint",
            Pin::VcsBranch => "VCS reference without a commit",
            Pin::Url => "URL without a hash",
        }
    }
}

/// Reads a requirement as written in a manifest of `eco`.
pub(crate) fn pin_of(eco: Ecosystem, spec: &str) -> Pin {
    let s = spec.trim();
    if local(eco, s) {
        return Pin::Exact;
    }
    let lower = s.to_ascii_lowercase();
    if s.is_empty() || s == "*" || lower == "latest" || lower == "x" {
        return Pin::Unconstrained;
    }
    match eco {
        Ecosystem::Go => Pin::Exact,
        Ecosystem::Rust => {
            if let Some(how) = s.strip_prefix("git") {
                return if how.starts_with(" rev=") || how.starts_with(" tag=") {
                    Pin::Exact
                } else {
                    Pin::VcsBranch
                };
            }
            range_pin(s, '=')
        }
        Ecosystem::Npm => {
            let vcs = lower.starts_with("git")
                || lower.starts_with("github:")
                || lower.starts_with("gitlab:")
                || lower.starts_with("bitbucket:")
                || (s.contains('/') && !s.contains(':') && !s.starts_with('@'));
            if vcs {
                let commit = s.rsplit_once('#').is_some_and(|(_, r)| {
                    (7..=40).contains(&r.len()) && r.chars().all(|c| c.is_ascii_hexdigit())
                });
                return if commit { Pin::Exact } else { Pin::VcsBranch };
            }
            if lower.starts_with("http://") || lower.starts_with("https://") {
                return Pin::Url;
            }
            if semver::Version::parse(s.trim_start_matches('=').trim_start_matches('v')).is_ok() {
                return Pin::Exact;
            }
            if s.starts_with("npm:") {
                return Pin::Bounded;
            }
            if s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && s.chars().any(|c| c.is_ascii_alphabetic())
            {
                // A dist-tag (`next`, `beta`): whatever it points at today.
                return Pin::Unconstrained;
            }
            if s.split("||")
                .any(|alt| range_pin(alt.trim(), 'v') == Pin::Open)
            {
                return Pin::Open;
            }
            range_pin(s, 'v')
        }
        Ecosystem::Python => {
            if let Some(url) = s.strip_prefix('@') {
                let url = url.trim();
                return if crate::analyze::manifest::python_url_pinned(url) {
                    Pin::Exact
                } else if url.contains("git+") || url.contains("hg+") {
                    Pin::VcsBranch
                } else {
                    Pin::Url
                };
            }
            if s == "git" {
                return Pin::VcsBranch;
            }
            if (s.starts_with("==") || s.starts_with("===")) && !s.contains([',', '*']) {
                return Pin::Exact;
            }
            range_pin(s, '=')
        }
    }
}

/// Bounded when some comparator caps the version (`<`, `<=`, `^`, `~`, `~=`, `==x.*`,
/// a bare version in Cargo/npm); open when only `>`/`>=`/`!=` comparators remain.
fn range_pin(s: &str, exact_prefix: char) -> Pin {
    let parts: Vec<&str> = s
        .split([',', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return Pin::Unconstrained;
    }
    let exact = parts.len() == 1
        && parts.first().is_some_and(|p| {
            let v = p.trim_start_matches('=').trim_start_matches(exact_prefix);
            p.starts_with('=')
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        });
    if exact {
        return Pin::Exact;
    }
    let caps = parts.iter().any(|p| {
        p.starts_with('<')
            || p.starts_with('^')
            || p.starts_with('~')
            || p.starts_with("==")
            || p.starts_with(|c: char| c.is_ascii_digit())
            || (p.starts_with('=') && !p.starts_with("=>"))
    });
    if caps {
        return Pin::Bounded;
    }
    if parts
        .iter()
        .all(|p| p.starts_with('>') || p.starts_with("!=") || *p == "*")
    {
        return if parts.iter().all(|p| *p == "*") {
            Pin::Unconstrained
        } else {
            Pin::Open
        };
    }
    Pin::Bounded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_requirements_by_ecosystem() {
        use Ecosystem::*;
        let cases = [
            (Python, "", Pin::Unconstrained),
            (Python, ">=2.31", Pin::Open),
            (Python, ">=2,<3", Pin::Bounded),
            (Python, "~=2.31", Pin::Bounded),
            (Python, "==2.31.0", Pin::Exact),
            (Python, "==2.*", Pin::Bounded),
            (Python, "^1.2", Pin::Bounded),
            (Python, "*", Pin::Unconstrained),
            (Python, "@ git+https://github.com/o/r.git", Pin::VcsBranch),
            (
                Python,
                "@ git+https://github.com/o/r.git@4f3c2a1b",
                Pin::Exact,
            ),
            (Python, "@ https://example.com/r-1.0.tar.gz", Pin::Url),
            (Rust, "1.0", Pin::Bounded),
            (Rust, "=1.0.3", Pin::Exact),
            (Rust, "*", Pin::Unconstrained),
            (Rust, ">=0.4", Pin::Open),
            (Rust, "git", Pin::VcsBranch),
            (Rust, "git branch=main", Pin::VcsBranch),
            (Rust, "git rev=4f3c2a1", Pin::Exact),
            (Rust, "path", Pin::Exact),
            (Npm, "^4.18.0", Pin::Bounded),
            (Npm, "4.18.2", Pin::Exact),
            (Npm, "4.18", Pin::Bounded),
            (Npm, "latest", Pin::Unconstrained),
            (Npm, "next", Pin::Unconstrained),
            (Npm, ">=1.0.0", Pin::Open),
            (Npm, ">=1.0.0 <2", Pin::Bounded),
            (Npm, "github:o/r", Pin::VcsBranch),
            (Npm, "git+https://github.com/o/r.git#4f3c2a1b", Pin::Exact),
            (Npm, "o/r", Pin::VcsBranch),
            (Npm, "https://example.com/r.tgz", Pin::Url),
            (Npm, "workspace:*", Pin::Exact),
            (Go, "v1.9.1", Pin::Exact),
        ];
        for (eco, spec, want) in cases {
            assert_eq!(pin_of(eco, spec), want, "{eco:?} {spec:?}");
        }
    }

    #[test]
    fn checks_locked_versions_against_requirements() {
        use Ecosystem::*;
        assert_eq!(satisfies(Rust, "1.0", "1.0.86"), Some(true));
        assert_eq!(satisfies(Rust, "0.4", "0.5.0"), Some(false));
        assert_eq!(satisfies(Npm, "^4.18.0", "4.18.2"), Some(true));
        assert_eq!(satisfies(Npm, ">=1.2.0 <2.0.0", "2.0.1"), Some(false));
        assert_eq!(satisfies(Npm, "1.x || 3.x", "3.4.0"), Some(true));
        assert_eq!(satisfies(Npm, "1.0.0 - 1.5.0", "1.6.0"), Some(false));
        assert_eq!(satisfies(Npm, "latest", "1.0.0"), None);
        assert_eq!(satisfies(Python, ">=2.31,<3", "2.32.3"), Some(true));
        assert_eq!(satisfies(Python, "~=1.4", "2.0"), Some(false));
        assert_eq!(satisfies(Python, "^1.2", "1.3"), None);
        assert_eq!(satisfies(Go, "v1.9.1", "v1.9.1"), Some(true));
        assert_eq!(satisfies(Rust, "git", "0.1.0"), None);
    }

    #[test]
    fn directories_nest() {
        assert!(within("a/b", ""));
        assert!(within("a/b", "a"));
        assert!(!within("ab", "a"));
    }
}
