//! Course use cases: create, the library, read, save the draft (optimistic: a save naming an
//! older revision is `stale`), publish (the draft becomes version N+1 in one transaction),
//! versions, duplicate, trash and restore, and the purge of the trash.

use lyceum_domain::id::{CourseId, TagId, TemplateId, WorkspaceId};
use lyceum_domain::learning::{self, check_revision, Content, Warning};
use lyceum_domain::{Access, CourseFilter, CourseStatus, DomainError, Lifecycle, Permission};
use serde_json::json;

use super::store::{self, CourseHead, LibraryFilter, VersionHead};
use super::Learning;
use crate::kernel::access::workspace_access;
use crate::kernel::audit_chain::{Action, Actor, Entry};
use crate::kernel::change::Change;
use crate::kernel::db::now_ms;
use crate::kernel::lazy::Db;
use crate::kernel::{decode_cursor, encode_cursor, Caller, Page, Result};

/// Days a trashed course waits before it is purged, until the workspace sets its own.
pub const DEFAULT_TRASH_RETENTION_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

/// A course as its editor reads it.
#[derive(Debug, Clone)]
pub struct Course {
    pub head: CourseHead,
    pub draft: Content,
    pub versions: Vec<VersionHead>,
    /// What the author should look at (vague criteria), never a refusal.
    pub warnings: Vec<Warning>,
}

/// One published version.
#[derive(Debug, Clone)]
pub struct Version {
    pub course_id: CourseId,
    pub number: i64,
    pub title: String,
    pub published_at: i64,
    pub content: Content,
}

/// A new course's fields.
#[derive(Debug, Clone, Default)]
pub struct NewCourse {
    pub title: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub template_id: Option<TemplateId>,
    /// Content to start from (an import or a generation), instead of an empty draft.
    pub content: Option<Content>,
}

/// A draft as saved: the revision it was read at, and the whole of it.
#[derive(Debug, Clone)]
pub struct DraftSave {
    pub revision: i64,
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub content: Content,
}

/// A library query.
#[derive(Debug, Clone, Default)]
pub struct LibraryQuery {
    pub q: Option<String>,
    pub tag: Option<String>,
    pub status: Option<CourseFilter>,
    pub limit: i64,
    pub cursor: Option<String>,
}

/// Whether `access` reads every course of the workspace. Learners (`content.view_assigned`)
/// read only what is assigned to them, which arrives with assignments (the training wing); until
/// then no course is theirs, and they get the same 404 as for a course that does not exist.
fn reads_all(access: &Access) -> bool {
    access.may_in_workspace(Permission::ContentView)
}

