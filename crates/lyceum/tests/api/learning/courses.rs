//! Courses (API.md "Courses"): create, draft saves with their revision, publish, versions,
//! duplicate, templates, the library, the trash, and access.

use lyceum_test_support::{Client, Owner, Resp, TestApp};
use serde_json::{json, Value};

use crate::server_internals::{now_ms, purge_trash};

async fn ws_member(app: &TestApp, owner: &Owner, email: &str, role: &str) -> Client {
    let (c, _) = app.user(email).await;
    let r = owner
        .client
        .post(&format!("/api/v1/workspaces/{}/invitations", owner.ws), json!({"emails": [email], "role": role}))
        .await;
    assert_eq!(r.json["results"][0]["outcome"], "pending", "{r:?}");
    c
}

async fn create(c: &Client, ws: &str, title: &str, tags: &[&str]) -> Resp {
    c.post(&format!("/api/v1/workspaces/{ws}/courses"), json!({"title": title, "tags": tags})).await
}

fn id(r: &Resp) -> String {
    r.json["id"].as_str().expect("an id").to_owned()
}

/// A draft of two modules: a slide and a quiz, then a simulation; a rubric of two criteria.
fn draft(revision: i64) -> Value {
    json!({
        "revision": revision,
        "modules": [
            {"title": "Opening", "blocks": [
                {"kind": "slide", "markdown": "# Welcome\nThe **renewal** call."},
                {"kind": "quiz", "questions": [{"prompt": "First step?", "choices": ["Price", "Listen"], "correct": [1]}]}
            ]},
            {"title": "Practice", "blocks": [
                {"kind": "simulation", "persona": {"name": "Dana", "role": "Buyer", "personality": "Terse"},
                 "scenario": "Dana wants a discount.", "objective": "Renew without one.",
                 "instructions": "Push back on price twice.", "opening_line": "Why should I renew?",
                 "max_turns": 6, "scripted_lines": ["It is too expensive.", "Fine, convince me."]}
            ]}
        ],
        "settings": {"max_attempts": 3, "show_score": true, "branding_intro": false},
        "rubric": {"pass_mark": 75, "criteria": [
            {"title": "Empathy", "description": "Acknowledges", "weight": 1, "guidance": "Names the buyer's concern before answering"},
            {"title": "Close", "weight": 3, "guidance": "asks"}
        ]}
    })
}

