//! The learning wing (PRODUCT.md §4): courses with their draft and numbered immutable versions
//! (modules of ordered blocks, settings, rubric — the domain's `learning::Content`), the
//! Content Library and the Course Editor, templates, tags, the trash and its purge, media in the
//! object store, imports and AI generation.
//!
//! Saving a draft is one compare-and-set on its revision, so of two editors saving the same
//! revision exactly one wins and the other is told `stale`. None of it takes the organisation's
//! member lock: authoring and member management never wait for each other.

pub mod api;
pub mod courses;
pub mod generate;
pub mod imports;
pub mod media;
pub mod pages;
mod store;
pub mod templates;

crate::kernel::area!(
    /// Courses, versions, templates, tags and media.
    Learning,
    learning
);

/// **API Boundary.** What other wings may read of this one's tables.
pub mod queries {
    use lyceum_domain::id::{OrgId, WorkspaceId};

    use crate::kernel::sql::Conn;

    /// `(course id, title)` of every course of an organisation (reports keyed by course).
    pub async fn course_titles(conn: &mut Conn, org: &OrgId) -> sqlx::Result<Vec<(String, String)>> {
        super::store::titles(conn, org).await
    }

    /// Bytes of media the workspace stores (billing's storage).
    pub async fn storage_bytes(conn: &mut Conn, ws: &WorkspaceId) -> sqlx::Result<i64> {
        super::store::storage_bytes(conn, ws).await
    }
}
