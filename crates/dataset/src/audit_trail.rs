//! The organisation's audit trail: its creation, its workspaces', then a year of plausible
//! changes by its administrators and members — hash-chained exactly as the server's audit chain
//! chains them (`lyceum_sql::audit_event`), so `lyceum audit verify` accepts it.
//!
//! Events are made on a blocking thread and written in chunks as they come, in transactions of
//! about `EVENTS_PER_TRANSACTION`; each transaction moves the chain's head to its last event, so
//! the chain verifies at every commit.

use std::sync::Arc;

use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use sqlx::Connection;

use lyceum_sql::audit_event::{EventRow, GENESIS};
use lyceum_sql::{new_id, rfc3339, Backend, Conn};

use super::bulk;
use super::names;
use super::plan::{Plan, DAY_MS};

const EVENTS_PER_TRANSACTION: usize = 100_000;

/// What happens after the organisation's first day, and how often (out of 100).
const ACTIONS: &[(&str, u32)] = &[
    ("member.added", 24),
    ("invitation.sent", 22),
    ("member.accepted", 14),
    ("member.role_changed", 12),
    ("invitation.accepted", 8),
    ("invitation.resent", 6),
    ("invitation.revoked", 4),
    ("member.removed", 4),
    ("member.left", 2),
    ("workspace.updated", 2),
    ("api_key.created", 1),
    ("api_key.revoked", 1),
];

const ORG_ROLES: &[&str] = &["guest", "viewer", "editor", "owner"];
const WORKSPACE_ROLES: &[&str] = &["owner", "trainer", "reviewer", "learner", "editor", "viewer"];

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "lyceum-sync/2.3 (+api key)",
];

