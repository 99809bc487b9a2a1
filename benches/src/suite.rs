//! Everything a run needs, built once: the population read from the database, the sampled
//! queries in each engine's own form, the engines themselves — and the proof that they agree.

use std::sync::Arc;

use anyhow::Context;
use cedar_policy::Request;
use lyceum::kernel::Lyceum;
use lyceum_domain::id::{UserId, WorkspaceId};
use lyceum_domain::Permission;

use crate::agreement::{self, Tally};
use crate::engines::casbin::{Casbin, CasbinRequest};
use crate::engines::cedar::Cedar;
use crate::engines::grant_cache;
use crate::population::Population;
use crate::queries::Query;

pub struct Suite {
    pub lyceum: Arc<Lyceum>,
    pub population: Population,
    /// The sampled queries (timed) followed by the hand-checked ones (only checked).
    pub queries: Vec<Query>,
    /// How many of `queries` are timed.
    pub timed: usize,
    pub tally: Tally,
    pub hand_checked: usize,
    cedar: Cedar,
    cedar_requests: Vec<Request>,
    casbin: Casbin,
    casbin_requests: Vec<CasbinRequest>,
    lyceum_requests: Vec<(UserId, Permission, WorkspaceId)>,
}

impl Suite {
    /// Builds every engine from `population` (which must be what `lyceum`'s database holds) and
    /// fails unless all of them answer every query alike and the hand-checked cases right.
    pub async fn build(lyceum: Arc<Lyceum>, population: Population, sampled: Vec<Query>) -> anyhow::Result<Suite> {
        let hand = agreement::hand_checked(&population);
        let timed = sampled.len();
        let mut queries = sampled;
        queries.extend(hand.iter().map(|(q, _)| *q));
        let cedar = Cedar::build(&population)?;
        let cedar_requests = queries.iter().map(|q| cedar.request(q)).collect();
        let casbin = Casbin::build(&population).await.context("building the casbin enforcer")?;
        let casbin_requests = queries.iter().map(Casbin::request).collect();
        let lyceum_requests = queries
            .iter()
            .map(|q| (UserId::from_uuid(q.user), q.permission, WorkspaceId::from_uuid(q.workspace)))
            .collect();
        let mut suite = Suite {
            lyceum,
            population,
            queries,
            timed,
            tally: Tally::default(),
            hand_checked: hand.len(),
            cedar,
            cedar_requests,
            casbin,
            casbin_requests,
            lyceum_requests,
        };
        suite.tally = suite.check_agreement(&hand).await?;
        Ok(suite)
    }

    async fn check_agreement(&self, hand: &[(Query, bool)]) -> anyhow::Result<Tally> {
        let n = self.queries.len();
        let mut cold = Vec::with_capacity(n);
        for i in 0..n {
            cold.push(self.cold_strict(i).await?);
        }
        self.warm();
        let cached = self.lyceum.caches.grants.cached_users();
        let hot = (0..n)
            .map(|i| self.hot(i).ok_or_else(|| anyhow::anyhow!("query {i} is not answered from the cache")))
            .collect::<anyhow::Result<Vec<bool>>>()?;
        let mut hot_async = Vec::with_capacity(n);
        for i in 0..n {
            let (user, permission, ws) = &self.lyceum_requests[i];
            hot_async.push(self.lyceum.may(user, *permission, ws).await?);
        }
        anyhow::ensure!(
            self.lyceum.caches.grants.cached_users() == cached,
            "the warm Lyceum::may went to the database"
        );
        let cedar =
            (0..n).map(|i| self.cedar.is_authorized_strict(&self.cedar_requests[i])).collect::<anyhow::Result<_>>()?;
        let casbin =
            (0..n).map(|i| self.casbin.enforce_strict(&self.casbin_requests[i])).collect::<anyhow::Result<_>>()?;
        let answers = [
            ("lyceum_hot", hot),
            ("lyceum_hot_async", hot_async),
            ("lyceum_cold", cold),
            ("cedar", cedar),
            ("casbin", casbin),
        ];
        agreement::assert_agree(&self.population, &self.queries, &answers)?;
        agreement::assert_expected(hand, &answers[0].1[self.timed..])?;
        let sampled = &answers[0].1[..self.timed];
        let allowed = sampled.iter().filter(|a| **a).count();
        let tally = Tally { allowed, denied: sampled.len() - allowed };
        anyhow::ensure!(
            self.timed == 0 || (tally.allowed > 0 && tally.denied > 0),
            "the sampled queries are all answered alike ({tally:?}): nothing to compare"
        );
        Ok(tally)
    }

    /// Fills Lyceum's cache from the rows, as a warm server holds it (after `cold` emptied it).
    pub fn warm(&self) {
        self.lyceum.caches.grants.invalidate_all();
        grant_cache::fill(&self.lyceum.caches.grants, &self.population, &self.queries);
    }

    /// Lyceum's hot path: `GrantCache::may`, synchronous.
    #[inline]
    pub fn hot(&self, i: usize) -> Option<bool> {
        let q = &self.queries[i];
        self.lyceum.caches.grants.may(q.user, q.permission, q.workspace)
    }

    /// `Lyceum::may` with a warm cache (typed ids turned into cache keys, then the hot path).
    pub async fn hot_async(&self, i: usize) -> bool {
        let (user, permission, ws) = &self.lyceum_requests[i];
        matches!(self.lyceum.may(user, *permission, ws).await, Ok(true))
    }

    /// `Lyceum::may` after `invalidate_all()`: the roles come from the database.
    pub async fn cold(&self, i: usize) -> bool {
        matches!(self.cold_strict(i).await, Ok(true))
    }

    async fn cold_strict(&self, i: usize) -> anyhow::Result<bool> {
        self.lyceum.caches.grants.invalidate_all();
        let (user, permission, ws) = &self.lyceum_requests[i];
        Ok(self.lyceum.may(user, *permission, ws).await?)
    }

    /// cedar-policy: one `is_authorized`.
    #[inline]
    pub fn cedar(&self, i: usize) -> bool {
        self.cedar.is_authorized(&self.cedar_requests[i])
    }

    /// casbin: one `enforce`.
    #[inline]
    pub fn casbin(&self, i: usize) -> bool {
        self.casbin.enforce(&self.casbin_requests[i])
    }
}
