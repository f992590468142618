//! `cargo xtask bench`: builds the release server, then for each database
//! (SQLite, and PostgreSQL when `AISPACE_BENCH_DATABASE_URL` or
//! `AISPACE_TEST_DATABASE_URL` is set) starts it on a fresh data directory
//! on loopback, runs each scenario against it in turn (`scenario.rs`) and
//! reports throughput, latency, statuses and the server's memory.
//!
//! Scenarios that read existing state have it seeded over HTTP once per
//! database, before their warm-up (`seed.rs`); `webhooks` measures how
//! soon and how fast likes become deliveries (`webhooks.rs`); `--soak` runs
//! mixed traffic under the real limits instead (`soak.rs`); `--posts N`
//! runs the ranked reads at 10k, 100k and 1M posts, loaded through the
//! storage adapter. Results go to `target/bench/results.json`.

mod client;
mod database;
mod load;
mod report;
mod scenario;
mod seed;
mod server;
mod soak;
mod webhooks;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub use client::Client;
pub use database::Database;
use database::PgSchema;
use report::{Run, ScenarioResult};
use scenario::{Prepare, Scenario};
use seed::Seeded;
pub use server::{Server, ServerEnv, TempDir, create_agents};

#[derive(clap::Args, Debug, Clone, Default)]
pub struct Args {
    /// 2 s per scenario, 2,000 feed posts and 5,000 discussion posts.
    #[arg(long)]
    pub quick: bool,
    /// Only this scenario (again for more); `webhooks` is the delivery probe.
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,
    /// sqlite or postgres (again for both); default: both when a URL is set.
    #[arg(long = "database", value_name = "DB", value_parser = Database::parse)]
    pub databases: Vec<Database>,
    /// Measured seconds per scenario (10, or 2 with --quick); the soak's whole length (180).
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    pub duration: Option<Duration>,
    /// Connections of every scenario instead of its own number.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub connections: Option<u16>,
    /// Posts the feed scenarios read (10,000).
    #[arg(long, value_name = "N", value_parser = posts)]
    pub feed_posts: Option<usize>,
    /// Discussion posts the discussion scenarios read (100,000).
    #[arg(long, value_name = "N", value_parser = posts)]
    pub discuss_posts: Option<usize>,
    /// A server setting for every database, after the bench's own.
    #[arg(long = "server-env", value_name = "NAME=VALUE", value_parser = server_env)]
    pub server_env: Vec<(String, String)>,
    /// Run the scenarios N times over on each server.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=10))]
    pub passes: Option<u8>,
    /// The scale series: the ranked reads at 10k, 100k and 1M posts up to N.
    #[arg(long, value_name = "N", value_parser = posts, conflicts_with = "soak")]
    pub posts: Option<usize>,
    /// Mixed traffic from 64 agents under the real quotas, failing on errors or memory growth.
    #[arg(long)]
    pub soak: bool,
    /// Soak the debug binary the tests built.
    #[arg(long, requires = "soak")]
    pub debug_build: bool,
}

fn seconds(raw: &str) -> Result<Duration, String> {
    let secs: f64 = raw.parse().map_err(|e| format!("{e}"))?;
    (secs > 0.0 && secs <= 3600.0)
        .then(|| Duration::from_secs_f64(secs))
        .ok_or_else(|| "want 0 < seconds ≤ 3600".into())
}

/// At most a million: a guard against a mistyped count.
fn posts(raw: &str) -> Result<usize, String> {
    let n: usize = raw.parse().map_err(|e| format!("{e}"))?;
    (1..=1_000_000)
        .contains(&n)
        .then_some(n)
        .ok_or_else(|| "want 1 to 1,000,000".into())
}

/// Set by the bench itself for every server.
fn server_env(raw: &str) -> Result<(String, String), String> {
    let (name, value) = raw.split_once('=').ok_or("want NAME=VALUE")?;
    if ["AISPACE_BIND", "AISPACE_DATA_DIR", "DATABASE_URL"].contains(&name) || name.is_empty() {
        return Err(format!("{name} is the bench's own to set"));
    }
    Ok((name.to_owned(), value.to_owned()))
}

