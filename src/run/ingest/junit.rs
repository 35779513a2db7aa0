//! JUnit XML reports — pytest (xunit1 and xunit2), cargo-nextest, jest-junit, Maven
//! Surefire and the many tools that copy them — read into one [`CaseResult`] per
//! `<testcase>`.
//!
//! A case's status comes from its `<error>`, `<failure>` and `<skipped>` children; when
//! it has several, error wins over failure and failure over skipped (pytest writes a
//! failure *and* an error for a test whose teardown also failed). Suites may nest; unknown
//! elements and attributes are ignored, as are Surefire's `<flakyFailure>` and
//! `<rerunFailure>`, which describe attempts before the one that counted.
//!
//! pytest's xunit1 family writes `file` and `line` attributes, and its `line` is the
//! 0-based line of the test function. It is made 1-based when the case has a `file` and
//! the document has a `<testsuite name="pytest">` — the only sign a pytest report gives
//! of its origin; other tools' lines are kept as written.

use quick_xml::events::BytesStart;

use super::{CappedText, DETAIL_CAP, first_line, seconds, xml};
use crate::run::model::{CaseResult, CaseStatus};

/// Most cases kept from one report; a suite larger than this is cut, not a reason to
/// run out of memory.
pub const MAX_CASES: usize = 200_000;
/// Longest file, class or test name kept, in characters.
const MAX_NAME_CHARS: usize = 1024;

/// Reads a JUnit XML report.
pub fn parse(text: &str) -> Result<Vec<CaseResult>, String> {
    let mut doc = Document::default();
    xml::read(text, "the JUnit report", &mut doc)?;
    doc.finish()
}

#[derive(Default)]
struct Document {
    cases: Vec<CaseResult>,
    /// A `<testsuites>`, `<testsuite>` or `<testcase>` element was seen.
    junit: bool,
    /// A `<testsuite name="pytest">` was seen.
    pytest: bool,
    case: Option<OpenCase>,
}

/// A `<testcase>` whose end tag has not been read yet.
struct OpenCase {
    case: CaseResult,
    /// Elements open inside the testcase; outcomes and output are its direct children.
    depth: usize,
    /// The `<failure>`, `<error>` or `<skipped>` being read.
    reading: Option<Outcome>,
    /// The outcome that decides the case so far.
    decided: Option<Decided>,
    in_output: bool,
    /// `<system-out>` and `<system-err>`: the detail of a failure that carries no text
    /// of its own (nextest writes the panic there).
    output: CappedText,
}

struct Outcome {
    status: CaseStatus,
    message: String,
    kind: String,
    text: CappedText,
}

struct Decided {
    status: CaseStatus,
    message: String,
    detail: String,
}

impl xml::Handler for Document {
    fn open(&mut self, element: &BytesStart<'_>) {
        if let Some(open) = self.case.as_mut() {
            open.depth += 1;
            if open.depth == 1 {
                open.open_child(element);
            }
            return;
        }
        match element.local_name().as_ref() {
            b"testsuites" => self.junit = true,
            b"testsuite" => {
                self.junit = true;
                if xml::attr(element, "name").as_deref() == Some("pytest") {
                    self.pytest = true;
                }
            }
            b"testcase" => {
                self.junit = true;
                self.case = Some(OpenCase::new(element));
            }
            _ => {}
        }
    }

    fn close(&mut self, name: &[u8]) {
        let Some(open) = self.case.as_mut() else {
            return;
        };
        if open.depth == 0 {
            if let Some(open) = self.case.take() {
                if self.cases.len() < MAX_CASES {
                    self.cases.push(open.finish());
                }
            }
            return;
        }
        if open.depth == 1 {
            open.close_child(name);
        }
        open.depth -= 1;
    }

    fn sink(&mut self) -> Option<&mut CappedText> {
        let open = self.case.as_mut()?;
        match open.reading.as_mut() {
            Some(outcome) => Some(&mut outcome.text),
            None if open.in_output => Some(&mut open.output),
            None => None,
        }
    }
}

impl Document {
    fn finish(self) -> Result<Vec<CaseResult>, String> {
        if !self.junit {
            return Err("not a JUnit XML report: no <testsuite> or <testcase> element".into());
        }
        let mut cases = self.cases;
        if self.pytest {
            for case in cases.iter_mut().filter(|c| c.file.is_some()) {
                case.line = case.line.map(|l| l.saturating_add(1));
            }
        }
        Ok(cases)
    }
}

