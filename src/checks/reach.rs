//! Which languages the code-level checks read. A check that could not read the code
//! it judges has not passed it: where the production code is in a language the check
//! does not read, "not applicable" becomes unknown (pending), and a pass earned on a
//! smaller share of the code than the share left unread becomes unknown too. Findings
//! stand; every result names the code left unread.

use serde::Serialize;

use crate::analyze::catalog::{DetectorKind, Ecosystem};
use crate::analyze::stack::{Detection, Stack};
use crate::checks::{CheckDef, Outcome};
use crate::model::{Status, group_digits};

/// Languages whose code a program runs (not shell, SQL or build files).
const APPLICATION: &[&str] = &[
    "C",
    "C#",
    "C++",
    "Elixir",
    "Go",
    "Java",
    "JavaScript",
    "Kotlin",
    "Lua",
    "Perl",
    "PHP",
    "Python",
    "Ruby",
    "Rust",
    "Scala",
    "Svelte",
    "Swift",
    "TypeScript",
    "Vue",
];

/// Languages that may hold nothing but a browser front end.
const BROWSER: &[&str] = &["JavaScript", "TypeScript", "Vue", "Svelte"];

/// A language with fewer code lines than this, and under a fifth of the code, is not
/// worth a pending check.
const MIN_LINES: usize = 100;

/// The languages a check's concern exists in.
#[derive(Clone, Copy)]
enum Langs {
    All,
    AllBut(&'static [&'static str]),
    Only(&'static [&'static str]),
}

/// What one code-level check reads and what it judges.
struct Reach {
    id: &'static str,
    /// Languages whose code the check reads.
    reads: &'static [&'static str],
    /// Languages whose code holds what the check looks for.
    judges: Langs,
    /// The concern is a server's or a command's (injection, timeouts): code that only
    /// runs in a browser is not its subject.
    server: bool,
    /// What the code must use for the concern to exist (an HTTP client for timeouts):
    /// a language whose ecosystem greenlight detects libraries of is judged only when
    /// its production code uses one of these. Empty: always judged.
    needs: &'static [DetectorKind],
}

const PYTHON: &[&str] = &["Python"];
const HTTP: &[DetectorKind] = &[DetectorKind::HttpClient];
const NETWORK: &[DetectorKind] = &[
    DetectorKind::HttpClient,
    DetectorKind::Database,
    DetectorKind::Messaging,
    DetectorKind::CloudSdk,
    DetectorKind::WebFramework,
    DetectorKind::AppServer,
];

/// Every code-level check whose reading is narrower than what it judges. Checks that
/// read files whatever their language (CI, containers, secrets, documents, tests
/// inventory) and checks of one language's own constructs (mutable default arguments,
/// f-string format specs, `assert` validation) are not listed.
const REACH: &[Reach] = &[
    Reach {
        id: "architecture.complex-functions",
        reads: PYTHON,
        judges: Langs::All,
        server: false,
        needs: &[],
    },
    Reach {
        // Go refuses to compile an import cycle; Rust's modules of one crate may
        // name each other.
        id: "architecture.import-cycles",
        reads: PYTHON,
        judges: Langs::AllBut(&["Go", "Rust"]),
        server: false,
        needs: &[],
    },
    Reach {
        id: "code-quality.exception-handling",
        reads: PYTHON,
        judges: Langs::All,
        server: false,
        needs: &[],
    },
    Reach {
        id: "code-quality.syntax-errors",
        reads: PYTHON,
        judges: Langs::All,
        server: false,
        needs: &[],
    },
    Reach {
        // Compiled languages' builds refuse undeclared modules.
        id: "code-quality.undeclared-dependencies",
        reads: PYTHON,
        judges: Langs::Only(&["JavaScript", "TypeScript", "PHP", "Ruby"]),
        server: false,
        needs: &[],
    },
    Reach {
        id: "code-quality.unresolved-imports",
        reads: PYTHON,
        judges: Langs::Only(&["JavaScript", "TypeScript", "Vue", "Svelte", "PHP", "Ruby"]),
        server: false,
        needs: &[],
    },
    Reach {
        id: "observability.print-statements",
        reads: PYTHON,
        judges: Langs::All,
        server: true,
        needs: &[],
    },
    Reach {
        id: "performance.blocking-in-async",
        reads: PYTHON,
        judges: Langs::Only(&["JavaScript", "TypeScript", "Rust", "C#", "Kotlin"]),
        server: true,
        needs: &[DetectorKind::AsyncRuntime, DetectorKind::WebFramework],
    },
    Reach {
        id: "performance.connection-reuse",
        reads: PYTHON,
        judges: Langs::All,
        server: true,
        needs: HTTP,
    },
    Reach {
        id: "performance.http-timeouts",
        reads: PYTHON,
        judges: Langs::All,
        server: true,
        needs: HTTP,
    },
    Reach {
        id: "security.code-injection",
        reads: PYTHON,
        judges: Langs::Only(&["JavaScript", "TypeScript", "PHP", "Ruby", "Perl", "Lua"]),
        server: false,
        needs: &[],
    },
    Reach {
        id: "security.command-injection",
        reads: PYTHON,
        judges: Langs::All,
        server: true,
        needs: &[],
    },
    Reach {
        id: "security.email-addresses",
        reads: PYTHON,
        judges: Langs::All,
        server: false,
        needs: &[],
    },
    Reach {
        id: "security.path-traversal",
        reads: PYTHON,
        judges: Langs::All,
        server: true,
        needs: &[],
    },
    Reach {
        id: "security.sql-injection",
        reads: PYTHON,
        judges: Langs::All,
        server: true,
        needs: &[DetectorKind::Database, DetectorKind::Orm],
    },
    Reach {
        id: "security.tls-verification",
        reads: PYTHON,
        judges: Langs::All,
        server: true,
        needs: NETWORK,
    },
    Reach {
        // Go's and Rust's decoders build plain data, never objects with behaviour.
        id: "security.unsafe-deserialization",
        reads: PYTHON,
        judges: Langs::AllBut(&["Go", "Rust"]),
        server: true,
        needs: &[],
    },
    Reach {
        id: "security.weak-crypto",
        reads: PYTHON,
        judges: Langs::All,
        server: false,
        needs: &[],
    },
];

