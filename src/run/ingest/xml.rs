//! The little of quick-xml the XML readers share: attribute values and character data
//! with entities resolved. Only the five predefined entities and character references
//! are expanded; a document's own entities are kept as written, so no input can make
//! them expand without bound.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, BytesStart};

use super::CappedText;

/// A reader over `text` that checks end tags match their start tags.
pub(crate) fn reader(text: &str) -> Reader<&[u8]> {
    Reader::from_str(text)
}

/// The sentence for a document quick-xml could not read.
pub(crate) fn malformed(what: &str, reader: &Reader<&[u8]>, err: &quick_xml::Error) -> String {
    format!(
        "{what} is malformed XML at byte {}: {err}",
        reader.error_position()
    )
}

/// The value of the attribute with local name `key`, entities resolved. Reading stops
/// at the first malformed attribute: what follows it cannot be trusted.
pub(crate) fn attr(element: &BytesStart<'_>, key: &str) -> Option<String> {
    for attribute in element.attributes() {
        let Ok(attribute) = attribute else {
            return None;
        };
        if attribute.key.local_name().as_ref() != key.as_bytes() {
            continue;
        }
        let value = match attribute.normalized_value(XmlVersion::Implicit1_0) {
            Ok(value) => value.into_owned(),
            Err(_) => String::from_utf8_lossy(&attribute.value).into_owned(),
        };
        return Some(value);
    }
    None
}

/// Appends what an entity or character reference stands for; an unknown entity is kept
/// as written.
pub(crate) fn push_ref(reference: &BytesRef<'_>, sink: &mut CappedText) {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        sink.push_char(c);
        return;
    }
    let name = String::from_utf8_lossy(reference);
    match resolve_xml_entity(&name) {
        Some(text) => sink.push(text),
        None => {
            sink.push("&");
            sink.push(&name);
            sink.push(";");
        }
    }
}
