//! The client's configuration, and the secret newtype that keeps the API key out of logs.

use std::fmt;
use std::time::Duration;

use reqwest::Url;

use crate::AiError;

/// Where the provider is and how long to wait for it.
#[derive(Clone, Debug)]
pub struct Config {
    /// The OpenAI-compatible base, ending in the API version: `http://127.0.0.1:11434/v1`.
    pub base_url: Url,
    /// Sent as `Authorization: Bearer …` when set.
    pub api_key: Option<Secret>,
    /// Used when a [`crate::ChatRequest`] names no model.
    pub default_model: Option<String>,
    /// Bounds a whole call, retries included; for a stream, the wait for its first byte and
    /// then every gap between two chunks.
    pub timeout: Duration,
    /// Retries after the first attempt, on 429, 5xx and connection errors.
    pub max_retries: u32,
}

impl Config {
    /// A configuration for `base_url` with no key, no default model, a 60 s timeout and 2
    /// retries.
    pub fn new(base_url: &str) -> Result<Self, AiError> {
        let base_url = Url::parse(base_url).map_err(|e| AiError::Config(format!("base URL {base_url:?}: {e}")))?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.cannot_be_a_base() {
            return Err(AiError::Config(format!("base URL {base_url}: must be an http or https URL")));
        }
        Ok(Self { base_url, api_key: None, default_model: None, timeout: Duration::from_secs(60), max_retries: 2 })
    }

    /// `{base_url}/{path}`, whether or not the base ends in `/`.
    pub(crate) fn endpoint(&self, path: &[&str]) -> Url {
        let mut url = self.base_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(path);
        }
        url
    }
}

/// A secret string: its `Debug` and `Display` print `***`, so it never reaches a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_append_to_the_base_path() {
        for base in ["http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1/"] {
            let config = Config::new(base).expect("valid");
            assert_eq!(
                config.endpoint(&["chat", "completions"]).as_str(),
                "http://127.0.0.1:11434/v1/chat/completions"
            );
        }
    }

    #[test]
    fn only_http_bases_are_accepted() {
        assert!(Config::new("mailto:someone@example.com").is_err());
        assert!(Config::new("not a url").is_err());
    }

    #[test]
    fn the_key_never_prints() {
        let mut config = Config::new("http://localhost/v1").expect("valid");
        config.api_key = Some(Secret::new("sk-very-secret"));
        assert!(!format!("{config:?}").contains("sk-very-secret"));
        assert_eq!(format!("{}", Secret::new("x")), "***");
    }
}