/// The code of what is judged: production code lines per language, and whether its
/// JavaScript/TypeScript runs on a server (or as a command) rather than only in a
/// browser.
pub struct Code<'a> {
    lines: Vec<(&'a str, usize)>,
    js_server: bool,
    /// Kinds of library production code uses, per ecosystem.
    uses: Vec<(Ecosystem, DetectorKind)>,
}

impl<'a> Code<'a> {
    pub fn of(stack: &'a Stack, detections: &[Detection]) -> Code<'a> {
        let application = || {
            stack
                .languages
                .iter()
                .filter(|l| APPLICATION.contains(&l.name) && l.code_lines > 0)
        };
        let total: usize = application().map(|l| l.code_lines).sum();
        let lines = application()
            .filter(|l| l.code_lines >= MIN_LINES || l.code_lines * 5 >= total)
            .map(|l| (l.name, l.code_lines))
            .collect();
        let uses = detections
            .iter()
            .filter(|d| !d.used.is_empty())
            .flat_map(|d| {
                std::iter::once(d.kind)
                    .chain(d.also.iter().copied())
                    .map(|k| (d.ecosystem, k))
            })
            .collect();
        Code {
            lines,
            js_server: js_runs_outside_browser(stack, detections),
            uses,
        }
    }
}

/// Whether JavaScript/TypeScript code is a server's or a command's: a Node web
/// framework, application server, command-line framework, database client or queue
/// used by production code.
fn js_runs_outside_browser(stack: &Stack, detections: &[Detection]) -> bool {
    if stack.frontend.is_some() {
        return false;
    }
    detections.iter().any(|d| {
        d.ecosystem == Ecosystem::Npm
            && !d.used.is_empty()
            && [
                DetectorKind::WebFramework,
                DetectorKind::AppServer,
                DetectorKind::CliFramework,
                DetectorKind::Database,
                DetectorKind::Orm,
                DetectorKind::TaskQueue,
                DetectorKind::Messaging,
            ]
            .iter()
            .any(|k| d.is(*k))
    })
}

impl Reach {
    fn judges(&self, lang: &str, code: &Code<'_>) -> bool {
        let in_list = match self.judges {
            Langs::All => true,
            Langs::AllBut(but) => !but.contains(&lang),
            Langs::Only(only) => only.contains(&lang),
        };
        let browser_only =
            BROWSER.contains(&lang) && (!code.js_server || matches!(lang, "Vue" | "Svelte"));
        let used = self.needs.is_empty()
            || ecosystem(lang).is_none_or(|eco| {
                code.uses
                    .iter()
                    .any(|(e, k)| *e == eco && self.needs.contains(k))
            });
        in_list && used && !(self.server && browser_only)
    }

