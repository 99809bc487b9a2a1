//! Accounts: signup (optionally through an invitation), login, logout, sessions, API-key
//! authentication, and the caller's own profile.

use lyceum_domain::id::UserId;
use lyceum_domain::text::{check_new_password, parse_name, parse_username};
use lyceum_domain::{DomainError, Email, InvitationStatus};
use serde_json::json;

use crate::accounts::store::users::{NewUser, UserRow};
use crate::accounts::store::{api_keys, sessions, users};
use crate::kernel::audit_chain::{self, Action, Entry};
use crate::kernel::caches::credentials::{CachedKey, CachedSession, REVALIDATE_MS};
use crate::kernel::db::now_ms;
use crate::kernel::sql::Conn;
use crate::kernel::{
    anonymous_actor, conflict_on_unique, Caller, KeyRef, Origin, Principal, Result, ServiceError, UserRef,
};
use crate::security::{password, tokens};
use crate::tenancy::queries::members::{OrgMembership, WorkspaceMembership};
use crate::tenancy::queries::{invitations, members};

crate::kernel::area!(
    /// Accounts: signup, login, sessions, API-key authentication, the profile, instance admins.
    Accounts,
    accounts
);

/// A new session: the token goes in the cookie, only its hash is stored.
pub struct NewSession {
    pub token: String,
    pub max_age_secs: i64,
}

pub struct SignupInput {
    pub email: String,
    pub password: String,
    pub name: String,
    pub invitation_token: Option<String>,
}

fn user_ref(u: &UserRow) -> UserRef {
    UserRef { id: u.id.clone(), email: u.email.clone(), name: u.name.clone(), instance_admin: u.instance_admin != 0 }
}

/// The audit actor for a person acting before they hold a session (signup, login).
fn user_actor(u: &UserRow, origin: &Origin) -> audit_chain::Actor {
    audit_chain::Actor {
        kind: "user",
        id: Some(u.id.to_string()),
        email: Some(u.email.clone()),
        ..anonymous_actor(origin)
    }
}

/// An event about a user account in the instance chain.
fn account_event(action: Action, u: &UserRow, after: Option<serde_json::Value>) -> Entry {
    Entry { org_id: None, workspace_id: None, action, target_id: u.id.to_string(), before: None, after }
}

fn user_json(u: &UserRow) -> serde_json::Value {
    json!({"email": u.email, "name": u.name, "username": u.username})
}