impl OpenCase {
    fn new(element: &BytesStart<'_>) -> OpenCase {
        let time = xml::attr(element, "time")
            .and_then(|t| t.trim().replace(',', "").parse::<f64>().ok())
            .and_then(seconds);
        let short = |v: String| crate::model::shorten(&v, MAX_NAME_CHARS);
        let case = CaseResult {
            file: xml::attr(element, "file")
                .filter(|f| !f.is_empty())
                .map(short),
            classname: short(
                xml::attr(element, "classname")
                    .or_else(|| xml::attr(element, "class"))
                    .unwrap_or_default(),
            ),
            name: short(xml::attr(element, "name").unwrap_or_default()),
            line: xml::attr(element, "line").and_then(|l| l.trim().parse().ok()),
            status: CaseStatus::Passed,
            message: String::new(),
            detail: String::new(),
            seconds: time,
        };
        OpenCase {
            case,
            depth: 0,
            reading: None,
            decided: None,
            in_output: false,
            output: CappedText::new(DETAIL_CAP),
        }
    }

    fn open_child(&mut self, element: &BytesStart<'_>) {
        let status = match element.local_name().as_ref() {
            b"error" => CaseStatus::Errored,
            b"failure" => CaseStatus::Failed,
            b"skipped" => CaseStatus::Skipped,
            b"system-out" | b"system-err" => {
                self.in_output = true;
                return;
            }
            _ => return,
        };
        self.reading = Some(Outcome {
            status,
            message: xml::attr(element, "message").unwrap_or_default(),
            kind: xml::attr(element, "type").unwrap_or_default(),
            text: CappedText::new(DETAIL_CAP),
        });
    }

    fn close_child(&mut self, name: &[u8]) {
        match name {
            b"error" | b"failure" | b"skipped" => {
                if let Some(outcome) = self.reading.take() {
                    self.decide(outcome);
                }
            }
            b"system-out" | b"system-err" => {
                self.in_output = false;
                // Keep the streams apart when a case has both.
                self.output.push("\n");
            }
            _ => {}
        }
    }

    fn decide(&mut self, outcome: Outcome) {
        let rank = |s: CaseStatus| match s {
            CaseStatus::Errored => 3,
            CaseStatus::Failed => 2,
            CaseStatus::Skipped => 1,
            CaseStatus::Passed => 0,
        };
        let current = self.decided.as_ref().map_or(0, |d| rank(d.status));
        if current >= rank(outcome.status) {
            return;
        }
        let detail = outcome.text.finish();
        let message = [&outcome.message, &detail, &outcome.kind]
            .into_iter()
            .map(|t| first_line(t))
            .find(|l| !l.is_empty())
            .unwrap_or_default();
        self.decided = Some(Decided {
            status: outcome.status,
            message,
            detail,
        });
    }

