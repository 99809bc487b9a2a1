//! Word files (.docx) into an outline: the body's paragraphs become Markdown blocks, then
//! [`assemble`] cuts them by their headings, as for Markdown.
//!
//! A paragraph's kind comes from its style, read from `word/styles.xml` by the style's built-in
//! name (`heading 1`…`heading 9`, `Title`; the same in every language Word speaks) or outline
//! level, through `basedOn`; the style id (`Heading1`) is the fallback. The first `Title`
//! paragraph is the outline's title. Paragraphs with numbering (`w:numPr`, on the paragraph or
//! its style) are list items, bulleted or numbered as `word/numbering.xml` says; bold and italic
//! runs become `**` and `*`; hyperlinks stay links; a table without merged cells or nested tables
//! becomes a Markdown table, any other its cells' text. Pictures (`w:drawing` → `a:blip r:embed`,
//! or VML `v:imagedata r:id`) are kept on the slide where they appear. Tracked deletions and the
//! fallbacks of `mc:AlternateContent` are skipped.

use std::collections::HashMap;

use crate::outline::{assemble, Block, Outline};
use crate::package::{Package, Rels};
use crate::text::{markdown_table, safe_url, Inline};
use crate::xml::{Element, Ev, XmlReader};
use crate::ImportError;

pub(crate) fn import(bytes: &[u8]) -> Result<Outline, ImportError> {
    let mut package = Package::open(bytes, "Word")?;
    let main = package.main_part("word/document.xml")?;
    let rels = package.rels(&main)?;
    let styles = match rels.first_of_kind("styles").map(str::to_owned) {
        Some(part) => Styles::read(&mut package, &part)?,
        None => Styles::default(),
    };
    let numbering = match rels.first_of_kind("numbering").map(str::to_owned) {
        Some(part) => Numbering::read(&mut package, &part)?,
        None => Numbering::default(),
    };
    let xml = package
        .read_xml(&main)?
        .ok_or_else(|| ImportError::Invalid("the Word file has no document part".to_owned()))?;
    let core_title = package.core_title()?;
    let mut body = Body { package, rels, styles, numbering, blocks: Vec::new(), title: None };
    body.read(&main, &xml)?;
    let title = body.title.take().or(core_title);
    Ok(assemble(title, body.blocks))
}

/// What a paragraph style makes of a paragraph.
#[derive(Debug, Clone, Default)]
struct StyleInfo {
    title: bool,
    heading: Option<u8>,
    /// `(numId, ilvl)` when the style numbers its paragraphs.
    numbering: Option<(String, u8)>,
    based_on: Option<String>,
}

#[derive(Debug, Default)]
struct Styles(HashMap<String, StyleInfo>);

impl Styles {
    fn read(package: &mut Package<'_>, part: &str) -> Result<Self, ImportError> {
        let Some(xml) = package.read_xml(part)? else { return Ok(Styles::default()) };
        let mut reader = XmlReader::new(part, &xml);
        let mut styles = HashMap::new();
        let mut current: Option<(String, StyleInfo)> = None;
        let mut num_id = None;
        let mut ilvl = 0;
        loop {
            match reader.next()? {
                Ev::Open(e) => match e.name() {
                    "style" => {
                        let paragraph = e.attr("type").is_none_or(|t| t == "paragraph");
                        current = e.attr("styleId").filter(|_| paragraph).map(|id| (id, StyleInfo::default()));
                        num_id = None;
                        ilvl = 0;
                    }
                    _ if current.is_none() => {}
                    "name" => {
                        let name = e.attr("val").unwrap_or_default().to_ascii_lowercase();
                        if let Some((_, info)) = current.as_mut() {
                            info.title |= name == "title";
                            info.heading = info.heading.or_else(|| heading_level(&name, "heading "));
                        }
                    }
                    "basedOn" => {
                        if let Some((_, info)) = current.as_mut() {
                            info.based_on = e.attr("val");
                        }
                    }
                    "outlineLvl" => {
                        if let Some((_, info)) = current.as_mut() {
                            info.heading = info.heading.or_else(|| outline_level(&e));
                        }
                    }
                    "numId" => num_id = e.attr("val"),
                    "ilvl" => ilvl = e.attr("val").and_then(|v| v.parse().ok()).unwrap_or(0),
                    _ => {}
                },
                Ev::Close(name) if name == "style" => {
                    if let Some((id, mut info)) = current.take() {
                        info.numbering = num_id.take().map(|n| (n, ilvl));
                        styles.insert(id, info);
                    }
                }
                Ev::Eof => break,
                _ => {}
            }
        }
        Ok(Styles(styles))
    }

