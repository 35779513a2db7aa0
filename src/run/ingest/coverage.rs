//! Coverage reports — coverage.py JSON, Cobertura XML, LCOV and Go coverprofiles — read
//! into one [`RawCoverage`], the format sniffed from the text.
//!
//! Files appear in the order the report first names them; a file named several times
//! (Cobertura classes sharing a file, LCOV records repeating a `SF:`, Go profiles
//! concatenated from several packages) is merged into one: a line is covered when any
//! mention covers it. Line 0 is never a source line and is dropped.
//!
//! Only coverage.py states a percentage; the other formats leave it to the caller to
//! compute from the counts. A Go block that spans more than [`GO_BLOCK_LINES`] lines
//! contributes only its first lines to `missing`, and a whole profile at most
//! [`GO_MISSING_BUDGET`] missing lines, so a hostile span cannot exhaust memory; the
//! statement counts are exact regardless.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::marker::PhantomData;

use quick_xml::events::BytesStart;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{CappedText, nullable, xml};
use crate::run::model::{CoverageFormat, RawCoverage, RawFileCoverage};

/// Most lines of one Go block listed as missing.
pub const GO_BLOCK_LINES: u32 = 10_000;

/// Most missing lines listed for a whole Go coverprofile.
pub const GO_MISSING_BUDGET: usize = 2_000_000;

/// Most characters of one Cobertura `<source>` directory.
const SOURCE_CAP: usize = 4096;

const UNRECOGNISED: &str = "unrecognised coverage report: expected coverage.py JSON, \
                            Cobertura XML, LCOV or a Go coverprofile";

/// Reads a coverage report in any of the formats greenlight knows.
pub fn parse(text: &str) -> Result<RawCoverage, String> {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('{') {
        return coverage_py(body);
    }
    if body.starts_with('<') {
        return cobertura(body);
    }
    let first = body.lines().next().unwrap_or_default().trim();
    if first.starts_with("mode:") {
        return go(body);
    }
    if ["TN:", "SF:"].iter().any(|tag| first.starts_with(tag)) {
        return Ok(lcov(body));
    }
    Err(UNRECOGNISED.into())
}

/// Lines and functions of one file as a line-based report states them.
#[derive(Default)]
struct FileLines {
    path: String,
    /// Line → most hits any mention gives it.
    lines: BTreeMap<u32, u64>,
    functions: Vec<(String, u32, u64)>,
    function_index: HashMap<String, usize>,
}

impl FileLines {
    fn hit(&mut self, line: u32, hits: u64) {
        if line == 0 {
            return;
        }
        let entry = self.lines.entry(line).or_insert(0);
        *entry = (*entry).max(hits);
    }

    /// Records a function; a repeated name keeps its earliest known line and most calls.
    fn function(&mut self, name: &str, line: u32, calls: u64) {
        match self.function_index.get(name) {
            Some(&i) => {
                if let Some(f) = self.functions.get_mut(i) {
                    if f.1 == 0 || (line != 0 && line < f.1) {
                        f.1 = line;
                    }
                    f.2 = f.2.max(calls);
                }
            }
            None => {
                self.function_index
                    .insert(name.to_string(), self.functions.len());
                self.functions.push((name.to_string(), line, calls));
            }
        }
    }

    fn into_raw(self) -> RawFileCoverage {
        let covered = self.lines.values().filter(|&&h| h > 0).count();
        RawFileCoverage {
            path: self.path,
            statements: count(self.lines.len()),
            covered: count(covered),
            missing: self
                .lines
                .iter()
                .filter(|(_, h)| **h == 0)
                .map(|(l, _)| *l)
                .collect(),
            executed: self
                .lines
                .iter()
                .filter(|(_, h)| **h > 0)
                .map(|(l, _)| *l)
                .collect(),
            percent: None,
            functions: self.functions,
        }
    }
}

/// Files in first-mention order, one entry per path.
#[derive(Default)]
struct Files {
    files: Vec<FileLines>,
    index: HashMap<String, usize>,
}

impl Files {
    fn index_of(&mut self, path: &str) -> usize {
        if let Some(&i) = self.index.get(path) {
            return i;
        }
        let i = self.files.len();
        self.index.insert(path.to_string(), i);
        self.files.push(FileLines {
            path: path.to_string(),
            ..FileLines::default()
        });
        i
    }

    fn get(&mut self, i: usize) -> Option<&mut FileLines> {
        self.files.get_mut(i)
    }

