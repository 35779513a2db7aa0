//! Redaction of secrets in snippets. Every snippet that enters a finding passes
//! through [`redact`], so no report format shows more of a credential than its first
//! four and last two characters: URL passwords, values assigned to secret-named keys,
//! and strings shaped like well-known tokens.

use std::sync::LazyLock;

use regex::Regex;

struct Rules {
    /// `scheme://user:password@host` → the password.
    url_password: Option<Regex>,
    /// `password = "…"`, `API_KEY: …`, `"token": "…"` → the value.
    keyed: Option<Regex>,
    /// Well-known token shapes, wherever they appear.
    tokens: Option<Regex>,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    Rules {
    url_password: Regex::new(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:)([^\s@/]+)(@)").ok(),
    keyed: Regex::new(
        r#"(?i)((?:pass(?:word|wd)?|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|auth|credentials?|dsn)[A-Za-z0-9_-]*["']?\s*[:=]\s*["']?)([^\s"',;)]{6,})"#,
    )
    .ok(),
    tokens: Regex::new(
        r"\b(?:sk-(?:proj-|live-|test-|ant-)?[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{16,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}|hf_[A-Za-z0-9]{20,}|(?:r|s)k_(?:live|test)_[A-Za-z0-9]{16,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{6,})",
    )
    .ok(),
}
});

/// Keeps the first four and last two characters of a secret, masking the rest.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= 8 {
        return "****".to_string();
    }
    let head: String = chars.iter().take(4).collect();
    let tail: String = chars.iter().skip(chars.len() - 2).collect();
    format!("{head}…{tail}")
}

/// Masks anything in `text` that looks like a credential.
pub fn redact(text: &str) -> String {
    let rules = &*RULES;
    let mut out = text.to_string();
    if let Some(re) = &rules.url_password {
        out = re
            .replace_all(&out, |c: &regex::Captures<'_>| {
                let pass = c.get(2).map(|m| m.as_str()).unwrap_or("");
                let shown = if pass.contains('…') || pass == "****" {
                    pass.to_string()
                } else {
                    mask(pass)
                };
                format!(
                    "{}{}{}",
                    c.get(1).map(|m| m.as_str()).unwrap_or(""),
                    shown,
                    c.get(3).map(|m| m.as_str()).unwrap_or("")
                )
            })
            .into_owned();
    }
    if let Some(re) = &rules.keyed {
        out = re
            .replace_all(&out, |c: &regex::Captures<'_>| {
                let value = c.get(2).map(|m| m.as_str()).unwrap_or("");
                // Placeholders and references are not secrets.
                // A masked form (`abcd…yz`, `****`) is masked already.
                let placeholder = value.contains('…')
                    || value == "****"
                    || value.starts_with('$')
                    || value.starts_with('<')
                    || value.starts_with("os.")
                    || value.starts_with("env")
                    || value.contains('(')
                    || value.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_');
                let shown = if placeholder {
                    value.to_string()
                } else {
                    mask(value)
                };
                format!("{}{shown}", c.get(1).map(|m| m.as_str()).unwrap_or(""))
            })
            .into_owned();
    }
    if let Some(re) = &rules.tokens {
        out = re
            .replace_all(&out, |c: &regex::Captures<'_>| {
                mask(c.get(0).map(|m| m.as_str()).unwrap_or(""))
            })
            .into_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_url_passwords_keyed_values_and_tokens() {
        assert_eq!(
            redact("DB = \"postgres://admin:PGPASSWORDSECRET@db:5432/x\""),
            "DB = \"postgres://admin:PGPA…ET@db:5432/x\""
        );
        assert_eq!(
            redact("run: OPENAI_API_KEY=sk-live-CIVALUE123 pytest"),
            "run: OPENAI_API_KEY=sk-l…23 pytest"
        );
        assert_eq!(
            redact("key = os.getenv(\"OPENAI_API_KEY\", \"sk-proj-HARDCODEDVALUE12345\")"),
            "key = os.getenv(\"OPENAI_API_KEY\", \"sk-p…45\")"
        );
        assert_eq!(
            redact("# token ghp_abcdefghijklmnopqrstuvwx"),
            "# token ghp_…wx"
        );
        assert_eq!(redact("password: hunter2hunter2"), "password: hunt…r2");
    }

    #[test]
    fn a_masked_value_is_not_masked_again() {
        assert_eq!(redact("TOKEN = \"ghp_…8d\""), "TOKEN = \"ghp_…8d\"");
        assert_eq!(redact("password: ****"), "password: ****");
    }

    #[test]
    fn leaves_references_and_ordinary_text_alone() {
        assert_eq!(
            redact("token = os.environ[\"TOKEN\"]"),
            "token = os.environ[\"TOKEN\"]"
        );
        assert_eq!(
            redact("password: ${{ secrets.DB_PASSWORD }}"),
            "password: ${{ secrets.DB_PASSWORD }}"
        );
        assert_eq!(redact("import requests"), "import requests");
        assert_eq!(redact("API_KEY=YOUR_API_KEY"), "API_KEY=YOUR_API_KEY");
    }
}