    /// The style's own kind, or the one it inherits through `basedOn` (a heading level and
    /// numbering inherit; being the Title does not).
    fn resolve(&self, id: &str) -> StyleInfo {
        let Some(own) = self.0.get(id) else {
            // No styles part, or a style it does not define: go by the id Word gives built-ins.
            return StyleInfo {
                title: id.eq_ignore_ascii_case("title"),
                heading: heading_level(&id.to_ascii_lowercase(), "heading"),
                ..StyleInfo::default()
            };
        };
        let mut info = own.clone();
        let mut parent = own.based_on.clone();
        for _ in 0..16 {
            let Some(style) = parent.as_deref().and_then(|p| self.0.get(p)) else { break };
            info.heading = info.heading.or(style.heading);
            info.numbering = info.numbering.or_else(|| style.numbering.clone());
            parent = style.based_on.clone();
        }
        info
    }
}

/// `heading 3` (or `heading3`) → 3, for levels 1 to 9.
fn heading_level(name: &str, prefix: &str) -> Option<u8> {
    let level: u8 = name.strip_prefix(prefix)?.trim().parse().ok()?;
    (1..=9).contains(&level).then_some(level)
}

/// `w:outlineLvl w:val="0"` → heading 1; 9 (body text) and beyond → none.
fn outline_level(e: &Element<'_>) -> Option<u8> {
    let level: u8 = e.attr("val")?.parse().ok()?;
    (level < 9).then_some(level + 1)
}

/// Which `(numId, ilvl)` pairs are ordered (numbered) rather than bulleted.
#[derive(Debug, Default)]
struct Numbering {
    ordered: HashMap<(String, u8), bool>,
}

impl Numbering {
    fn read(package: &mut Package<'_>, part: &str) -> Result<Self, ImportError> {
        let Some(xml) = package.read_xml(part)? else { return Ok(Numbering::default()) };
        let mut reader = XmlReader::new(part, &xml);
        // abstractNumId → (ilvl → ordered)
        let mut abstracts: HashMap<String, HashMap<u8, bool>> = HashMap::new();
        let mut nums: Vec<(String, String)> = Vec::new();
        let mut abstract_id: Option<String> = None;
        let mut level: Option<u8> = None;
        let mut num_id: Option<String> = None;
        loop {
            match reader.next()? {
                Ev::Open(e) => match e.name() {
                    "abstractNum" => abstract_id = e.attr("abstractNumId"),
                    "lvl" => level = e.attr("ilvl").and_then(|v| v.parse().ok()),
                    "numFmt" => {
                        if let (Some(a), Some(l)) = (&abstract_id, level) {
                            let ordered = e.attr("val").is_some_and(|f| f != "bullet" && f != "none");
                            abstracts.entry(a.clone()).or_default().insert(l, ordered);
                        }
                    }
                    "num" => num_id = e.attr("numId"),
                    "abstractNumId" => {
                        if let (Some(n), Some(a)) = (num_id.clone(), e.attr("val")) {
                            nums.push((n, a));
                        }
                    }
                    _ => {}
                },
                Ev::Close(name) if name == "abstractNum" => abstract_id = None,
                Ev::Close(name) if name == "num" => num_id = None,
                Ev::Eof => break,
                _ => {}
            }
        }
        let mut ordered = HashMap::new();
        for (num, abs) in nums {
            for (&lvl, &is_ordered) in abstracts.get(&abs).into_iter().flatten() {
                ordered.insert((num.clone(), lvl), is_ordered);
            }
        }
        Ok(Numbering { ordered })
    }

    fn is_ordered(&self, num_id: &str, ilvl: u8) -> bool {
        self.ordered.get(&(num_id.to_owned(), ilvl)).copied().unwrap_or(false)
    }
}

/// A paragraph being read.
#[derive(Debug, Default)]
struct Para {
    style: Option<String>,
    outline: Option<u8>,
    num_id: Option<String>,
    ilvl: Option<u8>,
    text: Inline,
    images: Vec<String>,
}