    fn finish(self) -> CaseResult {
        let mut case = self.case;
        if let Some(decided) = self.decided {
            case.status = decided.status;
            case.message = decided.message;
            case.detail = decided.detail;
            let failed = matches!(case.status, CaseStatus::Failed | CaseStatus::Errored);
            if failed && case.detail.is_empty() {
                case.detail = self.output.finish();
            }
        }
        case
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(classname: &str, name: &str, status: CaseStatus) -> CaseResult {
        CaseResult::new(classname, name, status)
    }

    const PYTEST_XUNIT2: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="0.050" timestamp="2024-05-01T10:00:00.000000+00:00" hostname="ci"><testcase classname="tests.test_api.TestLogin" name="test_ok" time="0.001" /><testcase classname="tests.test_api.TestLogin" name="test_bad[a-1]" time="0.002"><failure message="AssertionError: assert 1 == 2&#10; +  where 1 = f()">def test_bad():
&gt;       assert f() == 2
E       AssertionError: assert 1 == 2

tests/test_api.py:12: AssertionError</failure></testcase><testcase classname="tests.test_api" name="test_skip" time="0.000"><skipped type="pytest.skip" message="no network">/repo/tests/test_api.py:20: no network</skipped></testcase><testcase classname="" name="tests.test_broken" time="0.000"><error message="collection failure">ImportError while importing test module '/repo/tests/test_broken.py'.
E   ModuleNotFoundError: No module named 'requests'</error></testcase></testsuite></testsuites>"#;

    #[test]
    fn reads_pytest_xunit2() {
        let cases = parse(PYTEST_XUNIT2).unwrap();
        let mut ok = case("tests.test_api.TestLogin", "test_ok", CaseStatus::Passed);
        ok.seconds = Some(0.001);
        let mut bad = case(
            "tests.test_api.TestLogin",
            "test_bad[a-1]",
            CaseStatus::Failed,
        );
        bad.seconds = Some(0.002);
        bad.message = "AssertionError: assert 1 == 2".into();
        bad.detail = "def test_bad():\n>       assert f() == 2\nE       AssertionError: assert 1 == 2\n\ntests/test_api.py:12: AssertionError".into();
        let mut skip = case("tests.test_api", "test_skip", CaseStatus::Skipped);
        skip.seconds = Some(0.0);
        skip.message = "no network".into();
        skip.detail = "/repo/tests/test_api.py:20: no network".into();
        let mut broken = case("", "tests.test_broken", CaseStatus::Errored);
        broken.seconds = Some(0.0);
        broken.message = "collection failure".into();
        broken.detail = "ImportError while importing test module '/repo/tests/test_broken.py'.\nE   ModuleNotFoundError: No module named 'requests'".into();
        assert_eq!(cases, vec![ok, bad, skip, broken]);
    }

    #[test]
    fn pytest_xunit1_lines_become_one_based() {
        let xml = r#"<testsuites><testsuite name="pytest" tests="2">
  <testcase classname="tests.test_x" name="test_a" file="tests/test_x.py" line="9" time="0.01"/>
  <testcase classname="tests.test_x" name="test_b" line="4" time="0.01"/>
</testsuite></testsuites>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases[0].file.as_deref(), Some("tests/test_x.py"));
        assert_eq!(cases[0].line, Some(10));
        // Without a file the line is not pytest's location; kept as written.
        assert_eq!(cases[1].file, None);
        assert_eq!(cases[1].line, Some(4));
    }

    #[test]
    fn lines_from_other_tools_are_kept_as_written() {
        let xml = r#"<testsuites name="jest tests"><testsuite name="sum" tests="1">
  <testcase classname="sum adds" name="sum adds" time="0.002" file="/repo/src/sum.test.js" line="9"/>
</testsuite></testsuites>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases[0].line, Some(9));
        assert_eq!(cases[0].file.as_deref(), Some("/repo/src/sum.test.js"));
    }

    #[test]
    fn reads_nextest_with_the_panic_in_system_err() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="2" failures="1" errors="0" timestamp="2024-05-01T10:00:00Z" time="0.012">
    <testsuite name="greenlight" tests="2" disabled="0" errors="0" failures="1">
        <testcase name="run::tests::adds" classname="greenlight" timestamp="2024-05-01T10:00:00Z" time="0.004">
        </testcase>
        <testcase name="run::tests::fails" classname="greenlight" timestamp="2024-05-01T10:00:00Z" time="0.005">
            <failure type="test failure with exit code 101"/>
            <system-out>
running 1 test
test run::tests::fails ... FAILED
</system-out>
            <system-err>thread &apos;run::tests::fails&apos; panicked at src/run/mod.rs:10:9:
assertion failed: false
</system-err>
        </testcase>
    </testsuite>
