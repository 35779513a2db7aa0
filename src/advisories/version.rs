//! Version ordering per ecosystem and OSV range evaluation: PEP 440 for PyPI, semver for
//! crates.io and npm, semver with a `v` prefix (pseudo-versions, `+incompatible`) for Go.

use std::cmp::Ordering;
use std::str::FromStr;

use crate::analyze::catalog::Ecosystem;

use super::osv::{Affected, Event};

/// A version parsed the way its ecosystem orders them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    Pep440(pep440_rs::Version),
    Semver(semver::Version),
}

impl Version {
    /// Parses `text` for `ecosystem`; `None` when it is not a version there.
    pub fn parse(ecosystem: Ecosystem, text: &str) -> Option<Version> {
        let t = text.trim();
        match ecosystem {
            Ecosystem::Python => pep440_rs::Version::from_str(t).ok().map(Version::Pep440),
            Ecosystem::Rust | Ecosystem::Npm => semver_lenient(t.trim_start_matches(['=', 'v'])),
            Ecosystem::Go => {
                let t = t.strip_prefix('v').unwrap_or(t);
                semver_lenient(t.strip_suffix("+incompatible").unwrap_or(t))
            }
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        match (self, other) {
            (Version::Pep440(a), Version::Pep440(b)) => Some(a.cmp(b)),
            // Build metadata does not order versions (semver §10).
            (Version::Semver(a), Version::Semver(b)) => Some(
                (a.major, a.minor, a.patch)
                    .cmp(&(b.major, b.minor, b.patch))
                    .then_with(|| a.pre.cmp(&b.pre)),
            ),
            _ => None,
        }
    }
}

/// Semver, accepting the `1.2` and `1` forms some advisories and lockfiles use.
fn semver_lenient(t: &str) -> Option<Version> {
    if let Ok(v) = semver::Version::parse(t) {
        return Some(Version::Semver(v));
    }
    let (core, rest) = match t.find(['-', '+']) {
        Some(i) => t.split_at(i),
        None => (t, ""),
    };
    let parts = core.split('.').count();
    let padded = match parts {
        1 => format!("{core}.0.0{rest}"),
        2 => format!("{core}.0{rest}"),
        _ => return None,
    };
    semver::Version::parse(&padded).ok().map(Version::Semver)
}

/// What matching an installed version against one advisory's affected entries found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The lowest fixed version above the installed one, as the advisory writes it.
    pub fixed: Option<String>,
}

/// Whether `installed` is affected by any of `affected` (ranges of type ECOSYSTEM and
/// SEMVER, and explicit `versions`); GIT ranges name commits, not versions, and are
/// skipped.
pub fn matches(ecosystem: Ecosystem, installed: &str, affected: &[Affected]) -> Option<Match> {
    let v = Version::parse(ecosystem, installed)?;
    let mut hit = false;
    let mut fixes: Vec<(Version, &str)> = Vec::new();
    for a in affected {
        let listed = a
            .versions
            .iter()
            .any(|x| x == installed || Version::parse(ecosystem, x).is_some_and(|x| x == v));
        let mut in_range = false;
        for r in &a.ranges {
            if !matches!(r.kind.as_str(), "ECOSYSTEM" | "SEMVER") {
                continue;
            }
            if range_contains(ecosystem, &v, &r.events) {
                in_range = true;
                fixes.extend(
                    r.events
                        .iter()
                        .filter_map(|e| e.fixed.as_deref())
                        .filter_map(|f| Version::parse(ecosystem, f).map(|p| (p, f)))
                        .filter(|(p, _)| p > &v),
                );
            }
        }
        hit |= listed || in_range;
    }
    if !hit {
        return None;
    }
    let fixed = fixes
        .into_iter()
        .min_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal))
        .map(|(_, f)| f.to_string());
    Some(Match { fixed })
}

/// OSV's range semantics: events in version order; `introduced` opens, `fixed` and
/// `limit` close at their version, `last_affected` closes after its version.
fn range_contains(ecosystem: Ecosystem, v: &Version, events: &[Event]) -> bool {
    // (version, order among equal versions, kind); "0" is below every version.
    let mut sorted: Vec<(Option<Version>, &Event)> = Vec::with_capacity(events.len());
    for e in events {
        let text = e.version();
        if text == "0" && e.introduced.is_some() {
            sorted.push((None, e));
            continue;
        }
        // An event this ecosystem cannot order would make the range meaningless.
        let Some(p) = Version::parse(ecosystem, text) else {
            return false;
        };
        sorted.push((Some(p), e));
    }
    sorted.sort_by(|a, b| match (&a.0, &b.0) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
    });
    let mut affected = false;
    for (at, e) in &sorted {
        let at_or_below = at.as_ref().is_none_or(|x| x <= v);
        if e.introduced.is_some() {
            if at_or_below {
                affected = true;
            }
        } else if e.last_affected.is_some() {
            if at.as_ref().is_some_and(|x| x < v) {
                affected = false;
            }
        } else if at_or_below {
            // fixed, limit
            affected = false;
        }
    }
    affected
}

