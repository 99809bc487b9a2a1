//! Inviting people (PRODUCT.md §3 "Invite members"): many addresses at once, one outcome each,
//! seats checked for the whole batch under the organisation's write lock, emails through the
//! outbox in the same transaction. Also resend, revoke, look up by token and accept.

use std::collections::{HashMap, HashSet};

use lyceum_domain::invitation::{outcome_for, Known, Outcome};
use lyceum_domain::{
    parse_email_list, rules, DomainError, EmailListEntry, InvitationStatus, MemberRole, MemberStatus, OrgRole,
    Permission, WorkspaceRole,
};
use serde_json::json;

use crate::accounts::queries::users;
use crate::kernel::access::Roles;
use crate::kernel::audit_chain::{Action, Entry};
use crate::kernel::change::Change;
use crate::kernel::db::{now_ms, rfc3339};
use crate::kernel::scope::{access_at, access_at_seeing, scope_in_org, visible_at, Scope, ScopeRef};
use crate::kernel::sql::Conn;
use crate::kernel::{Caller, Result};
use crate::security::tokens;
use crate::tenancy::store::invitations::{self, InvitationRow, Issued};
use crate::tenancy::store::members::{self, NewMember, Scope as SqlScope};
use crate::tenancy::store::orgs;
use lyceum_domain::id::{InvitationId, OrgId, UserId, WorkspaceId};

crate::kernel::area!(
    /// Invitations: send, resend, revoke, list, look up by token and accept.
    Invitations,
    invitations
);

/// One address's outcome.
#[derive(Debug, Clone)]
pub struct InviteResult {
    pub email: String,
    pub outcome: Outcome,
    pub invitation_id: Option<InvitationId>,
}

/// What a token offers, for the landing page.
pub struct TokenInfo {
    pub organization_name: String,
    pub workspace_name: Option<String>,
    pub email: String,
    pub role: MemberRole,
}

/// What to write for one valid address, decided before anything is written.
enum Plan {
    Nothing,
    AddToWorkspace {
        user_id: UserId,
        status: MemberStatus,
    },
    /// `new_seat`: false when the address already holds a seat through an outstanding invitation.
    AddPending {
        user_id: UserId,
        new_seat: bool,
    },
    /// `new_seat`: false when the address already holds a seat through another outstanding
    /// invitation of the organisation.
    Invite {
        existing: Option<InvitationRow>,
        new_seat: bool,
    },
}

