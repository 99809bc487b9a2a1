//! The member directory: each organisation's members held in memory (`index::OrgIndex`), so that
//! listing and searching the members of a large organisation is a scan of memory, not a query
//! that must join and sort every match before it can return the first page.
//!
//! Like the grant cache it holds only data and never outlives a committed change:
//! - every change to an organisation drops its index (`invalidate_org`: at commit on this node,
//!   through PostgreSQL `NOTIFY` on the others — `service::change`, `service::invalidation`);
//! - a change to a person's profile drops the indexes that hold that person (`forget_user`);
//! - a build that began before either is refused when it ends (the organisation's epoch), so a
//!   load racing a change cannot put the old members back.
//!
//! An index is built in the background on first use. A request waits for it a short while
//! (`BUILD_WAIT`) and is otherwise answered by the database, so the rebuild after a change never
//! stalls the list. How many people are held is capped (`capacity`); the least recently used
//! organisations make room, and an organisation larger than the cap is listed by the database.

pub mod index;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::TryStreamExt;
use rustc_hash::FxBuildHasher;
use tokio::sync::watch;
use uuid::Uuid;

use self::index::OrgIndex;
use crate::kernel::Lyceum;
use crate::tenancy::queries::members;
use lyceum_domain::id::OrgId;

type Map<K, V> = HashMap<K, V, FxBuildHasher>;

/// How long a request waits for an index being built before the database answers it instead.
const BUILD_WAIT: Duration = Duration::from_millis(50);

/// An index being built resolves to this (`None` until then).
type Ready = watch::Receiver<Option<Arc<OrgIndex>>>;

enum Slot {
    Held {
        index: Arc<OrgIndex>,
        last_used: u64,
    },
    Building {
        epoch: u64,
        ready: Ready,
    },
    /// Not indexable (too large for the cap, or rows the index cannot hold) until it changes.
    Unheld,
}

#[derive(Default)]
struct State {
    slots: Map<Uuid, Slot>,
    /// Bumped by every invalidation of an organisation; a build carries the one it began under.
    epochs: Map<Uuid, u64>,
    /// People held across all organisations.
    held: usize,
    /// A use counter for least-recently-used eviction.
    clock: u64,
}

impl State {
    fn drop_slot(&mut self, org: Uuid) {
        *self.epochs.entry(org).or_default() += 1;
        if let Some(Slot::Held { index, .. }) = self.slots.remove(&org) {
            self.held -= index.len();
            metrics::gauge!("lyceum_member_directory_members").set(self.held as f64);
        }
    }
}

/// What `lookup` found.
pub enum Lookup {
    Held(Arc<OrgIndex>),
    /// Another request is building it; it may end without an index.
    Building(Ready),
    /// Nobody is: the caller builds it and hands the result to `finish`.
    Build(Ticket),
    /// The database answers for this organisation.
    NotHeld,
}

/// The right to build one organisation's index, under the epoch it was taken in.
pub struct Ticket {
    org: Uuid,
    epoch: u64,
    done: watch::Sender<Option<Arc<OrgIndex>>>,
}

impl Ticket {
    /// Resolves when the index is held (or fails when the build ends without one).
    pub fn ready(&self) -> Ready {
        self.done.subscribe()
    }
}

/// How a build ended.
pub enum Built {
    Index(OrgIndex),
    /// The rows cannot be indexed: the database answers until the organisation changes.
    Unindexable,
    /// Reading failed: the next request tries again.
    Failed,
}

/// The cache. Cheap to share (`Arc`); its lock is held for lookups and bookkeeping only.
pub struct MemberDirectory {
    /// Most people held across organisations; 0 turns the directory off.
    capacity: usize,
    state: Mutex<State>,
}

