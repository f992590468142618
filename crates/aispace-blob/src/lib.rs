#![doc = include_str!("../README.md")]

mod s3;
mod url;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aispace_domain::model::{BlobKey, Timestamp};
use aispace_domain::ports::{BlobError, BlobListing, BlobSink};
use futures_util::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};
use tokio::runtime::Runtime;

pub use crate::url::{BlobUrlError, S3Url};

/// Why a sink could not be opened from a blob URL.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Url(#[from] BlobUrlError),
    #[error("configuring the S3 client for {url}")]
    Client {
        url: String,
        #[source]
        source: object_store::Error,
    },
    #[error("starting the blob sink's runtime")]
    Runtime(#[source] std::io::Error),
}

/// Why [`ObjectStoreBlobs::check`] found the store unusable. Each names
/// the store (bucket, prefix, endpoint; never credentials) and the first
/// cause in one line, since the client's own error repeats itself at every
/// layer and carries the server's XML answer.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{target}: the bucket does not exist ({detail})")]
    NoSuchBucket { target: String, detail: String },
    #[error(
        "{target}: access denied; check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (or the \
         instance's role) and the bucket's policy ({detail})"
    )]
    Denied { target: String, detail: String },
    #[error("{target}: cannot be listed ({detail})")]
    Failed { target: String, detail: String },
    #[error("{target}: no answer within {}s", after.as_secs())]
    TimedOut { target: String, after: Duration },
}

impl CheckError {
    fn classify(target: String, err: &object_store::Error) -> CheckError {
        let (code, detail) = summary(err);
        match (err, code.as_deref()) {
            (object_store::Error::NotFound { .. }, _) | (_, Some("NoSuchBucket")) => {
                CheckError::NoSuchBucket { target, detail }
            }
            (
                object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. },
                _,
            )
            | (
                _,
                Some(
                    "AccessDenied"
                    | "InvalidAccessKeyId"
                    | "SignatureDoesNotMatch"
                    | "ExpiredToken"
                    | "InvalidToken",
                ),
            ) => CheckError::Denied { target, detail },
            _ if detail.contains("403 Forbidden") => CheckError::Denied { target, detail },
            _ => CheckError::Failed { target, detail },
        }
    }
}

/// The S3 error code, if the server sent one, and the innermost cause of
/// `err` on one line (`Connection refused (os error 111)`, `… 404 Not
/// Found: NoSuchBucket: The specified bucket does not exist`).
fn summary(err: &(dyn std::error::Error + 'static)) -> (Option<String>, String) {
    let mut innermost = err;
    while let Some(cause) = innermost.source() {
        innermost = cause;
    }
    let text = innermost.to_string();
    let element = |tag: &str| {
        let open = format!("<{tag}>");
        let start = text.find(&open)? + open.len();
        let len = text[start..].find(&format!("</{tag}>"))?;
        Some(text[start..start + len].to_owned())
    };
    let code = element("Code");
    let detail = match (&code, text.find('<')) {
        (Some(code), Some(xml)) => {
            let message = element("Message").unwrap_or_default();
            format!("{}{code}: {message}", &text[..xml])
        }
        _ => text.clone(),
    };
    (
        code,
        detail.split_whitespace().collect::<Vec<_>>().join(" "),
    )
}

/// The domain's [`BlobSink`] on an [`ObjectStore`].
pub struct ObjectStoreBlobs {
    store: Arc<dyn ObjectStore>,
    /// What [`Self::check`] asks; for S3 the same bucket without retries.
    probe: Arc<dyn ObjectStore>,
    /// Whether `put` stores the Content-Type and Cache-Control with the
    /// object: a bucket may be served straight to browsers through a CDN
    /// (`AISPACE_MEDIA_URL`); the local filesystem cannot keep them.
    object_headers: bool,
    label: String,
    runtime: Runtime,
}

impl std::fmt::Debug for ObjectStoreBlobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ObjectStoreBlobs({})", self.label)
    }
}

/// Where the blobs are, without secrets (fit for logs).
impl std::fmt::Display for ObjectStoreBlobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

