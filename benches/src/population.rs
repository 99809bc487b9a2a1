//! The rows every engine is loaded from: which workspace belongs to which organisation, who holds
//! which organisation role, who holds which workspace role, and people in no organisation. Read
//! from a Lyceum database, so all three engines see exactly what Lyceum's own check would load.

use std::collections::HashMap;

use anyhow::Context;
use lyceum_domain::{OrgRole, WorkspaceRole};
use sqlx::AnyPool;
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct Population {
    /// (workspace, organisation)
    pub workspaces: Vec<(Uuid, Uuid)>,
    /// (organisation, user, role)
    pub org_members: Vec<(Uuid, Uuid, OrgRole)>,
    /// (workspace, user, role). The schema's foreign key makes every such user a member of the
    /// workspace's organisation.
    pub workspace_members: Vec<(Uuid, Uuid, WorkspaceRole)>,
    /// Users who belong to no organisation (asked about as non-members).
    pub outsiders: Vec<Uuid>,
}

impl Population {
    /// Reads the population of a Lyceum database.
    pub async fn load(pool: &AnyPool) -> anyhow::Result<Population> {
        let workspaces: Vec<(String, String)> =
            sqlx::query_as("SELECT id, org_id FROM workspaces").fetch_all(pool).await.context("reading workspaces")?;
        let org_members: Vec<(String, String, String)> =
            sqlx::query_as("SELECT org_id, user_id, role FROM org_members")
                .fetch_all(pool)
                .await
                .context("reading org_members")?;
        let workspace_members: Vec<(String, String, String)> =
            sqlx::query_as("SELECT workspace_id, user_id, role FROM workspace_members")
                .fetch_all(pool)
                .await
                .context("reading workspace_members")?;
        let outsiders: Vec<String> =
            sqlx::query_scalar("SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM org_members)")
                .fetch_all(pool)
                .await
                .context("reading users")?;
        Ok(Population {
            workspaces: workspaces.iter().map(|(w, o)| Ok((id(w)?, id(o)?))).collect::<anyhow::Result<_>>()?,
            org_members: org_members
                .iter()
                .map(|(o, u, r)| Ok((id(o)?, id(u)?, OrgRole::parse(r)?)))
                .collect::<anyhow::Result<_>>()?,
            workspace_members: workspace_members
                .iter()
                .map(|(w, u, r)| Ok((id(w)?, id(u)?, WorkspaceRole::parse(r)?)))
                .collect::<anyhow::Result<_>>()?,
            outsiders: outsiders.iter().map(|u| id(u)).collect::<anyhow::Result<_>>()?,
        })
    }

    /// Which organisation each workspace belongs to.
    pub fn org_of(&self) -> HashMap<Uuid, Uuid> {
        self.workspaces.iter().copied().collect()
    }

    /// Each organisation's workspaces.
    pub fn workspaces_by_org(&self) -> HashMap<Uuid, Vec<Uuid>> {
        let mut by_org: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (ws, org) in &self.workspaces {
            by_org.entry(*org).or_default().push(*ws);
        }
        by_org
    }

    /// Each (organisation, user)'s organisation role.
    pub fn org_roles(&self) -> HashMap<(Uuid, Uuid), OrgRole> {
        self.org_members.iter().map(|(org, user, role)| ((*org, *user), *role)).collect()
    }

    /// Each (workspace, user)'s workspace role.
    pub fn workspace_roles(&self) -> HashMap<(Uuid, Uuid), WorkspaceRole> {
        self.workspace_members.iter().map(|(ws, user, role)| ((*ws, *user), *role)).collect()
    }
}

fn id(s: &str) -> anyhow::Result<Uuid> {
    Uuid::parse_str(s).with_context(|| format!("not a UUID: {s}"))
}