impl MemberDirectory {
    pub fn new(capacity: usize) -> MemberDirectory {
        MemberDirectory { capacity, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The organisation's index if held; otherwise who builds it.
    pub fn lookup(&self, org: Uuid) -> Lookup {
        if self.capacity == 0 {
            return Lookup::NotHeld;
        }
        let mut state = self.state();
        state.clock += 1;
        let now = state.clock;
        let epoch = state.epochs.get(&org).copied().unwrap_or_default();
        match state.slots.get_mut(&org) {
            Some(Slot::Held { index, last_used }) => {
                *last_used = now;
                Lookup::Held(index.clone())
            }
            Some(Slot::Building { ready, .. }) if ready.has_changed().is_ok() => Lookup::Building(ready.clone()),
            Some(Slot::Unheld) => Lookup::NotHeld,
            // Not held, or its builder went away without finishing (a panic): build it.
            _ => {
                let (done, ready) = watch::channel(None);
                state.slots.insert(org, Slot::Building { epoch, ready });
                Lookup::Build(Ticket { org, epoch, done })
            }
        }
    }

    /// Holds a built index, unless the organisation changed since the build began (then it is
    /// dropped and the next request builds again). Makes room by dropping the least recently used.
    pub fn finish(&self, ticket: Ticket, built: Built) {
        let mut state = self.state();
        let current = state.epochs.get(&ticket.org).copied().unwrap_or_default();
        let ours = matches!(state.slots.get(&ticket.org), Some(Slot::Building { epoch, .. }) if *epoch == ticket.epoch);
        if !ours || current != ticket.epoch {
            return;
        }
        let index = match built {
            Built::Index(index) if index.len() <= self.capacity => index,
            Built::Index(_) | Built::Unindexable => {
                state.slots.insert(ticket.org, Slot::Unheld);
                return;
            }
            Built::Failed => {
                state.slots.remove(&ticket.org);
                return;
            }
        };
        while state.held + index.len() > self.capacity {
            let oldest = state.slots.iter().filter_map(|(org, s)| match s {
                Slot::Held { last_used, .. } => Some((*last_used, *org)),
                _ => None,
            });
            let Some((_, org)) = oldest.min() else { break };
            state.drop_slot(org);
        }
        let index = Arc::new(index);
        state.held += index.len();
        metrics::gauge!("lyceum_member_directory_members").set(state.held as f64);
        let last_used = state.clock;
        state.slots.insert(ticket.org, Slot::Held { index: index.clone(), last_used });
        let _ = ticket.done.send(Some(index));
    }

    /// Forgets an organisation's members (after a committed change to it).
    pub fn invalidate_org(&self, org: Uuid) {
        self.state().drop_slot(org);
    }

    /// Forgets every organisation's members.
    pub fn invalidate_all(&self) {
        let mut state = self.state();
        let orgs: Vec<Uuid> = state.slots.keys().copied().collect();
        for org in orgs {
            state.drop_slot(org);
        }
    }

    /// Forgets the organisations a person belongs to (after their name or email changed), and any
    /// being built, which may have read the old profile.
    pub fn forget_user(&self, user_id: &str) {
        let Ok(user) = Uuid::parse_str(user_id) else { return self.invalidate_all() };
        let mut state = self.state();
        let stale: Vec<Uuid> = state
            .slots
            .iter()
            .filter(|(_, s)| match s {
                Slot::Held { index, .. } => index.contains(user),
                Slot::Building { .. } | Slot::Unheld => true,
            })
            .map(|(org, _)| *org)
            .collect();
        for org in stale {
            state.drop_slot(org);
        }
    }

    /// Whether an organisation's index is held (for tests and metrics).
    pub fn holds(&self, org: Uuid) -> bool {
        matches!(self.state().slots.get(&org), Some(Slot::Held { .. }))
    }

    /// How many people are held across organisations.
    pub fn held(&self) -> usize {
        self.state().held
    }
}

impl Lyceum {
    /// The organisation's member index, if held or built within `BUILD_WAIT`; `None` means the
    /// database answers (the build, if one started, goes on in the background).
    pub(crate) async fn member_index(&self, org_id: &OrgId) -> Option<Arc<OrgIndex>> {
        let org = org_id.to_uuid();
        let mut ready = match self.caches.directory.lookup(org) {
            Lookup::Held(index) => return Some(index),
            Lookup::NotHeld => return None,
            Lookup::Building(ready) => ready,
            Lookup::Build(ticket) => {
                let ready = ticket.ready();
                let (pool, directory, org_id) = (self.pool.clone(), self.caches.directory.clone(), org_id.clone());
                tokio::spawn(async move {
                    let built = build(&pool, &org_id).await;
                    directory.finish(ticket, built);
                });
                ready
            }
        };
        let index = match tokio::time::timeout(BUILD_WAIT, ready.wait_for(Option::is_some)).await {
            Ok(Ok(index)) => index.clone(),
            _ => None,
        };
        index
    }
}

/// Reads an organisation's members and workspace memberships as they stream from the database,
/// keeping only the index's compact form (100,000 people as rows would take several times more).
async fn build(pool: &sqlx::AnyPool, org_id: &OrgId) -> Built {
    match read(pool, org_id).await {
        Ok(Ok(index)) => Built::Index(index),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, %org_id, "the member directory cannot hold this organisation");
            Built::Unindexable
        }
        Err(e) => {
            tracing::warn!(error = %e, %org_id, "reading the member directory failed; the database answers");
            Built::Failed
        }
    }
}

