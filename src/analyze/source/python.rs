//! Python source facts come from the syntax tree (`analyze::python`): this maps the
//! parse into the language-neutral [`SourceFacts`](super::SourceFacts) fields.

use super::{Import, Route, Scan};
use crate::analyze::python;
use crate::repo::{FileKind, RepoFile};

pub(super) fn scan(file: &RepoFile, s: &mut Scan<'_>) {
    let test_file = file.kind == FileKind::Test || is_test_name(file.name());
    let Some(py) = python::parse(s.text, test_file) else {
        return;
    };
    s.facts.imports = py
        .imports
        .iter()
        .map(|i| Import {
            module: format!("{}{}", ".".repeat(usize::from(i.level)), i.module),
            line: i.line,
            names: i.names.clone(),
        })
        .collect();
    s.facts.env_reads = py.env_reads.clone();
    if file.kind == FileKind::Test {
        s.facts.tests = py.tests.iter().map(|t| (t.name.clone(), t.line)).collect();
    }
    s.facts.routes = py
        .routes
        .iter()
        .map(|r| Route {
            path: r.path.clone(),
            line: r.line,
        })
        .collect();
    s.facts.main_entry = py.main_guard;
    if file.name() == "__main__.py" {
        s.facts.main_entry.get_or_insert(1);
    }
    s.facts.server_starts = py.server_starts.clone();
    s.facts.python = Some(Box::new(py));
}

/// pytest's default test file names.
fn is_test_name(name: &str) -> bool {
    name == "conftest.py"
        || (name.starts_with("test_") && name.ends_with(".py"))
        || name.ends_with("_test.py")
}

#[cfg(test)]
mod tests {
    use super::super::scan;
    use super::super::test_support::file;

    #[test]
    fn finds_imports_env_routes_and_main() {
        let f = file(
            "svc/app.py",
            "import os, json as j\nfrom .models import User\nfrom fastapi import FastAPI\n\napp = FastAPI()\nKEY = os.environ.get(\"OPENAI_API_KEY\")\nDB = os.getenv('DATABASE_URL')\n\n@app.get(\"/health\")\ndef health():\n    return {}\n\nif __name__ == \"__main__\":\n    pass\n",
        );
        let s = scan(0, &f).unwrap();
        let mods: Vec<&str> = s.imports.iter().map(|i| i.module.as_str()).collect();
        assert_eq!(mods, vec!["os", "json", ".models", "fastapi"]);
        assert_eq!(
            s.env_reads,
            vec![
                ("OPENAI_API_KEY".to_string(), 6),
                ("DATABASE_URL".to_string(), 7)
            ]
        );
        assert_eq!(s.routes[0].path, "/health");
        assert_eq!(s.routes[0].line, 9);
        assert_eq!(s.main_entry, Some(13));
        assert_eq!(s.server_starts, vec![5]);
    }

    #[test]
    fn counts_tests_only_in_test_files() {
        let body =
            "def test_a():\n    pass\n\nasync def test_b():\n    pass\n\ndef helper():\n    pass\n";
        assert_eq!(
            scan(0, &file("tests/test_x.py", body)).unwrap().tests.len(),
            2
        );
        assert_eq!(scan(0, &file("pkg/x.py", body)).unwrap().tests.len(), 0);
    }

    #[test]
    fn commented_import_is_ignored() {
        let s = scan(0, &file("a.py", "# import requests\nimport yaml\n")).unwrap();
        assert_eq!(s.imports.len(), 1);
        assert_eq!(s.imports[0].module, "yaml");
    }
}
