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

/// One change to record.
#[derive(Debug, Clone)]
pub struct Entry {
    pub org_id: Option<String>,
    pub workspace_id: Option<String>,
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

const COLUMNS: &str = "id, chain, seq, org_id, workspace_id, at, actor_type, actor_id, actor_email, action, \
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
            action: e.action.to_owned(),
            target_type: e.target_type.to_owned(),
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

/// Filters of the audit list.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub workspace_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// An organisation's events, newest first; `limit + 1` rows so the caller knows if more follow.
pub async fn list(conn: &mut Conn, org_id: &str, q: &ListQuery) -> sqlx::Result<Vec<EventRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE chain = $1 \
         AND ($2 = '' OR actor_id = $2 OR actor_email = $2) \
         AND ($3 = '' OR action = $3 OR action LIKE $4 ESCAPE '\\') \
         AND ($5 = '' OR workspace_id = $5) \
         AND at >= $6 AND at <= $7 AND seq < $8 \
         ORDER BY seq DESC LIMIT {}",
        q.limit + 1
    );
    let action = q.action.clone().unwrap_or_default();
    sqlx::query_as(&sql)
        .bind(org_id)
        .bind(q.actor.clone().unwrap_or_default())
        .bind(&action)
        // A family is a literal prefix: `%` and `_` in the filter are not wildcards.
        .bind(format!("{}.%", action.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")))
        .bind(q.workspace_id.clone().unwrap_or_default())
        .bind(q.from.unwrap_or(i64::MIN))
        .bind(q.to.unwrap_or(i64::MAX))
        .bind(q.before_seq.unwrap_or(i64::MAX))
        .fetch_all(conn)
        .await
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
