//! The tenancy wing: organisations, workspaces, members and invitations — the tables the kernel's
//! access reads.

pub mod api;
pub mod invitations;
pub mod members;
pub mod orgs;
pub mod pages;
mod store;

/// **API Boundary.** The tenancy wing's public queries: what the kernel (access, caches, the
/// organisation lock) and other wings may read or write of tenancy's tables. The rest of `store`
/// is private to this wing.
pub mod queries {
    pub mod members {
        pub use crate::tenancy::store::members::{
            accept_pending, all_of_org, all_workspace_memberships_of_org, insert, list, org_role, orgs_of_user,
            whereabouts, workspace_owner_emails, workspace_role, workspace_roles_in_org, workspaces_of_user,
            DirectoryMembership, ListQuery, MemberRow, OrgMembership, Scope, WorkspaceMembership,
        };
    }
    pub mod orgs {
        pub use crate::tenancy::store::orgs::{insert, insert_workspace, lock, workspace, OrgRow, WorkspaceRow};
    }
    pub mod invitations {
        pub use crate::tenancy::store::invitations::by_token_hash;
    }
}
