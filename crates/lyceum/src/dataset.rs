//! The dataset generator (`lyceum-dataset`) with this server's way of storing secrets, as
//! `lyceum demo --scale`, the benchmarks and the tests call it.

use sqlx::AnyPool;

pub use lyceum_dataset::{Options, Scale, Sizes, Summary, OWNER_EMAIL, OWNER_PASSWORD};

use crate::kernel::db::Backend;
use crate::security::{password, tokens};

/// Generates a dataset into a migrated database that has no organisation yet (refused otherwise).
/// Every account gets one argon2id hash of [`OWNER_PASSWORD`], computed once here.
pub async fn generate(pool: &AnyPool, backend: Backend, options: &Options) -> anyhow::Result<Summary> {
    let secrets = lyceum_dataset::Secrets {
        password_hash: password::hash(OWNER_PASSWORD.to_owned()).await?,
        hash_token: tokens::hash_secret,
    };
    lyceum_dataset::generate(pool, backend, options, &secrets).await
}
