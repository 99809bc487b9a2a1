//! The Content Library and the Course Editor: a trainer creates a course from scratch, adds
//! modules and blocks, reorders them by dragging and by keyboard, writes a rubric, saves, is told
//! when someone else saved first (and loses nothing), publishes, duplicates, trashes and
//! restores, and imports a Word document.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::support::{driver, olga, Browser, TestApp};

/// The course as the API answers it.
async fn course(client: &lyceum_test_support::Client, id: &str) -> Value {
    let r = client.get(&format!("/api/v1/courses/{id}")).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.json
}

fn block_titles(course: &Value, module: usize) -> Vec<String> {
    course["draft"]["modules"][module]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| format!("{}:{}", b["kind"].as_str().unwrap(), b["markdown"].as_str().unwrap_or("")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trainer_authors_reorders_saves_and_publishes_a_course() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn().await;
    let olga = olga(&app).await;
    let ws = olga.ws.clone();
    let b = Browser::open(driver, &app).await;
    b.sign_in("olga@example.test").await;
    b.goto(&format!("/w/{ws}")).await;
    b.click("#nav-content").await;
    b.until_path(&format!("/w/{ws}/library")).await;
    b.find("#library-empty").await;

    // New course from scratch.
    b.click("#open-new-course").await;
    b.until_dialog("#new-course-dialog", true).await;
    b.fill("#new-course-name", "Handling objections").await;
    b.click("#create-course").await;
    b.until_path(&format!("/w/{ws}/courses/")).await;
    let id = b.find("#editor").await.attr("data-course-id").await.unwrap().unwrap();

    // A module with three slides, edited in place with a live preview.
    b.click("#add-module").await;
    b.fill(".module[data-module='0'] .module-title input", "Basics").await;
    for text in ["# First", "# Second", "# Third"] {
        b.select(".module[data-module='0'] .new-block-kind", "slide").await;
        b.click(".module[data-module='0'] .add-block-button").await;
        let n = b.all(".module[data-module='0'] .block").await.len();
        b.fill(&format!(".block[data-module='0'][data-block='{}'] .slide-markdown textarea", n - 1), text).await;
    }
    b.until("the preview renders the markdown", || async {
        b.js("var p = document.querySelector(\".block[data-block='2'] .markdown-preview h1\"); return p ? p.textContent : '';", vec![])
            .await
            == json!("Third")
    })
    .await;
    // A simulation and a quiz.
    b.select(".module[data-module='0'] .new-block-kind", "simulation").await;
    b.click(".module[data-module='0'] .add-block-button").await;
    b.fill(".block-simulation .persona-name input", "Dana").await;
    b.fill(".block-simulation .opening-line input", "Why should I renew?").await;
    b.fill(".block-simulation .scripted-lines textarea", "Too expensive.\nConvince me.").await;
    // A rubric of two criteria: shares and the vague-guidance warning.
    b.click("#add-criterion").await;
    b.fill(".criterion[data-criterion='0'] .criterion-title input", "Empathy").await;
    b.fill(".criterion[data-criterion='0'] .criterion-guidance textarea", "Acknowledges the concern before answering")
        .await;
    b.click("#add-criterion").await;
    b.fill(".criterion[data-criterion='1'] .criterion-title input", "Close").await;
    b.fill(".criterion[data-criterion='1'] .criterion-weight input", "3").await;
    assert_eq!(b.text(".criterion[data-criterion='0'] .share").await, "25 % of the score");
    assert_eq!(b.text(".criterion[data-criterion='1'] .share").await, "75 % of the score");
    b.click("#save-draft").await;
    b.until("the draft is saved", || async { b.text("#save-state").await.starts_with("Saved (revision 2)") }).await;
    assert!(b.has(".criterion[data-criterion='1'] .criterion-warning").await, "the vague criterion is flagged");
    let saved = course(&olga.client, &id).await;
    assert_eq!(block_titles(&saved, 0), ["slide:# First", "slide:# Second", "slide:# Third", "simulation:"]);
    assert_eq!(saved["draft"]["modules"][0]["blocks"][3]["scripted_lines"], json!(["Too expensive.", "Convince me."]));
    assert_eq!(saved["draft"]["rubric"]["criteria"][1]["weight"], 3.0);

    // Reorder by dragging: the third slide onto the top half of the first.
    b.drag(".block[data-block='2'] .drag-handle", ".block[data-block='0'] .block-head", -8.0).await;
    b.until("the drag reorders", || async {
        b.js("return document.querySelector(\".block[data-block='0'] .block-title\").textContent", vec![]).await
            == json!("Third")
    })
    .await;
    // And by keyboard: Move down on the (new) first block, activated with Enter.
    let down = b.find(".block[data-block='0'] .move-down").await;
    down.send_keys("\u{E007}").await.unwrap();
    b.until("the keyboard move lands", || async {
        b.js("return document.querySelector(\".block[data-block='1'] .block-title\").textContent", vec![]).await
            == json!("Third")
    })
    .await;
    b.click("#save-draft").await;
    b.until("the reorder is saved", || async { b.text("#save-state").await.starts_with("Saved (revision 3)") }).await;
    // Reloaded, the blocks show their headings only; one opens with Edit.
    b.reload().await;
    b.find(".block[data-block='3']").await;
    assert!(!b.has(".block .block-fields").await, "blocks start closed");
    b.click(".block[data-block='0'] .toggle-block").await;
    b.find(".block[data-block='0'] .slide-markdown textarea").await;
    b.js("window.scrollTo(0, 0);", vec![]).await;
    b.screenshot("course-editor").await;
    assert_eq!(
        block_titles(&course(&olga.client, &id).await, 0),
        ["slide:# First", "slide:# Third", "slide:# Second", "simulation:"]
    );

    // Someone else saves first: this editor is told, and keeps its edit.
    let mut theirs = course(&olga.client, &id).await;
    let body = json!({"revision": theirs["revision"], "title": "Renamed elsewhere", "modules": theirs["draft"]["modules"].take(),
        "settings": theirs["draft"]["settings"].take(), "rubric": theirs["draft"]["rubric"].take()});
    assert_eq!(olga.client.put(&format!("/api/v1/courses/{id}/draft"), body).await.status, 200);
    b.fill(".module[data-module='0'] .module-title input", "Basics, edited here").await;
    b.click("#save-draft").await;
    b.find("#overwrite").await;
    assert!(b.text("#editor-notice").await.contains("Someone else saved this course"));
    assert_eq!(
        b.js("return document.querySelector(\".module[data-module='0'] .module-title input\").value", vec![]).await,
        json!("Basics, edited here"),
        "the local edit is kept"
    );
    assert_eq!(course(&olga.client, &id).await["title"], "Renamed elsewhere", "nothing was overwritten");
    b.click("#overwrite").await;
    b.until("the explicit overwrite saves", || async { b.text("#save-state").await.starts_with("Saved (revision 5)") })
        .await;

    // Publish, then preview as a learner: the quiz-free slides and the role-play's opening.
    b.click("#publish").await;
    b.until("it is published", || async { b.text("#course-status").await == "Published" }).await;
    assert_eq!(course(&olga.client, &id).await["latest_version"], 1);
    b.click("#preview-toggle").await;
    b.until("the preview plays", || async { b.has(".preview-slide h1").await }).await;
    assert_eq!(b.text(".preview-simulation .persona-line").await, "Why should I renew?");
    b.click("#preview-toggle").await;

    // Back to the library: it is listed, published, v1.
    b.goto(&format!("/w/{ws}/library")).await;
    let row = format!("#course-{id}");
    assert_eq!(b.text(&format!("{row} .course-version")).await, "v1");
    b.screenshot("content-library").await;

    // Duplicate: a new draft "Copy of …".
    b.click(&format!("{row} .duplicate-course")).await;
    b.until("the copy's editor opens", || async { b.path().await != format!("/w/{ws}/library") }).await;
    assert_eq!(b.text("#editor-heading").await, "Copy of Handling objections");
    assert_eq!(b.text("#course-status").await, "Draft");

    // Trash (confirmed in the dialog) and restore.
    b.goto(&format!("/w/{ws}/library")).await;
    b.click(&format!("{row} .trash-course")).await;
    b.until_dialog("#confirm-dialog", true).await;
    b.click("#confirm-yes").await;
    b.until("the course leaves the list", || async { !b.has(&format!("#course-{id}")).await }).await;
    b.click("#tab-trash").await;
    b.find(&format!("{row} .restore-course")).await;
    b.click(&format!("{row} .restore-course")).await;
    b.until("the trash is empty again", || async { !b.has(&format!("#course-{id}")).await }).await;
    assert_eq!(course(&olga.client, &id).await["status"], "published");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_word_document_is_imported_from_the_library() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn().await;
    let olga = olga(&app).await;
    let ws = olga.ws.clone();
    let b = Browser::open(driver, &app).await;
    b.sign_in("olga@example.test").await;
    b.goto(&format!("/w/{ws}/library")).await;
    b.click("#open-import").await;
    b.until_dialog("#import-dialog", true).await;
    // Not a course file: the refusal shows in the dialog.
    let fixtures =
        std::fs::canonicalize(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content/tests/fixtures")).unwrap();
    let png = fixtures.join("src/badge.png");
    b.find("#import-file").await.send_keys(png.to_str().unwrap()).await.unwrap();
    b.click("#import-submit").await;
    b.until("the refusal shows", || async { b.text("#import-error").await.contains("can be imported") }).await;
    let docx = fixtures.join("handbook.docx");
    b.find("#import-file").await.send_keys(docx.to_str().unwrap()).await.unwrap();
    b.click("#import-submit").await;
    b.until_path(&format!("/w/{ws}/courses/")).await;
    assert_eq!(b.text("#editor-heading").await, "Onboarding Handbook");
    let titles = b
        .js(
            "return Array.from(document.querySelectorAll('.module-title input')).map(function (i) { return i.value; })",
            vec![],
        )
        .await;
    assert_eq!(titles, json!(["Onboarding Handbook", "Getting Started", "Working Together"]));
    // The Word file's picture is the badge slide's image, served to the editor's session.
    b.click(".block[data-module='1'][data-block='2'] .toggle-block").await;
    b.until_js(
        "the slide's picture loads",
        "(document.querySelector(\".block[data-module='1'][data-block='2'] .media-thumb\") || {}).naturalWidth > 0",
    )
    .await;
    b.close().await;
}
