//! What a file is, decided by its bytes alone: uploads are checked by content, never by name
//! (API.md: `unsupported_media_type` is "an upload whose content is not an accepted type").
//!
//! Binary formats by their magic bytes; an Office archive by the part it holds (a ZIP with
//! `word/document.xml` is Word, with `ppt/presentation.xml` PowerPoint); SVG and Markdown by
//! their text. Nothing here is trusted beyond the answer: the readers check everything again.

use crate::package;

/// A type of file Lyceum accepts, as sniffed from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sniffed {
    Png,
    Jpeg,
    Gif,
    Webp,
    Svg,
    Mp3,
    Wav,
    Ogg,
    Mp4,
    Webm,
    Pdf,
    Docx,
    Pptx,
    Markdown,
}

/// The broad kind of a [`Sniffed`] type: what the media library and the import accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Image,
    Audio,
    Video,
    Document,
}

impl Sniffed {
    /// The `Content-Type` the file is stored and served with.
    pub fn content_type(&self) -> &'static str {
        match self {
            Sniffed::Png => "image/png",
            Sniffed::Jpeg => "image/jpeg",
            Sniffed::Gif => "image/gif",
            Sniffed::Webp => "image/webp",
            Sniffed::Svg => "image/svg+xml",
            Sniffed::Mp3 => "audio/mpeg",
            Sniffed::Wav => "audio/wav",
            Sniffed::Ogg => "audio/ogg",
            Sniffed::Mp4 => "video/mp4",
            Sniffed::Webm => "video/webm",
            Sniffed::Pdf => "application/pdf",
            Sniffed::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Sniffed::Pptx => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            Sniffed::Markdown => "text/markdown",
        }
    }

    /// Image, audio, video or document.
    pub fn kind(&self) -> MediaKind {
        match self {
            Sniffed::Png | Sniffed::Jpeg | Sniffed::Gif | Sniffed::Webp | Sniffed::Svg => MediaKind::Image,
            Sniffed::Mp3 | Sniffed::Wav | Sniffed::Ogg => MediaKind::Audio,
            Sniffed::Mp4 | Sniffed::Webm => MediaKind::Video,
            Sniffed::Pdf | Sniffed::Docx | Sniffed::Pptx | Sniffed::Markdown => MediaKind::Document,
        }
    }

    /// The raster images a slide may carry (SVG is not one: it needs sanitising first).
    pub(crate) fn is_raster_image(&self) -> bool {
        matches!(self, Sniffed::Png | Sniffed::Jpeg | Sniffed::Gif | Sniffed::Webp)
    }
}

/// The type of `bytes`, or `None` when it is none of the accepted types.
///
/// Text is Markdown when it is valid UTF-8 with no control characters other than tab, carriage
/// return and line feed, and is not SVG (whose first element is `<svg`), an HTML document
/// (`<!DOCTYPE html` or `<html` first) or another XML document (an XML declaration first).
/// Empty input is nothing.
pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    if bytes.is_empty() {
        return None;
    }
    magic(bytes).or_else(|| text(bytes))
}

fn magic(b: &[u8]) -> Option<Sniffed> {
    let at = |offset: usize, magic: &[u8]| b.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"\x89PNG\r\n\x1a\n") {
        Some(Sniffed::Png)
    } else if at(0, b"\xff\xd8\xff") {
        Some(Sniffed::Jpeg)
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        Some(Sniffed::Gif)
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Some(Sniffed::Webp)
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        Some(Sniffed::Wav)
    } else if at(0, b"OggS") {
        Some(Sniffed::Ogg)
    } else if at(0, b"%PDF-") {
        Some(Sniffed::Pdf)
    } else if at(4, b"ftyp") && b.len() >= 12 {
        Some(Sniffed::Mp4)
    } else if at(0, b"\x1a\x45\xdf\xa3") {
        // An EBML header; WebM is the Matroska profile whose DocType says so.
        let head = &b[..b.len().min(64)];
        head.windows(4).any(|w| w == b"webm").then_some(Sniffed::Webm)
    } else if at(0, b"ID3") || is_mpeg_audio_frame(b) {
        Some(Sniffed::Mp3)
    } else if at(0, b"PK\x03\x04") {
        package::office_kind(b)
    } else {
        None
    }
}

/// An MPEG audio frame header (a file without an ID3 tag starts with one): 11 sync bits, then a
/// version, a layer, a bitrate and a sample rate that are not the reserved values. AAC's ADTS
/// headers (layer 0) are not MP3.
fn is_mpeg_audio_frame(b: &[u8]) -> bool {
    let [b0, b1, b2, ..] = *b else { return false };
    let version = (b1 >> 3) & 0b11;
    let layer = (b1 >> 1) & 0b11;
    let bitrate = b2 >> 4;
    let sample_rate = (b2 >> 2) & 0b11;
    b0 == 0xff && b1 & 0xe0 == 0xe0 && version != 0b01 && layer != 0 && bitrate != 0b1111 && sample_rate != 0b11
}

