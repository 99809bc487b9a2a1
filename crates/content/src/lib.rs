//! Uploaded content, read by its bytes: what a file is ([`sniff`]), Markdown made safe to show
//! ([`render_markdown`]), and a course outline read from a Markdown, Word, PowerPoint or PDF file
//! ([`import`]), cut into modules and slides by the rules of API.md's course import.
//!
//! **Architecture invariant:** no I/O, no SQL, no HTTP, no async, no other Lyceum crate — bytes
//! in, values out; the server maps [`ImportError`] to its codes (`Unsupported` → 415
//! `unsupported_media_type`, `Invalid` and `Empty` → 422 `validation`).
//!
//! Everything an uploader controls is read within bounds — archives by entry count and unpacked
//! size ([`MAX_ARCHIVE_ENTRIES`], [`MAX_UNPACKED_BYTES`]), XML by element depth, PDFs by page
//! count, unpacked streams and nesting — and hostile input yields an error, never a panic out of
//! this crate. Titles and text come back raw, control characters stripped: the server escapes
//! them on output, and renders slide Markdown through [`render_markdown`].

mod docx;
mod markdown;
mod outline;
mod package;
mod pdf;
mod pptx;
mod render;
mod sniff;
mod text;
mod xml;

pub use outline::{Outline, OutlineImage, OutlineModule, OutlineSlide};
pub use render::render_markdown;
pub use sniff::{sniff, MediaKind, Sniffed};

/// The most entries a Word or PowerPoint archive may hold.
pub const MAX_ARCHIVE_ENTRIES: usize = package::MAX_ENTRIES;
/// The most bytes a Word or PowerPoint archive, or a PDF's compressed streams, may unpack to.
pub const MAX_UNPACKED_BYTES: u64 = package::MAX_UNPACKED;
/// The most pages a PDF may have.
pub const MAX_PDF_PAGES: usize = pdf::MAX_PAGES;

/// Why a file could not be imported. The messages are written for the person who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Not Markdown, PDF, PowerPoint (.pptx) or Word (.docx), by its content.
    #[error("only Markdown, PDF, PowerPoint (.pptx) and Word (.docx) files can be imported")]
    Unsupported,
    /// A file of an accepted type that cannot be read: damaged, protected or past a bound.
    #[error("{0}")]
    Invalid(String),
    /// A readable file with no text in it.
    #[error("the file has no text to import")]
    Empty,
}

/// Reads a course outline from an uploaded file, whose type is sniffed from `bytes` (the file
/// name is never consulted).
pub fn import(bytes: &[u8]) -> Result<Outline, ImportError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty);
    }
    let outline = match sniff(bytes) {
        Some(Sniffed::Markdown) => {
            let text = std::str::from_utf8(bytes).map_err(|_| ImportError::Unsupported)?;
            markdown::import(text.strip_prefix('\u{feff}').unwrap_or(text))
        }
        Some(Sniffed::Docx) => docx::import(bytes)?,
        Some(Sniffed::Pptx) => pptx::import(bytes)?,
        Some(Sniffed::Pdf) => pdf::import(bytes)?,
        _ => return Err(ImportError::Unsupported),
    }
    .scrubbed();
    if outline.modules.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(outline)
}
