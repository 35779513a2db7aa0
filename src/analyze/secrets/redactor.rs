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
/// stage) masked as part of the value, in characters.
const MIN_FRAGMENT: usize = 7;

/// What an automaton pattern is.
#[derive(Debug, Clone)]
enum Form {
    /// The whole value, in some encoding; replaced by this masked form.
    Whole(String),
    /// The first [`MIN_FRAGMENT`] characters of value `n`: where a piece of it that a
    /// cut left may start.
    Head(usize),
    /// The last [`MIN_FRAGMENT`] characters of value `n`: where a piece of it cut at
    /// its start may end.
    Tail(usize),
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

/// Bytes at the start of `text` that equal the start of `value`, in whole characters.
fn common_prefix(text: &str, value: &str) -> usize {
    text.chars()
        .zip(value.chars())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum()
}

/// Bytes at the end of `text` that equal the end of `value`, in whole characters.
fn common_suffix(text: &str, value: &str) -> usize {
    text.chars()
        .rev()
        .zip(value.chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum()
}

impl Redactor {
    /// A redactor that knows `secrets`.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Redactor {
        let mut values: Vec<String> = Vec::new();
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        for s in secrets {
            let value = s.expose();
            // A multi-line secret (a PEM body) appears line by line in any output, and
            // so does one whose lines are joined by `\n` escapes (a key in JSON or .env).
            let parts = std::iter::once(value.trim())
                .chain(value.lines().map(str::trim))
                .chain(value.split("\\n").map(str::trim));
            for part in parts {
                if part.chars().count() >= MIN_KNOWN
                    && !is_armour(part)
                    && seen.insert(part.to_string())
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

    /// Compiles the automaton: each value whole (raw and in each encoding), and the
    /// anchors of its heads and tails: a handful of patterns per value, whatever its
    /// length.
    fn with(values: Vec<String>, encodings: &[&dyn Fn(&str) -> String]) -> Redactor {
        let mut patterns: Vec<String> = Vec::new();
        let mut forms: Vec<Form> = Vec::new();
        for (index, v) in values.iter().enumerate() {
            let mut written = vec![v.clone()];
            patterns.push(v.clone());
            forms.push(Form::Whole(mask(v)));
            for encode in encodings {
                let encoded = encode(v);
                if !written.contains(&encoded) {
                    written.push(encoded.clone());
                    patterns.push(encoded);
                    forms.push(Form::Whole(encode(&mask(v))));
                }
            }
            // A value longer than a fragment can be cut: its first and last
            // characters anchor the search for what a cut left of it.
            let n = v.chars().count();
            if n > MIN_FRAGMENT {
                patterns.push(v.chars().take(MIN_FRAGMENT).collect());
                forms.push(Form::Head(index));
                patterns.push(v.chars().skip(n - MIN_FRAGMENT).collect());
                forms.push(Form::Tail(index));
            }
        }
        // The patterns are a few per value, so the automaton grows with the values'
        // total length; a non-contiguous NFA is the form with the widest limits, tried
        // when the default cannot be built.
        let known = if patterns.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .or_else(|_| {
                    AhoCorasickBuilder::new()
                        .match_kind(MatchKind::Standard)
                        .kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA))
                        .build(&patterns)
                })
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

    /// `text` with every secret masked: every occurrence of a known value — whole, or
    /// its start or end left by an earlier cut — and every secret the catalog's rules
    /// find, each replaced by its masked form; then the generic fallback (URL
    /// passwords, values of secret-named keys, token shapes) over what is left. Known
    /// values come first, so no partial masking hides the rest of one from them.
    pub fn redact(&self, text: &str) -> String {
        redact(&self.mask(text, true))
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
        // Best match per start: the longest, then a whole value before a piece.
        let mut best: std::collections::BTreeMap<usize, (u8, usize, String)> =
            std::collections::BTreeMap::new();
        let mut offer = |start: usize, end: usize, rank: u8, replacement: String| {
            let better = best.get(&start).is_none_or(|(r, e, _)| {
                (std::cmp::Reverse(end), rank) < (std::cmp::Reverse(*e), *r)
            });
            if better {
                best.insert(start, (rank, end, replacement));
            }
        };
        for m in ac.find_overlapping_iter(text) {
            let Some(form) = self.forms.get(m.pattern().as_usize()) else {
                continue;
            };
            match form {
                Form::Whole(r) => offer(m.start(), m.end(), 0, r.clone()),
                // A head: as much of the value as the text holds from here, kept when
                // a word ends there (a cut).
                Form::Head(i) => {
                    let Some(value) = self.values.get(*i) else {
                        continue;
                    };
                    let rest = text.get(m.start()..).unwrap_or("");
                    let len = common_prefix(rest, value);
                    // Where a word ends within the common part, the latest such place
                    // that still leaves a fragment (a cut, or the value's own separator).
                    let piece = rest.get(..len).unwrap_or("");
                    // (byte offset, characters before it), in one pass.
                    let end = piece
                        .char_indices()
                        .map(|(i, _)| i)
                        .chain(std::iter::once(len))
                        .enumerate()
                        .filter(|&(chars, i)| {
                            chars >= MIN_FRAGMENT && boundary_after(m.start() + i)
                        })
                        .map(|(_, i)| i)
                        .max();
                    if let Some(end) = end.filter(|_| len < value.len()) {
                        let head: String = value.chars().take(4).collect();
                        offer(m.start(), m.start() + end, 1, format!("{head}…"));
                    }
                }
                // A tail: as much of the value as the text holds up to here, kept when
                // a word starts there.
                Form::Tail(i) => {
                    let Some(value) = self.values.get(*i) else {
                        continue;
                    };
                    let before = text.get(..m.end()).unwrap_or("");
                    let len = common_suffix(before, value);
                    let from = m.end() - len;
                    // Where a word starts within the common part, the earliest such
                    // place that still leaves a fragment.
                    let piece = text.get(from..m.end()).unwrap_or("");
                    let total = piece.chars().count();
                    let start = piece
                        .char_indices()
                        .enumerate()
                        .filter(|&(before, (i, _))| {
                            total - before >= MIN_FRAGMENT && boundary_before(from + i)
                        })
                        .map(|(_, (i, _))| i)
                        .next();
                    if let Some(start) = start.filter(|_| len < value.len()) {
                        let n = value.chars().count();
                        let tail: String = value.chars().skip(n.saturating_sub(2)).collect();
                        offer(from + start, m.end(), 1, format!("…{tail}"));
                    }
                }
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
    fn a_long_value_cut_anywhere_is_masked_and_costs_a_few_patterns() {
        let long: String = (0..3000u32)
            .map(|i| char::from(b'A' + ((i * 7 + i / 13) % 26) as u8))
            .collect();
        let r = Redactor::new(&[Secret::new(long.clone())]);
        assert!(r.forms.len() <= 4, "{} patterns", r.forms.len());
        for cut in [8, 100, 2999] {
            let head = format!("key {}…", &long[..cut]);
            assert!(!leaks(&r.redact(&head), &long), "head of {cut}");
            let tail = format!("…{} end", &long[3000 - cut..]);
            assert!(!leaks(&r.redact(&tail), &long), "tail of {cut}");
        }
    }

    #[test]
    fn a_value_partly_masked_before_this_stage_is_masked_from_its_separator() {
        let value = "Zq7wPx;Kd93LmR2tV";
        let r = Redactor::new(&[Secret::new(value)]);
        let out = r.redact("PASSWORD=****;Kd93LmR2tV");
        assert!(!out.contains("Kd93LmR"), "{out}");
        let out = r.redact(&format!("PASSWORD={value}"));
        assert!(!leaks(&out, value), "{out}");
    }

    #[test]
    fn a_key_joined_by_escaped_newlines_is_known_line_by_line() {
        let key = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEF\\n-----END PRIVATE KEY-----";
        let r = Redactor::new(&[Secret::new(key)]);
        let out = r.redact("decoded: MIIEvQIBADANBgkqhkiG9w0BAQEF");
        assert!(!out.contains("ADANBgk"), "{out}");
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
