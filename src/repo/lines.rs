//! Line classification (code, comment, blank) from a language's comment syntax, and the
//! line index that maps byte offsets to 1-based line numbers.
//!
//! The scanner knows line comments, block comments (optionally nested) and single-line
//! string literals, which is enough to count lines the way tokei does and to tell
//! whether a match sits in a comment. It does not track multi-line strings: a line
//! inside a Python docstring counts as code.

use serde::Serialize;

use super::language::Language;

/// What a line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Blank,
    Code,
    Comment,
}

/// Per-line facts kept for comment-aware rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfo {
    pub kind: LineKind,
    /// Byte column where a comment starts on this line, if any (0 for lines inside a
    /// block comment).
    pub comment_from: Option<u32>,
}

/// Line totals for one file or many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LineCounts {
    pub code: usize,
    pub comment: usize,
    pub blank: usize,
}

impl LineCounts {
    pub fn total(&self) -> usize {
        self.code + self.comment + self.blank
    }

    pub fn add(&mut self, other: &LineCounts) {
        self.code += other.code;
        self.comment += other.comment;
        self.blank += other.blank;
    }
}

/// Byte offsets of line starts plus the classification of every line.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<u32>,
    /// One byte per line.
    kinds: Vec<LineKind>,
    /// (0-based line, comment column) for the few lines holding a comment.
    comments: Vec<(u32, u32)>,
}

impl LineIndex {
    /// Number of lines.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// 1-based line number of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        let index = self.starts.partition_point(|&s| s <= offset);
        u32::try_from(index.max(1)).unwrap_or(u32::MAX)
    }

    /// Byte offset where a 1-based line starts.
    pub fn start_of(&self, line: u32) -> Option<usize> {
        let i = usize::try_from(line).ok()?.checked_sub(1)?;
        self.starts.get(i).and_then(|&s| usize::try_from(s).ok())
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text<'a>(&self, text: &'a str, line: u32) -> &'a str {
        let Some(start) = self.start_of(line) else {
            return "";
        };
        let end = self.start_of(line.saturating_add(1)).unwrap_or(text.len());
        text.get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// Classification of a 1-based line.
    pub fn info(&self, line: u32) -> Option<LineInfo> {
        let i = line.checked_sub(1)?;
        let kind = *self.kinds.get(usize::try_from(i).ok()?)?;
        let comment_from = self
            .comments
            .binary_search_by_key(&i, |(l, _)| *l)
            .ok()
            .and_then(|at| self.comments.get(at))
            .map(|(_, col)| *col);
        Some(LineInfo { kind, comment_from })
    }

    /// True when the byte at `offset` lies inside a comment.
    pub fn in_comment(&self, offset: usize) -> bool {
        let line = self.line_of(offset);
        let (Some(info), Some(start)) = (self.info(line), self.start_of(line)) else {
            return false;
        };
        match info.comment_from {
            Some(col) => offset >= start + usize::try_from(col).unwrap_or(usize::MAX),
            None => false,
        }
    }

    /// True when the byte at `offset` is code (not in a comment, not on a blank line).
    pub fn in_code(&self, offset: usize) -> bool {
        let line = self.line_of(offset);
        matches!(self.info(line), Some(i) if i.kind == LineKind::Code) && !self.in_comment(offset)
    }

    pub fn counts(&self) -> LineCounts {
        let mut c = LineCounts::default();
        for kind in &self.kinds {
            match kind {
                LineKind::Blank => c.blank += 1,
                LineKind::Code => c.code += 1,
                LineKind::Comment => c.comment += 1,
            }
        }
        c
    }
}

/// Splits `text` into lines and classifies each with `language`'s comment syntax
/// (no language: every non-blank line is code).
pub fn index(text: &str, language: Option<&Language>) -> LineIndex {
    let mut starts = Vec::with_capacity(text.len() / 32 + 1);
    let mut kinds = Vec::with_capacity(text.len() / 32 + 1);
    let mut comments = Vec::new();
    let mut scanner = Scanner::new(language);
    let mut offset = 0usize;
    let ends = memchr::memchr_iter(b'\n', text.as_bytes())
        .map(|i| i + 1)
        .chain((!text.ends_with('\n') && !text.is_empty()).then_some(text.len()));
    for (n, end) in ends.enumerate() {
        starts.push(u32::try_from(offset).unwrap_or(u32::MAX));
        // A newline is one byte: both cuts fall on character boundaries.
        let line = text.get(offset..end).unwrap_or_default();
        let info = scanner.classify(line.trim_end_matches(['\n', '\r']));
        kinds.push(info.kind);
        if let Some(col) = info.comment_from {
            comments.push((u32::try_from(n).unwrap_or(u32::MAX), col));
        }
        offset = end;
    }
    LineIndex {
        starts,
        kinds,
        comments,
    }
}

