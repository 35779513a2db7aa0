//! The container security catalog (`catalog/containers.toml`): secret-like variable
//! names, fetch-and-run commands, dangerous capabilities and host sockets.

use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::model::Severity;

pub const CONTAINERS: &str = include_str!("../catalog/containers.toml");

/// An added capability and how much of the host it hands over.
#[derive(Debug, Clone, Deserialize)]
pub struct Capability {
    pub name: String,
    pub severity: Severity,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    secret_names: Vec<String>,
    not_secret_suffixes: Vec<String>,
    fetchers: Vec<String>,
    interpreters: Vec<String>,
    host_sockets: Vec<String>,
    capability: Vec<Capability>,
}

/// The compiled catalog.
#[derive(Debug, Default)]
pub struct Rules {
    file: RulesFile,
    /// `curl … | sh`, `wget -O- … | sudo bash`.
    piped: Option<Regex>,
    /// `sh -c "$(curl …)"`, `bash <(curl …)`.
    substituted: Option<Regex>,
}

fn alternation(words: &[String]) -> String {
    words
        .iter()
        .map(|w| regex::escape(w))
        .collect::<Vec<_>>()
        .join("|")
}

fn compile(file: RulesFile) -> Rules {
    let fetch = alternation(&file.fetchers);
    let interp = alternation(&file.interpreters);
    let run = format!(r"(?:\S*/)?(?:{interp})[0-9.]*");
    let piped = Regex::new(&format!(
        r"\b(?:{fetch})\b[^|\n;&]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+(?:\S+=\S*\s+)*)?{run}(?:\s|$|[;&|)])"
    ))
    .ok();
    let substituted = Regex::new(&format!(
        r#"(?:^|[\s;&|(])(?:{interp})[0-9.]*\s+(?:-\S+\s+)*(?:["']?\$\(|<\()\s*(?:{fetch})\b"#
    ))
    .ok();
    Rules {
        file,
        piped,
        substituted,
    }
}

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    // The catalog is embedded and tested; an unreadable one leaves every rule empty.
    compile(toml::from_str(CONTAINERS).unwrap_or_default())
});

/// The compiled container catalog.
pub fn rules() -> &'static Rules {
    &RULES
}

impl Rules {
    /// True when a variable name names a secret (`DB_PASSWORD`, `GITHUB_TOKEN`) rather
    /// than where one is (`PASSWORD_FILE`, `TOKEN_URL`).
    pub fn is_secret_name(&self, name: &str) -> bool {
        let n = name.to_ascii_uppercase().replace('-', "_");
        self.file
            .secret_names
            .iter()
            .any(|s| n.contains(s.as_str()))
            && !self
                .file
                .not_secret_suffixes
                .iter()
                .any(|s| n.ends_with(s.as_str()))
    }

    /// The text of a download piped into (or substituted into) an interpreter.
    pub fn fetch_and_run<'t>(&self, script: &'t str) -> Option<&'t str> {
        [&self.piped, &self.substituted]
            .into_iter()
            .flatten()
            .find_map(|re| re.find(script))
            .map(|m| m.as_str().trim())
    }

    /// The fetch commands, to find the line a download is on.
    pub fn fetchers(&self) -> &[String] {
        &self.file.fetchers
    }

    /// The severity of adding a capability, when it is a dangerous one.
    pub fn capability(&self, name: &str) -> Option<Severity> {
        let n = name.trim().to_ascii_uppercase();
        let n = n.strip_prefix("CAP_").unwrap_or(&n);
        self.file
            .capability
            .iter()
            .find(|c| c.name == n)
            .map(|c| c.severity)
    }

    /// True when a host path is a container runtime's socket.
    pub fn is_host_socket(&self, path: &str) -> bool {
        let name = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        self.file.host_sockets.iter().any(|s| s == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(v: &[String]) -> bool {
        v.windows(2).all(|w| w[0] < w[1])
    }

    #[test]
    fn catalog_parses_and_lists_are_sorted_without_duplicates() {
        let f: RulesFile = toml::from_str(CONTAINERS).unwrap();
        for list in [
            &f.secret_names,
            &f.not_secret_suffixes,
            &f.fetchers,
            &f.interpreters,
            &f.host_sockets,
        ] {
            assert!(!list.is_empty() && sorted(list), "{list:?}");
        }
        let caps: Vec<String> = f.capability.iter().map(|c| c.name.clone()).collect();
        assert!(sorted(&caps));
    }

    #[test]
    fn tells_secret_names_from_names_of_where_secrets_are() {
        let r = rules();
        for yes in [
            "DB_PASSWORD",
            "github-token",
            "AWS_SECRET_ACCESS_KEY",
            "OPENAI_API_KEY",
            "SECRET_KEY",
        ] {
            assert!(r.is_secret_name(yes), "{yes}");
        }
        for no in [
            "PASSWORD_FILE",
            "TOKEN_URL",
            "VERSION",
            "DB_USER",
            "SECRET_NAME",
            "PYTHONDONTWRITEBYTECODE",
        ] {
            assert!(!r.is_secret_name(no), "{no}");
        }
    }

    #[test]
    fn finds_downloads_run_by_an_interpreter() {
        let r = rules();
        for yes in [
            "curl -fsSL https://get.example.sh | sh",
            "wget -qO- https://x.example/i | sudo -E bash -s -- --v 1",
            "curl -sSL https://install.python-poetry.org | python3 -",
            "sh -c \"$(curl -fsSL https://x.example/install.sh)\"",
            "bash <(curl -s https://x.example/i.sh)",
            "curl https://x.example | /bin/bash",
        ] {
            assert!(r.fetch_and_run(yes).is_some(), "{yes}");
        }
        for no in [
            "curl -fsSLo /tmp/x.tgz https://x.example/x.tgz && echo 'abc  /tmp/x.tgz' | sha256sum -c",
            "curl -s https://x.example/k.asc | gpg --dearmor -o /usr/share/keyrings/k.gpg",
            "curl -L https://x.example/a.tar.gz | tar xz",
            "wget -O - https://x.example/key | apt-key add -",
        ] {
            assert!(r.fetch_and_run(no).is_none(), "{no}");
        }
    }

    #[test]
    fn knows_dangerous_capabilities_and_runtime_sockets() {
        let r = rules();
        assert_eq!(r.capability("CAP_SYS_ADMIN"), Some(Severity::P1));
        assert_eq!(r.capability("all"), Some(Severity::P1));
        assert_eq!(r.capability("NET_BIND_SERVICE"), None);
        assert!(r.is_host_socket("/var/run/docker.sock"));
        assert!(!r.is_host_socket("/var/lib/docker"));
    }
}