    /// The judged code this check does not read: language and code lines.
    fn unread<'c>(&self, code: &Code<'c>) -> Vec<(&'c str, usize)> {
        code.lines
            .iter()
            .filter(|(lang, _)| !self.reads.contains(lang) && self.judges(lang, code))
            .copied()
            .collect()
    }

    fn read_lines(&self, code: &Code<'_>) -> usize {
        code.lines
            .iter()
            .filter(|(lang, _)| self.reads.contains(lang))
            .map(|(_, n)| n)
            .sum()
    }
}

/// The ecosystem whose libraries greenlight detects in a language's code.
fn ecosystem(lang: &str) -> Option<Ecosystem> {
    match lang {
        "Python" => Some(Ecosystem::Python),
        "JavaScript" | "TypeScript" => Some(Ecosystem::Npm),
        "Go" => Some(Ecosystem::Go),
        "Rust" => Some(Ecosystem::Rust),
        _ => None,
    }
}

fn reach(id: &str) -> Option<&'static Reach> {
    REACH.iter().find(|r| r.id == id)
}

/// "Go (8,118 lines) and JavaScript (1,724 lines)".
fn describe(unread: &[(&str, usize)]) -> String {
    let parts: Vec<String> = unread
        .iter()
        .map(|(lang, n)| format!("{lang} ({} lines)", group_digits(*n)))
        .collect();
    crate::model::join_and(&parts)
}

/// A check's outcome once the code it could not read is taken into account.
pub fn account(def: &CheckDef, mut outcome: Outcome, code: &Code<'_>) -> Outcome {
    let Some(reach) = reach(def.id) else {
        return outcome;
    };
    let unread = reach.unread(code);
    if unread.is_empty() {
        return outcome;
    }
    let unread_lines: usize = unread.iter().map(|(_, n)| n).sum();
    let what = describe(&unread);
    let reads = crate::model::join_and(reach.reads);
    match outcome.status {
        Status::NotApplicable => Outcome::unknown(format!(
            "pending: {what} not analysed — this check reads {reads} code only"
        )),
        Status::Pass if unread_lines > reach.read_lines(code) => Outcome::unknown(format!(
            "pending: {what} not analysed; the {reads} code passed ({})",
            outcome.summary
        )),
        _ => {
            outcome.summary = format!("{}; {what} not analysed", outcome.summary);
            outcome
        }
    }
}

/// One language of the code and the code-level checks that do not read it.
#[derive(Debug, Clone, Serialize)]
pub struct LanguageAnalysis {
    pub language: String,
    pub code_lines: usize,
    /// Code-level checks whose subject includes this language.
    pub code_checks: usize,
    /// Ids of those that do not read it.
    pub not_read_by: Vec<&'static str>,
}

/// Per language of the production code, which code-level checks read it.
pub fn by_language(stack: &Stack, detections: &[Detection]) -> Vec<LanguageAnalysis> {
    let code = Code::of(stack, detections);
    code.lines
        .iter()
        .map(|(lang, n)| {
            let judging: Vec<&Reach> = REACH.iter().filter(|r| r.judges(lang, &code)).collect();
            LanguageAnalysis {
                language: (*lang).to_string(),
                code_lines: *n,
                code_checks: judging.len(),
                not_read_by: judging
                    .iter()
                    .filter(|r| !r.reads.contains(lang))
                    .map(|r| r.id)
                    .collect(),
            }
        })
        .collect()
}

