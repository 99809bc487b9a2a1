//! The object store media live in (`object_store`): a directory under the data dir by default,
//! any S3-compatible bucket with `--object-store-url s3://bucket/prefix` (credentials from the
//! usual `AWS_*` variables). Keys are the server's own (`<workspace>/<media id>`), never a name a
//! client chose, so nothing uploaded can name a path.

use std::path::Path as FsPath;
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};

/// A handle on the configured object store.
#[derive(Clone)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    /// Where it is, for logs (no credentials).
    pub location: String,
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Objects").field("location", &self.location).finish()
    }
}

impl Objects {
    /// The store `url` names (`s3://…`, `file:///…`), or `<data_dir>/media` when none.
    pub fn open(url: Option<&str>, data_dir: &FsPath) -> anyhow::Result<Objects> {
        match url.filter(|u| !u.is_empty()) {
            None => {
                let dir = data_dir.join("media");
                Objects::directory(&dir)
            }
            Some(u) if u.starts_with("s3://") => {
                let store = object_store::aws::AmazonS3Builder::from_env().with_url(u).build()?;
                Ok(Objects { store: Arc::new(store), location: u.to_owned() })
            }
            Some(u) => match u.strip_prefix("file://") {
                Some(path) => Objects::directory(FsPath::new(path)),
                None => anyhow::bail!("--object-store-url must be s3://bucket[/prefix] or file:///path, not {u:?}"),
            },
        }
    }

    /// A directory on this machine (created if missing).
    pub fn directory(dir: &FsPath) -> anyhow::Result<Objects> {
        std::fs::create_dir_all(dir)?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
        Ok(Objects { store: Arc::new(store), location: dir.display().to_string() })
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> object_store::Result<()> {
        self.store.put(&Path::from(key), PutPayload::from_bytes(bytes)).await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> object_store::Result<Bytes> {
        self.store.get(&Path::from(key)).await?.bytes().await
    }

    /// Removes an object; one already gone is not an error.
    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        match self.store.delete(&Path::from(key)).await {
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            other => other,
        }
    }
}
