//! The little of quick-xml the XML readers share: attribute values and character data
//! with entities resolved. Only the five predefined entities and character references
//! are expanded; a document's own entities are kept as written, so no input can make
//! them expand without bound.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};

use super::CappedText;

/// What a document reader does with the elements and character data of a document.
pub(crate) trait Handler {
    fn open(&mut self, element: &BytesStart<'_>);
    fn close(&mut self, local_name: &[u8]);
    /// Where character data goes now, if anywhere.
    fn sink(&mut self) -> Option<&mut CappedText>;
}

/// Reads `text` through `handler`, event by event (no recursion, whatever the depth);
/// `what` names the document in the error of a malformed one.
pub(crate) fn read(text: &str, what: &str, handler: &mut impl Handler) -> Result<(), String> {
    let mut reader = Reader::from_str(text);
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(what, &reader, &e))?;
        match event {
            Event::Start(e) => handler.open(&e),
            Event::Empty(e) => {
                handler.open(&e);
                handler.close(e.local_name().as_ref());
            }
            Event::End(e) => handler.close(e.local_name().as_ref()),
            Event::Text(t) => {
                if let (Some(sink), Ok(t)) = (handler.sink(), t.xml10_content()) {
                    sink.push(&t);
                }
            }
            Event::CData(t) => {
                if let (Some(sink), Ok(t)) = (handler.sink(), t.xml10_content()) {
                    sink.push(&t);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(sink) = handler.sink() {
                    push_ref(&r, sink);
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// The sentence for a document quick-xml could not read.
fn malformed(what: &str, reader: &Reader<&[u8]>, err: &quick_xml::Error) -> String {
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
fn push_ref(reference: &BytesRef<'_>, sink: &mut CappedText) {
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