/// Where [`ObjectStoreBlobs::check`] looks. No blob key starts with it, so
/// the listing is empty and cheap on any bucket.
const PROBE_PREFIX: &str = "aispace-probe";

/// A bound on the probe beyond the client's own timeouts (fetching
/// credentials from an instance metadata service that is not there, say).
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

/// Where blobs live in the store: every key is `raw/<sha256>.<ext>`.
const BLOB_ROOT: &str = "raw";

/// Listed blobs read ahead of the sweeper.
const LIST_BUFFER: usize = 256;

/// Stored images never change (their key is their hash).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

impl ObjectStoreBlobs {
    /// Any store. Objects are written without headers, which not every
    /// store supports.
    pub fn new(store: Arc<dyn ObjectStore>) -> std::io::Result<Self> {
        let label = store.to_string();
        Self::assemble(store.clone(), store, false, label)
    }

    fn assemble(
        store: Arc<dyn ObjectStore>,
        probe: Arc<dyn ObjectStore>,
        object_headers: bool,
        label: String,
    ) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("aispace-blob")
            .enable_all()
            .build()?;
        Ok(ObjectStoreBlobs {
            store,
            probe,
            object_headers,
            label,
            runtime,
        })
    }

    /// Blobs under `dir` on the local disk (created if missing).
    pub fn local(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let store: Arc<dyn ObjectStore> = Arc::new(
            LocalFileSystem::new_with_prefix(dir)
                .map_err(std::io::Error::other)?
                .with_automatic_cleanup(false),
        );
        Self::assemble(
            store.clone(),
            store,
            false,
            format!("local directory {}", dir.display()),
        )
    }

    pub fn in_memory() -> std::io::Result<Self> {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        Self::assemble(store.clone(), store, false, "memory".to_owned())
    }

    /// The sink `AISPACE_BLOB_URL` names (`s3://bucket/prefix`), its client
    /// configured from the process's `AWS_*` variables as
    /// `AmazonS3Builder::from_env` reads them. Opening sends no request;
    /// call [`Self::check`] to find out whether the bucket answers.
    pub fn open_url(url: &str) -> Result<Self, OpenError> {
        Self::open_url_with(url, std::env::vars())
    }

    /// [`Self::open_url`] with the `AWS_*` variables given (other names are
    /// ignored) instead of read from the process environment.
    pub fn open_url_with(
        url: &str,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, OpenError> {
        let url = S3Url::parse(url)?;
        let stores = s3::stores(&url, vars).map_err(|source| OpenError::Client {
            url: url.to_string(),
            source,
        })?;
        Self::assemble(stores.store, stores.probe, true, stores.label).map_err(OpenError::Runtime)
    }

    /// Lists an empty corner of the store: a cheap request that fails when
    /// the bucket does not exist, the credentials are refused or the
    /// endpoint does not answer, so a server can refuse to start instead of
    /// failing its first upload. (A HEAD cannot tell a missing bucket from
    /// a missing key: both are a bodiless 404.)
    pub fn check(&self) -> Result<(), CheckError> {
        let target = self.label.clone();
        let probe = self.probe.clone();
        self.runtime.block_on(async move {
            let listing = tokio::time::timeout(PROBE_TIMEOUT, async {
                probe
                    .list_with_delimiter(Some(&ObjectPath::from(PROBE_PREFIX)))
                    .await
            })
            .await;
            match listing {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(err)) => Err(CheckError::classify(target, &err)),
                Err(_) => Err(CheckError::TimedOut {
                    target,
                    after: PROBE_TIMEOUT,
                }),
            }
        })
    }
}

fn path(key: &BlobKey) -> ObjectPath {
    ObjectPath::from(key.as_str())
}

