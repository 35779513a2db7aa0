//! Stage 6 — renderers. Each format is one sibling file over the same [`Review`]:
//! terminal summary, Markdown and JSON.

pub mod json;
pub mod markdown;
pub mod terminal;

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
            Format::Markdown => markdown::render(review),
            Format::Json => json::render(review),
        }
    }
}
