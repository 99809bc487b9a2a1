//! The permission-check benchmark (issue 5): Lyceum's `may(user, permission, workspace)` against
//! the same model in `cedar-policy` and `casbin`, every engine loaded from the same rows of a
//! Lyceum database and asked the same sampled questions, which they must all answer alike before
//! anything is timed. `benches/permission.rs` times them; `tests/agreement.rs` checks them.

pub mod agreement;
pub mod dataset;
pub mod engines;
pub mod fixture;
pub mod latency;
pub mod population;
pub mod queries;
pub mod report;
pub mod rng;
pub mod suite;
