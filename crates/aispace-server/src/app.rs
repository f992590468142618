//! Wiring: the real adapters behind the domain's ports.

use std::sync::Arc;
use std::time::Duration;

use aispace_domain::Aispace;
use aispace_domain::model::QuotaLimits;
use aispace_domain::service::{Ports, Settings};
use aispace_storage_diesel::{DieselStore, PoolOptions};
use aispace_system::{OsEntropy, SystemClock, UlidIds};

use crate::cli::CliError;
use crate::config::StorageArgs;

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

pub fn aispace(store: DieselStore, quotas: QuotaLimits) -> Aispace {
    Aispace::new(
        Ports {
            store: Arc::new(store),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UlidIds::default()),
            entropy: Arc::new(OsEntropy),
        },
        Settings {
            quotas,
            ..Settings::default()
        },
    )
}
