//! Accounts: signup, sessions and profiles, API keys, secrets kept secret, the settings pages.

mod auth;
mod keys;
mod secrets;
mod ui_settings;
