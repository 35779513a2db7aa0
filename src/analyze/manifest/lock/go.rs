//! go.sum: one line per module version and hash. A version listed only with its
//! `/go.mod` hash is still in the module graph; both forms count once.

use super::{Raw, line_no};

pub(super) fn parse(text: &str) -> Vec<Raw> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let mut words = l.split_whitespace();
        let (Some(module), Some(version), Some(hash)) = (words.next(), words.next(), words.next())
        else {
            continue;
        };
        if !hash.starts_with("h1:") && !hash.contains(':') {
            continue;
        }
        let version = version.strip_suffix("/go.mod").unwrap_or(version);
        out.push((module.to_string(), version.to_string(), line_no(i)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::read;

    #[test]
    fn reads_go_sum_once_per_module_version() {
        let text = "github.com/gin-gonic/gin v1.9.1 h1:4idEAncQnU5cB7BeOkPtxjfCSye0AAm1R0RVIqJ+Jmg=\ngithub.com/gin-gonic/gin v1.9.1/go.mod h1:hPrL7YrpYKXt5YId3A/Tnip5kqbEAP+KLuI3SUcPTeU=\ngolang.org/x/net v0.17.0/go.mod h1:NxSsAGuq816PNPmqtQdLE42eU2Fs7NoRIZrHJAlaCOE=\n\ngarbage\n";
        let lock = read("go.sum", "go.sum", Some(text)).unwrap();
        let got: Vec<(&str, &str, u32)> = lock
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("github.com/gin-gonic/gin", "v1.9.1", 1),
                ("golang.org/x/net", "v0.17.0", 3)
            ]
        );
        assert!(lock.problem.is_none());
    }
}
