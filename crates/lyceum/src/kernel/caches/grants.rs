//! An in-memory cache of the roles people hold, so that a permission check is a few hash lookups
//! and one AND instead of database round trips.
//!
//! What is cached is only *data* (who holds which organisation and workspace role); the decision
//! is still the domain's engine (`Grant` → `PermissionSet`). Entries live per organisation, keyed
//! by user, and carry the organisation's *epoch*. Every committed change to an organisation bumps
//! its epoch and drops its entries (`invalidate_org`), on this node at once and on other nodes
//! through PostgreSQL `NOTIFY` (see `service::notify`).
//!
//! The race that matters: a reader loads an entry from the database just before a writer commits,
//! then stores it just after the writer invalidated. The reader therefore notes the epoch *before*
//! its load and `store` refuses an entry whose epoch is no longer current, so a stale entry never
//! outlives the invalidation that should have removed it.
//!
//! Workspaces never change organisation, so their owner is cached without invalidation.

use std::collections::HashMap;
use std::sync::RwLock;

use lyceum_domain::{Access, Grant, OrgRole, Permission, WorkspaceRole};
use rustc_hash::FxBuildHasher;
use uuid::Uuid;

type Map<K, V> = HashMap<K, V, FxBuildHasher>;

/// An id as the cache keys it — only in the canonical form the database stores (lower-case,
/// hyphenated), so that a differently spelled id is looked up in the database (and not found)
/// exactly as it would be without the cache.
pub fn canonical_uuid(id: &str) -> Option<Uuid> {
    let parsed = Uuid::parse_str(id).ok()?;
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    (parsed.hyphenated().encode_lower(&mut buf) == id).then_some(parsed)
}

/// The roles one user holds in one organisation: the organisation role (if a member) and their
/// workspace roles there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserRoles {
    pub org_role: Option<OrgRole>,
    /// An instance administrator counts as an organisation owner everywhere. Promotion happens
    /// only through `lyceum admin create`, which invalidates every node's cache on PostgreSQL; a
    /// promotion the cache has not seen yet only ever grants *less* (it fails closed).
    pub instance_admin: bool,
    /// Sorted by workspace id; most people are in a handful of workspaces, so a binary search
    /// over a small vector beats a hash map here.
    workspaces: Vec<(Uuid, WorkspaceRole)>,
}

impl UserRoles {
    pub fn new(org_role: Option<OrgRole>, mut workspaces: Vec<(Uuid, WorkspaceRole)>) -> UserRoles {
        workspaces.sort_unstable_by_key(|(id, _)| *id);
        UserRoles { org_role, instance_admin: false, workspaces }
    }

    /// The same roles held by an instance administrator.
    pub fn with_instance_admin(self, instance_admin: bool) -> UserRoles {
        UserRoles { instance_admin, ..self }
    }

    /// The role held in one workspace, if any.
    pub fn workspace_role(&self, workspace: Uuid) -> Option<WorkspaceRole> {
        self.workspaces.binary_search_by_key(&workspace, |(id, _)| *id).ok().map(|i| self.workspaces[i].1)
    }

    /// The grant the engine decides from, at organisation scope (`workspace = None`) or in a
    /// workspace. A workspace role only counts for a member of the organisation. `instance_admin`
    /// is what the caller already knows of the user (their session's account row).
    pub fn grant(&self, workspace: Option<Uuid>, instance_admin: bool) -> Grant {
        let workspace_role = match (workspace, self.org_role) {
            (Some(ws), Some(_)) => self.workspace_role(ws),
            _ => None,
        };
        Grant { org_role: self.org_role, workspace_role, instance_admin: instance_admin || self.instance_admin }
    }
}

#[derive(Default)]
struct OrgEntries {
    epoch: u64,
    users: Map<Uuid, UserRoles>,
}

/// The cache. Cheap to share (`Arc`); every method takes `&self` and holds a lock only for a
/// lookup or an insert, never across an `.await`.
#[derive(Default)]
pub struct GrantCache {
    orgs: RwLock<Map<Uuid, OrgEntries>>,
    workspace_orgs: RwLock<Map<Uuid, Uuid>>,
}

/// A cache miss: the epoch to hand back to `store` with what was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Miss {
    pub epoch: u64,
}

impl GrantCache {
    pub fn new() -> GrantCache {
        GrantCache::default()
    }

    /// The organisation a workspace belongs to, if known.
    pub fn workspace_org(&self, workspace: Uuid) -> Option<Uuid> {
        self.workspace_orgs.read().unwrap_or_else(|e| e.into_inner()).get(&workspace).copied()
    }

    /// Remembers which organisation a workspace belongs to (it never changes).
    pub fn remember_workspace(&self, workspace: Uuid, org: Uuid) {
        self.workspace_orgs.write().unwrap_or_else(|e| e.into_inner()).insert(workspace, org);
    }

    /// Calls `f` with a user's roles in an organisation if cached, or says what to load.
    pub fn with_roles<T>(&self, org: Uuid, user: Uuid, f: impl FnOnce(&UserRoles) -> T) -> Result<T, Miss> {
        let orgs = self.orgs.read().unwrap_or_else(|e| e.into_inner());
        match orgs.get(&org) {
            Some(entries) => match entries.users.get(&user) {
                Some(roles) => Ok(f(roles)),
                None => Err(Miss { epoch: entries.epoch }),
            },
            None => Err(Miss { epoch: 0 }),
        }
    }

