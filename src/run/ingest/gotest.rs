//! `go test -json` (test2json) output read into one [`CaseResult`] per test that
//! finished — passed, failed or skipped — with subtests (`TestA/sub`) as cases of their
//! own; the classname is the package.
//!
//! A package that failed without any failing test (it did not build, its setup failed,
//! `TestMain` exited, the binary timed out) becomes one Errored case named `""` whose
//! detail is the package's output, including Go 1.24's `build-output` events.
//!
//! The message of a failed or skipped case is the first output line with a Go source
//! location (`calc_test.go:12: got 1, want 2`), whose file and line the case takes; else
//! the first `panic:` line; else the first other line. `t.Log` lines look the same as
//! `t.Error` lines, so a logged line before the failure is taken for it. Lines that
//! are not JSON (the compiler's stderr mixed in) are ignored.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::{CappedText, DETAIL_CAP, MESSAGE_CAP, nullable, seconds, truncate_chars};
use crate::run::model::{CaseResult, CaseStatus};

/// Reads `go test -json` output.
pub fn parse(text: &str) -> Result<Vec<CaseResult>, String> {
    let mut run = Run::default();
    let mut events = 0usize;
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with('{') {
            continue;
        }
        let Ok(event) = serde_json::from_str::<TestEvent>(line) else {
            continue;
        };
        if event.action.is_empty() {
            continue;
        }
        events += 1;
        run.event(event);
    }
    if events == 0 {
        return Err("not `go test -json` output: no line is a test2json event".into());
    }
    Ok(run.finish())
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct TestEvent {
    #[serde(deserialize_with = "nullable")]
    action: String,
    #[serde(deserialize_with = "nullable")]
    package: String,
    #[serde(deserialize_with = "nullable")]
    test: String,
    elapsed: Option<f64>,
    #[serde(deserialize_with = "nullable")]
    output: String,
    /// Go 1.24+ build events name the package this way: `pkg [pkg.test]`.
    #[serde(deserialize_with = "nullable")]
    import_path: String,
}

/// A test, or (with `test` empty) a package's own events.
struct Entry {
    package: String,
    test: String,
    status: Option<CaseStatus>,
    seconds: Option<f64>,
    output: CappedText,
    message: Message,
}

#[derive(Default)]
struct Run {
    entries: Vec<Entry>,
    index: HashMap<(String, String), usize>,
}

