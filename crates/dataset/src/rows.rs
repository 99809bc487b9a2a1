//! How each generated row binds to its table's columns, for `bulk::insert`.

use super::bulk::{AnyQuery, Row};
use super::plan::{Invitation, Org, OrgMember, User, Workspace, WorkspaceMember};

impl Row for Org {
    const TABLE: &'static str = "organizations";
    const COLUMNS: &'static [&'static str] =
        &["id", "name", "plan", "seats", "credit_pool", "created_at", "updated_at"];
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        q.bind(&self.id)
            .bind(&self.name)
            .bind("enterprise")
            .bind(self.seats)
            .bind(self.credit_pool)
            .bind(self.created_at)
            .bind(self.created_at)
    }
}

impl Row for User {
    const TABLE: &'static str = "users";
    const COLUMNS: &'static [&'static str] = &["id", "email", "name", "password_hash", "created_at", "updated_at"];
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        q.bind(&self.id)
            .bind(&self.email)
            .bind(&self.name)
            .bind(&self.password_hash)
            .bind(self.created_at)
            .bind(self.created_at)
    }
}

impl Row for OrgMember {
    const TABLE: &'static str = "org_members";
    const COLUMNS: &'static [&'static str] = &["org_id", "user_id", "role", "status", "created_at", "updated_at"];
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        q.bind(&self.org_id)
            .bind(&self.user_id)
            .bind(self.role)
            .bind(self.status)
            .bind(self.created_at)
            .bind(self.created_at)
    }
}

impl Row for Workspace {
    const TABLE: &'static str = "workspaces";
    const COLUMNS: &'static [&'static str] =
        &["id", "org_id", "name", "credit_limit", "credits_used", "created_at", "updated_at"];
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        q.bind(&self.id)
            .bind(&self.org_id)
            .bind(&self.name)
            .bind(self.credit_limit)
            .bind(self.credits_used)
            .bind(self.created_at)
            .bind(self.created_at)
    }
}

impl Row for WorkspaceMember {
    const TABLE: &'static str = "workspace_members";
    const COLUMNS: &'static [&'static str] =
        &["workspace_id", "user_id", "org_id", "role", "status", "created_at", "updated_at"];
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        q.bind(&self.workspace_id)
            .bind(&self.user_id)
            .bind(&self.org_id)
            .bind(self.role)
            .bind(self.status)
            .bind(self.created_at)
            .bind(self.created_at)
    }
}

impl Row for Invitation {
    const TABLE: &'static str = "invitations";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "org_id",
        "email",
        "org_role",
        "workspace_id",
        "workspace_role",
        "token_hash",
        "invited_by",
        "created_at",
        "expires_at",
    ];
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        q.bind(&self.id)
            .bind(&self.org_id)
            .bind(&self.email)
            .bind(self.org_role)
            .bind(&self.workspace_id)
            .bind(self.workspace_role)
            .bind(&self.token_hash)
            .bind(&self.invited_by)
            .bind(self.created_at)
            .bind(self.expires_at)
    }
}
