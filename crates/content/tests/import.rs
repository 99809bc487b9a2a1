//! Imports of real files, made by LibreOffice from the sources in `fixtures/src/` (see
//! `fixtures/make.sh`), checked against what those sources say: module titles, slide headings,
//! text, images.

use std::io::{Cursor, Read, Write};

use lyceum_content::{import, sniff, ImportError, Outline, Sniffed};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Each module's title with its slides' headings.
fn shape(outline: &Outline) -> Vec<(&str, Vec<Option<&str>>)> {
    outline
        .modules
        .iter()
        .map(|m| (m.title.as_str(), m.slides.iter().map(|s| s.heading.as_deref()).collect()))
        .collect()
}

fn slide<'a>(outline: &'a Outline, heading: &str) -> &'a lyceum_content::OutlineSlide {
    outline
        .modules
        .iter()
        .flat_map(|m| &m.slides)
        .find(|s| s.heading.as_deref() == Some(heading))
        .unwrap_or_else(|| panic!("no slide headed {heading}"))
}

#[test]
fn markdown_headings_cut_modules_and_slides() {
    let bytes = fixture("guide.md");
    assert_eq!(sniff(&bytes), Some(Sniffed::Markdown));
    let outline = import(&bytes).expect("imports");
    assert_eq!(outline.title.as_deref(), Some("Customer Support Guide"));
    assert_eq!(
        shape(&outline),
        vec![
            ("Customer Support Guide", vec![None]),
            ("Answering Tickets", vec![None, Some("Triage"), Some("Replying")]),
            ("Escalation", vec![Some("When to Escalate"), Some("Paging")]),
        ]
    );
    let replying = slide(&outline, "Replying");
    assert!(replying.markdown.contains("Be **brief** and *friendly*"), "{}", replying.markdown);
    assert!(replying.markdown.contains("![Reply template](/media/reply-template.png)"));
    assert!(replying.images.is_empty(), "Markdown images stay references");
    assert!(slide(&outline, "When to Escalate").markdown.contains("| High     | On-call engineer |"));
    assert!(slide(&outline, "Paging").markdown.contains("```\npage oncall \"checkout is down\"\n```"));
}

#[test]
fn word_headings_lists_formatting_tables_and_the_picture() {
    let bytes = fixture("handbook.docx");
    assert_eq!(sniff(&bytes), Some(Sniffed::Docx));
    let outline = import(&bytes).expect("imports");
    assert_eq!(outline.title.as_deref(), Some("Onboarding Handbook"));
    assert_eq!(
        shape(&outline),
        vec![
            ("Onboarding Handbook", vec![None]),
            ("Getting Started", vec![None, Some("Your First Day"), Some("Your Badge")]),
            ("Working Together", vec![Some("Meetings"), Some("Code Review")]),
        ]
    );
    assert_eq!(
        outline.modules[0].slides[0].markdown,
        "Welcome to the team. This handbook walks you through your first weeks."
    );
    assert_eq!(
        slide(&outline, "Your First Day").markdown,
        "Bring **your badge** and arrive by *nine o'clock*.\n\n- Meet your buddy\n- Collect your laptop\n- Join the team chat"
    );
    let badge = slide(&outline, "Your Badge");
    assert_eq!(badge.images.len(), 1, "one picture, not its VML fallback too");
    assert_eq!(badge.images[0].content_type, "image/png");
    assert_eq!(badge.images[0].name, "image1.png");
    assert_eq!(badge.images[0].bytes, fixture("src/badge.png"));
    assert!(slide(&outline, "Meetings").images.is_empty());
    assert_eq!(
        slide(&outline, "Code Review").markdown,
        "Every change is reviewed by one colleague.\n\n| Change size | Reviewers |\n| --- | --- |\n| Small | One |\n| Large | Two |\n\n\
         Reviews are due within one working day."
    );
}

#[test]
fn pdf_outline_starts_modules() {
    let bytes = fixture("handbook.pdf");
    assert_eq!(sniff(&bytes), Some(Sniffed::Pdf));
    let outline = import(&bytes).expect("imports");
    assert_eq!(outline.title.as_deref(), Some("Onboarding Handbook"));
    // The bookmarks' top level is the two Heading 1s; the title page comes before them.
    assert_eq!(
        shape(&outline),
        vec![
            ("Onboarding Handbook", vec![Some("Onboarding Handbook")]),
            ("Getting Started", vec![Some("Getting Started")]),
            ("Working Together", vec![Some("Working Together")]),
        ]
    );
    let getting_started = &slide(&outline, "Getting Started").markdown;
    assert!(
        getting_started.starts_with("Everything you need before your first day.\n\n**Your First Day**\n\n"),
        "{getting_started}"
    );
    assert!(
        getting_started.contains("- Meet your buddy\n- Collect your laptop\n- Join the team chat"),
        "{getting_started}"
    );
    assert!(outline.modules.iter().flat_map(|m| &m.slides).all(|s| s.images.is_empty()), "no images from PDF");
}

