//! Email addresses: parsing one, and parsing the lists people paste into the invite dialog.

use crate::DomainError;

/// A syntactically valid email address, trimmed and lower-cased (addresses compare
/// case-insensitively everywhere in Lyceum).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

/// The longest address SMTP can carry (RFC 5321 §4.5.3.1.3 path limit less the brackets).
const MAX_LEN: usize = 254;

impl Email {
    /// Parses an address: one `@`, a non-empty local part of at most 64 characters, a domain of
    /// dot-separated labels made of letters, digits and hyphens, no whitespace or control characters.
    pub fn parse(raw: &str) -> Result<Email, DomainError> {
        let s = raw.trim().to_lowercase();
        let bad = |m: &str| DomainError::invalid("email", m);
        if s.is_empty() {
            return Err(bad("is empty"));
        }
        if s.len() > MAX_LEN {
            return Err(bad("is longer than 254 characters"));
        }
        let (local, domain) = s.split_once('@').ok_or_else(|| bad("has no @"))?;
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return Err(bad("is not an email address"));
        }
        let local_ok = local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        if !local_ok {
            return Err(bad("has an invalid local part"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !domain_ok {
            return Err(bad("has an invalid domain"));
        }
        Ok(Email(s))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One entry of a pasted list: the text as the user typed it (trimmed), and whether it parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailListEntry {
    Valid(Email),
    Invalid(String),
}

/// Splits pasted text or array items on commas, semicolons and newlines, trims each piece,
/// drops empty pieces and removes duplicates (case-insensitively), keeping first-seen order.
pub fn parse_email_list<'a>(pieces: impl IntoIterator<Item = &'a str>) -> Vec<EmailListEntry> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for piece in pieces {
        for raw in piece.split([',', ';', '\n', '\r']) {
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            let entry = match Email::parse(raw) {
                Ok(e) => EmailListEntry::Valid(e),
                Err(_) => EmailListEntry::Invalid(raw.to_owned()),
            };
            let key = match &entry {
                EmailListEntry::Valid(e) => e.as_str().to_owned(),
                EmailListEntry::Invalid(s) => format!("\u{0}{}", s.to_lowercase()),
            };
            if seen.insert(key) {
                out.push(entry);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_normalises_case_and_space() {
        assert_eq!(Email::parse("  Max@Example.COM ").map(|e| e.0), Ok("max@example.com".into()));
    }

    #[test]
    fn parse_refuses_malformed() {
        for bad in ["", "nope", "a@b", "@x.com", "a@@x.com", "a b@x.com", "a@x..com", ".a@x.com", "a@-x.com"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(Email::parse(&format!("{}@x.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn list_splits_trims_and_deduplicates() {
        let got = parse_email_list(["a@x.com, B@x.com\nnope\r\n\n a@X.com ;c@x.com", "b@x.com"]);
        assert_eq!(
            got,
            vec![
                EmailListEntry::Valid(Email("a@x.com".into())),
                EmailListEntry::Valid(Email("b@x.com".into())),
                EmailListEntry::Invalid("nope".into()),
                EmailListEntry::Valid(Email("c@x.com".into())),
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn list_parsing_never_panics_and_never_repeats(s in "\\PC{0,200}") {
            let got = parse_email_list([s.as_str()]);
            let valid: Vec<_> = got.iter().filter_map(|e| match e { EmailListEntry::Valid(e) => Some(e), _ => None }).collect();
            let unique: std::collections::HashSet<_> = valid.iter().collect();
            proptest::prop_assert_eq!(unique.len(), valid.len());
        }

        #[test]
        fn a_parsed_email_reparses_to_itself(local in "[a-z0-9._+-]{1,20}", domain in "[a-z0-9]{1,10}\\.[a-z]{2,5}") {
            if let Ok(e) = Email::parse(&format!("{local}@{domain}")) {
                proptest::prop_assert_eq!(Email::parse(e.as_str()), Ok(e.clone()));
            }
        }
    }
}
