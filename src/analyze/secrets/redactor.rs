//! The redaction stage: one [`Redactor`] per audit, built from every secret value the
//! scan found (the tree and, with `--history`, every historical blob). It masks each
//! occurrence of any of those values anywhere in a string — a snippet, a message, a
//! test's output, a file name — plus whatever the catalog's rules find in the string
//! itself, plus the generic fallback of [`crate::model::redact`]. Masking keeps the
//! first four and last two characters of a secret and nothing else.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::model::{Secret, is_word_boundary, mask, redact};

/// Shortest value masked wherever it appears: shorter ones would mask ordinary words.
const MIN_KNOWN: usize = 6;
/// Shortest piece of a value (its start or its end, left by a cut made before this
/// stage) masked as part of the value.
const MIN_FRAGMENT: usize = 7;

/// What an automaton pattern is.
#[derive(Debug, Clone)]
enum Form {
    /// The whole value, in some encoding; replaced by this masked form.
    Whole(String),
    /// The value's first characters, cut off by a shortening; the masked head.
    Head(String),
    /// The value's last characters, cut off at the start; the masked tail.
    Tail(String),
}

/// Masks every known secret value and every secret the catalog recognises.
#[derive(Default)]
pub struct Redactor {
    /// Every known value (and each line of a multi-line one), as found.
    values: Vec<String>,
    /// Matches any of the forms of any value.
    known: Option<AhoCorasick>,
    /// The form of each automaton pattern.
    forms: Vec<Form>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} known values)", self.values.len())
    }
}

