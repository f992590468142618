//! What a run measured, as tables for people and as `target/bench/
//! results.json` (these structures, serialised) for tools. Figures are
//! comparable only within one run on one machine (the load generator shares
//! the CPUs): every scenario is also given against `healthz` from the same
//! server, and PostgreSQL against SQLite from the same run.

use std::collections::BTreeMap;

use super::database::Database;
use super::load::{Outcome, percentile_ms};
use super::scenario::Scenario;
use super::seed::Seeded;
use super::server::Memory;
use super::webhooks::Measured;

/// One database's server and what was measured on it.
#[derive(Debug, Default, serde::Serialize)]
pub struct Run {
    pub database: Database,
    /// `NAME=VALUE` of everything the server was started with.
    pub server_env: Vec<(String, String)>,
    /// PostgreSQL's version and whether autovacuum is on.
    pub postgres: Option<(String, String)>,
    pub seeded: Vec<Seeded>,
    pub scenarios: Vec<ScenarioResult>,
    pub webhooks: Option<Measured>,
    /// Scenarios that had to be answered 2xx and were not; webhooks lost.
    pub failures: Vec<String>,
    /// Why the run ended early.
    pub error: Option<String>,
    pub seconds: f64,
}

#[derive(Debug, serde::Serialize)]
pub struct ScenarioResult {
    pub name: &'static str,
    /// Which pass over the scenarios on this server (`--passes`).
    pub pass: usize,
    pub method: &'static str,
    pub connections: usize,
    /// Seeded posts it read, if it reads any.
    pub feed_posts: Option<usize>,
    pub requests: usize,
    pub requests_per_second: f64,
    pub vs_healthz: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Megabytes of accepted request bodies per second (uploads).
    pub mb_per_second: Option<f64>,
    pub statuses: BTreeMap<u16, u64>,
    pub errors: u64,
    pub first_failure: Option<String>,
    pub first_error: Option<String>,
    /// Why these are not the figures of the endpoint answering as it should.
    pub failure: Option<String>,
    /// The server's memory at the end; its peak is this scenario's when
    /// `peak_per_scenario`, else the run's so far.
    pub memory: Option<Memory>,
    pub peak_per_scenario: bool,
    /// `min_vs_healthz` of the scenario and whether it held.
    pub threshold: Option<f64>,
    pub verdict: Option<&'static str>,
    /// The machine's load average (1, 5, 15 min) as it ended.
    pub load_average: Option<String>,
}

impl ScenarioResult {
    pub fn new(
        s: &Scenario,
        pass: usize,
        connections: usize,
        window: f64,
        outcome: Outcome,
    ) -> ScenarioResult {
        let answered: u64 = outcome.statuses.values().sum();
        let refused: u64 = outcome
            .statuses
            .iter()
            .filter(|(st, _)| !s.accepts(**st))
            .map(|(_, n)| n)
            .sum();
        let mut why = Vec::new();
        if refused > 0 {
            why.push(format!(
                "{refused} of {answered} answers were not {}",
                s.expect_status.map_or("2xx".into(), |st| st.to_string())
            ));
        }
        if outcome.refused_bodies > 0 {
            why.push(format!(
                "{} answers were refusals (tool errors)",
                outcome.refused_bodies
            ));
        }
        if outcome.errors > 0 {
            why.push(format!("{} requests got no answer", outcome.errors));
        }
        if answered == 0 && outcome.errors == 0 {
            why.push("no answers in the measured window".into());
        }
        let l = &outcome.latencies;
        ScenarioResult {
            name: s.name,
            pass,
            method: s.method,
            connections,
            feed_posts: None,
            requests: l.len(),
            requests_per_second: l.len() as f64 / window,
            vs_healthz: None,
            p50_ms: percentile_ms(l, 50.0),
            p90_ms: percentile_ms(l, 90.0),
            p99_ms: percentile_ms(l, 99.0),
            max_ms: percentile_ms(l, 100.0),
            mb_per_second: (outcome.accepted_body_bytes > 0)
                .then(|| outcome.accepted_body_bytes as f64 / 1e6 / window),
            statuses: outcome.statuses,
            errors: outcome.errors,
            first_failure: outcome.first_failure,
            first_error: outcome.first_error,
            failure: (!why.is_empty()).then(|| why.join(", ")),
            memory: None,
            peak_per_scenario: false,
            threshold: s.min_vs_healthz,
            verdict: None,
            load_average: None,
        }
    }

