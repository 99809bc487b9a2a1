//! Workspaces of an organisation (its owners): credit limits and use, the pool, creating a
//! workspace within the plan and the pool, and changing a workspace's credit limit in its row.

use crate::web::ui::session::PagePath;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use lyceum_domain::id::{OrgId, WorkspaceId};
use lyceum_domain::DomainError;
use serde::Deserialize;

use crate::kernel::whereabouts::Place;
use crate::kernel::{Result, ServiceError};
use crate::tenancy::orgs::NewOrg;
use crate::tenancy::store::orgs::WorkspaceRow;
use crate::web::ui::form::{sentence, FieldErrors};
use crate::web::ui::session::{redirect_with, render, service_error_page, PageForm, Viewer};
use crate::web::ui::shell::Shell;
use crate::web::AppState;

/// Parses a whole number typed into `field`.
pub fn whole_number(field: &str, typed: &str) -> Result<i64> {
    typed.trim().parse::<i64>().map_err(|_| DomainError::invalid(field, "must be a whole number").into())
}

/// An error shown in one workspace's row, with the value typed there.
struct RowError {
    workspace_id: WorkspaceId,
    typed: String,
    message: String,
}

#[derive(Template)]
#[template(path = "tenancy/workspaces.html")]
struct WorkspacesPage {
    shell: Shell,
    org: OrgId,
    workspaces: Vec<WorkspaceRow>,
    pool: i64,
    allocated: i64,
    unallocated: i64,
    /// Pro plan with its one workspace: the form gives way to `#plan-note`.
    plan_full: bool,
    plan: lyceum_domain::Plan,
    name: String,
    credit_limit: String,
    errors: FieldErrors,
    error: String,
    /// The stable code of a form-wide refusal (`plan_limit`, …), for styling and tests.
    error_code: &'static str,
    row_error: Option<RowError>,
}

impl WorkspacesPage {
    /// The value to show in a row's credit limit input (what was typed there if it was refused).
    fn limit_value(&self, w: &WorkspaceRow) -> String {
        match &self.row_error {
            Some(e) if e.workspace_id == w.id => e.typed.clone(),
            _ => w.credit_limit.to_string(),
        }
    }

    fn row_message(&self, w: &WorkspaceRow) -> String {
        match &self.row_error {
            Some(e) if e.workspace_id == w.id => e.message.clone(),
            _ => String::new(),
        }
    }
}

/// What the create form held, and how it was refused.
#[derive(Default)]
struct Typed {
    name: String,
    credit_limit: String,
    errors: FieldErrors,
    error: String,
    error_code: &'static str,
    row_error: Option<RowError>,
}

/// Builds the page; the service calls decide who may see it (owners; others 403, strangers 404).
async fn page(state: &AppState, viewer: &Viewer, org: &OrgId, typed: Typed) -> Result<WorkspacesPage> {
    let lyceum = &state.lyceum;
    let credits = lyceum.orgs().credits(&viewer.caller, org).await?;
    let plan = lyceum.orgs().get_org(&viewer.caller, org).await?.org.plan;
    let shell = Shell::build(lyceum, viewer, "Workspaces", Place::Org(org), "workspaces").await?;
    let plan_full = plan.workspace_limit().is_some_and(|limit| credits.workspaces.len() >= limit);
    Ok(WorkspacesPage {
        shell,
        org: org.clone(),
        pool: credits.pool,
        allocated: credits.allocated,
        unallocated: (credits.pool - credits.allocated).max(0),
        workspaces: credits.workspaces,
        plan_full,
        plan,
        credit_limit: typed.credit_limit,
        name: typed.name,
        errors: typed.errors,
        error: typed.error,
        error_code: typed.error_code,
        row_error: typed.row_error,
    })
}

fn show(result: Result<WorkspacesPage>) -> Response {
    match result {
        Ok(p) => {
            let flash = p.shell.flash.is_some();
            render(&p, flash)
        }
        Err(e) => service_error_page(e),
    }
}

/// `GET /o/{org}/workspaces`
pub async fn workspaces_page(
    State(state): State<AppState>,
    viewer: Viewer,
    PagePath(org): PagePath<OrgId>,
) -> Response {
    show(page(&state, &viewer, &org, Typed { credit_limit: "0".to_owned(), ..Typed::default() }).await)
}

#[derive(Deserialize)]
pub struct NewWorkspaceForm {
    name: String,
    credit_limit: String,
}

