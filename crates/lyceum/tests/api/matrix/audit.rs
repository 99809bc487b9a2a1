//! The matrix's route table of the audit wing: access checks and the audit trail.

use super::engine::{org, r, Body, Need, Object, Route};

/// The audit wing's operations and what they need.
pub const ROUTES: &[Route] = &[
    r("GET", "/api/v1/workspaces/{ws}/permissions", Need::Workspace { perm: None }, Body::None, Object::UserInQuery),
    r("POST", "/api/v1/orgs/{org}/check", org("org.manage"), Body::Check, Object::UserInBody),
    r("GET", "/api/v1/orgs/{org}/audit", org("audit.view"), Body::None, Object::WorkspaceInQuery),
];
