//! The Lyceum server: storage, use cases, HTTP API and CLI wiring. The domain (roles, permission
//! engine, rules) lives in `lyceum-domain`; mail delivery in `lyceum-mail`.

pub mod app;
pub mod cli;
pub mod config;
pub mod dataset;
pub mod db;
pub mod demo;
pub mod logging;
pub mod security;
pub mod service;
pub mod store;
pub mod web;