struct Scanner<'l> {
    line_comments: Vec<&'l str>,
    blocks: Vec<(&'l str, &'l str)>,
    nested: bool,
    quotes: &'l [u8],
    /// Strings that may span lines (Python's triple quotes).
    long_strings: Vec<(&'l str, &'l str)>,
    /// Open block comment: which pair and how deep.
    open: Option<(usize, usize)>,
    /// Open multi-line string: which pair.
    open_string: Option<usize>,
    /// Bytes that may start a comment, a string or a docstring.
    interesting: [bool; 256],
}

impl<'l> Scanner<'l> {
    fn new(language: Option<&'l Language>) -> Scanner<'l> {
        let Some(lang) = language else {
            return Scanner {
                line_comments: Vec::new(),
                blocks: Vec::new(),
                nested: false,
                quotes: b"",
                long_strings: Vec::new(),
                open: None,
                open_string: None,
                interesting: [false; 256],
            };
        };
        Scanner {
            line_comments: lang.line_comments.iter().map(String::as_str).collect(),
            blocks: lang
                .block_comments
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect(),
            nested: lang.nested_comments,
            quotes: lang.quotes.as_bytes(),
            long_strings: lang
                .multiline_strings
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect(),
            open: None,
            open_string: None,
            interesting: [false; 256],
        }
        .with_interesting()
    }

    /// Whether `b` may start a comment, a string or a docstring.
    fn is_interesting(&self, b: u8) -> bool {
        // A u8 always indexes a 256-entry table.
        self.interesting
            .get(usize::from(b))
            .copied()
            .unwrap_or(true)
    }

    fn with_interesting(mut self) -> Self {
        let firsts = self
            .line_comments
            .iter()
            .chain(self.blocks.iter().map(|(o, _)| o))
            .chain(self.long_strings.iter().map(|(o, _)| o))
            .filter_map(|t| t.as_bytes().first().copied())
            .chain(self.quotes.iter().copied());
        for b in firsts {
            if let Some(slot) = self.interesting.get_mut(usize::from(b)) {
                *slot = true;
            }
        }
        self
    }

    fn classify(&mut self, line: &str) -> LineInfo {
        let bytes = line.as_bytes();
        let mut i = 0usize;
        let mut has_code = false;
        let mut comment_from: Option<u32> = None;
        let col = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        if self.open.is_some() {
            comment_from = Some(0);
        }
        // Inside a multi-line string: its text is not code.
        if let Some(pair) = self.open_string {
            comment_from = Some(0);
            let closer = self.long_strings.get(pair).map(|(_, c)| *c).unwrap_or("");
            match find_from(bytes, 0, closer.as_bytes()) {
                Some(end) => {
                    self.open_string = None;
                    i = end + closer.len();
                }
                None => {
                    return LineInfo {
                        kind: LineKind::Comment,
                        comment_from,
                    };
                }
            }
        }
        let mut first_token = true;
        while i < bytes.len() {
            if let Some((pair, depth)) = self.open {
                let (opener, closer) = self.blocks.get(pair).copied().unwrap_or(("", ""));
                let next_close = find_from(bytes, i, closer.as_bytes());
                let next_open = if self.nested {
                    find_from(bytes, i, opener.as_bytes())
                } else {
                    None
                };
                match (next_open, next_close) {
                    (Some(o), Some(c)) if o < c => {
                        self.open = Some((pair, depth + 1));
                        i = o + opener.len();
                    }
                    (Some(o), None) => {
                        self.open = Some((pair, depth + 1));
                        i = o + opener.len();
                    }
                    (_, Some(c)) => {
                        self.open = if depth > 1 {
                            Some((pair, depth - 1))
                        } else {
                            None
                        };
                        i = c + closer.len();
                    }
                    (None, None) => i = bytes.len(),
                }
                continue;
            }
            let rest = bytes.get(i..).unwrap_or_default();
            let Some(&b) = rest.first() else { break };
            if b.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            // Fast path: a byte that starts no comment, string or docstring is code, and
            // so is the run of such bytes after it.
            if !self.is_interesting(b) {
                has_code = true;
                first_token = false;
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if self.is_interesting(c) {
                        break;
                    }
                    i += 1;
                }
                continue;
            }
            if let Some(pair) = self
                .long_strings
                .iter()
                .position(|(o, _)| !o.is_empty() && rest.starts_with(o.as_bytes()))
            {
                let (opener, closer) = self.long_strings.get(pair).copied().unwrap_or(("", ""));
                let body = i + opener.len();
                let standalone = first_token && comment_from.is_none() && !has_code;
                match find_from(bytes, body, closer.as_bytes()) {
                    Some(end) => {
                        // A one-line docstring on its own is documentation.
                        let after = end + closer.len();
                        let trailing = bytes.get(after..).unwrap_or_default();
                        if standalone && trailing.iter().all(|c| c.is_ascii_whitespace()) {
                            comment_from.get_or_insert(col(i));
                        } else {
                            has_code = true;
                        }
                        i = after;
                    }
                    None => {
                        self.open_string = Some(pair);
                        if !standalone {
                            has_code = true;
                        }
                        comment_from.get_or_insert(col(i));
                        break;
                    }
                }
                first_token = false;
                continue;
            }
            first_token = false;
            if self
                .line_comments
                .iter()
                .any(|t| !t.is_empty() && rest.starts_with(t.as_bytes()))
            {
                comment_from.get_or_insert(col(i));
                break;
            }
            if let Some(pair) = self
                .blocks
                .iter()
                .position(|(o, _)| !o.is_empty() && rest.starts_with(o.as_bytes()))
            {
                comment_from.get_or_insert(col(i));
                self.open = Some((pair, 1));
                i += self.blocks.get(pair).map(|(o, _)| o.len()).unwrap_or(1);
                continue;
            }
            has_code = true;
            if self.quotes.contains(&b) {
                i = skip_string(bytes, i, b);
            } else {
                i += 1;
            }
        }
        // A comment opened after code on this line does not make the line a comment
        // line, but its start column is still recorded for comment-aware rules.
        let kind = if has_code {
            LineKind::Code
        } else if comment_from.is_some() {
            LineKind::Comment
        } else {
            LineKind::Blank
        };
        LineInfo { kind, comment_from }
    }
}

