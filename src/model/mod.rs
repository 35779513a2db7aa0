//! The shared vocabulary of every stage: categories, statuses, severities, efforts,
//! evidence and findings. Nothing here knows how facts are gathered or judged.

mod redact;
mod secret;

use std::fmt;

use serde::Serialize;

pub use redact::{mask, redact};
pub use secret::Secret;

/// One of the ten areas a production readiness review covers, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Architecture,
    CodeQuality,
    Tests,
    E2e,
    Ci,
    Security,
    Observability,
    Performance,
    Deployment,
    Documentation,
}

impl Category {
    /// Every category, in the order reports list them.
    pub const ALL: [Category; 10] = [
        Category::Architecture,
        Category::CodeQuality,
        Category::Tests,
        Category::E2e,
        Category::Ci,
        Category::Security,
        Category::Observability,
        Category::Performance,
        Category::Deployment,
        Category::Documentation,
    ];

    /// The stable id used in JSON and in `greenlight.toml`.
    pub fn id(self) -> &'static str {
        match self {
            Category::Architecture => "architecture",
            Category::CodeQuality => "code-quality",
            Category::Tests => "tests",
            Category::E2e => "e2e",
            Category::Ci => "ci",
            Category::Security => "security",
            Category::Observability => "observability",
            Category::Performance => "performance",
            Category::Deployment => "deployment",
            Category::Documentation => "documentation",
        }
    }

    /// The heading a reader sees.
    pub fn title(self) -> &'static str {
        match self {
            Category::Architecture => "Architecture clarity",
            Category::CodeQuality => "Code quality & static analysis",
            Category::Tests => "Tests & coverage",
            Category::E2e => "End-to-end & integration testing",
            Category::Ci => "CI/CD",
            Category::Security => "Security",
            Category::Observability => "Observability",
            Category::Performance => "Performance & scalability",
            Category::Deployment => "Deployment & rollback",
            Category::Documentation => "Documentation & runbooks",
        }
    }

    /// Looks a category up by its id.
    pub fn from_id(id: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.id() == id)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What a check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Partial,
    Fail,
    /// Could not be determined; shown as pending, never as a pass.
    Unknown,
    /// Makes no sense for this kind of project.
    NotApplicable,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Partial => "partial",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::NotApplicable => "not applicable",
        }
    }
}

/// How urgent a concern is: P0 blocks production, P3 is housekeeping.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub enum Severity {
    P0,
    P1,
    P2,
    P3,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::P0 => "P0",
            Severity::P1 => "P1",
            Severity::P2 => "P2",
            Severity::P3 => "P3",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Size of the work that fixes a concern: S ≤ 1 day, M ≤ 1 week, L > 1 week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Effort {
    S,
    M,
    L,
}

impl Effort {
    pub fn label(self) -> &'static str {
        match self {
            Effort::S => "S",
            Effort::M => "M",
            Effort::L => "L",
        }
    }

    /// The effort spelled out for readers of the report.
    pub fn describe(self) -> &'static str {
        match self {
            Effort::S => "S (≤ 1 day)",
            Effort::M => "M (≤ 1 week)",
            Effort::L => "L (> 1 week)",
        }
    }
}

/// What the audited project is, which decides which checks apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectKind {
    Library,
    Cli,
    Service,
    Mixed,
}

impl ProjectKind {
    pub fn id(self) -> &'static str {
        match self {
            ProjectKind::Library => "library",
            ProjectKind::Cli => "cli",
            ProjectKind::Service => "service",
            ProjectKind::Mixed => "mixed",
        }
    }

    /// The kind as a noun phrase for sentences ("a command-line tool").
    pub fn noun(self) -> &'static str {
        match self {
            ProjectKind::Library => "library",
            ProjectKind::Cli => "command-line tool",
            ProjectKind::Service => "service",
            ProjectKind::Mixed => "service with a command-line interface",
        }
    }

    /// True when the project runs as a long-lived network service.
    pub fn is_service(self) -> bool {
        matches!(self, ProjectKind::Service | ProjectKind::Mixed)
    }

    /// True when the project ships something that is run (a CLI or a service).
    pub fn is_runnable(self) -> bool {
        !matches!(self, ProjectKind::Library)
    }
}

impl fmt::Display for ProjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A place in the repository: path relative to the root with `/` separators,
/// 1-based lines, and a short snippet, redacted by [`redact`] on construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub path: String,
    pub line: u32,
    pub end_line: u32,
    pub snippet: String,
}

/// Longest snippet a report shows, in characters; the redaction stage cuts snippets
/// to it after masking them.
pub const SNIPPET_MAX_CHARS: usize = 160;