impl Args {
    fn duration(&self) -> Duration {
        self.duration
            .unwrap_or(Duration::from_secs(if self.quick { 2 } else { 10 }))
    }

    /// Unmeasured time first: connections set up, fixtures built lazily.
    fn warmup(&self) -> Duration {
        Duration::from_millis(if self.quick { 500 } else { 1000 }).min(self.duration())
    }

    fn feed_posts(&self) -> usize {
        self.feed_posts.unwrap_or(if self.quick {
            seed::QUICK_FEED_POSTS
        } else {
            seed::FEED_POSTS
        })
    }

    fn discuss_posts(&self) -> usize {
        self.discuss_posts.unwrap_or(if self.quick {
            seed::QUICK_DISCUSS_POSTS
        } else {
            seed::DISCUSS_POSTS
        })
    }

    fn connections(&self, scenario: &Scenario) -> usize {
        self.connections.map_or(scenario.connections, usize::from)
    }
}

pub fn run(args: &Args) -> Result<(), String> {
    if args.soak {
        return soak::run(args);
    }
    let runs = match args.posts {
        Some(most) => scale_series(args, most)?,
        None => measure(args, None)?,
    };
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let results = serde_json::json!({
        "command": command_line(),
        "commit": git(&["rev-parse", "--short=12", "HEAD"]),
        "dirty": git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty()),
        "startedUnixSeconds": started,
        "cpus": std::thread::available_parallelism().map_or(1, usize::from),
        "durationSeconds": args.duration().as_secs_f64(),
        "warmupSeconds": args.warmup().as_secs_f64(),
        "runs": runs,
    });
    let path = write_result("results.json", &results)?;
    println!("results: {}", path.display());
    let problems: Vec<String> = runs
        .iter()
        .flat_map(|run| {
            let label = run.database.label();
            let error = run
                .error
                .iter()
                .map(move |e| format!("{label}: the run failed: {e}"));
            error.chain(run.failures.iter().map(move |f| format!("{label}: {f}")))
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "runs failed, or scenarios that must be answered 2xx were not, or webhooks went missing:\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// The ranked reads and healthz over 10k, 100k and 1M posts (the sizes up
/// to `most`, and `most`), each on fresh servers, the posts loaded through
/// the storage adapter by 100 agents over 30 days: minutes for a million,
/// where HTTP would take hours.
fn scale_series(args: &Args, most: usize) -> Result<Vec<Run>, String> {
    let mut build = crate::cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "aispace-storage-diesel",
        "--example",
        "seed_posts",
    ]);
    crate::run("release build of the seeder", build)?;
    let seeder = target_dir().join("release/examples/seed_posts");
    let mut args = args.clone();
    if args.scenarios.is_empty() {
        args.scenarios = ["healthz", "feed", "feed-rising", "memes-hot", "memes-top"]
            .map(String::from)
            .to_vec();
    }
    let mut sizes: Vec<usize> = [10_000, 100_000, 1_000_000]
        .into_iter()
        .filter(|&n| n < most)
        .collect();
    sizes.push(most);
    let mut series = Vec::new();
    for posts in sizes {
        eprintln!("==> the scale series at {posts} posts");
        args.feed_posts = Some(posts);
        series.push((posts, measure(&args, Some(&seeder))?));
    }
    let columns: Vec<(String, &Run)> = series
        .iter()
        .flat_map(|(posts, runs)| {
            runs.iter()
                .map(move |r| (format!("{} {posts}", r.database.label()), r))
        })
        .collect();
    println!("{}", report::side_by_side("the scale series", &columns));
    Ok(series.into_iter().flat_map(|(_, runs)| runs).collect())
}

