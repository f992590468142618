//! `cargo xtask bench`: builds the release server, then, for each database
//! (`--database sqlite|postgres`; by default SQLite, and PostgreSQL too
//! when `AISPACE_BENCH_DATABASE_URL` or `AISPACE_TEST_DATABASE_URL` is
//! set, see `database.rs`), starts it on a fresh data dir on loopback
//! (PostgreSQL: in a fresh schema, dropped afterwards), runs each scenario
//! against it in turn and reports throughput, latency, statuses and the
//! server's memory; then compares the databases.
//!
//! Figures are only comparable within one run on one machine (the load
//! generator shares the CPUs), which is why each scenario is reported
//! against `healthz` from the same server, and PostgreSQL against SQLite
//! from the same invocation. The databases run one after the other, each
//! with its own server process, agents, data dir and seed; every server's
//! environment is printed (and written) in full (`server.rs`).
//!
//! A scenario that reads existing state (`feed`, `feed-rising`,
//! `memes-hot`, …) has it seeded over HTTP once per database, before its
//! warm-up (`seed.rs`): `--feed-posts N` posts (10,000 by default, 2,000
//! with `--quick`), all published just before, so all inside the 72-hour
//! rising window: the rising feed's worst case. The report and
//! results.json give each run's count; agents are added as the count
//! grows (`seed::agents_for`). `healthz` runs before the seeding, on the
//! empty database, and uploads after the reads. On PostgreSQL the seed
//! ends with `VACUUM ANALYZE` of the run's schema, as autovacuum would do after
//! such a load: without statistics the feed's query is planned as a
//! nested loop that takes seconds.
//!
//! The discussion scenarios (`discuss-my-feed`, `discuss-my-feed-hot`,
//! `search`) read a network seeded once per database, after the feed's
//! scenarios ran and before their own first warm-up (`seed::discussions`):
//! 2,000 authors registered over HTTP, 200 communities, each load
//! connection's agent following 200 of the authors and subscribed to 20 of
//! the communities, then `--discuss-posts N` text posts (100,000 by
//! default, 5,000 with `--quick`) whose words come from a 64-word
//! vocabulary, which `search` queries one word at a time.
//!
//! `--server-env NAME=VALUE` changes a server setting on every database
//! (say `AISPACE_BLOCKING_THREADS`, to compare values); it is printed with
//! the rest of the environment and is part of the command line recorded.
//!
//! `webhooks` (`webhooks.rs`) is selected like a scenario but measures
//! something else: how soon and how fast likes become deliveries at a
//! receiver in this process. A full run makes it last, on each database.
//!
//! `target/bench/results.json` keeps the fields it had before databases
//! were added, and adds some; a reader of the old layout still works and
//! finds SQLite's figures first:
//!
//! - `scenarios[]`, `seeded[]`: every database's, in run order, each with
//!   a `database` field (`"sqlite"` or `"postgres"`); `vs_healthz_…` is
//!   against the healthz of the same database's server; a scenario's
//!   `feed_posts` is the number of seeded posts it read (null if it reads
//!   none); `seeded[]` has `prepare` (`"feed-posts"` or
//!   `"discussions"`), `analyze_seconds` (PostgreSQL's `VACUUM ANALYZE`, else
//!   null), `up_votes`, `down_votes` and `posts_seconds` (publishing the
//!   posts, part of `seconds`); a `"discussions"` entry also has `authors`,
//!   `communities`, `readers`, `follows`, `subscriptions`,
//!   `follows_per_reader`, `subscriptions_per_reader`,
//!   `feed_posts_per_reader_{min,mean,max}` and `network_seconds` (the
//!   authors, communities, follows and subscriptions, before the posts).
//! - `webhooks`: the first database's measurement (with `database`), or
//!   null; every database's is in `runs[].webhooks`.
//! - `settings.feed_posts`: `--feed-posts` or its default, null when no
//!   selected scenario reads seeded posts; `settings.discuss_posts`
//!   likewise for `--discuss-posts`; `settings.server_env`: the
//!   settings every server gets;
//!   `settings.databases` lists the databases run and
//!   `settings.postgres_skipped` why PostgreSQL was not (or null).
//! - `runs[]`: one per database: `database`, `server` (`pid`, `addr`, the
//!   full `env` with `DATABASE_URL` redacted, `postgres`: `url`,
//!   `url_from`, `schema`, `version`, or null; `agents_seconds`),
//!   `scenarios` (names), `webhooks`, `failures`, `error` (why the run
//!   ended early, or null), `seconds`.
//! - `comparison`: null unless both ran; else per scenario both measured,
//!   `requests_per_second`, `p50_ms`, `p99_ms`, `peak_rss_kib`, each
//!   `{sqlite, postgres, ratio}` with `ratio` = postgres / sqlite, and
//!   `comparable` (neither failed); `webhooks` likewise.

