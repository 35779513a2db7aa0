//! The package versions a repository installs, as far as its files pin them: every
//! package of its lock files (Cargo.lock, package-lock.json, yarn, pnpm, poetry, uv,
//! pdm, Pipfile.lock, go.sum, pinned requirements), then exact pins in manifests
//! (`==1.2.3`, `=1.2.3`, an exact npm version, go.mod requirements).

use std::collections::HashSet;

use crate::analyze::Facts;
use crate::analyze::catalog::Ecosystem;

/// One installed package version and where the repository says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageVersion {
    pub ecosystem: Ecosystem,
    /// As written.
    pub name: String,
    pub version: String,
    pub path: String,
    pub line: u32,
}

/// Every pinned or locked package version, lock files first, one entry per
/// (ecosystem, name, version).
pub fn installed_packages(facts: &Facts) -> Vec<PackageVersion> {
    let mut out = Vec::new();
    // The project's own packages (workspace members, local paths) are not
    // dependencies, even when a lock file lists them.
    let own: HashSet<(Ecosystem, String)> = facts
        .manifests
        .iter()
        .filter_map(|m| {
            m.name
                .as_ref()
                .map(|n| (m.ecosystem, m.ecosystem.normalize(n)))
        })
        .collect();
    for lock in &facts.lockfiles {
        for p in &lock.packages {
            if p.version.is_empty() || own.contains(&(lock.ecosystem, p.normalized.clone())) {
                continue;
            }
            out.push(PackageVersion {
                ecosystem: lock.ecosystem,
                name: p.name.clone(),
                version: p.version.clone(),
                path: lock.path.clone(),
                line: p.line,
            });
        }
    }
    for m in &facts.manifests {
        for d in &m.dependencies {
            if let Some(version) = exact_pin(m.ecosystem, &d.spec) {
                out.push(PackageVersion {
                    ecosystem: m.ecosystem,
                    name: d.name.clone(),
                    version,
                    path: m.path.clone(),
                    line: d.line,
                });
            }
        }
    }
    let mut seen = HashSet::new();
    out.retain(|p| {
        seen.insert((
            p.ecosystem,
            super::index::key(p.ecosystem, &p.name),
            p.version.clone(),
        ))
    });
    out
}

/// The version a requirement pins exactly, if it does.
fn exact_pin(e: Ecosystem, spec: &str) -> Option<String> {
    let s = spec.trim();
    let version = match e {
        Ecosystem::Python => s
            .strip_prefix("===")
            .or_else(|| s.strip_prefix("=="))
            .filter(|v| !v.contains(['*', ',', '<', '>', '!', '~', '=']))?,
        Ecosystem::Rust => s.strip_prefix('=')?,
        Ecosystem::Npm => s.strip_prefix('=').unwrap_or(s),
        Ecosystem::Go => s,
    };
    let v = version.trim();
    let plain = !v.is_empty() && !v.contains([' ', '^', '~', '*', '|', '<', '>', ',']);
    (plain && super::version::Version::parse(e, v).is_some()).then(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_pins_only() {
        assert_eq!(
            exact_pin(Ecosystem::Python, "==2.0.1").as_deref(),
            Some("2.0.1")
        );
        assert_eq!(exact_pin(Ecosystem::Python, ">=2.0"), None);
        assert_eq!(exact_pin(Ecosystem::Python, "==2.*"), None);
        assert_eq!(
            exact_pin(Ecosystem::Rust, "=1.2.3").as_deref(),
            Some("1.2.3")
        );
        assert_eq!(exact_pin(Ecosystem::Rust, "1.2.3"), None);
        assert_eq!(
            exact_pin(Ecosystem::Npm, "4.17.20").as_deref(),
            Some("4.17.20")
        );
        assert_eq!(exact_pin(Ecosystem::Npm, "^4.17.20"), None);
        assert_eq!(exact_pin(Ecosystem::Npm, "1.x"), None);
        assert_eq!(exact_pin(Ecosystem::Npm, "latest"), None);
        assert_eq!(
            exact_pin(Ecosystem::Go, "v0.0.0-20200101120000-0123456789ab").as_deref(),
            Some("v0.0.0-20200101120000-0123456789ab")
        );
    }
}
