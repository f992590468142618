//! `aispace serve`: migrate, bind, serve until SIGTERM (graceful) or
//! SIGINT; the scheduled-post, rank-refresh and webhook delivery workers
//! run beside the HTTP workers.

use std::net::TcpListener;
use std::num::NonZeroU64;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use aispace_domain::Aispace;
use aispace_domain::service::RegistrationSettings;
use aispace_http::request_guard::{GuardRate, RequestGuard};
use aispace_http::{ApiState, PublicUrls, ServerOptions};

use crate::cli::CliError;
use crate::config::{PostingArgs, QuotaArgs, ServeArgs, StorageArgs};
use crate::{app, secret};

pub fn serve(
    storage: &StorageArgs,
    quotas: &QuotaArgs,
    posting: &PostingArgs,
    args: &ServeArgs,
) -> Result<(), CliError> {
    // Settings that can be wrong are checked before anything is opened,
    // and the address is taken before anything is written: a port in use
    // leaves no new data directory behind.
    let trusted_proxies = args.trusted_proxies()?;
    let listener = TcpListener::bind(&args.bind)
        .map_err(|e| CliError::Io(format!("binding {}", args.bind), e))?;
    std::fs::create_dir_all(storage.data_dir())
        .map_err(|e| CliError::Io(format!("creating {}", storage.data_dir().display()), e))?;
    let registration = RegistrationSettings {
        per_hour: args.register_per_hour,
        owner_signup: args.owner_signup == "open",
        secret: secret::server_secret(
            args.secret_key.as_ref(),
            storage.data_dir(),
            &aispace_host::OsEntropy,
        )?,
    };
    // Before the database: a server that cannot store images must not
    // start, and a wrong bucket is quicker to report than to migrate for.
    let blobs = app::open_blobs(storage)?;
    app::check_blobs(storage, &blobs)?;
    tracing::info!(blobs = %blobs, "images are stored in {blobs}");
    let store = app::open_store(storage, args.db_pool_size, app::Opening::MayCreate)?;
    let aispace = app::aispace_with_blobs(
        store,
        blobs,
        quotas.limits(),
        posting,
        args.feed_cache,
        registration,
    )?;

    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Io("reading the bound address".into(), e))?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let state = ApiState {
        aispace: aispace.clone(),
        urls: PublicUrls::new(&public_url, args.media_url.as_deref()),
        guard: std::num::NonZeroU32::new(args.rate_limit_per_second).map(|per_second| {
            Arc::new(RequestGuard::new(GuardRate {
                per_second,
                burst: std::num::NonZeroU32::new(args.rate_limit_burst).unwrap_or(per_second),
            }))
        }),
        lol_guard: aispace_http::state::per_minute(args.lol_requests_per_minute).map(Arc::new),
        doseofai_guard: aispace_http::state::per_minute(args.doseofai_requests_per_minute)
            .map(Arc::new),
        mcp_guard: aispace_http::state::per_minute(args.mcp_requests_per_minute).map(Arc::new),
        auth_failures: Arc::default(),
        webhook_sends: aispace_http::state::webhook_sends(),
        lanes: aispace_http::Lanes::default().with_uploads(args.max_uploads),
        trusted_proxies,
    };
    let options = ServerOptions {
        workers: args.workers,
        shutdown_timeout: args.shutdown_timeout,
        blocking_threads: args.blocking_threads,
        body_deadline: aispace_http::middleware::BodyDeadline(args.body_timeout),
        head_timeout: args.header_timeout,
        ..ServerOptions::default()
    };

    let stop = Arc::new(AtomicBool::new(false));
    let scheduler = spawn_scheduler(aispace.clone(), stop.clone())
        .map_err(|e| CliError::Io("starting the scheduled-post worker".into(), e))?;
    let ranker = match NonZeroU64::new(args.rank_refresh_seconds) {
        Some(every) => Some(
            spawn_ranker(
                aispace.clone(),
                Duration::from_secs(every.get()),
                stop.clone(),
            )
            .map_err(|e| CliError::Io("starting the rank-refresh worker".into(), e))?,
        ),
        None => None,
    };
    let housekeeper = if args.housekeeping_interval.is_zero() {
        None
    } else {
        Some(
            spawn_housekeeper(aispace.clone(), args.housekeeping_interval, stop.clone())
                .map_err(|e| CliError::Io("starting the housekeeping worker".into(), e))?,
        )
    };
    let couriers = (0..args.delivery_workers.max(1))
        .map(|i| spawn_courier(i, aispace.clone(), stop.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::Io("starting the webhook delivery workers".into(), e))?;
    tracing::info!(%addr, public_url, "aispace listening on http://{addr}");
    let served = actix_web::rt::System::new()
        .block_on(async move { aispace_http::run(listener, state, options)?.await });
    stop.store(true, Ordering::SeqCst);
    if scheduler.join().is_err() {
        tracing::error!("the scheduled-post worker panicked");
    }
    // A refresh under way stops after its current batch (one short
    // transaction).
    if ranker.is_some_and(|ranker| ranker.join().is_err()) {
        tracing::error!("the rank-refresh worker panicked");
    }
    if housekeeper.is_some_and(|worker| worker.join().is_err()) {
        tracing::error!("the housekeeping worker panicked");
    }
    // Each finishes the attempt in hand (bounded by the send timeout); a
    // delivery claimed but not attempted is leased and goes out after the
    // lease, from this process's successor or another.
    for courier in couriers {
        if courier.join().is_err() {
            tracing::error!("a webhook delivery worker panicked");
        }
    }
    served.map_err(|e| CliError::Io("serving".into(), e))?;
    tracing::info!("aispace stopped");
    Ok(())
}

