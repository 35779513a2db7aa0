//! Per-file source facts, gathered in one pass over each file's text: imports,
//! environment variables read, URL hosts, TODO-style markers, test cases, benchmarks,
//! routes, entry points, server start-up, and the catalog's code patterns. Matches in
//! comments are ignored (markers are only taken from comments).
//!
//! Python facts come from a tree-sitter parse (`analyze::python`); the other
//! languages' scanners are line-aware regular expressions. Each language's rules live in
//! its own file.

mod go;
mod javascript;
mod python;
mod rust;

use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde::Serialize;

use super::catalog::{Ecosystem, catalog};
use crate::repo::{LineIndex, RepoFile};

/// An import of a module or package.
#[derive(Debug, Clone, Serialize)]
pub struct Import {
    /// As written, without aliases (`os.path`, `@scope/pkg/sub`, `github.com/x/y`,
    /// `serde`); relative Python imports keep their leading dots.
    pub module: String,
    pub line: u32,
    /// Names imported from it (`from a import b, c` → `b`, `c`); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

impl Import {
    pub fn new(module: impl Into<String>, line: u32) -> Import {
        Import {
            module: module.into(),
            line,
            names: Vec::new(),
        }
    }
}

/// A TODO / FIXME / HACK / XXX comment.
#[derive(Debug, Clone, Serialize)]
pub struct Marker {
    pub tag: &'static str,
    pub line: u32,
}

/// An HTTP route a framework registers.
#[derive(Debug, Clone, Serialize)]
pub struct Route {
    pub path: String,
    pub line: u32,
}

/// A security-relevant setting of a web application, as the code writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppSetting {
    pub setting: Setting,
    pub line: u32,
    /// The class the setting is assigned in (`class ProductionConfig:`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl AppSetting {
    pub fn new(setting: Setting, line: u32) -> AppSetting {
        AppSetting {
            setting,
            line,
            scope: None,
        }
    }
}

/// What an [`AppSetting`] sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum Setting {
    /// A debug switch of a web framework or server set to a literal true
    /// (`app.run(debug=True)`, `DEBUG = True`, `gin.SetMode(gin.DebugMode)`).
    Debug {
        /// A module-level `DEBUG = True`, which only a settings module gives meaning.
        module_constant: bool,
        /// The same call binds the server to the loopback interface
        /// (`app.run(debug=True, host="127.0.0.1")`): a local development server.
        local: bool,
    },
    /// A server listens on every network interface (`0.0.0.0`, `::`, a Go `":8080"`).
    BindAll,
    /// CORS accepts requests from any origin.
    CorsAnyOrigin {
        /// Whether the same configuration allows credentials; `None` when it does not
        /// say (the setting is made separately, as in Django settings).
        credentials: Option<bool>,
        /// The library answers with the requesting origin rather than a literal `*`
        /// (which browsers refuse to combine with credentials).
        reflects: bool,
    },
    /// CORS takes its origins from the application's configuration, which allows any
    /// origin unless set (flask-cors `CORS(app)` or `@cross_origin()` without
    /// `origins`, whose list is the app's `CORS_ORIGINS`, `*` by default).
    CorsConfiguredOrigins {
        /// Whether it allows credentials (the library then echoes the origin).
        credentials: bool,
    },
    /// An application configuration lists the origins CORS allows
    /// (`CORS_ORIGINS = ["https://app.example.com"]`), none of them `*`.
    CorsOriginList,
    /// CORS allows credentials, as a setting of its own.
    CorsCredentials,
    /// The Host-header allow-list accepts any host (`ALLOWED_HOSTS = ["*"]`).
    AnyHost,
}

/// Everything one file's scan found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceFacts {
    /// Index of the file in `Inventory::files`.
    pub file: usize,
    pub imports: Vec<Import>,
    /// Environment variable names read, with lines.
    pub env_reads: Vec<(String, u32)>,
    /// Hosts of URL literals, with lines.
    pub urls: Vec<(String, u32)>,
    pub markers: Vec<Marker>,
    /// Test cases (function or case names), with lines.
    pub tests: Vec<(String, u32)>,
    /// Benchmarks, with lines.
    pub benchmarks: Vec<(String, u32)>,
    pub routes: Vec<Route>,
    /// Line of a program entry point (`if __name__ == "__main__"`, `fn main`,
    /// `func main` in package main).
    pub main_entry: Option<u32>,
    /// Lines where a server is created or started.
    pub server_starts: Vec<u32>,
    /// Security-relevant web application settings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub app_settings: Vec<AppSetting>,
    /// Catalog code patterns matched: (detector index, line).
    pub detector_hits: Vec<(usize, u32)>,
    /// Rust: line of `#[cfg(test)]`, where inline tests begin.
    pub inline_tests_from: Option<u32>,
    /// Python: everything the syntax tree says.
    #[serde(skip)]
    pub python: Option<Box<crate::analyze::python::PyFile>>,
}

