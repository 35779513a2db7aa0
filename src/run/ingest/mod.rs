//! Readers of reports that test runners and coverage tools write: JUnit XML, coverage.py
//! JSON, Cobertura XML, LCOV, Go coverprofile, `go test -json`, libtest output and Jest
//! JSON. Pure functions from text to data; every input is untrusted.
//!
//! Every reader is iterative (no recursion on the input's nesting), never panics, keeps
//! failure text to [`DETAIL_CAP`] characters and messages to [`MESSAGE_CAP`], and rejects
//! a document it cannot read with one sentence saying why.

pub mod coverage;
pub mod gotest;
pub mod jest;
pub mod junit;
pub mod libtest;
pub mod paths;
mod xml;

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};

/// Most characters of failure text (traceback, panic output) kept per case.
pub const DETAIL_CAP: usize = 4000;

/// Most characters of a case's one-line message.
pub const MESSAGE_CAP: usize = 300;

/// Marks text cut at a cap.
const ELLIPSIS: char = '…';

/// Text gathered piece by piece, keeping only the first `cap` characters so a huge
/// report cannot grow it without bound. Leading whitespace is dropped as it arrives.
#[derive(Debug)]
pub(crate) struct CappedText {
    text: String,
    chars: usize,
    cap: usize,
    truncated: bool,
}

impl CappedText {
    pub(crate) fn new(cap: usize) -> CappedText {
        CappedText {
            text: String::new(),
            chars: 0,
            cap,
            truncated: false,
        }
    }

    pub(crate) fn push(&mut self, piece: &str) {
        let piece = if self.text.is_empty() {
            piece.trim_start()
        } else {
            piece
        };
        if self.truncated || piece.is_empty() {
            return;
        }
        let room = self.cap.saturating_sub(self.chars);
        match piece.char_indices().nth(room) {
            None => {
                self.text.push_str(piece);
                self.chars += piece.chars().count();
            }
            Some((cut, _)) => {
                self.text.push_str(piece.get(..cut).unwrap_or_default());
                self.chars = self.cap;
                self.truncated = true;
            }
        }
    }

    pub(crate) fn push_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.push(c.encode_utf8(&mut buf));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The text, trailing whitespace trimmed, ending in `…` when it was cut.
    pub(crate) fn finish(self) -> String {
        let mut text = self.text;
        text.truncate(text.trim_end().len());
        if self.truncated {
            text.push(ELLIPSIS);
        }
        text
    }
}

/// `text` cut to `max` characters, ending in `…` when it was cut.
pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => {
            let mut kept = text.get(..cut).unwrap_or_default().to_string();
            kept.push(ELLIPSIS);
            kept
        }
    }
}

/// The first line of `text` with anything but whitespace on it, trimmed and capped to
/// [`MESSAGE_CAP`]; empty when there is none.
pub(crate) fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| truncate_chars(l, MESSAGE_CAP))
        .unwrap_or_default()
}

/// `text` without ANSI escape sequences (colour codes test runners put in messages).
pub(crate) fn strip_ansi(text: &str) -> Cow<'_, str> {
    if !text.contains('\u{1b}') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters and intermediates, then one final character in '@'..='~'.
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // OSC (hyperlinks, titles): up to BEL or ESC \.
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            // nF escapes such as ESC ( B: intermediates, then one final character.
            Some(c) if (' '..='/').contains(&c) => {
                while chars.next_if(|c| (' '..='/').contains(c)).is_some() {}
                chars.next();
            }
            // Two-character escapes: already consumed.
            _ => {}
        }
    }
    Cow::Owned(out)
}

/// Deserializes `null` as the type's default, so a report writing `"message": null`
/// reads like one leaving the field out.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// Seconds from a runner's duration, when it is a sane one.
pub(crate) fn seconds(value: f64) -> Option<f64> {
    (value.is_finite() && value >= 0.0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_text_keeps_the_first_characters_and_marks_the_cut() {
        let mut text = CappedText::new(5);
        text.push("  \n ab");
        text.push("cé");
        text.push("fgh");
        text.push("ignored");
        assert_eq!(text.finish(), "abcéf…");
    }

    #[test]
    fn capped_text_under_the_cap_is_trimmed_and_unmarked() {
        let mut text = CappedText::new(10);
        assert!(text.is_empty());
        text.push("ab ");
        text.push_char('c');
        text.push("\n\n");
        assert!(!text.is_empty());
        assert_eq!(text.finish(), "ab c");
    }

    #[test]
    fn capped_text_exactly_at_the_cap_is_not_marked() {
        let mut text = CappedText::new(3);
        text.push("abc");
        text.push("");
        assert_eq!(text.finish(), "abc");
    }

    #[test]
    fn truncate_chars_counts_characters_not_bytes() {
        assert_eq!(truncate_chars("ééé", 2), "éé…");
        assert_eq!(truncate_chars("éé", 2), "éé");
        assert_eq!(truncate_chars("", 0), "");
    }

    #[test]
    fn first_line_skips_blank_lines_and_caps() {
        assert_eq!(first_line("\n  \n  boom here  \nmore"), "boom here");
        assert_eq!(first_line("   "), "");
        let long = "x".repeat(MESSAGE_CAP + 10);
        assert_eq!(first_line(&long).chars().count(), MESSAGE_CAP + 1);
    }

    #[test]
    fn strip_ansi_removes_colour_codes() {
        assert_eq!(
            strip_ansi("\u{1b}[31mred\u{1b}[39m and \u{1b}[1;2mbold\u{1b}[0m\u{1b}(B"),
            "red and bold"
        );
        assert_eq!(
            strip_ansi("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{7} done\u{1b}M"),
            "link done"
        );
        assert_eq!(strip_ansi("plain"), "plain");
        assert_eq!(strip_ansi("dangling \u{1b}["), "dangling ");
    }

    #[test]
    fn seconds_rejects_negative_and_non_finite_values() {
        assert_eq!(seconds(1.5), Some(1.5));
        assert_eq!(seconds(-1.0), None);
        assert_eq!(seconds(f64::NAN), None);
        assert_eq!(seconds(f64::INFINITY), None);
    }
}
