//! The credits wing (PRODUCT.md §6): models and prices per organisation, each workspace's credit
//! ledger (limit, this period's spend, reservations in flight, budget), the AI gateway every model
//! call goes through (reserve → call outside any transaction → settle), usage events with their
//! rollups, external ingestion, and the AI spend reports.
//!
//! The ledger is never behind: a reservation, a settlement and an ingested event change it in
//! the transaction that records them. None of it takes the organisation's member lock, so AI
//! traffic and member management never wait for each other.

pub mod api;
pub mod gateway;
pub mod ledger;
pub mod models;
pub mod pages;
pub mod spend;
mod store;
pub mod usage;

use lyceum_domain::credits::{billing_period, Micros};

crate::kernel::area!(
    /// Credits, models and prices, usage and spend.
    Credits,
    credits
);

/// **API Boundary.** What other wings may call: tenancy opens a workspace's ledger with the
/// workspace and keeps its limit in step, in the same transaction.
pub mod queries {
    use lyceum_domain::credits::Micros;
    use lyceum_domain::id::{OrgId, WorkspaceId};

    use crate::kernel::sql::Conn;

    /// Opens the ledger of a new workspace of `org` (created at `anchor`, the billing anchor).
    pub async fn open_ledger(
        conn: &mut Conn,
        ws: &WorkspaceId,
        org: &OrgId,
        limit_credits: i64,
        anchor: i64,
        now: i64,
    ) -> sqlx::Result<()> {
        super::store::open_ledger(conn, ws, org, Micros::units(limit_credits), anchor, now).await
    }

    /// Sets a workspace's credit limit on its ledger.
    pub async fn set_limit(conn: &mut Conn, ws: &WorkspaceId, limit_credits: i64, now: i64) -> sqlx::Result<()> {
        super::store::set_limit(conn, ws, Micros::units(limit_credits), now).await
    }

    /// This period's spend of every workspace of an organisation.
    pub async fn used_in_org(conn: &mut Conn, org: &OrgId, now: i64) -> sqlx::Result<Vec<(WorkspaceId, Micros)>> {
        let ledgers = super::store::ledgers_of_org(conn, org).await?;
        Ok(ledgers.into_iter().map(|l| (l.workspace_id.clone(), super::current_used(&l, now))).collect())
    }
}

/// The spend a ledger shows at `now`: zero once its period has ended, before any write rolls it.
fn current_used(l: &store::LedgerRow, now: i64) -> Micros {
    if billing_period(l.period_anchor, now).0 == l.period_start {
        l.used
    } else {
        Micros::ZERO
    }
}