impl SourceFacts {
    /// True when `line` is test code inside a production file (Rust's inline
    /// `#[cfg(test)]` module, which by convention runs to the end of the file).
    pub fn is_inline_test(&self, line: u32) -> bool {
        self.inline_tests_from.is_some_and(|from| line >= from)
    }
}

/// A scan in progress over one file.
pub(crate) struct Scan<'a> {
    pub text: &'a str,
    /// String delimiters of the language (Rust's `'` marks lifetimes, not strings).
    pub quotes: &'a [u8],
    pub index: &'a LineIndex,
    pub facts: SourceFacts,
}

impl<'a> Scan<'a> {
    /// The first group's text and line of every match of `re` that starts in code.
    pub fn group1(&self, re: &Option<Regex>) -> Vec<(String, u32)> {
        let mut out = Vec::new();
        with(re, |re| {
            self.each(re, |caps, line| {
                if let Some(m) = caps.get(1) {
                    out.push((m.as_str().to_string(), line));
                }
            })
        });
        out
    }

    /// Records `setting` at every match in code of each rule's pattern.
    pub fn settings(&mut self, rules: &[(Option<Regex>, Setting)]) {
        let mut found = Vec::new();
        for (re, setting) in rules {
            with(re, |re| {
                self.each(re, |_, line| found.push(AppSetting::new(*setting, line)))
            });
        }
        found.sort_by_key(|s| s.line);
        self.facts.app_settings.extend(found);
    }

    /// The CORS settings of configuration objects: for every match of `opener` (which
    /// ends at the object's opening brace) whose body matches `any` or `reflect`, an
    /// any-origin setting that says whether `credentials` matches too.
    pub fn cors_objects(
        &mut self,
        opener: &Option<Regex>,
        any: &Option<Regex>,
        reflect: &Option<Regex>,
        credentials: &Option<Regex>,
    ) {
        let hit = |re: &Option<Regex>, body: &str| re.as_ref().is_some_and(|r| r.is_match(body));
        let mut found = Vec::new();
        with(opener, |re| {
            self.each(re, |caps, line| {
                let Some(m) = caps.get(0) else { return };
                let Some(body) = braced(self.text, m.end().saturating_sub(1)) else {
                    return;
                };
                let reflects = hit(reflect, body);
                if reflects || hit(any, body) {
                    found.push(AppSetting::new(
                        Setting::CorsAnyOrigin {
                            credentials: Some(hit(credentials, body)),
                            reflects,
                        },
                        line,
                    ));
                }
            })
        });
        self.facts.app_settings.extend(found);
    }