    /// Its name, with the pass after the first (`feed #2`).
    pub fn label(&self) -> String {
        if self.pass > 1 {
            format!("{} #{}", self.name, self.pass)
        } else {
            self.name.to_owned()
        }
    }
}

impl Run {
    /// Each scenario's rate against the same pass's `healthz`, and the
    /// verdict on its threshold.
    pub fn judge(&mut self) {
        let healthz: BTreeMap<usize, f64> = self
            .scenarios
            .iter()
            .filter(|r| r.name == "healthz")
            .map(|r| (r.pass, r.requests_per_second))
            .collect();
        for r in self.scenarios.iter_mut().filter(|r| r.name != "healthz") {
            r.vs_healthz = healthz
                .get(&r.pass)
                .or(healthz.values().next())
                .filter(|h| **h > 0.0)
                .map(|h| r.requests_per_second / h);
            r.verdict = match (r.threshold, r.vs_healthz) {
                (Some(_), _) if r.failure.is_some() => Some("FAIL"),
                (Some(min), Some(ratio)) => Some(if ratio >= min { "PASS" } else { "FAIL" }),
                _ => None,
            };
        }
    }

    /// The scenarios' table, then notes, seeds, verdicts and webhooks.
    pub fn table(&self) -> String {
        let mut rows = vec![
            [
                "scenario",
                "posts",
                "conns",
                "req/s",
                "vs healthz",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "max ms",
                "errors",
                "peak RSS",
                "statuses",
            ]
            .map(String::from)
            .to_vec(),
        ];
        let mut notes = Vec::new();
        for r in &self.scenarios {
            let statuses: Vec<String> =
                r.statuses.iter().map(|(s, n)| format!("{s}×{n}")).collect();
            let peak = r.memory.map_or("n/a".into(), |m| {
                format!("{:.1} MiB", m.peak_rss_kib as f64 / 1024.0)
            });
            rows.push(vec![
                r.label(),
                r.feed_posts.map_or("-".into(), |n| n.to_string()),
                r.connections.to_string(),
                format!("{:.1}", r.requests_per_second),
                r.vs_healthz.map_or("-".into(), |v| format!("{v:.3}")),
                ms(r.p50_ms),
                ms(r.p90_ms),
                ms(r.p99_ms),
                ms(r.max_ms),
                r.errors.to_string(),
                peak,
                statuses.join(" "),
            ]);
            let facts = [
                r.mb_per_second
                    .map(|mb| format!("{mb:.1} MB/s of accepted request bodies")),
                r.first_failure
                    .as_ref()
                    .map(|f| format!("first refused answer: {f}")),
                r.first_error
                    .as_ref()
                    .map(|e| format!("first connection error: {e}")),
                r.verdict.map(|v| {
                    format!(
                        "threshold {} of healthz: {v}",
                        r.threshold.unwrap_or_default()
                    )
                }),
                (!r.peak_per_scenario).then(|| "peak RSS since the server started".to_owned()),
            ];
            notes.extend(
                facts
                    .into_iter()
                    .flatten()
                    .map(|fact| format!("{}: {fact}", r.label())),
            );
        }
        let mut out = format!("--- {} ---\n{}", self.database.label(), align(&rows));
        let seeds = self.seeded.iter().map(Seeded::summary);
        for line in notes
            .into_iter()
            .chain(seeds)
            .chain(self.webhooks.as_ref().map(Measured::summary))
        {
            out.push_str(&format!("{line}\n"));
        }
        if let Some(error) = &self.error {
            out.push_str(&format!("{} RUN FAILED: {error}\n", self.database.label()));
        }
        out
    }
}