fn text(bytes: &[u8]) -> Option<Sniffed> {
    let text = std::str::from_utf8(bytes).ok()?;
    match first_markup(text) {
        Markup::Svg => Some(Sniffed::Svg),
        Markup::Html | Markup::OtherXml => None,
        Markup::None => {
            let plain = text.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\r' | '\n'));
            plain.then_some(Sniffed::Markdown)
        }
    }
}

enum Markup {
    Svg,
    Html,
    OtherXml,
    None,
}

/// What the text's first element is, after a byte order mark, an XML declaration, comments and
/// a doctype.
fn first_markup(text: &str) -> Markup {
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut prolog = false;
    let mut html_doctype = false;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<?xml") {
            let Some(end) = after.find("?>") else { return Markup::OtherXml };
            rest = &after[end + 2..];
            prolog = true;
        } else if let Some(after) = rest.strip_prefix("<!--") {
            let Some(end) = after.find("-->") else { return Markup::None };
            rest = &after[end + 3..];
        } else if starts_with_ignore_case(rest, "<!doctype") {
            let Some(end) = doctype_end(rest) else { return Markup::OtherXml };
            html_doctype = starts_with_ignore_case(rest["<!doctype".len()..].trim_start(), "html");
            rest = &rest[end..];
            prolog = true;
        } else {
            break;
        }
    }
    let element_is = |name: &str| {
        starts_with_ignore_case(rest, name)
            && rest[name.len()..].chars().next().is_none_or(|c| c.is_whitespace() || c == '>' || c == '/')
    };
    if element_is("<svg") {
        Markup::Svg
    } else if html_doctype || element_is("<html") {
        Markup::Html
    } else if prolog {
        Markup::OtherXml
    } else {
        Markup::None
    }
}

/// The byte offset just past a doctype's closing `>`, skipping an internal subset in brackets.
fn doctype_end(s: &str) -> Option<usize> {
    let mut in_subset = false;
    for (i, c) in s.char_indices() {
        match c {
            '[' => in_subset = true,
            ']' => in_subset = false,
            '>' if !in_subset => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_by_magic_bytes() {
        let cases: &[(&[u8], Sniffed)] = &[
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Sniffed::Png),
            (b"\xff\xd8\xff\xe0\0\x10JFIF", Sniffed::Jpeg),
            (b"GIF89a\x01\0\x01\0", Sniffed::Gif),
            (b"RIFF\x24\0\0\0WEBPVP8 ", Sniffed::Webp),
            (b"RIFF\x24\0\0\0WAVEfmt ", Sniffed::Wav),
            (b"OggS\0\x02\0\0", Sniffed::Ogg),
            (b"%PDF-1.7\n", Sniffed::Pdf),
            (b"\0\0\0\x18ftypmp42\0\0\0\0", Sniffed::Mp4),
            (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", Sniffed::Webm),
            (b"ID3\x04\0\0\0\0\0\0", Sniffed::Mp3),
            (b"\xff\xfb\x90\x64\0\0", Sniffed::Mp3),
        ];
        for (bytes, expected) in cases {
            assert_eq!(sniff(bytes), Some(*expected), "{expected:?}");
        }
    }

    #[test]
    fn not_accepted() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska"), None);
        assert_eq!(sniff(b"\xff\xf1\x50\x80"), None, "AAC in ADTS is not MP3");
        assert_eq!(sniff(b"PK\x03\x04 not really a zip"), None);
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0"), None);
        assert_eq!(sniff(b"text with a \x07 bell"), None);
        assert_eq!(sniff(b"\xc3\x28 invalid utf-8"), None);
        assert_eq!(sniff(b"<!DOCTYPE html><html><body>hi</body></html>"), None);
        assert_eq!(sniff(b"<html lang=en>"), None);
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><note/>"), None);
    }

    #[test]
    fn svg_after_a_prolog() {
        let svg = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- drawn by hand -->\n\
            <!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\" [ <!ENTITY a \"b\"> ]>\n\
            <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\"/>";
        assert_eq!(sniff(svg.as_bytes()), Some(Sniffed::Svg));
        assert_eq!(sniff(b"<svg>"), Some(Sniffed::Svg));
        assert_eq!(sniff(b"<svgfoo>"), Some(Sniffed::Markdown), "not an svg element");
    }

    #[test]
    fn markdown_is_plain_text() {
        assert_eq!(sniff(b"# Title\r\n\ttext\n"), Some(Sniffed::Markdown));
        assert_eq!(sniff("Ünïcödé only".as_bytes()), Some(Sniffed::Markdown));
        assert_eq!(sniff(b"<div>raw html is Markdown too</div>"), Some(Sniffed::Markdown));
    }

    #[test]
    fn kinds_and_content_types() {
        assert_eq!(Sniffed::Svg.kind(), MediaKind::Image);
        assert_eq!(Sniffed::Ogg.kind(), MediaKind::Audio);
        assert_eq!(Sniffed::Webm.kind(), MediaKind::Video);
        assert_eq!(Sniffed::Pptx.kind(), MediaKind::Document);
        assert_eq!(Sniffed::Markdown.content_type(), "text/markdown");
        assert_eq!(Sniffed::Mp3.content_type(), "audio/mpeg");
    }
}