impl Invitations<'_> {
    fn invitation_link(&self, token: &str) -> String {
        format!("{}/invite/{token}", self.settings.base_url.trim_end_matches('/'))
    }

    /// Invites a batch of addresses to an organisation (org role) or a workspace (workspace role):
    /// parse the batch, authorise under the organisation's lock, plan each address and check the
    /// seats for the whole batch, build every row, mail and event, then write them in multi-row
    /// statements — one change, all or nothing.
    pub async fn invite(
        &self,
        caller: &Caller,
        target: ScopeRef<'_>,
        emails: &[String],
        role: MemberRole,
    ) -> Result<Vec<InviteResult>> {
        self.throttle(&self.limits.invitations_per_actor, &caller.key())?;
        let entries = self.parse_batch(emails)?;
        let scope = self.scope(target).await?;
        let mut tx = self.begin_org_change(&scope.org_id).await?;
        let roles = authorise_invite(&mut tx, caller, &scope, role).await?;
        let ws = match &scope.workspace_id {
            Some(id) => Some(orgs::workspace(&mut tx, id).await?.ok_or(DomainError::NotFound)?),
            None => None,
        };
        let Scope { org_id, workspace_id: ws_id } = scope;
        let org = orgs::by_id(&mut tx, &org_id).await?.ok_or(DomainError::NotFound)?;
        let now = now_ms();
        let valid: Vec<String> = entries
            .iter()
            .filter_map(|e| match e {
                EmailListEntry::Valid(e) => Some(e.to_string()),
                EmailListEntry::Invalid(_) => None,
            })
            .collect();
        let plans = self.plan_invitations(&mut tx, &org_id, ws_id.as_ref(), &valid, now).await?;
        let wanted = plans
            .values()
            .filter(|p| matches!(p, Plan::AddPending { new_seat: true, .. } | Plan::Invite { new_seat: true, .. }))
            .count() as i64;
        let used = members::seats_used(&mut tx, &org_id, now).await?;
        rules::check_seats(org.seats, used, wanted)?;
        let to = BatchTarget {
            org_id: &org_id,
            org_name: &org.name,
            ws_id: &ws_id,
            ws_name: ws.as_ref().map(|w| w.name.as_str()),
            role: role.as_str(),
            roles,
        };
        let batch = self.build_batch(caller, &to, &entries, &plans, now);
        write_batch(&mut tx, &to, &batch, now).await?;
        if batch.events.is_empty() {
            tx.unaudited("every address was already a member or not an address: nothing changed");
        }
        tx.record(&caller.audit_actor(), batch.events, now);
        tx.commit().await?;
        if !batch.mails.is_empty() {
            self.wake_mailer();
        }
        Ok(batch.results)
    }

    /// Parses and de-duplicates a batch's addresses (invalid ones stay, to be reported), within
    /// the batch size limit.
    fn parse_batch(&self, emails: &[String]) -> Result<Vec<EmailListEntry>> {
        let entries = parse_email_list(emails.iter().map(String::as_str));
        if entries.is_empty() {
            return Err(DomainError::invalid("emails", "must contain at least one address").into());
        }
        if entries.len() > self.settings.max_invitation_batch {
            return Err(DomainError::invalid(
                "emails",
                format!("must contain at most {} addresses", self.settings.max_invitation_batch),
            )
            .into());
        }
        Ok(entries)
    }

    /// Builds, in address order, every membership, invitation, mail and audit event the batch
    /// will write, and each address's result. Writes nothing.
    fn build_batch<'p>(
        &self,
        caller: &Caller,
        to: &BatchTarget<'_>,
        entries: &[EmailListEntry],
        plans: &'p HashMap<String, Plan>,
        now: i64,
    ) -> Batch<'p> {
        let (org_role, ws_role) = to.roles;
        let inviter = caller.display_name();
        let expires_at = now + self.settings.invitation_ttl_ms;
        let sign_in_link = format!("{}/login", self.settings.base_url.trim_end_matches('/'));
        let mut b = Batch { results: Vec::with_capacity(entries.len()), ..Batch::default() };
        for entry in entries {
            let email = match entry {
                EmailListEntry::Invalid(raw) => {
                    b.results.push(InviteResult { email: raw.clone(), outcome: Outcome::Invalid, invitation_id: None });
                    continue;
                }
                EmailListEntry::Valid(e) => e.to_string(),
            };
            let plan = plans.get(&email).unwrap_or(&Plan::Nothing);
            let (outcome, invitation_id) = match plan {
                Plan::Nothing => (Outcome::AlreadyMember, None),
                Plan::AddToWorkspace { user_id, status } => {
                    if let Some(r) = ws_role {
                        b.ws_members.push(NewMember { user_id, role: MemberRole::Workspace(r), status: *status });
                    }
                    b.events.push(member_added(to.org_id, to.ws_id, user_id, &email, to.role, *status));
                    (Outcome::Added, None)
                }
                Plan::AddPending { user_id, .. } => {
                    let pending = MemberStatus::Pending;
                    b.org_members.push(NewMember { user_id, role: MemberRole::Org(org_role), status: pending });
                    if let Some(r) = ws_role {
                        b.ws_members.push(NewMember { user_id, role: MemberRole::Workspace(r), status: pending });
                    }
                    b.mails.push(lyceum_mail::templates::added(&lyceum_mail::templates::Added {
                        to: &email,
                        organization: to.org_name,
                        workspace: to.ws_name,
                        inviter: &inviter,
                        role: to.role,
                        link: &sign_in_link,
                    }));
                    b.events.push(member_added(to.org_id, to.ws_id, user_id, &email, to.role, pending));
                    (Outcome::Pending, None)
                }
                Plan::Invite { existing, .. } => {
                    let token = tokens::random_token();
                    let invitation = InvitationRow {
                        id: existing.as_ref().map_or_else(InvitationId::new, |i| i.id.clone()),
                        org_id: to.org_id.clone(),
                        email: email.clone(),
                        org_role,
                        workspace_id: to.ws_id.clone(),
                        workspace_role: ws_role,
                        invited_by: caller.user_id().cloned(),
                        created_at: now,
                        expires_at,
                        accepted_at: None,
                        revoked_at: None,
                    };
                    b.mails.push(self.invitation_email(&invitation, to.org_name, to.ws_name, &inviter, &token));
                    b.events.push(Entry {
                        org_id: Some(to.org_id.to_string()),
                        workspace_id: to.ws_id.as_ref().map(WorkspaceId::to_string),
                        action: if existing.is_some() { Action::InvitationResent } else { Action::InvitationSent },
                        target_id: invitation.id.to_string(),
                        before: None,
                        after: Some(json!({"email": email, "org_role": invitation.org_role, "workspace_role": invitation.workspace_role, "expires_at": rfc3339(expires_at)})),
                    });
                    let id = invitation.id.clone();
                    let issued = Issued { invitation, token_hash: tokens::hash_secret(&token) };
                    match existing {
                        Some(_) => b.reissued.push(issued),
                        None => b.new_invitations.push(issued),
                    }
                    (Outcome::Invited, Some(id))
                }
            };
            b.results.push(InviteResult { email, outcome, invitation_id });
        }
        b
    }

    /// Decides, for each valid address, what the batch will do; reads only.
    async fn plan_invitations(
        &self,
        conn: &mut Conn,
        org_id: &OrgId,
        ws_id: Option<&WorkspaceId>,
        emails: &[String],
        now: i64,
    ) -> Result<HashMap<String, Plan>> {
        let accounts: HashMap<String, UserId> =
            users::by_emails(conn, emails).await?.into_iter().map(|u| (u.email, u.id)).collect();
        let user_ids: Vec<UserId> = accounts.values().cloned().collect();
        let org_status: HashMap<UserId, MemberStatus> =
            members::org_statuses(conn, org_id, &user_ids).await?.into_iter().collect();
        let in_ws: HashSet<UserId> = match ws_id {
            Some(ws) => members::get_many(conn, SqlScope::Workspace(ws), &user_ids)
                .await?
                .into_iter()
                .map(|m| m.user_id)
                .collect(),
            None => HashSet::new(),
        };
        let outstanding = invitations::outstanding_for(conn, org_id, emails, now).await?;
        let mut outstanding_by_email: HashMap<&str, Vec<&InvitationRow>> = HashMap::new();
        for i in &outstanding {
            outstanding_by_email.entry(i.email.as_str()).or_default().push(i);
        }
        let mut plans = HashMap::with_capacity(emails.len());
        for email in emails {
            let user_id = accounts.get(email);
            let known = match user_id {
                None => Known::NoAccount,
                Some(id) if !org_status.contains_key(id) => Known::OutsideOrg,
                Some(id) if ws_id.is_some() && !in_ws.contains(id) => Known::InOrgNotInTarget,
                Some(_) => Known::InTarget,
            };
            // Outstanding invitations of the organisation to this address: each holds its seat.
            let held = outstanding_by_email.get(email.as_str()).map_or(&[][..], Vec::as_slice);
            let plan = match (outcome_for(known), user_id) {
                (Outcome::Added, Some(id)) => Plan::AddToWorkspace {
                    user_id: id.clone(),
                    status: org_status.get(id).copied().unwrap_or(MemberStatus::Accepted),
                },
                (Outcome::Pending, Some(id)) => Plan::AddPending { user_id: id.clone(), new_seat: held.is_empty() },
                (Outcome::Invited, _) => match held.iter().find(|i| i.workspace_id.as_ref() == ws_id) {
                    Some(&same_scope) => Plan::Invite { existing: Some(same_scope.clone()), new_seat: false },
                    None => Plan::Invite { existing: None, new_seat: held.is_empty() },
                },
                _ => Plan::Nothing,
            };
            plans.insert(email.clone(), plan);
        }
        Ok(plans)
    }

    /// The invitation email of `inv`, with the link of its (plain) token.
    fn invitation_email(
        &self,
        inv: &InvitationRow,
        org_name: &str,
        ws_name: Option<&str>,
        inviter: &str,
        token: &str,
    ) -> lyceum_mail::Envelope {
        let link = self.invitation_link(token);
        let role = inv.workspace_role.map_or(inv.org_role.as_str(), WorkspaceRole::as_str);
        lyceum_mail::templates::invitation(&lyceum_mail::templates::Invitation {
            to: &inv.email,
            organization: org_name,
            workspace: ws_name,
            inviter,
            role,
            link: &link,
            expires: &rfc3339(inv.expires_at),
        })
    }

    /// Loads an invitation and checks the caller may manage it (`members.invite` where it points);
    /// 404 when it does not exist or the caller cannot see it. Called inside the change's
    /// transaction, so roles are read under the organisation's lock.
    async fn managed_invitation(&self, conn: &mut Conn, caller: &Caller, inv: InvitationRow) -> Result<InvitationRow> {
        let scope = match &inv.workspace_id {
            Some(ws_id) => {
                let ws = orgs::workspace(conn, ws_id).await?.ok_or(DomainError::NotFound)?;
                Scope::workspace(&ws.org_id, &ws.id)
            }
            None => Scope::org(&inv.org_id),
        };
        access_at_seeing(conn, Roles::Locked, caller, &scope, Permission::MembersView, Permission::MembersInvite)
            .await?;
        Ok(inv)
    }

    async fn invitation_for_change(
        &self,
        caller: &Caller,
        id: &InvitationId,
    ) -> Result<(crate::kernel::change::Change, InvitationRow)> {
        let org_id = {
            let mut conn = self.pool.acquire().await?;
            invitations::by_id(&mut conn, id).await?.ok_or(DomainError::NotFound)?.org_id
        };
        let mut tx = self.begin_org_change(&org_id).await?;
        let inv = invitations::by_id(&mut tx, id).await?.ok_or(DomainError::NotFound)?;
        let inv = self.managed_invitation(&mut tx, caller, inv).await?;
        Ok((tx, inv))
    }

    /// Sends an invitation again with a new token and expiry; the old token is dead.
    pub async fn resend_invitation(&self, caller: &Caller, id: &InvitationId) -> Result<InvitationRow> {
        let (mut tx, mut inv) = self.invitation_for_change(caller, id).await?;
        if inv.accepted_at.is_some() || inv.revoked_at.is_some() {
            return Err(DomainError::Conflict("this invitation was already accepted or revoked".into()).into());
        }
        let now = now_ms();
        inv.expires_at = now + self.settings.invitation_ttl_ms;
        let token = tokens::random_token();
        invitations::reissue(&mut tx, &inv, &tokens::hash_secret(&token)).await?;
        let org = orgs::by_id(&mut tx, &inv.org_id).await?.ok_or(DomainError::NotFound)?;
        let ws_name = match &inv.workspace_id {
            Some(ws) => orgs::workspace(&mut tx, ws).await?.map(|w| w.name),
            None => None,
        };
        let mail = self.invitation_email(&inv, &org.name, ws_name.as_deref(), &caller.display_name(), &token);
        lyceum_mail::enqueue(&mut tx, &mail, now).await?;
        let entry = Entry {
            org_id: Some(inv.org_id.to_string()),
            workspace_id: inv.workspace_id.as_ref().map(WorkspaceId::to_string),
            action: Action::InvitationResent,
            target_id: inv.id.to_string(),
            before: None,
            after: Some(json!({"email": inv.email, "expires_at": rfc3339(inv.expires_at)})),
        };
        tx.record(&caller.audit_actor(), vec![entry], now);
        tx.commit().await?;
        self.wake_mailer();
        Ok(inv)
    }

    /// Revokes an outstanding invitation: its token stops working and its seat is freed.
    pub async fn revoke_invitation(&self, caller: &Caller, id: &InvitationId) -> Result<()> {
        let (mut tx, inv) = self.invitation_for_change(caller, id).await?;
        let now = now_ms();
        if !invitations::revoke(&mut tx, &inv.id, now).await? {
            return Err(DomainError::Conflict("this invitation was already accepted or revoked".into()).into());
        }
        let entry = Entry {
            org_id: Some(inv.org_id.to_string()),
            workspace_id: inv.workspace_id.as_ref().map(WorkspaceId::to_string),
            action: Action::InvitationRevoked,
            target_id: inv.id.to_string(),
            before: Some(json!({"email": inv.email, "status": inv.status(now).as_str()})),
            after: Some(json!({"status": "revoked"})),
        };
        tx.record(&caller.audit_actor(), vec![entry], now);
        tx.commit().await?;
        Ok(())
    }

    /// Invitations of an organisation (owners), or of one workspace (its owners too).
    pub async fn list_invitations(
        &self,
        caller: &Caller,
        org_id: &OrgId,
        workspace_id: Option<&WorkspaceId>,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<crate::kernel::Page<InvitationRow>> {
        let mut conn = self.pool.acquire().await?;
        let scope = scope_in_org(&mut conn, org_id, workspace_id).await?;
        access_at(&mut conn, self.cached(), caller, &scope, Permission::MembersInvite).await?;
        let after = cursor.map(|c| crate::kernel::decode_cursor(c, 1)).transpose()?.and_then(|mut p| p.pop());
        let limit = crate::kernel::page_limit(limit);
        let items = invitations::list(&mut conn, org_id, workspace_id, after.as_deref(), limit).await?;
        Ok(crate::kernel::Page::of(items, limit, |i| crate::kernel::encode_cursor(&[i.id.as_str()])))
    }

    /// What an outstanding invitation token offers (no authentication: the token is the secret).
    pub async fn invitation_by_token(&self, token: &str) -> Result<TokenInfo> {
        let mut conn = self.pool.acquire().await?;
        let inv = invitations::by_token_hash(&mut conn, &tokens::hash_secret(token))
            .await?
            .filter(|i| i.status(now_ms()) == InvitationStatus::Pending)
            .ok_or_else(|| DomainError::InvalidToken("this invitation is expired, revoked or already used".into()))?;
        let org = orgs::by_id(&mut conn, &inv.org_id).await?.ok_or(DomainError::NotFound)?;
        let workspace_name = match &inv.workspace_id {
            Some(ws) => orgs::workspace(&mut conn, ws).await?.map(|w| w.name),
            None => None,
        };
        Ok(TokenInfo {
            organization_name: org.name,
            workspace_name,
            email: inv.email.clone(),
            role: inv.workspace_role.map_or(MemberRole::Org(inv.org_role), MemberRole::Workspace),
        })
    }

    /// A signed-in user accepts an invitation sent to their own address.
    pub async fn accept_invitation(&self, caller: &Caller, token: &str) -> Result<InvitationRow> {
        let person = caller.person()?.clone();
        let hash = tokens::hash_secret(token);
        let invalid = || DomainError::InvalidToken("this invitation is expired, revoked or already used".into());
        let org_id = {
            let mut conn = self.pool.acquire().await?;
            invitations::by_token_hash(&mut conn, &hash).await?.ok_or_else(invalid)?.org_id
        };
        let mut tx = self.begin_org_change(&org_id).await?;
        let mut inv = invitations::by_token_hash(&mut tx, &hash).await?.ok_or_else(invalid)?;
        if inv.email != person.email {
            return Err(DomainError::Forbidden("an invitation sent to your address").into());
        }
        let now = now_ms();
        let entry = join_by_invitation(&mut tx, &inv, &hash, &person.id, now).await?;
        tx.record(&caller.audit_actor(), vec![entry], now);
        tx.commit().await?;
        // The row was read before it was consumed: answer with its state now.
        inv.accepted_at = Some(now);
        Ok(inv)
    }
}