async fn read(pool: &sqlx::AnyPool, org_id: &OrgId) -> sqlx::Result<Result<OrgIndex, index::Unindexable>> {
    let mut conn = pool.acquire().await?;
    let mut builder = index::Builder::default();
    let mut rows = members::all_of_org(&mut conn, org_id);
    while let Some(m) = rows.try_next().await? {
        if let Err(e) = builder.member(&m) {
            return Ok(Err(e));
        }
    }
    drop(rows);
    // Sorting 100,000 people and lower-casing their names takes tens of milliseconds: not on
    // the async workers.
    let sorted = tokio::task::spawn_blocking(move || builder.workspaces()).await;
    let mut builder = match sorted {
        Ok(Ok(builder)) => builder,
        Ok(Err(e)) => return Ok(Err(e)),
        Err(e) => return Err(sqlx::Error::Protocol(format!("indexing the member directory panicked: {e}"))),
    };
    let mut rows = members::all_workspace_memberships_of_org(&mut conn, org_id);
    while let Some(w) = rows.try_next().await? {
        if let Err(e) = builder.membership(&w) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(builder.finish()))
}

#[cfg(test)]
mod tests {
    use super::index::OrgIndex;
    use super::*;
    use crate::tenancy::queries::members::MemberRow;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn index_of(users: &[u128]) -> OrgIndex {
        let people = users
            .iter()
            .map(|u| MemberRow {
                user_id: lyceum_domain::id::UserId::from_uuid(id(*u)),
                email: format!("u{u}@x.test"),
                name: format!("User {u}"),
                role: lyceum_domain::MemberRole::Org(lyceum_domain::OrgRole::Guest),
                status: lyceum_domain::MemberStatus::Accepted,
            })
            .collect::<Vec<_>>();
        OrgIndex::build(&people, &[]).expect("indexable")
    }

    fn build_now(dir: &MemberDirectory, org: Uuid, users: &[u128]) {
        match dir.lookup(org) {
            Lookup::Build(ticket) => dir.finish(ticket, Built::Index(index_of(users))),
            _ => panic!("expected to be asked to build"),
        }
    }

