//! The Content Library (`/w/{ws}/library`: Courses, Templates and Trash tabs, search by title,
//! filters by tag and status, New course, duplicate, trash, restore) and the Course Editor
//! (`/w/{ws}/courses/{course}`): the page carries the course as JSON data and our own script
//! (`assets/editor.js`) edits modules, blocks and the rubric in place and saves the draft whole
//! through the JSON API, where `stale` is answered without losing a keystroke.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use lyceum_domain::id::{CourseId, TemplateId, WorkspaceId};
use lyceum_domain::{CourseFilter, CourseStatus, Permission};
use serde::Deserialize;

use super::courses::{LibraryQuery, NewCourse};
use super::store::{CourseHead, TagRow, TemplateRow};
use crate::kernel::audit_chain::Action;
use crate::kernel::db::rfc3339;
use crate::kernel::whereabouts::Place;
use crate::kernel::ServiceError;
use crate::web::ui::form::FieldErrors;
use crate::web::ui::session::{message_of, redirect_with, render, service_error_page, PageForm, PagePath, Viewer};
use crate::web::ui::shell::Shell;
use crate::web::AppState;

/// This wing's page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/w/{ws}/library", get(library_page).post(new_course))
        .route("/w/{ws}/courses/{course}", get(editor_page))
        .route("/w/{ws}/courses/{course}/duplicate", post(duplicate))
        .route("/w/{ws}/courses/{course}/trash", post(trash))
        .route("/w/{ws}/courses/{course}/restore", post(restore))
        .route("/w/{ws}/courses/{course}/template", post(save_template))
        .route("/w/{ws}/markdown-preview", post(markdown_preview))
        .route("/media/{media}", get(media))
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct LibraryParams {
    #[serde(default)]
    tab: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    cursor: String,
}

/// A course row as the library shows it.
struct Row {
    id: String,
    title: String,
    status: &'static str,
    tags: Vec<String>,
    latest_version: String,
    updated_at: String,
    purge_at: String,
    editor: String,
}

fn row(ws: &WorkspaceId, h: &CourseHead) -> Row {
    Row {
        id: h.id.to_string(),
        title: h.title.clone(),
        status: match h.status {
            CourseStatus::Draft => "Draft",
            CourseStatus::Published => "Published",
            CourseStatus::Trashed => "Trashed",
        },
        tags: h.tags.clone(),
        latest_version: h.latest_version.map_or_else(|| "—".to_owned(), |v| format!("v{v}")),
        updated_at: rfc3339(h.updated_at)[..16].replace('T', " "),
        purge_at: h.purge_at.map(|p| rfc3339(p)[..10].to_owned()).unwrap_or_default(),
        editor: format!("/w/{ws}/courses/{}", h.id),
    }
}

struct TemplateRowView {
    id: String,
    name: String,
    modules: usize,
    audience: String,
    created_at: String,
}

fn template_view(t: &TemplateRow) -> TemplateRowView {
    TemplateRowView {
        id: t.id.to_string(),
        name: t.name.clone(),
        modules: t.content.modules.len(),
        audience: t.audience.clone().unwrap_or_default(),
        created_at: rfc3339(t.created_at)[..10].to_owned(),
    }
}

#[derive(Template)]
#[template(path = "learning/library.html")]
struct LibraryPage {
    shell: Shell,
    ws: String,
    tab: &'static str,
    q: String,
    tag: String,
    status: String,
    rows: Vec<Row>,
    next: Option<String>,
    templates: Vec<TemplateRowView>,
    tags: Vec<TagRow>,
    count_courses: i64,
    count_trash: i64,
    may_create: bool,
    errors: FieldErrors,
    new_title: String,
}

