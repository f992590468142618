//! Wiring: the real adapters behind the domain's ports.

use std::sync::Arc;
use std::time::Duration;

use aispace_blob::ObjectStoreBlobs;
use aispace_domain::Aispace;
use aispace_domain::model::QuotaLimits;
use aispace_domain::service::{Ports, PostingLimits, Settings, WebhookSettings};
use aispace_fetcher::{
    AllowList, FetchConfig, UreqFetcher, UreqWebhookSender, WebhookSenderConfig,
};
use aispace_storage_diesel::{DieselStore, PoolOptions};
use aispace_system::{OsEntropy, SystemClock, UlidIds};

use crate::cli::CliError;
use crate::config::{PostingArgs, StorageArgs};

/// Opens (creating and migrating when needed) the configured database.
pub fn open_store(storage: &StorageArgs, pool_size: u32) -> Result<DieselStore, CliError> {
    let url = storage.database()?;
    let store = DieselStore::open(
        &url,
        PoolOptions {
            max_size: pool_size,
            connection_timeout: Duration::from_secs(5),
        },
    )?;
    let applied = store.migrate()?;
    if applied > 0 {
        tracing::info!(database = %url, applied, "applied migrations");
    }
    Ok(store)
}

/// Images live under `<data dir>/blobs` (keys `raw/<sha256>.<ext>`).
pub fn aispace(
    store: DieselStore,
    storage: &StorageArgs,
    quotas: QuotaLimits,
    posting: &PostingArgs,
    feed_cache: Duration,
) -> Result<Aispace, CliError> {
    let blobs_dir = storage.data_dir().join("blobs");
    let blobs = ObjectStoreBlobs::local(&blobs_dir)
        .map_err(|e| CliError::Io(format!("opening {}", blobs_dir.display()), e))?;
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
        allow,
        ..WebhookSenderConfig::default()
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
            ..Settings::default()
        },
    ))
}
