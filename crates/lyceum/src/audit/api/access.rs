//! Access checks answered by the permission engine: effective permissions, and "may user X do Y".

use axum::extract::State;
use axum::Json;
use lyceum_domain::id::{OrgId, UserId, WorkspaceId};
use lyceum_domain::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::web::openapi::{AuthErrors, BodyErrors, NotFound, QueryErrors};

use crate::web::error::ApiResult;
use crate::web::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::web::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PermissionsQuery {
    /// Whose permissions (default: the caller's).
    pub user_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Roles {
    pub org: Option<String>,
    pub workspace: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Permissions {
    pub permissions: Vec<String>,
    pub roles: Roles,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckBody {
    pub user_id: String,
    pub permission: String,
    pub workspace_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckAnswer {
    pub allowed: bool,
    /// The roles that grant it, as `org:<role>` or `workspace:<role>`.
    pub via: Vec<String>,
}

/// Effective permissions in a workspace.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/permissions", tag = "access", params(("ws" = String, Path), PermissionsQuery),
    responses((status = 200, body = Permissions), AuthErrors, NotFound, QueryErrors))]
pub async fn permissions(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
    ApiQuery(q): ApiQuery<PermissionsQuery>,
) -> ApiResult<Json<Permissions>> {
    // A person named by something that is not an id is not a member: 404, like one not found.
    let user = q.user_id.as_deref().map(|u| UserId::parse(u).ok_or(DomainError::NotFound)).transpose()?;
    let p = state.lyceum.audit().permissions(&caller, &ws, user.as_ref()).await?;
    Ok(Json(Permissions {
        permissions: p.permissions.into_iter().map(str::to_owned).collect(),
        roles: Roles { org: p.org_role, workspace: p.workspace_role },
    }))
}

/// May a user do something (in a workspace, or at organisation scope)? For organisation owners
/// and owner-role API keys.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/check", tag = "access", params(("org" = String, Path)), request_body = CheckBody,
    responses((status = 200, body = CheckAnswer), AuthErrors, NotFound, BodyErrors))]
pub async fn check(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
    ApiJson(b): ApiJson<CheckBody>,
) -> ApiResult<Json<CheckAnswer>> {
    let (allowed, via) =
        state.lyceum.audit().check(&caller, &org, &b.user_id, &b.permission, b.workspace_id.as_deref()).await?;
    Ok(Json(CheckAnswer { allowed, via }))
}
