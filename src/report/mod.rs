//! Stage 6 — renderers. Each format is one sibling file over the same [`Review`]:
//! terminal summary, Markdown and JSON. The review reaches them already redacted (see
//! [`crate::review::redact`]); what they write passes once more through the audit's
//! redaction stage, in the format's own escaping, and bidirectional-override
//! characters are escaped so no path or snippet can reorder what a reader sees.

mod json;
mod markdown;
mod terminal;

use std::path::Path;

use crate::review::Review;

/// An output format, chosen from a file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
}

impl Format {
    /// The format for a path's extension (`.md`, `.markdown`, `.json`).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" => Some(Format::Markdown),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn render(self, review: &Review) -> String {
        match self {
            Format::Markdown => {
                let text = markdown::render(review);
                let esc: &dyn Fn(&str) -> String = &markdown::esc;
                let code: &dyn Fn(&str) -> String = &markdown::code_text;
                let known = review.redactor.with_encodings(&[esc, code]);
                escape_bidi(&known.redact_known(&text), bidi_visible)
            }
            Format::Json => {
                let text = json::render(review);
                let json: &dyn Fn(&str) -> String = &json_string;
                let known = review.redactor.with_encodings(&[json]);
                escape_bidi(&known.redact_known(&text), bidi_json)
            }
        }
    }
}

/// The terminal summary, through the same final pass as the files.
pub fn terminal_summary(review: &Review, color: bool) -> String {
    let text = terminal::render(review, color);
    let clean: &dyn Fn(&str) -> String = &terminal::clean;
    let known = review.redactor.with_encodings(&[clean]);
    escape_bidi(&known.redact_known(&text), bidi_visible)
}

/// A value as it appears inside a JSON string.
fn json_string(v: &str) -> String {
    let quoted = serde_json::to_string(v).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(&quoted)
        .to_string()
}

/// Characters that reorder the text around them when displayed (U+202A–U+202E,
/// U+2066–U+2069): "Trojan Source".
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `<U+202E>`, for a reader.
fn bidi_visible(c: char) -> String {
    format!("<U+{:04X}>", u32::from(c))
}

/// `\u202e`, which a JSON reader decodes back to the character.
fn bidi_json(c: char) -> String {
    format!("\\u{:04x}", u32::from(c))
}

/// `text` with every bidirectional control written as `escape` says.
fn escape_bidi(text: &str, escape: fn(char) -> String) -> String {
    if !text.chars().any(is_bidi_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_bidi_control(c) {
            out.push_str(&escape(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidirectional_controls_are_escaped() {
        let text = "access\u{202E}level\u{2066}";
        assert_eq!(
            escape_bidi(text, bidi_visible),
            "access<U+202E>level<U+2066>"
        );
        assert_eq!(escape_bidi(text, bidi_json), "access\\u202elevel\\u2066");
    }

    #[test]
    fn json_strings_are_escaped_as_serde_writes_them() {
        assert_eq!(json_string("a\"b\\c\n"), "a\\\"b\\\\c\\n");
    }
}
