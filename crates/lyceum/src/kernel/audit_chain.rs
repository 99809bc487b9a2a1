//! The audit trail: append-only, hash-chained per organisation (events with no organisation —
//! signups, logins — form the instance chain ""). Appending bumps the chain's head row first,
//! which serialises writers of one chain on both databases; the database refuses UPDATE and
//! DELETE on events (triggers), and `verify` recomputes every chain.

pub use lyceum_sql::audit_event::{EventRow, GENESIS};

use super::multi_row;
use super::sql::Conn;

/// Who did it, and from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// `user | api_key | anonymous | system`
    pub kind: &'static str,
    pub id: Option<String>,
    pub email: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What an audit event records: the closed catalogue of actions. Each action names its target's
/// type, so an event cannot pair an action with the wrong kind of target; the wire names are
/// what `GET /audit?action=` filters on (an exact name, or a family such as `member`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    AdminCreated,
    ApiKeyCreated,
    ApiKeyRevoked,
    AuthLoggedIn,
    AuthLoginFailed,
    BudgetSet,
    InvitationAccepted,
    InvitationResent,
    InvitationRevoked,
    InvitationSent,
    MemberAccepted,
    MemberAdded,
    MemberLeft,
    MemberRemoved,
    MemberRoleChanged,
    ModelPriced,
    OrgCreated,
    UsageIngested,
    CourseCreated,
    CourseDraftSaved,
    CoursePublished,
    CourseDuplicated,
    CourseImported,
    CourseTrashed,
    CourseRestored,
    CoursePurged,
    TemplateCreated,
    MediaUploaded,
    UserSignedUp,
    UserUpdated,
    WorkspaceCreated,
    WorkspaceUpdated,
}

/// The catalogue as data: (action, wire name, target type, what it records).
pub const ACTIONS: &[(Action, &str, &str, &str)] = &[
    (Action::AdminCreated, "admin.created", "user", "An instance administrator was created (CLI)."),
    (Action::ApiKeyCreated, "api_key.created", "api_key", "An API key was created (its secret is never recorded)."),
    (Action::ApiKeyRevoked, "api_key.revoked", "api_key", "An API key was revoked."),
    (Action::AuthLoggedIn, "auth.logged_in", "user", "A person signed in."),
    (
        Action::AuthLoginFailed,
        "auth.login_failed",
        "email",
        "A sign-in failed (the address typed, whether or not an account has it).",
    ),
    (Action::BudgetSet, "budget.set", "workspace", "A workspace's monthly AI budget was set."),
    (
        Action::InvitationAccepted,
        "invitation.accepted",
        "invitation",
        "An invitation was used to join (on signup or by a signed-in person).",
    ),
    (
        Action::InvitationResent,
        "invitation.resent",
        "invitation",
        "An invitation was sent again with a new token and term.",
    ),
    (Action::InvitationRevoked, "invitation.revoked", "invitation", "An invitation was revoked."),
    (Action::InvitationSent, "invitation.sent", "invitation", "An invitation was sent to an address with no account."),
    (Action::MemberAccepted, "member.accepted", "user", "A pending membership became accepted at sign-in."),
    (Action::MemberAdded, "member.added", "user", "A person was added to an organisation or workspace."),
    (Action::MemberLeft, "member.left", "user", "A person left an organisation or workspace."),
    (Action::MemberRemoved, "member.removed", "user", "A person was removed from an organisation or workspace."),
    (Action::MemberRoleChanged, "member.role_changed", "user", "A member's role changed."),
    (Action::ModelPriced, "model.priced", "model", "A model's price (or whether it is enabled) was set."),
    (Action::OrgCreated, "org.created", "organization", "An organisation was created (with its first workspace)."),
    (Action::UsageIngested, "usage.ingested", "workspace", "A batch of usage reported by an integration was recorded."),
    (
        Action::CourseCreated,
        "course.created",
        "course",
        "A course was created (from scratch, a template or by AI generation).",
    ),
    (
        Action::CourseDraftSaved,
        "course.draft_saved",
        "course",
        "A course's draft was saved (title, tags, modules, settings, rubric).",
    ),
    (Action::CoursePublished, "course.published", "course", "A course's draft was published as its next version."),
    (
        Action::CourseDuplicated,
        "course.duplicated",
        "course",
        "A course was copied into a new draft (the target is the copy).",
    ),
    (
        Action::CourseImported,
        "course.imported",
        "course",
        "A course was created from an imported Markdown, PDF, PowerPoint or Word file.",
    ),
    (Action::CourseTrashed, "course.trashed", "course", "A course was moved to the trash."),
    (Action::CourseRestored, "course.restored", "course", "A course was restored from the trash."),
    (Action::CoursePurged, "course.purged", "course", "A trashed course was purged after the workspace's retention."),
    (
        Action::TemplateCreated,
        "template.created",
        "template",
        "A course template was saved (from a course, or regenerated for an audience).",
    ),
    (Action::MediaUploaded, "media.uploaded", "media", "An image, audio or video file was uploaded."),
    (Action::UserSignedUp, "user.signed_up", "user", "An account was created."),
    (Action::UserUpdated, "user.updated", "user", "A person changed their profile, email or password."),
    (Action::WorkspaceCreated, "workspace.created", "workspace", "A workspace was created."),
    (Action::WorkspaceUpdated, "workspace.updated", "workspace", "A workspace's settings or credit limit changed."),
];