impl Run {
    fn entry(&mut self, package: &str, test: &str) -> Option<&mut Entry> {
        let key = (package.to_string(), test.to_string());
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                // A package's entry comes before its tests'.
                if !test.is_empty() {
                    self.entry(package, "");
                }
                let i = self.entries.len();
                self.entries.push(Entry {
                    package: package.to_string(),
                    test: test.to_string(),
                    status: None,
                    seconds: None,
                    output: CappedText::new(DETAIL_CAP),
                    message: Message::default(),
                });
                self.index.insert(key, i);
                i
            }
        };
        self.entries.get_mut(i)
    }

    fn event(&mut self, event: TestEvent) {
        let package = if event.action.starts_with("build-") {
            // "example.com/pkg [example.com/pkg.test]" → "example.com/pkg"
            let path = &event.import_path;
            path.split_once(" [").map_or(path.as_str(), |(p, _)| p)
        } else {
            event.package.as_str()
        };
        let Some(entry) = self.entry(package, &event.test) else {
            return;
        };
        match event.action.as_str() {
            "output" | "build-output" => entry.output(&event.output),
            "pass" | "fail" | "skip" => {
                entry.status = Some(match event.action.as_str() {
                    "pass" => CaseStatus::Passed,
                    "fail" => CaseStatus::Failed,
                    _ => CaseStatus::Skipped,
                });
                entry.seconds = event.elapsed.and_then(seconds);
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Vec<CaseResult> {
        let mut packages_with_failed_tests = HashSet::new();
        // (package, parent test) → its first failed subtest.
        let mut failed_subtests: HashMap<(String, String), String> = HashMap::new();
        for entry in &self.entries {
            if entry.test.is_empty() || entry.status != Some(CaseStatus::Failed) {
                continue;
            }
            packages_with_failed_tests.insert(entry.package.clone());
            if let Some((parent, _)) = entry.test.rsplit_once('/') {
                failed_subtests
                    .entry((entry.package.clone(), parent.to_string()))
                    .or_insert_with(|| entry.test.clone());
            }
        }
        let mut cases = Vec::new();
        for entry in std::mem::take(&mut self.entries) {
            let Some(status) = entry.status else {
                continue;
            };
            let package_level = entry.test.is_empty();
            let status = match (package_level, status) {
                (false, status) => status,
                (true, CaseStatus::Failed)
                    if !packages_with_failed_tests.contains(&entry.package) =>
                {
                    CaseStatus::Errored
                }
                (true, _) => continue,
            };
            let key = (entry.package, entry.test);
            let mut case = CaseResult {
                file: None,
                classname: key.0.clone(),
                name: key.1.clone(),
                line: None,
                status,
                message: String::new(),
                detail: String::new(),
                seconds: entry.seconds,
            };
            if status != CaseStatus::Passed {
                let subtest = match status {
                    CaseStatus::Failed => failed_subtests.remove(&key),
                    _ => None,
                };
                entry.message.apply(&mut case, subtest);
            }
            if matches!(status, CaseStatus::Failed | CaseStatus::Errored) {
                case.detail = entry.output.finish();
            }
            cases.push(case);
        }
        cases
    }
}

impl Entry {
    fn output(&mut self, output: &str) {
        for line in output.split_inclusive('\n') {
            let trimmed = line.trim();
            if trimmed.starts_with("=== ") {
                continue;
            }
            self.message.see(trimmed);
            self.output.push(line);
        }
    }
}

/// The candidates for a case's message, best first, as output arrives.
#[derive(Default)]
struct Message {
    /// A line with a Go source location, and that location.
    located: Option<(String, String, u32)>,
    panic: Option<String>,
    other: Option<String>,
    /// A `--- FAIL:` or `FAIL pkg [build failed]` line: the runner's own words.
    framing: Option<String>,
}

impl Message {
    fn see(&mut self, line: &str) {
        if line.is_empty() {
            return;
        }
        let keep = |line: &str| truncate_chars(line, MESSAGE_CAP);
        if framing(line) {
            self.framing.get_or_insert_with(|| keep(line));
            return;
        }
        if self.located.is_none() {
            if let Some((file, number)) = location(line) {
                self.located = Some((keep(line), file.to_string(), number));
                return;
            }
        }
        if line.starts_with("panic:") {
            self.panic.get_or_insert_with(|| keep(line));
        }
        self.other.get_or_insert_with(|| keep(line));
    }

    /// Sets the case's message (and location, when a line gave one). A failed test
    /// whose only output is its subtests' is described by its first failed subtest.
    fn apply(&self, case: &mut CaseResult, failed_subtest: Option<String>) {
        if let Some((message, file, line)) = &self.located {
            case.message = message.clone();
            case.file = Some(file.clone());
            case.line = Some(*line);
            return;
        }
        let subtest = failed_subtest.map(|t| format!("subtest {t} failed"));
        case.message = self
            .panic
            .clone()
            .or_else(|| self.other.clone())
            .or(subtest)
            .or_else(|| self.framing.clone())
            .unwrap_or_default();
    }
}

/// Lines the go tool and the testing package frame a run with.
fn framing(line: &str) -> bool {
    [
        "--- ",
        "FAIL\t",
        "ok  \t",
        "# ",
        "coverage:",
        "exit status ",
    ]
    .iter()
    .any(|p| line.starts_with(p))
        || line == "FAIL"
        || line == "PASS"
}

/// The file and line of `file.go:12: …` or `./dir/file.go:12:5: …`.
fn location(line: &str) -> Option<(&str, u32)> {
    let end = line.find(".go:")? + ".go".len();
    let file = line.get(..end)?;
    if file.contains(char::is_whitespace) {
        return None;
    }
    let rest = line.get(end + 1..)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let number = rest.get(..digits)?.parse::<u32>().ok()?;
    rest.get(digits..)?
        .starts_with(':')
        .then_some((file, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = r#"{"Time":"2024-05-01T10:00:00.1Z","Action":"start","Package":"example.com/mod/calc"}
{"Time":"2024-05-01T10:00:00.2Z","Action":"run","Package":"example.com/mod/calc","Test":"TestAdd"}
{"Time":"2024-05-01T10:00:00.2Z","Action":"output","Package":"example.com/mod/calc","Test":"TestAdd","Output":"=== RUN   TestAdd\n"}
{"Time":"2024-05-01T10:00:00.2Z","Action":"output","Package":"example.com/mod/calc","Test":"TestAdd","Output":"--- PASS: TestAdd (0.00s)\n"}
{"Time":"2024-05-01T10:00:00.2Z","Action":"pass","Package":"example.com/mod/calc","Test":"TestAdd","Elapsed":0}
{"Time":"2024-05-01T10:00:00.3Z","Action":"run","Package":"example.com/mod/calc","Test":"TestDiv"}
{"Time":"2024-05-01T10:00:00.3Z","Action":"output","Package":"example.com/mod/calc","Test":"TestDiv","Output":"=== RUN   TestDiv\n"}
{"Time":"2024-05-01T10:00:00.3Z","Action":"output","Package":"example.com/mod/calc","Test":"TestDiv","Output":"    calc_test.go:14: Div(1, 0) = 0, want error\n"}
{"Time":"2024-05-01T10:00:00.3Z","Action":"output","Package":"example.com/mod/calc","Test":"TestDiv","Output":"    calc_test.go:15: second complaint\n"}
{"Time":"2024-05-01T10:00:00.3Z","Action":"output","Package":"example.com/mod/calc","Test":"TestDiv","Output":"--- FAIL: TestDiv (0.02s)\n"}
{"Time":"2024-05-01T10:00:00.3Z","Action":"fail","Package":"example.com/mod/calc","Test":"TestDiv","Elapsed":0.02}
{"Time":"2024-05-01T10:00:00.4Z","Action":"run","Package":"example.com/mod/calc","Test":"TestTable"}
{"Time":"2024-05-01T10:00:00.4Z","Action":"output","Package":"example.com/mod/calc","Test":"TestTable","Output":"=== RUN   TestTable\n"}
{"Time":"2024-05-01T10:00:00.4Z","Action":"run","Package":"example.com/mod/calc","Test":"TestTable/neg"}
{"Time":"2024-05-01T10:00:00.4Z","Action":"output","Package":"example.com/mod/calc","Test":"TestTable/neg","Output":"=== RUN   TestTable/neg\n"}
{"Time":"2024-05-01T10:00:00.4Z","Action":"output","Package":"example.com/mod/calc","Test":"TestTable/neg","Output":"    calc_test.go:25: got -1, want 1\n"}
{"Time":"2024-05-01T10:00:00.4Z","Action":"output","Package":"example.com/mod/calc","Test":"TestTable/neg","Output":"    --- FAIL: TestTable/neg (0.00s)\n"}
{"Time":"2024-05-01T10:00:00.4Z","Action":"fail","Package":"example.com/mod/calc","Test":"TestTable/neg","Elapsed":0}
{"Time":"2024-05-01T10:00:00.4Z","Action":"output","Package":"example.com/mod/calc","Test":"TestTable","Output":"--- FAIL: TestTable (0.00s)\n"}
{"Time":"2024-05-01T10:00:00.4Z","Action":"fail","Package":"example.com/mod/calc","Test":"TestTable","Elapsed":0}
{"Time":"2024-05-01T10:00:00.5Z","Action":"run","Package":"example.com/mod/calc","Test":"TestNetwork"}
{"Time":"2024-05-01T10:00:00.5Z","Action":"output","Package":"example.com/mod/calc","Test":"TestNetwork","Output":"=== RUN   TestNetwork\n"}
{"Time":"2024-05-01T10:00:00.5Z","Action":"output","Package":"example.com/mod/calc","Test":"TestNetwork","Output":"    calc_test.go:30: needs network\n"}
{"Time":"2024-05-01T10:00:00.5Z","Action":"output","Package":"example.com/mod/calc","Test":"TestNetwork","Output":"--- SKIP: TestNetwork (0.00s)\n"}
{"Time":"2024-05-01T10:00:00.5Z","Action":"skip","Package":"example.com/mod/calc","Test":"TestNetwork","Elapsed":0}
{"Time":"2024-05-01T10:00:00.6Z","Action":"output","Package":"example.com/mod/calc","Output":"FAIL\n"}
{"Time":"2024-05-01T10:00:00.6Z","Action":"output","Package":"example.com/mod/calc","Output":"FAIL\texample.com/mod/calc\t0.512s\n"}
{"Time":"2024-05-01T10:00:00.6Z","Action":"fail","Package":"example.com/mod/calc","Elapsed":0.512}
"#;

    fn case(name: &str, status: CaseStatus) -> CaseResult {
        CaseResult {
            file: None,
            classname: "example.com/mod/calc".into(),
            name: name.into(),
            line: None,
            status,
            message: String::new(),
            detail: String::new(),
            seconds: Some(0.0),
        }
    }

    #[test]
    fn reads_a_run_with_passes_failures_subtests_and_skips() {
        let cases = parse(RUN).unwrap();
        let add = case("TestAdd", CaseStatus::Passed);
        let mut div = case("TestDiv", CaseStatus::Failed);
        div.seconds = Some(0.02);
        div.message = "calc_test.go:14: Div(1, 0) = 0, want error".into();
        div.file = Some("calc_test.go".into());
        div.line = Some(14);
        div.detail = "calc_test.go:14: Div(1, 0) = 0, want error\n    calc_test.go:15: second complaint\n--- FAIL: TestDiv (0.02s)".into();
        let mut neg = case("TestTable/neg", CaseStatus::Failed);
        neg.message = "calc_test.go:25: got -1, want 1".into();
        neg.file = Some("calc_test.go".into());
        neg.line = Some(25);
        neg.detail = "calc_test.go:25: got -1, want 1\n    --- FAIL: TestTable/neg (0.00s)".into();
        let mut table = case("TestTable", CaseStatus::Failed);
        table.message = "subtest TestTable/neg failed".into();
        table.detail = "--- FAIL: TestTable (0.00s)".into();
        let mut network = case("TestNetwork", CaseStatus::Skipped);
        network.message = "calc_test.go:30: needs network".into();
        network.file = Some("calc_test.go".into());
        network.line = Some(30);
        assert_eq!(cases, vec![add, div, table, neg, network]);
    }

    #[test]
    fn a_build_failure_is_one_errored_case_for_the_package() {
        let text = r##"{"ImportPath":"example.com/mod/broken [example.com/mod/broken.test]","Action":"build-output","Output":"# example.com/mod/broken [example.com/mod/broken.test]\n"}
{"ImportPath":"example.com/mod/broken [example.com/mod/broken.test]","Action":"build-output","Output":"broken/x_test.go:7:2: undefined: Frob\n"}
{"ImportPath":"example.com/mod/broken [example.com/mod/broken.test]","Action":"build-fail"}
{"Time":"2024-05-01T10:00:00Z","Action":"start","Package":"example.com/mod/broken"}
{"Time":"2024-05-01T10:00:00Z","Action":"output","Package":"example.com/mod/broken","Output":"FAIL\texample.com/mod/broken [build failed]\n"}
{"Time":"2024-05-01T10:00:00Z","Action":"fail","Package":"example.com/mod/broken","Elapsed":0,"FailedBuild":"example.com/mod/broken [example.com/mod/broken.test]"}
"##;
        let cases = parse(text).unwrap();
        assert_eq!(
            cases,
            vec![CaseResult {
                file: Some("broken/x_test.go".into()),
                classname: "example.com/mod/broken".into(),
                name: String::new(),
                line: Some(7),
                status: CaseStatus::Errored,
                message: "broken/x_test.go:7:2: undefined: Frob".into(),
                detail: "# example.com/mod/broken [example.com/mod/broken.test]\nbroken/x_test.go:7:2: undefined: Frob\nFAIL\texample.com/mod/broken [build failed]".into(),
                seconds: Some(0.0),
            }]
        );
    }

    #[test]
    fn an_old_style_build_failure_uses_the_fail_line_and_ignores_stderr() {
        let text = "# example.com/mod/old\nold/x.go:3:1: syntax error: unexpected }\n{\"Action\":\"output\",\"Package\":\"example.com/mod/old\",\"Output\":\"FAIL\\texample.com/mod/old [setup failed]\\n\"}\n{\"Action\":\"fail\",\"Package\":\"example.com/mod/old\",\"Elapsed\":0}\n";
        let cases = parse(text).unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].name, "");
        assert_eq!(cases[0].status, CaseStatus::Errored);
        assert_eq!(cases[0].message, "FAIL\texample.com/mod/old [setup failed]");
        assert_eq!(cases[0].file, None);
    }

    #[test]
    fn a_timeout_fails_the_package_and_drops_unfinished_tests() {
        let text = r#"{"Action":"run","Package":"p","Test":"TestSlow"}
{"Action":"output","Package":"p","Test":"TestSlow","Output":"=== RUN   TestSlow\n"}
{"Action":"output","Package":"p","Output":"panic: test timed out after 1s\n"}
{"Action":"output","Package":"p","Output":"\trunning tests:\n\t\tTestSlow (1s)\n"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t1.010s\n"}
{"Action":"fail","Package":"p","Elapsed":1.01}
"#;
        let cases = parse(text).unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].classname, "p");
        assert_eq!(cases[0].name, "");
        assert_eq!(cases[0].status, CaseStatus::Errored);
        assert_eq!(cases[0].message, "panic: test timed out after 1s");
        assert_eq!(cases[0].seconds, Some(1.01));
        assert!(
            cases[0]
                .detail
                .starts_with("panic: test timed out after 1s\n\trunning tests:")
        );
    }

    #[test]
    fn a_panicking_test_takes_the_panic_line() {
        let text = r#"{"Action":"output","Package":"p","Test":"TestBoom","Output":"=== RUN   TestBoom\n"}
{"Action":"output","Package":"p","Test":"TestBoom","Output":"--- FAIL: TestBoom (0.00s)\n"}
{"Action":"output","Package":"p","Test":"TestBoom","Output":"panic: runtime error: index out of range [3] with length 0 [recovered]\n"}
{"Action":"output","Package":"p","Test":"TestBoom","Output":"\t/home/u/p/p_test.go:9 +0x1d\n"}
{"Action":"fail","Package":"p","Test":"TestBoom","Elapsed":0}
{"Action":"fail","Package":"p","Elapsed":0.1}
"#;
        let cases = parse(text).unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(
            cases[0].message,
            "panic: runtime error: index out of range [3] with length 0 [recovered]"
        );
        assert_eq!(cases[0].line, None);
    }

    #[test]
    fn output_is_capped() {
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(&format!(
                "{{\"Action\":\"output\",\"Package\":\"p\",\"Test\":\"TestLoud\",\"Output\":\"line {i} of noise\\n\"}}\n"
            ));
        }
        text.push_str(r#"{"Action":"fail","Package":"p","Test":"TestLoud"}"#);
        let cases = parse(&text).unwrap();
        assert_eq!(cases[0].detail.chars().count(), DETAIL_CAP + 1);
        assert_eq!(cases[0].message, "line 0 of noise");
        assert_eq!(cases[0].seconds, None);
    }

    #[test]
    fn ignores_lines_that_are_not_events() {
        let text = "go: downloading example.com/x v1.0.0\n{not json}\n{\"Time\":\"x\"}\n{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\",\"Elapsed\":-1}\n{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestB\",\"Elapsed\":\"soon\"}\n";
        let cases = parse(text).unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].name, "TestA");
        assert_eq!(cases[0].seconds, None);
    }

    #[test]
    fn rejects_text_without_events() {
        let err = "not `go test -json` output: no line is a test2json event";
        assert_eq!(parse("").unwrap_err(), err);
        assert_eq!(parse("ok  \texample.com/p\t0.1s\n").unwrap_err(), err);
        assert_eq!(parse("{\"Package\":\"p\"}").unwrap_err(), err);
    }

    #[test]
    fn finds_go_source_locations() {
        assert_eq!(location("x_test.go:12: boom"), Some(("x_test.go", 12)));
        assert_eq!(
            location("./a/b.go:3:2: undefined: y"),
            Some(("./a/b.go", 3))
        );
        assert_eq!(location("C:\\src\\b.go:3: x"), Some(("C:\\src\\b.go", 3)));
        assert_eq!(location("/abs/x_test.go:9 +0x1d"), None);
        assert_eq!(location("see x.go:a: b"), None);
        assert_eq!(location("x.go:"), None);
    }
}