</testsuites>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].status, CaseStatus::Passed);
        assert_eq!(cases[0].classname, "greenlight");
        assert_eq!(cases[0].name, "run::tests::adds");
        assert_eq!(cases[0].detail, "");
        assert_eq!(cases[1].status, CaseStatus::Failed);
        assert_eq!(cases[1].message, "test failure with exit code 101");
        assert_eq!(
            cases[1].detail,
            "running 1 test\ntest run::tests::fails ... FAILED\n\nthread 'run::tests::fails' panicked at src/run/mod.rs:10:9:\nassertion failed: false"
        );
        assert_eq!(cases[1].seconds, Some(0.005));
    }

    #[test]
    fn reads_jest_junit_failure_text_as_message_and_detail() {
        let xml = r#"<testsuites name="jest tests" tests="1" failures="1" errors="0" time="1.2">
  <testsuite name="sum" errors="0" failures="1" skipped="0" time="0.5" tests="1">
    <testcase classname="sum fails" name="sum fails" time="0.003">
      <failure>Error: expect(received).toBe(expected) // Object.is equality

Expected: 3
Received: 4
    at Object.&lt;anonymous&gt; (/repo/src/sum.test.js:9:20)</failure>
    </testcase>
  </testsuite>
</testsuites>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].status, CaseStatus::Failed);
        assert_eq!(
            cases[0].message,
            "Error: expect(received).toBe(expected) // Object.is equality"
        );
        assert!(
            cases[0]
                .detail
                .ends_with("at Object.<anonymous> (/repo/src/sum.test.js:9:20)")
        );
    }

    #[test]
    fn reads_surefire_with_cdata_and_ignores_flaky_attempts() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="3.0" name="com.example.AppTest" time="0.05" tests="4" errors="1" skipped="1" failures="0">
  <properties><property name="java.version" value="17"/></properties>
  <testcase name="adds" classname="com.example.AppTest" time="0.01"/>
  <testcase name="io" classname="com.example.AppTest" time="1,234.5">
    <error message="boom" type="java.io.IOException"><![CDATA[java.io.IOException: boom
	at com.example.AppTest.io(AppTest.java:20)]]></error>
    <system-out><![CDATA[log line]]></system-out>
  </testcase>
  <testcase name="later" classname="com.example.AppTest" time="0"><skipped/></testcase>
  <testcase name="flaky" classname="com.example.AppTest" time="0.2"><flakyFailure message="first try" type="java.lang.AssertionError"><stackTrace>trace</stackTrace><system-out>attempt 1</system-out></flakyFailure></testcase>
