//! Uploads: course imports from real Word, PowerPoint, PDF and Markdown files (made by
//! LibreOffice, in `crates/content/tests/fixtures`), media checked by content and served only to
//! readers, and the size bound enforced while the body streams in.

use std::path::PathBuf;

use lyceum_test_support::{Client, Owner, Resp, TestApp};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content/tests/fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const BOUNDARY: &str = "lyceum-test-boundary-7d1f";

fn multipart(file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(c: &Client, path: &str, file_name: &str, bytes: &[u8]) -> Resp {
    c.raw(
        reqwest::Method::POST,
        path,
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        multipart(file_name, bytes),
    )
    .await
}

async fn import(o: &Owner, file_name: &str, bytes: &[u8]) -> Resp {
    upload(&o.client, &format!("/api/v1/workspaces/{}/courses/import", o.ws), file_name, bytes).await
}

fn shape(course: &Value) -> Vec<(String, Vec<String>)> {
    course["draft"]["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let blocks = m["blocks"].as_array().unwrap();
            assert!(blocks.iter().all(|b| b["kind"] == "slide"), "{m}");
            (
                m["title"].as_str().unwrap().to_owned(),
                blocks
                    .iter()
                    .map(|b| b["markdown"].as_str().unwrap().lines().next().unwrap_or("").to_owned())
                    .collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_word_document_becomes_modules_of_slides_with_its_picture_kept_as_media() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let r = import(&o, "handbook.docx", &fixture("handbook.docx")).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.json["title"], "Onboarding Handbook");
    let titles: Vec<String> = shape(&r.json).into_iter().map(|(t, _)| t).collect();
    assert_eq!(titles, ["Onboarding Handbook", "Getting Started", "Working Together"]);
    assert_eq!(shape(&r.json)[2].1, ["## Meetings", "## Code Review"]);
    // The badge picture is the workspace's media now, served to readers with its type.
    let blocks = r.json["draft"]["modules"][1]["blocks"].as_array().unwrap().clone();
    let badge =
        blocks.iter().find(|b| b["markdown"].as_str().unwrap().starts_with("## Your Badge")).expect("the badge slide");
    let media = badge["image_id"].as_str().expect("the picture became the slide's image").to_owned();
    let m = o.client.get(&format!("/media/{media}")).await;
    assert_eq!(m.status, 200);
    assert_eq!(m.header("content-type"), Some("image/png"));
    assert_eq!(m.header("x-content-type-options"), Some("nosniff"));
    assert!(m.header("content-disposition").unwrap_or("").starts_with("inline; filename=\"image1.png\""), "{m:?}");
    assert_eq!(m.header("content-length"), Some(fixture("src/badge.png").len().to_string().as_str()));
    assert_eq!(app.count("SELECT COUNT(*) FROM media").await, 1);
    let actions = app.audit_actions(&o.org).await;
    assert!(
        actions.iter().any(|a| a == "course.imported") && actions.iter().any(|a| a == "media.uploaded"),
        "{actions:?}"
    );

    // Nobody of another organisation, and no learner without the course, reads the media.
    let other = app.owner("oscar@example.com", "pro", 10, 0).await;
    assert_eq!(other.client.get(&format!("/media/{media}")).await.status, 404);
    assert_eq!(app.client().get(&format!("/media/{media}")).await.status, 401);
}

#[tokio::test]
async fn powerpoint_pdf_and_markdown_import_by_their_rules() {
    let (_app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let r = import(&o, "training.pptx", &fixture("training.pptx")).await;
    assert_eq!(r.status, 201, "{r:?}");
    let s = shape(&r.json);
    assert_eq!(s.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(), ["Product Training", "After the Sale"]);
    assert_eq!(s[1].1, ["## After the Sale", "## Support", "## Questions?"]);
    let widget = &r.json["draft"]["modules"][0]["blocks"][2];
    assert!(widget["image_id"].is_string(), "the slide's picture is kept: {widget}");

    let r = import(&o, "handbook.pdf", &fixture("handbook.pdf")).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.json["title"], "Onboarding Handbook");
    assert!(shape(&r.json).len() >= 2, "the PDF's outline starts modules: {:?}", shape(&r.json));

    let r = import(&o, "guide.md", &fixture("guide.md")).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.json["title"], "Customer Support Guide");
    let titles: Vec<String> = shape(&r.json).into_iter().map(|(t, _)| t).collect();
    assert_eq!(&titles[1..3], ["Answering Tickets", "Escalation"]);
    assert_eq!(o.client.get(&format!("/api/v1/workspaces/{}/courses", o.ws)).await.items().len(), 3);
}

#[tokio::test]
async fn anything_else_is_refused_by_its_content_not_its_name_and_nothing_is_written() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let png = fixture("src/badge.png");
    // A picture named like a Word file is still a picture.
    import(&o, "handbook.docx", &png).await.assert_problem(415, "unsupported_media_type");
    // A damaged Word file (its parts' compressed bytes zeroed, its directory intact) is a Word
    // file that cannot be read; one cut in half is no longer recognisable as one at all.
    let mut broken = fixture("handbook.docx");
    let middle = broken.len() / 3;
    broken[middle..middle + 400].fill(0);
    let r = import(&o, "handbook.docx", &broken).await;
    r.assert_problem(422, "validation");
    assert!(!r.json["detail"].as_str().unwrap_or("").is_empty());
    let mut cut = fixture("handbook.docx");
    cut.truncate(cut.len() / 2);
    import(&o, "handbook.docx", &cut).await.assert_problem(415, "unsupported_media_type");
    import(&o, "empty.md", b"   \n").await.assert_problem(422, "validation");
    // Not multipart at all.
    let r = o.client.post(&format!("/api/v1/workspaces/{}/courses/import", o.ws), json!({"file": "x"})).await;
    r.assert_problem(415, "unsupported_media_type");
    // No `file` field.
    let r = o
        .client
        .raw(
            reqwest::Method::POST,
            &format!("/api/v1/workspaces/{}/courses/import", o.ws),
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--{BOUNDARY}--\r\n")
                .into_bytes(),
        )
        .await;
    r.assert_problem(422, "validation");
    assert_eq!(app.count("SELECT COUNT(*) FROM courses").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM media").await, 0);
}

#[tokio::test]
async fn media_is_checked_by_content_and_svg_is_refused() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let path = format!("/api/v1/workspaces/{}/media", o.ws);
    let r = upload(&o.client, &path, "chart.jpg", &fixture("src/chart.jpg")).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        (r.json["content_type"].as_str(), r.json["bytes"].as_i64()),
        (Some("image/jpeg"), Some(fixture("src/chart.jpg").len() as i64))
    );
    let url = r.json["url"].as_str().unwrap().to_owned();
    assert_eq!(o.client.get(&url).await.header("content-type"), Some("image/jpeg"));
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    upload(&o.client, &path, "logo.png", svg).await.assert_problem(415, "unsupported_media_type");
    upload(&o.client, &path, "notes.png", b"plain text, not a picture")
        .await
        .assert_problem(415, "unsupported_media_type");
    // A media block may name the workspace's media, never another's.
    let course = o.client.post(&format!("/api/v1/workspaces/{}/courses", o.ws), json!({"title": "With media"})).await;
    let id = r.json["id"].as_str().unwrap();
    let draft = json!({"revision": 1, "modules": [{"title": "M", "blocks": [{"kind": "media", "media_id": id, "caption": "Q3"}]}]});
    let saved =
        o.client.put(&format!("/api/v1/courses/{}/draft", course.json["id"].as_str().unwrap()), draft.clone()).await;
    assert_eq!(saved.status, 200, "{saved:?}");
    let other = app.owner("oscar@example.com", "pro", 10, 0).await;
    let theirs =
        other.client.post(&format!("/api/v1/workspaces/{}/courses", other.ws), json!({"title": "Theirs"})).await;
    let r = other.client.put(&format!("/api/v1/courses/{}/draft", theirs.json["id"].as_str().unwrap()), draft).await;
    r.assert_problem(422, "validation");
    assert_eq!(other.client.get(&url).await.status, 404);
}

