//! The package versions a repository installs, as far as its files pin them: exact
//! pins in manifests (`==1.2.3`, `=1.2.3`, an exact npm version, go.mod requirements)
//! and the registry packages of `Cargo.lock`.

use std::collections::HashSet;

use crate::analyze::Facts;
use crate::analyze::catalog::Ecosystem;
use crate::repo::Inventory;

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
pub fn installed_packages(inventory: &Inventory, facts: &Facts) -> Vec<PackageVersion> {
    let mut out = Vec::new();
    for lock in &facts.lockfiles {
        if lock.ecosystem != Ecosystem::Rust || !lock.path.ends_with("Cargo.lock") {
            continue;
        }
        if let Some(text) = inventory.file(&lock.path).and_then(|f| f.text()) {
            out.extend(cargo_lock(&lock.path, text));
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

/// `[[package]]` entries of a Cargo.lock that come from a registry.
fn cargo_lock(path: &str, text: &str) -> Vec<PackageVersion> {
    let mut out = Vec::new();
    let mut current: Option<(String, u32, Option<String>, bool)> = None;
    let flush = |c: Option<(String, u32, Option<String>, bool)>, out: &mut Vec<_>| {
        if let Some((name, line, Some(version), true)) = c {
            out.push(PackageVersion {
                ecosystem: Ecosystem::Rust,
                name,
                version,
                path: path.to_string(),
                line,
            });
        }
    };
    for (i, l) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let t = l.trim();
        if t == "[[package]]" || t.starts_with('[') {
            flush(current.take(), &mut out);
            if t == "[[package]]" {
                current = Some((String::new(), n, None, false));
            }
            continue;
        }
        let Some(c) = current.as_mut() else { continue };
        let Some((k, v)) = t.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"');
        match k.trim() {
            "name" => {
                c.0 = v.to_string();
                c.1 = n;
            }
            "version" => c.2 = Some(v.to_string()),
            "source" => c.3 = v.starts_with("registry+") || v.starts_with("sparse+"),
            _ => {}
        }
    }
    flush(current.take(), &mut out);
    out
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

    #[test]
    fn cargo_lock_lists_registry_packages_with_their_name_line() {
        let text = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        let p = cargo_lock("Cargo.lock", text);
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str(), p[0].line),
            ("smallvec", "1.6.0", 8)
        );
    }
}
