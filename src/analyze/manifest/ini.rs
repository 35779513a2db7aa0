//! A small, forgiving INI reader for setup.cfg, tox.ini and friends: sections, keys,
//! and indented continuation lines, each with its line number.

/// One `key = value` (or `key: value`) entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub line: u32,
    pub value: String,
    /// Indented lines that continue the value.
    pub continuation: Vec<(u32, String)>,
}

impl Entry {
    /// The first-line value and every continuation line, trimmed and non-empty.
    pub fn values(&self) -> Vec<(u32, &str)> {
        let mut out = Vec::new();
        if !self.value.trim().is_empty() {
            out.push((self.line, self.value.trim()));
        }
        for (line, v) in &self.continuation {
            let v = v.trim();
            if !v.is_empty() && !v.starts_with('#') && !v.starts_with(';') {
                out.push((*line, v));
            }
        }
        out
    }
}

/// A `[section]` and its entries.
#[derive(Debug, Clone)]
pub struct Section {
    pub name: String,
    pub line: u32,
    pub entries: Vec<Entry>,
}

impl Section {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

/// Reads every section; entries before the first section are dropped.
pub fn parse(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        let indented = raw.starts_with([' ', '\t']);
        if !indented && (trimmed.starts_with('#') || trimmed.starts_with(';')) {
            continue;
        }
        if !indented && trimmed.starts_with('[') && trimmed.ends_with(']') {
            let name = trimmed.trim_start_matches('[').trim_end_matches(']').trim();
            sections.push(Section {
                name: name.to_string(),
                line,
                entries: Vec::new(),
            });
            continue;
        }
        let Some(section) = sections.last_mut() else {
            continue;
        };
        if indented {
            if let Some(entry) = section.entries.last_mut() {
                entry.continuation.push((line, trimmed.to_string()));
            }
            continue;
        }
        let split = trimmed.find(['=', ':']);
        let (key, value) = match split {
            Some(at) => (
                trimmed.get(..at).unwrap_or(""),
                trimmed.get(at + 1..).unwrap_or(""),
            ),
            None => (trimmed, ""),
        };
        section.entries.push(Entry {
            key: key.trim().to_string(),
            line,
            value: value.trim().to_string(),
            continuation: Vec::new(),
        });
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_and_continuations() {
        let text = "[metadata]\nname = demo\n\n[options]\ninstall_requires =\n    requests>=2\n    click\npython_requires = >=3.10\n";
        let s = parse(text);
        assert_eq!(s.len(), 2);
        let opts = &s[1];
        let req = opts.get("install_requires").unwrap();
        assert_eq!(req.values(), vec![(6, "requests>=2"), (7, "click")]);
        assert_eq!(opts.get("python_requires").unwrap().value, ">=3.10");
    }
}
