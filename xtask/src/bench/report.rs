//! Turning outcomes into figures: a table per database on stdout, a
//! comparison of the databases, and `target/bench/results.json`, all
//! carrying the command and settings that produced them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::database::Database;
use super::json::Json;
use super::load::Outcome;
use super::scenario::Expect;
use super::seed::Seeded;
use super::server::{Memory, SERVER_ENV, ServerEnv};
use super::webhooks::Measured as Webhooks;

/// The scenario every other is compared with.
const BASELINE: &str = "healthz";

/// The invocation: what every database's run shares.
#[derive(Debug)]
pub struct RunInfo {
    pub command: String,
    pub started: SystemTime,
    pub commit: Option<String>,
    pub dirty: bool,
    pub cpus: usize,
    pub duration: Duration,
    pub warmup: Duration,
    pub connections_override: Option<usize>,
    pub server_bin: PathBuf,
    pub agents: usize,
    /// Posts seeded for the scenarios that read them (`--feed-posts`), if
    /// any selected scenario does.
    pub feed_posts: Option<usize>,
    /// Discussion posts seeded (`--discuss-posts`), if any selected
    /// scenario reads them.
    pub discuss_posts: Option<usize>,
    pub databases: Vec<Database>,
    /// Why PostgreSQL is not among them, when it was not asked for.
    pub postgres_skipped: Option<String>,
}

/// One database's server, as it was started.
#[derive(Debug)]
pub struct ServerInfo {
    pub pid: u32,
    pub addr: SocketAddr,
    pub env: ServerEnv,
    pub postgres: Option<PgInfo>,
    /// Creating the agents with the CLI, before the server started.
    pub agents_elapsed: Duration,
}

/// Where a PostgreSQL run kept its state.
#[derive(Debug, Clone)]
pub struct PgInfo {
    /// The base URL without user info, and the variable it came from.
    pub url: String,
    pub url_var: &'static str,
    pub schema: String,
    pub version: Option<String>,
    /// The server's `autovacuum` setting.
    pub autovacuum: Option<String>,
}

/// One database's run: its server, figures and what went wrong.
#[derive(Debug)]
pub struct Run {
    pub database: Database,
    /// `None` when it failed before its server started.
    pub server: Option<ServerInfo>,
    pub results: Vec<ScenarioResult>,
    pub seeded: Vec<Seeded>,
    pub webhooks: Option<Webhooks>,
    /// Scenarios that had to answer 2xx and did not, missing webhooks.
    pub failures: Vec<String>,
    /// Why the run ended early, or its server did not stop cleanly.
    pub error: Option<String>,
    pub elapsed: Duration,
    /// `/proc/loadavg`'s 1, 5 and 15-minute figures as the run's last
    /// scenario ended: how busy the machine was while it ran.
    pub load_average: Option<String>,
}

impl Run {
    pub fn new(database: Database) -> Run {
        Run {
            database,
            server: None,
            results: Vec::new(),
            seeded: Vec::new(),
            webhooks: None,
            failures: Vec::new(),
            error: None,
            elapsed: Duration::ZERO,
            load_average: None,
        }
    }

    fn result(&self, name: &str) -> Option<&ScenarioResult> {
        self.results.iter().find(|r| r.name == name)
    }
}

#[derive(Debug)]
pub struct ScenarioResult {
    pub name: &'static str,
    /// Which run of the scenarios on this server (`--passes`), from 1.
    pub pass: usize,
    /// The machine's load average as the scenario ended.
    pub load_average: Option<String>,
    pub method: &'static str,
    pub connections: usize,
    pub outcome: Outcome,
    pub memory: Option<Memory>,
    /// Whether the peak was reset before this scenario; if not, it is the
    /// peak of the run so far.
    pub peak_per_scenario: bool,
    /// Why the state it reads could not be (fully) seeded.
    pub prepare_failure: Option<String>,
    /// The seeded posts it read, if it reads them.
    pub feed_posts: Option<usize>,
    /// The scenario's threshold, as a fraction of `healthz` req/s.
    pub min_vs_healthz: Option<f64>,
    /// The answer it must get.
    pub expect: Expect,
}

impl ScenarioResult {
    /// Its name, with the pass after the first (`feed #2`).
    pub fn label(&self) -> String {
        if self.pass > 1 {
            format!("{} #{}", self.name, self.pass)
        } else {
            self.name.to_owned()
        }
    }

    /// Why the figures are not those of the endpoint answering 2xx over
    /// the seeded state, if they are not; in short, the details (first
    /// answer, seeding request) are in the notes.
    pub fn failure(&self) -> Option<String> {
        let o = &self.outcome;
        let answered: u64 = o.statuses.values().sum();
        let non_2xx: u64 = o
            .statuses
            .iter()
            .filter(|(status, _)| !(self.expect.accepts)(**status))
            .map(|(_, n)| n)
            .sum();
        let mut why = Vec::new();
        if self.prepare_failure.is_some() {
            why.push("seeding failed".to_owned());
        }
        if non_2xx > 0 {
            why.push(format!(
                "{non_2xx} of {answered} answers were not {}",
                self.expect.name
            ));
        }
        if o.errors > 0 {
            why.push(format!("{} requests got no answer", o.errors));
        }
        if answered == 0 && o.errors == 0 {
            why.push("no answers in the measured window".into());
        }
        (!why.is_empty()).then(|| why.join(", "))
    }
}

