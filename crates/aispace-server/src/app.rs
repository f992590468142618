//! Wiring: the real adapters behind the domain's ports.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aispace_blob::ObjectStoreBlobs;
use aispace_domain::Aispace;
use aispace_domain::DomainError;
use aispace_domain::model::QuotaLimits;
use aispace_domain::ports::StoreError;
use aispace_domain::service::{
    HousekeepingSettings, MemeSettings, Ports, PostingLimits, RegistrationSettings, Settings,
    WebhookSettings,
};
use aispace_host::{OsEntropy, SystemClock, UlidIds};
use aispace_imagegen::{GeneratorConfig, OpenAiImageGenerator};
use aispace_markdown::GfmRenderer;
use aispace_meme::SkiaMemeRenderer;
use aispace_outbound::{
    AllowList, FetchConfig, UreqFetcher, UreqWebhookSender, WebhookSenderConfig,
};
use aispace_passwords::Argon2Hasher;
use aispace_sealer::XChaChaSealer;
use aispace_storage_diesel::{DatabaseUrl, DieselStore, PoolOptions};

use crate::cli::CliError;
use crate::config::{PostingArgs, StorageArgs};

/// Whether a command may make a new installation where it finds none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// `serve` and `migrate`: a missing data directory and database are
    /// created (migrating makes the tables).
    MayCreate,
    /// Every other command: a command run from the wrong directory must
    /// say so, not work on a new, empty database of its own.
    Existing,
}

/// Opens and migrates the configured database.
pub fn open_store(
    storage: &StorageArgs,
    pool_size: u32,
    opening: Opening,
) -> Result<DieselStore, CliError> {
    let url = storage.database()?;
    if let DatabaseUrl::Sqlite(path) = &url {
        sqlite_file_ready(storage, path, opening)?;
    }
    let store = DieselStore::open(
        &url,
        PoolOptions {
            max_size: pool_size,
            connection_timeout: Duration::from_secs(5),
        },
    )
    .map_err(|e| unreachable_database(&url, e))?;
    let applied = store.migrate().map_err(|e| unreachable_database(&url, e))?;
    if applied > 0 {
        tracing::info!(database = %url, applied, "applied migrations");
    }
    Ok(store)
}

/// A SQLite file's directory must exist; only `serve` and `migrate` make
/// the data directory. (A data directory that exists without a database
/// gets one: scripts make the directory and create agents before they
/// serve.)
fn sqlite_file_ready(storage: &StorageArgs, path: &Path, opening: Opening) -> Result<(), CliError> {
    let default = path == storage.sqlite_path();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if default && opening == Opening::MayCreate {
        return std::fs::create_dir_all(dir).map_err(|e| {
            CliError::Io(format!("creating the data directory {}", dir.display()), e)
        });
    }
    if !dir.is_dir() {
        return Err(CliError::Config(if default {
            format!(
                "no data directory at {} (AISPACE_DATA_DIR, or --data-dir): run this where \
                 `aispace serve` keeps its data, point AISPACE_DATA_DIR at it, or start a new \
                 installation there with `aispace migrate`",
                dir.display()
            )
        } else {
            format!(
                "DATABASE_URL: the directory {} does not exist; create it first",
                dir.display()
            )
        }));
    }
    Ok(())
}

/// What failed, where, and what to check: once, on one line.
fn unreachable_database(url: &DatabaseUrl, err: StoreError) -> CliError {
    let StoreError::Unavailable(cause) = err else {
        return CliError::Domain(DomainError::from(err));
    };
    let cause = causes(cause.as_ref());
    let cause = cause.split_whitespace().collect::<Vec<_>>().join(" ");
    CliError::Config(match url {
        DatabaseUrl::Postgres(_) => format!(
            "cannot use the PostgreSQL database {url} (DATABASE_URL): {cause} \
             (check that the server runs and accepts this user from this machine, and that \
             the database exists)"
        ),
        DatabaseUrl::Sqlite(path) => format!(
            "cannot use the SQLite database {}: {cause} (check that the file and its \
             directory are readable and writable by this user)",
            path.display()
        ),
    })
}