/// How a course's change is recorded.
pub(super) fn entry(
    head: &CourseHead,
    action: Action,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Entry {
    Entry {
        org_id: Some(head.org_id.to_string()),
        workspace_id: Some(head.workspace_id.to_string()),
        action,
        target_id: head.id.to_string(),
        before,
        after,
    }
}

fn summary(head: &CourseHead) -> serde_json::Value {
    json!({"title": head.title, "status": head.status.as_str(), "revision": head.revision, "latest_version": head.latest_version})
}

impl Learning<'_> {
    /// The course and the caller's access in its workspace: 404 unless the caller reads it.
    pub(super) async fn course_access(
        &self,
        db: &mut impl Db,
        caller: &Caller,
        id: &CourseId,
    ) -> Result<(CourseHead, Access)> {
        let conn = db.conn().await?;
        let head = store::head(conn, id).await?.ok_or(DomainError::NotFound)?;
        let access = workspace_access(db, self.cached(), caller, &head.org_id, &head.workspace_id).await?;
        if !reads_all(&access) {
            return Err(DomainError::NotFound.into());
        }
        Ok((head, access))
    }

    /// Access to a workspace's content: 404 unless it is visible, 403 without `content.view`.
    pub(super) async fn library_access(
        &self,
        db: &mut impl Db,
        caller: &Caller,
        ws: &WorkspaceId,
    ) -> Result<(lyceum_domain::id::OrgId, Access)> {
        let org = self.org_of_workspace(ws).await?;
        let access = workspace_access(db, self.cached(), caller, &org, ws).await?;
        access.require_in_workspace(Permission::ContentView)?;
        Ok((org, access))
    }

    /// Resolves tag names to the workspace's taxonomy, adding the new ones (`tags.manage`).
    pub(super) async fn resolve_tags(
        &self,
        tx: &mut Change,
        access: &Access,
        ws: &WorkspaceId,
        names: &[String],
        now: i64,
    ) -> Result<(Vec<String>, Vec<TagId>)> {
        let (found, missing) = store::find_tags(tx, ws, names).await?;
        if !missing.is_empty() {
            access.require_in_workspace(Permission::TagsManage)?;
        }
        let mut spelled = Vec::new();
        let mut ids = Vec::new();
        for name in names {
            if let Some((n, id)) = found.iter().find(|(n, _)| n.to_lowercase() == name.to_lowercase()) {
                spelled.push(n.clone());
                ids.push(id.clone());
            } else {
                spelled.push(name.clone());
                ids.push(store::ensure_tag(tx, ws, name, now).await?);
            }
        }
        Ok((spelled, ids))
    }

    /// Creates a course (`content.create`): empty, from a template, or from given content.
    pub async fn create_course(
        &self,
        caller: &Caller,
        ws: &WorkspaceId,
        new: NewCourse,
        action: Action,
    ) -> Result<Course> {
        let org = self.org_of_workspace(ws).await?;
        let mut tx = self.begin_change().await?;
        let access = workspace_access(&mut tx, self.cached(), caller, &org, ws).await?;
        access.require_in_workspace(Permission::ContentCreate)?;
        let course =
            self.insert_new_course(&mut tx, caller, &access, &org, ws, new, action, serde_json::Map::new()).await?;
        tx.commit().await?;
        Ok(course)
    }

    /// Writes a new course in the caller's change (its access already checked), with its tags
    /// and its audit event (`extra` joins the event's `after`).
    #[expect(clippy::too_many_arguments, reason = "one change, one caller, one place, one course: all are needed")]
    pub(super) async fn insert_new_course(
        &self,
        tx: &mut Change,
        caller: &Caller,
        access: &Access,
        org: &lyceum_domain::id::OrgId,
        ws: &WorkspaceId,
        new: NewCourse,
        action: Action,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Course> {
        let title = learning::parse_title(&new.title)?;
        let description = learning::parse_description(new.description.as_deref().unwrap_or(""))?;
        let tags = learning::parse_tags(&new.tags)?;
        let mut content = match (&new.template_id, new.content) {
            (Some(t), _) => {
                let template = store::template(tx, t).await?.filter(|t| t.workspace_id == *ws);
                template
                    .ok_or_else(|| DomainError::invalid("template_id", "no such template in this workspace"))?
                    .content
                    .with_fresh_ids()
            }
            (None, Some(c)) => c,
            (None, None) => Content::default(),
        };
        let warnings = content.normalise()?;
        self.check_media(tx, ws, &content).await?;
        let now = now_ms();
        let (tags, tag_ids) = self.resolve_tags(tx, access, ws, &tags, now).await?;
        let id = CourseId::new();
        store::insert_course(
            tx,
            &store::NewCourse {
                id: &id,
                org,
                ws,
                title: &title,
                description: &description,
                tags: &tags,
                draft: &content,
                created_by: caller.user_id(),
            },
            now,
        )
        .await?;
        store::set_course_tags(tx, &id, &tag_ids).await?;
        let head = store::head(tx, &id).await?.ok_or(DomainError::NotFound)?;
        let mut after = summary(&head);
        after["template_id"] = json!(new.template_id.as_ref().map(TemplateId::as_str));
        after["modules"] = json!(content.modules.len());
        for (k, v) in extra {
            after[k] = v;
        }
        tx.record(&caller.audit_actor(), vec![entry(&head, action, None, Some(after))], now);
        Ok(Course { head, draft: content, versions: Vec::new(), warnings })
    }

    /// Every media id the content names must be the workspace's own.
    pub(super) async fn check_media(&self, tx: &mut Change, ws: &WorkspaceId, content: &Content) -> Result<()> {
        let wanted = content.media();
        if wanted.is_empty() {
            return Ok(());
        }
        let found = store::media_in(tx, ws, &wanted).await?;
        if let Some(missing) = wanted.iter().find(|m| !found.contains(m)) {
            return Err(DomainError::invalid("modules", format!("no media {missing} in this workspace")).into());
        }
        Ok(())
    }

    /// The workspace's courses (`content.view`), newest change first.
    pub async fn library(&self, caller: &Caller, ws: &WorkspaceId, q: LibraryQuery) -> Result<Page<CourseHead>> {
        let mut db = self.lazy_conn();
        self.library_access(&mut db, caller, ws).await?;
        let after = match &q.cursor {
            Some(c) => {
                let parts = decode_cursor(c, 2)?;
                let at = parts[0]
                    .parse::<i64>()
                    .map_err(|_| DomainError::invalid("cursor", "is not a cursor this server issued"))?;
                Some((at, parts[1].clone()))
            }
            None => None,
        };
        let filter = LibraryFilter {
            q: q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_lowercase),
            tag: q.tag.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
            status: q.status.map(|s| s.as_str().to_owned()),
            after,
        };
        let limit = q.limit.clamp(1, 200);
        let rows = store::library(db.conn().await?, ws, &filter, limit).await?;
        Ok(Page::of(rows, limit, |c| encode_cursor(&[&c.updated_at.to_string(), c.id.as_str()])))
    }

    /// The library's counts per status (for its tabs).
    pub async fn library_counts(&self, caller: &Caller, ws: &WorkspaceId) -> Result<Vec<(String, i64)>> {
        let mut db = self.lazy_conn();
        self.library_access(&mut db, caller, ws).await?;
        Ok(store::counts(db.conn().await?, ws).await?)
    }

    /// A course with its draft and versions.
    pub async fn course(&self, caller: &Caller, id: &CourseId) -> Result<Course> {
        let mut db = self.lazy_conn();
        self.course_access(&mut db, caller, id).await?;
        let conn = db.conn().await?;
        let (head, mut draft) = store::course(conn, id).await?.ok_or(DomainError::NotFound)?;
        let versions = store::versions(conn, id).await?;
        let warnings = draft.normalise().unwrap_or_default();
        Ok(Course { head, draft, versions, warnings })
    }

    /// Saves the draft whole (`content.create`). Exactly one of two saves based on the same
    /// revision wins; the other is `stale` and changes nothing.
    pub async fn save_draft(&self, caller: &Caller, id: &CourseId, save: DraftSave) -> Result<Course> {
        let mut content = save.content;
        let warnings = content.normalise()?;
        let title = save.title.as_deref().map(learning::parse_title).transpose()?;
        let description = save.description.as_deref().map(learning::parse_description).transpose()?;
        let tags = save.tags.as_deref().map(learning::parse_tags).transpose()?;
        let mut tx = self.begin_change().await?;
        let (head, access) = self.course_access(&mut tx, caller, id).await?;
        access.require_in_workspace(Permission::ContentCreate)?;
        if head.status == CourseStatus::Trashed {
            return Err(DomainError::Conflict("this course is in the trash: restore it to edit it".into()).into());
        }
        check_revision(save.revision, head.revision)?;
        self.check_media(&mut tx, &head.workspace_id, &content).await?;
        let now = now_ms();
        let (tags, tag_ids) = match tags {
            Some(t) => {
                let (spelled, ids) = self.resolve_tags(&mut tx, &access, &head.workspace_id, &t, now).await?;
                (spelled, Some(ids))
            }
            None => (head.tags.clone(), None),
        };
        let title = title.unwrap_or_else(|| head.title.clone());
        let description = description.unwrap_or_else(|| head.description.clone());
        let row = store::SavedDraft { title: &title, description: &description, tags: &tags, draft: &content };
        let saved = store::save_draft(&mut tx, id, save.revision, &row, now).await?;
        if !saved {
            // Another save committed between our read and our write.
            let current = store::head(&mut tx, id).await?.map_or(save.revision + 1, |h| h.revision);
            return Err(DomainError::Stale { sent: save.revision, current }.into());
        }
        if let Some(ids) = tag_ids {
            store::set_course_tags(&mut tx, id, &ids).await?;
        }
        let after_head = store::head(&mut tx, id).await?.ok_or(DomainError::NotFound)?;
        let blocks: usize = content.modules.iter().map(|m| m.blocks.len()).sum();
        let after = json!({"title": title, "revision": after_head.revision, "modules": content.modules.len(), "blocks": blocks,
            "criteria": content.rubric.criteria.len(), "tags": tags});
        tx.record(
            &caller.audit_actor(),
            vec![entry(&head, Action::CourseDraftSaved, Some(summary(&head)), Some(after))],
            now,
        );
        let versions = store::versions(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Course { head: after_head, draft: content, versions, warnings })
    }

    /// Publishes the draft as the next version (`content.publish`), in one transaction.
    pub async fn publish(&self, caller: &Caller, id: &CourseId) -> Result<i64> {
        let mut tx = self.begin_change().await?;
        let (head, access) = self.course_access(&mut tx, caller, id).await?;
        access.require_in_workspace(Permission::ContentPublish)?;
        if head.status == CourseStatus::Trashed {
            return Err(DomainError::Conflict("this course is in the trash: restore it to publish it".into()).into());
        }
        let now = now_ms();
        let Some(number) = store::next_version(&mut tx, id, now).await? else {
            return Err(DomainError::Conflict("this course is in the trash: restore it to publish it".into()).into());
        };
        // Read under the course row's lock: the draft as the last committed save left it.
        let (current, draft) = store::course(&mut tx, id).await?.ok_or(DomainError::NotFound)?;
        if draft.modules.iter().all(|m| m.blocks.is_empty()) {
            return Err(DomainError::invalid("modules", "a course needs at least one block to be published").into());
        }
        store::insert_version(&mut tx, id, number, &current.title, &draft, caller.user_id(), now).await?;
        let after = json!({"number": number, "revision": current.revision, "title": current.title});
        tx.record(
            &caller.audit_actor(),
            vec![entry(&head, Action::CoursePublished, Some(summary(&head)), Some(after))],
            now,
        );
        tx.commit().await?;
        Ok(number)
    }

    /// One published version.
    pub async fn version(&self, caller: &Caller, id: &CourseId, number: i64) -> Result<Version> {
        let mut db = self.lazy_conn();
        self.course_access(&mut db, caller, id).await?;
        let (title, published_at, content) =
            store::version(db.conn().await?, id, number).await?.ok_or(DomainError::NotFound)?;
        Ok(Version { course_id: id.clone(), number, title, published_at, content })
    }

    /// Copies a course into a new draft "Copy of …" (`content.create`): no versions, no
    /// assignments, fresh ids.
    pub async fn duplicate(&self, caller: &Caller, id: &CourseId) -> Result<Course> {
        let mut tx = self.begin_change().await?;
        let (head, access) = self.course_access(&mut tx, caller, id).await?;
        access.require_in_workspace(Permission::ContentCreate)?;
        let (_, draft) = store::course(&mut tx, id).await?.ok_or(DomainError::NotFound)?;
        let content = draft.with_fresh_ids();
        let title: String = format!("Copy of {}", head.title).chars().take(200).collect();
        let now = now_ms();
        let copy = CourseId::new();
        store::insert_course(
            &mut tx,
            &store::NewCourse {
                id: &copy,
                org: &head.org_id,
                ws: &head.workspace_id,
                title: &title,
                description: &head.description,
                tags: &head.tags,
                draft: &content,
                created_by: caller.user_id(),
            },
            now,
        )
        .await?;
        let (_, tag_ids) = self.resolve_tags(&mut tx, &access, &head.workspace_id, &head.tags, now).await?;
        store::set_course_tags(&mut tx, &copy, &tag_ids).await?;
        let new_head = store::head(&mut tx, &copy).await?.ok_or(DomainError::NotFound)?;
        let after = json!({"title": title, "source_course_id": head.id.as_str()});
        tx.record(&caller.audit_actor(), vec![entry(&new_head, Action::CourseDuplicated, None, Some(after))], now);
        tx.commit().await?;
        let mut draft = content;
        let warnings = draft.normalise().unwrap_or_default();
        Ok(Course { head: new_head, draft, versions: Vec::new(), warnings })
    }

    /// Moves a course to the trash (`content.create`), to be purged after the retention.
    pub async fn trash(&self, caller: &Caller, id: &CourseId) -> Result<()> {
        let mut tx = self.begin_change().await?;
        let (head, access) = self.course_access(&mut tx, caller, id).await?;
        access.require_in_workspace(Permission::ContentCreate)?;
        if !head.status.can_transition_to(CourseStatus::Trashed) {
            return Err(DomainError::Conflict("this course is already in the trash".into()).into());
        }
        let now = now_ms();
        let purge_at = now + DEFAULT_TRASH_RETENTION_DAYS * DAY_MS;
        store::set_trashed(&mut tx, id, Some((now, purge_at)), now).await?;
        let after = json!({"status": "trashed", "purge_at": crate::kernel::db::rfc3339(purge_at)});
        tx.record(
            &caller.audit_actor(),
            vec![entry(&head, Action::CourseTrashed, Some(summary(&head)), Some(after))],
            now,
        );
        tx.commit().await?;
        Ok(())
    }

    /// Restores a course from the trash (`content.create`): the countdown stops.
    pub async fn restore(&self, caller: &Caller, id: &CourseId) -> Result<Course> {
        let mut tx = self.begin_change().await?;
        let (head, access) = self.course_access(&mut tx, caller, id).await?;
        access.require_in_workspace(Permission::ContentCreate)?;
        if head.status != CourseStatus::Trashed {
            return Err(DomainError::Conflict("this course is not in the trash".into()).into());
        }
        let now = now_ms();
        store::set_trashed(&mut tx, id, None, now).await?;
        let (after_head, draft) = store::course(&mut tx, id).await?.ok_or(DomainError::NotFound)?;
        let after = json!({"status": after_head.status.as_str()});
        tx.record(
            &caller.audit_actor(),
            vec![entry(&head, Action::CourseRestored, Some(summary(&head)), Some(after))],
            now,
        );
        let versions = store::versions(&mut tx, id).await?;
        tx.commit().await?;
        let mut draft = draft;
        let warnings = draft.normalise().unwrap_or_default();
        Ok(Course { head: after_head, draft, versions, warnings })
    }

    /// Purges trashed courses past their retention, with the media nothing else uses. Run by the
    /// background loop; each course in its own transaction, recorded as the system's act.
    pub async fn purge_trash(&self, now: i64) -> Result<usize> {
        let due = {
            let mut conn = self.pool.acquire().await?;
            store::due_for_purge(&mut conn, now, 100).await?
        };
        let mut purged = 0;
        for head in due {
            let mut tx = self.begin_change().await?;
            // Still due (a restore may have won the race)?
            let Some((current, draft)) = store::course(&mut tx, &head.id).await? else { continue };
            if current.purge_at.is_none_or(|p| p > now) {
                continue;
            }
            let mut media = draft.media();
            for content in store::version_contents(&mut tx, &head.id).await? {
                media.extend(content.media());
            }
            store::delete_course(&mut tx, &head.id).await?;
            media.sort();
            media.dedup();
            let mut removed = Vec::new();
            for m in media {
                if !store::media_in_use(&mut tx, &head.workspace_id, &m).await? {
                    if let Some(row) = store::media(&mut tx, &m).await? {
                        store::delete_media(&mut tx, &m).await?;
                        removed.push(row.object_key);
                    }
                }
            }
            let system = Actor { kind: "system", ..Actor::default() };
            let after = json!({"media_removed": removed.len()});
            tx.record(&system, vec![entry(&head, Action::CoursePurged, Some(summary(&head)), Some(after))], now);
            tx.commit().await?;
            // The objects go after the rows: a crash in between leaves an orphan file, never a
            // row pointing at nothing.
            for key in removed {
                if let Err(error) = self.objects.delete(&key).await {
                    tracing::warn!(%error, key, "removing a purged course's media object failed");
                }
            }
            purged += 1;
        }
        Ok(purged)
    }
}
