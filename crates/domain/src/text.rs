//! Free-text fields people type: names, usernames, passwords — parsed into bounded values.

use crate::DomainError;

/// Trims a required display text (a person's, an organisation's or a workspace's name) and bounds it.
pub fn parse_name(field: &str, raw: &str) -> Result<String, DomainError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if s.chars().count() > 200 {
        return Err(DomainError::invalid(field, "must be at most 200 characters"));
    }
    if s.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "must not contain control characters"));
    }
    Ok(s.to_owned())
}

/// A username: 3–40 characters of lower-case letters, digits, `.`, `_` or `-`.
pub fn parse_username(raw: &str) -> Result<String, DomainError> {
    let s = raw.trim().to_lowercase();
    let ok = (3..=40).contains(&s.chars().count()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(s)
    } else {
        Err(DomainError::invalid("username", "must be 3–40 characters: letters, digits, '.', '_' or '-'"))
    }
}

/// Passwords people choose often enough that an attacker tries them first (ASVS 2.1.7).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Accepts a new password of 12 to 256 characters that is not on the common-passwords list.
/// It is never trimmed or truncated.
pub fn check_new_password(raw: &str) -> Result<(), DomainError> {
    let n = raw.chars().count();
    if n < 12 {
        return Err(DomainError::invalid("password", "must be at least 12 characters"));
    }
    if n > 256 {
        return Err(DomainError::invalid("password", "must be at most 256 characters"));
    }
    let lower = raw.to_lowercase();
    if COMMON_PASSWORDS.lines().any(|p| p == lower) {
        return Err(DomainError::invalid("password", "is too common; choose another"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_length_and_rarity() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("password1234").is_err());
        assert!(check_new_password("correct horse battery staple").is_ok());
        assert!(check_new_password(&"x".repeat(257)).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("name", "  Ada  "), Ok("Ada".into()));
        assert!(parse_name("name", "   ").is_err());
        assert!(parse_name("name", &"a".repeat(201)).is_err());
        assert!(parse_name("name", "a\u{0}b").is_err());
    }

    #[test]
    fn usernames_are_restricted() {
        assert_eq!(parse_username("Ada.L"), Ok("ada.l".into()));
        assert!(parse_username("a b c").is_err());
        assert!(parse_username("ab").is_err());
    }
}
