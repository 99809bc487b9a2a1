//! PowerPoint files (.pptx) into an outline: every slide, in the order of `p:sldIdLst`, is one
//! slide block whose heading is its title placeholder (`title` or `ctrTitle`); the other shapes'
//! paragraphs become its Markdown (bulleted where PowerPoint draws bullets: body placeholders,
//! and any paragraph with `a:buChar` or `a:buAutoNum`), tables become Markdown tables, and
//! pictures (`a:blip r:embed`) its images. Footers, dates and slide numbers are left out.
//!
//! Modules: PowerPoint's sections (`p14:sectionLst`) when the file has them; else each title
//! slide starts one, titled with its title; else the whole deck is one module. A title slide is
//! one with a `ctrTitle` placeholder, or on a layout of type `title` or `secHead`, or with a
//! `subTitle` placeholder — PowerPoint puts that on title slides only, and LibreOffice (7.4)
//! marks its title-slide layout `tx` and its title `title`, so the subtitle is what tells.

use std::collections::HashMap;

use crate::outline::{Outline, OutlineModule, OutlineSlide, SlideBuilder};
use crate::package::{Package, Rels};
use crate::text::{markdown_table, Inline};
use crate::xml::{Ev, XmlReader};
use crate::ImportError;

pub(crate) fn import(bytes: &[u8]) -> Result<Outline, ImportError> {
    let mut package = Package::open(bytes, "PowerPoint")?;
    let main = package.main_part("ppt/presentation.xml")?;
    let rels = package.rels(&main)?;
    let xml = package
        .read_xml(&main)?
        .ok_or_else(|| ImportError::Invalid("the PowerPoint file has no presentation part".to_owned()))?;
    let presentation = Presentation::read(&main, &xml)?;
    let mut layouts: HashMap<String, Layout> = HashMap::new();
    let mut slides = Vec::new();
    for (id, rel_id) in &presentation.slides {
        let Some(part) = rels.get(rel_id).filter(|r| !r.external).map(|r| r.target.clone()) else { continue };
        let slide_rels = package.rels(&part)?;
        let Some(slide_xml) = package.read_xml(&part)? else { continue };
        let mut slide = read_slide(&mut package, &slide_rels, &part, &slide_xml)?;
        if let Some(layout_part) = slide_rels.first_of_kind("slideLayout").map(str::to_owned) {
            if !layouts.contains_key(&layout_part) {
                let layout = Layout::read(&mut package, &layout_part)?;
                layouts.insert(layout_part.clone(), layout);
            }
            if let Some(layout) = layouts.get(&layout_part) {
                slide.title_slide |= layout.title_slide();
            }
        }
        slide.section = presentation.sections.iter().position(|s| s.slides.contains(id));
        slides.push(slide);
    }
    let title = match package.core_title()? {
        Some(title) => Some(title),
        None => slides.first().filter(|s| s.title_slide).and_then(|s| s.block.heading.clone()),
    };
    Ok(Outline { title, modules: modules(slides, &presentation.sections) })
}

/// Cuts the deck into modules (see the module doc).
fn modules(slides: Vec<Slide>, sections: &[Section]) -> Vec<OutlineModule> {
    let by_section = slides.iter().any(|s| s.section.is_some());
    let by_title_slide = slides.iter().any(|s| s.title_slide);
    let name_of = |slide: &Slide| slide.block.heading.clone().unwrap_or_else(|| "Slides".to_owned());
    let mut modules: Vec<OutlineModule> = Vec::new();
    let mut current_section = None;
    for slide in slides {
        let starts = if by_section {
            let start = modules.is_empty() || (slide.section.is_some() && slide.section != current_section);
            current_section = slide.section.or(current_section);
            start
        } else {
            modules.is_empty() || (by_title_slide && slide.title_slide)
        };
        if starts {
            let title = match slide.section.and_then(|i| sections.get(i)) {
                Some(section) if by_section && !section.name.trim().is_empty() => section.name.clone(),
                _ => name_of(&slide),
            };
            modules.push(OutlineModule { title, slides: Vec::new() });
        }
        if let Some(module) = modules.last_mut() {
            module.slides.push(slide.block);
        }
    }
    modules
}

#[derive(Debug)]
struct Section {
    name: String,
    slides: Vec<String>,
}

/// What `ppt/presentation.xml` says: the slides in order (`id`, `r:id`) and the sections.
#[derive(Debug, Default)]
struct Presentation {
    slides: Vec<(String, String)>,
    sections: Vec<Section>,
}