/// Index of the first occurrence of `needle` in `bytes` at or after `from`.
fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let hay = bytes.get(from..)?;
    hay.windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Index just past the string literal that opens at `start` with `quote`, or the end of
/// the line when it is not closed there.
fn skip_string(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            i += 2;
            continue;
        }
        if b == quote {
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::language::languages;

    fn lang(id: &str) -> &'static Language {
        languages().by_id(id).and_then(|l| l.get()).unwrap()
    }

    #[test]
    fn counts_python_lines() {
        let text = "# header\nimport os\n\nx = '#not a comment'  # trailing\n";
        let idx = index(text, Some(lang("python")));
        assert_eq!(
            idx.counts(),
            LineCounts {
                code: 2,
                comment: 1,
                blank: 1
            }
        );
        let trailing = text.find("trailing").unwrap();
        assert!(idx.in_comment(trailing));
        assert!(!idx.in_comment(text.find("not a comment").unwrap()));
    }

    #[test]
    fn python_docstrings_are_not_code() {
        let text = "def f():\n    \"\"\"Example:\n\n    app = Flask(__name__)\n    \"\"\"\n    x = '''a\n    b'''\n    return 1\n";
        let idx = index(text, Some(lang("python")));
        let kinds: Vec<LineKind> = (1..=8).map(|l| idx.info(l).unwrap().kind).collect();
        use LineKind::*;
        assert_eq!(
            kinds,
            vec![
                Code, Comment, Comment, Comment, Comment, Code, Comment, Code
            ]
        );
        assert!(!idx.in_code(text.find("Flask").unwrap()));
        assert!(idx.in_code(text.find("return").unwrap()));
    }

    #[test]
    fn counts_nested_rust_block_comments() {
        let text = "/* a /* b */ still */\nfn main() {} // x\n/*\n*/\n";
        let idx = index(text, Some(lang("rust")));
        assert_eq!(idx.counts().comment, 3);
        assert_eq!(idx.counts().code, 1);
    }

    #[test]
    fn url_in_string_is_not_a_comment() {
        let text = "const u = \"https://example.org\";\n";
        let idx = index(text, Some(lang("javascript")));
        assert_eq!(idx.counts().code, 1);
        assert!(idx.in_code(text.find("example").unwrap()));
    }

    #[test]
    fn maps_offsets_to_lines() {
        let text = "a\nbb\n\nccc";
        let idx = index(text, None);
        assert_eq!(idx.len(), 4);
        assert_eq!(idx.line_of(0), 1);
        assert_eq!(idx.line_of(2), 2);
        assert_eq!(idx.line_of(5), 3);
        assert_eq!(idx.line_of(6), 4);
        assert_eq!(idx.line_text(text, 2), "bb");
        assert_eq!(idx.line_text(text, 9), "");
    }

    #[test]
    fn line_ends_and_empty_text() {
        assert_eq!(index("", None).len(), 0);
        let text = "a\r\nb\r\n";
        let idx = index(text, None);
        assert_eq!(idx.len(), 2);
        assert_eq!(idx.line_text(text, 1), "a");
        assert_eq!(idx.line_text(text, 2), "b");
        assert_eq!(idx.line_of(3), 2);
    }
}