/// Writes `total` events to the organisation's chain.
pub async fn write(
    conn: &mut Conn,
    backend: Backend,
    plan: Arc<Plan>,
    total: usize,
    seed: u64,
    now: i64,
    progress: &ProgressBar,
) -> anyhow::Result<()> {
    let chain = plan.org.id.clone();
    sqlx::query("INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2)")
        .bind(&chain)
        .bind(GENESIS)
        .execute(&mut *conn)
        .await?;
    let per_statement = bulk::rows_per_statement::<EventRow>(backend);
    let statements_per_transaction = (EVENTS_PER_TRANSACTION / per_statement).max(1);
    // Hashing is sequential by nature; on its own thread it overlaps the database's work.
    let (tx_chunks, mut chunks) = tokio::sync::mpsc::channel::<Vec<EventRow>>(4);
    let maker = tokio::task::spawn_blocking(move || {
        let mut trail = Trail::new(plan, total, seed, now);
        while trail.made < total {
            let chunk: Vec<EventRow> = (0..per_statement.min(total - trail.made)).map(|_| trail.next()).collect();
            if tx_chunks.blocking_send(chunk).is_err() {
                break;
            }
        }
    });
    let mut done = false;
    while !done {
        let mut tx = conn.begin().await?;
        let mut last = None;
        for _ in 0..statements_per_transaction {
            let Some(chunk) = chunks.recv().await else {
                done = true;
                break;
            };
            bulk::insert(&mut tx, backend, &chunk, progress).await?;
            last = chunk.last().map(|e| (e.seq, e.hash.clone()));
        }
        if let Some((seq, hash)) = last {
            sqlx::query("UPDATE audit_heads SET seq = $2, hash = $3 WHERE chain = $1")
                .bind(&chain)
                .bind(seq)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    maker.await?;
    Ok(())
}

/// The event maker: the chain so far and the choices still to make.
struct Trail {
    plan: Arc<Plan>,
    rng: StdRng,
    total: usize,
    made: usize,
    prev: String,
    admins: Vec<usize>,
    /// Setup events (the organisation, then each workspace) and when the rest begin.
    setup: usize,
    rest_from: i64,
    rest_until: i64,
}

struct Who {
    id: Option<String>,
    email: Option<String>,
}

/// An event before it joins the chain.
struct Draft {
    actor: Who,
    action: &'static str,
    workspace_id: Option<String>,
    target_type: &'static str,
    target_id: String,
    before: Option<Value>,
    after: Option<Value>,
}

impl Trail {
    fn new(plan: Arc<Plan>, total: usize, seed: u64, now: i64) -> Trail {
        let admins = plan.admins();
        let setup = 1 + plan.workspaces.len();
        let setup_end = plan.org.created_at + setup as i64 * 30_000;
        Trail {
            // A stream of its own, so the trail's choices do not depend on the plan's.
            rng: StdRng::seed_from_u64(seed ^ 0x00a0_d17e_7a11),
            total,
            made: 0,
            prev: GENESIS.to_owned(),
            admins,
            setup,
            rest_from: setup_end.max(plan.org.created_at + DAY_MS),
            rest_until: now - 60_000,
            plan,
        }
    }

    /// The next event, hashed onto the chain.
    fn next(&mut self) -> EventRow {
        let i = self.made;
        self.made += 1;
        let (at, draft) = if i < self.setup {
            self.setup_event(i)
        } else {
            let at = self.time_of(i);
            (at, self.change(i, at))
        };
        let org_id = self.plan.org.id.clone();
        let mut row = EventRow {
            id: new_id(),
            chain: org_id.clone(),
            seq: i as i64 + 1,
            org_id: Some(org_id),
            workspace_id: draft.workspace_id,
            at,
            actor_type: "user".to_owned(),
            actor_id: draft.actor.id,
            actor_email: draft.actor.email,
            action: draft.action.to_owned(),
            target_type: draft.target_type.to_owned(),
            target_id: draft.target_id,
            before_state: draft.before.map(|v| v.to_string()),
            after_state: draft.after.map(|v| v.to_string()),
            ip: Some(format!("198.51.100.{}", self.rng.gen_range(1..255))),
            user_agent: Some(USER_AGENTS[self.rng.gen_range(0..USER_AGENTS.len())].to_owned()),
            prev_hash: std::mem::take(&mut self.prev),
            hash: String::new(),
        };
        row.hash = row.compute_hash();
        self.prev = row.hash.clone();
        row
    }

    /// Event `i` after the setup: slots of equal length up to now, a random moment in each, so
    /// times never go backwards.
    fn time_of(&mut self, i: usize) -> i64 {
        let rest = (self.total - self.setup).max(1) as i128;
        let span = (self.rest_until - self.rest_from).max(rest as i64) as i128;
        let k = (i - self.setup) as i128;
        let slot_start = self.rest_from as i128 + span * k / rest;
        let slot_end = self.rest_from as i128 + span * (k + 1) / rest;
        (slot_start + self.rng.gen_range(0..(slot_end - slot_start).max(1))) as i64
    }

    fn setup_event(&self, i: usize) -> (i64, Draft) {
        let plan = &self.plan;
        let at = plan.org.created_at + (i as i64 - 1).max(0) * 30_000;
        let actor = self.user(0);
        let draft = match i {
            0 => Draft {
                actor,
                action: "org.created",
                workspace_id: None,
                target_type: "organization",
                target_id: plan.org.id.clone(),
                before: None,
                after: Some(
                    json!({"name": plan.org.name, "plan": "enterprise", "seats": plan.org.seats, "credit_pool": plan.org.credit_pool}),
                ),
            },
            _ => {
                let ws = &plan.workspaces[i - 1];
                Draft {
                    actor,
                    action: "workspace.created",
                    workspace_id: Some(ws.id.clone()),
                    target_type: "workspace",
                    target_id: ws.id.clone(),
                    before: None,
                    after: Some(json!({"name": ws.name, "credit_limit": ws.credit_limit})),
                }
            }
        };
        (at, draft)
    }

    fn user(&self, index: usize) -> Who {
        let u = &self.plan.users[index];
        Who { id: Some(u.id.clone()), email: Some(u.email.clone()) }
    }

    /// An administrator, the first ones (the known owner first) far busier than the rest.
    fn admin(&mut self) -> Who {
        let x: f64 = self.rng.gen();
        let pick = (x.powi(3) * self.admins.len() as f64) as usize;
        self.user(self.admins[pick.min(self.admins.len() - 1)])
    }

    fn any_member(&mut self) -> usize {
        self.rng.gen_range(0..self.plan.users.len())
    }

    /// Someone no longer in the organisation (or never in it): a fresh id, and an address numbered
    /// past those of the members and pending invitations, so it is nobody's today.
    fn outsider(&mut self, i: usize, domain: &str) -> Who {
        let (first, last) = names::person(&mut self.rng);
        let n = self.plan.users.len() + self.plan.invitations.len() + i;
        Who { id: Some(new_id()), email: Some(names::email(first, last, n, domain)) }
    }

    /// A workspace membership, chosen in proportion to workspace size.
    fn membership(&mut self) -> Option<usize> {
        (!self.plan.memberships.is_empty()).then(|| self.rng.gen_range(0..self.plan.memberships.len()))
    }

    fn change(&mut self, i: usize, at: i64) -> Draft {
        let mut x = self.rng.gen_range(0..100u32);
        let action = ACTIONS
            .iter()
            .find(|(_, w)| {
                let hit = x < *w;
                x = x.saturating_sub(*w);
                hit
            })
            .map_or("member.added", |(a, _)| a);
        let plan = Arc::clone(&self.plan);
        let draft = |actor, workspace_id, target_type, target_id, before, after| Draft {
            actor,
            action,
            workspace_id,
            target_type,
            target_id,
            before,
            after,
        };
        match action {
            "member.added" | "member.role_changed" => {
                let actor = self.admin();
                let in_workspace = self.rng.gen_bool(0.5);
                let (ws, user, role, roles) = match self.membership().filter(|_| in_workspace) {
                    Some(m) => {
                        let m = &plan.memberships[m];
                        (Some(plan.workspaces[m.workspace].id.clone()), m.user, m.role, WORKSPACE_ROLES)
                    }
                    None => {
                        let u = self.any_member();
                        (None, u, plan.org_members[u].role, ORG_ROLES)
                    }
                };
                let u = &plan.users[user];
                if action == "member.added" {
                    let status = plan.org_members[user].status;
                    let after = json!({"email": u.email, "role": role, "status": status});
                    draft(actor, ws, "user", u.id.clone(), None, Some(after))
                } else {
                    let before = roles[self.rng.gen_range(0..roles.len())];
                    draft(actor, ws, "user", u.id.clone(), Some(json!({"role": before})), Some(json!({"role": role})))
                }
            }
            "invitation.sent" | "invitation.resent" => {
                let actor = self.admin();
                let invitee = self.outsider(i, "invited.example.test");
                let expires = rfc3339(at + 7 * DAY_MS);
                let after = if action == "invitation.sent" {
                    let role = ORG_ROLES[self.rng.gen_range(0..3)];
                    json!({"email": invitee.email, "org_role": role, "workspace_role": null, "expires_at": expires})
                } else {
                    json!({"email": invitee.email, "expires_at": expires})
                };
                draft(actor, None, "invitation", new_id(), None, Some(after))
            }
            "invitation.revoked" => {
                let actor = self.admin();
                let before = json!({"status": "pending"});
                draft(actor, None, "invitation", new_id(), Some(before), Some(json!({"status": "revoked"})))
            }
            "member.accepted" | "invitation.accepted" => {
                let who = self.any_member();
                let actor = self.user(who);
                let user_id = plan.users[who].id.clone();
                let before = Some(json!({"status": "pending"}));
                if action == "member.accepted" {
                    draft(actor, None, "user", user_id, before, Some(json!({"status": "accepted"})))
                } else {
                    let after = json!({"status": "accepted", "user_id": user_id});
                    draft(actor, None, "invitation", new_id(), before, Some(after))
                }
            }
            "member.removed" | "member.left" => {
                let former = self.outsider(i, "example.test");
                let target = former.id.clone().unwrap_or_default();
                let role = ORG_ROLES[self.rng.gen_range(0..2)];
                let before = json!({"email": former.email, "role": role, "status": "accepted", "workspaces": []});
                let actor = if action == "member.removed" { self.admin() } else { former };
                draft(actor, None, "user", target, Some(before), None)
            }
            "workspace.updated" => {
                let actor = self.admin();
                let ws = &plan.workspaces[self.rng.gen_range(0..plan.workspaces.len())];
                let old_limit = ws.credit_limit / 2 + self.rng.gen_range(0..=ws.credit_limit / 2);
                let before = json!({"name": ws.name, "credit_limit": old_limit});
                let after = json!({"name": ws.name, "credit_limit": ws.credit_limit});
                draft(actor, Some(ws.id.clone()), "workspace", ws.id.clone(), Some(before), Some(after))
            }
            "api_key.created" => {
                let actor = self.admin();
                let after = json!({"name": "Nightly HR sync", "role": "viewer", "workspace_id": null});
                draft(actor, None, "api_key", new_id(), None, Some(after))
            }
            _ => {
                let actor = self.admin();
                let before = json!({"name": "Nightly HR sync"});
                draft(actor, None, "api_key", new_id(), Some(before), None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Secrets, Sizes};

    /// The trail is a chain `lyceum audit verify` accepts: numbered from 1, each event hashed onto
    /// the previous one from the genesis hash, and never going back in time.
    #[test]
    fn the_trail_is_one_unbroken_chain() {
        let now = 1_800_000_000_000;
        let sizes = Sizes { members: 200, workspaces: 8, invitations: 20, audit_events: 500 };
        let secrets = Secrets { password_hash: "hash".into(), hash_token: |token| format!("hash of {token}") };
        let plan = Arc::new(Plan::new(&sizes, 7, &secrets, now));
        let mut trail = Trail::new(Arc::clone(&plan), sizes.audit_events, 7, now);
        let events: Vec<EventRow> = (0..sizes.audit_events).map(|_| trail.next()).collect();
        let mut prev = GENESIS.to_owned();
        for (i, e) in events.iter().enumerate() {
            assert_eq!(e.seq, i as i64 + 1);
            assert_eq!((e.chain.as_str(), e.prev_hash.as_str()), (plan.org.id.as_str(), prev.as_str()));
            assert_eq!(e.hash, e.compute_hash());
            prev = e.hash.clone();
        }
        assert!(events.windows(2).all(|w| w[0].at <= w[1].at && w[1].at < now));
        assert_eq!(events[0].action, "org.created");
        assert!(events[1..=8].iter().all(|e| e.action == "workspace.created"));
    }
}