/// A run's formatting.
#[derive(Debug, Default, Clone, Copy)]
struct Run {
    bold: bool,
    italic: bool,
}

#[derive(Debug, Default)]
struct Table {
    rows: Vec<Vec<Vec<String>>>,
    simple: bool,
    images: Vec<String>,
}

struct Body<'a> {
    package: Package<'a>,
    rels: Rels,
    styles: Styles,
    numbering: Numbering,
    blocks: Vec<Block>,
    title: Option<String>,
}

impl Body<'_> {
    fn read(&mut self, part: &str, xml: &str) -> Result<(), ImportError> {
        let mut reader = XmlReader::new(part, xml);
        let mut paras: Vec<Para> = Vec::new();
        let mut tables: Vec<Table> = Vec::new();
        let mut run: Option<Run> = None;
        let mut in_text = false;
        let mut in_run_props = false;
        let mut link: Option<String> = None;
        loop {
            match reader.next()? {
                Ev::Open(e) => match e.name() {
                    "Fallback" | "del" | "moveFrom" | "instrText" | "delText" | "footnoteReference" => reader.skip()?,
                    "p" => paras.push(Para::default()),
                    "pStyle" => set(&mut paras, |p| p.style = e.attr("val")),
                    "outlineLvl" => set(&mut paras, |p| p.outline = outline_level(&e)),
                    "numId" if run.is_none() => set(&mut paras, |p| p.num_id = e.attr("val")),
                    "ilvl" if run.is_none() => set(&mut paras, |p| p.ilvl = e.attr("val").and_then(|v| v.parse().ok())),
                    "r" => run = Some(Run::default()),
                    "rPr" if run.is_some() => in_run_props = true,
                    "b" if in_run_props => set_run(&mut run, |r| r.bold = on(&e)),
                    "i" if in_run_props => set_run(&mut run, |r| r.italic = on(&e)),
                    "rStyle" if in_run_props => set_run(&mut run, |r| match e.attr("val").as_deref() {
                        Some("Strong") => r.bold = true,
                        Some("Emphasis") => r.italic = true,
                        _ => {}
                    }),
                    "t" if run.is_some() => in_text = true,
                    "tab" if run.is_some() => push_text(&mut paras, " ", run, link.as_deref()),
                    "br" | "cr" if run.is_some() => {
                        let page = e.attr("type").is_some_and(|t| t == "page" || t == "column");
                        push_text(&mut paras, if page { " " } else { "\n" }, run, link.as_deref());
                    }
                    "hyperlink" => {
                        link = e
                            .prefixed_attr("id")
                            .and_then(|id| self.rels.get(&id))
                            .filter(|r| r.external)
                            .and_then(|r| safe_url(&r.target).map(str::to_owned));
                    }
                    "blip" => push_image(&mut paras, &mut tables, e.prefixed_attr("embed")),
                    "imagedata" => push_image(&mut paras, &mut tables, e.prefixed_attr("id")),
                    "tbl" => {
                        if let Some(outer) = tables.last_mut() {
                            outer.simple = false;
                        }
                        tables.push(Table { simple: true, ..Table::default() });
                    }
                    "tr" => set_table(&mut tables, |t| t.rows.push(Vec::new())),
                    "tc" => set_table(&mut tables, |t| {
                        if let Some(row) = t.rows.last_mut() {
                            row.push(Vec::new());
                        }
                    }),
                    "gridSpan" if e.attr("val").is_some_and(|v| v != "1") => {
                        set_table(&mut tables, |t| t.simple = false)
                    }
                    "vMerge" | "hMerge" => set_table(&mut tables, |t| t.simple = false),
                    _ => {}
                },
                Ev::Text(text) if in_text => push_text(&mut paras, &text, run, link.as_deref()),
                Ev::Text(_) => {}
                Ev::Close(name) => match name.as_str() {
                    "t" => in_text = false,
                    "rPr" => in_run_props = false,
                    "r" => run = None,
                    "hyperlink" => link = None,
                    "p" => {
                        if let Some(para) = paras.pop() {
                            self.paragraph(para, &mut tables)?;
                        }
                    }
                    "tbl" => {
                        if let Some(table) = tables.pop() {
                            self.table(table, &mut tables)?;
                        }
                    }
                    _ => {}
                },
                Ev::Eof => break,
            }
        }
        Ok(())
    }

    fn paragraph(&mut self, para: Para, tables: &mut [Table]) -> Result<(), ImportError> {
        let style = para.style.as_deref().map(|s| self.styles.resolve(s)).unwrap_or_default();
        let images = para.images;
        if let Some(table) = tables.last_mut() {
            // A paragraph in a table cell: its text joins the cell, its pictures the table.
            let markdown = para.text.markdown();
            if let Some(cell) = table.rows.last_mut().and_then(|row| row.last_mut()) {
                if !markdown.is_empty() {
                    cell.push(markdown);
                }
            }
            table.images.extend(images);
            return Ok(());
        }
        let heading = para.outline.or(style.heading);
        let numbering = match (para.num_id, style.numbering) {
            (Some(num), _) => Some((num, para.ilvl.unwrap_or(0))),
            (None, Some((num, ilvl))) => Some((num, para.ilvl.unwrap_or(ilvl))),
            (None, None) => None,
        }
        .filter(|(num, _)| num != "0");
        if style.title && self.title.is_none() && !para.text.is_blank() {
            self.title = Some(para.text.plain());
        } else if let Some(level) = heading.filter(|_| !para.text.is_blank()) {
            self.blocks.push(Block::Heading { level, text: para.text.plain() });
        } else if let Some((num, ilvl)) = numbering.filter(|_| !para.text.is_blank()) {
            let marker = if self.numbering.is_ordered(&num, ilvl) { "1." } else { "-" };
            let indent = "    ".repeat(usize::from(ilvl.min(8)));
            self.blocks.push(Block::ListItem(format!("{indent}{marker} {}", para.text.markdown())));
        } else if !para.text.is_blank() {
            self.blocks.push(Block::Paragraph(para.text.markdown()));
        }
        self.images(&images)
    }

    fn table(&mut self, table: Table, outer: &mut [Table]) -> Result<(), ImportError> {
        let cells = || table.rows.iter().flatten().map(|paras| paras.join(" ")).filter(|c| !c.is_empty());
        if let Some(outer) = outer.last_mut() {
            // A nested table: its text goes into the cell that holds it.
            let text: Vec<String> = cells().collect();
            if let Some(cell) = outer.rows.last_mut().and_then(|row| row.last_mut()) {
                cell.extend(text);
            }
            outer.images.extend(table.images);
            return Ok(());
        }
        let rows: Vec<Vec<String>> =
            table.rows.iter().map(|row| row.iter().map(|paras| paras.join(" ")).collect()).collect();
        if table.simple && rows.len() > 1 {
            self.blocks.push(Block::Paragraph(markdown_table(&rows)));
        } else {
            for cell in cells() {
                self.blocks.push(Block::Paragraph(cell));
            }
        }
        self.images(&table.images)
    }

    fn images(&mut self, ids: &[String]) -> Result<(), ImportError> {
        for id in ids {
            if let Some(image) = self.package.image(&self.rels, id)? {
                self.blocks.push(Block::Image(image));
            }
        }
        Ok(())
    }
}

