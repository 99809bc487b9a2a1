//! The matrix's route table of the accounts wing: signup, sessions, the profile, API keys.

use super::engine::{org, r, Body, Need, Object, Route};

/// The accounts wing's operations and what they need.
pub const ROUTES: &[Route] = &[
    Route { stage: 3, ..r("POST", "/api/v1/auth/login", Need::Public, Body::Login, Object::None) },
    Route { stage: 4, ..r("POST", "/api/v1/auth/logout", Need::Public, Body::None, Object::None) },
    r("POST", "/api/v1/auth/signup", Need::Public, Body::Signup, Object::None),
    r("GET", "/api/v1/me", Need::AnyUser { person_only: true }, Body::None, Object::None),
    r("PATCH", "/api/v1/me", Need::AnyUser { person_only: true }, Body::Profile, Object::None),
    r(
        "POST",
        "/api/v1/orgs/{org}/api-keys",
        Need::Org { perm: Some("api_keys.manage"), person_only: true },
        Body::NewKey,
        Object::WorkspaceInBody,
    ),
    r("GET", "/api/v1/orgs/{org}/api-keys", org("api_keys.manage"), Body::None, Object::None),
    Route {
        destroys: true,
        ..r("DELETE", "/api/v1/orgs/{org}/api-keys/{id}", org("api_keys.manage"), Body::None, Object::KeyInPath)
    },
];
