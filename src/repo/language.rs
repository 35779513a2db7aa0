//! The language table (`languages.toml`, embedded) and the lookup that gives a file its
//! language from its name, extension or shebang line.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

/// What a language is for; decides the default file kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LanguageType {
    Programming,
    Markup,
    Data,
    Docs,
}

/// One row of the language table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Language {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: LanguageType,
    #[serde(default)]
    pub extensions: Vec<String>,
    #[serde(default)]
    pub filenames: Vec<String>,
    #[serde(default)]
    pub shebangs: Vec<String>,
    #[serde(default)]
    pub line_comments: Vec<String>,
    #[serde(default)]
    pub block_comments: Vec<(String, String)>,
    #[serde(default)]
    pub nested_comments: bool,
    #[serde(default)]
    pub multiline_strings: Vec<(String, String)>,
    /// String delimiters, one character each.
    #[serde(default = "default_quotes")]
    pub quotes: String,
}

fn default_quotes() -> String {
    "\"'".to_string()
}

#[derive(Deserialize)]
struct Table {
    language: Vec<Language>,
}

/// The loaded table with its indexes.
pub struct Languages {
    pub all: Vec<Language>,
    by_extension: HashMap<String, usize>,
    by_filename: HashMap<String, usize>,
    by_interpreter: HashMap<String, usize>,
}

/// The embedded table's source text.
pub const SOURCE: &str = include_str!("languages.toml");

/// Parses the embedded table. Its validity is guarded by tests, so failure here is a
/// defect in greenlight itself, never in the audited repository.
pub fn parse_table(source: &str) -> Result<Languages, toml::de::Error> {
    let table: Table = toml::from_str(source)?;
    let mut by_extension = HashMap::new();
    let mut by_filename = HashMap::new();
    let mut by_interpreter = HashMap::new();
    for (i, lang) in table.language.iter().enumerate() {
        for ext in &lang.extensions {
            by_extension.insert(ext.to_ascii_lowercase(), i);
        }
        for name in &lang.filenames {
            by_filename.insert(name.clone(), i);
        }
        for interp in &lang.shebangs {
            by_interpreter.insert(interp.clone(), i);
        }
    }
    Ok(Languages {
        all: table.language,
        by_extension,
        by_filename,
        by_interpreter,
    })
}

static LANGUAGES: LazyLock<Languages> = LazyLock::new(|| {
    parse_table(SOURCE).unwrap_or_else(|_| Languages {
        all: Vec::new(),
        by_extension: HashMap::new(),
        by_filename: HashMap::new(),
        by_interpreter: HashMap::new(),
    })
});

/// The language table.
pub fn languages() -> &'static Languages {
    &LANGUAGES
}

/// Index of a language in [`Languages::all`]; cheap to copy and compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LangId(pub u16);

impl LangId {
    pub fn get(self) -> Option<&'static Language> {
        languages().all.get(usize::from(self.0))
    }

    /// The language's stable id (`python`, `rust`, …), or `""` if out of range.
    pub fn id(self) -> &'static str {
        self.get().map(|l| l.id.as_str()).unwrap_or("")
    }

    pub fn name(self) -> &'static str {
        self.get().map(|l| l.name.as_str()).unwrap_or("")
    }
}

impl Languages {
    /// Finds a language by id (`python`).
    pub fn by_id(&self, id: &str) -> Option<LangId> {
        self.all
            .iter()
            .position(|l| l.id == id)
            .and_then(|i| u16::try_from(i).ok())
            .map(LangId)
    }

    /// Recognises a file from its name alone (exact name, then `Dockerfile.*`-style
    /// prefixes, then extension).
    pub fn detect_by_name(&self, file_name: &str) -> Option<LangId> {
        let index = self
            .by_filename
            .get(file_name)
            .or_else(|| {
                // `Dockerfile.prod`, `Makefile.local`: a known file name as a prefix.
                file_name
                    .split_once('.')
                    .and_then(|(stem, _)| self.by_filename.get(stem))
            })
            .or_else(|| {
                let (_, ext) = file_name.rsplit_once('.')?;
                self.by_extension.get(&ext.to_ascii_lowercase())
            })?;
        u16::try_from(*index).ok().map(LangId)
    }

    /// Recognises a script from its first line: `#!/usr/bin/env python3`, `#!/bin/sh`.
    pub fn detect_by_shebang(&self, first_line: &str) -> Option<LangId> {
        let rest = first_line.strip_prefix("#!")?;
        let mut words = rest.split_whitespace();
        let program = words.next()?;
        let mut interpreter = program.rsplit('/').next()?;
        if interpreter == "env" {
            interpreter = words.find(|w| !w.starts_with('-'))?;
        }
        let index = self.by_interpreter.get(interpreter).or_else(|| {
            // `python3.11`, `perl5.36`: drop a version suffix.
            let base = interpreter.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
            self.by_interpreter.get(base)
        })?;
        u16::try_from(*index).ok().map(LangId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_is_sorted_without_duplicates() {
        let table = parse_table(SOURCE).unwrap();
        let ids: Vec<&str> = table.all.iter().map(|l| l.id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(
            ids, sorted,
            "languages.toml must be sorted by id, ids unique"
        );
        let mut seen = std::collections::HashSet::new();
        for lang in &table.all {
            for ext in &lang.extensions {
                assert!(
                    seen.insert(format!("ext:{ext}")),
                    "extension {ext} claimed twice"
                );
            }
            for name in &lang.filenames {
                assert!(
                    seen.insert(format!("name:{name}")),
                    "file name {name} claimed twice"
                );
            }
        }
    }

    #[test]
    fn detects_by_extension_name_and_shebang() {
        let l = languages();
        assert_eq!(l.detect_by_name("app.py").map(LangId::id), Some("python"));
        assert_eq!(l.detect_by_name("lib.RS").map(LangId::id), Some("rust"));
        assert_eq!(
            l.detect_by_name("Dockerfile").map(LangId::id),
            Some("dockerfile")
        );
        assert_eq!(
            l.detect_by_name("Dockerfile.prod").map(LangId::id),
            Some("dockerfile")
        );
        assert_eq!(l.detect_by_name("noext"), None);
        assert_eq!(
            l.detect_by_shebang("#!/usr/bin/env python3.11")
                .map(LangId::id),
            Some("python")
        );
        assert_eq!(
            l.detect_by_shebang("#!/bin/bash -e").map(LangId::id),
            Some("shell")
        );
        assert_eq!(l.detect_by_shebang("#!").map(LangId::id), None);
    }
}