impl Presentation {
    fn read(part: &str, xml: &str) -> Result<Self, ImportError> {
        let mut reader = XmlReader::new(part, xml);
        let mut presentation = Presentation::default();
        let mut in_section = false;
        loop {
            match reader.next()? {
                Ev::Open(e) => match e.name() {
                    "Fallback" => reader.skip()?,
                    "section" => {
                        in_section = true;
                        presentation
                            .sections
                            .push(Section { name: e.attr("name").unwrap_or_default(), slides: Vec::new() });
                    }
                    "sldId" if in_section => {
                        if let (Some(id), Some(section)) = (e.plain_attr("id"), presentation.sections.last_mut()) {
                            section.slides.push(id);
                        }
                    }
                    "sldId" => {
                        if let (Some(id), Some(rel)) = (e.plain_attr("id"), e.prefixed_attr("id")) {
                            presentation.slides.push((id, rel));
                        }
                    }
                    _ => {}
                },
                Ev::Close(name) if name == "section" => in_section = false,
                Ev::Eof => break,
                _ => {}
            }
        }
        Ok(presentation)
    }
}

/// What a slide layout says about the slides on it.
#[derive(Debug, Default)]
struct Layout {
    kind: Option<String>,
    placeholders: Vec<String>,
}

impl Layout {
    fn read(package: &mut Package<'_>, part: &str) -> Result<Self, ImportError> {
        let Some(xml) = package.read_xml(part)? else { return Ok(Layout::default()) };
        let mut reader = XmlReader::new(part, &xml);
        let mut layout = Layout::default();
        loop {
            match reader.next()? {
                Ev::Open(e) if e.name() == "sldLayout" => layout.kind = e.plain_attr("type"),
                Ev::Open(e) if e.name() == "ph" => layout.placeholders.push(e.plain_attr("type").unwrap_or_default()),
                Ev::Eof => break,
                _ => {}
            }
        }
        Ok(layout)
    }

    fn title_slide(&self) -> bool {
        matches!(self.kind.as_deref(), Some("title" | "secHead"))
            || self.placeholders.iter().any(|p| p == "ctrTitle" || p == "subTitle")
    }
}

/// One slide as read, before it is put in a module.
#[derive(Debug)]
struct Slide {
    block: OutlineSlide,
    title_slide: bool,
    section: Option<usize>,
}

/// How a paragraph is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Bullet,
    Number,
    Plain,
}

#[derive(Debug)]
struct Para {
    level: u8,
    marker: Option<Marker>,
    text: Inline,
}

#[derive(Debug, Default)]
struct Shape {
    /// The placeholder type (`title`, `body`, …; `obj` when a placeholder names none).
    placeholder: Option<String>,
    paras: Vec<Para>,
    /// Rows of cells of paragraphs, when the shape is a table; and whether it is simple.
    table: Option<(Vec<Vec<Vec<String>>>, bool)>,
}

