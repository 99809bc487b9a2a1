//! Organisations, workspaces and credits.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use lyceum_domain::id::{OrgId, WorkspaceId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::web::openapi::{AuthErrors, BodyErrors, Conflict, NotFound};

use crate::tenancy::orgs::{NewOrg, OrgView};
use crate::tenancy::store::orgs::WorkspaceRow;
use crate::web::error::ApiResult;
use crate::web::extract::{ApiJson, ApiPath, Auth};
use crate::web::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateOrgBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `pro` or `enterprise`
    #[schema(pattern = "^(pro|enterprise)$")]
    pub plan: String,
    /// Default 10.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub seats: Option<i64>,
    /// Default 0.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub credit_pool: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub plan: String,
    pub seats: i64,
    pub credit_pool: i64,
    pub created_at: String,
    pub workspaces: Vec<WorkspaceRef>,
}

impl From<OrgView> for Organization {
    fn from(v: OrgView) -> Organization {
        Organization {
            id: v.org.id.into_string(),
            name: v.org.name,
            plan: v.org.plan.as_str().to_owned(),
            seats: v.org.seats,
            credit_pool: v.org.credit_pool,
            created_at: crate::kernel::db::rfc3339(v.org.created_at),
            workspaces: v
                .workspaces
                .into_iter()
                .map(|w| WorkspaceRef { id: w.id.into_string(), name: w.name })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Workspace {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub credit_limit: i64,
    /// This billing period's spend (an exact decimal).
    #[schema(value_type = f64)]
    pub credits_used: lyceum_domain::credits::Micros,
}

impl From<WorkspaceRow> for Workspace {
    fn from(w: WorkspaceRow) -> Workspace {
        Workspace {
            id: w.id.into_string(),
            organization_id: w.org_id.into_string(),
            name: w.name,
            credit_limit: w.credit_limit,
            credits_used: w.credits_used,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceList {
    pub items: Vec<Workspace>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateWorkspaceBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(minimum = 0)]
    pub credit_limit: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateWorkspaceBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(minimum = 0)]
    pub credit_limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceCredits {
    pub id: String,
    pub name: String,
    pub limit: i64,
    #[schema(value_type = f64)]
    pub used: lyceum_domain::credits::Micros,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Credits {
    pub pool: i64,
    pub allocated: i64,
    pub unallocated: i64,
    pub workspaces: Vec<WorkspaceCredits>,
}

/// Creates an organisation (the caller becomes its owner) with its first workspace.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "organizations", request_body = CreateOrgBody,
    responses((status = 201, body = Organization), AuthErrors, BodyErrors))]
pub async fn create_org(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiJson(b): ApiJson<CreateOrgBody>,
) -> ApiResult<(StatusCode, Json<Organization>)> {
    let input = NewOrg { name: b.name, plan: b.plan, seats: b.seats, credit_pool: b.credit_pool };
    let view = state.lyceum.orgs().create_org(&caller, input).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// An organisation the caller belongs to.
#[utoipa::path(get, path = "/api/v1/orgs/{org}", tag = "organizations", params(("org" = String, Path)),
    responses((status = 200, body = Organization), AuthErrors, NotFound))]
pub async fn get_org(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
) -> ApiResult<Json<Organization>> {
    Ok(Json(state.lyceum.orgs().get_org(&caller, &org).await?.into()))
}

/// The workspaces of the organisation the caller can see.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/workspaces", tag = "organizations", params(("org" = String, Path)),
    responses((status = 200, body = WorkspaceList), AuthErrors, NotFound))]
pub async fn list_workspaces(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
) -> ApiResult<Json<WorkspaceList>> {
    let items = state.lyceum.orgs().list_workspaces(&caller, &org).await?.into_iter().map(Workspace::from).collect();
    Ok(Json(WorkspaceList { items, next_cursor: None }))
}

/// Creates a workspace (organisation owners; plan and credit pool permitting).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/workspaces", tag = "organizations", params(("org" = String, Path)),
    request_body = CreateWorkspaceBody,
    responses((status = 201, body = Workspace), AuthErrors, NotFound, Conflict, BodyErrors))]
pub async fn create_workspace(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
    ApiJson(b): ApiJson<CreateWorkspaceBody>,
) -> ApiResult<(StatusCode, Json<Workspace>)> {
    let ws = state.lyceum.orgs().create_workspace(&caller, &org, &b.name, b.credit_limit).await?;
    Ok((StatusCode::CREATED, Json(ws.into())))
}

/// Renames a workspace or changes its credit limit.
#[utoipa::path(patch, path = "/api/v1/workspaces/{ws}", tag = "organizations", params(("ws" = String, Path)),
    request_body = UpdateWorkspaceBody,
    responses((status = 200, body = Workspace), AuthErrors, NotFound, Conflict, BodyErrors))]
pub async fn update_workspace(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
    ApiJson(b): ApiJson<UpdateWorkspaceBody>,
) -> ApiResult<Json<Workspace>> {
    let ws = state.lyceum.orgs().update_workspace(&caller, &ws, b.name.as_deref(), b.credit_limit).await?;
    Ok(Json(ws.into()))
}

/// The credit pool and its allocation to workspaces.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/credits", tag = "organizations", params(("org" = String, Path)),
    responses((status = 200, body = Credits), AuthErrors, NotFound))]
pub async fn credits(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
) -> ApiResult<Json<Credits>> {
    let c = state.lyceum.orgs().credits(&caller, &org).await?;
    Ok(Json(Credits {
        pool: c.pool,
        allocated: c.allocated,
        unallocated: c.pool - c.allocated,
        workspaces: c
            .workspaces
            .into_iter()
            .map(|w| WorkspaceCredits {
                id: w.id.into_string(),
                name: w.name,
                limit: w.credit_limit,
                used: w.credits_used,
            })
            .collect(),
    }))
}