/// A scenario's throughput threshold, judged.
#[derive(Debug, PartialEq)]
enum Verdict {
    Pass,
    Fail,
    /// No `healthz` in this run to compare with.
    NotJudged,
}

impl Verdict {
    fn as_str(&self) -> Option<&'static str> {
        match self {
            Verdict::Pass => Some("PASS"),
            Verdict::Fail => Some("FAIL"),
            Verdict::NotJudged => None,
        }
    }
}

/// The verdict on a scenario's threshold and the line that reports it.
fn verdict(result: &ScenarioResult, s: &Summary) -> Option<(Verdict, String)> {
    let min = result.min_vs_healthz?;
    let against = format!("threshold {min} of healthz req/s");
    Some(if let Some(failure) = result.failure() {
        (
            Verdict::Fail,
            format!("{}: {against}: FAIL ({failure}; see above)", result.name),
        )
    } else if let Some(ratio) = s.vs_baseline {
        let (verdict, mark) = if ratio >= min {
            (Verdict::Pass, "PASS")
        } else {
            (Verdict::Fail, "FAIL")
        };
        (
            verdict,
            format!(
                "{}: {:.3} of healthz req/s, {against}: {mark}",
                result.name, ratio
            ),
        )
    } else {
        (
            Verdict::NotJudged,
            format!(
                "{}: {against}: not judged (no healthz figure in this run)",
                result.name
            ),
        )
    })
}

#[derive(Debug)]
struct Summary {
    requests: usize,
    per_second: f64,
    p50: Option<Duration>,
    p90: Option<Duration>,
    p99: Option<Duration>,
    max: Option<Duration>,
    /// Megabytes (10^6 bytes) of request bodies answered 2xx, per second.
    mb_per_second: Option<f64>,
    vs_baseline: Option<f64>,
}

fn summarise(result: &ScenarioResult, baseline_rate: Option<f64>) -> Summary {
    let outcome = &result.outcome;
    let seconds = outcome.window.as_secs_f64().max(f64::MIN_POSITIVE);
    let per_second = outcome.latencies.len() as f64 / seconds;
    Summary {
        requests: outcome.latencies.len(),
        per_second,
        p50: percentile(&outcome.latencies, 50.0),
        p90: percentile(&outcome.latencies, 90.0),
        p99: percentile(&outcome.latencies, 99.0),
        max: outcome.latencies.last().copied(),
        mb_per_second: (outcome.accepted_body_bytes > 0)
            .then(|| outcome.accepted_body_bytes as f64 / 1e6 / seconds),
        vs_baseline: baseline_rate
            .filter(|&rate| rate > 0.0 && result.name != BASELINE)
            .map(|rate| per_second / rate),
    }
}

/// Requests/s and p99 in milliseconds (0 if none answered).
pub fn rate_and_p99(result: &ScenarioResult) -> (f64, f64) {
    let s = summarise(result, None);
    (s.per_second, s.p99.map_or(0.0, |d| d.as_secs_f64() * 1e3))
}

/// Nearest-rank percentile of ascending values.
fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1)).copied()
}

fn baseline_rate(results: &[ScenarioResult]) -> Option<f64> {
    results
        .iter()
        .find(|r| r.name == BASELINE)
        .map(|r| summarise(r, None).per_second)
}

