//! The generated organisation, decided in memory before anything is written: its people and their
//! roles, power-law workspaces with their memberships, and pending invitations. Pure: the seed
//! fixes every choice; only ids and times come from the clock.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};

use lyceum_sql::new_id;

use super::{names, Secrets, Sizes, OWNER_EMAIL};

pub const DAY_MS: i64 = 86_400_000;
pub const YEAR_MS: i64 = 365 * DAY_MS;
/// The invitation lifetime `serve` uses by default (168 hours).
const INVITATION_TTL_MS: i64 = 7 * DAY_MS;
/// Other owners beside the known one.
const MORE_OWNERS: usize = 9;
/// The largest workspace holds this share of the members…
const LARGEST_SHARE: f64 = 0.45;
/// …and the k-th largest about `k^-ZIPF_EXPONENT` of it: with 1,000 workspaces the median one has
/// a few dozen members.
const ZIPF_EXPONENT: f64 = 1.2;
/// Workspace roles after each workspace's first owner: (role, weight).
const WORKSPACE_ROLES: &[(&str, u32)] =
    &[("owner", 1), ("trainer", 6), ("reviewer", 4), ("learner", 75), ("editor", 4), ("viewer", 10)];

pub struct Org {
    pub id: String,
    pub name: String,
    pub seats: i64,
    pub credit_pool: i64,
    pub created_at: i64,
}

pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub created_at: i64,
}

pub struct OrgMember {
    pub org_id: String,
    pub user_id: String,
    pub role: &'static str,
    pub status: &'static str,
    pub created_at: i64,
}

/// A workspace, and how many members the plan gives it.
pub struct Workspace {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub credit_limit: i64,
    pub credits_used: i64,
    pub created_at: i64,
    pub size: usize,
}

pub struct WorkspaceMember {
    pub workspace_id: String,
    pub user_id: String,
    pub org_id: String,
    pub role: &'static str,
    pub status: &'static str,
    pub created_at: i64,
    /// Indexes into `Plan::workspaces` and `Plan::users`.
    pub workspace: usize,
    pub user: usize,
}

pub struct Invitation {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub org_role: &'static str,
    pub workspace_id: Option<String>,
    pub workspace_role: Option<&'static str>,
    pub token_hash: String,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Everything but the audit trail.
pub struct Plan {
    pub org: Org,
    /// The known owner first.
    pub users: Vec<User>,
    /// Parallel to `users`.
    pub org_members: Vec<OrgMember>,
    pub workspaces: Vec<Workspace>,
    pub memberships: Vec<WorkspaceMember>,
    pub invitations: Vec<Invitation>,
}

impl Plan {
    /// Decides the organisation; its accounts and invitations carry `secrets`' hashes.
    pub fn new(sizes: &Sizes, seed: u64, secrets: &Secrets, now: i64) -> Plan {
        let mut rng = StdRng::seed_from_u64(seed);
        let members = sizes.members.max(1);
        let org_created = now - YEAR_MS;
        let org = Org {
            id: new_id(),
            name: "Globex Learning".into(),
            // Room for every member and invitation, and some to spare.
            seats: ((members + sizes.invitations) * 11 / 10).div_ceil(1_000) as i64 * 1_000,
            credit_pool: 10_000_000,
            created_at: org_created,
        };
        let users = people(&mut rng, members, &secrets.password_hash, org_created);
        let org_members = org_members(&mut rng, &org.id, &users);
        let workspaces = workspaces(&mut rng, &org, sizes.workspaces, members);
        let memberships = memberships(&mut rng, &workspaces, &users, &org_members);
        let mut plan = Plan { org, users, org_members, workspaces, memberships, invitations: Vec::new() };
        plan.invitations = invitations(&mut rng, &plan, sizes.invitations, secrets.hash_token, now);
        plan
    }

