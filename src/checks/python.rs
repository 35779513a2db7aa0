//! What the Python checks share: the parsed files with their role, and how findings
//! in test, fixture and example code are labelled and weighed (one severity level
//! lower than the same finding in production code).

use crate::analyze::python::PyFile;
use crate::checks::Context;
use crate::model::Severity;
use crate::repo::{FileKind, RepoFile};

/// Where a file's code runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Production,
    Test,
    /// Fixtures, examples, samples, demos.
    Example,
}

impl Role {
    pub fn of(file: &RepoFile) -> Role {
        match file.kind {
            FileKind::Test => Role::Test,
            FileKind::Fixture => Role::Example,
            _ => Role::Production,
        }
    }

    /// `" (test code)"` and the like, for titles; empty for production code.
    pub fn suffix(self) -> &'static str {
        match self {
            Role::Production => "",
            Role::Test => " (test code)",
            Role::Example => " (example/fixture code)",
        }
    }

    /// A severity weighed by role: one level lower outside production code.
    pub fn weigh(self, severity: Severity) -> Severity {
        if self == Role::Production {
            return severity;
        }
        match severity {
            Severity::P0 => Severity::P1,
            Severity::P1 => Severity::P2,
            Severity::P2 | Severity::P3 => Severity::P3,
        }
    }
}

/// One parsed Python file.
#[derive(Clone, Copy)]
pub struct PyRef<'a> {
    /// Index into `Inventory::files`.
    pub index: usize,
    pub file: &'a RepoFile,
    pub py: &'a PyFile,
    pub role: Role,
}

impl PyRef<'_> {
    pub fn path(&self) -> &str {
        &self.file.path
    }
}

/// Every parsed Python file (source, test, fixture), in inventory order.
pub fn files<'a>(cx: &'a Context<'_>) -> impl Iterator<Item = PyRef<'a>> + 'a {
    cx.facts.sources.iter().filter_map(|s| {
        let py = s.python.as_deref()?;
        let file = cx.inventory.files.get(s.file)?;
        Some(PyRef {
            index: s.file,
            file,
            py,
            role: Role::of(file),
        })
    })
}

/// Whether the repository has Python code at all.
pub fn any(cx: &Context<'_>) -> bool {
    files(cx).next().is_some()
}

/// A file a test runner collects (see [`crate::analyze::python::is_test_module`]).
pub fn is_test_module(file: &RepoFile) -> bool {
    crate::analyze::python::is_test_module(file.name())
}