/// Builds the release server and runs the selected scenarios on each
/// selected database; with `seeder`, the feed's posts are loaded before
/// each server starts instead of over HTTP.
fn measure(args: &Args, seeder: Option<&Path>) -> Result<Vec<Run>, String> {
    let all = scenario::all();
    if let Some(unknown) = args
        .scenarios
        .iter()
        .find(|n| *n != webhooks::NAME && !all.iter().any(|s| s.name == n.as_str()))
    {
        let names: Vec<&str> = all.iter().map(|s| s.name).chain([webhooks::NAME]).collect();
        return Err(format!(
            "no scenario {unknown:?}; there are: {}",
            names.join(", ")
        ));
    }
    let chosen = |name: &str| args.scenarios.is_empty() || args.scenarios.iter().any(|n| n == name);
    let scenarios: Vec<Scenario> = all.into_iter().filter(|s| chosen(s.name)).collect();
    let webhook_connections = args.connections.map_or(webhooks::CONNECTIONS, usize::from);
    let measure_webhooks = chosen(webhooks::NAME);
    let selection = database::select(&args.databases, |name| std::env::var(name).ok())?;
    let agents = scenarios
        .iter()
        .map(|s| {
            let readers = args.connections(s);
            let seeded = match s.prepare {
                Some(Prepare::FeedPosts) if seeder.is_some() => 100,
                Some(Prepare::FeedPosts) => seed::agents_for(args.feed_posts()),
                Some(Prepare::Discussions) => readers + 1,
                None => 0,
            };
            readers.max(seeded).max(s.agents)
        })
        .chain(measure_webhooks.then(|| webhooks::agents(webhook_connections)))
        .max()
        .unwrap_or(1);

    let mut build = crate::cargo();
    build.args(["build", "--release", "-p", "aispace-server"]);
    crate::run("release build", build)?;
    let bin = target_dir().join("release/aispace");
    println!(
        "$ {}\ncommit {}, {} CPUs shared by the server, the database and the load; {} agents; {:.1} s warm-up + {:.1} s \
         per scenario; keep-alive HTTP/1.1, one agent key per connection",
        command_line(),
        git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_default(),
        std::thread::available_parallelism().map_or(1, usize::from),
        agents,
        args.warmup().as_secs_f64(),
        args.duration().as_secs_f64()
    );
    if let Some(skipped) = &selection.skipped {
        println!("note: {skipped}");
    }
    let mut runs = Vec::new();
    for &database in &selection.databases {
        let started = Instant::now();
        let mut run = Run {
            database,
            ..Run::default()
        };
        let url = selection
            .postgres
            .as_ref()
            .map(|(url, _)| url.as_str())
            .filter(|_| database == Database::Postgres);
        let on = OnServer {
            args,
            bin: &bin,
            scenarios: &scenarios,
            agents,
            seeder,
            webhooks: measure_webhooks.then_some(webhook_connections),
        };
        if let Err(e) = on.drive(&mut run, url) {
            eprintln!("error: {}: {e}", database.label());
            run.error = Some(e);
        }
        run.seconds = started.elapsed().as_secs_f64();
        run.judge();
        println!("{}", run.table());
        runs.push(run);
    }
    if runs.len() > 1 {
        let columns: Vec<(String, &Run)> = runs
            .iter()
            .map(|r| (r.database.label().to_owned(), r))
            .collect();
        println!(
            "{}",
            report::side_by_side("the databases side by side", &columns)
        );
    }
    Ok(runs)
}

/// What one database's run needs.
struct OnServer<'a> {
    args: &'a Args,
    bin: &'a Path,
    scenarios: &'a [Scenario],
    agents: usize,
    seeder: Option<&'a Path>,
    /// The webhook probe's connections, when it runs.
    webhooks: Option<usize>,
}