/// Longest snippet kept in evidence until the redaction stage, in characters: long
/// enough that a secret near the point of interest is whole when it is masked.
pub const SNIPPET_KEEP_CHARS: usize = 1024;

impl Location {
    /// A single-line location; the snippet is trimmed and kept whole up to
    /// [`SNIPPET_KEEP_CHARS`]. Nothing is masked here: the review's redaction stage
    /// masks every snippet, then cuts it for display.
    pub fn new(path: impl Into<String>, line: u32, snippet: &str) -> Location {
        Location {
            path: path.into(),
            line,
            end_line: line,
            snippet: shorten(snippet.trim(), SNIPPET_KEEP_CHARS),
        }
    }

    /// A single-line location whose snippet is `line` with the byte range `secret`
    /// replaced by `masked` (its redacted form), centred on it when the line is long;
    /// the rest of the line is masked by the redaction stage like any snippet.
    pub fn masking(
        path: impl Into<String>,
        line: u32,
        text: &str,
        secret: (usize, usize),
        masked: &str,
    ) -> Location {
        let (start, end) = secret;
        let (before, after) = match (text.get(..start), text.get(end..)) {
            (Some(b), Some(a)) if start < end => (b, a),
            _ => return Location::new(path, line, text),
        };
        let keep = SNIPPET_MAX_CHARS / 2;
        let head = shorten_start(before, keep);
        let joined = format!("{}{masked}{after}", head.trim_start());
        Location {
            path: path.into(),
            line,
            end_line: line,
            snippet: shorten(joined.trim(), SNIPPET_KEEP_CHARS),
        }
    }

    /// A location spanning `line..=end_line`.
    pub fn span(path: impl Into<String>, line: u32, end_line: u32, snippet: &str) -> Location {
        Location {
            end_line: end_line.max(line),
            ..Location::new(path, line, snippet)
        }
    }

    /// `path:line` or `path:line-end`.
    pub fn display(&self) -> String {
        if self.end_line > self.line {
            format!("{}:{}-{}", self.path, self.line, self.end_line)
        } else {
            format!("{}:{}", self.path, self.line)
        }
    }
}

/// Why a claim is made: a place in the repository, or a record of what was looked for
/// and not found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    At(Location),
    Absent { looked_for: String, scope: String },
}

impl Evidence {
    pub fn at(path: impl Into<String>, line: u32, snippet: &str) -> Evidence {
        Evidence::At(Location::new(path, line, snippet))
    }

    /// Evidence at a line holding a secret, shown only in its masked form (see
    /// [`Location::masking`]).
    pub fn at_masking(
        path: impl Into<String>,
        line: u32,
        text: &str,
        secret: (usize, usize),
        masked: &str,
    ) -> Evidence {
        Evidence::At(Location::masking(path, line, text, secret, masked))
    }

    pub fn absent(looked_for: impl Into<String>, scope: impl Into<String>) -> Evidence {
        Evidence::Absent {
            looked_for: looked_for.into(),
            scope: scope.into(),
        }
    }

    /// One line for a reader: `path:12 — snippet` or `not found: ... (searched ...)`.
    pub fn describe(&self) -> String {
        match self {
            Evidence::At(loc) if loc.snippet.is_empty() => loc.display(),
            Evidence::At(loc) => format!("{} — {}", loc.display(), loc.snippet),
            Evidence::Absent { looked_for, scope } => {
                format!("not found: {looked_for} (searched {scope})")
            }
        }
    }

    pub fn location(&self) -> Option<&Location> {
        match self {
            Evidence::At(loc) => Some(loc),
            Evidence::Absent { .. } => None,
        }
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Evidence::At(loc) => loc.serialize(serializer),
            Evidence::Absent { looked_for, scope } => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("absent", looked_for)?;
                map.serialize_entry("scope", scope)?;
                map.end()
            }
        }
    }
}

/// Whether a finding is something to fix or something done well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    Concern,
    Strength,
}

/// How sure a check is that a finding is what it says. Deterministic facts (a file
/// exists, a workflow line reads so) are `High`; pattern matches that can be wrong
/// (a generic `password = "..."`, a secret in a test fixture) say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    #[default]
    High,
    Medium,
    Low,
}

