//! Office files as what they are: ZIP archives of XML parts tied together by relationships
//! (Open Packaging Conventions), read within bounds.
//!
//! An archive with more than [`MAX_ENTRIES`] entries, or whose entries claim to unpack to more
//! than [`MAX_UNPACKED`] bytes, is refused before anything is unpacked; what is unpacked is
//! counted as it is read, so an entry that lies about its size is stopped at the same budget.
//! Images handed out are counted too, so one image referenced a thousand times cannot multiply
//! past it. Part names are matched case-insensitively, as the conventions say.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use zip::ZipArchive;

use crate::outline::OutlineImage;
use crate::sniff::{sniff, Sniffed};
use crate::xml::{Ev, XmlReader};
use crate::ImportError;

/// The most entries an archive may have.
pub(crate) const MAX_ENTRIES: usize = 10_000;
/// The most bytes an archive may unpack to (and the most image bytes an import hands out).
pub(crate) const MAX_UNPACKED: u64 = 200 * 1024 * 1024;

/// Word or PowerPoint, by the main part the archive holds; `None` for any other ZIP.
pub(crate) fn office_kind(bytes: &[u8]) -> Option<Sniffed> {
    let zip = ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut kind = None;
    for name in zip.file_names().flatten() {
        if name.eq_ignore_ascii_case("word/document.xml") {
            return Some(Sniffed::Docx);
        }
        if name.eq_ignore_ascii_case("ppt/presentation.xml") {
            kind = Some(Sniffed::Pptx);
        }
    }
    kind
}

/// An open Office archive.
pub(crate) struct Package<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    /// Lower-cased part name → entry index.
    names: HashMap<String, usize>,
    /// Bytes that may still be unpacked.
    budget: u64,
    /// Image bytes that may still be handed out.
    image_budget: u64,
    images: HashMap<String, Option<OutlineImage>>,
}

/// One relationship of a part: `Id`, the last segment of its `Type` (`image`, `slide`,
/// `officeDocument`), and its target, resolved to a part name unless it is external.
#[derive(Debug, Clone)]
pub(crate) struct Rel {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub external: bool,
}

/// The relationships of one part.
#[derive(Debug, Default)]
pub(crate) struct Rels(Vec<Rel>);

impl Rels {
    pub fn get(&self, id: &str) -> Option<&Rel> {
        self.0.iter().find(|r| r.id == id)
    }

    /// The target part of the first internal relationship of this kind.
    pub fn first_of_kind(&self, kind: &str) -> Option<&str> {
        self.0.iter().find(|r| r.kind == kind && !r.external).map(|r| r.target.as_str())
    }
}