async fn library(
    state: &AppState,
    viewer: &Viewer,
    ws: &WorkspaceId,
    p: LibraryParams,
    errors: FieldErrors,
    new_title: String,
) -> Result<LibraryPage, ServiceError> {
    let learning = state.lyceum.learning();
    let tab = match p.tab.as_str() {
        "templates" => "templates",
        "trash" => "trash",
        _ => "courses",
    };
    let status = match (tab, p.status.as_str()) {
        ("trash", _) => Some(CourseFilter::Trashed),
        (_, "") => None,
        (_, s) => Some(CourseFilter::parse(s)?).filter(|f| *f != CourseFilter::Trashed),
    };
    let q = LibraryQuery {
        q: Some(p.q.clone()),
        tag: Some(p.tag.clone()),
        status,
        limit: 50,
        cursor: Some(p.cursor.clone()).filter(|c| !c.is_empty()),
    };
    let (rows, next) = if tab == "templates" {
        (Vec::new(), None)
    } else {
        let page = learning.library(&viewer.caller, ws, q).await?;
        (page.items.iter().map(|h| row(ws, h)).collect(), page.next_cursor)
    };
    let templates = if tab == "templates" {
        learning.templates(&viewer.caller, ws).await?.iter().map(template_view).collect()
    } else {
        Vec::new()
    };
    let counts = learning.library_counts(&viewer.caller, ws).await?;
    let count = |s: &str| counts.iter().filter(|(k, _)| k == s).map(|(_, n)| *n).sum::<i64>();
    let tags = learning.tags(&viewer.caller, ws).await?;
    let shell = Shell::build(&state.lyceum, viewer, "Content Library", Place::Workspace(ws), "content").await?;
    let may_create = shell
        .here
        .as_ref()
        .and_then(|h| h.workspace.as_ref())
        .is_some_and(|w| w.held.contains(Permission::ContentCreate));
    Ok(LibraryPage {
        ws: ws.to_string(),
        tab,
        q: p.q,
        tag: p.tag,
        status: p.status,
        rows,
        next,
        templates,
        tags,
        count_courses: count("draft") + count("published"),
        count_trash: count("trashed"),
        may_create,
        errors,
        new_title,
        shell,
    })
}

fn answer<T: Template>(page: Result<T, ServiceError>, flash: impl Fn(&T) -> bool) -> Response {
    match page {
        Ok(p) => {
            let f = flash(&p);
            render(&p, f)
        }
        Err(e) => service_error_page(e),
    }
}

/// `GET /w/{ws}/library`
pub async fn library_page(
    State(state): State<AppState>,
    viewer: Viewer,
    PagePath(ws): PagePath<WorkspaceId>,
    Query(p): Query<LibraryParams>,
) -> Response {
    answer(library(&state, &viewer, &ws, p, FieldErrors::default(), String::new()).await, |p| p.shell.flash.is_some())
}

#[derive(Debug, Deserialize)]
pub struct NewCourseForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    template_id: String,
}

/// `POST /w/{ws}/library`: New course (from scratch or a template), then its editor.
pub async fn new_course(
    State(state): State<AppState>,
    PagePath(ws): PagePath<WorkspaceId>,
    PageForm { viewer, form }: PageForm<NewCourseForm>,
) -> Response {
    let template_id = TemplateId::parse(form.template_id.trim());
    let mut title = form.title.trim().to_owned();
    if title.is_empty() {
        if let Some(t) = &template_id {
            if let Ok(t) = state.lyceum.learning().template(&viewer.caller, t).await {
                title = t.name;
            }
        }
    }
    let new = NewCourse { title: title.clone(), template_id, ..NewCourse::default() };
    match state.lyceum.learning().create_course(&viewer.caller, &ws, new, Action::CourseCreated).await {
        Ok(c) => redirect_with(&format!("/w/{ws}/courses/{}", c.head.id), "success", "Course created."),
        Err(e @ ServiceError::Domain(lyceum_domain::DomainError::Validation { .. })) => {
            let errors = FieldErrors::from_error(e).0;
            answer(library(&state, &viewer, &ws, LibraryParams::default(), errors, title).await, |_| false)
        }
        Err(e) => service_error_page(e),
    }
}

