//! Known vulnerabilities in the packages a repository installs, from a local copy of
//! the OSV database and from audit reports the user supplies. The audit itself never
//! goes online: [`update`] (the `advisories update` command) is what downloads.
//!
//! The files read here (the cache directory, the user's reports) are not the audited
//! repository's, so reading them directly is allowed.
#![allow(clippy::disallowed_methods)]

pub mod index;
pub mod installed;
pub mod osv;
pub mod reports;
pub mod update;
pub mod version;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::analyze::Facts;
use crate::analyze::catalog::Ecosystem;
use crate::model::Severity;
use crate::repo::Inventory;
pub use installed::{PackageVersion, installed_packages};

/// Where the database is and which reports to read.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The cache directory holding the index; `None`: no database.
    pub db: Option<PathBuf>,
    /// `--audit-report` files.
    pub reports: Vec<PathBuf>,
    /// The repository path as the user typed it, for the command that builds the
    /// database (`.` when unset).
    pub shown_root: Option<String>,
}

/// The cache directory: `$GREENLIGHT_CACHE_DIR`, else `$XDG_CACHE_HOME/greenlight/osv`,
/// else `~/.cache/greenlight/osv`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("GREENLIGHT_CACHE_DIR")
        .or_else(|| env("XDG_CACHE_HOME").map(|x| x.join("greenlight").join("osv")))
        .or_else(|| env("HOME").map(|h| h.join(".cache").join("greenlight").join("osv")))
}

/// One ecosystem's database as found at audit time.
#[derive(Debug, Clone)]
pub struct DbInfo {
    pub ecosystem: Ecosystem,
    pub meta: index::Meta,
}

/// One vulnerable package version.
#[derive(Debug, Clone)]
pub struct Hit {
    pub ecosystem: Ecosystem,
    pub package: String,
    /// The installed version; `None` when only a report's range is known.
    pub version: Option<String>,
    pub range: Option<String>,
    /// Where the repository installs it, if found.
    pub at: Option<(String, u32)>,
    /// Primary id first, then aliases, no repeats.
    pub ids: Vec<String>,
    pub summary: String,
    pub severity: Option<Severity>,
    pub fixed: Option<String>,
    /// "the OSV database" or the report it came from.
    pub sources: Vec<String>,
}

/// What the audit found, for the check to judge.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub packages: Vec<PackageVersion>,
    /// Ecosystems of the packages, and the databases present for them.
    pub ecosystems: Vec<Ecosystem>,
    pub databases: Vec<DbInfo>,
    pub reports: Vec<reports::Report>,
    pub hits: Vec<Hit>,
    /// Databases or reports that could not be read.
    pub errors: Vec<String>,
    pub shown_root: String,
    /// Unix time of the audit (for the database's age).
    pub now: u64,
}

impl Scan {
    /// Ecosystems in use that neither a database nor a report covers.
    pub fn uncovered(&self) -> Vec<Ecosystem> {
        self.ecosystems
            .iter()
            .copied()
            .filter(|e| {
                !self.databases.iter().any(|d| d.ecosystem == *e)
                    && !self.reports.iter().any(|r| r.ecosystem == *e)
            })
            .collect()
    }
}

/// Matches installed packages against the local database and merges in the reports.
pub fn scan(_inventory: &Inventory, facts: &Facts, options: &Options) -> Scan {
    let packages = installed_packages(facts);
    let mut ecosystems: Vec<Ecosystem> = packages.iter().map(|p| p.ecosystem).collect();
    ecosystems.extend(facts.manifests.iter().map(|m| m.ecosystem));
    ecosystems.sort_by_key(|e| index::osv_name(*e));
    ecosystems.dedup();
    let mut scan = Scan {
        ecosystems,
        shown_root: options.shown_root.clone().unwrap_or_else(|| ".".into()),
        now: index::now(),
        ..Scan::default()
    };
    if let Some(cache) = &options.db {
        match_database(cache, &packages, &mut scan);
    }
    for path in &options.reports {
        match reports::read(path) {
            Ok(r) => scan.reports.push(r),
            Err(e) => scan.errors.push(e),
        }
    }
    let reported: Vec<Hit> = scan
        .reports
        .iter()
        .flat_map(|r| r.entries.iter().map(move |e| (r, e)))
        .map(|(r, e)| {
            let key = index::key(e.ecosystem, &e.package);
            let at = packages
                .iter()
                .find(|p| {
                    p.ecosystem == e.ecosystem
                        && index::key(p.ecosystem, &p.name) == key
                        && e.version.as_ref().is_none_or(|v| *v == p.version)
                })
                .map(|p| (p.path.clone(), p.line))
                .or_else(|| declared_at(facts, e.ecosystem, &key));
            Hit {
                ecosystem: e.ecosystem,
                package: e.package.clone(),
                version: e.version.clone(),
                range: e.range.clone(),
                at,
                ids: e.ids.clone(),
                summary: e.summary.clone(),
                severity: e.severity,
                fixed: e.fixed.clone(),
                sources: vec![format!("{} report {}", r.tool, r.path)],
            }
        })
        .collect();
    for h in reported {
        merge(&mut scan.hits, h);
    }
    scan.packages = packages;
    scan
}

