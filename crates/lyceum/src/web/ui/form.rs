//! What every page's forms share: field errors for re-rendering a form with what was typed, the
//! empty form, and the wording of refusals and times.

use lyceum_domain::DomainError;
use serde::Deserialize;

use crate::kernel::ServiceError;

/// A field's error message, for re-rendering a form with what was typed.
#[derive(Default)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> String {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.clone()).unwrap_or_default()
    }

    /// Splits a refusal into a field error (validation) or a form-wide message.
    pub fn from_error(e: ServiceError) -> (FieldErrors, String) {
        match e {
            ServiceError::Domain(DomainError::Validation { field, message }) => {
                (FieldErrors(vec![(field, message)]), String::new())
            }
            other => (FieldErrors::default(), super::session::message_of(other)),
        }
    }
}

/// A form with no fields (a button).
#[derive(Deserialize)]
pub struct Empty {}

/// A refusal as a sentence: the first letter upper case.
pub fn sentence(message: String) -> String {
    let mut chars = message.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// A time for people: `2026-11-23 14:05 UTC`.
pub fn short_time(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}