mod database;
mod http;
mod json;
mod load;
mod options;
mod png;
mod report;
mod scale;
mod scenario;
mod seed;
mod server;
mod soak;
mod webhooks;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

// The API fuzz (openapi_fuzz.rs) runs its server the way the benchmark does.
pub(crate) use database::Database;
use database::{PgSchema, PgUrl};
use options::Options;
use report::{PgInfo, Run, RunInfo, ScenarioResult, ServerInfo};
use scenario::{Prepare, Scenario};
use seed::Seeded;
pub(crate) use server::{Server, ServerEnv, TempDir, create_agents};

pub use options::USAGE;

pub fn bench(args: &[String]) -> Result<(), String> {
    let Some(options) = Options::parse(args)? else {
        println!("{USAGE}");
        println!("scenarios: {}", all_names());
        println!(
            "databases: sqlite, postgres (default: both when {} or {} is set, else sqlite)",
            database::BENCH_URL_VAR,
            database::TEST_URL_VAR
        );
        return Ok(());
    };
    if options.soak {
        return soak::run(&options);
    }
    if options.scale_posts.is_some() {
        return scale::run(&options, args);
    }
    let (info, runs) = measure(&options, args, None)?;
    let target = target_dir();

    let out_dir = target.join("bench");
    let out_file = out_dir.join("results.json");
    std::fs::create_dir_all(&out_dir)
        .and_then(|()| std::fs::write(&out_file, report::json(&info, &runs).pretty()))
        .map_err(|e| format!("writing {}: {e}", out_file.display()))?;
    println!("results: {}", display_path(&out_file));
    if let Some(skipped) = &info.postgres_skipped {
        println!("note: {skipped}");
    }
    problems(&runs)
}

/// Builds the release server, runs the selected scenarios on each selected
/// database and prints their tables and the comparison. With `seeder`, the
/// feed's posts are loaded through the storage adapter before each server
/// starts (`seed::direct`) instead of over HTTP.
fn measure(
    options: &Options,
    args: &[String],
    seeder: Option<&Path>,
) -> Result<(RunInfo, Vec<Run>), String> {
    let (scenarios, measure_webhooks) = select(options)?;
    let selection = database::select(&options.databases, |name| std::env::var(name).ok())?;
    if let Some(skipped) = &selection.skipped {
        eprintln!("note: {skipped}");
    }
    let connections = |s: &Scenario| options.connections.unwrap_or(s.connections);
    let webhook_connections = options.connections.unwrap_or(webhooks::CONNECTIONS);
    let feed_posts = options.feed_posts();
    let agents = scenarios
        .iter()
        .map(|s| {
            match s.prepare {
                Some(Prepare::FeedPosts) if seeder.is_some() => connections(s).max(scale::AGENTS),
                Some(Prepare::FeedPosts) => connections(s).max(seed::agents_for(feed_posts)),
                // The readers, and the agent that creates the communities.
                Some(Prepare::Discussions) => connections(s) + 1,
                None => connections(s),
            }
            .max(s.agents)
        })
        .chain(measure_webhooks.then(|| webhooks::agents(webhook_connections)))
        .max()
        .unwrap_or(1);

    let mut build = crate::cargo();
    build.args(["build", "--release", "-p", "aispace-server"]);
    crate::run("release build", build)?;
    let target = target_dir();
    let bin = target
        .join("release")
        .join(format!("aispace{}", std::env::consts::EXE_SUFFIX));

    let info = RunInfo {
        command: command_line(args),
        started: SystemTime::now(),
        commit: git(&["rev-parse", "--short=12", "HEAD"]),
        dirty: git(&["status", "--porcelain", "--untracked-files=no"])
            .is_some_and(|s| !s.is_empty()),
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        duration: options.duration(),
        warmup: options.warmup(),
        connections_override: options.connections,
        server_bin: bin
            .strip_prefix(crate::root())
            .unwrap_or(&bin)
            .to_path_buf(),
        agents,
        feed_posts: scenarios
            .iter()
            .any(|s| s.prepare == Some(Prepare::FeedPosts))
            .then_some(feed_posts),
        discuss_posts: scenarios
            .iter()
            .any(|s| s.prepare == Some(Prepare::Discussions))
            .then(|| options.discuss_posts()),
        databases: selection.databases.clone(),
        postgres_skipped: selection.skipped.clone(),
    };
    println!("{}", report::header(&info));

    let plan = Plan {
        bin: &bin,
        options,
        scenarios: &scenarios,
        measure_webhooks,
        webhook_connections,
        agents,
        postgres: selection.postgres.as_ref(),
        info: &info,
        seeder,
    };
    let mut runs = Vec::new();
    for &database in &selection.databases {
        let run = plan.run(database);
        println!("{}", report::run_table(&run));
        runs.push(run);
    }
    if let Some(comparison) = report::comparison(&runs) {
        println!("{comparison}");
    }
    Ok((info, runs))
}