#[test]
fn pdf_without_outline_starts_modules_at_larger_first_lines() {
    let bytes = fixture("safety.pdf");
    let outline = import(&bytes).expect("imports");
    assert_eq!(outline.title.as_deref(), Some("Site Safety"));
    assert_eq!(
        shape(&outline),
        vec![
            ("Safety Basics", vec![Some("Safety Basics"), None]),
            ("Emergency Procedures", vec![Some("Emergency Procedures")]),
            ("First Aid", vec![Some("First Aid")]),
        ]
    );
    assert_eq!(
        outline.modules[0].slides[1].markdown,
        "Keep walkways clear of tools and cables.\n\nReport every near miss to the site manager the same day."
    );
    assert_eq!(
        slide(&outline, "First Aid").markdown,
        "First aid kits hang beside every exit.\n\nThe trained first aiders wear green armbands."
    );
}

#[test]
fn powerpoint_title_slides_start_modules() {
    let bytes = fixture("training.pptx");
    assert_eq!(sniff(&bytes), Some(Sniffed::Pptx));
    let outline = import(&bytes).expect("imports");
    assert_eq!(outline.title.as_deref(), Some("Product Training"));
    assert_eq!(
        shape(&outline),
        vec![
            (
                "Product Training",
                vec![
                    Some("Product Training"),
                    Some("Our Products"),
                    Some("The Widget"),
                    Some("Pricing"),
                    Some("Running a Demo")
                ]
            ),
            ("After the Sale", vec![Some("After the Sale"), Some("Support"), Some("Questions?")]),
        ]
    );
    assert_eq!(slide(&outline, "Product Training").markdown, "For new sales staff");
    assert_eq!(slide(&outline, "Our Products").markdown, "- Widgets\n- Gadgets\n- Gizmos");
    assert_eq!(
        slide(&outline, "Pricing").markdown,
        "- List prices\n    - Widgets: 10 EUR\n    - Gadgets: 25 EUR\n- Discounts need approval"
    );
    let widget = slide(&outline, "The Widget");
    assert_eq!(widget.markdown, "- Sells best in spring\n- Comes in three colours");
    assert_eq!(widget.images.len(), 1);
    assert_eq!(widget.images[0].content_type, "image/jpeg");
    assert_eq!(widget.images[0].bytes, fixture("src/chart.jpg"));
    assert_eq!(slide(&outline, "Questions?").markdown, "");
    let images: usize = outline.modules.iter().flat_map(|m| &m.slides).map(|s| s.images.len()).sum();
    assert_eq!(images, 1);
}