pub fn header(info: &RunInfo) -> String {
    let commit = match &info.commit {
        Some(c) if info.dirty => format!("{c} + uncommitted changes"),
        Some(c) => c.clone(),
        None => "unknown".into(),
    };
    let connections = info
        .connections_override
        .map_or_else(|| "per scenario".into(), |n| n.to_string());
    let databases: Vec<&str> = info.databases.iter().map(|d| d.label()).collect();
    let mut databases = if databases.len() > 1 {
        format!(
            "{}, one after the other, each with its own server and data",
            databases.join(" then ")
        )
    } else {
        format!("{}, on a server and data of its own", databases.join(""))
    };
    if let Some(skipped) = &info.postgres_skipped {
        databases.push_str(&format!("\n          {skipped}"));
    }
    let mut seeds = Vec::new();
    if let Some(posts) = info.feed_posts {
        seeds.push(format!(
            "{} posts (--feed-posts) with reactions and votes, over HTTP, once per \
             database, published just before the scenarios that read them",
            thousands(posts)
        ));
    }
    if let Some(posts) = info.discuss_posts {
        seeds.push(format!(
            "{} discussion posts (--discuss-posts) by {} authors in {} communities, read by \
             agents following {} authors and subscribed to {} communities each, over HTTP, \
             once per database, published just before the scenarios that read them",
            thousands(posts),
            thousands(super::seed::DISCUSS_AUTHORS),
            super::seed::COMMUNITIES,
            super::seed::FOLLOWS,
            super::seed::SUBSCRIPTIONS,
        ));
    }
    let seed = if seeds.is_empty() {
        "nothing (no selected scenario reads seeded posts)".to_owned()
    } else {
        seeds.join(";\n          ")
    };
    format!(
        "$ {}\n\
         when:     {}\n\
         commit:   {commit}\n\
         host:     {} CPUs, {} {} (server, database and load generator share them)\n\
         server:   {} serve, {} agents; settings: the env shown per database, the rest \
                   at the server's defaults\n\
         database: {databases}\n\
         seed:     {seed}\n\
         load:     {} s warm-up + {} s measured per scenario, connections {connections}, \
                   keep-alive HTTP/1.1, one agent key per connection\n",
        info.command,
        utc(info.started),
        info.cpus,
        std::env::consts::OS,
        std::env::consts::ARCH,
        info.server_bin.display(),
        info.agents,
        info.warmup.as_secs_f64(),
        info.duration.as_secs_f64(),
    )
}

/// The line a database's part of the report starts with.
pub fn title(database: Database) -> String {
    title_line(&format!("{} ({})", database.label(), database.name()))
}

/// Where and how a database's server runs, printed when it has started.
pub fn server_header(info: &ServerInfo, agents: usize) -> String {
    let state = match &info.postgres {
        None => "SQLite and images in a fresh data dir".to_owned(),
        Some(pg) => format!(
            "PostgreSQL{} (autovacuum={}) schema {} (fresh, dropped at the end) in {} (from \
             {}), images in a fresh data dir",
            pg.version
                .as_ref()
                .map_or_else(String::new, |v| format!(" {v}")),
            pg.autovacuum.as_deref().unwrap_or("?"),
            pg.schema,
            pg.url,
            pg.url_var,
        ),
    };
    format!(
        "server:   pid {}, on {}, {state}; {agents} agents created with the CLI in {:.1} s\n\
         env:      {}\n",
        info.pid,
        info.addr,
        info.agents_elapsed.as_secs_f64(),
        info.env.line(),
    )
}

/// A database's table and notes, under its title, with why the run ended
/// early if it did.
pub fn run_table(run: &Run) -> String {
    let mut out = format!(
        "--- {} ({}): figures\n",
        run.database.label(),
        run.database.name()
    );
    if run.results.is_empty() && run.webhooks.is_none() {
        out.push_str("(no figures)\n");
    } else {
        out.push_str(&table(&run.results, &run.seeded, run.webhooks.as_ref()));
    }
    if let Some(load) = &run.load_average {
        out.push_str(&format!("load average at the end of the run: {load}\n"));
    }
    if let Some(error) = &run.error {
        out.push_str(&format!("\n{} RUN FAILED: {error}\n", run.database.label()));
    }
    out
}

/// Each figure of PostgreSQL's run over SQLite's, for the scenarios (and
/// `webhooks`) both measured; `None` unless both ran.
pub fn comparison(runs: &[Run]) -> Option<String> {
    let (sqlite, postgres) = pair(runs)?;
    let mib = |m: Option<Memory>| m.map(|m| m.peak_rss_kib as f64 / 1024.0);
    let mut rows = vec![
        ["scenario", "req/s", "p50 ms", "p99 ms", "peak RSS MiB"]
            .map(String::from)
            .to_vec(),
    ];
    let mut failed = Vec::new();
    for (a, b) in compared(sqlite, postgres) {
        let (sa, sb) = (summarise(a, None), summarise(b, None));
        let ms = |d: Option<Duration>| d.map(|d| d.as_secs_f64() * 1e3);
        rows.push(vec![
            a.name.to_owned(),
            versus(Some(sa.per_second), Some(sb.per_second), 1),
            versus(ms(sa.p50), ms(sb.p50), 2),
            versus(ms(sa.p99), ms(sb.p99), 2),
            versus(mib(a.memory), mib(b.memory), 1),
        ]);
        for (run, result) in [(sqlite, a), (postgres, b)] {
            if let Some(failure) = result.failure() {
                failed.push(format!(
                    "{} on {}: {failure}",
                    result.name,
                    run.database.label()
                ));
            }
        }
    }
    if rows.len() == 1 && !(sqlite.webhooks.is_some() && postgres.webhooks.is_some()) {
        return None;
    }
    let mut out = format!(
        "{}\nPostgreSQL / SQLite: each cell is SQLite → PostgreSQL (PostgreSQL ÷ SQLite), same \
         scenario and load, each on its own server:\n",
        title_line("comparison")
    );
    if rows.len() > 1 {
        out.push_str(&align(&rows));
    }
    if let (Some(a), Some(b)) = (&sqlite.webhooks, &postgres.webhooks) {
        let p50 = |w: &Webhooks| super::webhooks::percentile(&w.delays_ms, 50.0);
        out.push_str(&format!(
            "webhooks: deliveries/s {}, like→delivery delay p50 ms {}\n",
            versus(a.deliveries_per_second(), b.deliveries_per_second(), 0),
            versus(p50(a), p50(b), 1),
        ));
    }
    out.push_str(
        "peak RSS is the aispace process's only: SQLite's page cache lives in it, PostgreSQL's \
         server processes are not counted.\n",
    );
    for line in failed {
        out.push_str(&format!("not comparable: {line}\n"));
    }
    Some(out)
}