#[tokio::test]
async fn a_draft_is_saved_whole_published_as_numbered_immutable_versions() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let r = create(&o.client, &o.ws, "Renewals", &["Sales"]).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!((r.json["revision"].as_i64(), r.json["status"].as_str()), (Some(1), Some("draft")));
    assert_eq!(r.json["tags"], json!(["Sales"]));
    let course = id(&r);

    let r = o.client.put(&format!("/api/v1/courses/{course}/draft"), draft(1)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["revision"], 2);
    // The server assigned ids to modules, blocks and criteria.
    let modules = r.json["draft"]["modules"].as_array().unwrap();
    assert!(modules.iter().all(|m| m["id"].is_string()));
    assert!(modules.iter().flat_map(|m| m["blocks"].as_array().unwrap()).all(|b| b["id"].is_string()));
    assert!(r.json["draft"]["rubric"]["criteria"].as_array().unwrap().iter().all(|c| c["id"].is_string()));
    // The vague criterion is accepted, with a warning.
    assert_eq!(r.json["warnings"].as_array().map(Vec::len), Some(1), "{r:?}");
    assert_eq!(r.json["warnings"][0]["field"], "rubric.criteria[1].guidance");
    let block_id = r.json["draft"]["modules"][0]["blocks"][0]["id"].clone();

    let r = o.client.post(&format!("/api/v1/courses/{course}/publish"), json!({})).await;
    assert_eq!((r.status, r.json["number"].as_i64()), (201, Some(1)), "{r:?}");

    // The draft stays editable; a save keeps the ids it is sent.
    let mut next = o.client.get(&format!("/api/v1/courses/{course}")).await.json;
    assert_eq!(next["status"], "published");
    assert_eq!(next["versions"][0]["number"], 1);
    let mut body = json!({"revision": next["revision"], "modules": next["draft"]["modules"].take(),
        "settings": next["draft"]["settings"].take(), "rubric": next["draft"]["rubric"].take()});
    body["modules"][0]["blocks"][0]["markdown"] = json!("# Welcome back");
    body["modules"][0]["title"] = json!("Opening, revised");
    let r = o.client.put(&format!("/api/v1/courses/{course}/draft"), body).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["draft"]["modules"][0]["blocks"][0]["id"], block_id);
    let r = o.client.post(&format!("/api/v1/courses/{course}/publish"), json!({})).await;
    assert_eq!(r.json["number"], 2, "{r:?}");

    // Version 1 is what was published then.
    let v1 = o.client.get(&format!("/api/v1/courses/{course}/versions/1")).await;
    assert_eq!(v1.status, 200, "{v1:?}");
    assert_eq!(v1.json["modules"][0]["title"], "Opening");
    assert_eq!(v1.json["modules"][0]["blocks"][0]["markdown"], "# Welcome\nThe **renewal** call.");
    assert_eq!(v1.json["rubric"]["pass_mark"], 75);
    assert_eq!(v1.json["settings"]["max_attempts"], 3);
    let v2 = o.client.get(&format!("/api/v1/courses/{course}/versions/2")).await;
    assert_eq!(v2.json["modules"][0]["title"], "Opening, revised");
    assert_eq!(o.client.get(&format!("/api/v1/courses/{course}/versions/3")).await.status, 404);
    assert_eq!(o.client.get(&format!("/api/v1/courses/{course}/versions/one")).await.status, 404);

    // The database itself refuses to change a published version.
    let changed = sqlx::query("UPDATE course_versions SET title = 'tampered' WHERE course_id = $1")
        .bind(&course)
        .execute(app.pool())
        .await;
    assert!(changed.is_err(), "a published version was changed");

    let actions = app.audit_actions(&o.org).await;
    for a in ["course.created", "course.draft_saved", "course.published"] {
        assert!(actions.iter().any(|x| x == a), "{a} missing from {actions:?}");
    }
    assert_eq!(actions.iter().filter(|a| *a == "course.published").count(), 2);
}

#[tokio::test]
async fn of_two_saves_of_the_same_revision_exactly_one_wins_and_the_other_is_stale() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let trainer = ws_member(&app, &o, "tom@example.com", "trainer").await;
    let course = id(&create(&o.client, &o.ws, "Race", &[]).await);
    let path = format!("/api/v1/courses/{course}/draft");
    for round in 0..5 {
        let revision = o.client.get(&format!("/api/v1/courses/{course}")).await.json["revision"].as_i64().unwrap();
        let mut mine = draft(revision);
        mine["modules"][0]["title"] = json!(format!("Olga's {round}"));
        let mut theirs = draft(revision);
        theirs["modules"][0]["title"] = json!(format!("Tom's {round}"));
        let (a, b) = tokio::join!(o.client.put(&path, mine), trainer.put(&path, theirs));
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}: {a:?} {b:?}");
        let (winner, loser) = if a.status == 200 { (&a, &b) } else { (&b, &a) };
        assert_eq!(loser.code(), "stale");
        assert_eq!(loser.json["current_revision"].as_i64(), Some(revision + 1), "{loser:?}");
        // Nothing of the winner is lost.
        let now = o.client.get(&format!("/api/v1/courses/{course}")).await;
        assert_eq!(now.json["revision"].as_i64(), Some(revision + 1));
        assert_eq!(now.json["draft"]["modules"][0]["title"], winner.json["draft"]["modules"][0]["title"]);
    }
    // A save naming an old revision is stale, and changes nothing.
    let r = o.client.put(&path, draft(1)).await;
    r.assert_problem(409, "stale");
    assert_eq!(r.json["current_revision"], 6);
}

