//! Hostile and broken input: every import answers (a value or an error) and none panics, loops
//! or unpacks without bound. Truncated and corrupted copies of the real fixtures, zip bombs,
//! nesting bombs, and PDFs built to send a reader into endless recursion.

use std::io::{Cursor, Write};

use lopdf::{dictionary, Document, Object, Stream};
use lyceum_content::{import, sniff, ImportError};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

fn invalid_message(result: Result<lyceum_content::Outline, ImportError>) -> String {
    match result {
        Err(ImportError::Invalid(message)) => message,
        other => panic!("not invalid: {other:?}"),
    }
}

#[test]
fn truncated_and_corrupted_files_never_panic() {
    for name in ["guide.md", "handbook.docx", "training.pptx", "handbook.pdf", "safety.pdf"] {
        let bytes = fixture(name);
        let len = bytes.len();
        for cut in [1, 4, 16, len / 10, len / 3, len / 2, len * 9 / 10, len - 1] {
            let _ = sniff(&bytes[..cut]);
            let _ = import(&bytes[..cut]);
        }
        for step in 1..16 {
            let at = len * step / 16;
            let mut damaged = bytes.clone();
            for byte in &mut damaged[at..(at + 64).min(len)] {
                *byte ^= 0x5a;
            }
            let _ = sniff(&damaged);
            let _ = import(&damaged);
        }
        let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let mut prefixed = bytes[..8.min(len)].to_vec();
        prefixed.extend_from_slice(&garbage);
        let _ = import(&prefixed);
    }
}

#[test]
fn a_truncated_office_file_is_unsupported_or_invalid_never_ok() {
    for name in ["handbook.docx", "training.pptx"] {
        let bytes = fixture(name);
        let result = import(&bytes[..bytes.len() / 2]);
        assert!(matches!(result, Err(ImportError::Unsupported | ImportError::Invalid(_))), "{name}: {result:?}");
    }
}

/// A Word file whose parts are given, stored uncompressed.
fn docx_with(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in parts {
        zip.start_file(*name, options).expect("start");
        zip.write_all(data).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

const DOCUMENT: &[u8] = br#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>"#;

#[test]
fn a_minimal_word_file_imports() {
    let outline = import(&docx_with(&[("word/document.xml", DOCUMENT)])).expect("imports");
    assert_eq!(outline.modules[0].title, "Introduction");
    assert_eq!(outline.modules[0].slides[0].markdown, "Hello");
}

#[test]
fn an_archive_claiming_more_than_200_mb_is_refused_unread() {
    let mut bytes = docx_with(&[("word/document.xml", DOCUMENT), ("word/media/big.bin", b"0123456789abcdef")]);
    // Make the central directory claim 3.75 GB for big.bin (its uncompressed size, offset 24).
    let name = b"word/media/big.bin";
    let record = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x01\x02")
        .map(|(i, _)| i)
        .find(|&i| bytes.get(i + 46..i + 46 + name.len()) == Some(name))
        .expect("central directory record");
    bytes[record + 24..record + 28].copy_from_slice(&0xf000_0000u32.to_le_bytes());
    let message = invalid_message(import(&bytes));
    assert!(message.contains("200 MB"), "{message}");
}

#[test]
fn an_archive_of_more_than_10000_entries_is_refused() {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("word/document.xml", options).expect("start");
    zip.write_all(DOCUMENT).expect("write");
    for i in 0..10_000 {
        zip.start_file(format!("e/{i}"), options).expect("start");
    }
    let bytes = zip.finish().expect("finish").into_inner();
    let message = invalid_message(import(&bytes));
    assert!(message.contains("10000 entries"), "{message}");
}

#[test]
fn deeply_nested_xml_is_refused() {
    let mut xml = String::from(r#"<w:document xmlns:w="x"><w:body>"#);
    xml.push_str(&"<w:sdt><w:sdtContent>".repeat(200));
    let message = invalid_message(import(&docx_with(&[("word/document.xml", xml.as_bytes())])));
    assert!(message.contains("word/document.xml") && message.contains("deep"), "{message}");
}

/// A one-page PDF; `draw` is appended to the page's content, `form` is the content of the form
/// XObject `/X` (which has no resources of its own, so it sees the page's).
fn pdf(draw: &str, form: &str, tweak: impl FnOnce(&mut Document, lopdf::ObjectId)) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" });
    let form_id = doc.add_object(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 10.into(), 10.into()] },
        form.as_bytes().to_vec(),
    ));
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
        "XObject" => dictionary! { "X" => form_id },
    });
    let content = format!("BT /F1 12 Tf 72 700 Td (Hello from a PDF) Tj ET {draw}");
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => resources_id,
        "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    tweak(&mut doc, page_id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("save");
    bytes
}

#[test]
fn a_built_pdf_imports() {
    let outline = import(&pdf("/X Do", "", |_, _| {})).expect("imports");
    assert_eq!(outline.modules[0].slides[0].markdown, "Hello from a PDF");
}

#[test]
fn a_form_that_draws_itself_is_refused_not_recursed_into() {
    let message = invalid_message(import(&pdf("/X Do", "/X Do", |_, _| {})));
    assert!(message.contains("nests"), "{message}");
}

#[test]
fn a_page_tree_that_loops_is_refused() {
    let bytes = pdf("", "", |doc, page_id| {
        if let Ok(page) = doc.get_dictionary_mut(page_id) {
            page.remove(b"MediaBox");
            page.set("Parent", page_id);
        }
    });
    let result = import(&bytes);
    assert!(matches!(&result, Err(ImportError::Invalid(m)) if m.contains("nests")), "{result:?}");
}

#[test]
fn a_stream_compressed_twice_over_is_refused() {
    let bytes = pdf("", "", |doc, _| {
        let filters = vec![Object::Name(b"FlateDecode".to_vec()), Object::Name(b"FlateDecode".to_vec())];
        doc.add_object(Stream::new(
            dictionary! { "Filter" => filters },
            vec![0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        ));
    });
    let message = invalid_message(import(&bytes));
    assert!(message.contains("twice"), "{message}");
}
