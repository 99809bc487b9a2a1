//! API keys: create (secret shown once), list, revoke.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use lyceum_domain::id::{ApiKeyId, OrgId, WorkspaceId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::web::openapi::{AuthErrors, BodyErrors, Conflict, NotFound};

use crate::accounts::api_keys::NewKey;
use crate::accounts::store::api_keys::ApiKeyRow;
use crate::web::error::ApiResult;
use crate::web::extract::{ApiJson, ApiPath, Auth};
use crate::web::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateKeyBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// An organisation role, or a workspace role when `workspace_id` is given.
    #[schema(pattern = "^(guest|viewer|editor|owner|trainer|reviewer|learner)$")]
    pub role: String,
    pub workspace_id: Option<String>,
    /// RFC 3339, in the future.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    pub id: String,
    pub name: String,
    /// The secret: shown only in this answer.
    pub key: String,
    pub prefix: String,
    pub role: String,
    pub workspace_id: Option<String>,
    pub expires_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub role: String,
    pub workspace_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(k: ApiKeyRow) -> ApiKey {
        use crate::kernel::db::rfc3339;
        ApiKey {
            id: k.id.into_string(),
            name: k.name,
            prefix: k.prefix,
            role: k.role.role_name().to_owned(),
            workspace_id: k.role.workspace_id().map(WorkspaceId::to_string),
            created_by: k.created_by.into_string(),
            created_at: rfc3339(k.created_at),
            expires_at: k.expires_at.map(rfc3339),
            revoked_at: k.revoked_at.map(rfc3339),
            last_used_at: k.last_used_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    pub items: Vec<ApiKey>,
    pub next_cursor: Option<String>,
}

/// Creates an API key; the secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/api-keys", tag = "api keys", params(("org" = String, Path)), request_body = CreateKeyBody, operation_id = "create_api_key",
    responses((status = 201, body = CreatedKey), AuthErrors, NotFound, BodyErrors))]
pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
    ApiJson(b): ApiJson<CreateKeyBody>,
) -> ApiResult<(StatusCode, Json<CreatedKey>)> {
    let input = NewKey { name: b.name, role: b.role, workspace_id: b.workspace_id, expires_at: b.expires_at };
    let (row, key) = state.lyceum.api_keys().create_api_key(&caller, &org, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            id: row.id.to_string(),
            name: row.name,
            key,
            prefix: row.prefix,
            role: row.role.role_name().to_owned(),
            workspace_id: row.role.workspace_id().map(WorkspaceId::to_string),
            expires_at: row.expires_at.map(crate::kernel::db::rfc3339),
        }),
    ))
}

/// The organisation's keys, never their secrets.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/api-keys", tag = "api keys", params(("org" = String, Path)), operation_id = "list_api_keys",
    responses((status = 200, body = ApiKeyList), AuthErrors, NotFound))]
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
) -> ApiResult<Json<ApiKeyList>> {
    let items = state.lyceum.api_keys().list_api_keys(&caller, &org).await?.into_iter().map(ApiKey::from).collect();
    Ok(Json(ApiKeyList { items, next_cursor: None }))
}

/// Revokes a key; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/api-keys/{id}", tag = "api keys", params(("org" = String, Path), ("id" = String, Path)), operation_id = "revoke_api_key",
    responses((status = 204, description = "revoked"), AuthErrors, NotFound, Conflict))]
pub async fn revoke(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath((org, id)): ApiPath<(OrgId, ApiKeyId)>,
) -> ApiResult<StatusCode> {
    state.lyceum.api_keys().revoke_api_key(&caller, &org, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