impl BlobSink for ObjectStoreBlobs {
    fn put(&self, key: &BlobKey, bytes: &[u8], content_type: &str) -> Result<(), BlobError> {
        let location = path(key);
        let mut options = PutOptions::default();
        if self.object_headers {
            options.attributes = Attributes::from_iter([
                (Attribute::ContentType, content_type.to_owned()),
                (Attribute::CacheControl, IMMUTABLE.to_owned()),
            ]);
        }
        self.runtime.block_on(async {
            match self.store.head(&location).await {
                Ok(_) => return Ok(()),
                Err(object_store::Error::NotFound { .. }) => {}
                Err(other) => return Err(BlobError::new(other)),
            }
            // One PUT of the whole body (never a multipart upload): S3 makes
            // an object visible only once it is complete.
            self.store
                .put_opts(&location, PutPayload::from(bytes.to_vec()), options)
                .await
                .map(|_| ())
                .map_err(BlobError::new)
        })
    }

    fn get(&self, key: &BlobKey) -> Result<Option<Vec<u8>>, BlobError> {
        let location = path(key);
        self.runtime.block_on(async {
            match self.store.get(&location).await {
                Ok(found) => found
                    .bytes()
                    .await
                    .map(|b| Some(b.to_vec()))
                    .map_err(BlobError::new),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(other) => Err(BlobError::new(other)),
            }
        })
    }

    fn list(&self) -> Result<BlobListing, BlobError> {
        let (sender, receiver) = tokio::sync::mpsc::channel(LIST_BUFFER);
        let store = self.store.clone();
        // The listing streams on the sink's runtime into a bounded channel
        // the caller drains from its own (blocking) thread: the caller may
        // call the sink again (to delete) between two items, which it could
        // not do from inside the stream's `block_on`.
        self.runtime.spawn(async move {
            let mut listing = store.list(Some(&ObjectPath::from(BLOB_ROOT)));
            while let Some(listed) = listing.next().await {
                let item = match listed {
                    Ok(meta) => match BlobKey::parse(meta.location.as_ref()) {
                        Some(key) => Ok((
                            key,
                            Timestamp::from_millis(meta.last_modified.timestamp_millis()),
                        )),
                        // Not ours (a staging file, something an operator
                        // put there): left alone.
                        None => continue,
                    },
                    Err(err) => Err(BlobError::new(err)),
                };
                let failed = item.is_err();
                if sender.send(item).await.is_err() || failed {
                    break;
                }
            }
        });
        let mut receiver = receiver;
        Ok(Box::new(std::iter::from_fn(move || {
            receiver.blocking_recv()
        })))
    }

    fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        let location = path(key);
        self.runtime.block_on(async {
            match self.store.delete(&location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(other) => Err(BlobError::new(other)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3_error(body: &str) -> object_store::Error {
        object_store::Error::Generic {
            store: "S3",
            source: format!("Server returned non-2xx status code: {body}").into(),
        }
    }

    #[test]
    fn check_failures_are_classified_from_the_s3_error_code() {
        let denied = CheckError::classify(
            "s3://b".into(),
            &s3_error(
                "403 Forbidden: <?xml version=\"1.0\"?>\n<Error><Code>InvalidAccessKeyId</Code>\
                 <Message>The AWS Access Key Id you provided does not exist in our records.\
                 </Message><AWSAccessKeyId>AKIDEXAMPLE</AWSAccessKeyId></Error>",
            ),
        );
        assert!(matches!(denied, CheckError::Denied { .. }), "{denied:?}");
        assert!(
            denied.to_string().ends_with(
                "(Server returned non-2xx status code: 403 Forbidden: InvalidAccessKeyId: The \
                 AWS Access Key Id you provided does not exist in our records.)"
            ),
            "{denied}"
        );
        let bare = CheckError::classify("s3://b".into(), &s3_error("403 Forbidden: "));
        assert!(matches!(bare, CheckError::Denied { .. }), "{bare:?}");
        let missing = CheckError::classify(
            "s3://b".into(),
            &s3_error("404 Not Found: <Error><Code>NoSuchBucket</Code></Error>"),
        );
        assert!(
            matches!(missing, CheckError::NoSuchBucket { .. }),
            "{missing:?}"
        );
        let other = CheckError::classify("s3://b".into(), &s3_error("500 Internal Server Error"));
        assert!(matches!(other, CheckError::Failed { .. }), "{other:?}");
    }
}