/// The SQLite and PostgreSQL runs, if both ran.
fn pair(runs: &[Run]) -> Option<(&Run, &Run)> {
    let find = |d: Database| runs.iter().find(|r| r.database == d);
    Some((find(Database::Sqlite)?, find(Database::Postgres)?))
}

/// Scenarios both runs measured, in the first run's order.
fn compared<'a>(a: &'a Run, b: &'a Run) -> Vec<(&'a ScenarioResult, &'a ScenarioResult)> {
    a.results
        .iter()
        .filter_map(|ra| Some((ra, b.result(ra.name)?)))
        .collect()
}

/// `a → b (b÷a x)`.
fn versus(a: Option<f64>, b: Option<f64>, decimals: usize) -> String {
    let value = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.decimals$}"));
    let ratio = match (a, b) {
        (Some(a), Some(b)) if a > 0.0 => format!(" ({})", ratio_text(b / a)),
        _ => String::new(),
    };
    format!("{} → {}{ratio}", value(a), value(b))
}

fn title_line(text: &str) -> String {
    format!(
        "=== {text} {}",
        "=".repeat(60usize.saturating_sub(text.len()))
    )
}

/// Columns padded to their widest cell: the first left-aligned, the
/// others right-aligned, the last as it is.
fn align(rows: &[Vec<String>]) -> String {
    let Some(first) = rows.first() else {
        return String::new();
    };
    let widths: Vec<usize> = (0..first.len())
        .map(|col| {
            rows.iter()
                .map(|r| r[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let last = widths.len() - 1;
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(col, (cell, &width))| match col {
                0 => format!("{cell:<width$}"),
                c if c == last => cell.clone(),
                _ => format!("{cell:>width$}"),
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The scenarios' table, then notes, what was seeded, verdicts and the
/// `webhooks` figures.
pub fn table(results: &[ScenarioResult], seeded: &[Seeded], webhooks: Option<&Webhooks>) -> String {
    let baseline = baseline_rate(results);
    let mut verdicts = Vec::new();
    let mut rows = vec![
        [
            "scenario", "posts", "conns", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms",
            "max ms", "errors", "peak RSS", "RSS", "statuses",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let mut notes = Vec::new();
    for result in results {
        let s = summarise(result, baseline);
        let statuses: Vec<String> = result
            .outcome
            .statuses
            .iter()
            .map(|(status, n)| format!("{status}×{n}"))
            .collect();
        let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
        rows.push(vec![
            result.label(),
            result.feed_posts.map_or_else(|| "-".into(), thousands),
            result.connections.to_string(),
            s.requests.to_string(),
            format!("{:.1}", s.per_second),
            ms(s.p50),
            ms(s.p90),
            ms(s.p99),
            ms(s.max),
            result.outcome.errors.to_string(),
            result
                .memory
                .map_or_else(|| "n/a".into(), |m| mib(m.peak_rss_kib)),
            result
                .memory
                .map_or_else(|| "n/a".into(), |m| mib(m.rss_kib)),
            if statuses.is_empty() {
                "-".into()
            } else {
                statuses.join(" ")
            },
        ]);

        let mut figures = Vec::new();
        if let Some(ratio) = s.vs_baseline {
            figures.push(format!("{} healthz req/s", ratio_text(ratio)));
        }
        if let Some(mb) = s.mb_per_second {
            figures.push(format!("{mb:.1} MB/s of accepted request bodies"));
        }
        if !figures.is_empty() {
            notes.push(format!("{}: {}", result.name, figures.join(", ")));
        }
        if let Some(failure) = &result.outcome.first_failure {
            notes.push(format!("{}: first non-2xx answer: {failure}", result.name));
        }
        if result.prepare_failure.is_some() {
            notes.push(format!(
                "{}: SEEDING FAILED: it read a partly seeded database (see below)",
                result.name
            ));
        }
        if let Some((_, line)) = verdict(result, &s) {
            verdicts.push(line);
        }
        if let Some(error) = &result.outcome.first_error {
            notes.push(format!("{}: first connection error: {error}", result.name));
        }
        if !result.peak_per_scenario {
            notes.push(format!(
                "{}: peak RSS is the server's peak since start (could not reset it)",
                result.name
            ));
        }
    }

    // Only the header when `webhooks` is all there is: leave it out.
    let mut out = if results.is_empty() {
        String::new()
    } else {
        align(&rows)
    };
    for section in [
        notes,
        seeded.iter().map(Seeded::summary).collect(),
        verdicts,
        webhooks.map(Webhooks::summary).into_iter().collect(),
    ] {
        if !section.is_empty() {
            out.push('\n');
            for line in section {
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    out
}

/// results.json; its layout is described in `mod.rs`.
pub fn json(info: &RunInfo, runs: &[Run]) -> Json {
    let unix = info
        .started
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let scenarios = runs
        .iter()
        .flat_map(|run| {
            let baseline = baseline_rate(&run.results);
            run.results
                .iter()
                .map(move |r| tagged(run.database, scenario_json(r, baseline)))
        })
        .collect();
    let seeded = runs
        .iter()
        .flat_map(|run| run.seeded.iter().map(|s| tagged(run.database, s.json())))
        .collect();
    let first_webhooks = runs
        .iter()
        .find_map(|run| Some(tagged(run.database, run.webhooks.as_ref()?.json())));
    Json::obj([
        ("command", Json::str(info.command.clone())),
        ("started_unix", Json::Int(unix)),
        ("started_utc", Json::str(utc(info.started))),
        (
            "git",
            Json::obj([
                ("commit", Json::opt(info.commit.clone(), Json::Str)),
                ("uncommitted_changes", Json::Bool(info.dirty)),
            ]),
        ),
        (
            "host",
            Json::obj([
                ("cpus", Json::Int(info.cpus as u64)),
                ("os", Json::str(std::env::consts::OS)),
                ("arch", Json::str(std::env::consts::ARCH)),
            ]),
        ),
        (
            "settings",
            Json::obj([
                ("warmup_seconds", Json::Num(info.warmup.as_secs_f64())),
                ("duration_seconds", Json::Num(info.duration.as_secs_f64())),
                (
                    "connections_override",
                    Json::opt(info.connections_override, |n| Json::Int(n as u64)),
                ),
                ("agents", Json::Int(info.agents as u64)),
                (
                    "feed_posts",
                    Json::opt(info.feed_posts, |n| Json::Int(n as u64)),
                ),
                (
                    "discuss_posts",
                    Json::opt(info.discuss_posts, |n| Json::Int(n as u64)),
                ),
                (
                    "server_env",
                    Json::Obj(
                        SERVER_ENV
                            .iter()
                            .map(|(k, v)| ((*k).to_owned(), Json::str(*v)))
                            .collect(),
                    ),
                ),
                (
                    "databases",
                    Json::Arr(info.databases.iter().map(|d| Json::str(d.name())).collect()),
                ),
                (
                    "postgres_skipped",
                    Json::opt(info.postgres_skipped.clone(), Json::Str),
                ),
            ]),
        ),
        ("seeded", Json::Arr(seeded)),
        ("scenarios", Json::Arr(scenarios)),
        ("webhooks", first_webhooks.unwrap_or(Json::Null)),
        ("runs", Json::Arr(runs.iter().map(run_json).collect())),
        ("comparison", comparison_json(runs).unwrap_or(Json::Null)),
    ])
}

/// `json` with `"database"` as its first field.
fn tagged(database: Database, json: Json) -> Json {
    match json {
        Json::Obj(mut fields) => {
            fields.insert(0, ("database".to_owned(), Json::str(database.name())));
            Json::Obj(fields)
        }
        other => other,
    }
}

fn ms_json(d: Option<Duration>) -> Json {
    Json::opt(d, |d| Json::Num(d.as_secs_f64() * 1e3))
}

fn scenario_json(result: &ScenarioResult, baseline: Option<f64>) -> Json {
    let s = summarise(result, baseline);
    let o = &result.outcome;
    Json::obj([
        ("name", Json::str(result.name)),
        ("pass", Json::Int(result.pass as u64)),
        (
            "load_average",
            Json::opt(result.load_average.as_deref(), Json::str),
        ),
        ("method", Json::str(result.method)),
        (
            "feed_posts",
            Json::opt(result.feed_posts, |n| Json::Int(n as u64)),
        ),
        ("connections", Json::Int(result.connections as u64)),
        ("requests", Json::Int(s.requests as u64)),
        ("requests_per_second", Json::Num(s.per_second)),
        (
            "latency_ms",
            Json::obj([
                ("p50", ms_json(s.p50)),
                ("p90", ms_json(s.p90)),
                ("p99", ms_json(s.p99)),
                ("max", ms_json(s.max)),
            ]),
        ),
        (
            "status_counts",
            Json::Obj(
                o.statuses
                    .iter()
                    .map(|(status, n)| (status.to_string(), Json::Int(*n)))
                    .collect(),
            ),
        ),
        ("errors", Json::Int(o.errors)),
        ("first_error", Json::opt(o.first_error.clone(), Json::Str)),
        (
            "first_non_2xx",
            Json::opt(o.first_failure.clone(), Json::Str),
        ),
        (
            "accepted_mb_per_second",
            Json::opt(s.mb_per_second, Json::Num),
        ),
        (
            "vs_healthz_requests_per_second",
            Json::opt(s.vs_baseline, Json::Num),
        ),
        (
            "min_vs_healthz",
            Json::opt(result.min_vs_healthz, Json::Num),
        ),
        (
            "verdict",
            Json::opt(verdict(result, &s).and_then(|(v, _)| v.as_str()), Json::str),
        ),
        ("failure", Json::opt(result.failure(), Json::Str)),
        (
            "server_memory",
            Json::opt(result.memory, |m| {
                Json::obj([
                    ("peak_rss_kib", Json::Int(m.peak_rss_kib)),
                    ("rss_kib", Json::Int(m.rss_kib)),
                    ("peak_is_per_scenario", Json::Bool(result.peak_per_scenario)),
                ])
            }),
        ),
    ])
}

fn run_json(run: &Run) -> Json {
    let server = run.server.as_ref().map(|server| {
        Json::obj([
            ("pid", Json::Int(u64::from(server.pid))),
            ("addr", Json::str(server.addr.to_string())),
            (
                "env",
                Json::Obj(
                    server
                        .env
                        .shown()
                        .into_iter()
                        .map(|(k, v)| (k, Json::Str(v)))
                        .collect(),
                ),
            ),
            (
                "postgres",
                Json::opt(server.postgres.as_ref(), |pg| {
                    Json::obj([
                        ("url", Json::str(pg.url.clone())),
                        ("url_from", Json::str(pg.url_var)),
                        ("schema", Json::str(pg.schema.clone())),
                        ("version", Json::opt(pg.version.clone(), Json::Str)),
                        ("autovacuum", Json::opt(pg.autovacuum.clone(), Json::Str)),
                    ])
                }),
            ),
            (
                "agents_seconds",
                Json::Num(server.agents_elapsed.as_secs_f64()),
            ),
        ])
    });
    Json::obj([
        ("database", Json::str(run.database.name())),
        ("server", server.unwrap_or(Json::Null)),
        (
            "scenarios",
            Json::Arr(run.results.iter().map(|r| Json::str(r.name)).collect()),
        ),
        ("webhooks", Json::opt(run.webhooks.as_ref(), Webhooks::json)),
        (
            "failures",
            Json::Arr(run.failures.iter().cloned().map(Json::Str).collect()),
        ),
        ("error", Json::opt(run.error.clone(), Json::Str)),
        ("seconds", Json::Num(run.elapsed.as_secs_f64())),
    ])
}

fn comparison_json(runs: &[Run]) -> Option<Json> {
    let (sqlite, postgres) = pair(runs)?;
    let figure = |a: Option<f64>, b: Option<f64>| {
        Json::obj([
            (Database::Sqlite.name(), Json::opt(a, Json::Num)),
            (Database::Postgres.name(), Json::opt(b, Json::Num)),
            (
                "ratio",
                Json::opt(
                    a.zip(b).filter(|(a, _)| *a > 0.0).map(|(a, b)| b / a),
                    Json::Num,
                ),
            ),
        ])
    };
    let ms = |d: Option<Duration>| d.map(|d| d.as_secs_f64() * 1e3);
    let kib = |m: Option<Memory>| m.map(|m| m.peak_rss_kib as f64);
    let scenarios = compared(sqlite, postgres)
        .into_iter()
        .map(|(a, b)| {
            let (sa, sb) = (summarise(a, None), summarise(b, None));
            Json::obj([
                ("name", Json::str(a.name)),
                (
                    "requests_per_second",
                    figure(Some(sa.per_second), Some(sb.per_second)),
                ),
                ("p50_ms", figure(ms(sa.p50), ms(sb.p50))),
                ("p99_ms", figure(ms(sa.p99), ms(sb.p99))),
                ("peak_rss_kib", figure(kib(a.memory), kib(b.memory))),
                (
                    "comparable",
                    Json::Bool(a.failure().is_none() && b.failure().is_none()),
                ),
            ])
        })
        .collect();
    let webhooks = match (&sqlite.webhooks, &postgres.webhooks) {
        (Some(a), Some(b)) => {
            let p50 = |w: &Webhooks| super::webhooks::percentile(&w.delays_ms, 50.0);
            Json::obj([
                (
                    "deliveries_per_second",
                    figure(a.deliveries_per_second(), b.deliveries_per_second()),
                ),
                ("delay_p50_ms", figure(p50(a), p50(b))),
            ])
        }
        _ => Json::Null,
    };
    Some(Json::obj([
        (
            "note",
            Json::str(
                "ratio = postgres / sqlite; peak RSS is the aispace process's only (not \
                 PostgreSQL's server processes)",
            ),
        ),
        ("scenarios", Json::Arr(scenarios)),
        ("webhooks", webhooks),
    ]))
}

/// `100,000`: post counts as the report's prose writes them.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".into(), |d| format!("{:.2}", d.as_secs_f64() * 1e3))
}

/// Two significant digits for small ratios such as `0.0031x`.
fn ratio_text(ratio: f64) -> String {
    if ratio >= 1.0 {
        format!("{ratio:.2}x")
    } else {
        let decimals = (-ratio.log10()).ceil().max(1.0) as usize + 1;
        format!("{ratio:.decimals$}x")
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC`, without a date crate.
fn utc(time: SystemTime) -> String {
    let secs = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &'static str, latencies_ms: &[u64], window_s: u64) -> ScenarioResult {
        let mut outcome = Outcome {
            latencies: latencies_ms
                .iter()
                .map(|&m| Duration::from_millis(m))
                .collect(),
            window: Duration::from_secs(window_s),
            ..Outcome::default()
        };
        outcome.statuses.insert(200, latencies_ms.len() as u64);
        ScenarioResult {
            name,
            pass: 1,
            load_average: None,
            method: "GET",
            connections: 1,
            outcome,
            memory: None,
            peak_per_scenario: true,
            prepare_failure: None,
            feed_posts: None,
            min_vs_healthz: None,
            expect: Expect::SUCCESS,
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&values, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&values, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(
            percentile(&values[..1], 90.0),
            Some(Duration::from_millis(1))
        );
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn rates_and_ratios_against_healthz() {
        let results = [
            result("healthz", &[1; 1000], 2),
            result("slow", &[100; 10], 2),
        ];
        let s = summarise(&results[1], baseline_rate(&results));
        assert_eq!(s.per_second, 5.0);
        assert_eq!(s.vs_baseline, Some(0.01));
        assert_eq!(
            summarise(&results[0], baseline_rate(&results)).vs_baseline,
            None
        );
        assert!(table(&results, &[], None).contains("slow: 0.010x healthz req/s"));
        assert_eq!(ratio_text(0.031_4), "0.031x");
        assert_eq!(ratio_text(0.003_14), "0.0031x");
        assert_eq!(ratio_text(1.5), "1.50x");
    }

    #[test]
    fn thresholds_pass_fail_and_failures() {
        let healthz = result("healthz", &[1; 1000], 2);
        let mut fast = result("feed", &[1; 300], 2);
        fast.min_vs_healthz = Some(0.25);
        let mut slow = result("slow-feed", &[1; 200], 2);
        slow.min_vs_healthz = Some(0.25);
        let mut missing = result("missing", &[1; 900], 2);
        missing.min_vs_healthz = Some(0.25);
        missing.outcome.statuses = [(200, 1), (404, 899)].into();
        missing.outcome.first_failure = Some("404 {\"ok\":false}".into());
        let mut unseeded = result("unseeded", &[1; 900], 2);
        unseeded.prepare_failure = Some("POST /api/agent/vote as bench-2: 404".into());

        let results = [healthz, fast, slow, missing, unseeded];
        let rate = baseline_rate(&results);
        let judged: Vec<_> = results
            .iter()
            .map(|r| verdict(r, &summarise(r, rate)).map(|(v, _)| v))
            .collect();
        assert_eq!(
            judged,
            [
                None,
                Some(Verdict::Pass),
                Some(Verdict::Fail),
                Some(Verdict::Fail),
                None
            ]
        );
        assert_eq!(
            results[3].failure().unwrap(),
            "899 of 900 answers were not 2xx"
        );
        assert_eq!(results[4].failure().unwrap(), "seeding failed");
        assert_eq!(results[1].failure(), None);

        let text = table(&results, &[], None);
        assert!(
            text.contains("feed: 0.300 of healthz req/s, threshold 0.25 of healthz req/s: PASS")
        );
        assert!(
            text.contains(
                "slow-feed: 0.200 of healthz req/s, threshold 0.25 of healthz req/s: FAIL"
            )
        );
        assert!(text.contains(
            "missing: threshold 0.25 of healthz req/s: FAIL (899 of 900 answers were not 2xx; see above)"
        ));
        assert!(text.contains("missing: first non-2xx answer: 404 {\"ok\":false}"));
        assert!(text.contains("unseeded: SEEDING FAILED"));
        let mut alone = result("feed", &[1; 300], 2);
        alone.min_vs_healthz = Some(0.25);
        let (v, line) = verdict(&alone, &summarise(&alone, None)).unwrap();
        assert_eq!(v, Verdict::NotJudged);
        assert!(line.ends_with("not judged (no healthz figure in this run)"));
    }

    fn run_of(database: Database, results: Vec<ScenarioResult>) -> Run {
        Run {
            results,
            ..Run::new(database)
        }
    }

    fn info(databases: Vec<Database>) -> RunInfo {
        RunInfo {
            command: "cargo xtask bench".into(),
            started: SystemTime::UNIX_EPOCH,
            commit: None,
            dirty: false,
            cpus: 2,
            duration: Duration::from_secs(2),
            warmup: Duration::from_millis(500),
            connections_override: None,
            server_bin: PathBuf::from("target/release/aispace"),
            agents: 16,
            feed_posts: Some(100_000),
            discuss_posts: None,
            databases,
            postgres_skipped: None,
        }
    }

    fn field<'a>(json: &'a Json, name: &str) -> Option<&'a Json> {
        match json {
            Json::Obj(fields) => fields.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    #[test]
    fn databases_are_compared_postgres_over_sqlite() {
        let runs = [
            run_of(
                Database::Sqlite,
                vec![
                    result("healthz", &[1; 1000], 2),
                    result("feed", &[2; 400], 2),
                ],
            ),
            run_of(
                Database::Postgres,
                vec![
                    result("healthz", &[1; 800], 2),
                    result("feed", &[8; 100], 2),
                    result("only-here", &[1; 10], 2),
                ],
            ),
        ];
        let text = comparison(&runs).unwrap();
        let feed = text.lines().find(|l| l.starts_with("feed")).unwrap();
        assert!(feed.contains("200.0 → 50.0 (0.25x)"), "{feed}");
        assert!(feed.contains("2.00 → 8.00 (4.00x)"), "{feed}");
        assert!(!text.contains("only-here"));
        assert!(comparison(&runs[..1]).is_none());

        // Each run against its own healthz.
        let table = run_table(&runs[1]);
        assert!(table.starts_with("--- PostgreSQL (postgres): figures"));
        assert!(table.contains("feed: 0.12x healthz req/s"), "{table}");

        let json = json(&info(vec![Database::Sqlite, Database::Postgres]), &runs);
        let Some(Json::Arr(scenarios)) = field(&json, "scenarios") else {
            panic!("no scenarios")
        };
        let tags: Vec<_> = scenarios
            .iter()
            .map(|s| match (field(s, "database"), field(s, "name")) {
                (Some(Json::Str(d)), Some(Json::Str(n))) => format!("{d}/{n}"),
                _ => "?".into(),
            })
            .collect();
        assert_eq!(
            tags,
            [
                "sqlite/healthz",
                "sqlite/feed",
                "postgres/healthz",
                "postgres/feed",
                "postgres/only-here"
            ]
        );
        let Some(Json::Arr(runs_json)) = field(&json, "runs") else {
            panic!("no runs")
        };
        assert_eq!(runs_json.len(), 2);
        let text = json.pretty();
        assert!(text.contains("\"ratio\": 0.25"), "{text}");
        assert!(text.contains("\"webhooks\": null"));
    }

    #[test]
    fn each_run_states_its_post_count() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_000_000), "1,000,000");

        let info = info(vec![Database::Sqlite]);
        assert!(
            header(&info).contains("\nseed:     100,000 posts (--feed-posts)"),
            "{}",
            header(&info)
        );
        let mut feed = result("feed-rising", &[2; 400], 2);
        feed.feed_posts = Some(100_000);
        let runs = [run_of(
            Database::Sqlite,
            vec![result("healthz", &[1; 1000], 2), feed],
        )];
        let table = run_table(&runs[0]);
        let row = |name: &str| {
            table
                .lines()
                .find(|l| l.starts_with(name))
                .unwrap()
                .split_whitespace()
                .nth(1)
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            (row("healthz"), row("feed-rising")),
            ("-".into(), "100,000".into())
        );

        let json = json(&info, &runs);
        let settings = field(&json, "settings").unwrap();
        assert!(matches!(
            field(settings, "feed_posts"),
            Some(Json::Int(100_000))
        ));
        let Some(Json::Arr(scenarios)) = field(&json, "scenarios") else {
            panic!("no scenarios")
        };
        assert!(matches!(
            field(&scenarios[0], "feed_posts"),
            Some(Json::Null)
        ));
        assert!(matches!(
            field(&scenarios[1], "feed_posts"),
            Some(Json::Int(100_000))
        ));

        let both = RunInfo {
            discuss_posts: Some(5_000),
            ..self::info(vec![Database::Sqlite])
        };
        let text = header(&both);
        assert!(
            text.contains("\nseed:     100,000 posts (--feed-posts)"),
            "{text}"
        );
        assert!(
            text.contains("\n          5,000 discussion posts (--discuss-posts) by 2,000 authors"),
            "{text}"
        );

        let unseeded = RunInfo {
            feed_posts: None,
            ..info
        };
        assert!(header(&unseeded).contains("seed:     nothing"));
    }

    #[test]
    fn utc_dates() {
        let at = |secs| utc(SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(at(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(at(1_735_689_599), "2024-12-31 23:59:59 UTC");
    }
}