/// Where a manifest declares a package (for report entries that give no version).
fn declared_at(facts: &Facts, e: Ecosystem, key: &str) -> Option<(String, u32)> {
    facts
        .manifests
        .iter()
        .filter(|m| m.ecosystem == e)
        .find_map(|m| {
            m.dependencies
                .iter()
                .find(|d| index::key(e, &d.name) == key)
                .map(|d| (m.path.clone(), d.line))
        })
}

fn match_database(cache: &Path, packages: &[PackageVersion], scan: &mut Scan) {
    for &e in &scan.ecosystems.clone() {
        let Some(meta) = index::meta(cache, e) else {
            continue;
        };
        let wanted: HashSet<String> = packages
            .iter()
            .filter(|p| p.ecosystem == e)
            .map(|p| index::key(e, &p.name))
            .collect();
        let records = match index::load(cache, &meta, &wanted) {
            Ok(r) => r,
            Err(err) => {
                scan.errors.push(format!("{err:#}"));
                continue;
            }
        };
        scan.databases.push(DbInfo { ecosystem: e, meta });
        for p in packages.iter().filter(|p| p.ecosystem == e) {
            let Some(list) = records.get(&index::key(e, &p.name)) else {
                continue;
            };
            for r in list {
                let Some(m) = version::matches(e, &p.version, &r.affected) else {
                    continue;
                };
                let mut ids = vec![r.id.clone()];
                ids.extend(r.aliases.iter().cloned());
                merge(
                    &mut scan.hits,
                    Hit {
                        ecosystem: e,
                        package: p.name.clone(),
                        version: Some(p.version.clone()),
                        range: None,
                        at: Some((p.path.clone(), p.line)),
                        ids,
                        summary: r.summary.clone(),
                        severity: r.severity,
                        fixed: m.fixed,
                        sources: vec!["the OSV database".into()],
                    },
                );
            }
        }
    }
}

/// Adds a hit, or folds it into one for the same package naming the same advisory
/// (by id or alias), keeping the fuller details of both.
fn merge(hits: &mut Vec<Hit>, new: Hit) {
    let key = index::key(new.ecosystem, &new.package);
    let same = hits.iter_mut().find(|h| {
        h.ecosystem == new.ecosystem
            && index::key(h.ecosystem, &h.package) == key
            && (h.version.is_none() || new.version.is_none() || h.version == new.version)
            && h.ids.iter().any(|i| new.ids.contains(i))
    });
    let Some(h) = same else {
        let mut new = new;
        let mut seen = HashSet::new();
        new.ids.retain(|i| seen.insert(i.clone()));
        hits.push(new);
        return;
    };
    for i in new.ids {
        if !h.ids.contains(&i) {
            h.ids.push(i);
        }
    }
    h.version = h.version.take().or(new.version);
    h.range = h.range.take().or(new.range);
    h.at = h.at.take().or(new.at);
    h.fixed = h.fixed.take().or(new.fixed);
    if h.summary.is_empty() {
        h.summary = new.summary;
    }
    h.severity = match (h.severity, new.severity) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    for s in new.sources {
        if !h.sources.contains(&s) {
            h.sources.push(s);
        }
    }
}

/// Ecosystems a repository's manifests and lock files use, for `advisories update`.
pub fn ecosystems_in(facts: &Facts) -> Vec<Ecosystem> {
    let mut out: Vec<Ecosystem> = facts
        .manifests
        .iter()
        .map(|m| m.ecosystem)
        .chain(facts.lockfiles.iter().map(|l| l.ecosystem))
        .collect();
    out.sort_by_key(|e| index::osv_name(*e));
    out.dedup();
    out
}

/// An ecosystem by its OSV or command-line name.
pub fn parse_ecosystem(name: &str) -> Option<Ecosystem> {
    match name.to_ascii_lowercase().as_str() {
        "pypi" | "python" => Some(Ecosystem::Python),
        "crates.io" | "crates" | "cargo" | "rust" => Some(Ecosystem::Rust),
        "npm" | "node" => Some(Ecosystem::Npm),
        "go" | "golang" => Some(Ecosystem::Go),
        _ => None,
    }
}
