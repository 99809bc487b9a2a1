//! Organisation and workspace memberships, and the member list with search and keyset pages.

use lyceum_domain::id::{OrgId, UserId, WorkspaceId};
use lyceum_domain::{MemberRole, MemberStatus, OrgRole, WorkspaceRole};
use sqlx::FromRow;

use crate::kernel::db::Backend;
use crate::kernel::multi_row::{self, AnyQuery, Row};
use crate::kernel::sql::{self, Conn};

/// One of a person's organisation memberships, with the organisation's name.
#[derive(Debug, Clone, FromRow)]
pub struct OrgMembership {
    #[sqlx(try_from = "String")]
    pub id: OrgId,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: OrgRole,
    #[sqlx(try_from = "String")]
    pub status: MemberStatus,
}

/// One of a person's workspace memberships, with the workspace's organisation and name.
#[derive(Debug, Clone, FromRow)]
pub struct WorkspaceMembership {
    #[sqlx(try_from = "String")]
    pub id: WorkspaceId,
    #[sqlx(try_from = "String")]
    pub org_id: OrgId,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: WorkspaceRole,
    #[sqlx(try_from = "String")]
    pub status: MemberStatus,
}

/// Which membership table a query is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Org(&'a OrgId),
    Workspace(&'a WorkspaceId),
}

impl Scope<'_> {
    fn table_and_key(self) -> (&'static str, &'static str) {
        match self {
            Scope::Org(_) => ("org_members", "org_id"),
            Scope::Workspace(_) => ("workspace_members", "workspace_id"),
        }
    }

    fn id(self) -> String {
        match self {
            Scope::Org(id) => id.as_str().to_owned(),
            Scope::Workspace(id) => id.as_str().to_owned(),
        }
    }

    /// A stored role name as a role of this scope's kind.
    fn role(self, name: String) -> sqlx::Result<MemberRole> {
        let parsed = match self {
            Scope::Org(_) => OrgRole::parse(&name).map(MemberRole::Org),
            Scope::Workspace(_) => WorkspaceRole::parse(&name).map(MemberRole::Workspace),
        };
        sql::decoded("role", parsed)
    }
}

/// One member as listed.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: MemberRole,
    pub status: MemberStatus,
}

/// A member as read, before its role is known to be an organisation or a workspace role.
#[derive(FromRow)]
struct RawMember {
    #[sqlx(try_from = "String")]
    user_id: UserId,
    email: String,
    name: String,
    role: String,
    #[sqlx(try_from = "String")]
    status: MemberStatus,
}

impl RawMember {
    fn in_scope(self, scope: Scope<'_>) -> sqlx::Result<MemberRow> {
        Ok(MemberRow {
            role: scope.role(self.role)?,
            user_id: self.user_id,
            email: self.email,
            name: self.name,
            status: self.status,
        })
    }
}

fn in_scope(rows: Vec<RawMember>, scope: Scope<'_>) -> sqlx::Result<Vec<MemberRow>> {
    rows.into_iter().map(|r| r.in_scope(scope)).collect()
}

