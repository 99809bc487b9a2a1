//! The learning wing's SQL: courses with their draft, versions, tags, templates and media. Every
//! function takes the caller's connection; content is the domain's JSON document.

use lyceum_domain::id::{CourseId, MediaId, OrgId, TagId, TemplateId, UserId, WorkspaceId};
use lyceum_domain::learning::Content;
use lyceum_domain::CourseStatus;
use sqlx::Row as _;

use crate::kernel::sql::{decoded, typed, typed_opt, Conn};

// ---- courses -----------------------------------------------------------------------------

/// A course row without its draft (what the library lists).
#[derive(Debug, Clone)]
pub struct CourseHead {
    pub id: CourseId,
    pub org_id: OrgId,
    pub workspace_id: WorkspaceId,
    pub title: String,
    pub description: String,
    pub status: CourseStatus,
    pub origin: String,
    pub revision: i64,
    pub latest_version: Option<i64>,
    pub tags: Vec<String>,
    pub trashed_at: Option<i64>,
    pub purge_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const HEAD: &str = "id, org_id, workspace_id, title, description, status, origin, revision, latest_version, \
     tag_names, trashed_at, purge_at, created_at, updated_at";

fn head_row(r: &sqlx::any::AnyRow) -> sqlx::Result<CourseHead> {
    let status: String = r.try_get("status")?;
    let tags: String = r.try_get("tag_names")?;
    Ok(CourseHead {
        id: typed(r, "id")?,
        org_id: typed(r, "org_id")?,
        workspace_id: typed(r, "workspace_id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        status: decoded("status", CourseStatus::parse(&status))?,
        origin: r.try_get("origin")?,
        revision: r.try_get("revision")?,
        latest_version: r.try_get("latest_version")?,
        tags: split_tags(&tags),
        trashed_at: r.try_get("trashed_at")?,
        purge_at: r.try_get("purge_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Tag names are stored joined by U+001F (never in a name: control characters are refused).
pub fn join_tags(tags: &[String]) -> String {
    tags.join("\u{1f}")
}

fn split_tags(s: &str) -> Vec<String> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split('\u{1f}').map(str::to_owned).collect()
    }
}

fn content_of(name: &str, json: &str) -> sqlx::Result<Content> {
    decoded(name, serde_json::from_str::<Content>(json))
}

pub fn content_json(c: &Content) -> String {
    // Serialising the domain's own type cannot fail (no maps with non-string keys).
    serde_json::to_string(c).unwrap_or_default()
}

pub async fn head(conn: &mut Conn, id: &CourseId) -> sqlx::Result<Option<CourseHead>> {
    let row = sqlx::query(&format!("SELECT {HEAD} FROM courses WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(head_row).transpose()
}

/// The head and the draft.
pub async fn course(conn: &mut Conn, id: &CourseId) -> sqlx::Result<Option<(CourseHead, Content)>> {
    let row = sqlx::query(&format!("SELECT {HEAD}, draft FROM courses WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        let draft: String = r.try_get("draft")?;
        Ok((head_row(&r)?, content_of("draft", &draft)?))
    })
    .transpose()
}

pub struct NewCourse<'a> {
    pub id: &'a CourseId,
    pub org: &'a OrgId,
    pub ws: &'a WorkspaceId,
    pub title: &'a str,
    pub description: &'a str,
    pub tags: &'a [String],
    pub draft: &'a Content,
    pub created_by: Option<&'a UserId>,
}

pub async fn insert_course(conn: &mut Conn, c: &NewCourse<'_>, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO courses (id, org_id, workspace_id, title, title_key, description, status, revision, draft, \
         tag_names, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'draft', 1, $7, $8, $9, $10, $10)",
    )
    .bind(c.id.as_str())
    .bind(c.org.as_str())
    .bind(c.ws.as_str())
    .bind(c.title)
    .bind(c.title.to_lowercase())
    .bind(c.description)
    .bind(content_json(c.draft))
    .bind(join_tags(c.tags))
    .bind(c.created_by.map(UserId::as_str))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a draft save writes.
pub struct SavedDraft<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub tags: &'a [String],
    pub draft: &'a Content,
}

/// Saves the draft if its revision is still `revision`: the one compare-and-set that makes two
/// concurrent saves end with exactly one winner. Answers whether it was saved.
pub async fn save_draft(
    conn: &mut Conn,
    id: &CourseId,
    revision: i64,
    d: &SavedDraft<'_>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE courses SET title = $1, title_key = $2, description = $3, tag_names = $4, draft = $5, \
         revision = revision + 1, updated_at = $6 WHERE id = $7 AND revision = $8 AND status <> 'trashed'",
    )
    .bind(d.title)
    .bind(d.title.to_lowercase())
    .bind(d.description)
    .bind(join_tags(d.tags))
    .bind(content_json(d.draft))
    .bind(now)
    .bind(id.as_str())
    .bind(revision)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the course's next version number: one atomic increment, which also holds the course row
/// for the rest of the transaction, so two publishes at once get consecutive numbers and a draft
/// save waits. `None` when the course is in the trash (or gone).
pub async fn next_version(conn: &mut Conn, course: &CourseId, now: i64) -> sqlx::Result<Option<i64>> {
    let row = sqlx::query(
        "UPDATE courses SET latest_version = COALESCE(latest_version, 0) + 1, status = 'published', updated_at = $1 \
         WHERE id = $2 AND status <> 'trashed' RETURNING latest_version",
    )
    .bind(now)
    .bind(course.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(|r| r.try_get::<i64, _>("latest_version")).transpose()
}

/// Writes version `number` (taken by `next_version` in the same transaction).
pub async fn insert_version(
    conn: &mut Conn,
    course: &CourseId,
    number: i64,
    title: &str,
    content: &Content,
    by: Option<&UserId>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO course_versions (course_id, number, id, title, content, published_at, published_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(course.as_str())
    .bind(number)
    .bind(lyceum_domain::id::CourseVersionId::new().as_str())
    .bind(title)
    .bind(content_json(content))
    .bind(now)
    .bind(by.map(UserId::as_str))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct VersionHead {
    pub number: i64,
    pub published_at: i64,
}

pub async fn versions(conn: &mut Conn, course: &CourseId) -> sqlx::Result<Vec<VersionHead>> {
    let rows = sqlx::query("SELECT number, published_at FROM course_versions WHERE course_id = $1 ORDER BY number")
        .bind(course.as_str())
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| Ok(VersionHead { number: r.try_get("number")?, published_at: r.try_get("published_at")? }))
        .collect()
}

pub async fn version(conn: &mut Conn, course: &CourseId, number: i64) -> sqlx::Result<Option<(String, i64, Content)>> {
    let row =
        sqlx::query("SELECT title, published_at, content FROM course_versions WHERE course_id = $1 AND number = $2")
            .bind(course.as_str())
            .bind(number)
            .fetch_optional(conn)
            .await?;
    row.map(|r| {
        let content: String = r.try_get("content")?;
        Ok((r.try_get("title")?, r.try_get("published_at")?, content_of("content", &content)?))
    })
    .transpose()
}

/// The content of every version of a course (the purge collects their media).
pub async fn version_contents(conn: &mut Conn, course: &CourseId) -> sqlx::Result<Vec<Content>> {
    let rows = sqlx::query("SELECT content FROM course_versions WHERE course_id = $1")
        .bind(course.as_str())
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| content_of("content", &r.try_get::<String, _>("content")?)).collect()
}

/// Moves a course to the trash (to be purged at `purge_at`) or back (`None`: its status before).
pub async fn set_trashed(conn: &mut Conn, id: &CourseId, trashed: Option<(i64, i64)>, now: i64) -> sqlx::Result<()> {
    match trashed {
        Some((at, purge_at)) => {
            sqlx::query(
                "UPDATE courses SET status = 'trashed', trashed_at = $1, purge_at = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(at)
            .bind(purge_at)
            .bind(now)
            .bind(id.as_str())
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query(
                "UPDATE courses SET status = CASE WHEN latest_version IS NULL THEN 'draft' ELSE 'published' END, \
                 trashed_at = NULL, purge_at = NULL, updated_at = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(id.as_str())
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// Trashed courses due for purging.
pub async fn due_for_purge(conn: &mut Conn, now: i64, limit: i64) -> sqlx::Result<Vec<CourseHead>> {
    let rows = sqlx::query(&format!(
        "SELECT {HEAD} FROM courses WHERE purge_at IS NOT NULL AND purge_at <= $1 ORDER BY purge_at LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(head_row).collect()
}

pub async fn delete_course(conn: &mut Conn, id: &CourseId) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM course_versions WHERE course_id = $1").bind(id.as_str()).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM course_tags WHERE course_id = $1").bind(id.as_str()).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM courses WHERE id = $1").bind(id.as_str()).execute(conn).await?;
    Ok(())
}

/// The library's filter.
#[derive(Debug, Clone, Default)]
pub struct LibraryFilter {
    /// Lower-cased substring of the title.
    pub q: Option<String>,
    pub tag: Option<String>,
    /// `draft | published | trashed`, or an origin (`leased | purchased`).
    pub status: Option<String>,
    /// (updated_at, id) of the last row of the previous page.
    pub after: Option<(i64, String)>,
}

/// One page of a workspace's courses, newest first (`limit + 1` rows: the extra says more follow).
/// Without a status filter the trash is left out.
pub async fn library(
    conn: &mut Conn,
    ws: &WorkspaceId,
    f: &LibraryFilter,
    limit: i64,
) -> sqlx::Result<Vec<CourseHead>> {
    let mut sql = format!("SELECT {HEAD} FROM courses c WHERE workspace_id = $1");
    let mut n = 1;
    let mut next = || {
        n += 1;
        n
    };
    let q_at = f.q.as_ref().map(|_| next());
    let tag_at = f.tag.as_ref().map(|_| next());
    let (after_at, after_id_at) = match f.after {
        Some(_) => (Some(next()), Some(next())),
        None => (None, None),
    };
    let limit_at = next();
    match f.status.as_deref() {
        Some("draft") => sql.push_str(" AND status = 'draft'"),
        Some("published") => sql.push_str(" AND status = 'published'"),
        Some("trashed") => sql.push_str(" AND status = 'trashed'"),
        Some("leased") => sql.push_str(" AND origin = 'leased' AND status <> 'trashed'"),
        Some("purchased") => sql.push_str(" AND origin = 'purchased' AND status <> 'trashed'"),
        _ => sql.push_str(" AND status <> 'trashed'"),
    }
    if let Some(i) = q_at {
        sql.push_str(&format!(" AND title_key LIKE ${i} ESCAPE '\\'"));
    }
    if let Some(i) = tag_at {
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM course_tags ct JOIN tags t ON t.id = ct.tag_id \
             WHERE ct.course_id = c.id AND t.name_key = ${i})"
        ));
    }
    if let (Some(a), Some(b)) = (after_at, after_id_at) {
        sql.push_str(&format!(" AND (updated_at < ${a} OR (updated_at = ${a} AND id < ${b}))"));
    }
    sql.push_str(&format!(" ORDER BY updated_at DESC, id DESC LIMIT ${limit_at}"));
    let mut query = sqlx::query(&sql).bind(ws.as_str());
    if let Some(q) = &f.q {
        let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        query = query.bind(format!("%{escaped}%"));
    }
    if let Some(t) = &f.tag {
        query = query.bind(t.to_lowercase());
    }
    if let Some((at, id)) = &f.after {
        query = query.bind(*at).bind(id.clone());
    }
    let rows = query.bind(limit + 1).fetch_all(conn).await?;
    rows.iter().map(head_row).collect()
}

/// How many courses each status holds in a workspace (the library's tab counts).
pub async fn counts(conn: &mut Conn, ws: &WorkspaceId) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM courses WHERE workspace_id = $1 GROUP BY status")
        .bind(ws.as_str())
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| Ok((r.try_get("status")?, r.try_get("n")?))).collect()
}

/// `(id, title)` of every course of an organisation (for reports keyed by course).
pub async fn titles(conn: &mut Conn, org: &OrgId) -> sqlx::Result<Vec<(String, String)>> {
    let rows =
        sqlx::query("SELECT id, title FROM courses WHERE org_id = $1").bind(org.as_str()).fetch_all(conn).await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("title")?))).collect()
}

// ---- tags --------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct TagRow {
    pub id: TagId,
    pub name: String,
    pub courses: i64,
}

/// The workspace's taxonomy with how many courses (not trashed) carry each tag.
pub async fn tags(conn: &mut Conn, ws: &WorkspaceId) -> sqlx::Result<Vec<TagRow>> {
    let rows = sqlx::query(
        "SELECT t.id, t.name, (SELECT COUNT(*) FROM course_tags ct JOIN courses c ON c.id = ct.course_id \
         WHERE ct.tag_id = t.id AND c.status <> 'trashed') AS courses FROM tags t WHERE t.workspace_id = $1 ORDER BY t.name_key",
    )
    .bind(ws.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok(TagRow { id: typed(r, "id")?, name: r.try_get("name")?, courses: r.try_get("courses")? }))
        .collect()
}

/// The ids of `names` in the workspace's taxonomy (with their stored spelling), and the names not
/// in it yet. Matched on `name_key`, the lower-cased name, as stored.
pub async fn find_tags(
    conn: &mut Conn,
    ws: &WorkspaceId,
    names: &[String],
) -> sqlx::Result<(Vec<(String, TagId)>, Vec<String>)> {
    if names.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let sql = format!(
        "SELECT id, name, name_key FROM tags WHERE workspace_id = $1 AND name_key IN ({})",
        crate::kernel::db::placeholders(2, names.len())
    );
    let mut query = sqlx::query(&sql).bind(ws.as_str());
    for n in names {
        query = query.bind(n.to_lowercase());
    }
    let rows = query.fetch_all(conn).await?;
    let mut existing = Vec::new();
    for r in &rows {
        existing.push((r.try_get::<String, _>("name_key")?, r.try_get::<String, _>("name")?, typed::<TagId>(r, "id")?));
    }
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for n in names {
        match existing.iter().find(|(key, _, _)| *key == n.to_lowercase()) {
            Some((_, name, id)) => found.push((name.clone(), id.clone())),
            None => missing.push(n.clone()),
        }
    }
    Ok((found, missing))
}

/// The id of tag `name` in the workspace's taxonomy, added if it is not there. Two changes adding
/// the same new name at once both get the one row: the second insert waits for the first and
/// does nothing, then reads it.
pub async fn ensure_tag(conn: &mut Conn, ws: &WorkspaceId, name: &str, now: i64) -> sqlx::Result<TagId> {
    sqlx::query(
        "INSERT INTO tags (id, workspace_id, name, name_key, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (workspace_id, name_key) DO NOTHING",
    )
    .bind(TagId::new().as_str())
    .bind(ws.as_str())
    .bind(name)
    .bind(name.to_lowercase())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query("SELECT id FROM tags WHERE workspace_id = $1 AND name_key = $2")
        .bind(ws.as_str())
        .bind(name.to_lowercase())
        .fetch_one(conn)
        .await?;
    typed(&row, "id")
}

/// Replaces a course's tags (ids in the course's order).
pub async fn set_course_tags(conn: &mut Conn, course: &CourseId, tags: &[TagId]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM course_tags WHERE course_id = $1").bind(course.as_str()).execute(&mut *conn).await?;
    for (i, t) in tags.iter().enumerate() {
        sqlx::query("INSERT INTO course_tags (course_id, tag_id, position) VALUES ($1, $2, $3)")
            .bind(course.as_str())
            .bind(t.as_str())
            .bind(i as i64)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

// ---- templates ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct TemplateRow {
    pub id: TemplateId,
    pub org_id: OrgId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub description: String,
    pub audience: Option<String>,
    pub source_course_id: Option<CourseId>,
    pub source_template_id: Option<TemplateId>,
    pub created_at: i64,
    pub content: Content,
}

fn template_row(r: &sqlx::any::AnyRow) -> sqlx::Result<TemplateRow> {
    let content: String = r.try_get("content")?;
    Ok(TemplateRow {
        id: typed(r, "id")?,
        org_id: typed(r, "org_id")?,
        workspace_id: typed(r, "workspace_id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        audience: r.try_get("audience")?,
        source_course_id: typed_opt(r, "source_course_id")?,
        source_template_id: typed_opt(r, "source_template_id")?,
        created_at: r.try_get("created_at")?,
        content: content_of("content", &content)?,
    })
}

const TEMPLATE: &str = "id, org_id, workspace_id, name, description, audience, source_course_id, source_template_id, \
     created_at, content";

pub async fn insert_template(conn: &mut Conn, t: &TemplateRow, by: Option<&UserId>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO course_templates (id, org_id, workspace_id, name, description, audience, content, \
         source_course_id, source_template_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(t.id.as_str())
    .bind(t.org_id.as_str())
    .bind(t.workspace_id.as_str())
    .bind(&t.name)
    .bind(&t.description)
    .bind(t.audience.as_deref())
    .bind(content_json(&t.content))
    .bind(t.source_course_id.as_ref().map(CourseId::as_str))
    .bind(t.source_template_id.as_ref().map(TemplateId::as_str))
    .bind(by.map(UserId::as_str))
    .bind(t.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn template(conn: &mut Conn, id: &TemplateId) -> sqlx::Result<Option<TemplateRow>> {
    let row = sqlx::query(&format!("SELECT {TEMPLATE} FROM course_templates WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(template_row).transpose()
}

pub async fn templates(conn: &mut Conn, ws: &WorkspaceId) -> sqlx::Result<Vec<TemplateRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {TEMPLATE} FROM course_templates WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC"
    ))
    .bind(ws.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter().map(template_row).collect()
}

// ---- media -------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct MediaRow {
    pub id: MediaId,
    pub org_id: OrgId,
    pub workspace_id: WorkspaceId,
    pub content_type: String,
    pub bytes: i64,
    pub name: String,
    pub sha256: String,
    pub object_key: String,
    pub created_at: i64,
}

fn media_row(r: &sqlx::any::AnyRow) -> sqlx::Result<MediaRow> {
    Ok(MediaRow {
        id: typed(r, "id")?,
        org_id: typed(r, "org_id")?,
        workspace_id: typed(r, "workspace_id")?,
        content_type: r.try_get("content_type")?,
        bytes: r.try_get("bytes")?,
        name: r.try_get("name")?,
        sha256: r.try_get("sha256")?,
        object_key: r.try_get("object_key")?,
        created_at: r.try_get("created_at")?,
    })
}

const MEDIA: &str = "id, org_id, workspace_id, content_type, bytes, name, sha256, object_key, created_at";

pub async fn insert_media(conn: &mut Conn, m: &MediaRow, by: Option<&UserId>) -> sqlx::Result<()> {
    sqlx::query(&format!("INSERT INTO media ({MEDIA}, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
        .bind(m.id.as_str())
        .bind(m.org_id.as_str())
        .bind(m.workspace_id.as_str())
        .bind(&m.content_type)
        .bind(m.bytes)
        .bind(&m.name)
        .bind(&m.sha256)
        .bind(&m.object_key)
        .bind(m.created_at)
        .bind(by.map(UserId::as_str))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn media(conn: &mut Conn, id: &MediaId) -> sqlx::Result<Option<MediaRow>> {
    let row =
        sqlx::query(&format!("SELECT {MEDIA} FROM media WHERE id = $1")).bind(id.as_str()).fetch_optional(conn).await?;
    row.as_ref().map(media_row).transpose()
}

/// Which of `ids` are media of the workspace (one query; the content's media are bounded by its
/// blocks).
pub async fn media_in(conn: &mut Conn, ws: &WorkspaceId, ids: &[MediaId]) -> sqlx::Result<Vec<MediaId>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM media WHERE workspace_id = $1 AND id IN ({})",
        crate::kernel::db::placeholders(2, ids.len())
    );
    let mut query = sqlx::query(&sql).bind(ws.as_str());
    for id in ids {
        query = query.bind(id.as_str());
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter().map(|r| typed(r, "id")).collect()
}

pub async fn delete_media(conn: &mut Conn, id: &MediaId) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM media WHERE id = $1").bind(id.as_str()).execute(conn).await?;
    Ok(())
}

/// Bytes of media a workspace stores (its storage, for billing).
pub async fn storage_bytes(conn: &mut Conn, ws: &WorkspaceId) -> sqlx::Result<i64> {
    let row = sqlx::query("SELECT COALESCE(SUM(bytes), 0) AS n FROM media WHERE workspace_id = $1")
        .bind(ws.as_str())
        .fetch_one(conn)
        .await?;
    row.try_get("n")
}

/// Whether any draft, version or template of the workspace still refers to `media` (purging a
/// course removes only media nothing else uses).
pub async fn media_in_use(conn: &mut Conn, ws: &WorkspaceId, media: &MediaId) -> sqlx::Result<bool> {
    let pattern = format!("%{}%", media.as_str());
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM courses WHERE workspace_id = $1 AND draft LIKE $2) + \
         (SELECT COUNT(*) FROM course_versions v JOIN courses c ON c.id = v.course_id WHERE c.workspace_id = $1 AND v.content LIKE $2) + \
         (SELECT COUNT(*) FROM course_templates WHERE workspace_id = $1 AND content LIKE $2) AS n",
    )
    .bind(ws.as_str())
    .bind(pattern)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}