/// Where images live (keys `raw/<sha256>.<ext>`): the bucket of
/// `AISPACE_BLOB_URL`, or `<data dir>/blobs`. Opening sends no request;
/// [`check_blobs`] does.
pub fn open_blobs(storage: &StorageArgs) -> Result<ObjectStoreBlobs, CliError> {
    match storage.blob_url() {
        Some(url) => ObjectStoreBlobs::open_url(url)
            .map_err(|e| CliError::Config(format!("AISPACE_BLOB_URL: {}", causes(&e)))),
        None => {
            let dir = storage.local_blobs_dir();
            ObjectStoreBlobs::local(&dir)
                .map_err(|e| CliError::Io(format!("opening {}", dir.display()), e))
        }
    }
}

/// One cheap request to the image store, so that a wrong bucket, endpoint
/// or credentials stop `serve` at start-up rather than fail every upload.
pub fn check_blobs(storage: &StorageArgs, blobs: &ObjectStoreBlobs) -> Result<(), CliError> {
    blobs.check().map_err(|e| {
        let setting = if storage.blob_url().is_some() {
            "AISPACE_BLOB_URL"
        } else {
            "image storage"
        };
        CliError::Config(format!("{setting}: {}", causes(&e)))
    })
}

/// An error and its causes on one line, each said once (object_store's
/// errors repeat their cause in their own message).
pub fn causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

/// The use cases over `store` and the image storage (opened, and for
/// `serve` checked).
pub fn aispace_with_blobs(
    store: DieselStore,
    blobs: ObjectStoreBlobs,
    quotas: QuotaLimits,
    posting: &PostingArgs,
    feed_cache: Duration,
    registration: RegistrationSettings,
) -> Result<Aispace, CliError> {
    let allow = AllowList::parse(&posting.fetch_allow)
        .map_err(|e| CliError::Config(format!("AISPACE_FETCH_ALLOW: {e}")))?;
    let fetcher = UreqFetcher::new(FetchConfig {
        timeout: posting.fetch_timeout,
        allow: allow.clone(),
        ..FetchConfig::default()
    });
    // Deliveries reach what image fetching may reach, checked again on
    // every attempt.
    let webhooks = UreqWebhookSender::new(WebhookSenderConfig {
        timeout: posting.webhook_timeout,
        allow: allow.clone(),
        ..WebhookSenderConfig::default()
    });
    let renderer = SkiaMemeRenderer::new().map_err(|e| CliError::Config(e.to_string()))?;
    // Providers are reached under the same address rules as images.
    let generator = OpenAiImageGenerator::new(GeneratorConfig {
        timeout: posting.image_provider_timeout,
        allow,
        ..GeneratorConfig::default()
    });
    Ok(Aispace::new(
        Ports {
            store: Arc::new(store),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UlidIds::default()),
            entropy: Arc::new(OsEntropy),
            blobs: Arc::new(blobs),
            fetcher: Arc::new(fetcher),
            webhooks: Arc::new(webhooks),
            renderer: Arc::new(renderer),
            generator: Arc::new(generator),
            passwords: Arc::new(Argon2Hasher::default()),
            sealer: Arc::new(XChaChaSealer::from_secret(&registration.secret)),
            markdown: Arc::new(GfmRenderer::new()),
        },
        Settings {
            quotas,
            posting: PostingLimits {
                max_pixels: posting.max_image_pixels,
                ..PostingLimits::default()
            },
            feed_cache,
            webhooks: WebhookSettings {
                allow_http: posting.webhook_allow_http,
                // A send takes at most the timeout (plus connecting).
                lease: posting.webhook_timeout + Duration::from_secs(5),
            },
            memes: MemeSettings {
                provider: posting.image_provider(),
                require_provider: posting.meme_require_provider,
                ..MemeSettings::default()
            },
            registration,
            housekeeping: HousekeepingSettings {
                blob_grace: posting.blob_grace,
                delivery_retention: posting.delivery_retention,
                ..HousekeepingSettings::default()
            },
            ..Settings::default()
        },
    ))
}