fn read_slide(package: &mut Package<'_>, rels: &Rels, part: &str, xml: &str) -> Result<Slide, ImportError> {
    let mut reader = XmlReader::new(part, xml);
    let mut builder = SlideBuilder::default();
    let mut title: Option<String> = None;
    let mut placeholders: Vec<String> = Vec::new();
    let mut shapes: Vec<Shape> = Vec::new();
    let mut run: Option<(bool, bool)> = None;
    let mut in_text = false;
    loop {
        match reader.next()? {
            Ev::Open(e) => match e.name() {
                "Fallback" | "bg" | "extLst" => reader.skip()?,
                "sp" | "graphicFrame" | "cxnSp" => shapes.push(Shape::default()),
                "ph" => {
                    let kind = e.plain_attr("type").unwrap_or_else(|| "obj".to_owned());
                    placeholders.push(kind.clone());
                    if let Some(shape) = shapes.last_mut() {
                        shape.placeholder = Some(kind);
                    }
                }
                "p" => {
                    if let Some(shape) = shapes.last_mut() {
                        shape.paras.push(Para { level: 0, marker: None, text: Inline::default() });
                    }
                }
                "pPr" => {
                    set_para(&mut shapes, |p| p.level = e.plain_attr("lvl").and_then(|l| l.parse().ok()).unwrap_or(0))
                }
                "buChar" | "buBlip" => set_para(&mut shapes, |p| p.marker = Some(Marker::Bullet)),
                "buAutoNum" => set_para(&mut shapes, |p| p.marker = Some(Marker::Number)),
                "buNone" => set_para(&mut shapes, |p| p.marker = Some(Marker::Plain)),
                "r" | "fld" => run = Some((false, false)),
                "rPr" => {
                    if let Some(r) = run.as_mut() {
                        *r = (flag(e.plain_attr("b")), flag(e.plain_attr("i")));
                    }
                }
                "t" if run.is_some() => in_text = true,
                "br" => set_para(&mut shapes, |p| p.text.push("\n", false, false, None)),
                "tbl" => {
                    if let Some(shape) = shapes.last_mut() {
                        shape.table = Some((Vec::new(), true));
                    }
                }
                "tr" => set_table(&mut shapes, |rows, _| rows.push(Vec::new())),
                "tc" => {
                    let spans = ["gridSpan", "rowSpan"].iter().any(|a| e.plain_attr(a).is_some_and(|v| v != "1"));
                    let merged = spans || e.plain_attr("hMerge").is_some() || e.plain_attr("vMerge").is_some();
                    set_table(&mut shapes, |rows, simple| {
                        *simple &= !merged;
                        if let Some(row) = rows.last_mut() {
                            row.push(Vec::new());
                        }
                    });
                }
                "blip" => {
                    if let Some(image) =
                        e.prefixed_attr("embed").map(|id| package.image(rels, &id)).transpose()?.flatten()
                    {
                        builder.image(image);
                    }
                }
                _ => {}
            },
            Ev::Text(text) if in_text => {
                let (bold, italic) = run.unwrap_or_default();
                set_para(&mut shapes, |p| p.text.push(&text, bold, italic, None));
            }
            Ev::Text(_) => {}
            Ev::Close(name) => match name.as_str() {
                "t" => in_text = false,
                "r" | "fld" => run = None,
                "p" => {
                    // A paragraph in a table cell goes into the cell.
                    if let Some(shape) = shapes.last_mut() {
                        if let Some((rows, _)) = shape.table.as_mut() {
                            if let Some(para) = shape.paras.pop() {
                                if let Some(cell) = rows.last_mut().and_then(|r| r.last_mut()) {
                                    cell.push(para.text.markdown());
                                }
                            }
                        }
                    }
                }
                "sp" | "graphicFrame" | "cxnSp" => {
                    if let Some(shape) = shapes.pop() {
                        finish_shape(shape, &mut title, &mut builder);
                    }
                }
                _ => {}
            },
            Ev::Eof => break,
        }
    }
    let title_slide = placeholders.iter().any(|p| p == "ctrTitle" || p == "subTitle");
    let mut block = builder.finish().unwrap_or_default();
    block.heading = title;
    Ok(Slide { block, title_slide, section: None })
}

fn finish_shape(shape: Shape, title: &mut Option<String>, builder: &mut SlideBuilder) {
    let kind = shape.placeholder.as_deref();
    if matches!(kind, Some("dt" | "ftr" | "sldNum" | "hdr")) {
        return;
    }
    if matches!(kind, Some("title" | "ctrTitle")) && title.is_none() {
        let text = shape.paras.iter().map(|p| p.text.plain()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ");
        if !text.is_empty() {
            *title = Some(text);
        }
        return;
    }
    if let Some((rows, simple)) = shape.table {
        let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| c.join(" ")).collect()).collect();
        if simple && rows.len() > 1 {
            builder.paragraph(&markdown_table(&rows));
        } else {
            rows.iter().flatten().for_each(|cell| builder.paragraph(cell));
        }
        return;
    }
    let bulleted = matches!(kind, Some("body" | "obj"));
    for para in shape.paras.iter().filter(|p| !p.text.is_blank()) {
        let indent = "    ".repeat(usize::from(para.level.min(8)));
        match para.marker.unwrap_or(if bulleted { Marker::Bullet } else { Marker::Plain }) {
            Marker::Bullet => builder.list_item(&format!("{indent}- {}", para.text.markdown())),
            Marker::Number => builder.list_item(&format!("{indent}1. {}", para.text.markdown())),
            Marker::Plain => builder.paragraph(&para.text.markdown()),
        }
    }
}

fn set_para(shapes: &mut [Shape], f: impl FnOnce(&mut Para)) {
    if let Some(p) = shapes.last_mut().and_then(|s| s.paras.last_mut()) {
        f(p);
    }
}

