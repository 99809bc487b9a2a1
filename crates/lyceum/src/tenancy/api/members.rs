//! Members of an organisation or a workspace: list, change role, remove, bulk remove.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use lyceum_domain::id::{OrgId, UserId, WorkspaceId};
use lyceum_domain::MemberRole;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::web::openapi::Page;
use crate::web::openapi::{AuthErrors, BodyErrors, Conflict, NotFound, QueryErrors};

use crate::kernel::scope::ScopeRef;
use crate::tenancy::members::MemberFilter;
use crate::tenancy::store::members::MemberRow;
use crate::web::error::ApiResult;
use crate::web::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::web::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    /// `pending | accepted`
    pub status: String,
}

impl From<MemberRow> for Member {
    fn from(m: MemberRow) -> Member {
        Member {
            user_id: m.user_id.into_string(),
            email: m.email,
            name: m.name,
            role: m.role.as_str().to_owned(),
            status: m.status.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberEnvelope {
    pub member: Member,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Substring of name or email, case-insensitive.
    pub q: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl From<MemberQuery> for MemberFilter {
    fn from(q: MemberQuery) -> MemberFilter {
        MemberFilter { q: q.q, role: q.role, status: q.status, limit: q.limit, cursor: q.cursor }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleBody {
    #[schema(pattern = "^(guest|viewer|editor|owner|trainer|reviewer|learner)$")]
    pub role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkRemoveBody {
    #[schema(min_items = 1)]
    pub user_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    pub removed: u64,
}

async fn list(
    state: &AppState,
    caller: &crate::kernel::Caller,
    target: ScopeRef<'_>,
    q: MemberQuery,
) -> ApiResult<Json<Page<Member>>> {
    let page = state.lyceum.members().list_members(caller, target, q.into()).await?;
    Ok(Json(Page::map(page, Member::from)))
}

/// Members of an organisation.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/members", tag = "members", params(("org" = String, Path), MemberQuery),
    responses((status = 200, body = Page<Member>), AuthErrors, NotFound, QueryErrors))]
pub async fn list_org(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
    ApiQuery(q): ApiQuery<MemberQuery>,
) -> ApiResult<Json<Page<Member>>> {
    list(&state, &caller, ScopeRef::Org(&org), q).await
}

/// Members of a workspace.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/members", tag = "members", params(("ws" = String, Path), MemberQuery),
    responses((status = 200, body = Page<Member>), AuthErrors, NotFound, QueryErrors))]
pub async fn list_workspace(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
    ApiQuery(q): ApiQuery<MemberQuery>,
) -> ApiResult<Json<Page<Member>>> {
    list(&state, &caller, ScopeRef::Workspace(&ws), q).await
}

/// Changes a member's organisation role.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/members/{user}", tag = "members", params(("org" = String, Path), ("user" = String, Path)),
    request_body = RoleBody,
    responses((status = 200, body = MemberEnvelope), AuthErrors, NotFound, Conflict, BodyErrors))]
pub async fn change_org_role(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath((org, user)): ApiPath<(OrgId, UserId)>,
    ApiJson(b): ApiJson<RoleBody>,
) -> ApiResult<Json<MemberEnvelope>> {
    let m = state
        .lyceum
        .members()
        .change_role(&caller, ScopeRef::Org(&org), &user, MemberRole::parse_org(&b.role)?)
        .await?;
    Ok(Json(MemberEnvelope { member: m.into() }))
}

/// Changes a member's workspace role.
#[utoipa::path(patch, path = "/api/v1/workspaces/{ws}/members/{user}", tag = "members", params(("ws" = String, Path), ("user" = String, Path)),
    request_body = RoleBody,
    responses((status = 200, body = MemberEnvelope), AuthErrors, NotFound, Conflict, BodyErrors))]
pub async fn change_workspace_role(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath((ws, user)): ApiPath<(WorkspaceId, UserId)>,
    ApiJson(b): ApiJson<RoleBody>,
) -> ApiResult<Json<MemberEnvelope>> {
    let m = state
        .lyceum
        .members()
        .change_role(&caller, ScopeRef::Workspace(&ws), &user, MemberRole::parse_workspace(&b.role)?)
        .await?;
    Ok(Json(MemberEnvelope { member: m.into() }))
}

/// Removes a member from the organisation and all its workspaces.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/members/{user}", tag = "members", params(("org" = String, Path), ("user" = String, Path)),
    responses((status = 204, description = "removed"), AuthErrors, NotFound, Conflict))]
pub async fn remove_from_org(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath((org, user)): ApiPath<(OrgId, String)>,
) -> ApiResult<StatusCode> {
    state.lyceum.members().remove_members(&caller, ScopeRef::Org(&org), &[user]).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member from a workspace.
#[utoipa::path(delete, path = "/api/v1/workspaces/{ws}/members/{user}", tag = "members", params(("ws" = String, Path), ("user" = String, Path)),
    responses((status = 204, description = "removed"), AuthErrors, NotFound, Conflict))]
pub async fn remove_from_workspace(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath((ws, user)): ApiPath<(WorkspaceId, String)>,
) -> ApiResult<StatusCode> {
    state.lyceum.members().remove_members(&caller, ScopeRef::Workspace(&ws), &[user]).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes several members of a workspace, all or nothing.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/members/remove", tag = "members", params(("ws" = String, Path)),
    request_body = BulkRemoveBody,
    responses((status = 200, body = Removed), AuthErrors, NotFound, Conflict, BodyErrors))]
pub async fn bulk_remove_from_workspace(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
    ApiJson(b): ApiJson<BulkRemoveBody>,
) -> ApiResult<Json<Removed>> {
    let removed = state.lyceum.members().remove_members(&caller, ScopeRef::Workspace(&ws), &b.user_ids).await?;
    Ok(Json(Removed { removed }))
}

/// Removes several members of the organisation (and all their workspace memberships), all or nothing.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/members/remove", tag = "members", params(("org" = String, Path)),
    request_body = BulkRemoveBody,
    responses((status = 200, body = Removed), AuthErrors, NotFound, Conflict, BodyErrors))]
pub async fn bulk_remove_from_org(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
    ApiJson(b): ApiJson<BulkRemoveBody>,
) -> ApiResult<Json<Removed>> {
    let removed = state.lyceum.members().remove_members(&caller, ScopeRef::Org(&org), &b.user_ids).await?;
    Ok(Json(Removed { removed }))
}

/// The caller leaves the organisation and all its workspaces (refused for the last owner).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/leave", tag = "members", params(("org" = String, Path)),
    responses((status = 204, description = "left"), AuthErrors, NotFound, Conflict))]
pub async fn leave_org(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
) -> ApiResult<StatusCode> {
    state.lyceum.members().leave(&caller, ScopeRef::Org(&org)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller leaves a workspace (staying a member of the organisation).
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/leave", tag = "members", params(("ws" = String, Path)),
    responses((status = 204, description = "left"), AuthErrors, NotFound, Conflict))]
pub async fn leave_workspace(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
) -> ApiResult<StatusCode> {
    state.lyceum.members().leave(&caller, ScopeRef::Workspace(&ws)).await?;
    Ok(StatusCode::NO_CONTENT)
}
