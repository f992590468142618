//! The load generator: one thread per keep-alive connection, each sending
//! its scenario's requests back to back (a closed loop) until the deadline.
//!
//! Only exchanges that *complete* inside the measurement window (after the
//! warm-up, before the deadline) are counted, so the rate is completions
//! per second, as wrk reports it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::http::{Connection, HttpError, Request, Response};
use super::scenario::{Scenario, Slot};

/// Bounds every connect, read and write: the bench must end by itself even
/// if the server hangs.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    pub addr: SocketAddr,
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// One key per connection (reused round-robin if fewer).
    pub keys: &'a [String],
    /// What `Slot::sample_post` says.
    pub sample_post: Option<&'a str>,
}

#[derive(Debug, Default)]
pub struct Outcome {
    /// Of every answered request, sorted ascending.
    pub latencies: Vec<Duration>,
    pub statuses: BTreeMap<u16, u64>,
    /// Exchanges that got no HTTP response (refused, reset, timed out…).
    pub errors: u64,
    pub first_error: Option<String>,
    /// Status and body start of the first non-2xx answer, to tell a 404
    /// (endpoint missing) from a 400 (bench sends the wrong thing).
    pub first_failure: Option<String>,
    /// Request-body bytes of the 2xx exchanges.
    pub accepted_body_bytes: u64,
    pub window: Duration,
}

pub fn run(scenario: &Scenario, plan: &Plan<'_>) -> Outcome {
    let started = Instant::now();
    let measure_from = started + plan.warmup;
    let until = measure_from + plan.duration;
    let tallies: Vec<Outcome> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..plan.connections)
            .map(|connection| {
                let key = plan
                    .keys
                    .get(connection % plan.keys.len().max(1))
                    .map_or("", String::as_str);
                let slot = Slot {
                    key,
                    sample_post: plan.sample_post,
                    keys: plan.keys,
                };
                scope.spawn(move || worker(scenario, plan.addr, slot, measure_from, until))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| Outcome {
                    errors: 1,
                    first_error: Some("a load thread panicked".into()),
                    ..Outcome::default()
                })
            })
            .collect()
    });

    let mut total = Outcome {
        window: plan.duration,
        ..Outcome::default()
    };
    for tally in tallies {
        total.latencies.extend(tally.latencies);
        for (status, count) in tally.statuses {
            *total.statuses.entry(status).or_default() += count;
        }
        total.errors += tally.errors;
        total.first_error = total.first_error.or(tally.first_error);
        total.first_failure = total.first_failure.or(tally.first_failure);
        total.accepted_body_bytes += tally.accepted_body_bytes;
    }
    total.latencies.sort_unstable();
    total
}

fn worker(
    scenario: &Scenario,
    addr: SocketAddr,
    slot: Slot<'_>,
    measure_from: Instant,
    until: Instant,
) -> Outcome {
    let mut tally = Outcome::default();
    let mut conn = None;
    while Instant::now() < until {
        // Built before the clock starts: preparing a body is the client's
        // cost, not the server's latency.
        let path = (scenario.path)(&slot);
        let headers = (scenario.headers)(&slot);
        let body = (scenario.body)(&slot);
        let request = Request {
            method: scenario.method,
            path: &path,
            headers: &headers,
            body: &body,
        };

        let sent = Instant::now();
        let result = exchange(&mut conn, addr, &request);
        let done = Instant::now();
        let counted = done >= measure_from && done <= until;
        match result {
            Ok(response) if counted => {
                tally.latencies.push(done - sent);
                *tally.statuses.entry(response.status).or_default() += 1;
                if (scenario.expect.accepts)(response.status) {
                    tally.accepted_body_bytes += body.len() as u64;
                } else if tally.first_failure.is_none() {
                    tally.first_failure = Some(describe(&response));
                }
            }
            Ok(_) => {}
            Err(e) => {
                if counted {
                    tally.errors += 1;
                    tally.first_error.get_or_insert_with(|| e.to_string());
                }
                // Don't spin on a server that refuses connections.
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    tally
}

/// Sends on the open connection, or a new one; the server may have closed
/// a reused connection in between, which earns one retry.
pub fn exchange(
    conn: &mut Option<Connection>,
    addr: SocketAddr,
    request: &Request<'_>,
) -> Result<Response, HttpError> {
    let reused = conn.is_some();
    match send(conn, addr, request) {
        Err(e) if reused && e.is_stale_connection() => send(conn, addr, request),
        result => result,
    }
}

fn send(
    conn: &mut Option<Connection>,
    addr: SocketAddr,
    request: &Request<'_>,
) -> Result<Response, HttpError> {
    let open = match conn {
        Some(open) => open,
        None => conn.insert(Connection::open(addr, IO_TIMEOUT)?),
    };
    let result = open.send(request);
    if !result.as_ref().is_ok_and(|r| r.keep_alive) {
        *conn = None;
    }
    result
}

/// Status and the start of the body, for a report.
pub fn describe(response: &Response) -> String {
    let body = String::from_utf8_lossy(&response.body);
    let mut excerpt: String = body.chars().take(200).collect();
    if excerpt.len() < body.len() {
        excerpt.push('…');
    }
    format!("{} {}", response.status, excerpt.trim())
}