/// `POST /o/{org}/workspaces`: creates a workspace, or shows the form again with the refusal.
pub async fn create_workspace(
    State(state): State<AppState>,
    PagePath(org): PagePath<OrgId>,
    PageForm { viewer, form: f }: PageForm<NewWorkspaceForm>,
) -> Response {
    let created = async {
        let limit = whole_number("credit_limit", &f.credit_limit)?;
        state.lyceum.orgs().create_workspace(&viewer.caller, &org, &f.name, limit).await
    }
    .await;
    let e = match created {
        Ok(ws) => {
            return redirect_with(
                &format!("/o/{org}/workspaces"),
                "success",
                format!("Workspace {} created with a credit limit of {}.", ws.name, ws.credit_limit),
            )
        }
        Err(e) => e,
    };
    let mut typed = Typed { name: f.name, credit_limit: f.credit_limit, ..Typed::default() };
    match e {
        ServiceError::Domain(DomainError::PlanLimit(_)) => typed.error_code = "plan_limit",
        ServiceError::Domain(DomainError::CreditPoolExceeded(_)) => typed.error_code = "credit_pool_exceeded",
        ServiceError::Domain(DomainError::NotFound | DomainError::Forbidden(_)) => return service_error_page(e),
        _ => {}
    }
    let (errors, error) = FieldErrors::from_error(e);
    typed.errors = errors;
    typed.error = sentence(error);
    show(page(&state, &viewer, &org, typed).await)
}

#[derive(Deserialize)]
pub struct CreditLimitForm {
    credit_limit: String,
}

/// `POST /o/{org}/workspaces/{ws}/credit-limit`: changes one workspace's credit limit.
pub async fn update_credit_limit(
    State(state): State<AppState>,
    PagePath((org, ws)): PagePath<(OrgId, WorkspaceId)>,
    PageForm { viewer, form: f }: PageForm<CreditLimitForm>,
) -> Response {
    let updated = async {
        let limit = whole_number("credit_limit", &f.credit_limit)?;
        state.lyceum.orgs().update_workspace(&viewer.caller, &ws, None, Some(limit)).await
    }
    .await;
    match updated {
        Ok(w) => redirect_with(
            &format!("/o/{org}/workspaces"),
            "success",
            format!("The credit limit of {} is now {}.", w.name, w.credit_limit),
        ),
        Err(e @ ServiceError::Domain(DomainError::NotFound | DomainError::Forbidden(_))) => service_error_page(e),
        Err(e) => {
            let message = match e {
                ServiceError::Domain(DomainError::Validation { field: _, message }) => {
                    format!("Credit limit {message}")
                }
                other => sentence(crate::web::ui::session::message_of(other)),
            };
            let row_error = Some(RowError { workspace_id: ws, typed: f.credit_limit, message });
            let typed = Typed { credit_limit: "0".to_owned(), row_error, ..Typed::default() };
            show(page(&state, &viewer, &org, typed).await)
        }
    }
}

#[derive(Template)]
#[template(path = "tenancy/orgs_new.html")]
struct NewOrgPage {
    shell: Shell,
    name: String,
    plan: String,
    seats: String,
    credit_pool: String,
    errors: FieldErrors,
    error: String,
}

pub async fn new_org_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    match Shell::build(&state.lyceum, &viewer, "Create an organisation", Place::Nowhere, "").await {
        Ok(shell) => {
            let flash = shell.flash.is_some();
            let page = NewOrgPage {
                shell,
                name: String::new(),
                plan: "pro".into(),
                seats: "10".into(),
                credit_pool: "0".into(),
                errors: FieldErrors::default(),
                error: String::new(),
            };
            render(&page, flash)
        }
        Err(e) => service_error_page(e),
    }
}

#[derive(Deserialize)]
pub struct NewOrgForm {
    name: String,
    plan: String,
    seats: String,
    credit_pool: String,
}

pub async fn create_org(State(state): State<AppState>, PageForm { viewer, form: f }: PageForm<NewOrgForm>) -> Response {
    let number = |field: &str, s: &str| {
        s.trim().parse::<i64>().map_err(|_| ServiceError::from(DomainError::invalid(field, "must be a whole number")))
    };
    let result = async {
        let seats = number("seats", &f.seats)?;
        let credit_pool = number("credit_pool", &f.credit_pool)?;
        state
            .lyceum
            .orgs()
            .create_org(
                &viewer.caller,
                NewOrg {
                    name: f.name.clone(),
                    plan: f.plan.clone(),
                    seats: Some(seats),
                    credit_pool: Some(credit_pool),
                },
            )
            .await
    }
    .await;
    match result {
        Ok(view) => redirect_with(
            &format!("/w/{}/members", view.workspaces[0].id),
            "success",
            format!("Organisation {} created.", view.org.name),
        ),
        Err(e) => {
            let (errors, error) = FieldErrors::from_error(e);
            match Shell::build(&state.lyceum, &viewer, "Create an organisation", Place::Nowhere, "").await {
                Ok(shell) => render(
                    &NewOrgPage {
                        shell,
                        name: f.name,
                        plan: f.plan,
                        seats: f.seats,
                        credit_pool: f.credit_pool,
                        errors,
                        error,
                    },
                    false,
                ),
                Err(e) => service_error_page(e),
            }
        }
    }
}
