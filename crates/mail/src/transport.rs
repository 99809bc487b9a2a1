//! Where built messages go: `.eml` files in a directory (the default) or an SMTP server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::io::AsyncWriteExt;

/// How long one SMTP delivery may take, connection included. The worker's lease must outlast a
/// whole batch of these.
pub(crate) const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a delivery failed. The text goes to `outbox.last_error` and the log: it never contains
/// the message body nor the SMTP URL's credentials.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DeliveryError {
    /// Retrying will not help (e.g. the server refused the recipient with a 5xx).
    #[error("{0}")]
    Permanent(String),
    /// Worth another attempt later.
    #[error("{0}")]
    Transient(String),
}

pub(crate) enum Transport {
    Directory(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Transport {
    /// An SMTP transport from a `smtp://[user:password@]host[:port]` URL. Connects lazily.
    pub(crate) fn smtp(url: &str) -> Result<Self, lettre::transport::smtp::Error> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.timeout(Some(SEND_TIMEOUT)).build();
        Ok(Self::Smtp(transport))
    }

    pub(crate) async fn send(&self, outbox_id: &str, message: &Message) -> Result<(), DeliveryError> {
        match self {
            Self::Directory(dir) => write_eml(dir, outbox_id, &message.formatted())
                .await
                .map_err(|e| DeliveryError::Transient(format!("cannot write .eml file: {e}"))),
            Self::Smtp(smtp) => match tokio::time::timeout(SEND_TIMEOUT, smtp.send(message.clone())).await {
                Ok(Ok(_response)) => Ok(()),
                Ok(Err(e)) if e.is_permanent() => Err(DeliveryError::Permanent(format!("smtp: {e}"))),
                Ok(Err(e)) => Err(DeliveryError::Transient(format!("smtp: {e}"))),
                Err(_elapsed) => {
                    Err(DeliveryError::Transient(format!("smtp: no answer within {} s", SEND_TIMEOUT.as_secs())))
                }
            },
        }
    }
}

/// Writes `<dir>/<outbox id>.eml` atomically: a reader sees the whole file or none, and a
/// second delivery of the same message replaces the file rather than adding one.
async fn write_eml(dir: &Path, outbox_id: &str, bytes: &[u8]) -> std::io::Result<()> {
    // Ids come from `enqueue` (UUIDs); refuse anything that could escape the directory.
    if outbox_id.is_empty() || !outbox_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "outbox id is not a safe file name"));
    }
    tokio::fs::create_dir_all(dir).await?;
    let temp = dir.join(format!(".{outbox_id}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let result = async {
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        // The body carries invitation tokens: readable by the server's user only.
        #[cfg(unix)]
        options.mode(0o600);
        let mut file = options.open(&temp).await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&temp, dir.join(format!("{outbox_id}.eml"))).await?;
        // Make the rename itself durable before the row is marked sent.
        #[cfg(unix)]
        tokio::fs::File::open(dir).await?.sync_all().await?;
        Ok(())
    }
    .await;
    if result.is_err() {
        // Best effort: the error that matters is the one being returned.
        let _ = tokio::fs::remove_file(&temp).await;
    }
    result
}
