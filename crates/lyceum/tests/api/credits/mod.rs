//! The credits wing: models and prices, the ledger under concurrency, usage ingestion and its
//! idempotency, budgets, AI spend reports, and the AI gateway against the faithful test provider.

mod gateway;
mod ingestion;
