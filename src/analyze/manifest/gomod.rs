//! go.mod: module path, go directive, requirements (direct and `// indirect`).

use super::{DepKind, LanguageVersion, Manifest};
use crate::analyze::catalog::Ecosystem;

pub fn parse(path: &str, text: &str) -> Manifest {
    let mut m = Manifest::new(path, Ecosystem::Go, "go.mod");
    let mut in_require = false;
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let (code, comment) = match raw.split_once("//") {
            Some((c, k)) => (c.trim(), k.trim()),
            None => (raw.trim(), ""),
        };
        if in_require {
            if code.starts_with(')') {
                in_require = false;
                continue;
            }
            require(&mut m, code, comment, line);
            continue;
        }
        let mut words = code.split_whitespace();
        match words.next() {
            Some("module") => m.name = words.next().map(|s| s.trim_matches('"').to_string()),
            Some("go") => {
                if let Some(v) = words.next() {
                    m.language_version = Some(LanguageVersion {
                        spec: format!("≥ {v}"),
                        line,
                    });
                }
            }
            Some("require") => {
                let rest = code.trim_start_matches("require").trim();
                if rest.starts_with('(') {
                    in_require = true;
                } else {
                    require(&mut m, rest, comment, line);
                }
            }
            _ => {}
        }
    }
    m.library = true;
    m
}

fn require(m: &mut Manifest, code: &str, comment: &str, line: u32) {
    let mut parts = code.split_whitespace();
    let (Some(module), version) = (parts.next(), parts.next()) else {
        return;
    };
    let kind = if comment.contains("indirect") {
        DepKind::Indirect
    } else {
        DepKind::Runtime
    };
    m.add_dep(module, version.unwrap_or(""), kind, line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_mod() {
        let text = "module example.com/svc\n\ngo 1.22\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n\tgolang.org/x/net v0.1.0 // indirect\n)\nrequire github.com/lib/pq v1.10.0\n";
        let m = parse("go.mod", text);
        assert_eq!(m.name.as_deref(), Some("example.com/svc"));
        assert_eq!(m.language_version.as_ref().unwrap().line, 3);
        assert_eq!(m.dependencies.len(), 3);
        assert_eq!(m.dependencies[0].line, 6);
        assert_eq!(m.dependencies[1].kind, DepKind::Indirect);
        assert_eq!(m.dependencies[2].name, "github.com/lib/pq");
    }
}