impl Action {
    fn row(self) -> &'static (Action, &'static str, &'static str, &'static str) {
        // Every action has its row (the catalogue test checks it), so this cannot fail.
        ACTIONS.iter().find(|(a, ..)| *a == self).unwrap_or(&ACTIONS[0])
    }

    /// The wire name, `family.verb`.
    pub fn as_str(self) -> &'static str {
        self.row().1
    }

    /// The type of the target an event with this action names.
    pub fn target_type(self) -> &'static str {
        self.row().2
    }

    /// The action of a wire name.
    pub fn parse(name: &str) -> Option<Action> {
        ACTIONS.iter().find(|(_, n, ..)| *n == name).map(|(a, ..)| *a)
    }
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct Entry {
    pub org_id: Option<String>,
    pub workspace_id: Option<String>,
    pub action: Action,
    pub target_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// The columns of an event row, in `EventRow` order.
pub const COLUMNS: &str = "id, chain, seq, org_id, workspace_id, at, actor_type, actor_id, actor_email, action, \
     target_type, target_id, before_state, after_state, ip, user_agent, prev_hash, hash";

/// Appends events to their chains, in order, on the caller's transaction.
pub async fn append(conn: &mut Conn, actor: &Actor, entries: Vec<Entry>, now: i64) -> sqlx::Result<()> {
    let mut by_chain: Vec<(String, Vec<Entry>)> = Vec::new();
    for e in entries {
        let chain = e.org_id.clone().unwrap_or_default();
        match by_chain.iter_mut().find(|(c, _)| *c == chain) {
            Some((_, list)) => list.push(e),
            None => by_chain.push((chain, vec![e])),
        }
    }
    for (chain, list) in by_chain {
        append_to_chain(conn, actor, &chain, list, now).await?;
    }
    Ok(())
}

async fn append_to_chain(
    conn: &mut Conn,
    actor: &Actor,
    chain: &str,
    entries: Vec<Entry>,
    now: i64,
) -> sqlx::Result<()> {
    let n = entries.len() as i64;
    sqlx::query("INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO NOTHING")
        .bind(chain)
        .bind(GENESIS)
        .execute(&mut *conn)
        .await?;
    // Bumping the head takes its row lock: concurrent appenders to this chain wait here.
    let (last_seq, mut prev): (i64, String) =
        sqlx::query_as("UPDATE audit_heads SET seq = seq + $2 WHERE chain = $1 RETURNING seq - $2, hash")
            .bind(chain)
            .bind(n)
            .fetch_one(&mut *conn)
            .await?;
    let mut rows = Vec::with_capacity(entries.len());
    for (i, e) in entries.into_iter().enumerate() {
        let mut row = EventRow {
            id: crate::kernel::db::new_id(),
            chain: chain.to_owned(),
            seq: last_seq + 1 + i as i64,
            org_id: e.org_id,
            workspace_id: e.workspace_id,
            at: now,
            actor_type: actor.kind.to_owned(),
            actor_id: actor.id.clone(),
            actor_email: actor.email.clone(),
            action: e.action.as_str().to_owned(),
            target_type: e.action.target_type().to_owned(),
            target_id: e.target_id,
            before_state: e.before.map(|v| v.to_string()),
            after_state: e.after.map(|v| v.to_string()),
            ip: actor.ip.clone(),
            user_agent: actor.user_agent.clone(),
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        row.hash = row.compute_hash();
        prev = row.hash.clone();
        rows.push(row);
    }
    multi_row::insert(&mut *conn, &rows).await?;
    sqlx::query("UPDATE audit_heads SET hash = $2 WHERE chain = $1")
        .bind(chain)
        .bind(&prev)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A break found in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub chain: String,
    pub seq: i64,
    pub reason: &'static str,
}

/// Recomputes every chain; returns the number of events checked and the breaks found.
pub async fn verify(conn: &mut Conn) -> sqlx::Result<(u64, Vec<Break>)> {
    let heads: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT chain, seq, hash FROM audit_heads ORDER BY chain").fetch_all(&mut *conn).await?;
    let mut checked = 0;
    let mut breaks = Vec::new();
    for (chain, head_seq, head_hash) in heads {
        let mut prev = GENESIS.to_owned();
        let mut expected_seq = 1;
        let mut after = 0;
        loop {
            let page: Vec<EventRow> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM audit_events WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT 1000"
            ))
            .bind(&chain)
            .bind(after)
            .fetch_all(&mut *conn)
            .await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for e in &page {
                checked += 1;
                let brk = |reason| Break { chain: chain.clone(), seq: e.seq, reason };
                if e.seq != expected_seq {
                    breaks.push(brk("a sequence number is missing"));
                } else if e.prev_hash != prev {
                    breaks.push(brk("prev_hash does not match the previous event"));
                } else if e.compute_hash() != e.hash {
                    breaks.push(brk("the event's content does not match its hash"));
                }
                expected_seq = e.seq + 1;
                prev = e.hash.clone();
            }
        }
        if expected_seq - 1 != head_seq || prev != head_hash {
            breaks.push(Break {
                chain: chain.clone(),
                seq: head_seq,
                reason: "the chain's head does not match its last event",
            });
        }
    }
    Ok((checked, breaks))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::{Action, ACTIONS};

    /// Every action, by an exhaustive match: a new action does not compile until it is listed
    /// here, and then the test fails until it has its row in the catalogue.
    fn every_action() -> Vec<Action> {
        use Action::*;
        let all = [
            AdminCreated,
            ApiKeyCreated,
            ApiKeyRevoked,
            AuthLoggedIn,
            AuthLoginFailed,
            InvitationAccepted,
            InvitationResent,
            InvitationRevoked,
            InvitationSent,
            MemberAccepted,
            MemberAdded,
            MemberLeft,
            MemberRemoved,
            MemberRoleChanged,
            OrgCreated,
            UserSignedUp,
            UserUpdated,
            WorkspaceCreated,
            WorkspaceUpdated,
            BudgetSet,
            ModelPriced,
            UsageIngested,
            CourseCreated,
            CourseDraftSaved,
            CoursePublished,
            CourseDuplicated,
            CourseImported,
            CourseTrashed,
            CourseRestored,
            CoursePurged,
            TemplateCreated,
            MediaUploaded,
        ];
        for a in all {
            match a {
                AdminCreated | ApiKeyCreated | ApiKeyRevoked | AuthLoggedIn | AuthLoginFailed | InvitationAccepted
                | InvitationResent | InvitationRevoked | InvitationSent | MemberAccepted | MemberAdded | MemberLeft
                | MemberRemoved | MemberRoleChanged | OrgCreated | UserSignedUp | UserUpdated | WorkspaceCreated
                | WorkspaceUpdated | BudgetSet | ModelPriced | UsageIngested | CourseCreated | CourseDraftSaved
                | CoursePublished | CourseDuplicated | CourseImported | CourseTrashed | CourseRestored
                | CoursePurged | TemplateCreated | MediaUploaded => {}
            }
        }
        all.to_vec()
    }

    #[test]
    fn every_action_has_one_row_with_a_family_dot_verb_name() {
        let all = every_action();
        assert_eq!(ACTIONS.len(), all.len(), "one row per action");
        let mut names = HashSet::new();
        for a in all {
            let rows: Vec<_> = ACTIONS.iter().filter(|(x, ..)| *x == a).collect();
            assert_eq!(rows.len(), 1, "{a:?} has exactly one row");
            let (_, name, target, what) = rows[0];
            assert!(names.insert(*name), "{name} is listed twice");
            let (family, verb) = name.split_once('.').unwrap_or_default();
            let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
            assert!(word(family) && word(verb), "{name} is `family.verb`");
            assert!(word(target), "{name}: target type {target}");
            assert!(!what.is_empty(), "{name} says what it records");
            assert_eq!(a.as_str(), *name);
            assert_eq!(a.target_type(), *target);
            assert_eq!(Action::parse(name), Some(a));
        }
        assert_eq!(Action::parse("member.everything"), None);
    }
}