impl OnServer<'_> {
    fn drive(&self, run: &mut Run, postgres: Option<&str>) -> Result<(), String> {
        // Made first, so dropped last: after the server stopped.
        let schema = postgres.map(PgSchema::create).transpose()?;
        if let Some(schema) = &schema {
            run.postgres = Some((
                schema.show("server_version").unwrap_or_default(),
                schema.show("autovacuum").unwrap_or_default(),
            ));
        }
        let env = ServerEnv::new(
            schema.as_ref().map(|s| s.url.as_str()),
            &self.args.server_env,
        );
        run.server_env = env.shown();
        let data_dir = TempDir::create()?;
        let keys = create_agents(self.bin, data_dir.path(), &env, self.agents)?;
        server::create_owner(self.bin, data_dir.path(), &env)?;
        let mut made: Vec<(Prepare, usize)> = Vec::new();
        let reads_feed = self
            .scenarios
            .iter()
            .any(|s| s.prepare == Some(Prepare::FeedPosts));
        if let Some(seeder) = self.seeder.filter(|_| reads_feed) {
            let url = schema.as_ref().map_or_else(
                || format!("sqlite://{}/aispace.db", data_dir.path().display()),
                |s| s.url.clone(),
            );
            let mut seeded = seed::direct(seeder, &url, self.args.feed_posts(), self.agents)?;
            if let Some(schema) = &schema {
                seeded.analyze_seconds = Some(schema.analyze()?.as_secs_f64());
            }
            made.push((Prepare::FeedPosts, run.seeded.len()));
            run.seeded.push(seeded);
        }
        let mut server = Server::start(self.bin, data_dir.path(), &env)?;
        println!(
            "{} server on {}: {}",
            run.database.label(),
            server.addr,
            env.line()
        );
        if self.seeder.is_some() {
            // Its first rank refresh rewrites every recent post's ranks:
            // waited for, so the reads measure the feeds, not the refresh.
            let took = server.wait_for_ranks(Duration::from_secs(1800));
            eprintln!("    the server's first rank refresh took {took:?}");
        }
        for pass in 1..=self.args.passes.map_or(1, usize::from) {
            for scenario in self.scenarios {
                let seeded = match scenario.prepare {
                    Some(prepare) => Some(self.seed_once(
                        prepare,
                        &server,
                        &keys,
                        schema.as_ref(),
                        &mut made,
                        &mut run.seeded,
                    )),
                    None => None,
                };
                server.check_running()?;
                let plan = load::Plan {
                    addr: server.addr,
                    connections: self.args.connections(scenario),
                    warmup: self.args.warmup(),
                    duration: self.args.duration(),
                    keys: &keys,
                    sample_post: run.seeded.iter().find_map(|s| s.sample_post.as_deref()),
                };
                eprintln!(
                    "==> [{}] {} (pass {pass}): {} connections",
                    run.database.label(),
                    scenario.name,
                    plan.connections
                );
                let peak_per_scenario = server::reset_peak_memory(server.pid());
                let outcome = load::run(scenario, &plan);
                let mut result = ScenarioResult::new(
                    scenario,
                    pass,
                    plan.connections,
                    plan.duration.as_secs_f64(),
                    outcome,
                );
                (result.memory, result.peak_per_scenario) =
                    (server::memory(server.pid()), peak_per_scenario);
                result.load_average = std::fs::read_to_string("/proc/loadavg")
                    .ok()
                    .map(|l| l.split(' ').take(3).collect::<Vec<_>>().join(" "));
                if let Some((posts, failure)) = seeded {
                    result.feed_posts = Some(posts);
                    if let Some(failure) = failure {
                        result.failure = Some(format!("seeding failed: {failure}"));
                    }
                }
                server.check_running()?;
                if let Some(failure) = result.failure.as_ref().filter(|_| scenario.require_2xx) {
                    eprintln!(
                        "error: {}: {failure}; {}",
                        scenario.name,
                        result
                            .first_failure
                            .as_deref()
                            .or(result.first_error.as_deref())
                            .unwrap_or("")
                    );
                    run.failures.push(format!("{}: {failure}", scenario.name));
                }
                run.scenarios.push(result);
            }
        }
        // After the scenarios: its posts and likes would change what they read.
        if let Some(connections) = self.webhooks {
            eprintln!("==> [{}] {}", run.database.label(), webhooks::NAME);
            let measured = webhooks::measure(server.addr, &keys, self.args.quick, connections);
            run.failures.extend(
                measured
                    .failures
                    .iter()
                    .map(|f| format!("{}: {f}", webhooks::NAME)),
            );
            run.webhooks = Some(measured);
            server.check_running()?;
        }
        if server.notable_log_lines() > 0 {
            eprintln!(
                "note: the server logged warnings or errors; the first lines:\n{}",
                server.log_excerpt()
            );
        }
        server.stop()
    }

    /// `prepare`'s state, made unless an earlier scenario had it made:
    /// its posts, and why it could not be (fully) made.
    fn seed_once(
        &self,
        prepare: Prepare,
        server: &Server,
        keys: &[String],
        schema: Option<&PgSchema>,
        made: &mut Vec<(Prepare, usize)>,
        seeded: &mut Vec<Seeded>,
    ) -> (usize, Option<String>) {
        if let Some(&(_, i)) = made.iter().find(|(p, _)| *p == prepare) {
            return (seeded[i].posts, seeded[i].failure.clone());
        }
        let readers: Vec<&Scenario> = self
            .scenarios
            .iter()
            .filter(|s| s.prepare == Some(prepare))
            .collect();
        let names = readers
            .iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
            .join(", ");
        eprintln!("==> seeding for {names}");
        let done = match prepare {
            Prepare::FeedPosts => seed::feed(
                &seed::Plan {
                    addr: server.addr,
                    keys,
                    posts: self.args.feed_posts(),
                    analyze: schema,
                },
                names,
            ),
            Prepare::Discussions => {
                let plan = seed::Plan {
                    addr: server.addr,
                    keys,
                    posts: self.args.discuss_posts(),
                    analyze: schema,
                };
                let load_agents = readers
                    .iter()
                    .map(|s| self.args.connections(s))
                    .max()
                    .unwrap_or(1);
                seed::discussions(&plan, load_agents, names)
            }
        };
        eprintln!("    {}", done.summary());
        made.push((prepare, seeded.len()));
        let outcome = (done.posts, done.failure.clone());
        seeded.push(done);
        outcome
    }
}

pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => crate::root().join(dir),
        _ => crate::root().join("target"),
    }
}

/// Writes `value` to `target/bench/<name>`; the path written.
fn write_result(name: &str, value: &impl serde::Serialize) -> Result<PathBuf, String> {
    let path = target_dir().join("bench").join(name);
    let json = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(target_dir().join("bench"))
        .and_then(|()| std::fs::write(&path, json))
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path)
}

/// The command line, as a shell reads it back.
fn command_line() -> String {
    let words: Vec<String> = std::env::args().skip(1).map(|a| shell_word(&a)).collect();
    format!("cargo xtask {}", words.join(" "))
}

/// `word` as it is when it is plain, else in single quotes.
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
    use clap::Parser;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: super::Args,
    }

    fn parse(line: &str) -> Result<super::Args, String> {
        Cli::try_parse_from(std::iter::once("bench").chain(line.split_whitespace()))
            .map(|c| c.args)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn options_are_read_with_their_bounds() {
        let args = parse("--quick --scenario feed --scenario me --database pg --duration 2.5 --server-env RUST_LOG=debug").unwrap();
        assert_eq!(
            (args.scenarios.len(), args.databases[0], args.duration()),
            (
                2,
                super::Database::Postgres,
                std::time::Duration::from_millis(2500)
            )
        );
        assert_eq!(
            (args.feed_posts(), args.server_env[0].1.as_str()),
            (2_000, "debug")
        );
        for bad in [
            "--duration 0",
            "--connections 0",
            "--posts 2000000",
            "--server-env DATABASE_URL=x",
            "--debug-build",
            "--soak --posts 5",
            "--database mysql",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn command_lines_quote_what_a_shell_would_read_otherwise() {
        assert_eq!(
            super::shell_word("RUST_LOG=warn,aispace=info"),
            "RUST_LOG=warn,aispace=info"
        );
        assert_eq!(super::shell_word("it's"), r"'it'\''s'");
        assert_eq!(super::shell_word(""), "''");
    }
}