/// The filters and page of a member list.
pub struct ListQuery<'a> {
    /// Lower-cased search text, matched as a substring of the name or email.
    pub q: Option<&'a str>,
    pub role: Option<&'a str>,
    pub status: Option<&'a str>,
    /// The (email, user id) of the last row of the previous page.
    pub after: Option<(String, String)>,
    pub limit: i64,
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_pattern(q: &str) -> String {
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Members ordered by email then id; fetches `limit + 1` rows so the caller knows if more follow.
///
/// A search (`q`) is answered by the trigram index where it helps: on PostgreSQL the planner
/// uses the `pg_trgm` indexes for `LOWER(…) LIKE`; on SQLite a search of three characters or
/// more, in a scope of 2,000 members or more, that is not too common takes its candidates from the
/// `users_search` FTS5 index; anything else scans the membership.
pub async fn list(conn: &mut Conn, scope: Scope<'_>, q: &ListQuery<'_>) -> sqlx::Result<Vec<MemberRow>> {
    let sqlite = Backend::of_conn(conn) == Backend::Sqlite;
    let text = q.q.filter(|t| !t.is_empty());
    if let (true, Some(text)) = (sqlite, text) {
        if text.chars().count() >= 3 && !is_small(conn, scope).await? && !is_common(conn, text).await? {
            return list_sql(conn, scope, q, Search::Trigram(fts_phrase(text))).await;
        }
    }
    // SQLite's LOWER folds ASCII letters only ("Émile" stays "Émile"), so a search with other
    // letters that the index could not take is matched here, in Rust, over keyset pages of the
    // other filters' results.
    let Some(text) = text.filter(|t| !t.is_ascii() && sqlite) else {
        return list_sql(conn, scope, q, Search::Like).await;
    };
    const PAGE: i64 = 500;
    let mut page_q = ListQuery { q: None, role: q.role, status: q.status, after: q.after.clone(), limit: PAGE - 1 };
    let mut out = Vec::new();
    loop {
        let page = list_sql(conn, scope, &page_q, Search::Like).await?;
        let exhausted = (page.len() as i64) < PAGE;
        page_q.after = page.last().map(|m| (m.email.clone(), m.user_id.as_str().to_owned()));
        out.extend(
            page.into_iter().filter(|m| m.email.to_lowercase().contains(text) || m.name.to_lowercase().contains(text)),
        );
        if exhausted || out.len() as i64 > q.limit {
            out.truncate((q.limit + 1) as usize);
            return Ok(out);
        }
    }
}

/// How a search is matched.
enum Search {
    /// `LOWER(email|name) LIKE '%q%'` (PostgreSQL: trigram-indexed).
    Like,
    /// SQLite: candidates from the FTS5 trigram index (an FTS5 phrase).
    Trigram(String),
}

/// More accounts than this match a search: walking the membership beats the index's candidates.
const COMMON_MATCHES: i64 = 5_000;

/// Fewer members than this: scanning the scope is cheaper than any index (most workspaces).
const SMALL_SCOPE: i64 = 2_000;

/// Whether a scope has few enough members to scan (bounded count on the membership key).
async fn is_small(conn: &mut Conn, scope: Scope<'_>) -> sqlx::Result<bool> {
    let (table, key) = scope.table_and_key();
    let n: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {key} = $1 LIMIT $2) AS m"))
            .bind(scope.id())
            .bind(SMALL_SCOPE)
            .fetch_one(conn)
            .await?;
    Ok(n < SMALL_SCOPE)
}

/// Whether a search matches so many accounts that the index would not narrow it (bounded count).
async fn is_common(conn: &mut Conn, text: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM users_search WHERE users_search MATCH $1 LIMIT $2) AS hits",
    )
    .bind(fts_phrase(text))
    .bind(COMMON_MATCHES)
    .fetch_one(conn)
    .await?;
    Ok(n >= COMMON_MATCHES)
}

/// An FTS5 phrase matching `text` literally (a substring, with the trigram tokenizer).
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