impl<'a> Package<'a> {
    pub fn open(bytes: &'a [u8], what: &str) -> Result<Self, ImportError> {
        let mut zip = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| ImportError::Invalid(format!("the {what} file is damaged and cannot be opened ({e})")))?;
        if zip.len() > MAX_ENTRIES {
            return Err(ImportError::Invalid(format!(
                "the {what} file holds more than {MAX_ENTRIES} entries and is refused"
            )));
        }
        let mut names = HashMap::with_capacity(zip.len());
        let mut claimed: u64 = 0;
        for index in 0..zip.len() {
            let entry = zip.by_index_raw(index).map_err(|e| damaged(what, &e))?;
            claimed = claimed.saturating_add(entry.size());
            let name = entry.name().map_err(|e| damaged(what, &e))?.to_ascii_lowercase();
            names.insert(name, index);
        }
        if claimed > MAX_UNPACKED {
            return Err(too_large());
        }
        Ok(Package { zip, names, budget: MAX_UNPACKED, image_budget: MAX_UNPACKED, images: HashMap::new() })
    }

    /// The bytes of a part, or `None` when the archive has no such part.
    pub fn read(&mut self, part: &str) -> Result<Option<Vec<u8>>, ImportError> {
        let Some(&index) = self.names.get(&part.to_ascii_lowercase()) else { return Ok(None) };
        let entry = self.zip.by_index(index).map_err(|e| damaged(part, &e))?;
        let mut bytes = Vec::with_capacity(entry.size().min(self.budget).min(1 << 24) as usize);
        entry.take(self.budget + 1).read_to_end(&mut bytes).map_err(|e| damaged(part, &e))?;
        let read = bytes.len() as u64;
        if read > self.budget {
            return Err(too_large());
        }
        self.budget -= read;
        Ok(Some(bytes))
    }

    /// A part as text (UTF-8 or UTF-16 with a byte order mark, as XML allows).
    pub fn read_xml(&mut self, part: &str) -> Result<Option<String>, ImportError> {
        let Some(bytes) = self.read(part)? else { return Ok(None) };
        decode_xml(&bytes).map(Some).ok_or_else(|| ImportError::Invalid(format!("{part} is not UTF-8 or UTF-16 text")))
    }

    /// The relationships of `part` (from `<dir>/_rels/<name>.rels`); none when it has none.
    pub fn rels(&mut self, part: &str) -> Result<Rels, ImportError> {
        let (dir, name) = part.rsplit_once('/').unwrap_or(("", part));
        let rels_part = if dir.is_empty() { format!("_rels/{name}.rels") } else { format!("{dir}/_rels/{name}.rels") };
        let Some(xml) = self.read_xml(&rels_part)? else { return Ok(Rels::default()) };
        let mut reader = XmlReader::new(&rels_part, &xml);
        let mut rels = Vec::new();
        loop {
            match reader.next()? {
                Ev::Open(e) if e.name() == "Relationship" => {
                    let (Some(id), Some(kind), Some(target)) = (e.attr("Id"), e.attr("Type"), e.attr("Target")) else {
                        continue;
                    };
                    let external = e.attr("TargetMode").is_some_and(|m| m.eq_ignore_ascii_case("External"));
                    let target = if external { target } else { resolve(part, &target) };
                    let kind = kind.rsplit('/').next().unwrap_or_default().to_owned();
                    rels.push(Rel { id, kind, target, external });
                }
                Ev::Eof => break,
                _ => {}
            }
        }
        Ok(Rels(rels))
    }

    /// The main part the package's root relationships name (`word/document.xml`), or `fallback`.
    pub fn main_part(&mut self, fallback: &str) -> Result<String, ImportError> {
        let rels = self.rels("")?;
        Ok(rels.first_of_kind("officeDocument").unwrap_or(fallback).to_owned())
    }

    /// The document title of the core properties (`docProps/core.xml`'s `dc:title`), if any.
    pub fn core_title(&mut self) -> Result<Option<String>, ImportError> {
        let part = self.rels("")?.first_of_kind("core-properties").unwrap_or("docProps/core.xml").to_owned();
        let Some(xml) = self.read_xml(&part)? else { return Ok(None) };
        let mut reader = XmlReader::new(&part, &xml);
        loop {
            match reader.next()? {
                Ev::Open(e) if e.name() == "title" => {
                    let title = crate::text::clean_line(&reader.text()?);
                    return Ok((!title.is_empty()).then_some(title));
                }
                Ev::Eof => return Ok(None),
                _ => {}
            }
        }
    }

    /// The image a relationship of `rels` points to, when it is a raster image this archive
    /// holds; `None` for external, missing or other files (an EMF, an SVG).
    pub fn image(&mut self, rels: &Rels, id: &str) -> Result<Option<OutlineImage>, ImportError> {
        let Some(rel) = rels.get(id).filter(|r| !r.external) else { return Ok(None) };
        let target = rel.target.clone();
        if !self.images.contains_key(&target) {
            let image = self.read(&target)?.and_then(|bytes| {
                let kind = sniff(&bytes).filter(Sniffed::is_raster_image)?;
                let name = target.rsplit('/').next().unwrap_or(&target).to_owned();
                Some(OutlineImage { bytes, content_type: kind.content_type(), name })
            });
            self.images.insert(target.clone(), image);
        }
        let Some(image) = self.images.get(&target).cloned().flatten() else { return Ok(None) };
        self.image_budget = self.image_budget.checked_sub(image.bytes.len() as u64).ok_or_else(too_large)?;
        Ok(Some(image))
    }
}

fn damaged(what: &str, e: &dyn std::fmt::Display) -> ImportError {
    ImportError::Invalid(format!("{what} is damaged and cannot be read ({e})"))
}

fn too_large() -> ImportError {
    ImportError::Invalid(format!("the file unpacks to more than {} MB and is refused", MAX_UNPACKED / (1024 * 1024)))
}

fn decode_xml(bytes: &[u8]) -> Option<String> {
    let utf16 = |bytes: &[u8], unit: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]])).collect();
        String::from_utf16(&units).ok()
    };
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        String::from_utf8(rest.to_vec()).ok()
    } else if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        utf16(rest, u16::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        utf16(rest, u16::from_be_bytes)
    } else {
        String::from_utf8(bytes.to_vec()).ok()
    }
}

/// The part a relationship target names, relative to the part that holds the relationship:
/// `media/image1.png` from `word/document.xml` is `word/media/image1.png`; `../media/a.png` from
/// `ppt/slides/slide1.xml` is `ppt/media/a.png`; `/ppt/x.xml` is absolute. `%20` and the like
/// are decoded.
pub(crate) fn resolve(source_part: &str, target: &str) -> String {
    let target = percent_decode(target);
    let mut segments: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        source_part.rsplit_once('/').map(|(dir, _)| dir.split('/').collect()).unwrap_or_default()
    };
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    segments.join("/")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_against_their_part() {
        assert_eq!(resolve("word/document.xml", "media/image1.png"), "word/media/image1.png");
        assert_eq!(resolve("ppt/slides/slide1.xml", "../media/a%20b.png"), "ppt/media/a b.png");
        assert_eq!(resolve("ppt/slides/slide1.xml", "/ppt/media/x.png"), "ppt/media/x.png");
        assert_eq!(resolve("", "word/document.xml"), "word/document.xml");
        assert_eq!(resolve("a/b.xml", "../../../../etc/passwd"), "etc/passwd");
    }

    #[test]
    fn xml_text_in_utf8_or_utf16() {
        assert_eq!(decode_xml(b"\xef\xbb\xbf<a/>").as_deref(), Some("<a/>"));
        assert_eq!(decode_xml(b"\xff\xfe<\0a\0/\0>\0").as_deref(), Some("<a/>"));
        assert_eq!(decode_xml(b"\xfe\xff\0<\0a\0/\0>").as_deref(), Some("<a/>"));
        assert_eq!(decode_xml(b"\xc3\x28"), None);
    }
}
