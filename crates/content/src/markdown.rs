//! Markdown files into an outline. Each top-level block keeps the source text it was written
//! with (lists, tables, code, images and all), so a slide's Markdown is the author's own; only
//! headings are read, to cut modules and slides. The title is the YAML front matter's `title:`.
//!
//! Images stay references in the text: a Markdown file carries no image bytes. Link reference
//! definitions (`[label]: url`) belong to no block, so each slide gets those it uses.

use pulldown_cmark::{Event, MetadataBlockKind, Options, Parser, Tag, TagEnd};

use crate::outline::{assemble, Block, Outline};

pub(crate) fn import(source: &str) -> Outline {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let mut blocks = Vec::new();
    let mut title = None;
    let mut depth = 0usize;
    // The heading being read: its level and the text so far.
    let mut heading: Option<(u8, String)> = None;
    let mut front_matter: Option<String> = None;
    let events = Parser::new_ext(source, options).into_offset_iter();
    let definitions: Vec<(String, &str)> = events
        .reference_definitions()
        .iter()
        .map(|(label, definition)| (format!("[{}]", label.to_lowercase()), source[definition.span.clone()].trim()))
        .collect();
    for (event, range) in events {
        match event {
            Event::Start(Tag::Heading { level, .. }) if depth == 0 => {
                heading = Some((level as u8, String::new()));
                depth += 1;
            }
            Event::End(TagEnd::Heading(_)) if depth == 1 => {
                depth = 0;
                if let Some((level, text)) = heading.take() {
                    blocks.push(Block::Heading { level, text });
                }
            }
            Event::Start(Tag::MetadataBlock(MetadataBlockKind::YamlStyle)) if depth == 0 => {
                front_matter = Some(String::new());
                depth += 1;
            }
            Event::End(TagEnd::MetadataBlock(_)) if depth == 1 => {
                depth = 0;
                title = front_matter.take().as_deref().and_then(yaml_title);
            }
            Event::Start(_) => {
                if depth == 0 {
                    blocks.push(Block::Paragraph(source[range].trim_end().to_owned()));
                }
                depth += 1;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(text) | Event::Code(text) | Event::InlineHtml(text) => {
                if let Some((_, heading)) = heading.as_mut() {
                    heading.push_str(&text);
                } else if let Some(yaml) = front_matter.as_mut() {
                    yaml.push_str(&text);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, heading)) = heading.as_mut() {
                    heading.push(' ');
                }
            }
            // A top-level rule or raw HTML block (HTML is sanitised when rendered).
            Event::Rule | Event::Html(_) if depth == 0 => {
                blocks.push(Block::Paragraph(source[range].trim_end().to_owned()))
            }
            _ => {}
        }
    }
    let mut outline = assemble(title, blocks);
    if !definitions.is_empty() {
        for slide in outline.modules.iter_mut().flat_map(|m| &mut m.slides) {
            let text = slide.markdown.to_lowercase();
            let used: Vec<&str> =
                definitions.iter().filter(|(label, _)| text.contains(label)).map(|(_, d)| *d).collect();
            if !used.is_empty() {
                slide.markdown = format!("{}\n\n{}", slide.markdown, used.join("\n"));
            }
        }
    }
    outline
}

/// The `title:` of YAML front matter, unquoted. Only that one key is read.
fn yaml_title(yaml: &str) -> Option<String> {
    let value = yaml.lines().find_map(|line| line.strip_prefix("title:"))?.trim();
    let unquoted = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value);
    let title = crate::text::clean_line(unquoted);
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_source() {
        let outline = import("## A\n\nSome *text*.\n\n- x\n- y\n\n### A1\n\n```\ncode\n```\n\n---\n\n<div>raw</div>\n");
        assert_eq!(outline.title, None);
        let module = &outline.modules[0];
        assert_eq!(module.title, "A");
        assert_eq!(module.slides[0].markdown, "Some *text*.\n\n- x\n- y");
        assert_eq!(module.slides[1].heading.as_deref(), Some("A1"));
        assert_eq!(module.slides[1].markdown, "```\ncode\n```\n\n---\n\n<div>raw</div>");
    }

    #[test]
    fn slides_keep_the_link_definitions_they_use() {
        let outline =
            import("# A\n\nSee [the docs][Docs].\n\n## B\n\nNo links.\n\n[docs]: https://example.com/docs \"Docs\"\n");
        let slides = &outline.modules[0].slides;
        assert_eq!(slides[0].markdown, "See [the docs][Docs].\n\n[docs]: https://example.com/docs \"Docs\"");
        assert_eq!(slides[1].markdown, "No links.");
    }

    #[test]
    fn front_matter_titles_and_setext_headings() {
        let outline = import("---\ntitle: 'My Course'\nauthor: me\n---\n\nIntro\n\nPart `one`\n=====\n\ntext\n");
        assert_eq!(outline.title.as_deref(), Some("My Course"));
        assert_eq!(outline.modules[0].title, "My Course");
        assert_eq!(outline.modules[0].slides[0].markdown, "Intro");
        assert_eq!(outline.modules[1].title, "Part one");
    }
}
