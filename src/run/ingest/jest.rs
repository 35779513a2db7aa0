//! Jest's `--json` output and Vitest's `--reporter=json` (the same shape) read into
//! one [`CaseResult`] per assertion result: the file is the test file as the runner
//! names it, the classname the `describe` titles joined with ` > `, the name the test's
//! title.
//!
//! A test file that failed with no failing test — it did not load (a syntax error, a
//! missing module) or a hook outside any test threw — becomes one Errored case named
//! `""` carrying the file's message. Colour codes are stripped from messages; test
//! statuses other than passed, failed, pending, skipped, todo and disabled are dropped.

use serde::Deserialize;

use super::{CappedText, DETAIL_CAP, first_line, nullable, seconds, strip_ansi};
use crate::run::model::{CaseResult, CaseStatus};

/// Reads a Jest or Vitest JSON report.
pub fn parse(text: &str) -> Result<Vec<CaseResult>, String> {
    let report: Report = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| format!("the Jest JSON report is malformed: {e}"))?;
    let Some(files) = report.test_results else {
        return Err("not a Jest or Vitest JSON report: no \"testResults\" array".into());
    };
    let mut cases = Vec::new();
    for file in files {
        let path = if file.name.is_empty() {
            file.test_file_path
        } else {
            file.name
        };
        let path = Some(path).filter(|p| !p.is_empty());
        let any_failed = file.assertion_results.iter().any(|a| a.status == "failed");
        if file.status == "failed" && !any_failed && !file.message.trim().is_empty() {
            let message = strip_ansi(&file.message);
            cases.push(CaseResult {
                file: path.clone(),
                classname: String::new(),
                name: String::new(),
                line: None,
                status: CaseStatus::Errored,
                message: first_line(&message),
                detail: capped([message.as_ref()]),
                seconds: None,
            });
        }
        for assertion in file.assertion_results {
            if let Some(case) = assertion.into_case(path.clone()) {
                cases.push(case);
            }
        }
    }
    Ok(cases)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    #[serde(default, deserialize_with = "nullable")]
    test_results: Option<Vec<FileResult>>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct FileResult {
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(deserialize_with = "nullable")]
    test_file_path: String,
    #[serde(deserialize_with = "nullable")]
    status: String,
    #[serde(deserialize_with = "nullable")]
    message: String,
    #[serde(deserialize_with = "nullable")]
    assertion_results: Vec<Assertion>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Assertion {
    #[serde(deserialize_with = "nullable")]
    ancestor_titles: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    title: String,
    #[serde(deserialize_with = "nullable")]
    status: String,
    #[serde(deserialize_with = "nullable")]
    failure_messages: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    location: Location,
    /// Milliseconds.
    duration: Option<f64>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Location {
    line: Option<serde_json::Value>,
}

impl Assertion {
    fn into_case(self, file: Option<String>) -> Option<CaseResult> {
        let status = match self.status.as_str() {
            "passed" => CaseStatus::Passed,
            "failed" => CaseStatus::Failed,
            "pending" | "skipped" | "todo" | "disabled" => CaseStatus::Skipped,
            _ => return None,
        };
        let messages: Vec<String> = self
            .failure_messages
            .iter()
            .map(|m| strip_ansi(m).into_owned())
            .collect();
        let (message, detail) = if status == CaseStatus::Failed {
            let message = messages
                .iter()
                .map(|m| first_line(m))
                .find(|m| !m.is_empty());
            (
                message.unwrap_or_default(),
                capped(messages.iter().map(String::as_str)),
            )
        } else {
            (String::new(), String::new())
        };
        Some(CaseResult {
            file,
            classname: self.ancestor_titles.join(" > "),
            name: self.title,
            line: self
                .location
                .line
                .as_ref()
                .and_then(serde_json::Value::as_u64)
                .and_then(|l| u32::try_from(l).ok()),
            status,
            message,
            detail,
            seconds: self.duration.map(|ms| ms / 1000.0).and_then(seconds),
        })
    }
}

/// The texts, blank-line separated, capped to [`DETAIL_CAP`].
fn capped<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut detail = CappedText::new(DETAIL_CAP);
    for text in texts {
        if !detail.is_empty() {
            detail.push("\n\n");
        }
        detail.push(text.trim_end());
    }
    detail.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const JEST: &str = r#"{"numFailedTestSuites":2,"numFailedTests":1,"numPassedTestSuites":0,"numPassedTests":1,"numPendingTestSuites":0,"numPendingTests":1,"numRuntimeErrorTestSuites":1,"numTodoTests":1,"numTotalTestSuites":2,"numTotalTests":4,"openHandles":[],"startTime":1714557600000,"success":false,
"testResults":[
 {"assertionResults":[
   {"ancestorTitles":["Calculator","add"],"duration":3,"failureDetails":[],"failureMessages":[],"fullName":"Calculator add adds numbers","invocations":1,"location":{"column":5,"line":10},"numPassingAsserts":1,"retryReasons":[],"status":"passed","title":"adds numbers"},
   {"ancestorTitles":["Calculator"],"duration":5,"failureDetails":[{}],"failureMessages":["Error: \u001b[2mexpect(\u001b[22m\u001b[31mreceived\u001b[39m\u001b[2m).\u001b[22mtoBe\u001b[2m(\u001b[22m\u001b[32mexpected\u001b[39m\u001b[2m) // Object.is equality\u001b[22m\n\nExpected: \u001b[32m3\u001b[39m\nReceived: \u001b[31m4\u001b[39m\n    at Object.toBe (/repo/src/calc.test.js:15:20)\n","second failure"],"fullName":"Calculator divides","invocations":1,"location":null,"numPassingAsserts":0,"retryReasons":[],"status":"failed","title":"divides"},
   {"ancestorTitles":[],"duration":null,"failureMessages":[],"fullName":"later","status":"pending","title":"later"},
   {"ancestorTitles":[],"failureMessages":[],"fullName":"write docs","status":"todo","title":"write docs"},
   {"ancestorTitles":[],"failureMessages":[],"fullName":"odd","status":"focused","title":"odd"}
  ],
  "endTime":1714557601000,"message":"  ● Calculator › divides\n\n    expect(received).toBe(expected)","name":"/repo/src/calc.test.js","startTime":1714557600500,"status":"failed","summary":""},
 {"assertionResults":[],"coverage":{},"endTime":0,"message":"  \u001b[1m● \u001b[22mTest suite failed to run\n\n    Cannot find module './missing' from 'src/broken.test.js'\n","name":"/repo/src/broken.test.js","startTime":0,"status":"failed","summary":""}
],"wasInterrupted":false}"#;

    fn case(file: &str, classname: &str, name: &str, status: CaseStatus) -> CaseResult {
        CaseResult {
            file: Some(file.into()),
            ..CaseResult::new(classname, name, status)
        }
    }

    #[test]
    fn reads_jest_json() {
        let cases = parse(JEST).unwrap();
        let calc = "/repo/src/calc.test.js";
        let mut adds = case(calc, "Calculator > add", "adds numbers", CaseStatus::Passed);
        adds.line = Some(10);
        adds.seconds = Some(0.003);
        let mut divides = case(calc, "Calculator", "divides", CaseStatus::Failed);
        divides.seconds = Some(0.005);
        divides.message = "Error: expect(received).toBe(expected) // Object.is equality".into();
        divides.detail = "Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: 3\nReceived: 4\n    at Object.toBe (/repo/src/calc.test.js:15:20)\n\nsecond failure".into();
        let mut broken = case("/repo/src/broken.test.js", "", "", CaseStatus::Errored);
        broken.message = "● Test suite failed to run".into();
        broken.detail = "● Test suite failed to run\n\n    Cannot find module './missing' from 'src/broken.test.js'".into();
        assert_eq!(
            cases,
            vec![
                adds,
                divides,
                case(calc, "", "later", CaseStatus::Skipped),
                case(calc, "", "write docs", CaseStatus::Skipped),
                broken,
            ]
        );
    }

    #[test]
    fn reads_vitest_json() {
        let json = r#"{"numTotalTestSuites":2,"numPassedTestSuites":1,"numFailedTestSuites":1,"numTotalTests":2,"success":false,"startTime":1714557600000,
"testResults":[{"assertionResults":[
  {"ancestorTitles":["sum","edge cases"],"fullName":"sum edge cases handles zero","status":"passed","title":"handles zero","duration":1.5,"failureMessages":[],"location":{"line":5,"column":3},"meta":{}},
  {"ancestorTitles":["sum"],"fullName":"sum skips","status":"skipped","title":"skips","failureMessages":[],"meta":{}}],
 "startTime":1714557600000,"endTime":1714557600010,"status":"passed","message":"","name":"/repo/src/sum.test.ts"}]}"#;
        let cases = parse(json).unwrap();
        let mut zero = case(
            "/repo/src/sum.test.ts",
            "sum > edge cases",
            "handles zero",
            CaseStatus::Passed,
        );
        zero.line = Some(5);
        zero.seconds = Some(0.0015);
        assert_eq!(
            cases,
            vec![
                zero,
                case("/repo/src/sum.test.ts", "sum", "skips", CaseStatus::Skipped)
            ]
        );
    }

    #[test]
    fn a_failing_hook_without_failed_tests_is_an_errored_case() {
        let json = r#"{"testResults":[{"testFilePath":"/r/a.test.js","status":"failed","message":"afterAll threw","assertionResults":[{"title":"t","status":"passed"}]}]}"#;
        let cases = parse(json).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].status, CaseStatus::Errored);
        assert_eq!(cases[0].file.as_deref(), Some("/r/a.test.js"));
        assert_eq!(cases[0].message, "afterAll threw");
        assert_eq!(cases[1].status, CaseStatus::Passed);
    }

    #[test]
    fn tolerates_nulls_and_odd_values() {
        let json = r#"{"testResults":[{"name":null,"status":null,"message":null,"assertionResults":[
  {"ancestorTitles":null,"title":"x","status":"failed","failureMessages":null,"location":{"line":-2},"duration":-5}]},
  {"assertionResults":null}]}"#;
        let cases = parse(json).unwrap();
        assert_eq!(
            cases,
            vec![CaseResult {
                file: None,
                classname: String::new(),
                name: "x".into(),
                line: None,
                status: CaseStatus::Failed,
                message: String::new(),
                detail: String::new(),
                seconds: None,
            }]
        );
    }

    #[test]
    fn caps_failure_messages() {
        let big = "y".repeat(DETAIL_CAP);
        let json = format!(
            r#"{{"testResults":[{{"name":"a","assertionResults":[{{"title":"t","status":"failed","failureMessages":["{big}","{big}"]}}]}}]}}"#
        );
        let cases = parse(&json).unwrap();
        assert_eq!(cases[0].detail.chars().count(), DETAIL_CAP + 1);
        assert_eq!(
            cases[0].message.chars().count(),
            crate::run::ingest::MESSAGE_CAP + 1
        );
    }

    #[test]
    fn rejects_other_documents() {
        assert_eq!(
            parse(r#"{"files": {}}"#).unwrap_err(),
            "not a Jest or Vitest JSON report: no \"testResults\" array"
        );
        assert_eq!(
            parse(r#"{"testResults": null}"#).unwrap_err(),
            "not a Jest or Vitest JSON report: no \"testResults\" array"
        );
        for text in ["", "<testsuite/>", "[1]", r#"{"testResults": [1]}"#] {
            let err = parse(text).unwrap_err();
            assert!(
                err.starts_with("the Jest JSON report is malformed: "),
                "{err}"
            );
        }
        let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
        assert!(parse(&deep).is_err());
    }
}
