//! The learning wing's JSON handlers and wire types (API.md "Courses").

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use lyceum_domain::id::{CourseId, TemplateId, WorkspaceId};
use lyceum_domain::learning::{Content, Module, Rubric, Settings, Warning};
use lyceum_domain::{CourseFilter, DomainError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::courses::{Course, DraftSave, LibraryQuery, NewCourse, Version};
use super::store::{CourseHead, TagRow, TemplateRow};
use crate::kernel::audit_chain::Action;
use crate::kernel::db::rfc3339;
use crate::web::error::ApiResult;
use crate::web::extract::{read_upload, ApiJson, ApiPath, ApiQuery, Auth};
use crate::web::openapi::{
    AiErrors, AuthErrors, BodyErrors, CourseConflict, NotFound, Page, QueryErrors, UploadErrors,
};
use crate::web::AppState;

/// This wing's API routes.
pub fn routes(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(create_course, list_courses))
        .routes(routes!(get_course, trash_course))
        .routes(routes!(save_draft))
        .routes(routes!(publish))
        .routes(routes!(get_version))
        .routes(routes!(duplicate))
        .routes(routes!(restore))
        .routes(routes!(save_template))
        .routes(routes!(list_templates))
        .routes(routes!(list_tags))
        .routes(routes!(import_course))
        .routes(routes!(upload_media))
        .routes(routes!(generate_course))
        .routes(routes!(regenerate_template))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseSummary {
    pub id: String,
    pub workspace_id: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    /// `draft | published | trashed`
    pub status: String,
    /// `own | leased | purchased`
    pub origin: String,
    pub latest_version: Option<i64>,
    pub updated_at: String,
    /// When a trashed course will be purged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<String>,
}

impl From<&CourseHead> for CourseSummary {
    fn from(h: &CourseHead) -> CourseSummary {
        CourseSummary {
            id: h.id.to_string(),
            workspace_id: h.workspace_id.to_string(),
            title: h.title.clone(),
            description: h.description.clone(),
            tags: h.tags.clone(),
            status: h.status.as_str().to_owned(),
            origin: h.origin.clone(),
            latest_version: h.latest_version,
            updated_at: rfc3339(h.updated_at),
            purge_at: h.purge_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionRef {
    pub number: i64,
    pub published_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WarningWire {
    pub field: String,
    pub message: String,
}

impl From<Warning> for WarningWire {
    fn from(w: Warning) -> WarningWire {
        WarningWire { field: w.field, message: w.message }
    }
}

/// A course's content: modules of ordered blocks, settings, rubric (API.md "Block kinds and
/// fields").
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContentWire {
    #[schema(value_type = Vec<Object>)]
    pub modules: Vec<Module>,
    #[schema(value_type = Object)]
    pub settings: Settings,
    #[schema(value_type = Object)]
    pub rubric: Rubric,
}

impl From<Content> for ContentWire {
    fn from(c: Content) -> ContentWire {
        ContentWire { modules: c.modules, settings: c.settings, rubric: c.rubric }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseWire {
    pub id: String,
    pub workspace_id: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub status: String,
    pub origin: String,
    /// Send it back with the next draft save.
    pub revision: i64,
    pub latest_version: Option<i64>,
    pub draft: ContentWire,
    pub versions: Vec<VersionRef>,
    /// Accepted but worth a look (criteria with no or very short guidance).
    pub warnings: Vec<WarningWire>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Course> for CourseWire {
    fn from(c: Course) -> CourseWire {
        let h = c.head;
        CourseWire {
            id: h.id.to_string(),
            workspace_id: h.workspace_id.to_string(),
            title: h.title,
            description: h.description,
            tags: h.tags,
            status: h.status.as_str().to_owned(),
            origin: h.origin,
            revision: h.revision,
            latest_version: h.latest_version,
            draft: c.draft.into(),
            versions: c
                .versions
                .into_iter()
                .map(|v| VersionRef { number: v.number, published_at: rfc3339(v.published_at) })
                .collect(),
            warnings: c.warnings.into_iter().map(WarningWire::from).collect(),
            created_at: rfc3339(h.created_at),
            updated_at: rfc3339(h.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCourseBody {
    pub title: String,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Start from this template of the workspace.
    pub template_id: Option<String>,
}

/// Creates a course with an empty draft, or from a template (`content.create`).
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/courses", tag = "courses", params(("ws" = String, Path)),
    request_body = CreateCourseBody,
    responses((status = 201, body = CourseWire), AuthErrors, NotFound, BodyErrors))]
pub async fn create_course(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
    ApiJson(b): ApiJson<CreateCourseBody>,
) -> ApiResult<(StatusCode, Json<CourseWire>)> {
    let template_id = b
        .template_id
        .map(|t| {
            TemplateId::parse(&t)
                .ok_or_else(|| DomainError::invalid("template_id", "no such template in this workspace"))
        })
        .transpose()?;
    let new = NewCourse {
        title: b.title,
        description: b.description,
        tags: b.tags.unwrap_or_default(),
        template_id,
        content: None,
    };
    let course = state.lyceum.learning().create_course(&caller, &ws, new, Action::CourseCreated).await?;
    Ok((StatusCode::CREATED, Json(course.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LibraryParams {
    /// A part of the title (any case).
    pub q: Option<String>,
    /// A tag name.
    pub tag: Option<String>,
    /// `draft | published | trashed | leased | purchased`; without it, every course not in the trash.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The workspace's courses, most recently changed first (`content.view`).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/courses", tag = "courses", params(("ws" = String, Path), LibraryParams),
    responses((status = 200, body = Page<CourseSummary>), AuthErrors, NotFound, QueryErrors))]
pub async fn list_courses(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
    ApiQuery(p): ApiQuery<LibraryParams>,
) -> ApiResult<Json<Page<CourseSummary>>> {
    let status = p.status.as_deref().filter(|s| !s.is_empty()).map(CourseFilter::parse).transpose()?;
    let q = LibraryQuery { q: p.q, tag: p.tag, status, limit: p.limit.unwrap_or(50), cursor: p.cursor };
    let page = state.lyceum.learning().library(&caller, &ws, q).await?;
    Ok(Json(Page::map(page, |h| CourseSummary::from(&h))))
}

/// A course with its draft, revision and versions (`content.view`; learners: assigned only).
#[utoipa::path(get, path = "/api/v1/courses/{course}", tag = "courses", params(("course" = String, Path)),
    responses((status = 200, body = CourseWire), AuthErrors, NotFound))]
pub async fn get_course(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(course): ApiPath<CourseId>,
) -> ApiResult<Json<CourseWire>> {
    Ok(Json(state.lyceum.learning().course(&caller, &course).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    /// The revision the draft was read at.
    pub revision: i64,
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    #[schema(value_type = Vec<Object>)]
    pub modules: Vec<Module>,
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Settings>,
    #[schema(value_type = Option<Object>)]
    pub rubric: Option<Rubric>,
}

/// Saves the draft whole (`content.create`); `stale` when `revision` is not the current one.
#[utoipa::path(put, path = "/api/v1/courses/{course}/draft", tag = "courses", params(("course" = String, Path)),
    request_body = DraftBody,
    responses((status = 200, body = CourseWire), AuthErrors, NotFound, BodyErrors, CourseConflict))]
pub async fn save_draft(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(course): ApiPath<CourseId>,
    ApiJson(b): ApiJson<DraftBody>,
) -> ApiResult<Json<CourseWire>> {
    let save = DraftSave {
        revision: b.revision,
        title: b.title,
        description: b.description,
        tags: b.tags,
        content: Content {
            modules: b.modules,
            settings: b.settings.unwrap_or_default(),
            rubric: b.rubric.unwrap_or_default(),
        },
    };
    Ok(Json(state.lyceum.learning().save_draft(&caller, &course, save).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    pub number: i64,
}

/// Publishes the draft as the next version (`content.publish`).
#[utoipa::path(post, path = "/api/v1/courses/{course}/publish", tag = "courses", params(("course" = String, Path)),
    responses((status = 201, body = Published), AuthErrors, NotFound, CourseConflict, QueryErrors))]
pub async fn publish(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(course): ApiPath<CourseId>,
) -> ApiResult<(StatusCode, Json<Published>)> {
    let number = state.lyceum.learning().publish(&caller, &course).await?;
    Ok((StatusCode::CREATED, Json(Published { number })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionWire {
    pub course_id: String,
    pub number: i64,
    pub title: String,
    pub published_at: String,
    #[schema(value_type = Vec<Object>)]
    pub modules: Vec<Module>,
    #[schema(value_type = Object)]
    pub settings: Settings,
    #[schema(value_type = Object)]
    pub rubric: Rubric,
}

impl From<Version> for VersionWire {
    fn from(v: Version) -> VersionWire {
        VersionWire {
            course_id: v.course_id.to_string(),
            number: v.number,
            title: v.title,
            published_at: rfc3339(v.published_at),
            modules: v.content.modules,
            settings: v.content.settings,
            rubric: v.content.rubric,
        }
    }
}

/// One published version: immutable.
#[utoipa::path(get, path = "/api/v1/courses/{course}/versions/{n}", tag = "courses",
    params(("course" = String, Path), ("n" = i64, Path)),
    responses((status = 200, body = VersionWire), AuthErrors, NotFound))]
pub async fn get_version(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath((course, n)): ApiPath<(CourseId, String)>,
) -> ApiResult<Json<VersionWire>> {
    // A number that is not one names no version: the same 404.
    let n = n.parse::<i64>().map_err(|_| DomainError::NotFound)?;
    Ok(Json(state.lyceum.learning().version(&caller, &course, n).await?.into()))
}

/// Copies a course into a new draft "Copy of …" (`content.create`).
#[utoipa::path(post, path = "/api/v1/courses/{course}/duplicate", tag = "courses", params(("course" = String, Path)),
    responses((status = 201, body = CourseWire), AuthErrors, NotFound))]
pub async fn duplicate(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(course): ApiPath<CourseId>,
) -> ApiResult<(StatusCode, Json<CourseWire>)> {
    let copy = state.lyceum.learning().duplicate(&caller, &course).await?;
    Ok((StatusCode::CREATED, Json(copy.into())))
}

/// Moves a course to the trash (`content.create`); purged after the workspace's retention.
#[utoipa::path(delete, path = "/api/v1/courses/{course}", tag = "courses", params(("course" = String, Path)),
    responses((status = 204), AuthErrors, NotFound, CourseConflict))]
pub async fn trash_course(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(course): ApiPath<CourseId>,
) -> ApiResult<StatusCode> {
    state.lyceum.learning().trash(&caller, &course).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restores a course from the trash (`content.create`).
#[utoipa::path(post, path = "/api/v1/courses/{course}/restore", tag = "courses", params(("course" = String, Path)),
    responses((status = 200, body = CourseWire), AuthErrors, NotFound, CourseConflict))]
pub async fn restore(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(course): ApiPath<CourseId>,
) -> ApiResult<Json<CourseWire>> {
    Ok(Json(state.lyceum.learning().restore(&caller, &course).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateWire {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub description: String,
    pub audience: Option<String>,
    pub source_course_id: Option<String>,
    pub source_template_id: Option<String>,
    pub modules: usize,
    pub created_at: String,
    pub content: ContentWire,
}

impl From<TemplateRow> for TemplateWire {
    fn from(t: TemplateRow) -> TemplateWire {
        TemplateWire {
            id: t.id.to_string(),
            workspace_id: t.workspace_id.to_string(),
            name: t.name,
            description: t.description,
            audience: t.audience,
            source_course_id: t.source_course_id.map(|c| c.to_string()),
            source_template_id: t.source_template_id.map(|c| c.to_string()),
            modules: t.content.modules.len(),
            created_at: rfc3339(t.created_at),
            content: t.content.into(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    /// Default: the course's title.
    pub name: Option<String>,
}

/// Saves a course's draft as a template (`content.create`).
#[utoipa::path(post, path = "/api/v1/courses/{course}/template", tag = "courses", params(("course" = String, Path)),
    request_body = TemplateBody,
    responses((status = 201, body = TemplateWire), AuthErrors, NotFound, BodyErrors))]
pub async fn save_template(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(course): ApiPath<CourseId>,
    ApiJson(b): ApiJson<TemplateBody>,
) -> ApiResult<(StatusCode, Json<TemplateWire>)> {
    let t = state.lyceum.learning().save_template(&caller, &course, b.name.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Templates {
    pub items: Vec<TemplateWire>,
}

/// The workspace's templates (`content.view`).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/templates", tag = "courses", params(("ws" = String, Path)),
    responses((status = 200, body = Templates), AuthErrors, NotFound))]
pub async fn list_templates(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
) -> ApiResult<Json<Templates>> {
    let items = state.lyceum.learning().templates(&caller, &ws).await?;
    Ok(Json(Templates { items: items.into_iter().map(TemplateWire::from).collect() }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagWire {
    pub id: String,
    pub name: String,
    /// Courses (not in the trash) carrying it.
    pub courses: i64,
}

impl From<TagRow> for TagWire {
    fn from(t: TagRow) -> TagWire {
        TagWire { id: t.id.to_string(), name: t.name, courses: t.courses }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tags {
    pub items: Vec<TagWire>,
}

/// The workspace's tag taxonomy (`content.view`).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/tags", tag = "courses", params(("ws" = String, Path)),
    responses((status = 200, body = Tags), AuthErrors, NotFound))]
pub async fn list_tags(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
) -> ApiResult<Json<Tags>> {
    let items = state.lyceum.learning().tags(&caller, &ws).await?;
    Ok(Json(Tags { items: items.into_iter().map(TagWire::from).collect() }))
}

/// A `multipart/form-data` upload.
#[derive(Debug, ToSchema)]
pub struct UploadForm {
    /// The file; its type is read from its content, never from its name.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Creates a course from a Markdown, PDF, PowerPoint (.pptx) or Word (.docx) file
/// (`content.create`): headings start modules, their text becomes slide blocks, images are kept.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/courses/import", tag = "courses", params(("ws" = String, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = CourseWire), AuthErrors, NotFound, UploadErrors))]
pub async fn import_course(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
    req: axum::extract::Request,
) -> ApiResult<(StatusCode, Json<CourseWire>)> {
    let learning = state.lyceum.learning();
    learning.may_upload(&caller, &ws).await?;
    let file = read_upload(req, state.lyceum.settings.max_upload_bytes).await?;
    let course = learning.import_course(&caller, &ws, &file.name, file.bytes).await?;
    Ok((StatusCode::CREATED, Json(course.into())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MediaWire {
    pub id: String,
    /// Where it is served (to those who read the workspace's content).
    pub url: String,
    pub content_type: String,
    pub bytes: i64,
    pub name: String,
}

/// Uploads an image, audio or video file (`content.create`), checked by its content.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/media", tag = "courses", params(("ws" = String, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = MediaWire), AuthErrors, NotFound, UploadErrors))]
pub async fn upload_media(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
    req: axum::extract::Request,
) -> ApiResult<(StatusCode, Json<MediaWire>)> {
    let learning = state.lyceum.learning();
    learning.may_upload(&caller, &ws).await?;
    let file = read_upload(req, state.lyceum.settings.max_upload_bytes).await?;
    let m = learning.upload_media(&caller, &ws, &file.name, file.bytes).await?;
    Ok((
        StatusCode::CREATED,
        Json(MediaWire {
            url: format!("/media/{}", m.id),
            id: m.id.to_string(),
            content_type: m.content_type,
            bytes: m.bytes,
            name: m.name,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateBody {
    pub topic: String,
    pub audience: Option<String>,
    pub goals: Option<String>,
}

/// Generates a draft course with AI (`content.create`; metered as `course_generation`):
/// modules, blocks, one simulation and a rubric. `ai_unavailable` with no provider.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/courses/generate", tag = "courses", params(("ws" = String, Path)),
    request_body = GenerateBody,
    responses((status = 201, body = CourseWire), AuthErrors, NotFound, BodyErrors, AiErrors))]
pub async fn generate_course(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
    ApiJson(b): ApiJson<GenerateBody>,
) -> ApiResult<(StatusCode, Json<CourseWire>)> {
    let brief = super::generate::Brief { topic: b.topic, audience: b.audience, goals: b.goals };
    let course = state.lyceum.learning().generate_course(&caller, &ws, brief).await?;
    Ok((StatusCode::CREATED, Json(course.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegenerateBody {
    pub audience: String,
}

/// Regenerates a template for a new audience with AI (`content.create`; metered as
/// `template_regeneration`): a new template, the original stays.
#[utoipa::path(post, path = "/api/v1/templates/{t}/regenerate", tag = "courses", params(("t" = String, Path)),
    request_body = RegenerateBody,
    responses((status = 201, body = TemplateWire), AuthErrors, NotFound, BodyErrors, AiErrors))]
pub async fn regenerate_template(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(t): ApiPath<TemplateId>,
    ApiJson(b): ApiJson<RegenerateBody>,
) -> ApiResult<(StatusCode, Json<TemplateWire>)> {
    let template = state.lyceum.learning().regenerate_template(&caller, &t, &b.audience).await?;
    Ok((StatusCode::CREATED, Json(template.into())))
}
