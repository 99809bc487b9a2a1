//! PDF files into an outline: each page is one slide, its text in paragraphs; no images.
//!
//! Modules: when the PDF has an outline (bookmarks), each top-level entry starts a module at its
//! page; else each page whose first line is set larger than the body (the size most of the text
//! is set in) starts one; else the document is one module. A page's heading is its first line
//! (lines) when set larger than the body. The title is the document information's `Title`.
//!
//! lopdf reads the object model (pages, outline, title); pdf-extract reads the text with its
//! font sizes (encodings, ToUnicode maps, embedded fonts). pdf-extract panics on much that is
//! malformed, so each page is read under `catch_unwind` (the panic is reported by the process's
//! panic hook, then the page counts as unreadable); and since a panic cannot catch a stack
//! overflow, `bounds` first refuses what would recurse without end — form XObjects that draw
//! themselves, page trees that loop — and, before that, a file whose compressed streams unpack
//! past the archive budget (a PDF bomb). `lines` gathers the characters, `bookmarks` reads the
//! outline. One gap remains: lopdf unpacks object streams while loading, before any check can
//! run; the upload size limit bounds them.

mod bookmarks;
mod bounds;
mod lines;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::outline::{Outline, OutlineModule, OutlineSlide, SlideBuilder};
use crate::text::{clean_line, Inline};
use crate::ImportError;
use lines::{bullet_item, Collector, Line};

/// The most pages a PDF may have.
pub(crate) const MAX_PAGES: usize = 2_000;
/// The most characters of text read from a PDF.
const MAX_CHARS: usize = 20_000_000;
/// How deeply form XObjects may draw one another, and page trees nest.
const MAX_NESTING: usize = 32;

pub(crate) fn import(bytes: &[u8]) -> Result<Outline, ImportError> {
    let mut doc = Document::load_mem(bytes)
        .map_err(|e| ImportError::Invalid(format!("the PDF file is damaged and cannot be read ({e})")))?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(ImportError::Invalid("the PDF file is protected by a password".to_owned()));
    }
    let pages = doc.get_pages();
    if pages.len() > MAX_PAGES {
        return Err(ImportError::Invalid(format!("the PDF file has more than {MAX_PAGES} pages")));
    }
    bounds::check_streams(&doc)?;
    bounds::preflight(&doc, &pages)?;

    let mut collector = Collector::default();
    let mut read_any = false;
    let mut texts: Vec<Vec<Line>> = Vec::with_capacity(pages.len());
    for &number in pages.keys() {
        collector.lines.clear();
        let read = catch_unwind(AssertUnwindSafe(|| pdf_extract::output_doc_page(&doc, &mut collector, number)));
        if collector.chars > MAX_CHARS {
            return Err(ImportError::Invalid("the PDF file holds too much text".to_owned()));
        }
        match read {
            Ok(Ok(())) => {
                read_any = true;
                collector.flush_line();
                texts.push(std::mem::take(&mut collector.lines));
            }
            // An unreadable page is left out; the line it was on is dropped with it.
            Ok(Err(_)) | Err(_) => {
                collector.reset_line();
                texts.push(Vec::new());
            }
        }
    }
    if !read_any && !pages.is_empty() {
        return Err(ImportError::Invalid("the text of the PDF file cannot be read".to_owned()));
    }

    let page_of: HashMap<ObjectId, u32> = pages.iter().map(|(&n, &id)| (id, n)).collect();
    let entries = bookmarks::top_level_outline(&doc, &page_of);
    let title = bookmarks::info_title(&doc);
    Ok(build(title, &texts, &entries))
}

/// Turns pages of lines into modules and slides (see the module doc).
fn build(title: Option<String>, pages: &[Vec<Line>], outline: &[(String, u32)]) -> Outline {
    let body = body_size(pages);
    let larger = |size: f64| size >= body * 1.1 && size - body >= 1.0;
    let slides: Vec<Option<(OutlineSlide, bool)>> = pages.iter().map(|lines| page_slide(lines, &larger)).collect();

    // Where modules start: page index → title.
    let mut starts: Vec<(usize, String)> = Vec::new();
    if !outline.is_empty() {
        let mut entries: Vec<&(String, u32)> = outline.iter().collect();
        entries.sort_by_key(|(_, page)| *page);
        for (name, page) in entries {
            let index = (*page as usize).saturating_sub(1);
            if starts.last().is_none_or(|(last, _)| *last != index) {
                starts.push((index, name.clone()));
            }
        }
    } else {
        for (index, slide) in slides.iter().enumerate() {
            if let Some((slide, true)) = slide {
                starts.push((index, slide.heading.clone().unwrap_or_default()));
            }
        }
    }

    let first_title = title.clone().unwrap_or_else(|| "Introduction".to_owned());
    let mut modules = Vec::new();
    let mut module = OutlineModule { title: first_title, slides: Vec::new() };
    let mut keep = false;
    let mut next_start = starts.iter().peekable();
    for (index, slide) in slides.into_iter().enumerate() {
        while let Some((_, name)) = next_start.next_if(|(start, _)| *start <= index) {
            let previous = std::mem::replace(&mut module, OutlineModule { title: name.clone(), slides: Vec::new() });
            if keep || !previous.slides.is_empty() {
                modules.push(previous);
            }
            keep = true;
        }
        module.slides.extend(slide.map(|(slide, _)| slide));
    }
    if keep || !module.slides.is_empty() {
        modules.push(module);
    }
    Outline { title, modules }
}

