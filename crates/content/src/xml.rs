//! A small, bounded view of quick-xml for the Office readers: elements by local name, text with
//! its references resolved, and a depth cap so that a hostile part cannot nest without end.
//!
//! Namespaces are matched by prefix convention rather than resolved: Office files use `w:`, `a:`,
//! `p:`, `r:` throughout, and the readers only need to tell an unprefixed attribute (`id`) from a
//! prefixed one (`r:id`). No DTD is processed and no entity is expanded: an unknown `&name;`
//! stays as it was written.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::ImportError;

/// How deeply elements may nest. Word's deepest real documents (tables in text boxes in tables)
/// stay far below this.
pub(crate) const MAX_DEPTH: usize = 256;

/// One step through a part.
pub(crate) enum Ev<'a> {
    Open(Element<'a>),
    /// The end of the element with this local name (empty elements are opened, then closed).
    Close(String),
    Text(Cow<'a, str>),
    Eof,
}

/// An element's start tag.
pub(crate) struct Element<'a>(BytesStart<'a>);

impl Element<'_> {
    /// The local name: `p` for `<w:p>`.
    pub fn name(&self) -> &str {
        self.0.local_name().into_inner()
    }

    /// The value of the attribute with this local name, whatever its prefix (`w:val`, `val`).
    pub fn attr(&self, local: &str) -> Option<String> {
        self.find(|_, name| name == local)
    }

    /// The value of the unprefixed attribute `name` (`id` in `<p:sldId id="256" r:id="rId2"/>`).
    pub fn plain_attr(&self, name: &str) -> Option<String> {
        self.find(|prefixed, n| !prefixed && n == name)
    }

    /// The value of a prefixed attribute with this local name (`r:id`, `r:embed`).
    pub fn prefixed_attr(&self, local: &str) -> Option<String> {
        self.find(|prefixed, n| prefixed && n == local)
    }

    fn find(&self, wanted: impl Fn(bool, &str) -> bool) -> Option<String> {
        self.0.attributes().with_checks(false).flatten().find_map(|attr| {
            let prefixed = attr.key.prefix().is_some();
            if !wanted(prefixed, attr.key.local_name().into_inner()) {
                return None;
            }
            let value = attr.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()?;
            Some(value.into_owned())
        })
    }
}

/// Reads one part; errors name it (`word/document.xml is not well-formed XML: …`).
pub(crate) struct XmlReader<'a> {
    reader: Reader<&'a [u8]>,
    depth: usize,
    part: &'a str,
}

impl<'a> XmlReader<'a> {
    pub fn new(part: &'a str, xml: &'a str) -> Self {
        let mut reader = Reader::from_str(xml);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        XmlReader { reader, depth: 0, part }
    }

    pub fn next(&mut self) -> Result<Ev<'a>, ImportError> {
        loop {
            let event = self
                .reader
                .read_event()
                .map_err(|e| ImportError::Invalid(format!("{} is not well-formed XML: {e}", self.part)))?;
            return Ok(match event {
                Event::Start(start) => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(ImportError::Invalid(format!(
                            "{} nests elements more than {MAX_DEPTH} deep",
                            self.part
                        )));
                    }
                    Ev::Open(Element(start))
                }
                Event::End(end) => {
                    self.depth = self.depth.saturating_sub(1);
                    Ev::Close(end.local_name().into_inner().to_owned())
                }
                Event::Text(text) => Ev::Text(text.xml10_content()),
                Event::CData(data) => Ev::Text(data.xml10_content()),
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => match quick_xml::escape::resolve_predefined_entity(&reference) {
                            Some(s) => s.to_owned(),
                            None => format!("&{};", &*reference),
                        },
                        Err(_) => String::new(),
                    };
                    Ev::Text(Cow::Owned(resolved))
                }
                Event::Eof => Ev::Eof,
                Event::Empty(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => continue,
            });
        }
    }

    /// Skips the rest of the element just opened.
    pub fn skip(&mut self) -> Result<(), ImportError> {
        let outside = self.depth.saturating_sub(1);
        while self.depth > outside {
            if let Ev::Eof = self.next()? {
                break;
            }
        }
        Ok(())
    }

    /// The text inside the element just opened, up to its end.
    pub fn text(&mut self) -> Result<String, ImportError> {
        let outside = self.depth.saturating_sub(1);
        let mut out = String::new();
        while self.depth > outside {
            match self.next()? {
                Ev::Text(t) => out.push_str(&t),
                Ev::Eof => break,
                Ev::Open(_) | Ev::Close(_) => {}
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_text_and_references() {
        let xml = r#"<p:sldId id="256" r:id="rId2"><t>a &amp; b &#x263A; &custom;</t><e w:val="x"/></p:sldId>"#;
        let mut r = XmlReader::new("test.xml", xml);
        let Ev::Open(e) = r.next().expect("open") else { panic!("not an element") };
        assert_eq!(e.name(), "sldId");
        assert_eq!(e.plain_attr("id").as_deref(), Some("256"));
        assert_eq!(e.prefixed_attr("id").as_deref(), Some("rId2"));
        let Ev::Open(t) = r.next().expect("open t") else { panic!("not t") };
        assert_eq!(t.name(), "t");
        assert_eq!(r.text().expect("text"), "a & b ☺ &custom;");
        let Ev::Open(e) = r.next().expect("open e") else { panic!("not e") };
        assert_eq!(e.attr("val").as_deref(), Some("x"));
    }

    #[test]
    fn depth_is_capped_and_errors_name_the_part() {
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        let mut r = XmlReader::new("deep.xml", &deep);
        let err = loop {
            match r.next() {
                Ok(Ev::Eof) => panic!("no error"),
                Ok(_) => {}
                Err(e) => break e,
            }
        };
        assert!(matches!(err, ImportError::Invalid(m) if m.contains("deep.xml") && m.contains("256")));
        let mut r = XmlReader::new("bad.xml", "<a><b></a>");
        let err = std::iter::from_fn(|| Some(r.next())).find_map(Result::err);
        assert!(matches!(err, Some(ImportError::Invalid(m)) if m.contains("bad.xml")));
    }
}
