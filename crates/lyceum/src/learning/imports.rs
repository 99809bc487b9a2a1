//! Importing a course from a Markdown, PDF, PowerPoint (.pptx) or Word (.docx) file: the type is
//! read from the bytes (`lyceum_content`), the outline becomes modules of slide blocks, and
//! images Word and PowerPoint carry become the workspace's media — stored first, then recorded
//! with the course in one change, so a failed import leaves no row behind.

use bytes::Bytes;
use lyceum_content::{ImportError, Outline};
use lyceum_domain::id::WorkspaceId;
use lyceum_domain::learning::{Block, BlockBody, Content, Module};
use lyceum_domain::{DomainError, Permission};
use serde_json::json;

use super::courses::{Course, NewCourse};
use super::media::Stored;
use super::Learning;
use crate::kernel::access::workspace_access;
use crate::kernel::audit_chain::Action;
use crate::kernel::{Caller, Result, ServiceError};

/// An import refusal as the API answers it.
fn refusal(e: ImportError) -> DomainError {
    match e {
        ImportError::Unsupported => DomainError::UnsupportedMediaType(e.to_string()),
        ImportError::Invalid(m) => DomainError::invalid("file", m),
        ImportError::Empty => DomainError::invalid("file", e.to_string()),
    }
}

/// The course title of an import: the document's own, else the file name without extension.
fn title_of(outline: &Outline, file_name: &str) -> String {
    let stem = super::media::clean_name(file_name);
    let stem = stem.rsplit_once('.').map_or(stem.as_str(), |(s, _)| s).trim().to_owned();
    outline
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| Some(stem).filter(|s| !s.is_empty() && s != "file"))
        .unwrap_or_else(|| "Imported course".to_owned())
        .chars()
        .take(200)
        .collect()
}

impl Learning<'_> {
    /// Creates a course from an uploaded file (`content.create`).
    pub async fn import_course(
        &self,
        caller: &Caller,
        ws: &WorkspaceId,
        file_name: &str,
        bytes: Bytes,
    ) -> Result<Course> {
        let org = self.may_upload(caller, ws).await?;
        // Reading a 50-page PDF is CPU work: off the async workers.
        let outline = tokio::task::spawn_blocking(move || lyceum_content::import(&bytes))
            .await
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("the import task failed: {e}")))?
            .map_err(refusal)?;
        let title = title_of(&outline, file_name);
        let source = super::media::clean_name(file_name);
        let mut stored: Vec<Stored> = Vec::new();
        let mut modules = Vec::new();
        for m in outline.modules {
            let mut blocks = Vec::new();
            for slide in m.slides {
                let mut markdown = String::new();
                if let Some(h) = &slide.heading {
                    markdown.push_str(&format!("## {}\n\n", h.trim()));
                }
                markdown.push_str(slide.markdown.trim());
                let mut image_id = None;
                for (i, image) in slide.images.into_iter().enumerate() {
                    let s =
                        self.store_object(&org, ws, &image.name, image.content_type, Bytes::from(image.bytes)).await;
                    let s = match s {
                        Ok(s) => s,
                        Err(e) => {
                            self.forget_objects(&stored).await;
                            return Err(e);
                        }
                    };
                    if i == 0 {
                        image_id = Some(s.row.id.clone());
                    } else {
                        markdown.push_str(&format!(
                            "\n\n![{}](/media/{})",
                            s.row.name.replace([']', '['], ""),
                            s.row.id
                        ));
                    }
                    stored.push(s);
                }
                blocks.push(Block { id: None, body: BlockBody::Slide { markdown, image_id, narration: None } });
            }
            modules.push(Module { id: None, title: m.title.chars().take(200).collect(), blocks });
        }
        let content = Content { modules, ..Content::default() };
        let result = async {
            let mut tx = self.begin_change().await?;
            let access = workspace_access(&mut tx, self.cached(), caller, &org, ws).await?;
            access.require_in_workspace(Permission::ContentCreate)?;
            self.record_media(&mut tx, caller, &stored).await?;
            let new = NewCourse { title, content: Some(content), ..NewCourse::default() };
            let mut extra = serde_json::Map::new();
            extra.insert("file_name".into(), json!(source));
            extra.insert("images".into(), json!(stored.len()));
            let course =
                self.insert_new_course(&mut tx, caller, &access, &org, ws, new, Action::CourseImported, extra).await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(course)
        }
        .await;
        match result {
            Ok(c) => Ok(c),
            Err(e) => {
                self.forget_objects(&stored).await;
                Err(e)
            }
        }
    }
}
