//! The Lyceum server: storage, use cases, HTTP API and CLI wiring. The domain (roles, permission
//! engine, rules) lives in `lyceum-domain`; mail delivery in `lyceum-mail`; the SQL kit the
//! kernel re-exports in `lyceum-sql`; the dataset generator behind `demo --scale` in
//! `lyceum-dataset` (`dataset` gives it this server's secret hashing).

pub mod accounts;
pub mod app;
pub mod audit;
pub mod cli;
pub mod config;
pub mod credits;
pub mod dashboard;
pub mod dataset;
pub mod demo;
pub mod kernel;
pub mod learning;
pub mod logging;
pub mod routes;
pub mod security;
pub mod tenancy;
pub mod web;
