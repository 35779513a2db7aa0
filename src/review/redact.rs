//! The last step of the review stage: every string of the [`Review`] that can hold text
//! from the repository or from its tests — snippets, messages, titles, paths, test
//! names and output, commands, blockers — passes through the audit's [`Redactor`],
//! and only then are snippets cut to their display length. The renderers therefore
//! never see a secret the scan found, nor a token the catalog recognises; they pass
//! their output through the same redactor once more (see [`crate::report`]).

use crate::analyze::secrets::redactor::Redactor;
use crate::model::{Evidence, Finding, Location, SNIPPET_MAX_CHARS, shorten};

use super::Review;

/// Something that holds strings to redact in place.
pub trait Redact {
    fn redact(&mut self, r: &Redactor);
}

impl Redact for String {
    fn redact(&mut self, r: &Redactor) {
        if !self.is_empty() {
            *self = r.redact(self);
        }
    }
}

impl<T: Redact> Redact for Vec<T> {
    fn redact(&mut self, r: &Redactor) {
        for item in self {
            item.redact(r);
        }
    }
}

impl<T: Redact> Redact for Option<T> {
    fn redact(&mut self, r: &Redactor) {
        if let Some(item) = self {
            item.redact(r);
        }
    }
}

impl<A: Redact, B: Redact> Redact for (A, B) {
    fn redact(&mut self, r: &Redactor) {
        self.0.redact(r);
        self.1.redact(r);
    }
}

/// Numbers, flags and the tool's own static words hold nothing to redact.
macro_rules! nothing_to_redact {
    ($($t:ty),*) => {
        $(impl Redact for $t {
            fn redact(&mut self, _: &Redactor) {}
        })*
    };
}

nothing_to_redact!(usize, u32, u64);

/// Redacts the named fields of a struct.
macro_rules! redact_fields {
    ($t:ty { $($field:ident),* $(,)? }) => {
        impl Redact for $t {
            fn redact(&mut self, r: &Redactor) {
                $(self.$field.redact(r);)*
            }
        }
    };
}

impl Redact for (String, usize, Evidence) {
    fn redact(&mut self, r: &Redactor) {
        self.0.redact(r);
        self.2.redact(r);
    }
}

impl Redact for (String, u32, String) {
    fn redact(&mut self, r: &Redactor) {
        self.0.redact(r);
        self.2.redact(r);
    }
}

impl Redact for (String, u32, u64) {
    fn redact(&mut self, r: &Redactor) {
        self.0.redact(r);
    }
}

impl Redact for Location {
    fn redact(&mut self, r: &Redactor) {
        self.path.redact(r);
        // Masked whole, then cut: a cut never leaves part of a secret to be missed.
        self.snippet = shorten(&r.redact(&self.snippet), SNIPPET_MAX_CHARS);
    }
}

impl Redact for Evidence {
    fn redact(&mut self, r: &Redactor) {
        match self {
            Evidence::At(loc) => loc.redact(r),
            Evidence::Absent { looked_for, scope } => {
                looked_for.redact(r);
                scope.redact(r);
            }
        }
    }
}

redact_fields!(Finding {
    title,
    message,
    evidence,
    action,
    fingerprint,
    project
});
redact_fields!(super::Suppressed { finding, reason });
redact_fields!(super::CheckSummary { summary });
redact_fields!(super::Criterion {
    id,
    requirement,
    actual,
    gap
});
redact_fields!(super::Risk { reason, mitigation });
redact_fields!(super::Action { action });
redact_fields!(super::RepositoryInfo {
    root,
    name,
    commit,
    branch,
    package
});
redact_fields!(crate::analyze::stack::Stack {
    languages,
    rows,
    services,
    credentials,
    env_vars,
    kind_evidence
});
redact_fields!(crate::analyze::stack::StackLanguage { version });
redact_fields!(crate::analyze::stack::StackRow { items });
redact_fields!(crate::analyze::tests::TestInventory {
    files,
    benchmarks,
    e2e_elsewhere
});
redact_fields!(crate::analyze::tests::TestFile { path, reason });
redact_fields!(super::inventory::InventorySummary {
    source_files,
    test_files,
    config_files,
    doc_files,
    skipped_dirs,
    walk_errors
});
redact_fields!(super::inventory::FileLine { path });
redact_fields!(crate::repo::SkippedDir { path, reason });
redact_fields!(crate::analyze::Distribution { marker });
redact_fields!(crate::run::TestRun {
    isolation,
    suites,
    coverage,
    modules,
    critical_without_data,
    critical_unmeasured,
    blockers,
    problems,
    coverage_problems,
    notes
});
redact_fields!(crate::run::SuiteRun {
    language,
    runner,
    environment,
    steps,
    not_run,
    cases,
    missing_packages,
    setup_failures,
    output_tail
});
redact_fields!(crate::run::Step { command });
redact_fields!(crate::run::CaseResult {
    file,
    classname,
    name,
    message,
    detail
});
redact_fields!(crate::run::Coverage {
    source,
    files,
    unmapped
});
redact_fields!(crate::run::FileCoverage { path, functions });
redact_fields!(crate::run::ModuleCoverage {
    path,
    critical,
    uncovered,
    suggested,
    test_file,
    blocked_tests
});
redact_fields!(crate::run::UncoveredFunction { name });
redact_fields!(crate::run::SuggestedTest {
    name,
    function,
    behaviour
});
redact_fields!(crate::run::Blocker {
    subject,
    message,
    evidence,
    tests
});

redact_fields!(super::PolicyEffect {
    disabled_checks,
    severity_overrides,
    relaxed_thresholds,
    lowered_weights,
    ignored_projects,
    project_kinds
});
redact_fields!(super::projects::ProjectReview {
    path,
    name,
    languages,
    verdict_rule,
    top_concern,
    markers,
    findings,
    kind_evidence
});
redact_fields!(Review {
    repository,
    policy_source,
    policy_effect,
    verdict_rule,
    summary,
    checks,
    findings,
    suppressed,
    criteria,
    risks,
    actions,
    stack,
    tests,
    test_run,
    inventory,
    distribution,
    projects
});