fn set_table(shapes: &mut [Shape], f: impl FnOnce(&mut Vec<Vec<Vec<String>>>, &mut bool)) {
    if let Some((rows, simple)) = shapes.last_mut().and_then(|s| s.table.as_mut()) {
        f(rows, simple);
    }
}

/// A DrawingML boolean attribute (`b="1"`).
fn flag(value: Option<String>) -> bool {
    matches!(value.as_deref(), Some("1" | "true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slide(heading: &str, title_slide: bool, section: Option<usize>) -> Slide {
        Slide {
            block: OutlineSlide { heading: Some(heading.to_owned()), ..OutlineSlide::default() },
            title_slide,
            section,
        }
    }

    fn titles(modules: &[OutlineModule]) -> Vec<(&str, usize)> {
        modules.iter().map(|m| (m.title.as_str(), m.slides.len())).collect()
    }

    #[test]
    fn shapes_become_markdown() {
        let xml = r#"<p:sld xmlns:a="a" xmlns:p="p" xmlns:r="r"><p:cSld><p:spTree>
            <p:sp><p:nvSpPr><p:nvPr><p:ph type="title"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>Plan</a:t></a:r></a:p></p:txBody></p:sp>
            <p:sp><p:nvSpPr><p:nvPr><p:ph idx="1"/></p:nvPr></p:nvSpPr><p:txBody>
              <a:p><a:r><a:rPr b="1"/><a:t>Bold</a:t></a:r><a:r><a:t> point</a:t></a:r></a:p>
              <a:p><a:pPr lvl="1"><a:buAutoNum type="arabicPeriod"/></a:pPr><a:r><a:t>numbered</a:t></a:r></a:p>
              <a:p><a:pPr><a:buNone/></a:pPr><a:r><a:t>no bullet</a:t></a:r></a:p>
            </p:txBody></p:sp>
            <p:sp><p:nvSpPr><p:nvPr><p:ph type="sldNum"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:fld><a:t>7</a:t></a:fld></a:p></p:txBody></p:sp>
            <p:sp><p:txBody><a:p><a:r><a:t>A text box</a:t></a:r></a:p></p:txBody></p:sp>
            <p:graphicFrame><a:graphic><a:graphicData><a:tbl>
              <a:tr><a:tc><a:txBody><a:p><a:r><a:t>k</a:t></a:r></a:p></a:txBody></a:tc><a:tc><a:txBody><a:p><a:r><a:t>v</a:t></a:r></a:p></a:txBody></a:tc></a:tr>
              <a:tr><a:tc><a:txBody><a:p><a:r><a:t>1</a:t></a:r></a:p></a:txBody></a:tc><a:tc><a:txBody><a:p><a:r><a:t>a|b</a:t></a:r></a:p></a:txBody></a:tc></a:tr>
            </a:tbl></a:graphicData></a:graphic></p:graphicFrame>
            </p:spTree></p:cSld></p:sld>"#;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("ppt/presentation.xml", zip::write::SimpleFileOptions::default()).expect("start");
        let bytes = zip.finish().expect("finish").into_inner();
        let mut package = Package::open(&bytes, "PowerPoint").expect("opens");
        let slide = read_slide(&mut package, &Rels::default(), "ppt/slides/slide1.xml", xml).expect("reads");
        assert_eq!(slide.block.heading.as_deref(), Some("Plan"));
        assert!(!slide.title_slide);
        assert_eq!(
            slide.block.markdown,
            "- **Bold** point\n    1. numbered\n\nno bullet\n\nA text box\n\n| k | v |\n| --- | --- |\n| 1 | a\\|b |"
        );
    }

    #[test]
    fn sections_win_over_title_slides() {
        let sections =
            vec![Section { name: "One".into(), slides: vec![] }, Section { name: "Two".into(), slides: vec![] }];
        let deck = vec![slide("a", true, Some(0)), slide("b", true, Some(0)), slide("c", false, Some(1))];
        assert_eq!(titles(&modules(deck, &sections)), vec![("One", 2), ("Two", 1)]);
    }

    #[test]
    fn title_slides_start_modules_else_one_module() {
        let deck = vec![slide("agenda", false, None), slide("Part 1", true, None), slide("x", false, None)];
        assert_eq!(titles(&modules(deck, &[])), vec![("agenda", 1), ("Part 1", 2)]);
        let deck = vec![slide("first", false, None), slide("second", false, None)];
        assert_eq!(titles(&modules(deck, &[])), vec![("first", 2)]);
    }
}