/// "Code-level checks read Python only: Go (8,118 lines) was not analysed by 16 of
/// them.", or `None` when every code-level check read all of the code.
pub fn statement(analysis: &[LanguageAnalysis]) -> Option<String> {
    let unread: Vec<&LanguageAnalysis> = analysis
        .iter()
        .filter(|a| !a.not_read_by.is_empty())
        .collect();
    if unread.is_empty() {
        return None;
    }
    let mut checks: Vec<&str> = unread
        .iter()
        .flat_map(|a| a.not_read_by.iter().copied())
        .collect();
    checks.sort_unstable();
    checks.dedup();
    let mut reads: Vec<&str> = REACH
        .iter()
        .filter(|r| checks.contains(&r.id))
        .flat_map(|r| r.reads.iter().copied())
        .collect();
    reads.sort_unstable();
    reads.dedup();
    let langs: Vec<String> = unread
        .iter()
        .map(|a| format!("{} ({} lines)", a.language, group_digits(a.code_lines)))
        .collect();
    Some(format!(
        "Code-level checks read {} only: {} {} not analysed by {} of them.",
        crate::model::join_and(&reads),
        crate::model::join_and(&langs),
        if langs.len() == 1 { "was" } else { "were" },
        checks.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, Effort, Severity};

    fn def(id: &'static str) -> CheckDef {
        CheckDef {
            id,
            category: Category::Security,
            title: "t",
            summary: "s",
            weight: 1.0,
            severity: Severity::P1,
            by_kind: None,
            effort: Effort::S,
            rationale: "",
            remediation: "",
            action: "",
            risk: "",
        }
    }

    fn code(lines: &[(&'static str, usize)], js_server: bool) -> Code<'static> {
        Code {
            lines: lines.to_vec(),
            js_server,
            uses: vec![
                (Ecosystem::Npm, DetectorKind::HttpClient),
                (Ecosystem::Go, DetectorKind::HttpClient),
            ],
        }
    }

    #[test]
    fn not_applicable_to_unread_code_is_pending() {
        let c = code(&[("Go", 8118), ("JavaScript", 1724)], false);
        let out = account(
            &def("security.command-injection"),
            Outcome::not_applicable("no Python files"),
            &c,
        );
        assert_eq!(out.status, Status::Unknown);
        // Browser JavaScript is no subject of a server's injection check.
        assert_eq!(
            out.summary,
            "pending: Go (8,118 lines) not analysed — this check reads Python code only"
        );
    }

    #[test]
    fn server_javascript_counts() {
        let c = code(&[("TypeScript", 5000)], true);
        let out = account(
            &def("performance.http-timeouts"),
            Outcome::not_applicable("no Python files"),
            &c,
        );
        assert_eq!(out.status, Status::Unknown);
        let c = code(&[("TypeScript", 5000)], false);
        let out = account(
            &def("performance.http-timeouts"),
            Outcome::not_applicable("no Python files"),
            &c,
        );
        assert_eq!(out.status, Status::NotApplicable);
    }

    #[test]
    fn a_concern_needing_a_library_the_code_does_not_use_stays_not_applicable() {
        // Go code that uses no database client has no SQL to inject into.
        let c = code(&[("Go", 8118)], false);
        let out = account(
            &def("security.sql-injection"),
            Outcome::not_applicable("no Python files"),
            &c,
        );
        assert_eq!(out.status, Status::NotApplicable);
        // Its HTTP client is used: timeouts are pending.
        let out = account(
            &def("performance.http-timeouts"),
            Outcome::not_applicable("no Python files"),
            &c,
        );
        assert_eq!(out.status, Status::Unknown);
        // Java's libraries are not detected: judged.
        let c = code(&[("Java", 5000)], false);
        let out = account(
            &def("security.sql-injection"),
            Outcome::not_applicable("no Python files"),
            &c,
        );
        assert_eq!(out.status, Status::Unknown);
    }

    #[test]
    fn language_own_constructs_stay_not_applicable() {
        let c = code(&[("Go", 8118)], false);
        for id in [
            "code-quality.mutable-defaults",
            "security.code-injection",
            "architecture.import-cycles",
        ] {
            let out = account(&def(id), Outcome::not_applicable("no Python files"), &c);
            assert_eq!(out.status, Status::NotApplicable, "{id}");
        }
    }

    #[test]
    fn pass_on_the_smaller_share_is_pending() {
        let c = code(&[("Python", 300), ("Go", 8000)], false);
        let out = account(
            &def("security.tls-verification"),
            Outcome::pass("no verification switched off"),
            &c,
        );
        assert_eq!(out.status, Status::Unknown);
        assert_eq!(
            out.summary,
            "pending: Go (8,000 lines) not analysed; the Python code passed (no verification switched off)"
        );
        // On the larger share it stands, naming what was not read.
        let c = code(&[("Python", 9000), ("Go", 800)], false);
        let out = account(
            &def("security.tls-verification"),
            Outcome::pass("no verification switched off"),
            &c,
        );
        assert_eq!(out.status, Status::Pass);
        assert_eq!(
            out.summary,
            "no verification switched off; Go (800 lines) not analysed"
        );
    }

    #[test]
    fn every_listed_check_exists() {
        for r in REACH {
            assert!(crate::checks::find(r.id).is_some(), "{}", r.id);
        }
    }

    #[test]
    fn python_only_code_is_untouched() {
        let c = code(&[("Python", 9000)], false);
        let out = account(&def("security.sql-injection"), Outcome::pass("ok"), &c);
        assert_eq!((out.status, out.summary.as_str()), (Status::Pass, "ok"));
    }
}