/// Where an invitation batch goes, and with which roles.
struct BatchTarget<'a> {
    org_id: &'a OrgId,
    org_name: &'a str,
    ws_id: &'a Option<WorkspaceId>,
    ws_name: Option<&'a str>,
    /// The role as asked (for mails and events).
    role: &'a str,
    /// The organisation role granted, and the workspace role for a workspace batch.
    roles: (OrgRole, Option<WorkspaceRole>),
}

/// Everything one invitation batch writes, gathered in address order, and each address's result.
#[derive(Default)]
struct Batch<'p> {
    org_members: Vec<NewMember<'p>>,
    ws_members: Vec<NewMember<'p>>,
    new_invitations: Vec<Issued>,
    reissued: Vec<Issued>,
    mails: Vec<lyceum_mail::Envelope>,
    events: Vec<Entry>,
    results: Vec<InviteResult>,
}

/// The caller's right to invite with `role` at `scope`, under the organisation's lock: 404 unless
/// visible, then the role (422), no escalation (403 `role_escalation`), and `members.invite`.
async fn authorise_invite(
    tx: &mut Change,
    caller: &Caller,
    scope: &Scope,
    role: MemberRole,
) -> Result<(OrgRole, Option<WorkspaceRole>)> {
    let access = visible_at(tx, Roles::Locked, caller, scope).await?;
    let roles = match (&scope.workspace_id, role) {
        (Some(_), MemberRole::Workspace(r)) => {
            rules::check_assign_workspace_role(&access, r)?;
            (OrgRole::Guest, Some(r))
        }
        (None, MemberRole::Org(r)) => {
            rules::check_assign_org_role(&access, r)?;
            (r, None)
        }
        (Some(_), MemberRole::Org(_)) => return Err(DomainError::invalid("role", "must be a workspace role").into()),
        (None, MemberRole::Workspace(_)) => {
            return Err(DomainError::invalid("role", "must be an organisation role").into())
        }
    };
    scope.require(&access, Permission::MembersInvite)?;
    Ok(roles)
}