/// A body far over `--max-upload-bytes` is refused while it streams in: the server answers 413
/// within the first megabytes of an endless upload, so it never held the whole of it.
#[tokio::test]
async fn an_endless_upload_is_refused_while_it_streams_without_being_buffered() {
    let (app, o) = TestApp::init()
        .with_config(|c| c.max_upload_bytes = 1024 * 1024)
        .with_owner("olga@example.com", "pro", 10, 0)
        .await;
    // Over the bound with the whole body sent: 413.
    let big = vec![b'a'; 2 * 1024 * 1024];
    import(&o, "big.md", &big).await.assert_problem(413, "payload_too_large");
    // Declared far over the bound: refused before anything is read.
    let key =
        o.client.post(&format!("/api/v1/orgs/{}/api-keys", o.org), json!({"name": "uploader", "role": "owner"})).await;
    let key = key.json["key"].as_str().expect("a key").to_owned();
    for chunked in [false, true] {
        let addr = app.base.trim_start_matches("http://").to_owned();
        let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let length =
            if chunked { "Transfer-Encoding: chunked".to_owned() } else { format!("Content-Length: {}", 2u64 << 30) };
        let head = format!(
            "POST /api/v1/workspaces/{}/courses/import HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{length}\r\n\r\n",
            o.ws
        );
        let (mut read, mut write) = stream.into_split();
        let writer = tokio::spawn(async move {
            write.write_all(head.as_bytes()).await?;
            let part =
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.md\"\r\n\r\n");
            let mut first = part.into_bytes();
            let chunk = vec![b'a'; 64 * 1024];
            let mut sent: u64 = 0;
            // Up to 2 GiB, stopping as soon as the server stops reading.
            while sent < 2u64 << 30 {
                let mut piece = std::mem::take(&mut first);
                piece.extend_from_slice(&chunk);
                if chunked {
                    write.write_all(format!("{:x}\r\n", piece.len()).as_bytes()).await?;
                    write.write_all(&piece).await?;
                    write.write_all(b"\r\n").await?;
                } else {
                    write.write_all(&piece).await?;
                }
                sent += piece.len() as u64;
            }
            Ok::<u64, std::io::Error>(sent)
        });
        let answer = tokio::time::timeout(std::time::Duration::from_secs(60), async {
            let mut buf = vec![0u8; 4096];
            let n = read.read(&mut buf).await.unwrap_or(0);
            String::from_utf8_lossy(&buf[..n]).into_owned()
        })
        .await
        .expect("the server answers while the upload is still streaming");
        writer.abort();
        assert!(answer.starts_with("HTTP/1.1 413"), "chunked={chunked}: {answer:?}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM courses").await, 0);
}
