//! The matrix's route table of the credits wing: models and prices, credits, usage, budgets,
//! AI spend.

use super::engine::{org, r, ws, Body, Need, Object, Route};

/// The credits wing's operations and what they need.
pub const ROUTES: &[Route] = &[
    r("GET", "/api/v1/orgs/{org}/models", Need::Org { perm: None, person_only: false }, Body::None, Object::None),
    r("PUT", "/api/v1/orgs/{org}/models/{name}", org("org.manage"), Body::Price, Object::None),
    // `usage.view` or `credits.allocate`: every role holding the second holds the first.
    r("GET", "/api/v1/workspaces/{ws}/credits", ws("usage.view"), Body::None, Object::None),
    r("POST", "/api/v1/workspaces/{ws}/usage", ws("usage.view"), Body::Usage, Object::None),
    r("PUT", "/api/v1/workspaces/{ws}/budget", ws("settings.manage"), Body::Budget, Object::None),
    r("GET", "/api/v1/workspaces/{ws}/ai-spend", ws("usage.view"), Body::None, Object::None),
    r("GET", "/api/v1/orgs/{org}/ai-spend", org("usage.view"), Body::None, Object::None),
];