    #[test]
    fn one_build_at_a_time_then_held() {
        let dir = MemberDirectory::new(100);
        let Lookup::Build(ticket) = dir.lookup(id(1)) else { panic!("first lookup builds") };
        let mut ready = ticket.ready();
        assert!(matches!(dir.lookup(id(1)), Lookup::Building(_)), "a second request waits");
        dir.finish(ticket, Built::Index(index_of(&[10, 11])));
        assert!(ready.borrow_and_update().is_some(), "waiters are told");
        assert!(matches!(dir.lookup(id(1)), Lookup::Held(ix) if ix.len() == 2));
        assert_eq!(dir.held(), 2);
    }

    #[test]
    fn a_change_during_a_build_refuses_its_result() {
        let dir = MemberDirectory::new(100);
        let Lookup::Build(stale) = dir.lookup(id(1)) else { panic!("builds") };
        dir.invalidate_org(id(1));
        // A request after the change starts a fresh build; the stale one must not win.
        let Lookup::Build(fresh) = dir.lookup(id(1)) else { panic!("builds again") };
        dir.finish(stale, Built::Index(index_of(&[10])));
        assert!(!dir.holds(id(1)));
        dir.finish(fresh, Built::Index(index_of(&[10, 11])));
        assert!(matches!(dir.lookup(id(1)), Lookup::Held(ix) if ix.len() == 2));
        // A profile change during a build refuses it too.
        let Lookup::Build(racing) = dir.lookup(id(2)) else { panic!("builds") };
        dir.forget_user(&id(99).to_string());
        dir.finish(racing, Built::Index(index_of(&[99])));
        assert!(!dir.holds(id(2)));
    }

    #[test]
    fn a_profile_change_drops_only_the_organisations_holding_that_person() {
        let dir = MemberDirectory::new(100);
        build_now(&dir, id(1), &[10, 11]);
        build_now(&dir, id(2), &[12]);
        dir.forget_user(&id(11).to_string());
        assert!(!dir.holds(id(1)));
        assert!(dir.holds(id(2)));
        assert_eq!(dir.held(), 1);
        dir.invalidate_all();
        assert!(!dir.holds(id(2)));
        assert_eq!(dir.held(), 0);
    }

    #[test]
    fn the_least_recently_used_make_room_and_the_too_large_are_not_held() {
        let dir = MemberDirectory::new(4);
        build_now(&dir, id(1), &[1, 2]);
        build_now(&dir, id(2), &[3, 4]);
        assert!(matches!(dir.lookup(id(1)), Lookup::Held(_)), "org 1 used after org 2");
        build_now(&dir, id(3), &[5]);
        assert!(dir.holds(id(1)) && dir.holds(id(3)) && !dir.holds(id(2)));
        assert_eq!(dir.held(), 3);
        build_now(&dir, id(4), &[6, 7, 8, 9, 10]);
        assert!(matches!(dir.lookup(id(4)), Lookup::NotHeld), "larger than the cap: the database answers");
        dir.invalidate_org(id(4));
        assert!(matches!(dir.lookup(id(4)), Lookup::Build(_)), "after a change it may fit");
        assert!(matches!(MemberDirectory::new(0).lookup(id(1)), Lookup::NotHeld), "capacity 0: off");
    }

    #[test]
    fn a_build_abandoned_without_an_answer_is_taken_over() {
        let dir = MemberDirectory::new(10);
        let Lookup::Build(t) = dir.lookup(id(1)) else { panic!("builds") };
        drop(t);
        let Lookup::Build(t) = dir.lookup(id(1)) else { panic!("the next request builds") };
        dir.finish(t, Built::Index(index_of(&[1])));
        assert!(dir.holds(id(1)));
    }

    #[test]
    fn a_failed_build_is_retried() {
        let dir = MemberDirectory::new(10);
        let Lookup::Build(t) = dir.lookup(id(1)) else { panic!("builds") };
        let ready = t.ready();
        dir.finish(t, Built::Failed);
        assert!(ready.has_changed().is_err(), "waiters learn that no index comes");
        assert!(matches!(dir.lookup(id(1)), Lookup::Build(_)));
    }
}