impl Confidence {
    pub fn label(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One concern or strength, with the evidence behind it. Concerns also carry the
/// severity, the action that fixes them and its effort.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub category: Category,
    pub kind: FindingKind,
    /// `null` for strengths.
    pub severity: Option<Severity>,
    pub title: String,
    pub message: String,
    pub evidence: Vec<Evidence>,
    /// `null` for strengths.
    pub action: Option<String>,
    /// `null` for strengths.
    pub effort: Option<Effort>,
    /// How sure the check is (`high` unless it says otherwise).
    pub confidence: Confidence,
    /// A stable id for this one finding across audits (e.g. rule + path + hash of a
    /// secret), usable in a `[[suppress]]` entry; `null` when the check gives none.
    pub fingerprint: Option<String>,
    /// The project it is about: its path (`.` for the root), or `null` for the
    /// repository as a whole. Set by the review.
    pub project: Option<String>,
}

impl Finding {
    pub fn is_concern(&self) -> bool {
        self.kind == FindingKind::Concern
    }
}

/// Whether `c` may stand next to a word that a cut left: a separator, or the `…` that
/// marks a cut.
pub fn is_word_boundary(c: char) -> bool {
    c == '…' || is_separator(c)
}

/// Whether `c` ends a word that could be (part of) a secret: a cut is made only at
/// such a character, so no part of a token, key or password survives a cut.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\'' | '`' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | ',' | ';'
        )
}

/// Cuts `text` to at most `max` characters, marking the cut with `…`. The cut never
/// falls inside a word: a word the limit would split is left out whole.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: Vec<char> = text.chars().take(max.saturating_sub(1)).collect();
    let split = text
        .chars()
        .nth(kept.len())
        .is_some_and(|c| !is_separator(c));
    let end = if split {
        kept.iter()
            .rposition(|&c| is_separator(c))
            .map_or(0, |i| i + 1)
    } else {
        kept.len()
    };
    let mut out: String = kept.iter().take(end).collect();
    out.push('…');
    out
}

/// Keeps at most the last `max` characters of `text`, marking the cut with a leading
/// `…`; like [`shorten`], a word the limit would split is left out whole.
pub fn shorten_start(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max {
        return text.to_string();
    }
    let skip = n - max.saturating_sub(1);
    let kept: Vec<char> = text.chars().skip(skip).collect();
    let split = text
        .chars()
        .nth(skip.saturating_sub(1))
        .is_some_and(|c| !is_separator(c));
    let start = if split {
        kept.iter()
            .position(|&c| is_separator(c))
            .unwrap_or(kept.len())
    } else {
        0
    };
    let mut out = String::from("…");
    out.extend(kept.iter().skip(start));
    out
}

/// 1-based line of a byte offset in `text`.
pub fn line_at(text: &str, offset: usize) -> u32 {
    let upto = text.get(..offset.min(text.len())).unwrap_or(text);
    u32::try_from(upto.bytes().filter(|&b| b == b'\n').count() + 1).unwrap_or(u32::MAX)
}

/// `n` followed by the singular or plural noun: `1 file`, `3 files`.
pub fn plural(n: usize, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{} {plural}", group_digits(n))
    }
}

/// `12345` → `12,345`.
pub fn group_digits(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_with_and() {
        assert_eq!(join_and::<&str>(&[]), "");
        assert_eq!(join_and(&["a"]), "a");
        assert_eq!(join_and(&["a", "b", "c"]), "a, b and c");
    }

    #[test]
    fn category_ids_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::from_id(c.id()), Some(c));
        }
    }

    #[test]
    fn masking_shows_only_the_masked_secret() {
        let line = r#"    TOKEN = "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"  # prod"#;
        let start = line.find("ghp_").unwrap();
        let loc = Location::masking("a.py", 3, line, (start, start + 40), "ghp_…8d");
        assert_eq!(loc.snippet, r#"TOKEN = "ghp_…8d"  # prod"#);
        let long = format!("{} {}", "x".repeat(500), "pwd=Qz7xR2mK9pW4M2Qz7xR2 end");
        let s = long.find("Qz7").unwrap();
        let loc = Location::masking("a.js", 1, &long, (s, s + 20), "Qz7x…R2");
        assert!(loc.snippet.starts_with('…'), "{}", loc.snippet);
        assert!(loc.snippet.contains("pwd=Qz7x…R2 end"), "{}", loc.snippet);
    }

    #[test]
    fn shorten_marks_the_cut() {
        assert_eq!(shorten("ab cdef", 6), "ab …");
        assert_eq!(shorten("abc de", 5), "abc …");
        assert_eq!(shorten("abc", 4), "abc");
    }

    #[test]
    fn a_cut_never_keeps_part_of_a_word() {
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl-x_y";
        for max in 10..70 {
            let text = format!("auth: {token} end");
            let cut = shorten(&text, max);
            assert!(
                cut == "auth: …" || cut == "…" || !cut.contains("eyJ") || cut.contains(token),
                "{cut}"
            );
            let cut = shorten_start(&format!("start {token}"), max);
            assert!(cut == "…" || cut.contains(token), "{cut}");
        }
    }

    #[test]
    fn digits_are_grouped() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
        assert_eq!(group_digits(1234567), "1,234,567");
    }
}