    /// The hot path: may `user` do `permission` in `workspace`? `None` when the workspace or the
    /// user's roles are not cached (the caller loads them and asks again).
    pub fn may(&self, user: Uuid, permission: Permission, workspace: Uuid) -> Option<bool> {
        let org = self.workspace_org(workspace)?;
        self.with_roles(org, user, |r| Access::Person(r.grant(Some(workspace), false)).may_in_workspace(permission))
            .ok()
    }

    /// Stores roles loaded after a `Miss`, unless the organisation changed since (then the load
    /// may predate the change, and the next check loads again).
    pub fn store(&self, org: Uuid, user: Uuid, miss: Miss, roles: UserRoles) {
        let mut orgs = self.orgs.write().unwrap_or_else(|e| e.into_inner());
        let entries = orgs.entry(org).or_default();
        if entries.epoch == miss.epoch {
            entries.users.insert(user, roles);
        }
    }

    /// Forgets everything cached about an organisation's people (after a committed change).
    pub fn invalidate_org(&self, org: Uuid) {
        let mut orgs = self.orgs.write().unwrap_or_else(|e| e.into_inner());
        let entries = orgs.entry(org).or_default();
        entries.epoch += 1;
        entries.users = Map::default();
    }

    /// Forgets every organisation's people (when change notifications may have been missed).
    pub fn invalidate_all(&self) {
        let mut orgs = self.orgs.write().unwrap_or_else(|e| e.into_inner());
        for entries in orgs.values_mut() {
            entries.epoch += 1;
            entries.users = Map::default();
        }
    }

    /// How many users are cached (for metrics and tests).
    pub fn cached_users(&self) -> usize {
        self.orgs.read().unwrap_or_else(|e| e.into_inner()).values().map(|e| e.users.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn a_hit_answers_from_memory_and_a_miss_says_what_to_load() {
        let cache = GrantCache::new();
        let (org, user, ws) = (id(1), id(2), id(3));
        let miss = cache.with_roles(org, user, |_| ()).expect_err("nothing cached yet");
        cache.store(org, user, miss, UserRoles::new(Some(OrgRole::Viewer), vec![(ws, WorkspaceRole::Owner)]));
        let grant = cache.with_roles(org, user, |r| r.grant(Some(ws), false)).expect("cached");
        assert_eq!(grant.org_role, Some(OrgRole::Viewer));
        assert_eq!(grant.workspace_role, Some(WorkspaceRole::Owner));
        let elsewhere = cache.with_roles(org, user, |r| r.grant(Some(id(9)), false)).expect("cached");
        assert_eq!(elsewhere.workspace_role, None);
    }

    #[test]
    fn only_canonical_ids_are_keys() {
        let id = "01a20745-9a52-7344-ba76-d699bc6d9011";
        assert_eq!(canonical_uuid(id).map(|u| u.to_string()), Some(id.to_owned()));
        assert_eq!(canonical_uuid(&id.to_uppercase()), None);
        assert_eq!(canonical_uuid(&id.replace('-', "")), None);
        assert_eq!(canonical_uuid("not an id"), None);
    }

    #[test]
    fn a_workspace_role_counts_only_for_an_organisation_member() {
        let roles = UserRoles::new(None, vec![(id(3), WorkspaceRole::Owner)]);
        assert_eq!(roles.grant(Some(id(3)), false).workspace_role, None);
    }

    #[test]
    fn invalidation_drops_entries_and_refuses_loads_that_began_before_it() {
        let cache = GrantCache::new();
        let (org, user) = (id(1), id(2));
        let early = cache.with_roles(org, user, |_| ()).expect_err("empty");
        cache.store(org, user, early, UserRoles::new(Some(OrgRole::Owner), vec![]));
        let late_reader = Miss { epoch: early.epoch };
        cache.invalidate_org(org);
        assert!(cache.with_roles(org, user, |_| ()).is_err(), "dropped");
        // A reader that loaded before the change must not put the old roles back.
        cache.store(org, user, late_reader, UserRoles::new(Some(OrgRole::Owner), vec![]));
        assert!(cache.with_roles(org, user, |_| ()).is_err(), "a stale load is refused");
        let fresh = cache.with_roles(org, user, |_| ()).expect_err("still empty");
        cache.store(org, user, fresh, UserRoles::new(Some(OrgRole::Guest), vec![]));
        assert_eq!(cache.with_roles(org, user, |r| r.org_role).expect("cached"), Some(OrgRole::Guest));
        // Other organisations are untouched by an invalidation of this one.
        let other = id(7);
        let m = cache.with_roles(other, user, |_| ()).expect_err("empty");
        cache.store(other, user, m, UserRoles::new(Some(OrgRole::Viewer), vec![]));
        cache.invalidate_org(org);
        assert!(cache.with_roles(other, user, |_| ()).is_ok());
        cache.invalidate_all();
        assert!(cache.with_roles(other, user, |_| ()).is_err());
        assert_eq!(cache.cached_users(), 0);
    }
}