#[derive(Template)]
#[template(path = "learning/editor.html")]
struct EditorPage {
    shell: Shell,
    ws: String,
    course_id: String,
    title: String,
    status: &'static str,
    latest_version: String,
    /// The course as the API answers it, for the editor's script.
    course_json: String,
    may_edit: bool,
    may_publish: bool,
}

async fn editor(
    state: &AppState,
    viewer: &Viewer,
    ws: &WorkspaceId,
    id: &CourseId,
) -> Result<EditorPage, ServiceError> {
    let course = state.lyceum.learning().course(&viewer.caller, id).await?;
    if course.head.workspace_id != *ws {
        return Err(lyceum_domain::DomainError::NotFound.into());
    }
    let shell = Shell::build(&state.lyceum, viewer, &course.head.title, Place::Workspace(ws), "content").await?;
    let held = shell.here.as_ref().and_then(|h| h.workspace.as_ref()).map(|w| w.held);
    let trashed = course.head.status == CourseStatus::Trashed;
    let may_edit = held.is_some_and(|h| h.contains(Permission::ContentCreate)) && !trashed;
    let may_publish = held.is_some_and(|h| h.contains(Permission::ContentPublish)) && !trashed;
    let status = match course.head.status {
        CourseStatus::Draft => "Draft",
        CourseStatus::Published => "Published",
        CourseStatus::Trashed => "Trashed",
    };
    let latest_version = course.head.latest_version.map_or_else(String::new, |v| format!("v{v}"));
    let title = course.head.title.clone();
    let wire = super::api::CourseWire::from(course);
    // `</` never appears raw inside the script element that carries the JSON.
    let course_json = serde_json::to_string(&wire).unwrap_or_default().replace("</", "<\\/");
    Ok(EditorPage {
        ws: ws.to_string(),
        course_id: id.to_string(),
        title,
        status,
        latest_version,
        course_json,
        may_edit,
        may_publish,
        shell,
    })
}

/// `GET /w/{ws}/courses/{course}`: the Course Editor.
pub async fn editor_page(
    State(state): State<AppState>,
    viewer: Viewer,
    PagePath((ws, id)): PagePath<(WorkspaceId, CourseId)>,
) -> Response {
    answer(editor(&state, &viewer, &ws, &id).await, |p| p.shell.flash.is_some())
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

#[derive(Debug, Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    name: String,
}

/// The course must be the workspace's (a course of another workspace is not found here).
async fn in_workspace(state: &AppState, viewer: &Viewer, ws: &WorkspaceId, id: &CourseId) -> Result<(), ServiceError> {
    let c = state.lyceum.learning().course(&viewer.caller, id).await?;
    if c.head.workspace_id == *ws {
        Ok(())
    } else {
        Err(lyceum_domain::DomainError::NotFound.into())
    }
}

/// `POST /w/{ws}/courses/{course}/duplicate`
pub async fn duplicate(
    State(state): State<AppState>,
    PagePath((ws, id)): PagePath<(WorkspaceId, CourseId)>,
    PageForm { viewer, .. }: PageForm<Empty>,
) -> Response {
    if let Err(e) = in_workspace(&state, &viewer, &ws, &id).await {
        return service_error_page(e);
    }
    match state.lyceum.learning().duplicate(&viewer.caller, &id).await {
        Ok(c) => {
            redirect_with(&format!("/w/{ws}/courses/{}", c.head.id), "success", format!("Created “{}”.", c.head.title))
        }
        Err(e) => redirect_with(&format!("/w/{ws}/library"), "error", message_of(e)),
    }
}

