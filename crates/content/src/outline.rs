//! The outline an import yields — modules of slides, as API.md's import rules cut a document —
//! and the one place where headings become modules and slides for Markdown and Word.
//!
//! Each heading of the highest level present starts a module; what comes before the first one
//! goes into a module titled from the document's title, or "Introduction". Lower headings start
//! slides; paragraphs, lists, tables and images fill the slide they follow.

use std::fmt;

use crate::text;

/// A course outline read from a file: the course title when the file names one, and its modules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    pub title: Option<String>,
    pub modules: Vec<OutlineModule>,
}

/// One module of an [`Outline`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineModule {
    pub title: String,
    pub slides: Vec<OutlineSlide>,
}

/// One slide block: an optional heading, its body as Markdown, and the images it showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutlineSlide {
    pub heading: Option<String>,
    pub markdown: String,
    pub images: Vec<OutlineImage>,
}

/// An image taken from a Word or PowerPoint file, sniffed: PNG, JPEG, GIF or WebP only.
#[derive(Clone, PartialEq, Eq)]
pub struct OutlineImage {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// The name of the image inside the file (`image1.png`), for the media library.
    pub name: String,
}

impl fmt::Debug for OutlineImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutlineImage")
            .field("bytes", &format_args!("[{} bytes]", self.bytes.len()))
            .field("content_type", &self.content_type)
            .field("name", &self.name)
            .finish()
    }
}

impl Outline {
    /// Strips control characters from every title, heading and body, and drops what is left
    /// empty, so that nothing a reader missed reaches the server.
    pub(crate) fn scrubbed(self) -> Outline {
        let title = self.title.map(|t| text::clean_line(&t)).filter(|t| !t.is_empty());
        let modules = self
            .modules
            .into_iter()
            .map(|module| OutlineModule {
                title: text::clean_line(&module.title),
                slides: module
                    .slides
                    .into_iter()
                    .map(|slide| OutlineSlide {
                        heading: slide.heading.map(|h| text::clean_line(&h)).filter(|h| !h.is_empty()),
                        markdown: text::clean_markdown(&slide.markdown),
                        images: slide.images,
                    })
                    .filter(|slide| !slide.is_empty())
                    .collect(),
            })
            .filter(|module| !module.title.is_empty() || !module.slides.is_empty())
            .map(|mut module| {
                if module.title.is_empty() {
                    module.title = "Untitled".to_owned();
                }
                module
            })
            .collect();
        Outline { title, modules }
    }
}

impl OutlineSlide {
    fn is_empty(&self) -> bool {
        self.heading.is_none() && self.markdown.trim().is_empty() && self.images.is_empty()
    }
}

/// What a Markdown or Word reader finds, in document order.
#[derive(Debug)]
pub(crate) enum Block {
    Heading {
        level: u8,
        text: String,
    },
    /// A paragraph, table, code block or whole list, as Markdown.
    Paragraph(String),
    /// One list item as Markdown, marker and indentation included; items in a row form one list.
    ListItem(String),
    Image(OutlineImage),
}

/// A slide being filled, block by block.
#[derive(Debug, Default)]
pub(crate) struct SlideBuilder {
    slide: OutlineSlide,
    in_list: bool,
}

impl SlideBuilder {
    pub fn headed(heading: Option<String>) -> Self {
        SlideBuilder { slide: OutlineSlide { heading, ..OutlineSlide::default() }, in_list: false }
    }

    pub fn paragraph(&mut self, markdown: &str) {
        if markdown.trim().is_empty() {
            return;
        }
        self.separate("\n\n");
        self.slide.markdown.push_str(markdown.trim_end());
        self.in_list = false;
    }

    pub fn list_item(&mut self, markdown: &str) {
        if markdown.trim().is_empty() {
            return;
        }
        self.separate(if self.in_list { "\n" } else { "\n\n" });
        self.slide.markdown.push_str(markdown.trim_end());
        self.in_list = true;
    }

    pub fn image(&mut self, image: OutlineImage) {
        self.slide.images.push(image);
    }

    fn separate(&mut self, separator: &str) {
        if !self.slide.markdown.is_empty() {
            self.slide.markdown.push_str(separator);
        }
    }

    /// The slide, unless it has nothing in it.
    pub fn finish(self) -> Option<OutlineSlide> {
        (!self.slide.is_empty()).then_some(self.slide)
    }
}

/// Cuts `blocks` into modules and slides by their headings (see the module doc).
pub(crate) fn assemble(title: Option<String>, blocks: Vec<Block>) -> Outline {
    let top =
        blocks.iter().filter_map(|b| if let Block::Heading { level, .. } = b { Some(*level) } else { None }).min();
    let first_title = title.clone().unwrap_or_else(|| "Introduction".to_owned());
    let mut modules = Vec::new();
    // The module being filled; the one before the first top heading is kept only when it has slides.
    let mut module = OutlineModule { title: first_title, slides: Vec::new() };
    let mut keep_empty = false;
    let mut slide = SlideBuilder::default();
    for block in blocks {
        match block {
            Block::Heading { level, text } if Some(level) == top => {
                module.slides.extend(std::mem::take(&mut slide).finish());
                let previous = std::mem::replace(&mut module, OutlineModule { title: text, slides: Vec::new() });
                if keep_empty || !previous.slides.is_empty() {
                    modules.push(previous);
                }
                keep_empty = true;
            }
            Block::Heading { text, .. } => {
                module.slides.extend(std::mem::replace(&mut slide, SlideBuilder::headed(Some(text))).finish());
            }
            Block::Paragraph(markdown) => slide.paragraph(&markdown),
            Block::ListItem(markdown) => slide.list_item(&markdown),
            Block::Image(image) => slide.image(image),
        }
    }
    module.slides.extend(slide.finish());
    if keep_empty || !module.slides.is_empty() {
        modules.push(module);
    }
    Outline { title, modules }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Module titles with their slides' headings and Markdown.
    type Shape<'a> = Vec<(&'a str, Vec<(Option<&'a str>, &'a str)>)>;

    fn heading(level: u8, text: &str) -> Block {
        Block::Heading { level, text: text.to_owned() }
    }

    fn para(text: &str) -> Block {
        Block::Paragraph(text.to_owned())
    }

    #[test]
    fn highest_level_present_starts_modules() {
        let outline = assemble(
            None,
            vec![
                para("before"),
                heading(2, "A"),
                para("a text"),
                heading(3, "A.1"),
                Block::ListItem("- x".into()),
                Block::ListItem("- y".into()),
                para("after list"),
                heading(4, "A.1.1"),
                heading(2, "B"),
            ],
        );
        let shape: Shape<'_> = outline
            .modules
            .iter()
            .map(|m| (m.title.as_str(), m.slides.iter().map(|s| (s.heading.as_deref(), s.markdown.as_str())).collect()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("Introduction", vec![(None, "before")]),
                ("A", vec![(None, "a text"), (Some("A.1"), "- x\n- y\n\nafter list"), (Some("A.1.1"), "")]),
                ("B", vec![]),
            ]
        );
    }

    #[test]
    fn the_first_module_takes_the_document_title_and_is_dropped_when_empty() {
        let outline = assemble(Some("Doc".into()), vec![para("intro"), heading(1, "One")]);
        assert_eq!(outline.modules[0].title, "Doc");
        let outline = assemble(Some("Doc".into()), vec![heading(1, "One"), para("text")]);
        assert_eq!(outline.modules.len(), 1);
        assert_eq!(outline.modules[0].title, "One");
        assert!(assemble(None, vec![]).modules.is_empty());
    }
}