impl Accounts<'_> {
    async fn start_session(&self, conn: &mut Conn, user_id: &UserId, now: i64) -> Result<NewSession> {
        let token = tokens::random_token();
        let expires = now + self.settings.session_absolute_ms;
        sessions::insert(conn, &tokens::hash_secret(&token), user_id, now, expires).await?;
        Ok(NewSession { token, max_age_secs: self.settings.session_absolute_ms / 1000 })
    }

    /// Creates an account and signs it in. With an invitation token the address must be the one
    /// invited, and the new user joins what the invitation offers, accepted, in one transaction.
    pub async fn signup(&self, input: SignupInput, origin: &Origin) -> Result<(UserRow, NewSession)> {
        self.throttle(&self.limits.signup_per_ip, origin.ip.as_deref().unwrap_or("-"))?;
        let email = Email::parse(&input.email)?;
        let name = parse_name("name", &input.name)?;
        check_new_password(&input.password)?;
        let invitation = match &input.invitation_token {
            Some(token) => {
                let mut conn = self.pool.acquire().await?;
                let inv = invitations::by_token_hash(&mut conn, &tokens::hash_secret(token))
                    .await?
                    .filter(|i| i.status(now_ms()) == InvitationStatus::Pending)
                    .ok_or_else(|| {
                        DomainError::InvalidToken("this invitation is expired, revoked or already used".into())
                    })?;
                if inv.email != email.as_str() {
                    return Err(DomainError::invalid("email", "must be the address the invitation was sent to").into());
                }
                Some((inv, tokens::hash_secret(token)))
            }
            None => None,
        };
        let hash = password::hash(input.password).await?;
        let now = now_ms();
        let user = UserRow {
            id: UserId::new(),
            email: email.to_string(),
            name,
            username: None,
            password_hash: hash,
            instance_admin: 0,
        };
        let mut tx = match &invitation {
            Some((inv, _)) => self.begin_org_change(&inv.org_id).await?,
            None => self.begin_change().await?,
        };
        let new_user = NewUser {
            id: &user.id,
            email: &user.email,
            name: &user.name,
            password_hash: &user.password_hash,
            instance_admin: false,
        };
        users::insert(&mut tx, &new_user, now)
            .await
            .map_err(|e| conflict_on_unique(e, "an account with this email already exists"))?;
        let actor = user_actor(&user, origin);
        let mut events = vec![account_event(Action::UserSignedUp, &user, Some(user_json(&user)))];
        if let Some((inv, token_hash)) = &invitation {
            events
                .push(crate::tenancy::invitations::join_by_invitation(&mut tx, inv, token_hash, &user.id, now).await?);
        }
        tx.record(&actor, events, now);
        let session = self.start_session(&mut tx, &user.id, now).await?;
        tx.commit().await?;
        Ok((user, session))
    }

    /// Signs in. A failure is audited and answers the same whether or not the account exists.
    /// Pending memberships of the user become accepted. Any session the request carried ends.
    pub async fn login(
        &self,
        email: &str,
        password_given: String,
        origin: &Origin,
        old_session: Option<&str>,
    ) -> Result<(UserRow, NewSession)> {
        let normalised = email.trim().to_lowercase();
        if normalised.contains('\0') {
            // No account has one, and PostgreSQL cannot look it up or audit it.
            return Err(DomainError::invalid("email", "must not contain NUL characters").into());
        }
        self.throttle(&self.limits.login_per_ip, origin.ip.as_deref().unwrap_or("-"))?;
        self.throttle(&self.limits.login_per_account, &normalised)?;
        let mut conn = self.pool.acquire().await?;
        let user = users::by_email(&mut conn, &normalised).await?;
        drop(conn);
        let ok = password::verify(password_given, user.as_ref().map(|u| u.password_hash.clone())).await?;
        let now = now_ms();
        let mut tx = self.begin_change().await?;
        let Some(user) = user.filter(|_| ok) else {
            let target: String = normalised.chars().take(254).collect();
            let entry = Entry {
                org_id: None,
                workspace_id: None,
                action: Action::AuthLoginFailed,
                target_id: target,
                before: None,
                after: None,
            };
            tx.record(&anonymous_actor(origin), vec![entry], now);
            tx.commit().await?;
            return Err(ServiceError::Unauthenticated);
        };
        if let Some(old) = old_session {
            let old = tokens::hash_secret(old);
            sessions::delete(&mut tx, &old).await?;
            tx.forget_session(&old).await?;
        }
        let session = self.start_session(&mut tx, &user.id, now).await?;
        let accepted_in = members::accept_pending(&mut tx, &user.id, now).await?;
        for org in &accepted_in {
            tx.touch_org(org).await?;
        }
        let actor = user_actor(&user, origin);
        let mut events = vec![account_event(Action::AuthLoggedIn, &user, None)];
        events.extend(accepted_in.into_iter().map(|org| Entry {
            org_id: Some(org.to_string()),
            workspace_id: None,
            action: Action::MemberAccepted,
            target_id: user.id.to_string(),
            before: Some(json!({"status": "pending"})),
            after: Some(json!({"status": "accepted"})),
        }));
        tx.record(&actor, events, now);
        tx.commit().await?;
        Ok((user, session))
    }

    /// Ends a session on the server (and in every node's credential cache).
    pub async fn logout(&self, token: &str) -> Result<()> {
        let hash = tokens::hash_secret(token);
        let mut tx = self.begin_change().await?;
        sessions::delete(&mut tx, &hash).await?;
        tx.forget_session(&hash).await?;
        tx.unaudited("signing out only ends the caller's own session; the trail records sign-ins");
        tx.commit().await
    }

    /// The caller behind a session token, if the session is alive (absolute and idle expiry).
    pub async fn authenticate_session(&self, token: &str, origin: Origin) -> Result<Option<Caller>> {
        let hash = tokens::hash_secret(token);
        let now = now_ms();
        if let Some(user) = self.caches.credentials.session(&hash, now, self.settings.session_idle_ms) {
            return Ok(Some(Caller { principal: Principal::User(user), origin, session_hash: Some(hash) }));
        }
        let epoch = self.caches.credentials.epoch();
        let mut conn = self.pool.acquire().await?;
        let Some(sessions::LiveSession { user_id, last_seen_at: mut last_seen, expires_at }) =
            sessions::find_live(&mut conn, &hash, now).await?
        else {
            return Ok(None);
        };
        if now - last_seen > self.settings.session_idle_ms {
            sessions::delete(&mut conn, &hash).await?;
            self.caches.credentials.forget_session(&hash);
            return Ok(None);
        }
        if now - last_seen > REVALIDATE_MS {
            sessions::touch(&mut conn, &hash, now).await?;
            last_seen = now;
        }
        let Some(user) = users::by_id(&mut conn, &user_id).await? else { return Ok(None) };
        let user = user_ref(&user);
        let cached = CachedSession { user: user.clone(), last_seen, expires_at, read_at: now };
        self.caches.credentials.store_session(&hash, epoch, cached);
        Ok(Some(Caller { principal: Principal::User(user), origin, session_hash: Some(hash) }))
    }

    /// The caller behind an API key, if the key exists, matches, is not revoked and not expired.
    pub async fn authenticate_key(&self, key: &str, origin: Origin) -> Result<Option<Caller>> {
        let Some(prefix) = tokens::api_key_prefix(key) else { return Ok(None) };
        let now = now_ms();
        if let Some(cached) = self.caches.credentials.key(prefix, now) {
            if !tokens::secret_matches(key, &cached.secret_hash) {
                return Ok(None);
            }
            return Ok(Some(Caller { principal: Principal::Key(cached.key), origin, session_hash: None }));
        }
        let epoch = self.caches.credentials.epoch();
        let mut conn = self.pool.acquire().await?;
        let Some(row) = api_keys::by_prefix(&mut conn, prefix).await? else { return Ok(None) };
        let live = row.revoked_at.is_none() && row.expires_at.is_none_or(|e| e > now);
        if !tokens::secret_matches(key, &row.secret_hash) || !live {
            return Ok(None);
        }
        if row.last_used_at.is_none_or(|t| now - t > REVALIDATE_MS) {
            api_keys::touch(&mut conn, &row.id, now).await?;
        }
        let key = KeyRef { id: row.id, org_id: row.org_id, role: row.role, created_by: row.created_by };
        let cached =
            CachedKey { key: key.clone(), secret_hash: row.secret_hash, expires_at: row.expires_at, read_at: now };
        self.caches.credentials.store_key(prefix, epoch, cached);
        Ok(Some(Caller { principal: Principal::Key(key), origin, session_hash: None }))
    }

    /// The signed-in person's account.
    pub async fn me(&self, caller: &Caller) -> Result<Profile> {
        let person = caller.person()?;
        let mut conn = self.pool.acquire().await?;
        let user = users::by_id(&mut conn, &person.id).await?.ok_or(ServiceError::Unauthenticated)?;
        let organizations = members::orgs_of_user(&mut conn, &user.id).await?;
        let workspaces = members::workspaces_of_user(&mut conn, &user.id).await?;
        Ok(Profile { user, organizations, workspaces })
    }

    /// Changes the caller's profile. Email and password need the current password; both changes
    /// end the user's other sessions and are announced by email to the old address.
    pub async fn update_me(&self, caller: &Caller, change: ProfileChange) -> Result<UserRow> {
        let person = caller.person()?.clone();
        let mut conn = self.pool.acquire().await?;
        let before = users::by_id(&mut conn, &person.id).await?.ok_or(ServiceError::Unauthenticated)?;
        drop(conn);
        let mut after = before.clone();
        if let Some(name) = &change.name {
            after.name = parse_name("name", name)?;
        }
        if let Some(username) = &change.username {
            after.username = Some(parse_username(username)?);
        }
        let mut sensitive = Vec::new();
        if let Some(email) = &change.email {
            after.email = Email::parse(email)?.to_string();
            if after.email != before.email {
                sensitive.push("email address");
            }
        }
        if let Some(new_password) = &change.password {
            check_new_password(new_password)?;
            after.password_hash = password::hash(new_password.clone()).await?;
            sensitive.push("password");
        }
        if !sensitive.is_empty() {
            self.throttle(&self.limits.login_per_account, &before.email)?;
            let current = change.current_password.clone().ok_or_else(|| {
                DomainError::invalid("current_password", "is required to change your email or password")
            })?;
            if !password::verify(current, Some(before.password_hash.clone())).await? {
                return Err(DomainError::invalid("current_password", "is incorrect").into());
            }
        }
        let now = now_ms();
        let mut tx = self.begin_change().await?;
        users::update_profile(&mut tx, &after, now)
            .await
            .map_err(|e| conflict_on_unique(e, "this email or username is taken"))?;
        // Cached sessions carry the name and email: every edit drops them.
        tx.forget_user(&after.id).await?;
        if !sensitive.is_empty() {
            sessions::delete_others(&mut tx, &after.id, caller.session_hash.as_deref()).await?;
            let when = crate::kernel::db::rfc3339(now);
            for what in &sensitive {
                let mail = lyceum_mail::templates::account_changed(&before.email, what, &when);
                lyceum_mail::enqueue(&mut tx, &mail, now).await?;
            }
        }
        let mut after_json = user_json(&after);
        if change.password.is_some() {
            after_json["password"] = json!("changed");
        }
        let entry = Entry {
            org_id: None,
            workspace_id: None,
            action: Action::UserUpdated,
            target_id: after.id.to_string(),
            before: Some(user_json(&before)),
            after: Some(after_json),
        };
        tx.record(&caller.audit_actor(), vec![entry], now);
        tx.commit().await?;
        if !sensitive.is_empty() {
            self.wake_mailer();
        }
        Ok(after)
    }
}