/// `POST /w/{ws}/courses/{course}/trash`
pub async fn trash(
    State(state): State<AppState>,
    PagePath((ws, id)): PagePath<(WorkspaceId, CourseId)>,
    PageForm { viewer, .. }: PageForm<Empty>,
) -> Response {
    if let Err(e) = in_workspace(&state, &viewer, &ws, &id).await {
        return service_error_page(e);
    }
    match state.lyceum.learning().trash(&viewer.caller, &id).await {
        Ok(()) => {
            redirect_with(&format!("/w/{ws}/library"), "success", "Moved to the trash. Restore it from the Trash tab.")
        }
        Err(e) => redirect_with(&format!("/w/{ws}/library"), "error", message_of(e)),
    }
}

/// `POST /w/{ws}/courses/{course}/restore`
pub async fn restore(
    State(state): State<AppState>,
    PagePath((ws, id)): PagePath<(WorkspaceId, CourseId)>,
    PageForm { viewer, .. }: PageForm<Empty>,
) -> Response {
    if let Err(e) = in_workspace(&state, &viewer, &ws, &id).await {
        return service_error_page(e);
    }
    match state.lyceum.learning().restore(&viewer.caller, &id).await {
        Ok(c) => {
            redirect_with(&format!("/w/{ws}/library?tab=trash"), "success", format!("Restored “{}”.", c.head.title))
        }
        Err(e) => redirect_with(&format!("/w/{ws}/library?tab=trash"), "error", message_of(e)),
    }
}

/// `POST /w/{ws}/courses/{course}/template`: Save as template.
pub async fn save_template(
    State(state): State<AppState>,
    PagePath((ws, id)): PagePath<(WorkspaceId, CourseId)>,
    PageForm { viewer, form }: PageForm<TemplateForm>,
) -> Response {
    if let Err(e) = in_workspace(&state, &viewer, &ws, &id).await {
        return service_error_page(e);
    }
    let name = Some(form.name.trim()).filter(|n| !n.is_empty());
    match state.lyceum.learning().save_template(&viewer.caller, &id, name).await {
        Ok(t) => redirect_with(
            &format!("/w/{ws}/library?tab=templates"),
            "success",
            format!("Saved the template “{}”.", t.name),
        ),
        Err(e) => redirect_with(&format!("/w/{ws}/courses/{id}"), "error", message_of(e)),
    }
}

#[derive(Debug, Deserialize)]
pub struct MarkdownForm {
    #[serde(default)]
    markdown: String,
}

/// `POST /w/{ws}/markdown-preview`: a slide's Markdown as the learner will see it, rendered and
/// sanitised on the server (the editor's live preview).
pub async fn markdown_preview(
    State(state): State<AppState>,
    PagePath(ws): PagePath<WorkspaceId>,
    PageForm { viewer, form }: PageForm<MarkdownForm>,
) -> Response {
    use axum::response::IntoResponse;
    if let Err(e) = state.lyceum.learning().tags(&viewer.caller, &ws).await {
        return service_error_page(e);
    }
    let html = lyceum_content::render_markdown(&form.markdown);
    axum::response::Html(html).into_response()
}

/// `GET /media/{media}`: a media file, to whoever reads its workspace's content (the session or
/// an API key; no public links). Served with its sniffed type, `nosniff` (every answer) and
/// `Content-Disposition` naming it safely.
pub async fn media(
    State(state): State<AppState>,
    crate::web::extract::Auth(caller): crate::web::extract::Auth,
    PagePath(id): PagePath<lyceum_domain::id::MediaId>,
) -> Response {
    use axum::http::{header, HeaderValue};
    use axum::response::IntoResponse;
    match state.lyceum.learning().media_file(&caller, &id).await {
        Ok((row, bytes)) => {
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&row.content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            // The name is cleaned of quotes, semicolons and control characters; non-ASCII goes
            // in the RFC 5987 form only.
            let ascii: String = row.name.chars().filter(char::is_ascii).collect();
            let encoded: String = row
                .name
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
            res
        }
        Err(e) => crate::web::error::ApiError::from(e).into_response(),
    }
}