fn set(paras: &mut [Para], f: impl FnOnce(&mut Para)) {
    if let Some(p) = paras.last_mut() {
        f(p);
    }
}

fn set_run(run: &mut Option<Run>, f: impl FnOnce(&mut Run)) {
    if let Some(r) = run.as_mut() {
        f(r);
    }
}

fn set_table(tables: &mut [Table], f: impl FnOnce(&mut Table)) {
    if let Some(t) = tables.last_mut() {
        f(t);
    }
}

fn push_text(paras: &mut [Para], text: &str, run: Option<Run>, link: Option<&str>) {
    let run = run.unwrap_or_default();
    set(paras, |p| p.text.push(text, run.bold, run.italic, link));
}

fn push_image(paras: &mut [Para], tables: &mut [Table], id: Option<String>) {
    let Some(id) = id else { return };
    match paras.last_mut() {
        Some(p) => p.images.push(id),
        None => set_table(tables, |t| t.images.push(id)),
    }
}

/// A toggle property (`<w:b/>`, `<w:b w:val="false"/>`).
fn on(e: &Element<'_>) -> bool {
    !matches!(e.attr("val").as_deref(), Some("0" | "false" | "off" | "none"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_levels_from_names_and_ids() {
        assert_eq!(heading_level("heading 3", "heading "), Some(3));
        assert_eq!(heading_level("heading10", "heading"), None);
        assert_eq!(heading_level("heading1", "heading"), Some(1));
        assert_eq!(heading_level("header", "heading "), None);
        let styles = Styles::default();
        assert_eq!(styles.resolve("Heading2").heading, Some(2));
        assert!(styles.resolve("Title").title);
        assert_eq!(styles.resolve("Normal").heading, None);
    }

    fn docx(parts: &[(&str, &str)]) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in parts {
            zip.start_file(*name, zip::write::SimpleFileOptions::default()).expect("start");
            zip.write_all(data.as_bytes()).expect("write");
        }
        zip.finish().expect("finish").into_inner()
    }

    #[test]
    fn localised_styles_numbering_links_and_merged_tables() {
        let styles = r#"<w:styles xmlns:w="w">
            <w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>
            <w:style w:type="paragraph" w:styleId="Kapitel"><w:name w:val="Kapitel"/><w:basedOn w:val="berschrift1"/></w:style>
            <w:style w:type="paragraph" w:styleId="Aufzaehlung"><w:name w:val="Aufzaehlung"/><w:pPr><w:numPr><w:numId w:val="3"/></w:numPr></w:pPr></w:style>
            </w:styles>"#;
        let numbering = r#"<w:numbering xmlns:w="w">
            <w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/></w:lvl></w:abstractNum>
            <w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum>
            <w:num w:numId="2"><w:abstractNumId w:val="0"/></w:num>
            <w:num w:numId="3"><w:abstractNumId w:val="1"/></w:num>
            </w:numbering>"#;
        let rels = r#"<Relationships>
            <Relationship Id="rId1" Type="x/styles" Target="styles.xml"/>
            <Relationship Id="rId2" Type="x/numbering" Target="numbering.xml"/>
            <Relationship Id="rId3" Type="x/hyperlink" Target="https://example.com/" TargetMode="External"/>
            <Relationship Id="rId4" Type="x/hyperlink" Target="javascript:alert(1)" TargetMode="External"/>
            </Relationships>"#;
        let document = r#"<w:document xmlns:w="w" xmlns:r="r"><w:body>
            <w:p><w:pPr><w:pStyle w:val="Kapitel"/></w:pPr><w:r><w:t>Erstes Kapitel</w:t></w:r></w:p>
            <w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="2"/></w:numPr></w:pPr><w:r><w:t>first</w:t></w:r></w:p>
            <w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="2"/></w:numPr></w:pPr><w:r><w:t>second</w:t></w:r></w:p>
            <w:p><w:pPr><w:pStyle w:val="Aufzaehlung"/></w:pPr><w:r><w:t>a bullet by style</w:t></w:r></w:p>
            <w:p><w:r><w:t xml:space="preserve">See </w:t></w:r><w:hyperlink r:id="rId3"><w:r><w:t>the site</w:t></w:r></w:hyperlink><w:r><w:t xml:space="preserve"> not </w:t></w:r><w:hyperlink r:id="rId4"><w:r><w:t>this</w:t></w:r></w:hyperlink></w:p>
            <w:p><w:del><w:r><w:delText>deleted</w:delText></w:r></w:del><w:r><w:t>kept</w:t></w:r></w:p>
            <w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>wide</w:t></w:r></w:p></w:tc></w:tr>
              <w:tr><w:tc><w:p><w:r><w:t>left</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>right</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            </w:body></w:document>"#;
        let bytes = docx(&[
            ("word/document.xml", document),
            ("word/_rels/document.xml.rels", rels),
            ("word/styles.xml", styles),
            ("word/numbering.xml", numbering),
        ]);
        let outline = import(&bytes).expect("imports");
        assert_eq!(outline.title, None);
        assert_eq!(outline.modules.len(), 1);
        assert_eq!(outline.modules[0].title, "Erstes Kapitel");
        assert_eq!(
            outline.modules[0].slides[0].markdown,
            "1. first\n1. second\n- a bullet by style\n\nSee [the site](<https://example.com/>) not this\n\nkept\n\nwide\n\nleft\n\nright"
        );
    }
}