/// The size most of the document's characters are set in (to half a point).
fn body_size(pages: &[Vec<Line>]) -> f64 {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for line in pages.iter().flatten() {
        *counts.entry((line.size * 2.0).round() as i64).or_default() +=
            line.text.chars().filter(|c| !c.is_whitespace()).count();
    }
    counts.into_iter().max_by_key(|&(size, count)| (count, -size)).map(|(size, _)| size as f64 / 2.0).unwrap_or(0.0)
}

/// A page as a slide, and whether it opens with a line larger than the body; `None` for a page
/// without text.
fn page_slide(lines: &[Line], larger: &impl Fn(f64) -> bool) -> Option<(OutlineSlide, bool)> {
    let first = lines.first()?;
    let headed = larger(first.size);
    // A heading may wrap: the first lines in the first line's size, at most three.
    let heading_lines =
        if headed { lines.iter().take(3).take_while(|l| (l.size - first.size).abs() < 0.5).count() } else { 0 };
    let heading = headed
        .then(|| clean_line(&lines[..heading_lines].iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join(" ")));

    // Paragraphs: lines in the same size, close together, join; a line that opens with a bullet
    // starts a list item. Lines set larger than the body stand out in bold.
    let mut paragraphs: Vec<(Inline, bool)> = Vec::new();
    let mut previous: Option<&Line> = None;
    for line in &lines[heading_lines..] {
        let (item, text) = match bullet_item(&line.text) {
            Some(rest) => (true, rest),
            None => (false, line.text.as_str()),
        };
        let text: String = text.chars().filter(|c| !('\u{e000}'..='\u{f8ff}').contains(c)).collect();
        let joins = !item
            && previous.is_some_and(|p| {
                let gap = p.y - line.y;
                (p.size - line.size).abs() < 0.5 && gap > 0.0 && gap <= p.size.max(line.size) * 1.5
            });
        match paragraphs.last_mut() {
            Some((paragraph, _)) if joins => paragraph.push(&format!(" {text}"), larger(line.size), false, None),
            _ => {
                let mut paragraph = Inline::default();
                paragraph.push(&text, larger(line.size), false, None);
                paragraphs.push((paragraph, item));
            }
        }
        previous = Some(line);
    }
    let mut builder = SlideBuilder::headed(heading);
    for (paragraph, item) in &paragraphs {
        match item {
            true => builder.list_item(&format!("- {}", paragraph.markdown())),
            false => builder.paragraph(&paragraph.markdown()),
        }
    }
    let slide = builder.finish().unwrap_or_default();
    Some((slide, headed))
}
fn dict<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    doc.dereference(object).ok()?.1.as_dict().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Module titles with their slides' headings and Markdown.
    type Shape<'a> = Vec<(&'a str, Vec<(Option<&'a str>, &'a str)>)>;

    fn line(text: &str, size: f64, y: f64) -> Line {
        Line { text: text.to_owned(), size, y }
    }

    #[test]
    fn larger_first_lines_start_modules() {
        let pages = vec![
            vec![line("Big One", 20.0, 700.0), line("body text that is", 11.0, 670.0), line("long", 11.0, 657.0)],
            vec![line("continued", 11.0, 700.0)],
            vec![line("Big Two", 20.0, 700.0), line("more", 11.0, 670.0)],
        ];
        let outline = build(None, &pages, &[]);
        let shape: Shape<'_> = outline
            .modules
            .iter()
            .map(|m| (m.title.as_str(), m.slides.iter().map(|s| (s.heading.as_deref(), s.markdown.as_str())).collect()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("Big One", vec![(Some("Big One"), "body text that is long"), (None, "continued")]),
                ("Big Two", vec![(Some("Big Two"), "more")]),
            ]
        );
    }

    #[test]
    fn outline_entries_start_modules_at_their_pages() {
        let pages = vec![vec![line("cover", 11.0, 700.0)], vec![line("a", 11.0, 700.0)], vec![line("b", 11.0, 700.0)]];
        let outline = build(Some("Doc".into()), &pages, &[("B".into(), 3), ("A".into(), 2), ("A again".into(), 2)]);
        let titles: Vec<(&str, usize)> = outline.modules.iter().map(|m| (m.title.as_str(), m.slides.len())).collect();
        assert_eq!(titles, vec![("Doc", 1), ("A", 1), ("B", 1)]);
    }
}
