//! The secret catalog (`catalog/secrets.toml`), parsed and compiled once: one regex per
//! rule, and one case-insensitive Aho-Corasick automaton over every rule's keywords, so
//! a file is matched against only the rules whose keywords it contains.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use serde::Deserialize;

use crate::model::Confidence;

const CATALOG: &str = include_str!("../catalog/secrets.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
enum RuleConfidence {
    High,
    #[default]
    Medium,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Anchor {
    /// The line where the secret starts.
    #[default]
    Secret,
    /// The line where the whole match starts (a PEM header).
    Match,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    title: String,
    keywords: Vec<String>,
    regex: String,
    entropy: Option<f64>,
    #[serde(default)]
    allowlist: Vec<String>,
    confidence: RuleConfidence,
    #[serde(default)]
    generic: bool,
    #[serde(default)]
    test_mode: bool,
    #[serde(default)]
    anchor: Anchor,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    secret: Vec<RawRule>,
}

/// One compiled secret rule.
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub keywords: Vec<String>,
    pub regex: Regex,
    /// Index of the capture group holding the secret, when named `secret`.
    pub secret_group: Option<usize>,
    pub entropy: Option<f64>,
    pub allowlist: Vec<Regex>,
    pub confidence: Confidence,
    pub generic: bool,
    pub test_mode: bool,
    pub anchor: Anchor,
}

/// Every rule, and the keyword prefilter over them.
#[derive(Debug)]
pub struct Rules {
    pub rules: Vec<Rule>,
    /// Matches any rule's keyword, ASCII case-insensitively.
    pub keywords: Option<AhoCorasick>,
    /// For each keyword pattern, the rule it belongs to.
    pub rule_of_keyword: Vec<usize>,
}

/// Leaks a catalog string: the catalog lives for the whole run, and `&'static str`
/// keeps [`super::SecretHit`] cheap to copy and compare.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn compile(text: &str) -> Result<Rules, String> {
    let raw: RawCatalog = toml::from_str(text).map_err(|e| format!("secrets.toml: {e}"))?;
    let mut rules = Vec::with_capacity(raw.secret.len());
    let mut patterns = Vec::new();
    let mut rule_of_keyword = Vec::new();
    for (index, r) in raw.secret.into_iter().enumerate() {
        let regex = Regex::new(&r.regex).map_err(|e| format!("secrets.toml rule {}: {e}", r.id))?;
        if regex.captures_len() < 2 {
            return Err(format!("secrets.toml rule {}: no capture group", r.id));
        }
        let secret_group = regex.capture_names().position(|n| n == Some("secret"));
        let allowlist = r
            .allowlist
            .iter()
            .map(|a| {
                Regex::new(a).map_err(|e| format!("secrets.toml rule {} allowlist: {e}", r.id))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if r.keywords.is_empty() {
            return Err(format!("secrets.toml rule {}: no keywords", r.id));
        }
        for k in &r.keywords {
            if k.to_ascii_lowercase() != *k {
                return Err(format!(
                    "secrets.toml rule {}: keyword {k} is not lower-case",
                    r.id
                ));
            }
            patterns.push(k.clone());
            rule_of_keyword.push(index);
        }
        rules.push(Rule {
            id: leak(r.id),
            title: leak(r.title),
            keywords: r.keywords,
            regex,
            secret_group,
            entropy: r.entropy,
            allowlist,
            confidence: match r.confidence {
                RuleConfidence::High => Confidence::High,
                RuleConfidence::Medium => Confidence::Medium,
            },
            generic: r.generic,
            test_mode: r.test_mode,
            anchor: r.anchor,
        });
    }
    let keywords = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(&patterns)
        .map_err(|e| format!("secrets.toml keywords: {e}"))?;
    Ok(Rules {
        rules,
        keywords: Some(keywords),
        rule_of_keyword,
    })
}

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    // A broken catalog is a defect caught by the tests below; at run time it means
    // no secret rules rather than a crash.
    compile(CATALOG).unwrap_or(Rules {
        rules: Vec::new(),
        keywords: None,
        rule_of_keyword: Vec::new(),
    })
});

/// The compiled catalog.
pub fn rules() -> &'static Rules {
    &RULES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_compiles_sorted_and_unique() {
        let rules = compile(CATALOG).unwrap();
        assert!(rules.rules.len() >= 40, "{} rules", rules.rules.len());
        let ids: Vec<&str> = rules.rules.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted, "rules must be sorted by id and unique");
        for r in &rules.rules {
            assert!(
                r.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                r.id
            );
        }
    }

    #[test]
    fn runtime_catalog_is_the_compiled_one() {
        assert_eq!(rules().rules.len(), compile(CATALOG).unwrap().rules.len());
        assert!(rules().keywords.is_some());
    }

    #[test]
    fn rejects_a_rule_without_capture_group() {
        let bad = "[[secret]]\nid='x'\ntitle='x'\nkeywords=['x']\nregex='x'\nconfidence='high'\n";
        assert!(compile(bad).unwrap_err().contains("no capture group"));
    }
}