</testsuite>"#;
        let cases = parse(xml).unwrap();
        let statuses: Vec<_> = cases.iter().map(|c| (c.name.as_str(), c.status)).collect();
        assert_eq!(
            statuses,
            vec![
                ("adds", CaseStatus::Passed),
                ("io", CaseStatus::Errored),
                ("later", CaseStatus::Skipped),
                ("flaky", CaseStatus::Passed),
            ]
        );
        assert_eq!(cases[1].seconds, Some(1234.5));
        assert_eq!(cases[1].message, "boom");
        assert_eq!(
            cases[1].detail,
            "java.io.IOException: boom\n\tat com.example.AppTest.io(AppTest.java:20)"
        );
        assert_eq!(cases[2].message, "");
        assert_eq!(cases[3].detail, "");
    }

    #[test]
    fn error_wins_over_failure_whatever_the_order() {
        let xml = r#"<testsuite name="pytest"><testcase classname="t" name="a">
<failure message="assert False">body</failure><error message="teardown failed">td</error>
</testcase><testcase classname="t" name="b"><error message="first"/><failure message="second"/><skipped/></testcase></testsuite>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases[0].status, CaseStatus::Errored);
        assert_eq!(cases[0].message, "teardown failed");
        assert_eq!(cases[0].detail, "td");
        assert_eq!(cases[1].status, CaseStatus::Errored);
        assert_eq!(cases[1].message, "first");
    }

    #[test]
    fn message_falls_back_to_text_then_type() {
        let xml = r#"<testsuite>
<testcase name="a"><failure message="">

  first real line
second</failure></testcase>
<testcase name="b"><failure type="AssertionError"></failure></testcase>
</testsuite>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases[0].message, "first real line");
        assert_eq!(cases[0].detail, "first real line\nsecond");
        assert_eq!(cases[1].message, "AssertionError");
    }

    #[test]
    fn resolves_entities_and_keeps_unknown_ones() {
        let xml = r#"<testsuite><testcase classname="a&amp;b" name="x &lt; y"><failure message="&quot;q&quot; &#x41;&#66;">1 &lt; 2 &amp;&amp; &unknown; &#233;</failure></testcase></testsuite>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases[0].classname, "a&b");
        assert_eq!(cases[0].name, "x < y");
        assert_eq!(cases[0].message, "\"q\" AB");
        assert_eq!(cases[0].detail, "1 < 2 && &unknown; é");
    }

    #[test]
    fn entities_a_document_declares_are_not_expanded() {
        let xml = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<testsuite><testcase name="a"><failure message="&lol2;">&lol2;</failure></testcase></testsuite>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases[0].message, "&lol2;");
        assert_eq!(cases[0].detail, "&lol2;");
    }

    #[test]
    fn nested_suites_and_bare_testcases_are_read() {
        let xml = r#"<testsuites><testsuite name="outer"><testsuite name="inner">
<testcase classname="c" name="deep"/></testsuite>
<testcase classname="c" name="shallow"/></testsuite></testsuites>"#;
        let names: Vec<_> = parse(xml).unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(names, vec!["deep", "shallow"]);
        let bare = parse(r#"<testcase classname="c" name="alone"/>"#).unwrap();
        assert_eq!(bare[0].name, "alone");
    }

    #[test]
    fn a_testcase_inside_a_testcase_does_not_end_it() {
        let xml = r#"<testsuite><testcase name="outer"><testcase name="inner"><failure message="inner"/></testcase><skipped message="outer skipped"/></testcase></testsuite>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].name, "outer");
        assert_eq!(cases[0].status, CaseStatus::Skipped);
        assert_eq!(cases[0].message, "outer skipped");
    }

    #[test]
    fn an_empty_suite_is_a_report_without_cases() {
        assert_eq!(parse(r#"<testsuite name="x" tests="0"/>"#).unwrap(), vec![]);
        assert_eq!(parse("<testsuites></testsuites>").unwrap(), vec![]);
    }

    #[test]
    fn rejects_documents_that_are_not_junit() {
        let not_junit = "not a JUnit XML report: no <testsuite> or <testcase> element";
        assert_eq!(parse("").unwrap_err(), not_junit);
        assert_eq!(parse("<coverage/>").unwrap_err(), not_junit);
        assert_eq!(parse("just text").unwrap_err(), not_junit);
    }

    #[test]
    fn rejects_malformed_xml_with_its_position() {
        let err = parse(r#"<testsuite><testcase name="a"></testsuite>"#).unwrap_err();
        assert!(
            err.starts_with("the JUnit report is malformed XML at byte "),
            "{err}"
        );
    }

    #[test]
    fn keeps_the_cases_before_a_truncated_end() {
        let xml = r#"<testsuite><testcase name="done"/><testcase name="cut"><failure>par"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].name, "done");
    }

    #[test]
    fn caps_failure_text_and_message() {
        let big = "x".repeat(DETAIL_CAP * 3);
        let xml = format!(
            r#"<testsuite><testcase name="a"><failure message="{big}">{big}</failure></testcase></testsuite>"#
        );
        let cases = parse(&xml).unwrap();
        assert_eq!(cases[0].detail.chars().count(), DETAIL_CAP + 1);
        assert!(cases[0].detail.ends_with('…'));
        assert_eq!(
            cases[0].message.chars().count(),
            crate::run::ingest::MESSAGE_CAP + 1
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let depth = 200_000;
        let xml = format!(
            "{}<testcase name=\"deep\"/>{}",
            "<testsuite>".repeat(depth),
            "</testsuite>".repeat(depth)
        );
        let cases = parse(&xml).unwrap();
        assert_eq!(cases.len(), 1);
        let inside = format!(
            "<testsuite><testcase name=\"a\">{}{}</testcase></testsuite>",
            "<x>".repeat(depth),
            "</x>".repeat(depth)
        );
        assert_eq!(parse(&inside).unwrap()[0].name, "a");
    }

    #[test]
    fn tolerates_odd_attribute_values() {
        let xml = r#"<testsuite><testcase name="a" line="-3" time="NaN" file=""/><testcase name="b" time="-1"/></testsuite>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases[0].line, None);
        assert_eq!(cases[0].seconds, None);
        assert_eq!(cases[0].file, None);
        assert_eq!(cases[1].seconds, None);
    }
}

#[cfg(test)]
mod hostile {
    use super::*;

    #[test]
    fn names_are_cut_to_a_kilobyte() {
        let dotted = "a.".repeat(500_000);
        let xml = format!(
            r#"<testsuite><testcase classname="{dotted}" name="t" file="{dotted}"/></testsuite>"#
        );
        let cases = parse(&xml).unwrap();
        assert_eq!(cases.len(), 1);
        assert!(cases[0].classname.chars().count() <= MAX_NAME_CHARS);
        assert!(cases[0].file.as_ref().unwrap().chars().count() <= MAX_NAME_CHARS);
    }
}