/// Writes a built batch with multi-row statements: one statement per table and thousand rows
/// rather than a few round trips per address. Org memberships first: a workspace membership
/// refers to its org membership.
async fn write_batch(tx: &mut Change, to: &BatchTarget<'_>, b: &Batch<'_>, now: i64) -> Result<()> {
    members::insert_many(tx, SqlScope::Org(to.org_id), to.org_id, &b.org_members, now).await?;
    if let Some(ws) = to.ws_id {
        members::insert_many(tx, SqlScope::Workspace(ws), to.org_id, &b.ws_members, now).await?;
    }
    invitations::insert_many(tx, &b.new_invitations).await?;
    invitations::reissue_many(tx, &b.reissued).await?;
    lyceum_mail::enqueue_many(tx, &b.mails, now).await?;
    Ok(())
}

fn member_added(
    org_id: &OrgId,
    ws_id: &Option<WorkspaceId>,
    user_id: &UserId,
    email: &str,
    role: &str,
    status: MemberStatus,
) -> Entry {
    Entry {
        org_id: Some(org_id.to_string()),
        workspace_id: ws_id.as_ref().map(WorkspaceId::to_string),
        action: Action::MemberAdded,
        target_id: user_id.to_string(),
        before: None,
        after: Some(json!({"email": email, "role": role, "status": status})),
    }
}

