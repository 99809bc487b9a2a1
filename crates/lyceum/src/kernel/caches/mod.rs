//! The node's in-memory caches, held together so that whatever a committed change (or another
//! node's notification) makes one of them forget, every one that holds it forgets.

pub mod credentials;
pub mod directory;
pub mod grants;
pub mod invalidation;

use std::sync::Arc;

use uuid::Uuid;

use credentials::CredentialCache;
use directory::MemberDirectory;
use grants::GrantCache;

/// Cheap to clone (three `Arc`s).
#[derive(Clone)]
pub struct Caches {
    /// Who holds which role (`service::grants`).
    pub grants: Arc<GrantCache>,
    /// Live sessions and API keys (`service::credentials`).
    pub credentials: Arc<CredentialCache>,
    /// Each organisation's members, for the member list (`service::directory`).
    pub directory: Arc<MemberDirectory>,
}

impl Caches {
    /// Empty caches; the member directory holds at most `directory_capacity` people (0: off).
    pub fn new(directory_capacity: usize) -> Caches {
        Caches {
            grants: Arc::new(GrantCache::new()),
            credentials: Arc::new(CredentialCache::new()),
            directory: Arc::new(MemberDirectory::new(directory_capacity)),
        }
    }

    /// Who holds what in an organisation changed (roles, memberships, statuses).
    pub fn org_changed(&self, org: Uuid) {
        self.grants.invalidate_org(org);
        self.directory.invalidate_org(org);
    }

    /// A person's account changed (name, email, password): their sessions carry it, and so do the
    /// member lists of their organisations.
    pub fn user_changed(&self, user_id: &str) {
        self.credentials.forget_user(user_id);
        self.directory.forget_user(user_id);
    }

    /// Anything may have changed (an administrator was made, or notifications were missed).
    pub fn everything_changed(&self) {
        self.grants.invalidate_all();
        self.credentials.forget_all();
        self.directory.invalidate_all();
    }
}
