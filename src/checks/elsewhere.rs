//! Things a repository says live in another repository: a test suite kept apart
//! ("the code for testing is in a [separate repo](https://github.com/o/app-test)"),
//! images built by a packager ("Pre-built Docker images: [o/docker-app](…)").
//! An absence finding about this tree must say where the thing is instead.

use crate::checks::Context;
use crate::model::Evidence;
use crate::repo::FileKind;

/// The first line of the project's documentation that links to another repository
/// on a code host named for this one and one of `name_words` (`calibre-web-test`,
/// `docker-calibre-web`), where the line or a heading above it holds one of
/// `topic_words`: where it is said, and the repository (`owner/name`).
pub(crate) fn linked_repository(
    cx: &Context<'_>,
    name_words: &[&str],
    topic_words: &[&str],
) -> Option<(Evidence, String)> {
    let own: Vec<String> = cx
        .facts
        .projects
        .list
        .iter()
        .map(|p| p.name.rsplit('/').next().unwrap_or(&p.name))
        .map(squash)
        .filter(|n| n.len() >= 3)
        .collect();
    let on_topic = |s: &str| topic_words.iter().any(|w| s.contains(w));
    for f in cx.files().filter(|f| f.kind == FileKind::Docs) {
        let Some(text) = f.text() else {
            continue;
        };
        // The headings enclosing the line, by level.
        let mut headings: Vec<String> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let level = line.chars().take_while(|&c| c == '#').count();
            if (1..=6).contains(&level) && line.chars().nth(level) == Some(' ') {
                headings.truncate(level - 1);
                headings.resize(level - 1, String::new());
                headings.push(line.to_ascii_lowercase());
            }
            if !on_topic(&line.to_ascii_lowercase()) && !headings.iter().any(|h| on_topic(h)) {
                continue;
            }
            for repository in repositories(line) {
                // `calibre-web-test`, `docker-calibre-web`: the project's own name and
                // one part that starts with a name word, nothing else.
                let name = repository.rsplit('/').next().unwrap_or(&repository);
                let parts: Vec<String> = name
                    .split(['-', '_', '.'])
                    .map(str::to_ascii_lowercase)
                    .collect();
                let named_for_us = parts.iter().enumerate().any(|(k, part)| {
                    let worded = name_words.iter().any(|w| part.starts_with(w));
                    let rest: String = parts
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != k)
                        .map(|(_, p)| p.as_str())
                        .collect();
                    worded && own.iter().any(|o| squash(&rest) == *o)
                });
                if named_for_us {
                    let n = u32::try_from(i + 1).unwrap_or(1);
                    return Some((cx.at(&f.path, n), repository));
                }
            }
        }
    }
    None
}

/// A name in lower case with only its letters and digits (`Calibre-Web` →
/// `calibreweb`).
fn squash(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `owner/name` of every GitHub, GitLab or Codeberg repository link on a line.
fn repositories(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for host in ["github.com/", "gitlab.com/", "codeberg.org/"] {
        let mut rest = line;
        while let Some(at) = rest.find(host) {
            let Some(after) = rest.get(at + host.len()..) else {
                break;
            };
            rest = after;
            let mut parts = rest.split(|c: char| !(c.is_alphanumeric() || "-_.".contains(c)));
            let (Some(owner), Some(name)) = (parts.next(), parts.next()) else {
                continue;
            };
            let slash = rest.get(owner.len()..owner.len() + 1) == Some("/");
            let name = name.trim_end_matches(".git").trim_end_matches('.');
            if slash && !owner.is_empty() && !name.is_empty() {
                out.push(format!("{owner}/{name}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::repositories;

    #[test]
    fn reads_repository_links() {
        assert_eq!(
            repositories(
                "in a [separate repo](https://github.com/OzzieIsaacs/calibre-web-test) on GitHub"
            ),
            vec!["OzzieIsaacs/calibre-web-test".to_string()]
        );
        assert_eq!(
            repositories(
                "- **GitHub**: [linuxserver/docker-calibre-web](https://github.com/linuxserver/docker-calibre-web)"
            ),
            vec!["linuxserver/docker-calibre-web".to_string()]
        );
        assert!(repositories("see github.com/ alone").is_empty());
        assert!(repositories("https://github.com/owner").is_empty());
    }
}
