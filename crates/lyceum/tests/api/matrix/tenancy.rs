//! The matrix's route table of the tenancy wing: organisations, workspaces, credits, members,
//! leaving, invitations.

use super::engine::{org, r, ws, Body, Need, Object, Route};

/// The tenancy wing's operations and what they need.
pub const ROUTES: &[Route] = &[
    r("POST", "/api/v1/orgs", Need::AnyUser { person_only: true }, Body::NewOrg, Object::None),
    r("GET", "/api/v1/orgs/{org}", Need::Org { perm: None, person_only: false }, Body::None, Object::None),
    r("GET", "/api/v1/orgs/{org}/workspaces", Need::Org { perm: None, person_only: false }, Body::None, Object::None),
    r("POST", "/api/v1/orgs/{org}/workspaces", org("workspaces.create"), Body::NewWorkspace, Object::None),
    r("PATCH", "/api/v1/workspaces/{ws}", ws("settings.manage"), Body::RenameWorkspace, Object::None),
    r("GET", "/api/v1/orgs/{org}/credits", org("credits.allocate"), Body::None, Object::None),
    r("GET", "/api/v1/orgs/{org}/members", org("members.view"), Body::None, Object::None),
    r("GET", "/api/v1/workspaces/{ws}/members", ws("members.view"), Body::None, Object::None),
    r("PATCH", "/api/v1/orgs/{org}/members/{user}", org("members.manage"), Body::Role("viewer"), Object::UserInPath),
    Route {
        destroys: true,
        ..r("DELETE", "/api/v1/orgs/{org}/members/{user}", org("members.manage"), Body::None, Object::UserInPath)
    },
    r(
        "PATCH",
        "/api/v1/workspaces/{ws}/members/{user}",
        ws("members.manage"),
        Body::Role("viewer"),
        Object::UserInPath,
    ),
    Route {
        destroys: true,
        ..r("DELETE", "/api/v1/workspaces/{ws}/members/{user}", ws("members.manage"), Body::None, Object::UserInPath)
    },
    Route {
        destroys: true,
        ..r(
            "POST",
            "/api/v1/workspaces/{ws}/members/remove",
            ws("members.manage"),
            Body::UserIds,
            Object::UserIdsInBody,
        )
    },
    Route {
        destroys: true,
        ..r("POST", "/api/v1/orgs/{org}/members/remove", org("members.manage"), Body::UserIds, Object::UserIdsInBody)
    },
    Route { stage: 1, ..r("POST", "/api/v1/workspaces/{ws}/leave", Need::OwnMembership, Body::None, Object::None) },
    Route { stage: 2, ..r("POST", "/api/v1/orgs/{org}/leave", Need::OwnMembership, Body::None, Object::None) },
    r("POST", "/api/v1/orgs/{org}/invitations", org("members.invite"), Body::Invite("guest"), Object::None),
    r("GET", "/api/v1/orgs/{org}/invitations", org("members.invite"), Body::None, Object::WorkspaceInQuery),
    r("POST", "/api/v1/workspaces/{ws}/invitations", ws("members.invite"), Body::Invite("learner"), Object::None),
    r(
        "POST",
        "/api/v1/invitations/{id}/resend",
        Need::Invitation { perm: "members.invite" },
        Body::None,
        Object::InvitationInPath,
    ),
    Route {
        destroys: true,
        ..r(
            "DELETE",
            "/api/v1/invitations/{id}",
            Need::Invitation { perm: "members.invite" },
            Body::None,
            Object::InvitationInPath,
        )
    },
    r("GET", "/api/v1/invitations/by-token/{token}", Need::Public, Body::None, Object::Token),
    r("POST", "/api/v1/invitations/accept", Need::AnyUser { person_only: true }, Body::Accept, Object::None),
];
