//! `cargo test` output (libtest's human format) read into one [`CaseResult`] per
//! `test NAME ... RESULT` line: unit, integration and doc tests and benchmarks.
//!
//! The classname is the test binary's source as cargo announces it (`src/lib.rs`,
//! `tests/cli.rs`, `doc-tests greenlight`). A failed test's detail is its block in the
//! `failures:` section; its message is the panic's message (the line after
//! `thread '…' panicked at src/lib.rs:10:5:`, or the quoted text of the pre-1.73
//! format), and the panic location gives its file and line. A doc test's file and line
//! are the ones in its name. A test listed as failed without a result line (`-q`
//! output) is still a failed case. Output from tests run with `--nocapture` can break
//! result lines apart; such lines are skipped. A compile error yields no cases.

use std::collections::HashMap;

use super::{CappedText, DETAIL_CAP, MESSAGE_CAP, first_line, seconds, strip_ansi, truncate_chars};
use crate::run::model::{CaseResult, CaseStatus};

/// Reads `cargo test` output; text that holds no test results gives no cases.
pub fn parse(output: &str) -> Vec<CaseResult> {
    let mut parser = Parser::default();
    for line in output.lines() {
        parser.line(strip_ansi(line).trim_end());
    }
    parser.end_block();
    parser.cases
}

#[derive(Default, PartialEq)]
enum Section {
    #[default]
    Tests,
    /// `failures:` — stdout blocks, then the list of failed names.
    Failures,
    /// `successes:` (`--show-output`): passing tests' output, not kept.
    Successes,
}

#[derive(Default)]
struct Parser {
    cases: Vec<CaseResult>,
    /// The binary being run: its source, as cargo names it.
    binary: String,
    /// Test name → index in `cases`, for the binary being run.
    by_name: HashMap<String, usize>,
    section: Section,
    block: Option<Block>,
}

/// One `---- NAME stdout ----` block of the failures section.
struct Block {
    name: String,
    text: CappedText,
    location: Option<(String, u32)>,
    message: Option<String>,
    /// The previous line was a panic header whose message follows on the next line.
    message_next: bool,
    first: Option<String>,
}

impl Parser {
    fn line(&mut self, line: &str) {
        let trimmed = line.trim_start();
        if let Some(binary) = binary(trimmed) {
            self.end_block();
            self.binary = binary;
            self.section = Section::Tests;
            return;
        }
        let running = trimmed
            .strip_prefix("running ")
            .is_some_and(|r| r.ends_with(" test") || r.ends_with(" tests"));
        if running {
            self.end_block();
            self.by_name.clear();
            self.section = Section::Tests;
            return;
        }
        if trimmed.starts_with("test result: ") {
            self.end_block();
            self.section = Section::Tests;
            return;
        }
        match line {
            "failures:" => {
                self.end_block();
                self.section = Section::Failures;
                return;
            }
            "successes:" => {
                self.end_block();
                self.section = Section::Successes;
                return;
            }
            _ => {}
        }
        match self.section {
            Section::Tests => {
                if let Some(case) = self.result(line) {
                    self.add(case);
                }
            }
            Section::Successes => {}
            Section::Failures => self.failure_line(line),
        }
    }

    fn add(&mut self, case: CaseResult) {
        self.by_name.insert(case.name.clone(), self.cases.len());
        self.cases.push(case);
    }

    /// A case from `test NAME ... RESULT`.
    fn result(&self, line: &str) -> Option<CaseResult> {
        let (name, result) = line.strip_prefix("test ")?.split_once(" ... ")?;
        let name = name.strip_suffix(" - should panic").unwrap_or(name);
        let (result, time) = match result.rsplit_once(" <") {
            Some((result, time)) if time.ends_with("s>") => (result, time),
            _ => (result, ""),
        };
        let (status, message) = match result {
            "ok" => (CaseStatus::Passed, ""),
            "ignored" => (CaseStatus::Skipped, ""),
            r if r.starts_with("FAILED") => (CaseStatus::Failed, ""),
            r if r.starts_with("bench:") => (CaseStatus::Passed, ""),
            r => (CaseStatus::Skipped, r.strip_prefix("ignored, ")?),
        };
        let (file, line) = match doc_test(name) {
            Some((file, line)) => (Some(file.to_string()), Some(line)),
            None => (None, None),
        };
        Some(CaseResult {
            file,
            classname: self.binary.clone(),
            name: name.to_string(),
            line,
            status,
            message: truncate_chars(message, MESSAGE_CAP),
            detail: String::new(),
            seconds: time
                .strip_suffix("s>")
                .and_then(|t| t.parse().ok())
                .and_then(seconds),
        })
    }