async fn list_sql(
    conn: &mut Conn,
    scope: Scope<'_>,
    q: &ListQuery<'_>,
    search: Search,
) -> sqlx::Result<Vec<MemberRow>> {
    let (table, key) = scope.table_and_key();
    let mut binds: Vec<String> = vec![scope.id()];
    let next = |binds: &mut Vec<String>, v: String| {
        binds.push(v);
        format!("${}", binds.len())
    };
    let text = q.q.filter(|s| !s.is_empty());
    let mut sql = match (&search, text) {
        (Search::Trigram(phrase), Some(_)) => {
            let p = next(&mut binds, phrase.clone());
            format!(
                "SELECT m.user_id, u.email, u.name, m.role, m.status FROM users_search s \
                 JOIN users_search_keys k ON k.id = s.rowid \
                 JOIN {table} m ON m.{key} = $1 AND m.user_id = k.user_id \
                 JOIN users u ON u.id = m.user_id \
                 WHERE users_search MATCH {p}"
            )
        }
        _ => format!(
            "SELECT m.user_id, u.email, u.name, m.role, m.status FROM {table} m JOIN users u ON u.id = m.user_id \
             WHERE m.{key} = $1"
        ),
    };
    if let (Search::Like, Some(text)) = (&search, text) {
        let p = next(&mut binds, like_pattern(text));
        sql += &format!(" AND (LOWER(u.email) LIKE {p} ESCAPE '\\' OR LOWER(u.name) LIKE {p} ESCAPE '\\')");
    }
    if let Some(role) = q.role {
        let p = next(&mut binds, role.to_owned());
        sql += &format!(" AND m.role = {p}");
    }
    if let Some(status) = q.status {
        let p = next(&mut binds, status.to_owned());
        sql += &format!(" AND m.status = {p}");
    }
    // Bytewise order on both databases (whatever PostgreSQL's default collation), so that a
    // cursor means the same here and in the member directory (`service::directory`).
    let c = if Backend::of_conn(conn) == Backend::Postgres { " COLLATE \"C\"" } else { "" };
    if let Some((email, id)) = &q.after {
        let pe = next(&mut binds, email.clone());
        let pi = next(&mut binds, id.clone());
        sql += &format!(" AND (u.email{c} > {pe} OR (u.email = {pe} AND m.user_id{c} > {pi}))");
    }
    sql += &format!(" ORDER BY u.email{c}, m.user_id{c} LIMIT {}", q.limit + 1);
    let mut query = sqlx::query_as(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    in_scope(query.fetch_all(conn).await?, scope)
}

/// A workspace membership as the in-memory member directory holds them.
#[derive(Debug, Clone, FromRow)]
pub struct DirectoryMembership {
    #[sqlx(try_from = "String")]
    pub workspace_id: WorkspaceId,
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    #[sqlx(try_from = "String")]
    pub role: WorkspaceRole,
    #[sqlx(try_from = "String")]
    pub status: MemberStatus,
}

/// Every member of an organisation as a stream, in no particular order (the directory sorts them).
pub fn all_of_org<'c>(conn: &'c mut Conn, org_id: &'c OrgId) -> RowStream<'c, MemberRow> {
    use futures_util::StreamExt as _;
    sqlx::query_as::<_, RawMember>(
        "SELECT m.user_id, u.email, u.name, m.role, m.status FROM org_members m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1",
    )
    .bind(org_id.as_str())
    .fetch(conn)
    .map(move |r| r.and_then(|r| r.in_scope(Scope::Org(org_id))))
    .boxed()
}

/// Every workspace membership in an organisation as a stream.
pub fn all_workspace_memberships_of_org<'c>(
    conn: &'c mut Conn,
    org_id: &'c OrgId,
) -> RowStream<'c, DirectoryMembership> {
    sqlx::query_as("SELECT workspace_id, user_id, role, status FROM workspace_members WHERE org_id = $1")
        .bind(org_id.as_str())
        .fetch(conn)
}

/// Rows read one at a time.
pub type RowStream<'c, T> = futures_core::stream::BoxStream<'c, sqlx::Result<T>>;

/// One member of the scope.
pub async fn get(conn: &mut Conn, scope: Scope<'_>, user_id: &UserId) -> sqlx::Result<Option<MemberRow>> {
    let (table, key) = scope.table_and_key();
    let row: Option<RawMember> = sqlx::query_as(&format!(
        "SELECT m.user_id, u.email, u.name, m.role, m.status FROM {table} m JOIN users u ON u.id = m.user_id \
         WHERE m.{key} = $1 AND m.user_id = $2"
    ))
    .bind(scope.id())
    .bind(user_id.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(|r| r.in_scope(scope)).transpose()
}

/// The members of the scope among `user_ids`.
pub async fn get_many(conn: &mut Conn, scope: Scope<'_>, user_ids: &[UserId]) -> sqlx::Result<Vec<MemberRow>> {
    let (table, key) = scope.table_and_key();
    let mut out = Vec::with_capacity(user_ids.len());
    for chunk in user_ids.chunks(500) {
        let sql = format!(
            "SELECT m.user_id, u.email, u.name, m.role, m.status FROM {table} m JOIN users u ON u.id = m.user_id \
             WHERE m.{key} = $1 AND m.user_id IN ({})",
            crate::kernel::db::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query_as(&sql).bind(scope.id());
        for id in chunk {
            q = q.bind(id.as_str());
        }
        out.extend(in_scope(q.fetch_all(&mut *conn).await?, scope)?);
    }
    Ok(out)
}

/// The org role of a user, if a member.
pub async fn org_role(conn: &mut Conn, org_id: &OrgId, user_id: &UserId) -> sqlx::Result<Option<OrgRole>> {
    let role: Option<String> = sqlx::query_scalar("SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2")
        .bind(org_id.as_str())
        .bind(user_id.as_str())
        .fetch_optional(conn)
        .await?;
    role.map(|r| sql::parse::<OrgRole>("role", r)).transpose()
}

/// The workspace role of a user, if a member.
pub async fn workspace_role(
    conn: &mut Conn,
    ws_id: &WorkspaceId,
    user_id: &UserId,
) -> sqlx::Result<Option<WorkspaceRole>> {
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws_id.as_str())
            .bind(user_id.as_str())
            .fetch_optional(conn)
            .await?;
    role.map(|r| sql::parse::<WorkspaceRole>("role", r)).transpose()
}

/// The addresses of a workspace's accepted owners, for notices about the workspace.
pub async fn workspace_owner_emails(conn: &mut Conn, ws_id: &WorkspaceId) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT u.email FROM workspace_members m JOIN users u ON u.id = m.user_id \
         WHERE m.workspace_id = $1 AND m.role = 'owner' AND m.status = 'accepted' ORDER BY u.email",
    )
    .bind(ws_id.as_str())
    .fetch_all(conn)
    .await
}