fn ms(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{v:.2}"))
}

/// Rows as columns padded to their widest cell.
pub fn align(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows.iter().map(Vec::len).max().unwrap_or(0))
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join(" | ").trim_end());
        out.push('\n');
    }
    out
}

/// Requests/s and p99 of each scenario (a row per pass, then the load
/// average as the pass ended) in each run (a column each): the databases
/// side by side, or the sizes of the scale series.
pub fn side_by_side(title: &str, columns: &[(String, &Run)]) -> String {
    let mut rows = vec![
        std::iter::once("scenario".to_owned())
            .chain(columns.iter().map(|(name, _)| name.clone()))
            .collect::<Vec<_>>(),
    ];
    let first = columns.first().map_or(&[][..], |(_, r)| &r.scenarios[..]);
    for (i, s) in first.iter().enumerate() {
        let of = |r: &Run| {
            r.scenarios
                .iter()
                .find(|x| x.name == s.name && x.pass == s.pass)
                .map(|x| format!("{:.0}/s {} ms", x.requests_per_second, ms(x.p99_ms)))
        };
        rows.push(
            std::iter::once(s.label())
                .chain(columns.iter().map(|(_, r)| of(r).unwrap_or_default()))
                .collect(),
        );
        if first.get(i + 1).is_none_or(|next| next.pass != s.pass) {
            let load = |r: &Run| {
                r.scenarios
                    .iter()
                    .rfind(|x| x.pass == s.pass)
                    .and_then(|x| x.load_average.clone())
            };
            let cells = columns.iter().map(|(_, r)| load(r).unwrap_or_default());
            rows.push(
                std::iter::once(format!("load #{}", s.pass))
                    .chain(cells)
                    .collect(),
            );
        }
    }
    format!("--- {title} (req/s, p99) ---\n{}", align(&rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn result(name: &'static str, per_second: u64, status: u16) -> ScenarioResult {
        let scenario = super::super::scenario::all()
            .into_iter()
            .find(|s| s.name == name)
            .unwrap();
        let outcome = Outcome {
            latencies: (1..=per_second * 10)
                .map(|_| Duration::from_millis(2))
                .collect(),
            statuses: BTreeMap::from([(status, per_second * 10)]),
            ..Outcome::default()
        };
        ScenarioResult::new(&scenario, 1, 16, 10.0, outcome)
    }

    #[test]
    fn scenarios_are_judged_against_healthz_and_refused_answers_fail_them() {
        let mut run = Run {
            scenarios: vec![
                result("healthz", 1000, 200),
                result("feed", 300, 200),
                result("feed-rising", 100, 200),
                result("me", 10, 401),
            ],
            ..Run::default()
        };
        run.judge();
        let [_, feed, rising, me] = &run.scenarios[..] else {
            panic!()
        };
        assert_eq!(
            (feed.requests_per_second, feed.vs_healthz, feed.verdict),
            (300.0, Some(0.3), Some("PASS"))
        );
        assert_eq!((rising.vs_healthz, rising.verdict), (Some(0.1), None));
        assert_eq!(
            me.failure.as_deref(),
            Some("100 of 100 answers were not 2xx")
        );
        assert_eq!(feed.p99_ms, Some(2.0));
        let table = run.table();
        assert!(
            table.contains("feed: threshold 0.25 of healthz: PASS"),
            "{table}"
        );
        let feed_row: Vec<&str> = table
            .lines()
            .nth(3)
            .unwrap_or("")
            .split('|')
            .map(str::trim)
            .collect();
        assert_eq!(
            feed_row[..5],
            ["feed", "-", "16", "300.0", "0.300"],
            "{table}"
        );
    }
}