    /// Indexes of the users who administer the organisation (owners and editors).
    pub fn admins(&self) -> Vec<usize> {
        (0..self.org_members.len()).filter(|&i| matches!(self.org_members[i].role, "owner" | "editor")).collect()
    }
}

fn people(rng: &mut StdRng, n: usize, password_hash: &str, org_created: i64) -> Vec<User> {
    (0..n)
        .map(|i| {
            let (email, name) = if i == 0 {
                (OWNER_EMAIL.to_owned(), "Olivia Owner".to_owned())
            } else {
                let (first, last) = names::person(rng);
                (names::email(first, last, i, "example.test"), format!("{first} {last}"))
            };
            User {
                id: new_id(),
                email,
                name,
                password_hash: password_hash.to_owned(),
                // Joined over the year, in id order.
                created_at: org_created + (YEAR_MS as i128 * i as i128 / n as i128) as i64,
            }
        })
        .collect()
}

/// The known owner and a few more owners; of the others ~2 % editors, ~15 % viewers, the rest
/// guests, ~3 % of them still pending (added, not signed in yet).
fn org_members(rng: &mut StdRng, org_id: &str, users: &[User]) -> Vec<OrgMember> {
    let owners = (1 + MORE_OWNERS).min(users.len());
    let others = users.len() - owners;
    let share = |percent: usize| (others * percent).div_ceil(100).min(others);
    let mut roles: Vec<&'static str> = Vec::with_capacity(others);
    roles.extend(std::iter::repeat_n("editor", share(2)));
    roles.extend(std::iter::repeat_n("viewer", share(15).min(others - roles.len())));
    roles.resize(others, "guest");
    roles.shuffle(rng);
    let mut statuses: Vec<&'static str> = vec!["accepted"; others];
    statuses[..share(3)].fill("pending");
    statuses.shuffle(rng);
    users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let (role, status) =
                if i < owners { ("owner", "accepted") } else { (roles[i - owners], statuses[i - owners]) };
            OrgMember { org_id: org_id.to_owned(), user_id: u.id.clone(), role, status, created_at: u.created_at }
        })
        .collect()
}

/// Power-law sizes: the largest holds `LARGEST_SHARE` of the members, the k-th about
/// `k^-ZIPF_EXPONENT` of that (±15 %), at least two (or everyone, in a tiny organisation).
fn workspace_sizes(rng: &mut StdRng, n: usize, members: usize) -> Vec<usize> {
    let largest = (members as f64 * LARGEST_SHARE).round().max(1.0);
    let mut sizes: Vec<usize> = (1..=n)
        .map(|k| {
            let jitter = if k == 1 { 1.0 } else { rng.gen_range(0.85..1.15) };
            let size = (largest * (k as f64).powf(-ZIPF_EXPONENT) * jitter).round() as usize;
            size.clamp(2.min(members), members)
        })
        .collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes
}

fn workspaces(rng: &mut StdRng, org: &Org, n: usize, members: usize) -> Vec<Workspace> {
    let sizes = workspace_sizes(rng, n, members);
    let total: usize = sizes.iter().sum::<usize>().max(1);
    // Credit limits follow size and add up to 80 % of the pool.
    let allocatable = org.credit_pool as i128 * 8 / 10;
    // Names and creation order do not follow size: the largest is not always the first.
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    order
        .into_iter()
        .enumerate()
        .map(|(created, rank)| {
            let size = sizes[rank];
            let credit_limit = (allocatable * size as i128 / total as i128) as i64;
            Workspace {
                id: new_id(),
                org_id: org.id.clone(),
                name: names::workspace(created),
                credit_limit,
                credits_used: (credit_limit as f64 * rng.gen_range(0.0..0.6)) as i64,
                // Set up on the organisation's first day, half a minute apart.
                created_at: org.created_at + created as i64 * 30_000,
                size,
            }
        })
        .collect()
}

fn memberships(
    rng: &mut StdRng,
    workspaces: &[Workspace],
    users: &[User],
    org_members: &[OrgMember],
) -> Vec<WorkspaceMember> {
    // Partial Fisher–Yates over one shared permutation: each workspace's first `size` slots are a
    // uniform sample of members, for `size` swaps whatever the order left by the previous one.
    let mut pool: Vec<usize> = (0..users.len()).collect();
    let weights: u32 = WORKSPACE_ROLES.iter().map(|(_, w)| w).sum();
    let mut out = Vec::with_capacity(workspaces.iter().map(|w| w.size).sum());
    for (wi, ws) in workspaces.iter().enumerate() {
        for slot in 0..ws.size {
            let pick = rng.gen_range(slot..pool.len());
            pool.swap(slot, pick);
            let ui = pool[slot];
            let role = if slot == 0 { "owner" } else { weighted(rng, WORKSPACE_ROLES, weights) };
            out.push(WorkspaceMember {
                workspace_id: ws.id.clone(),
                user_id: users[ui].id.clone(),
                org_id: ws.org_id.clone(),
                role,
                // Someone not signed in yet is pending everywhere they were added.
                status: org_members[ui].status,
                created_at: users[ui].created_at.max(ws.created_at),
                workspace: wi,
                user: ui,
            });
        }
    }
    out
}