/// The (user id, status) of org members among `user_ids`.
pub async fn org_statuses(
    conn: &mut Conn,
    org_id: &OrgId,
    user_ids: &[UserId],
) -> sqlx::Result<Vec<(UserId, MemberStatus)>> {
    let mut out = Vec::new();
    for chunk in user_ids.chunks(500) {
        let sql = format!(
            "SELECT user_id, status FROM org_members WHERE org_id = $1 AND user_id IN ({})",
            crate::kernel::db::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query_as::<_, UserStatus>(&sql).bind(org_id.as_str());
        for id in chunk {
            q = q.bind(id.as_str());
        }
        out.extend(q.fetch_all(&mut *conn).await?.into_iter().map(|r| (r.user_id, r.status)));
    }
    Ok(out)
}

#[derive(FromRow)]
struct UserStatus {
    #[sqlx(try_from = "String")]
    user_id: UserId,
    #[sqlx(try_from = "String")]
    status: MemberStatus,
}

pub async fn count_org_owners(conn: &mut Conn, org_id: &OrgId) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND role = 'owner'")
        .bind(org_id.as_str())
        .fetch_one(conn)
        .await
}

/// Seats taken: members (pending or accepted) plus the distinct addresses of outstanding
/// invitations that are not members yet.
pub async fn seats_used(conn: &mut Conn, org_id: &OrgId, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM org_members WHERE org_id = $1) + \
                (SELECT COUNT(DISTINCT i.email) FROM invitations i WHERE i.org_id = $1 \
                   AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2 \
                   AND NOT EXISTS (SELECT 1 FROM org_members m JOIN users u ON u.id = m.user_id \
                                   WHERE m.org_id = $1 AND u.email = i.email))",
    )
    .bind(org_id.as_str())
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Adds a membership (no-op if it exists).
pub async fn insert(
    conn: &mut Conn,
    scope: Scope<'_>,
    org_id: &OrgId,
    user_id: &UserId,
    role: MemberRole,
    status: MemberStatus,
    now: i64,
) -> sqlx::Result<()> {
    match scope {
        Scope::Org(_) => sqlx::query(
            "INSERT INTO org_members (org_id, user_id, role, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (org_id, user_id) DO NOTHING",
        )
        .bind(org_id.as_str())
        .bind(user_id.as_str())
        .bind(role.as_str())
        .bind(status.as_str())
        .bind(now),
        Scope::Workspace(ws) => sqlx::query(
            "INSERT INTO workspace_members (workspace_id, user_id, org_id, role, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (workspace_id, user_id) DO NOTHING",
        )
        .bind(ws.as_str())
        .bind(user_id.as_str())
        .bind(org_id.as_str())
        .bind(role.as_str())
        .bind(status.as_str())
        .bind(now),
    }
    .execute(conn)
    .await?;
    Ok(())
}

