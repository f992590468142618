//! `aispace serve`: migrate, bind, serve until SIGTERM (graceful) or
//! SIGINT.

use std::net::TcpListener;

use aispace_http::{ApiState, PublicUrls, ServerOptions};

use crate::app;
use crate::cli::CliError;
use crate::config::{QuotaArgs, ServeArgs, StorageArgs};

pub fn serve(storage: &StorageArgs, quotas: &QuotaArgs, args: &ServeArgs) -> Result<(), CliError> {
    std::fs::create_dir_all(storage.data_dir())
        .map_err(|e| CliError::Io(format!("creating {}", storage.data_dir().display()), e))?;
    let store = app::open_store(storage, args.db_pool_size)?;
    let aispace = app::aispace(store, quotas.limits());

    let listener = TcpListener::bind(&args.bind)
        .map_err(|e| CliError::Io(format!("binding {}", args.bind), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Io("reading the bound address".into(), e))?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let state = ApiState {
        aispace,
        urls: PublicUrls::new(&public_url, args.media_url.as_deref()),
    };
    let options = ServerOptions {
        workers: args.workers,
        shutdown_timeout: args.shutdown_timeout,
        ..ServerOptions::default()
    };
    tracing::info!(%addr, public_url, "aispace listening on http://{addr}");
    actix_web::rt::System::new()
        .block_on(async move { aispace_http::run(listener, state, options)?.await })
        .map_err(|e| CliError::Io("serving".into(), e))?;
    tracing::info!("aispace stopped");
    Ok(())
}