/// The caller's account with its organisations (id, name, role, status) and workspaces
/// (id, organisation id, name, role, status).
pub struct Profile {
    pub user: UserRow,
    pub organizations: Vec<OrgMembership>,
    pub workspaces: Vec<WorkspaceMembership>,
}

/// The fields of `PATCH /me`.
#[derive(Debug, Default)]
pub struct ProfileChange {
    pub name: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub current_password: Option<String>,
}

impl Accounts<'_> {
    /// Creates an instance administrator, or promotes the existing account with that email.
    pub async fn create_instance_admin(&self, email: &str, name: &str, password_given: String) -> Result<UserId> {
        let email = Email::parse(email)?;
        let name = parse_name("name", name)?;
        let now = now_ms();
        let mut conn = self.pool.acquire().await?;
        let existing = users::by_email(&mut conn, email.as_str()).await?;
        drop(conn);
        let hash = match existing {
            Some(_) => None,
            None => {
                check_new_password(&password_given)?;
                Some(password::hash(password_given).await?)
            }
        };
        let mut tx = self.begin_change().await?;
        let id = match (existing, hash) {
            (Some(u), _) => {
                users::set_instance_admin(&mut tx, &u.id, now).await?;
                u.id
            }
            (None, Some(hash)) => {
                let id = UserId::new();
                let new_user =
                    NewUser { id: &id, email: email.as_str(), name: &name, password_hash: &hash, instance_admin: true };
                users::insert(&mut tx, &new_user, now).await?;
                id
            }
            (None, None) => return Err(ServiceError::Internal(anyhow::anyhow!("no password hash"))),
        };
        let actor = audit_chain::Actor { kind: "system", ..audit_chain::Actor::default() };
        let entry = Entry {
            org_id: None,
            workspace_id: None,
            action: Action::AdminCreated,
            target_id: id.to_string(),
            before: None,
            after: Some(json!({"email": email.as_str(), "instance_admin": true})),
        };
        tx.record(&actor, vec![entry], now);
        tx.touch_everything().await?;
        tx.commit().await?;
        Ok(id)
    }
}
