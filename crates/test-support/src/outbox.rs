//! Reading what the application emailed: the outbox worker's `.eml` files in the data dir.

use std::path::PathBuf;

use crate::TestApp;

impl TestApp {
    /// Delivers every due email now (the outbox worker's pass) and returns how many went out.
    pub async fn deliver_mail(&self) -> usize {
        self.mailer.deliver_due().await.unwrap()
    }

    /// Every delivered email, as RFC 5322 text (delivers due mail first).
    pub async fn outbox(&self) -> Vec<String> {
        self.deliver_mail().await;
        let dir = self.data_dir.join("outbox");
        let mut files: Vec<_> =
            std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        files.retain(|p: &PathBuf| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
    }

    /// Emails addressed to `to` (decoded from quoted-printable soft breaks enough to find links).
    pub async fn mail_to(&self, to: &str) -> Vec<String> {
        self.outbox()
            .await
            .into_iter()
            .filter(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(to)))
            .map(|m| unfold(&m))
            .collect()
    }

    /// The token of the latest invitation link emailed to `to`.
    pub async fn invitation_token(&self, to: &str) -> Option<String> {
        let marker = format!("{}/invite/", self.base);
        self.mail_to(to).await.iter().rev().find_map(|m| {
            let start = m.find(&marker)? + marker.len();
            Some(m[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect())
        })
    }
}

/// Undoes quoted-printable soft line breaks and `=3D`, so links can be found in raw messages.
fn unfold(m: &str) -> String {
    m.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
}
