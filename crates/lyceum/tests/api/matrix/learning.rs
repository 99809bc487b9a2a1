//! The matrix's route table of the learning wing: courses, drafts, versions, templates, tags.

use super::engine::{course, r, ws, Body, Object, Route};

/// The learning wing's operations and what they need.
pub const ROUTES: &[Route] = &[
    r("POST", "/api/v1/workspaces/{ws}/courses", ws("content.create"), Body::NewCourse, Object::None),
    r("GET", "/api/v1/workspaces/{ws}/courses", ws("content.view"), Body::None, Object::None),
    r("GET", "/api/v1/courses/{course}", course(None), Body::None, Object::CourseInPath),
    r("PUT", "/api/v1/courses/{course}/draft", course(Some("content.create")), Body::Draft, Object::CourseInPath),
    r("POST", "/api/v1/courses/{course}/publish", course(Some("content.publish")), Body::None, Object::CourseInPath),
    r("GET", "/api/v1/courses/{course}/versions/{n}", course(None), Body::None, Object::CourseInPath),
    r("POST", "/api/v1/courses/{course}/duplicate", course(Some("content.create")), Body::None, Object::CourseInPath),
    Route {
        destroys: true,
        ..r("DELETE", "/api/v1/courses/{course}", course(Some("content.create")), Body::None, Object::CourseInPath)
    },
    r("POST", "/api/v1/courses/{course}/restore", course(Some("content.create")), Body::None, Object::CourseInPath),
    r("POST", "/api/v1/courses/{course}/template", course(Some("content.create")), Body::Empty, Object::CourseInPath),
    r("GET", "/api/v1/workspaces/{ws}/templates", ws("content.view"), Body::None, Object::None),
    r("GET", "/api/v1/workspaces/{ws}/tags", ws("content.view"), Body::None, Object::None),
    // Sent without a multipart body: a permitted caller is told 415, after the permission check.
    r("POST", "/api/v1/workspaces/{ws}/courses/import", ws("content.create"), Body::None, Object::None),
    r("POST", "/api/v1/workspaces/{ws}/media", ws("content.create"), Body::None, Object::None),
    r("POST", "/api/v1/workspaces/{ws}/courses/generate", ws("content.create"), Body::NoTopic, Object::None),
    r(
        "POST",
        "/api/v1/templates/{t}/regenerate",
        course(Some("content.create")),
        Body::NoAudience,
        Object::TemplateInPath,
    ),
];
