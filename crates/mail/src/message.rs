//! Turns an outbox row into an RFC 5322 message (multipart/alternative, text + HTML).

use std::time::{Duration, SystemTime};

use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use crate::outbox::Stored;

/// Builds the message. Its `Message-ID` and `Date` come from the outbox row, so delivering the
/// same row twice produces the same message, which receivers can de-duplicate.
pub(crate) fn build(from: &Mailbox, stored: &Stored) -> Result<Message, String> {
    let to: Mailbox = stored.recipient.parse().map_err(|e| format!("invalid recipient address: {e}"))?;
    let created = SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(stored.created_at).unwrap_or_default());
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(one_line(&stored.subject))
        .date(created)
        .message_id(Some(message_id(&stored.id)))
        .multipart(MultiPart::alternative_plain_html(stored.text_body.clone(), stored.html_body.clone()))
        .map_err(|e| format!("cannot build message: {e}"))
}

/// `<{outbox id}@lyceum>`: traceable from a received message back to its outbox row.
pub(crate) fn message_id(outbox_id: &str) -> String {
    format!("<{outbox_id}@lyceum>")
}

/// Header values are one line: a name containing a line break must not start a new header.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_control_characters_become_spaces() {
        assert_eq!(one_line("Acme\r\nBcc: x@example.com"), "Acme  Bcc: x@example.com");
    }
}
