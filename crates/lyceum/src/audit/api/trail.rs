//! The audit trail of an organisation.

use axum::extract::State;
use axum::Json;
use lyceum_domain::id::OrgId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::web::openapi::Page;
use crate::web::openapi::{AuthErrors, NotFound, QueryErrors};

use crate::audit::trail::AuditFilter;
use crate::kernel::audit_chain::EventRow;
use crate::web::error::ApiResult;
use crate::web::extract::{ApiPath, ApiQuery, Auth};
use crate::web::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// A user or key id, or an email.
    pub actor: Option<String>,
    /// An action (`member.removed`) or a family (`member`).
    pub action: Option<String>,
    pub workspace_id: Option<String>,
    /// RFC 3339, inclusive.
    pub from: Option<String>,
    /// RFC 3339, inclusive.
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditActor {
    /// `user | api_key | anonymous | system`
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditTarget {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: String,
    pub seq: i64,
    pub at: String,
    pub actor: AuditActor,
    pub action: String,
    pub target: AuditTarget,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// This event's link in the organisation's hash chain.
    pub hash: String,
}

impl From<EventRow> for AuditEvent {
    fn from(e: EventRow) -> AuditEvent {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        AuditEvent {
            id: e.id,
            seq: e.seq,
            at: crate::kernel::db::rfc3339(e.at),
            actor: AuditActor { kind: e.actor_type, id: e.actor_id, email: e.actor_email },
            action: e.action,
            target: AuditTarget { kind: e.target_type, id: e.target_id },
            workspace_id: e.workspace_id,
            before: parse(e.before_state),
            after: parse(e.after_state),
            ip: e.ip,
            user_agent: e.user_agent,
            hash: e.hash,
        }
    }
}

/// Audit events of the organisation, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audit", tag = "audit", params(("org" = String, Path), AuditQuery), operation_id = "list_audit",
    responses((status = 200, body = Page<AuditEvent>), AuthErrors, NotFound, QueryErrors))]
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEvent>>> {
    let filter = AuditFilter {
        actor: q.actor,
        action: q.action,
        workspace_id: q.workspace_id,
        from: q.from,
        to: q.to,
        limit: q.limit,
        cursor: q.cursor,
    };
    let page = state.lyceum.audit().list_audit(&caller, &org, filter).await?;
    Ok(Json(Page::map(page, AuditEvent::from)))
}