    /// Calls `f` with the captures and line of every match of `re` that starts in code.
    pub fn each(&self, re: &Regex, mut f: impl FnMut(&Captures<'a>, u32)) {
        let mut strings = StringState::default();
        for caps in re.captures_iter(self.text) {
            let Some(m) = caps.get(0) else { continue };
            // Patterns may start with line-leading whitespace; judge at the first
            // non-space character.
            let lead = m.as_str().len() - m.as_str().trim_start().len();
            let at = m.start() + lead;
            if self.index.in_code(at) && !strings.inside(self, at) {
                f(&caps, self.index.line_of(at));
            }
        }
    }
}

/// Whether an offset lies inside a string literal opened earlier on its line (an odd
/// number of unescaped quotes of one kind before it). Matches arrive in offset order,
/// so the scan resumes where the previous one stopped: linear in the line, not
/// quadratic.
#[derive(Default)]
struct StringState {
    line_start: usize,
    pos: usize,
    open: Option<u8>,
    escaped: bool,
}

impl StringState {
    fn inside(&mut self, scan: &Scan<'_>, offset: usize) -> bool {
        let line = scan.index.line_of(offset);
        let start = scan.index.start_of(line).unwrap_or(0);
        if start != self.line_start || offset < self.pos {
            *self = StringState {
                line_start: start,
                pos: start,
                open: None,
                escaped: false,
            };
        }
        let bytes = scan.text.get(self.pos..offset).unwrap_or("").as_bytes();
        for &b in bytes {
            if self.escaped {
                self.escaped = false;
                continue;
            }
            match (self.open, b) {
                (_, b'\\') => self.escaped = true,
                (None, q) if scan.quotes.contains(&q) => self.open = Some(q),
                (Some(q), c) if c == q => self.open = None,
                _ => {}
            }
        }
        self.pos = offset.max(self.pos);
        self.open.is_some()
    }
}

/// Longest configuration object read after its opening brace, in bytes.
const MAX_OBJECT: usize = 4 * 1024;

/// The text between the brace at `open` (an offset into `text` of a `{`) and the one
/// that closes it; `None` when it does not close within [`MAX_OBJECT`] bytes. Braces in
/// strings are counted too: configuration objects rarely hold unbalanced ones.
pub(crate) fn braced(text: &str, open: usize) -> Option<&str> {
    let rest = text.get(open..)?;
    if !rest.starts_with('{') {
        return None;
    }
    let mut depth = 0usize;
    for (i, c) in rest.char_indices().take_while(|(i, _)| *i < MAX_OBJECT) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return rest.get(1..i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Compiles a rule; a broken built-in pattern is a defect caught by tests, and is
/// skipped (never panics) at run time.
pub(crate) fn rule(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

/// Runs `f` for each rule that compiled.
pub(crate) fn with<'r>(re: &'r Option<Regex>, f: impl FnOnce(&'r Regex)) {
    if let Some(r) = re {
        f(r);
    }
}

struct Common {
    marker: Option<Regex>,
    url: Option<Regex>,
}

static COMMON: LazyLock<Common> = LazyLock::new(|| Common {
    marker: rule(r"\b(TODO|FIXME|HACK|XXX)\b"),
    url: rule(
        r#"["'`](?:https?|wss?)://([A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+)"#,
    ),
});

/// Host names that are placeholders, loopback, namespaces or reference sites, not
/// services (the list is data: catalog/hosts.toml).
fn is_placeholder_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    let hosts = &catalog().hosts;
    hosts.exact.contains(&h)
        || h.starts_with("127.")
        || h.starts_with("192.168.")
        || h.starts_with("10.")
        || hosts.suffix.iter().any(|s| h.ends_with(s.as_str()))
}

/// Scans one file. `file_index` is its position in the inventory.
pub fn scan(file_index: usize, file: &RepoFile) -> Option<SourceFacts> {
    let text = file.text()?;
    let quotes: &[u8] = file
        .language
        .and_then(|l| l.get())
        .map(|l| l.quotes.as_bytes())
        .unwrap_or(b"\"'");
    let mut scan = Scan {
        text,
        quotes,
        index: &file.index,
        facts: SourceFacts {
            file: file_index,
            ..SourceFacts::default()
        },
    };
    let common = &*COMMON;
    if let Some(re) = &common.marker {
        for m in re.find_iter(text) {
            if file.index.in_comment(m.start()) {
                let tag = match m.as_str() {
                    "TODO" => "TODO",
                    "FIXME" => "FIXME",
                    "HACK" => "HACK",
                    _ => "XXX",
                };
                scan.facts.markers.push(Marker {
                    tag,
                    line: file.index.line_of(m.start()),
                });
            }
        }
    }
    let lang = file.lang();
    let Some(eco) = Ecosystem::of_language(lang) else {
        return Some(scan.facts);
    };
    if let Some(re) = &common.url {
        let mut urls = Vec::new();
        scan.each(re, |caps, line| {
            if let Some(host) = caps.get(1) {
                if !is_placeholder_host(host.as_str()) {
                    urls.push((host.as_str().to_ascii_lowercase(), line));
                }
            }
        });
        scan.facts.urls = urls;
    }
    match eco {
        Ecosystem::Python => python::scan(file, &mut scan),
        Ecosystem::Rust => rust::scan(file, &mut scan),
        Ecosystem::Npm => javascript::scan(file, &mut scan),
        Ecosystem::Go => go::scan(file, &mut scan),
    }
    let cat = catalog();
    for (i, d) in cat.detectors.iter().enumerate() {
        if d.ecosystem != eco {
            continue;
        }
        let Some(patterns) = cat.detector_patterns.get(i) else {
            continue;
        };
        for re in patterns {
            if let Some(m) = re.find_iter(text).find(|m| file.index.in_code(m.start())) {
                scan.facts
                    .detector_hits
                    .push((i, file.index.line_of(m.start())));
                break;
            }
        }
    }
    Some(scan.facts)
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::repo::RepoFile;

    /// A repo file built from text, as the walk would classify it.
    pub fn file(path: &str, text: &str) -> RepoFile {
        let dir = tempfile::tempdir().unwrap();
        let full = dir.path().join("f");
        std::fs::write(&full, text).unwrap();
        crate::repo::read_file(&full, path.to_string(), 1 << 20)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::file;
    use super::*;

    #[test]
    fn markers_only_in_comments_and_urls_only_in_code() {
        let f = file(
            "app.py",
            "# TODO: fix\nx = 'TODO not a marker'\nURL = \"https://api.crossref.org/works\"\n# see https://docs.example.com\ny = 'http://localhost:8000'\n",
        );
        let facts = scan(0, &f).unwrap();
        assert_eq!(facts.markers.len(), 1);
        assert_eq!(facts.markers[0].line, 1);
        assert_eq!(facts.urls, vec![("api.crossref.org".to_string(), 3)]);
    }

    #[test]
    fn placeholder_hosts_are_not_services() {
        assert!(is_placeholder_host("api.example.com"));
        assert!(is_placeholder_host("127.0.0.1"));
        assert!(!is_placeholder_host("api.openai.com"));
    }
}