/// A real Office file with one XML part rewritten.
fn rewrite(office: &[u8], part: &str, change: impl Fn(String) -> String) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(office)).expect("a zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let name = entry.name().expect("name").into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("read");
        if name == part {
            data = change(String::from_utf8(data).expect("utf-8")).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).expect("start");
        out.write_all(&data).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

/// training.pptx with PowerPoint sections added to its presentation part (Impress writes none).
fn with_sections(pptx: &[u8], sections: &str) -> Vec<u8> {
    rewrite(pptx, "ppt/presentation.xml", |xml| {
        let ext = format!(
            "<p:extLst><p:ext uri=\"{{521415D9-36F7-43E2-AB2F-B90AF26B5E84}}\">\
             <p14:sectionLst xmlns:p14=\"http://schemas.microsoft.com/office/powerpoint/2010/main\">{sections}</p14:sectionLst>\
             </p:ext></p:extLst></p:presentation>"
        );
        xml.replace("</p:presentation>", &ext)
    })
}

#[test]
fn powerpoint_sections_start_modules_when_present() {
    let section = |name: &str, ids: &[u32]| {
        let ids: String = ids.iter().map(|id| format!("<p14:sldId id=\"{id}\"/>")).collect();
        format!("<p14:section name=\"{name}\" id=\"{{00000000-0000-0000-0000-00000000000{}}}\"><p14:sldIdLst>{ids}</p14:sldIdLst></p14:section>", name.len())
    };
    // LibreOffice numbers the slides 256… in order.
    let sections =
        [section("Welcome", &[256]), section("Empty", &[]), section("Selling", &[257, 258, 259, 260, 261, 262, 263])]
            .concat();
    let outline = import(&with_sections(&fixture("training.pptx"), &sections)).expect("imports");
    let modules: Vec<(&str, usize)> = outline.modules.iter().map(|m| (m.title.as_str(), m.slides.len())).collect();
    assert_eq!(modules, vec![("Welcome", 1), ("Selling", 7)], "sections win over title slides; empty ones are skipped");
}

#[test]
fn powerpoint_section_header_layouts_start_modules() {
    // "Questions?" is on Impress's "Title Only" layout; call that layout a section header.
    let pptx = rewrite(&fixture("training.pptx"), "ppt/slideLayouts/slideLayout5.xml", |xml| {
        xml.replace("type=\"titleOnly\"", "type=\"secHead\"")
    });
    let outline = import(&pptx).expect("imports");
    let modules: Vec<(&str, usize)> = outline.modules.iter().map(|m| (m.title.as_str(), m.slides.len())).collect();
    assert_eq!(modules, vec![("Product Training", 5), ("After the Sale", 2), ("Questions?", 1)]);
}

#[test]
fn fifty_page_pdf() {
    let outline = import(&fixture("long.pdf")).expect("imports");
    assert_eq!(outline.title.as_deref(), Some("Long Handbook"));
    let modules: Vec<(&str, usize)> = outline.modules.iter().map(|m| (m.title.as_str(), m.slides.len())).collect();
    assert_eq!(modules, vec![("Part 1", 10), ("Part 2", 10), ("Part 3", 10), ("Part 4", 10), ("Part 5", 10)]);
    let last = &outline.modules[4].slides[9];
    assert_eq!(last.heading, None);
    assert!(last.markdown.starts_with("Page 50 continues the part."), "{}", last.markdown);
}

#[test]
fn fifty_slide_pptx() {
    let outline = import(&fixture("long.pptx")).expect("imports");
    assert_eq!(outline.title.as_deref(), Some("Long Deck"));
    let modules: Vec<(&str, usize)> = outline.modules.iter().map(|m| (m.title.as_str(), m.slides.len())).collect();
    assert_eq!(modules, vec![("Part 1", 10), ("Part 2", 10), ("Part 3", 10), ("Part 4", 10), ("Part 5", 10)]);
    let last = &outline.modules[4].slides[9];
    assert_eq!(last.heading.as_deref(), Some("Slide 50"));
    assert_eq!(last.markdown, "- First point of slide 50\n- Second point of slide 50");
}

#[test]
fn what_cannot_be_imported() {
    assert_eq!(import(&fixture("src/badge.png")), Err(ImportError::Unsupported));
    assert_eq!(import(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), Err(ImportError::Unsupported));
    assert_eq!(import(b"\x00\x01binary"), Err(ImportError::Unsupported));
    assert_eq!(import(b""), Err(ImportError::Empty));
    assert_eq!(import(b" \n\t\n"), Err(ImportError::Empty));
}

#[test]
fn titles_and_text_come_back_raw_without_control_characters() {
    let outline = import(b"# Title <b>&amp;\n\ntext\n").expect("imports");
    assert_eq!(outline.modules[0].title, "Title <b>&", "raw: the server escapes");
    let docx = rewrite(&fixture("handbook.docx"), "word/document.xml", |xml| {
        xml.replace("Getting Started", "Getting&#x7;Started &lt;now&gt;")
            .replace("Everything you need", "Every&#x1b;thing you need")
    });
    let outline = import(&docx).expect("imports");
    assert_eq!(outline.modules[1].title, "GettingStarted <now>");
    assert_eq!(outline.modules[1].slides[0].markdown, "Everything you need before your first day.");
}

#[test]
fn a_damaged_part_is_invalid_and_says_which() {
    let docx = rewrite(&fixture("handbook.docx"), "word/document.xml", |xml| xml.replace("</w:body>", ""));
    let Err(ImportError::Invalid(message)) = import(&docx) else { panic!("not invalid") };
    assert!(message.contains("word/document.xml"), "{message}");
    let pptx = rewrite(&fixture("training.pptx"), "ppt/slides/slide2.xml", |xml| xml.replace("<a:t>", "<a:t><"));
    let Err(ImportError::Invalid(message)) = import(&pptx) else { panic!("not invalid") };
    assert!(message.contains("ppt/slides/slide2.xml"), "{message}");
}