    fn into_raw(self) -> Vec<RawFileCoverage> {
        self.files.into_iter().map(FileLines::into_raw).collect()
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

// ---------------------------------------------------------------------------------------
// coverage.py JSON

#[derive(Deserialize)]
struct PyReport {
    #[serde(default)]
    files: Option<Ordered<PyFile>>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct PyFile {
    #[serde(deserialize_with = "line_list")]
    executed_lines: Vec<u32>,
    #[serde(deserialize_with = "line_list")]
    missing_lines: Vec<u32>,
    #[serde(deserialize_with = "nullable")]
    summary: PySummary,
    #[serde(deserialize_with = "nullable")]
    functions: Ordered<PyRegion>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct PySummary {
    num_statements: Option<u64>,
    covered_lines: Option<u64>,
    percent_covered: Option<f64>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct PyRegion {
    #[serde(deserialize_with = "line_list")]
    executed_lines: Vec<u32>,
    #[serde(deserialize_with = "line_list")]
    missing_lines: Vec<u32>,
}

fn coverage_py(text: &str) -> Result<RawCoverage, String> {
    let report: PyReport = serde_json::from_str(text)
        .map_err(|e| format!("the coverage.py JSON report is malformed: {e}"))?;
    let Some(Ordered(entries)) = report.files else {
        return Err(UNRECOGNISED.into());
    };
    let mut seen = std::collections::HashSet::new();
    let files = entries
        .into_iter()
        .filter(|(path, _)| seen.insert(path.clone()))
        .map(|(path, file)| py_file(path, file))
        .collect();
    Ok(RawCoverage {
        format: CoverageFormat::CoveragePyJson,
        files,
        base_dirs: Vec::new(),
    })
}

fn py_file(path: String, file: PyFile) -> RawFileCoverage {
    let mut missing = file.missing_lines;
    missing.sort_unstable();
    missing.dedup();
    let executed = {
        let mut lines = file.executed_lines;
        lines.sort_unstable();
        lines.dedup();
        lines
    };
    let statements = file.summary.num_statements.map_or_else(
        || {
            let mut all: Vec<u32> = executed.iter().chain(&missing).copied().collect();
            all.sort_unstable();
            all.dedup();
            count(all.len())
        },
        |n| u32::try_from(n).unwrap_or(u32::MAX),
    );
    let covered = file
        .summary
        .covered_lines
        .map_or(count(executed.len()), |n| {
            u32::try_from(n).unwrap_or(u32::MAX)
        });
    // The module-level region ("") is the file itself, not a function.
    let functions = file
        .functions
        .0
        .into_iter()
        .filter(|(name, _)| !name.is_empty())
        .map(|(name, region)| {
            let first = region
                .executed_lines
                .iter()
                .chain(&region.missing_lines)
                .min()
                .copied()
                .unwrap_or(0);
            let calls = u64::from(!region.executed_lines.is_empty());
            (name, first, calls)
        })
        .collect();
    RawFileCoverage {
        path,
        statements,
        covered,
        missing,
        executed,
        percent: file.summary.percent_covered.filter(|p| p.is_finite()),
        functions,
    }
}

/// A JSON object read as its entries in document order (serde_json's own map sorts).
struct Ordered<T>(Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for Entries<T> {
            type Value = Ordered<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, T>()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }

        deserializer.deserialize_map(Entries(PhantomData))
    }
}

/// A list of line numbers; entries that are not line numbers (negative, fractional,
/// zero, not numbers) are dropped, and `null` reads as empty.
fn line_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u32>, D::Error> {
    let values: Option<Vec<serde_json::Value>> = Option::deserialize(deserializer)?;
    Ok(values
        .unwrap_or_default()
        .iter()
        .filter_map(serde_json::Value::as_u64)
        .filter_map(|n| u32::try_from(n).ok())
        .filter(|&n| n > 0)
        .collect())
}

// ---------------------------------------------------------------------------------------
// Cobertura XML

/// The `<class>` being read.
struct OpenClass {
    file: usize,
    /// Lines listed directly under the class.
    own: BTreeMap<u32, u64>,
    /// Lines listed only under its methods: the statements of a class that lists no
    /// lines of its own.
    method_lines: BTreeMap<u32, u64>,
    method: Option<OpenMethod>,
}

struct OpenMethod {
    name: String,
    line: Option<u32>,
    first: Option<u32>,
    calls: u64,
}

#[derive(Default)]
struct CoberturaDoc {
    files: Files,
    sources: Vec<String>,
    source: Option<CappedText>,
    class: Option<OpenClass>,
    root: bool,
}

fn cobertura(text: &str) -> Result<RawCoverage, String> {
    let mut doc = CoberturaDoc::default();
    xml::read(text, "the Cobertura report", &mut doc)?;
    if !doc.root {
        return Err("not a Cobertura XML report: no <coverage> element".into());
    }
    doc.close_class();
    Ok(RawCoverage {
        format: CoverageFormat::Cobertura,
        files: doc.files.into_raw(),
        base_dirs: doc.sources,
    })
}

impl xml::Handler for CoberturaDoc {
    fn open(&mut self, element: &BytesStart<'_>) {
        match element.local_name().as_ref() {
            b"coverage" => self.root = true,
            b"source" => self.source = Some(CappedText::new(SOURCE_CAP)),
            b"class" => {
                self.close_class();
                let Some(path) = xml::attr(element, "filename").filter(|p| !p.is_empty()) else {
                    return;
                };
                let file = self.files.index_of(&path);
                self.class = Some(OpenClass {
                    file,
                    own: BTreeMap::new(),
                    method_lines: BTreeMap::new(),
                    method: None,
                });
            }
            b"method" => {
                if let Some(class) = self.class.as_mut() {
                    class.method = Some(OpenMethod {
                        name: xml::attr(element, "name").unwrap_or_default(),
                        line: xml::attr(element, "line").and_then(|l| l.trim().parse().ok()),
                        first: None,
                        calls: 0,
                    });
                }
            }
            b"line" => {
                let Some(class) = self.class.as_mut() else {
                    return;
                };
                let Some(number) = xml::attr(element, "number")
                    .and_then(|n| n.trim().parse::<u32>().ok())
                    .filter(|&n| n > 0)
                else {
                    return;
                };
                let hits = xml::attr(element, "hits").map_or(0, |h| hits(&h));
                match class.method.as_mut() {
                    Some(method) => {
                        method.first = Some(method.first.map_or(number, |f| f.min(number)));
                        method.calls = method.calls.max(hits);
                        let entry = class.method_lines.entry(number).or_insert(0);
                        *entry = (*entry).max(hits);
                    }
                    None => {
                        let entry = class.own.entry(number).or_insert(0);
                        *entry = (*entry).max(hits);
                    }
                }
            }
            _ => {}
        }
    }

    fn close(&mut self, name: &[u8]) {
        match name {
            b"source" => {
                if let Some(source) = self.source.take() {
                    let dir = source.finish();
                    if !dir.is_empty() && !self.sources.contains(&dir) {
                        self.sources.push(dir);
                    }
                }
            }
            b"method" => {
                let Some(class) = self.class.as_mut() else {
                    return;
                };
                if let Some(method) = class.method.take() {
                    let line = method.first.or(method.line).unwrap_or(0);
                    if let Some(file) = self.files.get(class.file) {
                        file.function(&method.name, line, method.calls);
                    }
                }
            }
            b"class" => self.close_class(),
            _ => {}
        }
    }

    fn sink(&mut self) -> Option<&mut CappedText> {
        self.source.as_mut()
    }
}

impl CoberturaDoc {
    fn close_class(&mut self) {
        let Some(class) = self.class.take() else {
            return;
        };
        let Some(file) = self.files.get(class.file) else {
            return;
        };
        let lines = if class.own.is_empty() {
            class.method_lines
        } else {
            class.own
        };
        for (line, hits) in lines {
            file.hit(line, hits);
        }
    }
}

/// A hit count as written: an integer, or (some converters) a decimal.
fn hits(text: &str) -> u64 {
    let text = text.trim();
    text.parse::<u64>().unwrap_or_else(|_| {
        text.parse::<f64>()
            .ok()
            .filter(|h| h.is_finite() && *h > 0.0)
            .map_or(0, |h| h.ceil() as u64)
    })
}

// ---------------------------------------------------------------------------------------
// LCOV

fn lcov(text: &str) -> RawCoverage {
    let mut files = Files::default();
    let mut current: Option<usize> = None;
    // lcov 2.2's FNL/FNA: function index → start line, per record.
    let mut function_lines: HashMap<String, u32> = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line == "end_of_record" {
            current = None;
            continue;
        }
        let Some((tag, value)) = line.split_once(':') else {
            continue;
        };
        if tag == "SF" {
            let path = value.trim();
            current = (!path.is_empty()).then(|| files.index_of(path));
            function_lines.clear();
            continue;
        }
        let Some(file) = current.and_then(|i| files.get(i)) else {
            continue;
        };
        match tag {
            "DA" => {
                let mut parts = value.split(',');
                let line = parts.next().and_then(|l| l.trim().parse::<u32>().ok());
                let hits = parts.next().and_then(|h| lcov_hits(h.trim()));
                if let (Some(line), Some(hits)) = (line, hits) {
                    file.hit(line, hits);
                }
            }
            "FN" => {
                if let Some((line, name)) = lcov_function(value) {
                    file.function(name, line, 0);
                }
            }
            "FNDA" => {
                if let Some((hits, name)) = value.split_once(',') {
                    if let Some(hits) = lcov_hits(hits.trim()) {
                        file.function(name, 0, hits);
                    }
                }
            }
            "FNL" => {
                let mut parts = value.split(',');
                let index = parts.next().map(str::trim);
                let line = parts.next().and_then(|l| l.trim().parse::<u32>().ok());
                if let (Some(index), Some(line)) = (index, line) {
                    function_lines.insert(index.to_string(), line);
                }
            }
            "FNA" => {
                let mut parts = value.splitn(3, ',');
                let index = parts.next().map(str::trim).unwrap_or_default();
                let hits = parts.next().and_then(|h| lcov_hits(h.trim()));
                if let (Some(hits), Some(name)) = (hits, parts.next()) {
                    let line = function_lines.get(index).copied().unwrap_or(0);
                    file.function(name, line, hits);
                }
            }
            _ => {}
        }
    }
    RawCoverage {
        format: CoverageFormat::Lcov,
        files: files.into_raw(),
        base_dirs: Vec::new(),
    }
}

/// `FN:<line>,<name>` or (lcov 1.x with end lines, llvm-cov) `FN:<start>,<end>,<name>`.
/// A name may itself contain commas (`foo(int, int)`).
fn lcov_function(value: &str) -> Option<(u32, &str)> {
    let (line, rest) = value.split_once(',')?;
    let line = line.trim().parse::<u32>().ok()?;
    let name = match rest.split_once(',') {
        Some((end, name)) if !end.is_empty() && end.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => rest,
    };
    (!name.is_empty()).then_some((line, name))
}

/// An LCOV hit count; negative counts (some gcov versions) read as 0.
fn lcov_hits(text: &str) -> Option<u64> {
    if let Ok(n) = text.parse::<u64>() {
        return Some(n);
    }
    if text.parse::<i64>().is_ok() {
        return Some(0);
    }
    // Counts beyond u64 or in exponent form from some converters.
    text.parse::<f64>()
        .ok()
        .filter(|h| !h.is_nan())
        .map(|h| if h > 0.0 { h.ceil() as u64 } else { 0 })
}

// ---------------------------------------------------------------------------------------
// Go coverprofile

/// A block's span: start line, start column, end line, end column.
type Span = (u32, u32, u32, u32);

#[derive(Default)]
struct GoFile {
    path: String,
    /// Span → (statements, most hits any duplicate gives it).
    blocks: HashMap<Span, (u32, u64)>,
}

fn go(text: &str) -> Result<RawCoverage, String> {
    let mut files: Vec<GoFile> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut first_bad: Option<usize> = None;
    let mut blocks = 0usize;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        // Concatenated profiles repeat the mode line.
        if line.is_empty() || line.starts_with("mode:") {
            continue;
        }
        let Some((path, span, statements, hits)) = go_block(line) else {
            first_bad.get_or_insert(number + 1);
            continue;
        };
        blocks += 1;
        let i = *index.entry(path.to_string()).or_insert_with(|| {
            files.push(GoFile {
                path: path.to_string(),
                blocks: HashMap::new(),
            });
            files.len() - 1
        });
        if let Some(file) = files.get_mut(i) {
            let block = file.blocks.entry(span).or_insert((statements, 0));
            block.0 = block.0.max(statements);
            block.1 = block.1.max(hits);
        }
    }
    if let (0, Some(bad)) = (blocks, first_bad) {
        return Err(format!(
            "not a Go coverprofile: line {bad} is not `file:line.column,line.column statements count`"
        ));
    }
    let mut budget = GO_MISSING_BUDGET;
    let files = files
        .into_iter()
        .map(|file| go_file(file, &mut budget))
        .collect();
    Ok(RawCoverage {
        format: CoverageFormat::GoCoverprofile,
        files,
        base_dirs: Vec::new(),
    })
}

/// `path/file.go:12.34,15.2 3 1`. The path is everything before the last colon, so a
/// Windows drive letter survives.
fn go_block(line: &str) -> Option<(&str, Span, u32, u64)> {
    let (rest, hits) = line.rsplit_once(' ')?;
    let (rest, statements) = rest.trim_end().rsplit_once(' ')?;
    let (path, span) = rest.trim_end().rsplit_once(':')?;
    let (start, end) = span.split_once(',')?;
    let (start_line, start_col) = start.split_once('.')?;
    let (end_line, end_col) = end.split_once('.')?;
    let number = |s: &str| s.parse::<u32>().ok();
    let span = (
        number(start_line)?,
        number(start_col)?,
        number(end_line)?,
        number(end_col)?,
    );
    (!path.is_empty()).then_some(())?;
    Some((path, span, number(statements)?, hits.parse::<u64>().ok()?))
}

fn go_file(file: GoFile, budget: &mut usize) -> RawFileCoverage {
    let mut statements = 0u32;
    let mut covered = 0u32;
    let mut covered_spans: Vec<(u64, u64)> = Vec::new();
    let mut uncovered_spans: Vec<(u64, u64)> = Vec::new();
    for (&(start, _, end, _), &(n, hits)) in &file.blocks {
        statements = statements.saturating_add(n);
        let (start, end) = (u64::from(start), u64::from(end.max(start)));
        if hits > 0 {
            covered = covered.saturating_add(n);
            covered_spans.push((start, end));
        } else {
            let end = end.min(start + u64::from(GO_BLOCK_LINES) - 1);
            uncovered_spans.push((start, end));
        }
    }
    RawFileCoverage {
        path: file.path,
        statements,
        covered,
        missing: subtract(merge(uncovered_spans), &merge(covered_spans), budget),
        // Blocks span lines that hold no statement; executed lines are not listed.
        executed: Vec::new(),
        percent: None,
        functions: Vec::new(),
    }
}

/// The spans sorted and merged where they overlap or touch.
fn merge(mut spans: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    spans.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 + 1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// The lines of `spans` outside `holes` (both merged), ascending, at most `budget` of
/// them; the budget is reduced by as many. Work is linear in spans, holes and lines
/// listed, however long the spans.
fn subtract(spans: Vec<(u64, u64)>, holes: &[(u64, u64)], budget: &mut usize) -> Vec<u32> {
    let mut lines = Vec::new();
    let mut holes = holes.iter().peekable();
    for (start, end) in spans {
        let mut line = start.max(1);
        while line <= end {
            while holes.next_if(|&&(_, hole_end)| hole_end < line).is_some() {}
            let stop = match holes.peek() {
                Some(&&(hole_start, hole_end)) if hole_start <= line => {
                    line = hole_end + 1;
                    continue;
                }
                Some(&&(hole_start, _)) => end.min(hole_start - 1),
                None => end,
            };
            for l in line..=stop {
                let Ok(l) = u32::try_from(l) else {
                    break;
                };
                if *budget == 0 {
                    return lines;
                }
                lines.push(l);
                *budget -= 1;
            }
            line = stop + 1;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reader's result with executed lines set aside; `executed_lines_are_listed`
    /// asserts them.
    fn parse(text: &str) -> Result<RawCoverage, String> {
        super::parse(text).map(|mut r| {
            for f in &mut r.files {
                f.executed.clear();
            }
            r
        })
    }

    #[test]
    fn executed_lines_are_listed() {
        let executed = |text: &str| -> Vec<Vec<u32>> {
            super::parse(text)
                .unwrap()
                .files
                .into_iter()
                .map(|f| f.executed)
                .collect()
        };
        assert_eq!(executed(COVERAGE_PY), vec![vec![1, 2, 4, 5], vec![]]);
        assert_eq!(
            executed("SF:a.js\nDA:1,2\nDA:2,0\nDA:3,1\nend_of_record\n"),
            vec![vec![1, 3]]
        );
        assert_eq!(
            executed(
                r#"<coverage><packages><package><classes><class filename="a.py"><lines><line number="1" hits="1"/><line number="2" hits="0"/></lines></class></classes></package></packages></coverage>"#
            ),
            vec![vec![1]]
        );
    }

    fn file(path: &str, statements: u32, covered: u32, missing: &[u32]) -> RawFileCoverage {
        RawFileCoverage {
            path: path.into(),
            statements,
            covered,
            missing: missing.to_vec(),
            executed: Vec::new(),
            percent: None,
            functions: Vec::new(),
        }
    }

    fn functions(list: &[(&str, u32, u64)]) -> Vec<(String, u32, u64)> {
        list.iter()
            .map(|(n, l, c)| (n.to_string(), *l, *c))
            .collect()
    }

    const COVERAGE_PY: &str = r#"{"meta": {"format": 3, "version": "7.6.1", "timestamp": "2024-09-01T10:00:00.000000", "branch_coverage": false, "show_contexts": false},
 "files": {
  "src/pkg/mod.py": {"executed_lines": [1, 2, 4, 5], "summary": {"covered_lines": 4, "num_statements": 6, "percent_covered": 66.66666666666667, "percent_covered_display": "67", "missing_lines": 2, "excluded_lines": 0}, "missing_lines": [7, 6, 7], "excluded_lines": [],
   "functions": {
    "f": {"executed_lines": [5], "summary": {"covered_lines": 1, "num_statements": 1}, "missing_lines": [], "excluded_lines": []},
    "C.m": {"executed_lines": [], "summary": {"covered_lines": 0, "num_statements": 2}, "missing_lines": [7, 6], "excluded_lines": []},
    "": {"executed_lines": [1, 2, 4], "summary": {"covered_lines": 3, "num_statements": 3}, "missing_lines": [], "excluded_lines": []}},
   "classes": {"C": {"executed_lines": [], "missing_lines": [6, 7]}}},
  "src/pkg/__init__.py": {"executed_lines": [], "summary": {"covered_lines": 0, "num_statements": 0, "percent_covered": 100.0, "percent_covered_display": "100", "missing_lines": 0, "excluded_lines": 0}, "missing_lines": [], "excluded_lines": []}
 },
 "totals": {"covered_lines": 4, "num_statements": 6, "percent_covered": 66.66666666666667, "percent_covered_display": "67", "missing_lines": 2, "excluded_lines": 0}}"#;

    #[test]
    fn reads_coverage_py_json_in_report_order() {
        let report = parse(COVERAGE_PY).unwrap();
        assert_eq!(report.format, CoverageFormat::CoveragePyJson);
        assert_eq!(report.base_dirs, Vec::<String>::new());
        let mut module = file("src/pkg/mod.py", 6, 4, &[6, 7]);
        module.percent = Some(66.66666666666667);
        module.functions = functions(&[("f", 5, 1), ("C.m", 6, 0)]);
        let mut init = file("src/pkg/__init__.py", 0, 0, &[]);
        init.percent = Some(100.0);
        assert_eq!(report.files, vec![module, init]);
    }

    #[test]
    fn coverage_py_without_summary_counts_the_line_lists() {
        let json = "\u{feff}  {\"files\": {\"a.py\": {\"executed_lines\": [1, 2, 2], \"missing_lines\": [3, -1, 0, 1.5, \"x\"], \"functions\": null, \"summary\": null},
                     \"b.py\": {\"executed_lines\": null}, \"a.py\": {\"executed_lines\": [9]}}}";
        let report = parse(json).unwrap();
        assert_eq!(
            report.files,
            vec![file("a.py", 3, 2, &[3]), file("b.py", 0, 0, &[])]
        );
    }

    #[test]
    fn json_without_a_files_object_is_unrecognised() {
        assert_eq!(parse(r#"{"totals": {}}"#).unwrap_err(), UNRECOGNISED);
        // istanbul's coverage-final.json
        let istanbul = r#"{"/repo/a.js": {"path": "/repo/a.js", "statementMap": {}, "s": {}}}"#;
        assert_eq!(parse(istanbul).unwrap_err(), UNRECOGNISED);
    }

    #[test]
    fn malformed_json_is_rejected() {
        let err = parse(r#"{"files": {"a.py": {"executed_lines": [1,"#).unwrap_err();
        assert!(
            err.starts_with("the coverage.py JSON report is malformed: "),
            "{err}"
        );
        let err = parse(r#"{"files": [1, 2]}"#).unwrap_err();
        assert!(err.starts_with("the coverage.py JSON report is malformed: "));
    }

    #[test]
    fn deeply_nested_json_is_rejected_not_overflowed() {
        let depth = 100_000;
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let ignored = format!(r#"{{"files": {{"a.py": {{"other": {nested}}}}}}}"#);
        assert_eq!(
            parse(&ignored).unwrap().files,
            vec![file("a.py", 0, 0, &[])]
        );
        let read = format!(r#"{{"files": {{"a.py": {{"executed_lines": {nested}}}}}}}"#);
        let err = parse(&read).unwrap_err();
        assert!(err.contains("recursion limit exceeded"), "{err}");
    }

    const COBERTURA_PY: &str = r#"<?xml version="1.0" ?>
<coverage version="7.6.1" timestamp="1725184800000" lines-valid="6" lines-covered="4" line-rate="0.6667" branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">
	<!-- Generated by coverage.py: https://coverage.readthedocs.io/en/7.6.1 -->
	<!-- Based on https://raw.githubusercontent.com/cobertura/web/master/htdocs/xml/coverage-04.dtd -->
	<sources>
		<source>/home/runner/work/proj/proj/src</source>
		<source>/home/runner/work/proj/proj/src</source>
		<source>lib &amp; more</source>
	</sources>
	<packages>
		<package name="pkg" line-rate="0.6667" branch-rate="0" complexity="0">
			<classes>
				<class name="mod.py" filename="pkg/mod.py" complexity="0" line-rate="0.6667" branch-rate="0">
					<methods/>
					<lines>
						<line number="1" hits="1"/>
						<line number="2" hits="1"/>
						<line number="4" hits="1"/>
						<line number="5" hits="3"/>
						<line number="6" hits="0"/>
						<line number="7" hits="0"/>
					</lines>
				</class>
				<class name="__init__.py" filename="pkg/__init__.py" complexity="0" line-rate="1" branch-rate="0">
					<methods/>
					<lines/>
				</class>
			</classes>
		</package>
	</packages>
</coverage>"#;

    #[test]
    fn reads_coverage_py_cobertura() {
        let report = parse(COBERTURA_PY).unwrap();
        assert_eq!(report.format, CoverageFormat::Cobertura);
        assert_eq!(
            report.base_dirs,
            vec!["/home/runner/work/proj/proj/src", "lib & more"]
        );
        assert_eq!(
            report.files,
            vec![
                file("pkg/mod.py", 6, 4, &[6, 7]),
                file("pkg/__init__.py", 0, 0, &[])
            ]
        );
    }

    #[test]
    fn cobertura_methods_become_functions_without_double_counting_lines() {
        let xml = r#"<coverage lines-valid="4" lines-covered="2" line-rate="0.5">
<sources><source>/repo</source></sources>
<packages><package name="src"><classes>
<class name="sum.js" filename="src/sum.js" line-rate="0.5" branch-rate="1">
<methods>
 <method name="sum" hits="3" signature="()V"><lines><line number="1" hits="3"/><line number="2" hits="1"/></lines></method>
 <method name="(anonymous_1)" hits="0" signature="()V"><lines><line number="5" hits="0"/></lines></method>
 <method name="declared" line="9" hits="0" signature="()V"/>
</methods>
<lines><line number="1" hits="3" branch="false"/><line number="2" hits="3" branch="false"/><line number="5" hits="0" branch="false"/><line number="6" hits="0" branch="true" condition-coverage="0% (0/2)"/></lines>
</class></classes></package></packages></coverage>"#;
        let report = parse(xml).unwrap();
        let mut sum = file("src/sum.js", 4, 2, &[5, 6]);
        sum.functions = functions(&[("sum", 1, 3), ("(anonymous_1)", 5, 0), ("declared", 9, 0)]);
        assert_eq!(report.files, vec![sum]);
        assert_eq!(report.base_dirs, vec!["/repo"]);
    }

    #[test]
    fn cobertura_classes_sharing_a_file_are_merged() {
        let xml = r#"<coverage><packages><package name="com.example"><classes>
<class name="com.example.App" filename="com/example/App.java"><lines><line number="3" hits="0"/><line number="4" hits="1"/></lines></class>
<class name="com.example.Other" filename="com/example/Other.java"><lines><line number="1" hits="0"/></lines></class>
<class name="com.example.App$Inner" filename="com/example/App.java"><lines><line number="3" hits="2"/><line number="10" hits="0"/><line number="0" hits="1"/><line number="x" hits="1"/><line number="11" hits="2.0"/></lines></class>
</classes></package></packages></coverage>"#;
        let report = parse(xml).unwrap();
        assert_eq!(
            report.files,
            vec![
                file("com/example/App.java", 4, 3, &[10]),
                file("com/example/Other.java", 1, 0, &[1]),
            ]
        );
    }

    #[test]
    fn a_cobertura_class_listing_lines_only_under_methods_counts_them() {
        let xml = r#"<coverage><packages><package><classes><class filename="a.c"><methods>
<method name="main"><lines><line number="2" hits="1"/><line number="3" hits="0"/></lines></method>
</methods></class></classes></package></packages></coverage>"#;
        let mut a = file("a.c", 2, 1, &[3]);
        a.functions = functions(&[("main", 2, 1)]);
        assert_eq!(parse(xml).unwrap().files, vec![a]);
    }

    #[test]
    fn reads_classic_cobertura_with_a_doctype() {
        let xml = r#"<?xml version="1.0"?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage line-rate="0.5" branch-rate="0" version="2.1.1" timestamp="1400000000000">
  <sources><source><![CDATA[/repo/src/main/java]]></source><source>  </source></sources>
  <packages><package name="com.example"><classes>
    <class name="com.example.App" filename="com/example/App.java" line-rate="0.5">
      <methods><method name="&lt;init&gt;" signature="()V" line-rate="1"><lines><line number="3" hits="1" branch="false"/></lines></method></methods>
      <lines><line number="3" hits="1" branch="false"/><line number="5" hits="0" branch="false"/></lines>
    </class>
  </classes></package></packages>
</coverage>"#;
        let report = parse(xml).unwrap();
        assert_eq!(report.base_dirs, vec!["/repo/src/main/java"]);
        let mut app = file("com/example/App.java", 2, 1, &[5]);
        app.functions = functions(&[("<init>", 3, 1)]);
        assert_eq!(report.files, vec![app]);
    }

    #[test]
    fn xml_that_is_not_cobertura_is_rejected() {
        assert_eq!(
            parse(r#"<?xml version="1.0"?><report name="jacoco"/>"#).unwrap_err(),
            "not a Cobertura XML report: no <coverage> element"
        );
        let err = parse("<coverage><packages></coverage>").unwrap_err();
        assert!(
            err.starts_with("the Cobertura report is malformed XML at byte "),
            "{err}"
        );
    }

    const LCOV: &str = "TN:
SF:/repo/src/sum.js
FN:1,sum
FN:5,6,(anonymous_1)
FN:8,pair(int, int)
FNDA:3,sum
FNDA:0,(anonymous_1)
FNDA:1,pair(int, int)
FNF:3
FNH:2
DA:1,3
DA:2,3
DA:5,0
DA:6,0,Wc2bLkKcRrzxX1L3Cw5tNQ
BRDA:2,0,0,1
BRF:1
BRH:1
LF:4
LH:2
end_of_record
TN:
SF:src/other.ts
DA:1,1
DA:bad,1
DA:2
end_of_record
SF:/repo/src/sum.js
FN:5,(anonymous_1)
FNDA:4,(anonymous_1)
DA:5,2
DA:7,0
DA:8,-1
end_of_record
";

    #[test]
    fn reads_lcov_merging_repeated_files() {
        let report = parse(LCOV).unwrap();
        assert_eq!(report.format, CoverageFormat::Lcov);
        let mut sum = file("/repo/src/sum.js", 6, 3, &[6, 7, 8]);
        sum.functions = functions(&[
            ("sum", 1, 3),
            ("(anonymous_1)", 5, 4),
            ("pair(int, int)", 8, 1),
        ]);
        assert_eq!(report.files, vec![sum, file("src/other.ts", 1, 1, &[])]);
    }

    #[test]
    fn reads_lcov_2_function_aliases() {
        let text = "SF:a.c\nFNL:0,3,9\nFNA:0,2,main\nFNA:0,2,main_alias\nFNA:7,1,unknown_index\nDA:3,2\nend_of_record\n";
        let mut a = file("a.c", 1, 1, &[]);
        a.functions = functions(&[
            ("main", 3, 2),
            ("main_alias", 3, 2),
            ("unknown_index", 0, 1),
        ]);
        assert_eq!(parse(text).unwrap().files, vec![a]);
    }

    #[test]
    fn lcov_lines_outside_a_record_are_ignored() {
        let text =
            "TN:x\nDA:1,1\nSF:\nDA:2,2\nend_of_record\nSF:b.c\r\nDA:3,0\r\nend_of_record\r\n";
        assert_eq!(parse(text).unwrap().files, vec![file("b.c", 1, 0, &[3])]);
    }

    const GO_PROFILE: &str = "mode: set
example.com/mod/pkg/calc.go:5.24,7.2 1 1
example.com/mod/pkg/calc.go:9.28,10.12 1 1
example.com/mod/pkg/calc.go:10.12,12.3 1 0
example.com/mod/pkg/calc.go:13.2,13.10 1 1
example.com/mod/main.go:3.13,5.2 2 0
";

    #[test]
    fn reads_a_go_coverprofile() {
        let report = parse(GO_PROFILE).unwrap();
        assert_eq!(report.format, CoverageFormat::GoCoverprofile);
        assert_eq!(
            report.files,
            vec![
                // Line 10 holds the end of a covered block: not missing.
                file("example.com/mod/pkg/calc.go", 4, 3, &[11, 12]),
                file("example.com/mod/main.go", 2, 0, &[3, 4, 5]),
            ]
        );
    }

    #[test]
    fn go_duplicate_blocks_from_concatenated_profiles_merge() {
        let text = "mode: count\na.go:1.1,3.2 2 0\nb.go:1.1,1.5 1 0\nmode: count\na.go:1.1,3.2 2 5\n\na.go:5.1,6.2 1 0\n";
        let report = parse(text).unwrap();
        assert_eq!(
            report.files,
            vec![file("a.go", 3, 2, &[5, 6]), file("b.go", 1, 0, &[1])]
        );
    }

    #[test]
    fn go_paths_keep_windows_drive_letters() {
        let text = "mode: atomic\nC:\\src\\a.go:1.1,2.2 1 18446744073709551615\n";
        assert_eq!(
            parse(text).unwrap().files,
            vec![file("C:\\src\\a.go", 1, 1, &[])]
        );
    }

    #[test]
    fn a_huge_go_block_lists_only_its_first_lines() {
        let text = "mode: set\na.go:1.1,4000000000.2 1 0\nb.go:4294967295.1,4294967295.2 1 0\n";
        let report = parse(text).unwrap();
        let a = &report.files[0];
        assert_eq!(a.missing.len(), GO_BLOCK_LINES as usize);
        assert_eq!(a.missing.first(), Some(&1));
        assert_eq!(a.missing.last(), Some(&GO_BLOCK_LINES));
        assert_eq!(report.files[1].missing, vec![u32::MAX]);
    }

    #[test]
    fn go_missing_lines_stop_at_the_budget() {
        let mut text = String::from("mode: set\n");
        let files = GO_MISSING_BUDGET / GO_BLOCK_LINES as usize + 5;
        for i in 0..files {
            text.push_str(&format!("f{i}.go:1.1,99999.1 1 0\n"));
        }
        let report = parse(&text).unwrap();
        let listed: usize = report.files.iter().map(|f| f.missing.len()).sum();
        assert_eq!(listed, GO_MISSING_BUDGET);
        assert_eq!(report.files.len(), files);
        assert!(report.files.iter().all(|f| f.statements == 1));
    }

    #[test]
    fn go_missing_lines_skip_many_covered_holes() {
        let mut text = String::from("mode: set\na.go:1.1,10000.1 1 0\n");
        for line in (2..10_000).step_by(2) {
            text.push_str(&format!("a.go:{line}.1,{line}.9 1 1\n"));
        }
        let report = parse(&text).unwrap();
        let expected: Vec<u32> = (1..10_000).step_by(2).chain([10_000]).collect();
        assert_eq!(report.files[0].missing, expected);
    }

    #[test]
    fn go_profile_errors() {
        assert_eq!(
            parse("mode: set\ngarbage here\n").unwrap_err(),
            "not a Go coverprofile: line 2 is not `file:line.column,line.column statements count`"
        );
        assert_eq!(parse("mode: set\n").unwrap().files, vec![]);
        // A bad line among good ones is skipped.
        let report = parse("mode: set\na.go:1.1,1.2 1 1\na.go:1.x,1.2 1 1\n").unwrap();
        assert_eq!(report.files, vec![file("a.go", 1, 1, &[])]);
    }

    #[test]
    fn unknown_text_is_unrecognised() {
        for text in ["", "   \n", "hello world", "[1, 2]", "DA:1,1\n"] {
            assert_eq!(parse(text).unwrap_err(), UNRECOGNISED, "{text:?}");
        }
    }

    #[test]
    fn merge_and_subtract_handle_touching_and_nested_spans() {
        assert_eq!(
            merge(vec![(5, 6), (1, 2), (3, 3), (8, 9), (8, 8)]),
            vec![(1, 3), (5, 6), (8, 9)]
        );
        let mut budget = 100;
        assert_eq!(
            subtract(vec![(1, 10)], &[(0, 1), (3, 4), (9, 20)], &mut budget),
            vec![2, 5, 6, 7, 8]
        );
        assert_eq!(budget, 95);
        let mut budget = 2;
        assert_eq!(subtract(vec![(1, 10)], &[], &mut budget), vec![1, 2]);
        assert_eq!(budget, 0);
    }
}
