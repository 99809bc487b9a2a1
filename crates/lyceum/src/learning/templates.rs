//! Course templates: a course's draft saved under a name, listed in the library's Templates tab,
//! instantiated by `create_course` with `template_id`, and regenerated for a new audience by AI
//! (`generate.rs`).

use lyceum_domain::id::{CourseId, TemplateId, WorkspaceId};
use lyceum_domain::{learning, DomainError, Permission};
use serde_json::json;

use super::store::{self, TemplateRow};
use super::Learning;
use crate::kernel::audit_chain::{Action, Entry};
use crate::kernel::db::now_ms;
use crate::kernel::lazy::Db;
use crate::kernel::{Caller, Result};

pub(super) fn template_entry(t: &TemplateRow) -> Entry {
    Entry {
        org_id: Some(t.org_id.to_string()),
        workspace_id: Some(t.workspace_id.to_string()),
        action: Action::TemplateCreated,
        target_id: t.id.to_string(),
        before: None,
        after: Some(json!({
            "name": t.name,
            "source_course_id": t.source_course_id.as_ref().map(CourseId::as_str),
            "source_template_id": t.source_template_id.as_ref().map(TemplateId::as_str),
            "audience": t.audience,
        })),
    }
}

impl Learning<'_> {
    /// Saves a course's draft as a template (`content.create`), named `name` or after the course.
    pub async fn save_template(&self, caller: &Caller, course: &CourseId, name: Option<&str>) -> Result<TemplateRow> {
        let name = name
            .map(learning::parse_title)
            .transpose()
            .map_err(|_| DomainError::invalid("name", "must be 1 to 200 characters"))?;
        let mut tx = self.begin_change().await?;
        let (head, access) = self.course_access(&mut tx, caller, course).await?;
        access.require_in_workspace(Permission::ContentCreate)?;
        let (_, draft) = store::course(&mut tx, course).await?.ok_or(DomainError::NotFound)?;
        let now = now_ms();
        let t = TemplateRow {
            id: TemplateId::new(),
            org_id: head.org_id.clone(),
            workspace_id: head.workspace_id.clone(),
            name: name.unwrap_or_else(|| head.title.clone()),
            description: head.description.clone(),
            audience: None,
            source_course_id: Some(head.id.clone()),
            source_template_id: None,
            created_at: now,
            content: draft.with_fresh_ids(),
        };
        store::insert_template(&mut tx, &t, caller.user_id()).await?;
        tx.record(&caller.audit_actor(), vec![template_entry(&t)], now);
        tx.commit().await?;
        Ok(t)
    }

    /// The workspace's templates (`content.view`), newest first.
    pub async fn templates(&self, caller: &Caller, ws: &WorkspaceId) -> Result<Vec<TemplateRow>> {
        let mut db = self.lazy_conn();
        self.library_access(&mut db, caller, ws).await?;
        Ok(store::templates(db.conn().await?, ws).await?)
    }

    /// One template (`content.view` in its workspace; 404 otherwise).
    pub async fn template(&self, caller: &Caller, id: &TemplateId) -> Result<TemplateRow> {
        let mut db = self.lazy_conn();
        let t = store::template(db.conn().await?, id).await?.ok_or(DomainError::NotFound)?;
        let access =
            crate::kernel::access::workspace_access(&mut db, self.cached(), caller, &t.org_id, &t.workspace_id).await?;
        if !access.may_in_workspace(Permission::ContentView) {
            return Err(DomainError::NotFound.into());
        }
        Ok(t)
    }

    /// The workspace's tags with how many courses carry each (`content.view`).
    pub async fn tags(&self, caller: &Caller, ws: &WorkspaceId) -> Result<Vec<store::TagRow>> {
        let mut db = self.lazy_conn();
        self.library_access(&mut db, caller, ws).await?;
        Ok(store::tags(db.conn().await?, ws).await?)
    }
}