#[tokio::test]
async fn publishes_at_once_get_consecutive_numbers() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let trainer = ws_member(&app, &o, "tom@example.com", "trainer").await;
    let course = id(&create(&o.client, &o.ws, "Popular", &[]).await);
    assert_eq!(o.client.put(&format!("/api/v1/courses/{course}/draft"), draft(1)).await.status, 200);
    let path = format!("/api/v1/courses/{course}/publish");
    let (a, b, c, d) = tokio::join!(
        o.client.post(&path, json!({})),
        trainer.post(&path, json!({})),
        o.client.post(&path, json!({})),
        trainer.post(&path, json!({}))
    );
    let mut numbers: Vec<i64> = [a, b, c, d]
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{r:?}");
            r.json["number"].as_i64().unwrap()
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3, 4]);
    let course = o.client.get(&format!("/api/v1/courses/{course}")).await;
    assert_eq!(course.json["latest_version"], 4);
    assert_eq!(course.json["versions"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn courses_created_at_once_with_the_same_new_tag_share_one_tag() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let trainer = ws_member(&app, &o, "tom@example.com", "trainer").await;
    let mut calls = Vec::new();
    for i in 0..8 {
        let c = if i % 2 == 0 { o.client.clone() } else { trainer.clone() };
        let ws = o.ws.clone();
        calls.push(tokio::spawn(async move { create(&c, &ws, &format!("Course {i}"), &["Launch"]).await }));
    }
    for call in calls {
        let r = call.await.unwrap();
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.json["tags"], json!(["Launch"]));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM tags").await, 1);
    let tags = o.client.get(&format!("/api/v1/workspaces/{}/tags", o.ws)).await;
    assert_eq!(tags.json["items"][0]["courses"], 8);
}

#[tokio::test]
async fn invalid_drafts_are_refused_with_the_field_and_change_nothing() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let course = id(&create(&o.client, &o.ws, "Strict", &[]).await);
    let path = format!("/api/v1/courses/{course}/draft");
    let cases: Vec<(Value, &str)> = vec![
        (json!({"revision": 1, "modules": [{"title": "", "blocks": []}]}), "modules[0].title"),
        (
            json!({"revision": 1, "modules": [], "rubric": {"criteria": [{"title": "T", "weight": 0}]}}),
            "rubric.criteria[0].weight",
        ),
        (json!({"revision": 1, "modules": [], "rubric": {"pass_mark": 101}}), "rubric.pass_mark"),
        (
            json!({"revision": 1, "modules": [{"title": "M", "blocks": [{"kind": "quiz", "questions": [{"prompt": "p", "choices": ["a", "b"], "correct": [5]}]}]}]}),
            "modules[0].blocks[0].questions[0].correct",
        ),
        (
            json!({"revision": 1, "modules": [{"title": "M", "blocks": [{"kind": "media", "media_id": "0190aaaa-0000-7000-8000-000000000000"}]}]}),
            "modules",
        ),
        (json!({"revision": 1, "modules": [], "settings": {"max_attempts": 0}}), "settings.max_attempts"),
        (json!({"revision": 1, "title": " ", "modules": []}), "title"),
    ];
    for (body, field) in cases {
        let r = o.client.put(&path, body.clone()).await;
        r.assert_problem(422, "validation");
        assert_eq!(r.json["errors"][0]["field"], field, "{body}: {r:?}");
    }
    // An unknown block kind or field is a clear 422 too.
    let r = o
        .client
        .put(&path, json!({"revision": 1, "modules": [{"title": "M", "blocks": [{"kind": "hologram"}]}]}))
        .await;
    r.assert_problem(422, "validation");
    let after = o.client.get(&format!("/api/v1/courses/{course}")).await;
    assert_eq!(after.json["revision"], 1, "a refused save changed the draft");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'course.draft_saved'").await, 0);
    // Publishing an empty draft is refused.
    let r = o.client.post(&format!("/api/v1/courses/{course}/publish"), json!({})).await;
    r.assert_problem(422, "validation");
}