    fn failure_line(&mut self, line: &str) {
        if let Some(header) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" ----"))
        {
            self.end_block();
            let name = header
                .strip_suffix(" stdout")
                .or_else(|| header.strip_suffix(" stderr"))
                .unwrap_or(header);
            self.block = Some(Block::new(name));
            return;
        }
        if let Some(block) = self.block.as_mut() {
            block.line(line);
            return;
        }
        // The closing list of failed names.
        if let Some(name) = line.strip_prefix("    ").filter(|n| !n.trim().is_empty()) {
            let name = name.trim();
            if !self.by_name.contains_key(name) {
                self.add(self.failed(name));
            }
        }
    }

    fn failed(&self, name: &str) -> CaseResult {
        let (file, line) = match doc_test(name) {
            Some((file, line)) => (Some(file.to_string()), Some(line)),
            None => (None, None),
        };
        CaseResult {
            file,
            classname: self.binary.clone(),
            name: name.to_string(),
            line,
            status: CaseStatus::Failed,
            message: String::new(),
            detail: String::new(),
            seconds: None,
        }
    }

    fn end_block(&mut self) {
        let Some(block) = self.block.take() else {
            return;
        };
        let i = match self.by_name.get(&block.name) {
            Some(&i) => i,
            None => {
                self.add(self.failed(&block.name));
                self.cases.len() - 1
            }
        };
        let Some(case) = self.cases.get_mut(i) else {
            return;
        };
        if case.status != CaseStatus::Failed {
            return;
        }
        case.message = block
            .message
            .or(block.first)
            .map(|m| truncate_chars(&m, MESSAGE_CAP))
            .unwrap_or_default();
        if let Some((file, line)) = block.location {
            case.file = Some(file);
            case.line = Some(line);
        }
        case.detail = block.text.finish();
    }
}

impl Block {
    fn new(name: &str) -> Block {
        Block {
            name: name.to_string(),
            text: CappedText::new(DETAIL_CAP),
            location: None,
            message: None,
            message_next: false,
            first: None,
        }
    }

    fn line(&mut self, line: &str) {
        if line.starts_with("note: run with `RUST_BACKTRACE=") {
            return;
        }
        self.text.push(line);
        self.text.push("\n");
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return;
        }
        if self.message_next {
            self.message_next = false;
            self.message = Some(trimmed.to_string());
            return;
        }
        if self.first.is_none() {
            self.first = Some(first_line(trimmed));
        }
        if self.location.is_some() || self.message.is_some() {
            return;
        }
        let Some(panic) = panic_header(trimmed) else {
            return;
        };
        match panic {
            Panic::MessageNext(location) => {
                self.location = location;
                self.message_next = true;
            }
            Panic::Quoted(message, location) => {
                self.location = location;
                self.message = Some(message.to_string());
            }
        }
    }
}

enum Panic<'a> {
    /// `thread 'x' panicked at src/lib.rs:10:5:` — the message is on the next line.
    MessageNext(Option<(String, u32)>),
    /// `thread 'x' panicked at 'message', src/lib.rs:10:5` (before Rust 1.73).
    Quoted(&'a str, Option<(String, u32)>),
}

fn panic_header(line: &str) -> Option<Panic<'_>> {
    if !line.starts_with("thread '") {
        return None;
    }
    let (_, rest) = line.split_once(" panicked at ")?;
    if let Some(quoted) = rest.strip_prefix('\'') {
        let (message, location) = quoted.rsplit_once("', ").unwrap_or((quoted, ""));
        return Some(Panic::Quoted(message, rust_location(location)));
    }
    let location = rest.strip_suffix(':').unwrap_or(rest);
    Some(Panic::MessageNext(rust_location(location)))
}

/// The file and line of `src/lib.rs:10:5`.
fn rust_location(text: &str) -> Option<(String, u32)> {
    let (rest, _column) = text.rsplit_once(':')?;
    let (file, line) = rest.rsplit_once(':')?;
    let line = line.parse().ok()?;
    (!file.is_empty()).then(|| (file.to_string(), line))
}

