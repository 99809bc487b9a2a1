//! The three engines, each loaded from the same `Population` and asked the same `Query`s, each
//! modelled the way its authors intend (see each module's documentation).

pub mod casbin;
pub mod cedar;
pub mod grant_cache;