/// A membership to add with [`insert_many`].
#[derive(Debug, Clone, Copy)]
pub struct NewMember<'a> {
    pub user_id: &'a UserId,
    pub role: MemberRole,
    pub status: MemberStatus,
}

/// Adds memberships to the scope, many per statement; one that exists is left as it is (as
/// [`insert`] does).
#[tracing::instrument(skip_all, fields(n = members.len()))]
pub async fn insert_many(
    conn: &mut Conn,
    scope: Scope<'_>,
    org_id: &OrgId,
    members: &[NewMember<'_>],
    now: i64,
) -> sqlx::Result<()> {
    match scope {
        Scope::Org(_) => {
            let rows: Vec<_> = members.iter().map(|m| OrgMemberRow { org_id, m, now }).collect();
            multi_row::insert(conn, &rows).await?;
        }
        Scope::Workspace(ws_id) => {
            let rows: Vec<_> = members.iter().map(|m| WorkspaceMemberRow { ws_id, org_id, m, now }).collect();
            multi_row::insert(conn, &rows).await?;
        }
    }
    Ok(())
}

struct OrgMemberRow<'a> {
    org_id: &'a OrgId,
    m: &'a NewMember<'a>,
    now: i64,
}

impl Row for OrgMemberRow<'_> {
    const TABLE: &'static str = "org_members";
    const COLUMNS: &'static [&'static str] = &["org_id", "user_id", "role", "status", "created_at", "updated_at"];
    const ON_CONFLICT: &'static str = "ON CONFLICT (org_id, user_id) DO NOTHING";
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        q.bind(self.org_id.as_str())
            .bind(self.m.user_id.as_str())
            .bind(self.m.role.as_str())
            .bind(self.m.status.as_str())
            .bind(self.now)
            .bind(self.now)
    }
}

struct WorkspaceMemberRow<'a> {
    ws_id: &'a WorkspaceId,
    org_id: &'a OrgId,
    m: &'a NewMember<'a>,
    now: i64,
}

impl Row for WorkspaceMemberRow<'_> {
    const TABLE: &'static str = "workspace_members";
    const COLUMNS: &'static [&'static str] =
        &["workspace_id", "user_id", "org_id", "role", "status", "created_at", "updated_at"];
    const ON_CONFLICT: &'static str = "ON CONFLICT (workspace_id, user_id) DO NOTHING";
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        q.bind(self.ws_id.as_str())
            .bind(self.m.user_id.as_str())
            .bind(self.org_id.as_str())
            .bind(self.m.role.as_str())
            .bind(self.m.status.as_str())
            .bind(self.now)
            .bind(self.now)
    }
}