/// The source a `Running` or `Doc-tests` line announces.
fn binary(line: &str) -> Option<String> {
    if let Some(krate) = line.strip_prefix("Doc-tests ") {
        return Some(format!("doc-tests {}", krate.trim()));
    }
    let target = line.strip_prefix("Running ")?;
    let target = target.strip_prefix("unittests ").unwrap_or(target);
    let source = target.split_once(" (").map_or(target, |(source, _)| source);
    Some(source.trim().to_string())
}

/// The file and line of a doc test named `src/lib.rs - foo::bar (line 12)`.
fn doc_test(name: &str) -> Option<(&str, u32)> {
    let (file, rest) = name.split_once(" - ")?;
    let (_, after) = rest.rsplit_once("(line ")?;
    let (line, _) = after.split_once(')')?;
    Some((file, line.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "   Compiling greenlight v0.1.0 (/work/main)
    Finished `test` profile [unoptimized + debuginfo] target(s) in 5.00s
     Running unittests src/lib.rs (target/debug/deps/greenlight-0123abcd)

running 5 tests
test run::tests::adds ... ok
test run::tests::fails ... FAILED
test run::tests::slow ... ignored, needs a database
test run::tests::later ... ignored
test run::tests::panics_ok - should panic ... ok

failures:

---- run::tests::fails stdout ----
starting up

thread 'run::tests::fails' panicked at src/run/mod.rs:10:5:
assertion `left == right` failed
  left: 1
 right: 2
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    run::tests::fails

test result: FAILED. 2 passed; 1 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s

     Running tests/cli.rs (target/debug/deps/cli-4567)

running 2 tests
test old_style ... FAILED
test adds ... ok <0.250s>

failures:

---- old_style stdout ----
thread 'old_style' panicked at 'called `Option::unwrap()` on a `None` value', tests/cli.rs:7:9

failures:
    old_style

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.26s

   Doc-tests greenlight

running 3 tests
test src/lib.rs - audit (line 40) ... ok
test src/run/mod.rs - run::Runner (line 12) - compile fail ... ok
test src/lib.rs - load_policy (line 60) ... FAILED

failures:

---- src/lib.rs - load_policy (line 60) stdout ----
error[E0425]: cannot find value `x` in this scope
 --> src/lib.rs:61:1
  |
3 | x
  | ^ not found in this scope

error: aborting due to 1 previous error

Couldn't compile the test.

failures:
    src/lib.rs - load_policy (line 60)

test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.30s
";

    fn case(classname: &str, name: &str, status: CaseStatus) -> CaseResult {
        CaseResult::new(classname, name, status)
    }

    #[test]
    fn reads_unit_integration_and_doc_tests() {
        let cases = parse(OUTPUT);
        let lib = "src/lib.rs";
        let mut fails = case(lib, "run::tests::fails", CaseStatus::Failed);
        fails.message = "assertion `left == right` failed".into();
        fails.file = Some("src/run/mod.rs".into());
        fails.line = Some(10);
        fails.detail = "starting up\n\nthread 'run::tests::fails' panicked at src/run/mod.rs:10:5:\nassertion `left == right` failed\n  left: 1\n right: 2".into();
        let mut slow = case(lib, "run::tests::slow", CaseStatus::Skipped);
        slow.message = "needs a database".into();
        let mut old = case("tests/cli.rs", "old_style", CaseStatus::Failed);
        old.message = "called `Option::unwrap()` on a `None` value".into();
        old.file = Some("tests/cli.rs".into());
        old.line = Some(7);
        old.detail = "thread 'old_style' panicked at 'called `Option::unwrap()` on a `None` value', tests/cli.rs:7:9".into();
        let mut adds = case("tests/cli.rs", "adds", CaseStatus::Passed);
        adds.seconds = Some(0.25);
        let doc = "doc-tests greenlight";
        let mut audit = case(doc, "src/lib.rs - audit (line 40)", CaseStatus::Passed);
        audit.file = Some("src/lib.rs".into());
        audit.line = Some(40);
        let mut runner = case(
            doc,
            "src/run/mod.rs - run::Runner (line 12) - compile fail",
            CaseStatus::Passed,
        );
        runner.file = Some("src/run/mod.rs".into());
        runner.line = Some(12);
        let mut policy = case(
            doc,
            "src/lib.rs - load_policy (line 60)",
            CaseStatus::Failed,
        );
        policy.file = Some("src/lib.rs".into());
        policy.line = Some(60);
        policy.message = "error[E0425]: cannot find value `x` in this scope".into();
        policy.detail = "error[E0425]: cannot find value `x` in this scope\n --> src/lib.rs:61:1\n  |\n3 | x\n  | ^ not found in this scope\n\nerror: aborting due to 1 previous error\n\nCouldn't compile the test.".into();
        assert_eq!(
            cases,
            vec![
                case(lib, "run::tests::adds", CaseStatus::Passed),
                fails,
                slow,
                case(lib, "run::tests::later", CaseStatus::Skipped),
                case(lib, "run::tests::panics_ok", CaseStatus::Passed),
                old,
                adds,
                audit,
                runner,
                policy,
            ]
        );
    }

    #[test]
    fn reads_benchmarks_and_thread_ids_and_colour() {
        let text = "running 2 tests
test bench_add ... bench:         123.45 ns/iter (+/- 4.56)
test \u{1b}[1mt::boom\u{1b}[0m ... \u{1b}[31mFAILED\u{1b}[0m

failures:

---- t::boom stdout ----

thread 't::boom' (29920) panicked at src/t.rs:3:5:
explicit panic

failures:
    t::boom
";
        let cases = parse(text);
        assert_eq!(cases[0].name, "bench_add");
        assert_eq!(cases[0].status, CaseStatus::Passed);
        assert_eq!(cases[0].classname, "");
        assert_eq!(cases[1].name, "t::boom");
        assert_eq!(cases[1].message, "explicit panic");
        assert_eq!(cases[1].file.as_deref(), Some("src/t.rs"));
        assert_eq!(cases[1].line, Some(3));
    }

    #[test]
    fn quiet_output_yields_the_failed_tests() {
        let text = "running 4 tests
.F.F
failures:

---- a::one stdout ----
thread 'a::one' panicked at src/a.rs:1:1:
boom

failures:
    a::one
    a::two

test result: FAILED. 2 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
        let cases = parse(text);
        let names: Vec<_> = cases
            .iter()
            .map(|c| (c.name.as_str(), c.status, c.message.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a::one", CaseStatus::Failed, "boom"),
                ("a::two", CaseStatus::Failed, ""),
            ]
        );
    }

    #[test]
    fn successes_output_is_not_a_failure() {
        let text = "running 1 test
test a ... ok

successes:

---- a stdout ----
hello

successes:
    a

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
        assert_eq!(parse(text), vec![case("", "a", CaseStatus::Passed)]);
    }

    #[test]
    fn a_test_that_returned_err_takes_its_first_line() {
        let text = "running 1 test
test io ... FAILED

failures:

---- io stdout ----
Error: Os { code: 2, kind: NotFound, message: \"No such file or directory\" }
";
        let cases = parse(text);
        assert_eq!(
            cases[0].message,
            "Error: Os { code: 2, kind: NotFound, message: \"No such file or directory\" }"
        );
        assert_eq!(cases[0].file, None);
    }

    #[test]
    fn compile_errors_and_noise_yield_nothing() {
        let text = "error[E0425]: cannot find value `x` in this scope\n --> src/lib.rs:3:1\nerror: could not compile `x`\ntest ... \ntest x ... maybe\ntest y has been running for over 60 seconds\n";
        assert_eq!(parse(text), vec![]);
        assert_eq!(parse(""), vec![]);
    }

    #[test]
    fn caps_failure_blocks() {
        let mut text = String::from(
            "running 1 test\ntest big ... FAILED\n\nfailures:\n\n---- big stdout ----\n",
        );
        for _ in 0..1000 {
            text.push_str("some long log line of output\n");
        }
        let cases = parse(&text);
        assert_eq!(cases[0].detail.chars().count(), DETAIL_CAP + 1);
        assert_eq!(cases[0].message, "some long log line of output");
    }

    #[test]
    fn parses_locations_and_doc_test_names() {
        assert_eq!(
            rust_location("src/lib.rs:10:5"),
            Some(("src/lib.rs".into(), 10))
        );
        assert_eq!(
            rust_location("C:\\x\\lib.rs:10:5"),
            Some(("C:\\x\\lib.rs".into(), 10))
        );
        assert_eq!(rust_location("nowhere"), None);
        assert_eq!(
            doc_test("src/lib.rs - a::b (line 7)"),
            Some(("src/lib.rs", 7))
        );
        assert_eq!(doc_test("tests::a"), None);
        assert_eq!(
            binary("Running target/debug/deps/x-123").as_deref(),
            Some("target/debug/deps/x-123")
        );
    }
}