#[tokio::test]
async fn the_library_searches_titles_filters_by_tag_and_status_and_pages() {
    let (_app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let sales = id(&create(&o.client, &o.ws, "Sales 101: Discovery_calls", &["Sales", "Onboarding"]).await);
    let _support = id(&create(&o.client, &o.ws, "Support basics", &["support"]).await);
    let pricing = id(&create(&o.client, &o.ws, "Pricing for SALES", &["sales"]).await);
    o.client.put(&format!("/api/v1/courses/{pricing}/draft"), draft(1)).await;
    assert_eq!(o.client.post(&format!("/api/v1/courses/{pricing}/publish"), json!({})).await.status, 201);
    let list = |q: &str| {
        let c = o.client.clone();
        let path = format!("/api/v1/workspaces/{}/courses{q}", o.ws);
        async move { c.get(&path).await }
    };
    let titles = |r: &Resp| r.items().iter().map(|c| c["title"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(titles(&list("?q=sales").await), ["Pricing for SALES", "Sales 101: Discovery_calls"]);
    // `_` and `%` are characters, not wildcards.
    assert_eq!(titles(&list("?q=y_c").await), ["Sales 101: Discovery_calls"]);
    assert_eq!(titles(&list("?q=%25").await), Vec::<String>::new());
    // Tags are one taxonomy without regard to case: "sales" joined "Sales".
    assert_eq!(titles(&list("?tag=SALES").await), ["Pricing for SALES", "Sales 101: Discovery_calls"]);
    let tags = o.client.get(&format!("/api/v1/workspaces/{}/tags", o.ws)).await;
    let names: Vec<&str> = tags.json["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Onboarding", "Sales", "support"]);
    assert_eq!(tags.json["items"][1]["courses"], 2);
    let r = list("?status=published").await;
    assert_eq!(titles(&r), ["Pricing for SALES"]);
    assert_eq!(r.items()[0]["latest_version"], 1);
    assert_eq!(titles(&list("?status=draft&q=s").await), ["Support basics", "Sales 101: Discovery_calls"]);
    list("?status=archived").await.assert_problem(422, "validation");

    // Paging: two pages of one and the rest, no repeats.
    let first = list("?limit=2").await;
    assert_eq!(first.items().len(), 2);
    let cursor = first.json["next_cursor"].as_str().expect("a cursor").to_owned();
    let second = list(&format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(second.items().len(), 1);
    assert!(second.json["next_cursor"].is_null());
    let mut all: Vec<String> = titles(&first);
    all.extend(titles(&second));
    all.sort();
    assert_eq!(all.len(), 3);
    all.dedup();
    assert_eq!(all.len(), 3);

    // The trash leaves the library and has its own filter.
    assert_eq!(o.client.delete(&format!("/api/v1/courses/{sales}")).await.status, 204);
    assert_eq!(titles(&list("").await), ["Pricing for SALES", "Support basics"]);
    assert_eq!(titles(&list("?status=trashed").await), ["Sales 101: Discovery_calls"]);
}

#[tokio::test]
async fn duplicate_makes_a_new_draft_and_templates_start_new_courses() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let course = id(&create(&o.client, &o.ws, "Renewals", &["Sales"]).await);
    let saved = o.client.put(&format!("/api/v1/courses/{course}/draft"), draft(1)).await;
    o.client.post(&format!("/api/v1/courses/{course}/publish"), json!({})).await;

    let copy = o.client.post(&format!("/api/v1/courses/{course}/duplicate"), json!({})).await;
    assert_eq!(copy.status, 201, "{copy:?}");
    assert_eq!(copy.json["title"], "Copy of Renewals");
    assert_eq!(
        (copy.json["status"].as_str(), copy.json["versions"].as_array().map(Vec::len)),
        (Some("draft"), Some(0))
    );
    assert_eq!(copy.json["tags"], json!(["Sales"]));
    assert_ne!(copy.json["draft"]["modules"][0]["id"], saved.json["draft"]["modules"][0]["id"]);
    assert_eq!(copy.json["draft"]["modules"][1]["blocks"][0]["persona"]["name"], "Dana");

    let t = o.client.post(&format!("/api/v1/courses/{course}/template"), json!({"name": "Renewal playbook"})).await;
    assert_eq!(t.status, 201, "{t:?}");
    let template = t.json["id"].as_str().unwrap().to_owned();
    let list = o.client.get(&format!("/api/v1/workspaces/{}/templates", o.ws)).await;
    assert_eq!(list.json["items"][0]["name"], "Renewal playbook");
    assert_eq!(list.json["items"][0]["modules"], 2);
    let from = o
        .client
        .post(
            &format!("/api/v1/workspaces/{}/courses", o.ws),
            json!({"title": "Renewals EMEA", "template_id": template}),
        )
        .await;
    assert_eq!(from.status, 201, "{from:?}");
    assert_eq!(from.json["draft"]["modules"][0]["title"], "Opening");
    assert_eq!(from.json["draft"]["rubric"]["pass_mark"], 75);

    // Another organisation's template is not one of this workspace's.
    let other = app.owner("oscar@example.com", "pro", 10, 0).await;
    let r = other
        .client
        .post(&format!("/api/v1/workspaces/{}/courses", other.ws), json!({"title": "Steal", "template_id": template}))
        .await;
    r.assert_problem(422, "validation");
    let actions = app.audit_actions(&o.org).await;
    assert!(actions.iter().any(|a| a == "course.duplicated") && actions.iter().any(|a| a == "template.created"));
}

#[tokio::test]
async fn the_trash_keeps_a_course_until_restored_or_purged_after_the_retention() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let course = id(&create(&o.client, &o.ws, "Old course", &[]).await);
    o.client.put(&format!("/api/v1/courses/{course}/draft"), draft(1)).await;
    o.client.post(&format!("/api/v1/courses/{course}/publish"), json!({})).await;
    assert_eq!(o.client.delete(&format!("/api/v1/courses/{course}")).await.status, 204);
    let trashed = o.client.get(&format!("/api/v1/courses/{course}")).await;
    assert_eq!(trashed.json["status"], "trashed");
    o.client.delete(&format!("/api/v1/courses/{course}")).await.assert_problem(409, "conflict");
    o.client.put(&format!("/api/v1/courses/{course}/draft"), draft(2)).await.assert_problem(409, "conflict");
    o.client.post(&format!("/api/v1/courses/{course}/publish"), json!({})).await.assert_problem(409, "conflict");

    let restored = o.client.post(&format!("/api/v1/courses/{course}/restore"), json!({})).await;
    assert_eq!((restored.status, restored.json["status"].as_str()), (200, Some("published")), "{restored:?}");
    o.client.post(&format!("/api/v1/courses/{course}/restore"), json!({})).await.assert_problem(409, "conflict");

    // Restored, the purge leaves it alone even long after; trashed, 30 days later it is gone.
    let day = 86_400_000;
    assert_eq!(purge_trash(&app, now_ms() + 40 * day).await, 0);
    o.client.delete(&format!("/api/v1/courses/{course}")).await;
    assert_eq!(purge_trash(&app, now_ms() + 29 * day).await, 0);
    assert_eq!(purge_trash(&app, now_ms() + 31 * day).await, 1);
    assert_eq!(o.client.get(&format!("/api/v1/courses/{course}")).await.status, 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM course_versions").await, 0);
    let actions = app.audit_actions(&o.org).await;
    for a in ["course.trashed", "course.restored", "course.purged"] {
        assert!(actions.iter().any(|x| x == a), "{a} missing from {actions:?}");
    }
}

#[tokio::test]
async fn who_may_read_and_change_courses_follows_the_catalogue() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let course = id(&create(&o.client, &o.ws, "Access", &[]).await);
    o.client.put(&format!("/api/v1/courses/{course}/draft"), draft(1)).await;
    let trainer = ws_member(&app, &o, "tom@example.com", "trainer").await;
    let reviewer = ws_member(&app, &o, "rita@example.com", "reviewer").await;
    let learner = ws_member(&app, &o, "lea@example.com", "learner").await;
    let viewer = ws_member(&app, &o, "vic@example.com", "viewer").await;
    let get = format!("/api/v1/courses/{course}");
    let save = format!("/api/v1/courses/{course}/draft");

    // Trainers author and publish.
    let r = trainer.get(&get).await;
    assert_eq!(r.status, 200);
    let r = trainer.put(&save, draft(r.json["revision"].as_i64().unwrap())).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(trainer.post(&format!("{get}/publish"), json!({})).await.status, 201);
    assert_eq!(create(&trainer, &o.ws, "Trainer's own", &["new-tag"]).await.status, 201);
    // Reviewers and viewers read, and change nothing.
    for c in [&reviewer, &viewer] {
        assert_eq!(c.get(&get).await.status, 200);
        c.put(&save, draft(3)).await.assert_problem(403, "forbidden");
        c.post(&format!("{get}/publish"), json!({})).await.assert_problem(403, "forbidden");
        c.delete(&get).await.assert_problem(403, "forbidden");
        create(c, &o.ws, "Nope", &[]).await.assert_problem(403, "forbidden");
        assert_eq!(c.get(&format!("/api/v1/workspaces/{}/courses", o.ws)).await.status, 200);
    }
    // A learner reads only what is assigned to them: nothing yet, so not found — the same
    // answer as for a course that does not exist.
    assert_eq!(learner.get(&get).await.status, 404);
    assert_eq!(learner.get(&format!("{get}/versions/1")).await.status, 404);
    learner.get(&format!("/api/v1/workspaces/{}/courses", o.ws)).await.assert_problem(403, "forbidden");

    // Another organisation sees none of it.
    let other = app.owner("oscar@example.com", "pro", 10, 0).await;
    for path in [get.clone(), format!("{get}/versions/1")] {
        assert_eq!(other.client.get(&path).await.status, 404, "{path}");
    }
    assert_eq!(other.client.put(&save, draft(4)).await.status, 404);
    assert_eq!(other.client.post(&format!("{get}/duplicate"), json!({})).await.status, 404);
    assert_eq!(other.client.delete(&get).await.status, 404);
    assert_eq!(other.client.get(&format!("/api/v1/workspaces/{}/courses", o.ws)).await.status, 404);
}

#[tokio::test]
async fn titles_and_markdown_come_back_escaped_in_the_pages() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let course = id(&create(&o.client, &o.ws, evil, &["<b>tag</b>"]).await);
    let page = o.client.get(&format!("/w/{}/library", o.ws)).await;
    assert_eq!(page.status, 200);
    assert!(!page.text.contains("<script>alert(1)"), "the title came back unescaped");
    assert!(!page.text.contains("<b>tag</b>"));
    assert!(
        page.text.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "the title is not shown escaped: {}",
        page.text
    );
    let editor = o.client.get(&format!("/w/{}/courses/{course}", o.ws)).await;
    assert_eq!(editor.status, 200);
    // The course data is JSON inside a script element: no raw `</` can close it early.
    let data = editor.text.split("id=\"course-data\">").nth(1).unwrap().split("</script>").next().unwrap();
    assert!(!data.contains("</"), "{data}");
    let parsed: Value = serde_json::from_str(data).expect("the editor's data is JSON");
    assert_eq!(parsed["title"], evil);
    let _ = app;
}