pub async fn set_role(
    conn: &mut Conn,
    scope: Scope<'_>,
    user_id: &UserId,
    role: MemberRole,
    now: i64,
) -> sqlx::Result<()> {
    let (table, key) = scope.table_and_key();
    sqlx::query(&format!("UPDATE {table} SET role = $3, updated_at = $4 WHERE {key} = $1 AND user_id = $2"))
        .bind(scope.id())
        .bind(user_id.as_str())
        .bind(role.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes memberships; at org scope the workspace memberships go with them (foreign key cascade).
pub async fn delete_many(conn: &mut Conn, scope: Scope<'_>, user_ids: &[UserId]) -> sqlx::Result<u64> {
    let (table, key) = scope.table_and_key();
    let mut n = 0;
    for chunk in user_ids.chunks(500) {
        let sql = format!(
            "DELETE FROM {table} WHERE {key} = $1 AND user_id IN ({})",
            crate::kernel::db::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(scope.id());
        for id in chunk {
            q = q.bind(id.as_str());
        }
        n += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(n)
}

/// The workspace memberships a user holds in an organisation: (workspace id, role).
pub async fn workspace_roles_in_org(
    conn: &mut Conn,
    org_id: &OrgId,
    user_id: &UserId,
) -> sqlx::Result<Vec<(WorkspaceId, WorkspaceRole)>> {
    #[derive(FromRow)]
    struct Held {
        #[sqlx(try_from = "String")]
        workspace_id: WorkspaceId,
        #[sqlx(try_from = "String")]
        role: WorkspaceRole,
    }
    let rows: Vec<Held> =
        sqlx::query_as("SELECT workspace_id, role FROM workspace_members WHERE org_id = $1 AND user_id = $2")
            .bind(org_id.as_str())
            .bind(user_id.as_str())
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|h| (h.workspace_id, h.role)).collect())
}

/// Marks a user's pending memberships accepted; returns the organisations where any changed.
pub async fn accept_pending(conn: &mut Conn, user_id: &UserId, now: i64) -> sqlx::Result<Vec<OrgId>> {
    let orgs: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT org_id FROM (SELECT org_id FROM org_members WHERE user_id = $1 AND status = 'pending' \
         UNION SELECT org_id FROM workspace_members WHERE user_id = $1 AND status = 'pending') p",
    )
    .bind(user_id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let orgs = orgs.into_iter().map(|o| sql::parse::<OrgId>("org_id", o)).collect::<sqlx::Result<Vec<_>>>()?;
    if !orgs.is_empty() {
        for table in ["org_members", "workspace_members"] {
            sqlx::query(&format!(
                "UPDATE {table} SET status = 'accepted', updated_at = $2 WHERE user_id = $1 AND status = 'pending'"
            ))
            .bind(user_id.as_str())
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(orgs)
}

/// A user's organisations: (id, name, role, status).
pub async fn orgs_of_user(conn: &mut Conn, user_id: &UserId) -> sqlx::Result<Vec<OrgMembership>> {
    sqlx::query_as(
        "SELECT o.id, o.name, m.role, m.status FROM org_members m JOIN organizations o ON o.id = m.org_id \
         WHERE m.user_id = $1 ORDER BY o.name, o.id",
    )
    .bind(user_id.as_str())
    .fetch_all(conn)
    .await
}

/// A user's workspace memberships: (id, org id, name, role, status).
pub async fn workspaces_of_user(conn: &mut Conn, user_id: &UserId) -> sqlx::Result<Vec<WorkspaceMembership>> {
    sqlx::query_as(
        "SELECT w.id, w.org_id, w.name, m.role, m.status FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id \
         WHERE m.user_id = $1 ORDER BY w.name, w.id",
    )
    .bind(user_id.as_str())
    .fetch_all(conn)
    .await
}

/// One row of a person's whereabouts: an organisation they belong to (id, name, their role) and
/// one of its workspaces (id, name, their role there, if any); no workspace for an organisation
/// with no workspace. Organisations by name then id, workspaces by creation then id.
#[derive(Debug, Clone)]
pub struct WhereaboutsRow {
    pub org_id: OrgId,
    pub org_name: String,
    pub org_role: OrgRole,
    pub workspace: Option<(WorkspaceId, String)>,
    pub workspace_role: Option<WorkspaceRole>,
}

impl FromRow<'_, sqlx::any::AnyRow> for WhereaboutsRow {
    fn from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<Self> {
        use crate::kernel::sql::{typed, typed_opt};
        use sqlx::Row as _;
        let ws_id: Option<WorkspaceId> = typed_opt(row, "ws_id")?;
        let ws_name: Option<String> = row.try_get("ws_name")?;
        Ok(WhereaboutsRow {
            org_id: typed(row, "org_id")?,
            org_name: row.try_get("org_name")?,
            org_role: typed(row, "org_role")?,
            workspace: ws_id.zip(ws_name),
            workspace_role: typed_opt(row, "ws_role")?,
        })
    }
}

/// Every organisation a user belongs to with all of its workspaces and the user's roles: the one
/// read behind the page shell (`kernel::whereabouts`).
pub async fn whereabouts(conn: &mut Conn, user_id: &UserId) -> sqlx::Result<Vec<WhereaboutsRow>> {
    sqlx::query_as(
        "SELECT o.id AS org_id, o.name AS org_name, m.role AS org_role, w.id AS ws_id, w.name AS ws_name, \
         wm.role AS ws_role FROM org_members m \
         JOIN organizations o ON o.id = m.org_id \
         LEFT JOIN workspaces w ON w.org_id = o.id \
         LEFT JOIN workspace_members wm ON wm.workspace_id = w.id AND wm.user_id = m.user_id \
         WHERE m.user_id = $1 ORDER BY o.name, o.id, w.created_at, w.id",
    )
    .bind(user_id.as_str())
    .fetch_all(conn)
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a test: a failed setup step should just fail it
mod tests {
    use super::*;
    use crate::accounts::queries::users::{self, NewUser};
    use crate::tenancy::store::orgs::{self, OrgRow};

    fn user_id(n: usize) -> UserId {
        UserId::from_uuid(uuid::Uuid::from_u128(n as u128 + 1))
    }

    /// The two ways SQLite answers a search — trigram candidates and the membership scan — give
    /// the same members in the same order, page by page (the API suite's scopes are small, so it
    /// only ever sees the scan there).
    #[tokio::test]
    async fn trigram_candidates_and_the_scan_agree_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, backend) =
            crate::kernel::db::connect(&crate::kernel::db::sqlite_url_in(dir.path()), 2).await.unwrap();
        crate::kernel::db::migrate(&pool, backend).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let org = OrgRow {
            id: OrgId::new(),
            name: "Org".into(),
            plan: lyceum_domain::Plan::Enterprise,
            seats: 1000,
            credit_pool: 0,
            created_at: 0,
        };
        orgs::insert(&mut conn, &org).await.unwrap();
        let names = ["Émile Zola", "Emma Smith", "Zoë Smithers", "Marc \"Q\" Lee", "Anna Lee", "Ann O'Neil"];
        for n in 0..60 {
            let (id, email, name) = (user_id(n), format!("p{n:02}.{}@example.test", n % 7), names[n % 6]);
            let user = NewUser { id: &id, email: &email, name, password_hash: "x", instance_admin: false };
            users::insert(&mut conn, &user, 0).await.unwrap();
            let role = MemberRole::Org(if n % 3 == 0 { OrgRole::Viewer } else { OrgRole::Guest });
            insert(&mut conn, Scope::Org(&org.id), &org.id, &id, role, MemberStatus::Accepted, 0).await.unwrap();
        }
        for q in ["smith", "émi", "ÉMILE", "lee", "\"q\"", "o'n", "p12", ".3@ex", "nobody"] {
            for role in [None, Some("viewer")] {
                let mut pages = [Vec::new(), Vec::new()];
                for (i, trigram) in [true, false].into_iter().enumerate() {
                    let mut after = None;
                    loop {
                        let lq = ListQuery { q: Some(q), role, status: None, after: after.clone(), limit: 4 };
                        let search = if trigram { Search::Trigram(fts_phrase(q)) } else { Search::Like };
                        let mut page = list_sql(&mut conn, Scope::Org(&org.id), &lq, search).await.unwrap();
                        let more = page.len() > 4;
                        page.truncate(4);
                        after = page.last().map(|m| (m.email.clone(), m.user_id.to_string()));
                        pages[i].extend(page.into_iter().map(|m| m.email));
                        if !more {
                            break;
                        }
                    }
                }
                if q.is_ascii() {
                    assert_eq!(pages[0], pages[1], "q={q} role={role:?}");
                } else {
                    // SQLite's LOWER folds ASCII only: the index is the one that finds "ÉMILE".
                    let expected: Vec<String> = (0..60)
                        .filter(|n| names[n % 6].to_lowercase().contains(&q.to_lowercase()))
                        .filter(|n| role.is_none() || n % 3 == 0)
                        .map(|n| format!("p{n:02}.{}@example.test", n % 7))
                        .collect();
                    assert_eq!(pages[0], expected, "q={q} role={role:?}");
                }
                assert!(q == "nobody" || role.is_some() || !pages[0].is_empty(), "q={q} finds someone");
            }
        }
        // The index follows an edit.
        sqlx::query("UPDATE users SET name = 'Zed Quux' WHERE id = $1")
            .bind(user_id(0).as_str())
            .execute(&mut *conn)
            .await
            .unwrap();
        let lq = ListQuery { q: Some("quux"), role: None, status: None, after: None, limit: 10 };
        let found = list_sql(&mut conn, Scope::Org(&org.id), &lq, Search::Trigram(fts_phrase("quux"))).await.unwrap();
        assert_eq!(found.iter().map(|m| &m.user_id).collect::<Vec<_>>(), [&user_id(0)]);
    }
}
