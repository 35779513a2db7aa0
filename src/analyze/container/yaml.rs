//! A YAML document tree that keeps the line of every key and value, for facts that
//! must point at the line they come from (Compose services, Kubernetes containers).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A YAML value and the 1-based line it starts on (0 when unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: u32,
    pub value: Value,
}

/// A YAML value. Scalars keep their text; booleans are kept apart so `true` and
/// `"true"` can be told from other strings where it matters.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number or string, as text.
    Scalar(String),
    Seq(Vec<Node>),
    /// Entries in document order: key text, key line, value.
    Map(Vec<(String, u32, Node)>),
}

/// A parsed value without its line; [`Node`] is this plus the line of the span.
struct Raw(Value);

fn line_of(loc: &serde_saphyr::Location) -> u32 {
    u32::try_from(loc.line()).unwrap_or(u32::MAX)
}

fn node(s: Spanned<Raw>) -> Node {
    Node {
        line: line_of(&s.referenced),
        value: s.value.0,
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw(Value::Scalar(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw(Value::Scalar(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw(Value::Scalar(v.to_string())))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw(Value::Scalar(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
        Ok(Raw(Value::Scalar(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(node(item));
        }
        Ok(Raw(Value::Seq(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Raw>>()? {
            let value = map.next_value::<Spanned<Raw>>()?;
            let text = match key.value.0 {
                Value::Scalar(s) => s,
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                // Complex keys do not occur in the files read here.
                Value::Seq(_) | Value::Map(_) => continue,
            };
            entries.push((text, line_of(&key.referenced), node(value)));
        }
        Ok(Raw(Value::Map(entries)))
    }
}

/// Every document of a (possibly multi-document) YAML text.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, serde_saphyr::Error> {
    let docs: Vec<Spanned<Raw>> =
        serde_saphyr::from_multiple_with_options(text, crate::analyze::yaml_options())?;
    Ok(docs.into_iter().map(node).collect())
}

impl Node {
    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, n)| n)
    }

    /// The line of `key` and its value, in a mapping.
    pub fn entry(&self, key: &str) -> Option<(u32, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, l, n)| (*l, n)),
            _ => None,
        }
    }

    /// The value at a path of keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    /// Scalar text (numbers included); booleans as `true`/`false`.
    pub fn text(&self) -> Option<String> {
        match &self.value {
            Value::Scalar(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// True for YAML `true` (and the string `"true"`, which tools accept alike).
    pub fn is_true(&self) -> bool {
        match &self.value {
            Value::Bool(b) => *b,
            Value::Scalar(s) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }

    /// Items of a sequence (empty for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// Entries of a mapping (empty for anything else).
    pub fn entries(&self) -> &[(String, u32, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// True for a mapping or sequence with at least one entry.
    pub fn is_nonempty(&self) -> bool {
        match &self.value {
            Value::Map(e) => !e.is_empty(),
            Value::Seq(s) => !s.is_empty(),
            Value::Scalar(s) => !s.is_empty(),
            Value::Bool(_) => true,
            Value::Null => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_of_keys_and_values_across_documents() {
        let text = "a: 1\nb:\n  c: true\n  d: [x, y]\n---\n# comment\nkind: Pod\nlist:\n  - name: one\n  - name: two\n";
        let docs = parse_documents(text).unwrap();
        assert_eq!(docs.len(), 2);
        let (line, c) = docs[0].path(&["b"]).unwrap().entry("c").unwrap();
        assert_eq!(line, 3);
        assert!(c.is_true());
        assert_eq!(docs[0].path(&["b", "d"]).unwrap().items().len(), 2);
        assert_eq!(docs[1].entry("kind").unwrap().0, 7);
        let second = &docs[1].get("list").unwrap().items()[1];
        assert_eq!(second.entry("name").unwrap().0, 10);
    }

    #[test]
    fn reports_malformed_yaml_as_an_error() {
        assert!(parse_documents("a: [1, 2\nb: {").is_err());
    }
}