fn weighted(rng: &mut StdRng, choices: &[(&'static str, u32)], total: u32) -> &'static str {
    let mut x = rng.gen_range(0..total);
    for (choice, w) in choices {
        if x < *w {
            return choice;
        }
        x -= w;
    }
    choices[0].0
}

/// Pending, unexpired invitations to addresses no member has (their own domain): ~60 % to the
/// organisation, the rest to a workspace (weighted by size) as a guest with a workspace role.
/// `plan` already holds the rest of the organisation.
fn invitations(rng: &mut StdRng, plan: &Plan, n: usize, hash_token: fn(&str) -> String, now: i64) -> Vec<Invitation> {
    let Plan { org, workspaces, memberships, org_members, .. } = plan;
    let inviters: Vec<&str> =
        org_members.iter().filter(|m| matches!(m.role, "owner" | "editor")).map(|m| m.user_id.as_str()).collect();
    let org_roles: &[(&str, u32)] = &[("guest", 70), ("viewer", 20), ("editor", 9), ("owner", 1)];
    let weights: u32 = WORKSPACE_ROLES.iter().map(|(_, w)| w).sum();
    (0..n)
        .map(|i| {
            let (first, last) = names::person(rng);
            let (org_role, workspace_id, workspace_role) = if memberships.is_empty() || rng.gen_bool(0.6) {
                (weighted(rng, org_roles, 100), None, None)
            } else {
                let ws = &workspaces[memberships[rng.gen_range(0..memberships.len())].workspace];
                ("guest", Some(ws.id.clone()), Some(weighted(rng, WORKSPACE_ROLES, weights)))
            };
            let mut secret = [0u8; 32];
            rng.fill_bytes(&mut secret);
            let created_at = now - rng.gen_range(0..6 * DAY_MS);
            Invitation {
                id: new_id(),
                org_id: org.id.clone(),
                email: names::email(first, last, i, "invited.example.test"),
                org_role,
                workspace_id,
                workspace_role,
                token_hash: hash_token(&hex::encode(secret)),
                invited_by: inviters[rng.gen_range(0..inviters.len())].to_owned(),
                created_at,
                expires_at: created_at + INVITATION_TTL_MS,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(members: usize, workspaces: usize) -> Plan {
        let sizes = Sizes { members, workspaces, invitations: 100, audit_events: 0 };
        let secrets = Secrets { password_hash: "hash".into(), hash_token: |token| format!("hash of {token}") };
        Plan::new(&sizes, 42, &secrets, 1_800_000_000_000)
    }

    #[test]
    fn large_workspaces_follow_a_power_law() {
        let mut rng = StdRng::seed_from_u64(1);
        let sizes = workspace_sizes(&mut rng, 1_000, 100_000);
        assert_eq!(sizes[0], 45_000);
        let median = sizes[500];
        assert!((10..100).contains(&median), "median {median}");
        assert!(sizes.iter().all(|&s| s >= 2));
    }

    #[test]
    fn every_role_occurs_and_every_workspace_has_an_owner() {
        let p = plan(600, 20);
        for role in ["owner", "editor", "viewer", "guest"] {
            assert!(p.org_members.iter().any(|m| m.role == role), "{role}");
        }
        for (role, _) in WORKSPACE_ROLES {
            assert!(p.memberships.iter().any(|m| m.role == *role), "{role}");
        }
        for (i, ws) in p.workspaces.iter().enumerate() {
            assert!(p.memberships.iter().any(|m| m.workspace == i && m.role == "owner"), "{}", ws.name);
        }
        let allocated: i64 = p.workspaces.iter().map(|w| w.credit_limit).sum();
        assert!(allocated < p.org.credit_pool);
        assert!(p.org.seats as usize >= 600 + 100);
    }

    #[test]
    fn a_workspace_lists_each_member_once() {
        let p = plan(300, 10);
        let mut pairs: Vec<(usize, usize)> = p.memberships.iter().map(|m| (m.workspace, m.user)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), p.memberships.len());
    }

    #[test]
    fn the_seed_fixes_the_shape() {
        let shape = |p: &Plan| {
            (
                p.users.iter().map(|u| u.email.clone()).collect::<Vec<_>>(),
                p.memberships.iter().map(|m| (m.workspace, m.user, m.role)).collect::<Vec<_>>(),
                p.invitations.iter().map(|i| (i.email.clone(), i.token_hash.clone())).collect::<Vec<_>>(),
            )
        };
        assert_eq!(shape(&plan(200, 5)), shape(&plan(200, 5)));
    }
}
