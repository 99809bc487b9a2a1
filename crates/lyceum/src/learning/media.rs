//! Media: images, audio and video a workspace uploads, stored in the object store under a key
//! of the server's own (`<workspace>/<media id>`), checked by their content (never their name),
//! bounded in size by `--max-upload-bytes` (the handler stops reading past it), and served only
//! to those who read the workspace's content, with their type, `nosniff` and a safe
//! `Content-Disposition`. SVG is refused as media: it can carry scripts.

use bytes::Bytes;
use lyceum_content::{sniff, MediaKind, Sniffed};
use lyceum_domain::id::{MediaId, OrgId, WorkspaceId};
use lyceum_domain::{DomainError, Permission};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::store::{self, MediaRow};
use super::Learning;
use crate::kernel::access::workspace_access;
use crate::kernel::audit_chain::{Action, Entry};
use crate::kernel::change::Change;
use crate::kernel::db::now_ms;
use crate::kernel::lazy::Db;
use crate::kernel::{Caller, Result, ServiceError};

/// A file name as kept for `Content-Disposition`: its last path segment, printable, bounded.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(120)
        .collect::<String>()
        .trim()
        .to_owned();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

/// What an upload is, by its bytes: an image, audio or video this server accepts as media.
pub fn media_type(bytes: &[u8]) -> Result<&'static str, DomainError> {
    match sniff(bytes) {
        Some(Sniffed::Svg) => Err(DomainError::UnsupportedMediaType(
            "SVG images are not accepted as media (they can carry scripts): upload a PNG, JPEG, GIF or WebP".into(),
        )),
        Some(s) if matches!(s.kind(), MediaKind::Image | MediaKind::Audio | MediaKind::Video) => Ok(s.content_type()),
        _ => Err(DomainError::UnsupportedMediaType(
            "by its content this is not an image (PNG, JPEG, GIF, WebP), audio (MP3, WAV, Ogg) or video (MP4, WebM) file".into(),
        )),
    }
}

/// A file stored in the object store, not yet recorded.
pub(super) struct Stored {
    pub row: MediaRow,
}

impl Learning<'_> {
    /// Whether the caller may upload into `ws` (`content.create`): asked before the body is read,
    /// so a refused upload is never read.
    pub async fn may_upload(&self, caller: &Caller, ws: &WorkspaceId) -> Result<OrgId> {
        let org = self.org_of_workspace(ws).await?;
        let mut db = self.lazy_conn();
        let access = workspace_access(&mut db, self.cached(), caller, &org, ws).await?;
        access.require_in_workspace(Permission::ContentCreate)?;
        Ok(org)
    }

    /// Puts a file into the object store (outside any transaction); `record_media` writes its row.
    pub(super) async fn store_object(
        &self,
        org: &OrgId,
        ws: &WorkspaceId,
        name: &str,
        content_type: &'static str,
        bytes: Bytes,
    ) -> Result<Stored> {
        let id = MediaId::new();
        let key = format!("{ws}/{id}");
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let size = bytes.len() as i64;
        self.objects
            .put(&key, bytes)
            .await
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("storing media: {e}")))?;
        Ok(Stored {
            row: MediaRow {
                id,
                org_id: org.clone(),
                workspace_id: ws.clone(),
                content_type: content_type.to_owned(),
                bytes: size,
                name: clean_name(name),
                sha256,
                object_key: key,
                created_at: now_ms(),
            },
        })
    }

    /// Records stored files in the caller's change, each with its audit event.
    pub(super) async fn record_media(&self, tx: &mut Change, caller: &Caller, stored: &[Stored]) -> Result<()> {
        let mut entries = Vec::new();
        for s in stored {
            store::insert_media(tx, &s.row, caller.user_id()).await?;
            entries.push(Entry {
                org_id: Some(s.row.org_id.to_string()),
                workspace_id: Some(s.row.workspace_id.to_string()),
                action: Action::MediaUploaded,
                target_id: s.row.id.to_string(),
                before: None,
                after: Some(json!({"name": s.row.name, "content_type": s.row.content_type, "bytes": s.row.bytes, "sha256": s.row.sha256})),
            });
        }
        tx.record(&caller.audit_actor(), entries, now_ms());
        Ok(())
    }

    /// Removes objects whose rows were never committed (best effort: an orphan file is harmless).
    pub(super) async fn forget_objects(&self, stored: &[Stored]) {
        for s in stored {
            if let Err(error) = self.objects.delete(&s.row.object_key).await {
                tracing::warn!(%error, key = s.row.object_key, "removing an unrecorded media object failed");
            }
        }
    }

    /// Uploads one media file (`content.create`), checked by its content.
    pub async fn upload_media(&self, caller: &Caller, ws: &WorkspaceId, name: &str, bytes: Bytes) -> Result<MediaRow> {
        let content_type = media_type(&bytes)?;
        let org = self.may_upload(caller, ws).await?;
        let stored = vec![self.store_object(&org, ws, name, content_type, bytes).await?];
        let result = async {
            let mut tx = self.begin_change().await?;
            let access = workspace_access(&mut tx, self.cached(), caller, &org, ws).await?;
            access.require_in_workspace(Permission::ContentCreate)?;
            self.record_media(&mut tx, caller, &stored).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = result {
            self.forget_objects(&stored).await;
            return Err(e);
        }
        Ok(stored.into_iter().next().map(|s| s.row).ok_or(DomainError::NotFound)?)
    }

    /// A media file and its bytes, for whoever reads its workspace's content (404 otherwise).
    pub async fn media_file(&self, caller: &Caller, id: &MediaId) -> Result<(MediaRow, Bytes)> {
        let mut db = self.lazy_conn();
        let row = store::media(db.conn().await?, id).await?.ok_or(DomainError::NotFound)?;
        let access = workspace_access(&mut db, self.cached(), caller, &row.org_id, &row.workspace_id).await?;
        if !access.may_in_workspace(Permission::ContentView) {
            return Err(DomainError::NotFound.into());
        }
        drop(db);
        let bytes = self.objects.get(&row.object_key).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => ServiceError::Domain(DomainError::NotFound),
            other => ServiceError::Internal(anyhow::anyhow!("reading media: {other}")),
        })?;
        Ok((row, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_last_segment_and_lose_what_could_break_a_header() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\\\Users\\\\a\\\\photo \"1\".png"), "photo 1.png");
        assert_eq!(clean_name("a;b\r\n.png"), "ab.png");
        assert_eq!(clean_name(""), "file");
    }

    #[test]
    fn media_is_accepted_by_its_bytes_and_svg_is_refused() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(media_type(png), Ok("image/png"));
        assert!(matches!(
            media_type(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"),
            Err(DomainError::UnsupportedMediaType(_))
        ));
        assert!(matches!(media_type(b"%PDF-1.7"), Err(DomainError::UnsupportedMediaType(_))));
        assert!(matches!(media_type(b"just text"), Err(DomainError::UnsupportedMediaType(_))));
    }
}