/// Whether a line of a multi-line secret is PEM armour (`-----BEGIN … KEY-----`),
/// which is the same in every key and not secret.
fn is_armour(line: &str) -> bool {
    line.starts_with("-----") && line.ends_with("-----")
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
                if part.chars().count() >= MIN_KNOWN
                    && !is_armour(part)
                    && !values.iter().any(|v| v == part)
                {
                    values.push(part.to_string());
                }
            }
        }
        Redactor::with(values, &[])
    }

    /// The same redactor, also matching each value as each of `encodings` writes it
    /// (escaped for JSON or Markdown), masked in that encoding.
    pub fn with_encodings(&self, encodings: &[&dyn Fn(&str) -> String]) -> Redactor {
        Redactor::with(self.values.clone(), encodings)
    }

    /// Compiles the automaton: each value whole (raw and in each encoding), and its
    /// heads and tails of at least [`MIN_FRAGMENT`] characters.
    fn with(values: Vec<String>, encodings: &[&dyn Fn(&str) -> String]) -> Redactor {
        let mut patterns: Vec<String> = Vec::new();
        let mut forms: Vec<Form> = Vec::new();
        for v in &values {
            patterns.push(v.clone());
            forms.push(Form::Whole(mask(v)));
            for encode in encodings {
                let encoded = encode(v);
                if !patterns.contains(&encoded) {
                    patterns.push(encoded);
                    forms.push(Form::Whole(encode(&mask(v))));
                }
            }
            let chars: Vec<char> = v.chars().collect();
            let head: String = chars.iter().take(4).collect();
            let tail: String = chars.iter().skip(chars.len().saturating_sub(2)).collect();
            for n in MIN_FRAGMENT..chars.len() {
                patterns.push(chars.iter().take(n).collect());
                forms.push(Form::Head(format!("{head}…")));
                patterns.push(chars.iter().skip(chars.len() - n).collect());
                forms.push(Form::Tail(format!("…{tail}")));
            }
        }
        let known = if patterns.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .ok()
        };
        Redactor {
            values,
            known,
            forms,
        }
    }

    /// How many distinct values (and lines of values) it knows.
    pub fn known_values(&self) -> usize {
        self.values.len()
    }

    /// `text` with every secret masked: first the generic fallback (URL passwords,
    /// values of secret-named keys, token shapes), then every occurrence of a known
    /// value — whole, or its start or end left by an earlier cut — and every secret the
    /// catalog's rules find, each replaced by its masked form.
    pub fn redact(&self, text: &str) -> String {
        self.mask(&redact(text), true)
    }

    /// `text` with every occurrence of a known value masked, in any of the encodings
    /// the redactor was built with; nothing else is touched. For a whole rendered
    /// report, where the catalog's keyword rules would read the format's own keys.
    pub fn redact_known(&self, text: &str) -> String {
        self.mask(text, false)
    }

    /// The spans of known values in `text`, with their replacement: at each start the
    /// longest whole value, else the longest head that ends at a word boundary (a cut),
    /// else the longest tail that starts at one.
    fn known_spans(&self, text: &str) -> Vec<(usize, usize, String)> {
        let Some(ac) = &self.known else {
            return Vec::new();
        };
        let boundary_before = |at: usize| {
            text.get(..at)
                .and_then(|t| t.chars().next_back())
                .is_none_or(is_word_boundary)
        };
        let boundary_after = |at: usize| {
            text.get(at..)
                .and_then(|t| t.chars().next())
                .is_none_or(is_word_boundary)
        };
        // Best match per start: (rank, end, replacement); whole values rank first.
        let mut best: std::collections::BTreeMap<usize, (u8, usize, String)> =
            std::collections::BTreeMap::new();
        for m in ac.find_overlapping_iter(text) {
            let Some(form) = self.forms.get(m.pattern().as_usize()) else {
                continue;
            };
            let (rank, replacement) = match form {
                Form::Whole(r) => (0u8, r),
                Form::Head(r) if boundary_after(m.end()) => (1, r),
                Form::Tail(r) if boundary_before(m.start()) => (1, r),
                _ => continue,
            };
            let better = best.get(&m.start()).is_none_or(|(r, e, _)| {
                (rank, std::cmp::Reverse(m.end())) < (*r, std::cmp::Reverse(*e))
            });
            if better {
                best.insert(m.start(), (rank, m.end(), replacement.clone()));
            }
        }
        best.into_iter()
            .map(|(start, (_, end, replacement))| (start, end, replacement))
            .collect()
    }

    fn mask(&self, text: &str, catalog: bool) -> String {
        let mut spans: Vec<(usize, usize, Option<String>)> = self
            .known_spans(text)
            .into_iter()
            .map(|(s, e, r)| (s, e, Some(r)))
            .collect();
        if catalog {
            for (start, end) in super::spans(text) {
                spans.push((start, end, None));
            }
        }
        if spans.is_empty() {
            return text.to_string();
        }
        spans.sort_by_key(|(s, e, _)| (*s, std::cmp::Reverse(*e)));
        let mut out = String::with_capacity(text.len());
        let mut at = 0usize;
        let mut i = 0usize;
        while let Some((start, end, replacement)) = spans.get(i) {
            let (start, mut end) = (*start, *end);
            i += 1;
            if start < at {
                continue;
            }
            // Overlapping spans are masked as one.
            let mut merged = false;
            while let Some((s2, e2, _)) = spans.get(i) {
                if *s2 >= end {
                    break;
                }
                end = end.max(*e2);
                merged = true;
                i += 1;
            }
            let (Some(before), Some(secret)) = (text.get(at..start), text.get(start..end)) else {
                continue;
            };
            out.push_str(before);
            match replacement.as_ref().filter(|_| !merged) {
                Some(r) => out.push_str(r),
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
    fn the_start_or_end_of_a_value_left_by_a_cut_is_masked() {
        let cut = format!("token {}… and", &A[..20]);
        let out = redactor().redact(&cut);
        assert!(!leaks(&out, A), "{out}");
        assert_eq!(out, "token ghp_…… and");
        let out = redactor().redact(&format!("…{} tail", &B[10..]));
        assert!(!leaks(&out, B), "{out}");
    }

    #[test]
    fn a_head_inside_a_longer_word_is_not_a_cut() {
        let word = format!("{}XYZ", &B[..8]);
        assert_eq!(redactor().redact(&word), word);
    }

    #[test]
    fn pem_armour_is_not_a_secret() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx9y8z7w6v5u4t3s2\n-----END RSA PRIVATE KEY-----";
        let r = Redactor::new(&[Secret::new(pem)]);
        assert_eq!(
            r.redact("-----BEGIN RSA PRIVATE KEY-----"),
            "-----BEGIN RSA PRIVATE KEY-----"
        );
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
