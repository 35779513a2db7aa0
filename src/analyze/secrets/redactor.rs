//! The redaction stage: one [`Redactor`] per audit, built from every secret value the
//! scan found (the tree and, with `--history`, every historical blob). It masks each
//! occurrence of any of those values anywhere in a string — a snippet, a message, a
//! test's output, a file name — plus whatever the catalog's rules find in the string
//! itself, plus the generic fallback of [`crate::model::redact`]. Masking keeps the
//! first four and last two characters of a secret and nothing else.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::model::{Secret, mask, redact};

/// Shortest value masked wherever it appears: shorter ones would mask ordinary words.
const MIN_KNOWN: usize = 6;

/// Masks every known secret value and every secret the catalog recognises.
#[derive(Default)]
pub struct Redactor {
    /// Every known value (and each line of a multi-line one), as found.
    values: Vec<String>,
    /// Matches any of `patterns`, longest first.
    known: Option<AhoCorasick>,
    /// What each automaton pattern is replaced with.
    masks: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} known values)", self.values.len())
    }
}

impl Redactor {
    /// A redactor that knows `secrets`.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Redactor {
        let mut values: Vec<String> = Vec::new();
        for s in secrets {
            let value = s.expose();
            // A multi-line secret (a PEM body) appears line by line in any output.
            let parts = std::iter::once(value.trim()).chain(value.lines().map(str::trim));
            for part in parts {
                if part.chars().count() >= MIN_KNOWN && !values.iter().any(|v| v == part) {
                    values.push(part.to_string());
                }
            }
        }
        let mut r = Redactor {
            values,
            known: None,
            masks: Vec::new(),
        };
        r.build(|v| vec![(v.to_string(), mask(v))]);
        r
    }

    /// The same redactor, also matching each value as each of `encodings` writes it
    /// (escaped for JSON or Markdown), masked in that encoding.
    pub fn with_encodings(&self, encodings: &[&dyn Fn(&str) -> String]) -> Redactor {
        let mut r = Redactor {
            values: self.values.clone(),
            known: None,
            masks: Vec::new(),
        };
        r.build(|v| {
            let mut forms = vec![(v.to_string(), mask(v))];
            for encode in encodings {
                let encoded = encode(v);
                if forms.iter().all(|(f, _)| *f != encoded) {
                    forms.push((encoded, encode(&mask(v))));
                }
            }
            forms
        });
        r
    }

    /// Compiles the automaton over each value's forms: (text matched, replacement).
    fn build(&mut self, forms: impl Fn(&str) -> Vec<(String, String)>) {
        let mut patterns: Vec<String> = Vec::new();
        let mut masks: Vec<String> = Vec::new();
        for v in &self.values {
            for (form, masked) in forms(v) {
                patterns.push(form);
                masks.push(masked);
            }
        }
        self.known = if patterns.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .ok()
        };
        self.masks = masks;
    }

    /// How many distinct values (and lines of values) it knows.
    pub fn known_values(&self) -> usize {
        self.values.len()
    }

    /// `text` with every secret masked: first the generic fallback (URL passwords,
    /// values of secret-named keys, token shapes), then every occurrence of a known
    /// value and every secret the catalog's rules find, each replaced by its masked
    /// form. Masking happens on the whole string: cut it afterwards, never before.
    pub fn redact(&self, text: &str) -> String {
        self.mask(&redact(text), true)
    }

    /// `text` with every occurrence of a known value masked, in any of the encodings
    /// the redactor was built with; nothing else is touched. For a whole rendered
    /// report, where the catalog's keyword rules would read the format's own keys.
    pub fn redact_known(&self, text: &str) -> String {
        self.mask(text, false)
    }

    fn mask(&self, text: &str, catalog: bool) -> String {
        let mut spans: Vec<(usize, usize, Option<usize>)> = Vec::new();
        if let Some(ac) = &self.known {
            for m in ac.find_iter(text) {
                spans.push((m.start(), m.end(), Some(m.pattern().as_usize())));
            }
        }
        if catalog {
            for (start, end) in super::spans(text) {
                spans.push((start, end, None));
            }
        }
        if spans.is_empty() {
            return text.to_string();
        }
        spans.sort_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
        let mut out = String::with_capacity(text.len());
        let mut at = 0usize;
        let mut i = 0usize;
        while let Some(&(start, mut end, pattern)) = spans.get(i) {
            i += 1;
            if start < at {
                continue;
            }
            // Overlapping spans are masked as one.
            let mut merged = false;
            while let Some(&(s2, e2, _)) = spans.get(i) {
                if s2 >= end {
                    break;
                }
                end = end.max(e2);
                merged = true;
                i += 1;
            }
            let (Some(before), Some(secret)) = (text.get(at..start), text.get(start..end)) else {
                continue;
            };
            out.push_str(before);
            match pattern.and_then(|p| self.masks.get(p)).filter(|_| !merged) {
                Some(m) => out.push_str(m),
                None => out.push_str(&mask(secret)),
            }
            at = end;
        }
        out.push_str(text.get(at..).unwrap_or(""));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "ghp_Q9x8W7v6U5t4S3r2P1o0N9m8L7k6J5i4H3g2";
    const B: &str = "Zk3PqR8sT2uV6wX1yA4bC7dE0fG5hJ9k";

    fn redactor() -> Redactor {
        Redactor::new(&[Secret::new(A), Secret::new(B)])
    }

    fn leaks(text: &str, secret: &str) -> bool {
        let chars: Vec<char> = secret.chars().collect();
        chars
            .windows(7)
            .any(|w| text.contains(&w.iter().collect::<String>()))
    }

    #[test]
    fn every_occurrence_of_a_known_value_is_masked() {
        let line = format!("x = \"{B}\"; y = \"{B}\" # again {B}");
        let out = redactor().redact(&line);
        assert!(!leaks(&out, B), "{out}");
        assert_eq!(out.matches("Zk3P…9k").count(), 3, "{out}");
    }

    #[test]
    fn two_secrets_on_one_line_are_both_masked() {
        let out = redactor().redact(&format!("a={A} b={B}"));
        assert!(!leaks(&out, A) && !leaks(&out, B), "{out}");
    }

    #[test]
    fn catalog_token_shapes_are_masked_without_being_known() {
        let token = "glpat-Ab3De6Gh9Jk2Mn5Pq8St";
        let out = Redactor::default().redact(&format!("clone with {token} now"));
        assert!(!leaks(&out, token), "{out}");
    }

    #[test]
    fn values_inside_other_text_and_file_names_are_masked() {
        let out = redactor().redact(&format!("config/{B}.json"));
        assert_eq!(out, "config/Zk3P…9k.json");
    }

    #[test]
    fn each_line_of_a_multi_line_secret_is_known() {
        let pem = "-----BEGIN KEY-----\nMIIEowIBAAKCAQEAx9y8z7w6v5u4t3s2\n-----END KEY-----";
        let r = Redactor::new(&[Secret::new(pem)]);
        let out = r.redact("body: MIIEowIBAAKCAQEAx9y8z7w6v5u4t3s2");
        assert!(!out.contains("AKCAQEA"), "{out}");
    }

    #[test]
    fn an_encoded_value_is_masked_in_its_encoding() {
        let quoted = "pa\"ss\\word-Xy7Qz9";
        let json = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
        let r = Redactor::new(&[Secret::new(quoted)]).with_encodings(&[&json]);
        let out = r.redact_known("\"snippet\": \"pa\\\"ss\\\\word-Xy7Qz9\"");
        assert!(!out.contains("word-Xy"), "{out}");
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        assert_eq!(redactor().redact("import requests"), "import requests");
        assert_eq!(
            Redactor::default().redact("the 80% coverage gate"),
            "the 80% coverage gate"
        );
    }
}
