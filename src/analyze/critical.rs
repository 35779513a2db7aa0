//! Critical modules: where coverage matters most. The policy's `critical` globs when
//! given; otherwise the production modules the most other modules import, then the
//! largest.

use crate::analyze::Facts;
use crate::analyze::catalog::ArtifactKind;
use crate::config::Policy;
use crate::repo::Inventory;

/// How many modules are critical by default.
const DEFAULT_COUNT: usize = 4;
/// Most modules the policy's globs may name.
const MAX_FROM_POLICY: usize = 20;

/// A critical module and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CriticalModule {
    pub path: String,
    pub reason: String,
}

/// Directories whose code supports the project rather than being it.
const NOT_PRODUCT_DIRS: &[&str] = &[
    "doc",
    "docs",
    "documentation",
    "example",
    "examples",
    "sample",
    "samples",
    "script",
    "scripts",
    "bench",
    "benches",
    "benchmarks",
    "tools",
    "ci",
    "devscripts",
];

/// Files that configure, build or drive the project rather than being it.
const NOT_PRODUCT_FILES: &[&str] = &[
    "setup.py",
    "conftest.py",
    "noxfile.py",
    "tasks.py",
    "fabfile.py",
    "conf.py",
    "build.rs",
    "manage.py",
];

/// An `__init__.py` with at least this many lines of code is the package's own code,
/// not a list of re-exports.
const SUBSTANTIAL_INIT: usize = 50;

/// Critical modules, sized by lines of code.
pub fn critical_modules(
    inventory: &Inventory,
    facts: &Facts,
    policy: &Policy,
) -> Vec<CriticalModule> {
    critical_modules_by(inventory, facts, policy, &|f| {
        (f.lines.code, "lines of code")
    })
}

/// Critical modules, sized by `size` (statements, once coverage has counted them: a
/// large data table is many lines but few statements).
pub fn critical_modules_by(
    inventory: &Inventory,
    facts: &Facts,
    policy: &Policy,
    size: &dyn Fn(&crate::repo::RepoFile) -> (usize, &'static str),
) -> Vec<CriticalModule> {
    if !policy.critical.is_empty() {
        let mut b = globset::GlobSetBuilder::new();
        for g in &policy.critical {
            if let Ok(glob) = globset::Glob::new(g) {
                b.add(glob);
            }
        }
        let set = b.build().unwrap_or_else(|_| globset::GlobSet::empty());
        return inventory
            .sources()
            .filter(|f| set.is_match(&f.path))
            .take(MAX_FROM_POLICY)
            .map(|f| CriticalModule {
                path: f.path.clone(),
                reason: "named critical in the policy".into(),
            })
            .collect();
    }
    // Migrations are production code but not where behaviour lives.
    let migrations: Vec<&str> = facts
        .artifacts_of(ArtifactKind::Migrations)
        .flat_map(|a| {
            a.evidence
                .iter()
                .filter_map(|e| e.location().map(|l| l.path.as_str()))
        })
        .collect();
    let candidates: Vec<(usize, &crate::repo::RepoFile)> = inventory
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            f.kind == crate::repo::FileKind::Source
                && f.text().is_some()
                && f.lines.code > 0
                && !migrations.contains(&f.path.as_str())
                && !f.path.contains("/migrations/")
                && (!f.path.ends_with("__init__.py") || f.lines.code >= SUBSTANTIAL_INIT)
                && !NOT_PRODUCT_FILES.contains(&f.name())
                && !f
                    .path
                    .split('/')
                    .rev()
                    .skip(1)
                    .any(|d| NOT_PRODUCT_DIRS.contains(&d.to_ascii_lowercase().as_str()))
        })
        .collect();
    let mut out: Vec<CriticalModule> = Vec::new();
    // Most depended upon: imported by at least two other modules.
    let mut by_fan_in: Vec<(usize, &crate::repo::RepoFile)> = candidates
        .iter()
        .filter_map(|&(i, f)| {
            let n = facts.python.fan_in.get(&i).copied().unwrap_or(0);
            (n >= 2).then_some((n, f))
        })
        .collect();
    by_fan_in.sort_by(|a, b| b.0.cmp(&a.0).then(size(b.1).0.cmp(&size(a.1).0)));
    for (n, f) in by_fan_in.into_iter().take(DEFAULT_COUNT / 2) {
        out.push(CriticalModule {
            path: f.path.clone(),
            reason: format!("imported by {n} modules"),
        });
    }
    let mut by_size: Vec<&crate::repo::RepoFile> = candidates.iter().map(|(_, f)| *f).collect();
    by_size.sort_by(|a, b| size(b).0.cmp(&size(a).0).then(a.path.cmp(&b.path)));
    for f in by_size {
        if out.len() >= DEFAULT_COUNT {
            break;
        }
        if out.iter().any(|c| c.path == f.path) {
            continue;
        }
        let (n, unit) = size(f);
        out.push(CriticalModule {
            path: f.path.clone(),
            reason: format!("{n} {unit}, among the largest"),
        });
    }
    out
}