fn problems(runs: &[Run]) -> Result<(), String> {
    // A throughput below a scenario's threshold is a FAIL in the report, not
    // an error; an endpoint that does not answer 2xx is, and so is a
    // database whose run could not be made.
    let mut problems = Vec::new();
    for run in runs {
        let label = run.database.label();
        if let Some(error) = &run.error {
            problems.push(format!("{label}: the run failed: {error}"));
        }
        for failure in &run.failures {
            problems.push(format!("{label}: {failure}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "a database's run failed, or scenarios that must be answered 2xx were not, or \
             webhooks went missing (details in the report):\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// What every database's run shares.
struct Plan<'a> {
    bin: &'a Path,
    options: &'a Options,
    scenarios: &'a [Scenario],
    measure_webhooks: bool,
    webhook_connections: usize,
    agents: usize,
    postgres: Option<&'a PgUrl>,
    info: &'a RunInfo,
    /// Load the feed's posts with this program (see `seed::direct`).
    seeder: Option<&'a Path>,
}

impl Plan<'_> {
    /// The selected scenarios (and `webhooks`) on `database`'s own server;
    /// what could be measured, and why not the rest.
    fn run(&self, database: Database) -> Run {
        let started = Instant::now();
        let mut run = Run::new(database);
        println!("{}", report::title(database));
        eprintln!("==> {}", database.label());
        if let Err(e) = self.drive(&mut run) {
            eprintln!("error: {}: {e}", database.label());
            run.error = Some(e);
        }
        run.elapsed = started.elapsed();
        run
    }

    fn drive(&self, run: &mut Run) -> Result<(), String> {
        let database = run.database;
        let tag = database.name();
        // Declared first, so dropped last: after the server stopped.
        let schema = match database {
            Database::Sqlite => None,
            Database::Postgres => {
                let pg = self
                    .postgres
                    .ok_or("no PostgreSQL URL (a bug: database::select checks it)")?;
                let schema = PgSchema::create(&pg.url)?;
                eprintln!(
                    "created PostgreSQL schema {} in {}",
                    schema.name(),
                    database::redact(&pg.url)
                );
                let info = PgInfo {
                    url: database::redact(&pg.url),
                    url_var: pg.var,
                    schema: schema.name().to_owned(),
                    version: database::show(&pg.url, "server_version"),
                    autovacuum: database::show(&pg.url, "autovacuum"),
                };
                Some((schema, info))
            }
        };
        let env = ServerEnv::new(
            database,
            schema.as_ref().map(|(s, _)| s.url()),
            &self.options.server_env,
        );
        // Before the server, so removed after it stopped.
        let data_dir = TempDir::create()?;
        let started = Instant::now();
        let keys = server::create_agents(self.bin, data_dir.path(), &env, self.agents)?;
        server::create_owner(self.bin, data_dir.path(), &env)?;
        let agents_elapsed = started.elapsed();
        eprintln!(
            "created {} agents in {:.1}s",
            self.agents,
            agents_elapsed.as_secs_f64()
        );
        let direct = match self.seeder {
            Some(seeder)
                if self
                    .scenarios
                    .iter()
                    .any(|s| s.prepare == Some(Prepare::FeedPosts)) =>
            {
                let url = match &schema {
                    Some((schema, _)) => schema.url().to_owned(),
                    None => format!("sqlite://{}", data_dir.path().join("aispace.db").display()),
                };
                let mut seeded =
                    seed::direct(seeder, &url, self.options.feed_posts(), self.agents)?;
                if let Some((schema, _)) = &schema {
                    seeded.analyzed = Some(schema.analyze()?);
                }
                Some(seeded)
            }
            _ => None,
        };
        let mut server = Server::start(self.bin, data_dir.path(), &env)?;
        let info = ServerInfo {
            pid: server.pid(),
            addr: server.addr,
            env,
            postgres: schema.as_ref().map(|(_, info)| info.clone()),
            agents_elapsed,
        };
        println!("{}", report::server_header(&info, self.agents));
        run.server = Some(info);

        let seeding = Seeding {
            addr: server.addr,
            keys: &keys,
            feed_posts: self.options.feed_posts(),
            discuss_posts: self.options.discuss_posts(),
            connections: self.options.connections,
            scenarios: self.scenarios,
            analyze: schema.as_ref().map(|(schema, _)| schema),
        };
        let mut made = Vec::new();
        if let Some(mut seeded) = direct {
            // Its first rank refresh (at start) rewrites the ranks of every
            // post of the last 8 days and zeroes the older ones': waited
            // for, so the reads measure the feeds, not the refresh.
            let refresh = match server.wait_for_ranks(Duration::from_secs(1800)) {
                Some(took) => format!("its first rank refresh took {:.1}s", took.as_secs_f64()),
                None => "its first rank refresh did not end in 30 min".to_owned(),
            };
            eprintln!("    the server started; {refresh}");
            seeded.before = "the server's start";
            seeded.for_scenarios =
                format!("{} (the server started; {refresh})", seeded.for_scenarios);
            made.push(Prepare::FeedPosts);
            run.seeded.push(seeded);
        }
        let passes = self.options.passes();
        for (pass, scenario) in
            (1..=passes).flat_map(|pass| self.scenarios.iter().map(move |s| (pass, s)))
        {
            // Before the peak-memory reset: seeding is not the scenario's load.
            let prepare_failure = scenario.prepare.and_then(|prepare| {
                seeding.once(prepare, scenario.name, &mut made, &mut run.seeded)
            });
            let feed_posts = scenario
                .prepare
                .and_then(|prepare| made.iter().position(|p| *p == prepare))
                .map(|i| run.seeded[i].posts);
            server.check_running()?;

            let plan = load::Plan {
                addr: server.addr,
                connections: self.options.connections.unwrap_or(scenario.connections),
                warmup: self.info.warmup,
                duration: self.info.duration,
                keys: &keys,
                sample_post: run.seeded.iter().find_map(|s| s.sample_post.as_deref()),
            };
            let of_passes = if passes > 1 {
                format!(" (pass {pass} of {passes})")
            } else {
                String::new()
            };
            eprintln!(
                "==> [{tag}] {}{of_passes}: {} connections, {:.1}s + {:.1}s",
                scenario.name,
                plan.connections,
                plan.warmup.as_secs_f64(),
                plan.duration.as_secs_f64()
            );
            let peak_per_scenario = server::reset_peak_memory(server.pid());
            let outcome = load::run(scenario, &plan);
            let memory = server::memory(server.pid());
            server.check_running()?;
            let result = ScenarioResult {
                name: scenario.name,
                pass,
                load_average: load_average(),
                method: scenario.method,
                connections: plan.connections,
                outcome,
                memory,
                peak_per_scenario,
                prepare_failure,
                feed_posts,
                min_vs_healthz: scenario.min_vs_healthz,
                expect: scenario.expect,
            };
            // Loud and at once: the figures that follow are not the endpoint's.
            if scenario.require_2xx
                && let Some(failure) = result.failure()
            {
                eprintln!("error: [{tag}] {}: {failure}", scenario.name);
                if let Some(first) = &result.outcome.first_failure {
                    eprintln!("  first non-2xx answer: {first}");
                }
                if let Some(first) = &result.outcome.first_error {
                    eprintln!("  first connection error: {first}");
                }
                run.failures.push(format!("{}: {failure}", scenario.name));
            }
            run.results.push(result);
        }

        // After the throughput scenarios: its posts and likes would change
        // what the feed scenarios read.
        if self.measure_webhooks {
            server.check_running()?;
            eprintln!(
                "==> [{tag}] {}: receiver on 127.0.0.1, likes on {} connections",
                webhooks::NAME,
                self.webhook_connections
            );
            let measured = webhooks::measure(&webhooks::Plan {
                addr: server.addr,
                keys: &keys,
                quick: self.options.quick,
                connections: self.webhook_connections,
            });
            server.check_running()?;
            eprintln!("{}", measured.summary());
            if let Some(failure) = measured.failure() {
                eprintln!("error: [{tag}] {}: {failure}", webhooks::NAME);
                run.failures.push(format!("{}: {failure}", webhooks::NAME));
            }
            run.webhooks = Some(measured);
        }

        run.load_average = load_average();
        // Anything beyond the server's start-up information is a warning
        // or an error worth a look before trusting the figures.
        if server.notable_log_lines() > 0 {
            eprintln!(
                "note: [{tag}] the server logged {} lines; the first ones:\n{}",
                server.log_lines(),
                server.log_excerpt()
            );
        }
        server.stop()
    }
}

/// What seeding needs to know about the run.
struct Seeding<'a> {
    addr: std::net::SocketAddr,
    keys: &'a [String],
    feed_posts: usize,
    discuss_posts: usize,
    /// `--connections`, which decides how many readers the discussions
    /// need (one per load connection).
    connections: Option<usize>,
    scenarios: &'a [Scenario],
    /// PostgreSQL: the schema to `VACUUM ANALYZE` (see `seed::Plan::analyze`).
    analyze: Option<&'a PgSchema>,
}

impl Seeding<'_> {
    /// Makes `prepare`'s state unless an earlier scenario of the run had it
    /// made (then `made` lists it, at the index of its `seeded`), before the
    /// warm-up of `before`; the failure, if it could not be (fully) made.
    fn once(
        &self,
        prepare: Prepare,
        before: &'static str,
        made: &mut Vec<Prepare>,
        seeded: &mut Vec<Seeded>,
    ) -> Option<String> {
        if let Some(i) = made.iter().position(|p| *p == prepare) {
            return seeded[i].failure.clone();
        }
        let readers: Vec<&str> = self
            .scenarios
            .iter()
            .filter(|s| s.prepare == Some(prepare))
            .map(|s| s.name)
            .collect();
        eprintln!("==> seeding for {}", readers.join(", "));
        let plan = |posts| seed::Plan {
            addr: self.addr,
            keys: self.keys,
            posts,
            connections: seed::CONNECTIONS,
            analyze: self.analyze,
        };
        let done = match prepare {
            Prepare::FeedPosts => seed::feed(&plan(self.feed_posts), readers.join(", "), before),
            Prepare::Discussions => {
                // Every load connection's agent reads its own feed.
                let load_agents = self
                    .scenarios
                    .iter()
                    .filter(|s| s.prepare == Some(prepare))
                    .map(|s| self.connections.unwrap_or(s.connections))
                    .max()
                    .unwrap_or(1);
                seed::discussions(
                    &plan(self.discuss_posts),
                    load_agents,
                    readers.join(", "),
                    before,
                )
            }
        };
        eprintln!("{}", done.summary());
        let failure = done.failure.clone();
        made.push(prepare);
        seeded.push(done);
        failure
    }
}

/// The selected scenarios, and whether `webhooks` is measured (after
/// them).
/// `/proc/loadavg`'s 1, 5 and 15-minute figures.
fn load_average() -> Option<String> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

fn select(options: &Options) -> Result<(Vec<Scenario>, bool), String> {
    let all = scenario::all();
    if options.scenarios.is_empty() {
        return Ok((all, true));
    }
    if let Some(unknown) = options.scenarios.iter().find(|name| {
        name.as_str() != webhooks::NAME && !all.iter().any(|s| s.name == name.as_str())
    }) {
        return Err(format!(
            "no scenario {unknown:?}; there are: {}",
            all_names()
        ));
    }
    let webhooks = options.scenarios.iter().any(|n| n == webhooks::NAME);
    // In the canonical order, so the baseline runs first when selected.
    let scenarios = all
        .into_iter()
        .filter(|s| options.scenarios.iter().any(|n| n == s.name))
        .collect();
    Ok((scenarios, webhooks))
}

/// Every name `--scenario` takes, in the order of a full run.
fn all_names() -> String {
    scenario::all()
        .iter()
        .map(|s| s.name)
        .chain([webhooks::NAME])
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        // Relative paths are relative to where cargo runs: the root.
        Some(dir) if !dir.is_empty() => crate::root().join(dir),
        _ => crate::root().join("target"),
    }
}

fn display_path(path: &Path) -> String {
    path.strip_prefix(crate::root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn command_line(args: &[String]) -> String {
    let mut line = String::from("cargo xtask bench");
    for arg in args {
        line.push(' ');
        line.push_str(&shell_word(arg));
    }
    line
}

/// `word` as a shell reads it back: as it is when it is plain, else in
/// single quotes.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(crate::root())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_quote_what_a_shell_would_read_otherwise() {
        let args: Vec<String> = [
            "--scenario",
            "feed",
            "--server-env",
            "RUST_LOG=warn,aispace=info",
            "--x=a b",
            "it's",
            "",
            "postgres://h/db?options=-csearch_path%3Ds&x=1",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            command_line(&args),
            "cargo xtask bench --scenario feed --server-env RUST_LOG=warn,aispace=info \
             '--x=a b' 'it'\\''s' '' 'postgres://h/db?options=-csearch_path%3Ds&x=1'"
        );
    }
}
