//! Invitations: outstanding offers to addresses that have no account yet.

use lyceum_domain::id::{InvitationId, OrgId, UserId, WorkspaceId};
use lyceum_domain::{InvitationStatus, OrgRole, WorkspaceRole};
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row as _};

use crate::kernel::multi_row::{self, AnyQuery, Row};
use crate::kernel::sql::{typed, typed_opt, Conn};

#[derive(Debug, Clone)]
pub struct InvitationRow {
    pub id: InvitationId,
    pub org_id: OrgId,
    pub email: String,
    pub org_role: OrgRole,
    pub workspace_id: Option<WorkspaceId>,
    pub workspace_role: Option<WorkspaceRole>,
    pub invited_by: Option<UserId>,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl InvitationRow {
    /// `pending | accepted | revoked | expired`.
    pub fn status(&self, now: i64) -> InvitationStatus {
        InvitationStatus::at(self.accepted_at, self.revoked_at, self.expires_at, now)
    }
}

impl FromRow<'_, AnyRow> for InvitationRow {
    fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        Ok(InvitationRow {
            id: typed(row, "id")?,
            org_id: typed(row, "org_id")?,
            email: row.try_get("email")?,
            org_role: typed(row, "org_role")?,
            workspace_id: typed_opt(row, "workspace_id")?,
            workspace_role: typed_opt(row, "workspace_role")?,
            invited_by: typed_opt(row, "invited_by")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            accepted_at: row.try_get("accepted_at")?,
            revoked_at: row.try_get("revoked_at")?,
        })
    }
}

impl InvitationRow {
    fn workspace_id_text(&self) -> Option<&str> {
        self.workspace_id.as_ref().map(WorkspaceId::as_str)
    }

    fn workspace_role_text(&self) -> Option<&'static str> {
        self.workspace_role.map(WorkspaceRole::as_str)
    }
}

const COLUMNS: &str =
    "id, org_id, email, org_role, workspace_id, workspace_role, invited_by, created_at, expires_at, accepted_at, revoked_at";

pub async fn by_id(conn: &mut Conn, id: &InvitationId) -> sqlx::Result<Option<InvitationRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM invitations WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await
}

pub async fn by_token_hash(conn: &mut Conn, token_hash: &str) -> sqlx::Result<Option<InvitationRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM invitations WHERE token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(conn)
        .await
}

/// Outstanding invitations of the organisation for these addresses.
pub async fn outstanding_for(
    conn: &mut Conn,
    org_id: &OrgId,
    emails: &[String],
    now: i64,
) -> sqlx::Result<Vec<InvitationRow>> {
    let mut out = Vec::new();
    for chunk in emails.chunks(500) {
        let sql = format!(
            "SELECT {COLUMNS} FROM invitations WHERE org_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL \
             AND expires_at > $2 AND email IN ({})",
            crate::kernel::db::placeholders(3, chunk.len())
        );
        let mut q = sqlx::query_as(&sql).bind(org_id.as_str()).bind(now);
        for e in chunk {
            q = q.bind(e);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// An invitation with the hash of the token just issued for it, as [`insert_many`] and
/// [`reissue_many`] write it.
pub struct Issued {
    pub invitation: InvitationRow,
    pub token_hash: String,
}

/// The columns a new invitation is written with.
const INSERT_COLUMNS: &[&str] = &[
    "id",
    "org_id",
    "email",
    "org_role",
    "workspace_id",
    "workspace_role",
    "token_hash",
    "invited_by",
    "created_at",
    "expires_at",
];

impl Row for Issued {
    const TABLE: &'static str = "invitations";
    const COLUMNS: &'static [&'static str] = INSERT_COLUMNS;
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        let i = &self.invitation;
        q.bind(i.id.as_str())
            .bind(i.org_id.as_str())
            .bind(&i.email)
            .bind(i.org_role.as_str())
            .bind(i.workspace_id_text())
            .bind(i.workspace_role_text())
            .bind(&self.token_hash)
            .bind(i.invited_by.as_ref().map(UserId::as_str))
            .bind(i.created_at)
            .bind(i.expires_at)
    }
}

/// Inserts new invitations, many per statement.
#[tracing::instrument(skip_all, fields(n = invitations.len()))]
pub async fn insert_many(conn: &mut Conn, invitations: &[Issued]) -> sqlx::Result<()> {
    multi_row::insert(conn, invitations).await?;
    Ok(())
}

/// [`reissue`] for many invitations, many per statement: each gets its new token, expiry and
/// roles.
#[tracing::instrument(skip_all, fields(n = invitations.len()))]
pub async fn reissue_many(conn: &mut Conn, invitations: &[Issued]) -> sqlx::Result<()> {
    // The columns of a `VALUES` list are named column1, column2, … on both databases.
    let statement = |values: &str| {
        format!(
            "UPDATE invitations SET token_hash = v.column2, expires_at = v.column3, org_role = v.column4, \
             workspace_role = v.column5 FROM (VALUES {values}) AS v WHERE invitations.id = v.column1"
        )
    };
    fn bind<'q>(r: &'q Issued, q: AnyQuery<'q>) -> AnyQuery<'q> {
        let i = &r.invitation;
        q.bind(i.id.as_str())
            .bind(&r.token_hash)
            .bind(i.expires_at)
            .bind(i.org_role.as_str())
            .bind(i.workspace_role_text())
    }
    multi_row::execute_chunks(conn, invitations, 5, multi_row::BATCH_ROWS, statement, bind, |_| {}).await?;
    Ok(())
}

/// Gives an invitation a new token, expiry and roles: the old token is dead from now on.
pub async fn reissue(conn: &mut Conn, i: &InvitationRow, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE invitations SET token_hash = $2, expires_at = $3, org_role = $4, workspace_role = $5 WHERE id = $1",
    )
    .bind(i.id.as_str())
    .bind(token_hash)
    .bind(i.expires_at)
    .bind(i.org_role.as_str())
    .bind(i.workspace_role_text())
    .execute(conn)
    .await?;
    Ok(())
}

/// Consumes a token once: true only for the one caller that flipped it from outstanding to accepted.
pub async fn consume(
    conn: &mut Conn,
    id: &InvitationId,
    token_hash: &str,
    user_id: &UserId,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE invitations SET accepted_at = $4, accepted_by = $3 WHERE id = $1 AND token_hash = $2 \
         AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $4",
    )
    .bind(id.as_str())
    .bind(token_hash)
    .bind(user_id.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn revoke(conn: &mut Conn, id: &InvitationId, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE invitations SET revoked_at = $2 WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(id.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Invitations of an organisation (optionally one workspace, optionally one status), newest first,
/// after the id `after` (ids are time-ordered).
pub async fn list(
    conn: &mut Conn,
    org_id: &OrgId,
    workspace_id: Option<&WorkspaceId>,
    after: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<InvitationRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM invitations WHERE org_id = $1 AND ($2 = '' OR workspace_id = $2) \
         AND ($3 = '' OR id < $3) ORDER BY id DESC LIMIT {}",
        limit + 1
    );
    sqlx::query_as(&sql)
        .bind(org_id.as_str())
        .bind(workspace_id.map_or("", WorkspaceId::as_str))
        .bind(after.unwrap_or(""))
        .fetch_all(conn)
        .await
}