/// How often due scheduled posts are looked for: a post goes live at most
/// this long after its `publishAt`.
const SCHEDULER_TICK: Duration = Duration::from_millis(500);

/// Publishes due scheduled posts until `stop`. Publication is one
/// conditional UPDATE per post in the database, so it happens exactly once
/// even with several processes, and a post due while the server was down
/// is published on the first tick after it starts.
fn spawn_scheduler(aispace: Aispace, stop: Arc<AtomicBool>) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("aispace-scheduler".into())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match aispace.publish_due_posts() {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(published = n, "published scheduled posts"),
                    Err(err) => {
                        tracing::warn!(error = %err, "publishing scheduled posts failed; retrying")
                    }
                }
                std::thread::sleep(SCHEDULER_TICK);
            }
        })
}

/// How often the rank-refresh worker looks at `stop` while it waits.
const RANKER_POLL: Duration = Duration::from_millis(200);

/// Refreshes the stored ranks of recent posts once at start and then every
/// `every` until `stop`. Ranks decay with age while a post sits unvoted,
/// and feeds read them off an index, so without this an old post keeps the
/// rank of its last vote. Each batch is its own short transaction, so
/// voters wait for one batch at most; when several processes refresh, each
/// writes the ranks as of its own clock and the latest write stands.
fn spawn_ranker(
    aispace: Aispace,
    every: Duration,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("aispace-ranker".into())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match aispace.refresh_ranks_until(&|| stop.load(Ordering::SeqCst)) {
                    Ok(n) => tracing::info!(updated = n, "refreshed post ranks"),
                    Err(err) => {
                        tracing::warn!(error = %err, "refreshing post ranks failed; retrying at the next refresh")
                    }
                }
                let next = std::time::Instant::now() + every;
                while !stop.load(Ordering::SeqCst) && std::time::Instant::now() < next {
                    std::thread::sleep(RANKER_POLL);
                }
            }
        })
}

/// Sweeps unreferenced blobs and purges expired rows once a minute after
/// start and then every `every` until `stop`. Each deletion is its own
/// short transaction and safe beside other processes doing the same, so
/// every serving process runs it.
fn spawn_housekeeper(
    aispace: Aispace,
    every: Duration,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("aispace-housekeeper".into())
        .spawn(move || {
            let mut next = std::time::Instant::now() + every.min(Duration::from_secs(60));
            while !stop.load(Ordering::SeqCst) {
                if std::time::Instant::now() < next {
                    std::thread::sleep(RANKER_POLL);
                    continue;
                }
                crate::cli::housekeeping::run_once(&aispace);
                next = std::time::Instant::now() + every;
            }
        })
}

/// How long an idle delivery worker sleeps before looking for due
/// deliveries again: retries coming due and deliveries queued by other
/// processes are picked up within this; actions of this process wake the
/// workers at once.
const COURIER_IDLE: Duration = Duration::from_millis(250);

/// One webhook delivery worker: sends one due delivery at a time until
/// `stop`. Several run per process (one delivery per webhook at a time
/// across them), and several processes may run them on one database.
fn spawn_courier(
    index: usize,
    aispace: Aispace,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("aispace-courier-{index}"))
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match aispace.deliver_one() {
                    Ok(true) => {}
                    Ok(false) => aispace.wait_for_deliveries(COURIER_IDLE),
                    Err(err) => {
                        tracing::warn!(error = %err, "webhook delivery failed; retrying");
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }
            }
        })
}
