//! The load generator: one thread per keep-alive connection, each sending
//! its scenario's requests back to back (a closed loop) until the deadline.
//! Only exchanges that complete inside the measured window (after the
//! warm-up, before the deadline) count, so the rate is completions per
//! second, as wrk reports it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::client::Client;
use super::scenario::{Scenario, Slot};

#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    pub addr: SocketAddr,
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// One key per connection (reused round-robin if fewer).
    pub keys: &'a [String],
    pub sample_post: Option<&'a str>,
}

#[derive(Debug, Default)]
pub struct Outcome {
    /// Of every answered request, ascending once `run` returns.
    pub latencies: Vec<Duration>,
    pub statuses: BTreeMap<u16, u64>,
    /// Exchanges that got no answer (refused, reset, timed out…).
    pub errors: u64,
    pub first_error: Option<String>,
    /// The first answer the scenario does not accept, to tell a 404
    /// (endpoint missing) from a 400 (the bench sends the wrong thing).
    pub first_failure: Option<String>,
    /// Request-body bytes of the accepted exchanges.
    pub accepted_body_bytes: u64,
    /// Answers with an accepted status whose body says refused (an MCP
    /// tool error).
    pub refused_bodies: u64,
}

impl Outcome {
    fn merge(&mut self, other: Outcome) {
        self.latencies.extend(other.latencies);
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
        self.first_failure = self.first_failure.take().or(other.first_failure);
        self.accepted_body_bytes += other.accepted_body_bytes;
        self.refused_bodies += other.refused_bodies;
    }
}

pub fn run(scenario: &Scenario, plan: &Plan<'_>) -> Outcome {
    let measure_from = Instant::now() + plan.warmup;
    let until = measure_from + plan.duration;
    let mut total = Outcome::default();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..plan.connections)
            .map(|c| {
                let slot = Slot {
                    key: plan
                        .keys
                        .get(c % plan.keys.len().max(1))
                        .map_or("", String::as_str),
                    sample_post: plan.sample_post,
                    keys: plan.keys,
                };
                scope.spawn(move || worker(scenario, plan.addr, slot, measure_from, until))
            })
            .collect();
        for worker in workers {
            total.merge(worker.join().unwrap_or_else(|_| Outcome {
                errors: 1,
                first_error: Some("a load thread panicked".into()),
                ..Outcome::default()
            }));
        }
    });
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
    let mut client = Client::new(addr);
    while Instant::now() < until {
        // Built before the clock starts: the client's cost, not the server's.
        let (path, headers, body) = (
            (scenario.path)(&slot),
            (scenario.headers)(&slot),
            (scenario.body)(&slot),
        );
        let sent = Instant::now();
        let result = client.send(scenario.method, &path, &headers, &body);
        let done = Instant::now();
        let counted = done >= measure_from && done <= until;
        match result {
            Ok(answer) if counted => {
                tally.latencies.push(done - sent);
                *tally.statuses.entry(answer.status).or_default() += 1;
                if scenario.served(answer.status, &answer.body) {
                    tally.accepted_body_bytes += body.len() as u64;
                } else {
                    tally.refused_bodies += u64::from(scenario.accepts(answer.status));
                    tally.first_failure.get_or_insert_with(|| answer.describe());
                }
            }
            Ok(_) => {}
            Err(e) => {
                if counted {
                    tally.errors += 1;
                    tally.first_error.get_or_insert(e);
                }
                // Don't spin on a server that refuses connections.
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    tally
}

/// Nearest-rank percentile of ascending values (the one the whole bench
/// reports).
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1).copied()
}

/// A latency percentile in milliseconds.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> Option<f64> {
    percentile(sorted, p).map(|d| d.as_secs_f64() * 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let ms: Vec<Duration> = (1..=200).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&ms, 50.0), Some(100.0));
        assert_eq!(percentile_ms(&ms, 99.0), Some(198.0));
        assert_eq!(percentile_ms(&ms, 100.0), Some(200.0));
        assert_eq!(percentile_ms(&[], 50.0), None);
    }
}
