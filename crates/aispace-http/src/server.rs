use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::middleware::{
    BodyDeadline, BodyLimits, body_deadline, body_limit, close_unread, observe,
};
use crate::state::ApiState;
use crate::{extract, routes};

#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Worker threads; `None` is one per CPU core.
    pub workers: Option<usize>,
    /// How long SIGTERM waits for in-flight requests before closing.
    pub shutdown_timeout: Duration,
    pub body_limits: BodyLimits,
    /// How long a request body may take to arrive after its head.
    pub body_deadline: BodyDeadline,
    /// How long a new connection may take to send its first request's
    /// head; a slower one is answered 408 by actix (no body) and closed.
    pub head_timeout: Duration,
    /// Blocking-pool threads per worker, where use cases run (see
    /// [`crate::Lanes`] for why few).
    pub blocking_threads: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            workers: None,
            shutdown_timeout: Duration::from_secs(30),
            body_limits: BodyLimits::default(),
            body_deadline: BodyDeadline::default(),
            head_timeout: Duration::from_secs(5),
            blocking_threads: 4,
        }
    }
}

/// Serves the API on `listener` until the returned server is stopped or
/// the process gets SIGTERM (graceful: in-flight requests finish) or
/// SIGINT/SIGQUIT.
pub fn run(
    listener: TcpListener,
    state: ApiState,
    options: ServerOptions,
) -> std::io::Result<Server> {
    run_with(listener, state, options, |_| {})
}

/// [`run`] with extra routes mounted next to the API's, where tests add
/// routes of their own (one answering each error code, one that panics).
pub fn run_with<F>(
    listener: TcpListener,
    state: ApiState,
    options: ServerOptions,
    extra: F,
) -> std::io::Result<Server>
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let state = web::Data::new(state);
    let mcp = crate::mcp::service(state.clone());
    let limits = web::Data::new(options.body_limits);
    let deadline = web::Data::new(options.body_deadline);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(limits.clone())
            .app_data(deadline.clone())
            .app_data(extract::json_config(limits.json))
            .app_data(web::PayloadConfig::new(limits.json))
            .app_data(extract::query_config())
            .app_data(extract::path_config())
            // The last `wrap` is the outermost: `observe` sees everything,
            // including what `body_limit` refuses and `body_deadline` cuts,
            // and `close_unread` sees the body `observe` writes.
            .wrap(from_fn(body_limit))
            .wrap(from_fn(body_deadline))
            .wrap(from_fn(observe))
            .wrap(from_fn(close_unread))
            .configure(routes::configure)
            .configure(|cfg| crate::mcp::configure(cfg, mcp.clone()))
            .configure(extra.clone())
            .default_service(web::to(routes::not_found))
    })
    .shutdown_timeout(options.shutdown_timeout.as_secs())
    .client_request_timeout(options.head_timeout)
    .worker_max_blocking_threads(options.blocking_threads.max(1));
    if let Some(workers) = options.workers {
        server = server.workers(workers);
    }
    Ok(server.listen(listener)?.run())
}