#[cfg(test)]
mod tests {
    use super::super::osv::Range;
    use super::*;

    fn ev(kind: &str, v: &str) -> Event {
        let mut e = Event::default();
        let s = Some(v.to_string());
        match kind {
            "introduced" => e.introduced = s,
            "fixed" => e.fixed = s,
            "last_affected" => e.last_affected = s,
            _ => e.limit = s,
        }
        e
    }

    fn affected(events: &[(&str, &str)], versions: &[&str]) -> Vec<Affected> {
        vec![Affected {
            ranges: vec![Range {
                kind: "ECOSYSTEM".into(),
                events: events.iter().map(|(k, v)| ev(k, v)).collect(),
            }],
            versions: versions.iter().map(|v| v.to_string()).collect(),
        }]
    }

    #[test]
    fn pep440_orders_release_candidates_and_post_releases() {
        let a = affected(&[("introduced", "0"), ("fixed", "1.0")], &[]);
        let hit = matches(Ecosystem::Python, "1.0rc1", &a);
        assert_eq!(hit.and_then(|m| m.fixed).as_deref(), Some("1.0"));
        assert!(matches(Ecosystem::Python, "1.0", &a).is_none());
        assert!(matches(Ecosystem::Python, "1.0.post1", &a).is_none());
        let last = affected(&[("introduced", "0.5"), ("last_affected", "1.0")], &[]);
        assert!(matches(Ecosystem::Python, "1.0", &last).is_some());
        assert!(matches(Ecosystem::Python, "1.0.post1", &last).is_none());
        assert!(matches(Ecosystem::Python, "0.4", &last).is_none());
    }

    #[test]
    fn semver_prereleases_precede_their_release() {
        let a = affected(&[("introduced", "1.0.0-alpha.1"), ("fixed", "1.0.0")], &[]);
        assert!(matches(Ecosystem::Npm, "1.0.0-beta", &a).is_some());
        assert!(matches(Ecosystem::Npm, "1.0.0", &a).is_none());
        assert!(matches(Ecosystem::Npm, "0.9.9", &a).is_none());
        assert!(matches(Ecosystem::Rust, "1.0.0-rc.1", &a).is_some());
    }

    #[test]
    fn go_pseudo_versions_and_incompatible_compare_as_semver() {
        let a = affected(
            &[
                ("introduced", "0"),
                ("fixed", "0.0.0-20210101000000-abcdef"),
            ],
            &[],
        );
        assert!(matches(Ecosystem::Go, "v0.0.0-20200101120000-0123456789ab", &a).is_some());
        assert!(matches(Ecosystem::Go, "v0.0.0-20220101120000-0123456789ab", &a).is_none());
        let b = affected(&[("introduced", "0"), ("fixed", "2.1.0+incompatible")], &[]);
        assert!(matches(Ecosystem::Go, "v2.0.5+incompatible", &b).is_some());
        assert!(matches(Ecosystem::Go, "v2.1.0+incompatible", &b).is_none());
    }

    #[test]
    fn explicit_versions_match_without_ranges() {
        let a = affected(&[], &["2.0.1", "2.0.2"]);
        let hit = matches(Ecosystem::Rust, "2.0.2", &a);
        assert_eq!(hit, Some(Match { fixed: None }));
        assert!(matches(Ecosystem::Rust, "2.0.3", &a).is_none());
    }

    #[test]
    fn limit_closes_and_lowest_fix_above_wins() {
        let a = affected(
            &[
                ("introduced", "0"),
                ("fixed", "1.2.5"),
                ("introduced", "2.0.0"),
                ("fixed", "2.3.1"),
            ],
            &[],
        );
        let hit = matches(Ecosystem::Rust, "2.1.0", &a);
        assert_eq!(hit.and_then(|m| m.fixed).as_deref(), Some("2.3.1"));
        assert!(matches(Ecosystem::Rust, "1.5.0", &a).is_none());
        let l = affected(&[("introduced", "0"), ("limit", "3.0.0")], &[]);
        assert!(matches(Ecosystem::Npm, "2.9.9", &l).is_some());
        assert!(matches(Ecosystem::Npm, "3.0.0", &l).is_none());
        assert!(matches(Ecosystem::Npm, "not a version", &l).is_none());
    }
}