/// Joins what an invitation offers (its organisation role, and its workspace role if any),
/// accepted, consuming the invitation: the one way an invitation is used, on signup
/// (`accounts::people::signup`) or by a signed-in person (`accept_invitation`). Returns the
/// audit event to record. Runs in the caller's change, under the organisation's lock.
pub async fn join_by_invitation(
    conn: &mut Conn,
    inv: &InvitationRow,
    token_hash: &str,
    user_id: &UserId,
    now: i64,
) -> Result<Entry> {
    if !invitations::consume(conn, &inv.id, token_hash, user_id, now).await? {
        return Err(DomainError::InvalidToken("this invitation is expired, revoked or already used".into()).into());
    }
    let accepted = MemberStatus::Accepted;
    let org_role = MemberRole::Org(inv.org_role);
    members::insert(conn, SqlScope::Org(&inv.org_id), &inv.org_id, user_id, org_role, accepted, now).await?;
    if let (Some(ws), Some(role)) = (&inv.workspace_id, inv.workspace_role) {
        let role = MemberRole::Workspace(role);
        members::insert(conn, SqlScope::Workspace(ws), &inv.org_id, user_id, role, accepted, now).await?;
    }
    Ok(Entry {
        org_id: Some(inv.org_id.to_string()),
        workspace_id: inv.workspace_id.as_ref().map(WorkspaceId::to_string),
        action: Action::InvitationAccepted,
        target_id: inv.id.to_string(),
        before: Some(json!({"status": InvitationStatus::Pending.as_str()})),
        after: Some(json!({
            "status": InvitationStatus::Accepted.as_str(),
            "user_id": user_id,
            "org_role": inv.org_role,
            "workspace_role": inv.workspace_role,
        })),
    })
}
