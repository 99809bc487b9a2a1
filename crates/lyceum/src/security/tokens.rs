//! Random secrets (session tokens, invitation tokens, API keys) and their at-rest hashes.
//! Only the SHA-256 of a secret is stored; a presented secret is hashed and compared in
//! constant time.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 256 random bits, URL-safe base64 without padding.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The hex SHA-256 of a secret, as stored.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares a presented secret with a stored hash in constant time.
pub fn secret_matches(presented: &str, stored_hash: &str) -> bool {
    hash_secret(presented).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

/// An API key as shown once to its creator: `lyk_<prefix>_<secret>`. The prefix is public (it
/// finds the row and is listed); the whole key is hashed at rest.
pub struct NewApiKey {
    pub key: String,
    pub prefix: String,
    pub hash: String,
}

pub fn new_api_key() -> NewApiKey {
    let mut p = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut p);
    let prefix = hex::encode(p);
    let key = format!("lyk_{prefix}_{}", random_token());
    let hash = hash_secret(&key);
    NewApiKey { key, prefix, hash }
}

/// Splits a presented key into its prefix, if it has the shape of one.
pub fn api_key_prefix(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("lyk_")?;
    let (prefix, secret) = rest.split_once('_')?;
    (prefix.len() == 12 && !secret.is_empty()).then_some(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_long() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(a.len(), 43);
    }

    #[test]
    fn keys_match_only_themselves() {
        let k = new_api_key();
        assert_eq!(api_key_prefix(&k.key), Some(k.prefix.as_str()));
        assert!(secret_matches(&k.key, &k.hash));
        assert!(!secret_matches(&format!("{}x", k.key), &k.hash));
        assert_eq!(api_key_prefix("lyk_short_x"), None);
        assert_eq!(api_key_prefix("Bearer"), None);
    }
}
