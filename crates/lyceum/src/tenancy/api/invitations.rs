//! Invitations: invite many addresses, list, resend, revoke, look up and accept by token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use lyceum_domain::id::{InvitationId, OrgId, WorkspaceId};
use lyceum_domain::{DomainError, MemberRole};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::web::openapi::Page;
use crate::web::openapi::{AuthErrors, BodyErrors, Conflict, Gone, NotFound, QueryErrors, RateLimited};

use crate::kernel::scope::ScopeRef;
use crate::tenancy::store::invitations::InvitationRow;
use crate::web::error::ApiResult;
use crate::web::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::web::AppState;

/// Addresses: an array, or one string separated by commas and/or newlines.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Emails {
    List(Vec<String>),
    Text(String),
}

impl Emails {
    fn into_vec(self) -> Vec<String> {
        match self {
            Emails::List(v) => v,
            Emails::Text(s) => vec![s],
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteBody {
    pub emails: Emails,
    #[schema(pattern = "^(guest|viewer|editor|owner|trainer|reviewer|learner)$")]
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InviteOutcome {
    pub email: String,
    /// `added | pending | invited | already_member | invalid`
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InviteResults {
    pub results: Vec<InviteOutcome>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub org_role: String,
    pub workspace_id: Option<String>,
    pub workspace_role: Option<String>,
    /// `pending | accepted | revoked | expired`
    pub status: String,
    pub created_at: String,
    pub expires_at: String,
}

impl From<InvitationRow> for Invitation {
    fn from(i: InvitationRow) -> Invitation {
        let status = i.status(crate::kernel::db::now_ms()).to_string();
        Invitation {
            id: i.id.into_string(),
            email: i.email,
            org_role: i.org_role.as_str().to_owned(),
            workspace_id: i.workspace_id.map(WorkspaceId::into_string),
            workspace_role: i.workspace_role.map(|r| r.as_str().to_owned()),
            status,
            created_at: crate::kernel::db::rfc3339(i.created_at),
            expires_at: crate::kernel::db::rfc3339(i.expires_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvitationQuery {
    pub workspace_id: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOffer {
    pub organization_name: String,
    pub workspace_name: Option<String>,
    pub email: String,
    pub role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptBody {
    pub token: String,
}

async fn invite(
    state: &AppState,
    caller: &crate::kernel::Caller,
    target: ScopeRef<'_>,
    b: InviteBody,
) -> ApiResult<Json<InviteResults>> {
    let role = match target {
        ScopeRef::Org(_) => MemberRole::parse_org(&b.role)?,
        ScopeRef::Workspace(_) => MemberRole::parse_workspace(&b.role)?,
    };
    let results = state.lyceum.invitations().invite(caller, target, &b.emails.into_vec(), role).await?;
    Ok(Json(InviteResults {
        results: results
            .into_iter()
            .map(|r| InviteOutcome {
                email: r.email,
                outcome: r.outcome.as_str().to_owned(),
                invitation_id: r.invitation_id.map(InvitationId::into_string),
            })
            .collect(),
    }))
}

/// Invites addresses to the organisation with an organisation role.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/invitations", tag = "invitations", params(("org" = String, Path)),
    request_body = InviteBody,
    responses((status = 200, body = InviteResults), AuthErrors, NotFound, Conflict, BodyErrors, RateLimited))]
pub async fn invite_to_org(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
    ApiJson(b): ApiJson<InviteBody>,
) -> ApiResult<Json<InviteResults>> {
    invite(&state, &caller, ScopeRef::Org(&org), b).await
}

/// Invites addresses to a workspace with a workspace role.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/invitations", tag = "invitations", params(("ws" = String, Path)),
    request_body = InviteBody,
    responses((status = 200, body = InviteResults), AuthErrors, NotFound, Conflict, BodyErrors, RateLimited))]
pub async fn invite_to_workspace(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
    ApiJson(b): ApiJson<InviteBody>,
) -> ApiResult<Json<InviteResults>> {
    invite(&state, &caller, ScopeRef::Workspace(&ws), b).await
}

/// The organisation's invitations, newest first (optionally one workspace's).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/invitations", tag = "invitations", params(("org" = String, Path), InvitationQuery), operation_id = "list_invitations",
    responses((status = 200, body = Page<Invitation>), AuthErrors, NotFound, QueryErrors))]
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
    ApiQuery(q): ApiQuery<InvitationQuery>,
) -> ApiResult<Json<Page<Invitation>>> {
    // A workspace filter that is not an id names no workspace: 404, like one not found.
    let workspace =
        q.workspace_id.as_deref().map(|w| WorkspaceId::parse(w).ok_or(DomainError::NotFound)).transpose()?;
    let page = state
        .lyceum
        .invitations()
        .list_invitations(&caller, &org, workspace.as_ref(), q.cursor.as_deref(), q.limit)
        .await?;
    Ok(Json(Page::map(page, Invitation::from)))
}

/// Sends the invitation again with a new token; the old one stops working.
#[utoipa::path(post, path = "/api/v1/invitations/{id}/resend", tag = "invitations", params(("id" = String, Path)), operation_id = "resend_invitation",
    responses((status = 200, body = Invitation), AuthErrors, NotFound, Conflict))]
pub async fn resend(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<InvitationId>,
) -> ApiResult<Json<Invitation>> {
    Ok(Json(state.lyceum.invitations().resend_invitation(&caller, &id).await?.into()))
}

/// Revokes an outstanding invitation.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "invitations", params(("id" = String, Path)), operation_id = "revoke_invitation",
    responses((status = 204, description = "revoked"), AuthErrors, NotFound, Conflict))]
pub async fn revoke(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<InvitationId>,
) -> ApiResult<StatusCode> {
    state.lyceum.invitations().revoke_invitation(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an invitation offers (no authentication: the token is the secret).
#[utoipa::path(get, path = "/api/v1/invitations/by-token/{token}", tag = "invitations", params(("token" = String, Path)), security(()),
    responses((status = 200, body = TokenOffer), NotFound, Gone))]
pub async fn by_token(State(state): State<AppState>, ApiPath(token): ApiPath<String>) -> ApiResult<Json<TokenOffer>> {
    let t = state.lyceum.invitations().invitation_by_token(&token).await?;
    Ok(Json(TokenOffer {
        organization_name: t.organization_name,
        workspace_name: t.workspace_name,
        email: t.email,
        role: t.role.as_str().to_owned(),
    }))
}

/// Accepts an invitation sent to the signed-in user's address.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "invitations", request_body = AcceptBody, operation_id = "accept_invitation",
    responses((status = 200, body = Invitation), AuthErrors, BodyErrors, Gone))]
pub async fn accept(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiJson(b): ApiJson<AcceptBody>,
) -> ApiResult<Json<Invitation>> {
    Ok(Json(state.lyceum.invitations().accept_invitation(&caller, &b.token).await?.into()))
}
