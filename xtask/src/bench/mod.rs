//! `cargo xtask bench`: builds the release server, starts it on a fresh
//! data dir on loopback, runs each scenario against it in turn and reports
//! throughput, latency, statuses and the server's memory.
//!
//! Figures are only comparable within one run on one machine (the load
//! generator shares the CPUs), which is why each scenario is reported
//! against `healthz` from the same run.
//!
//! A scenario that reads existing state (`feed`, `feed-rising`) has it
//! seeded over HTTP once per run, before its warm-up (`seed.rs`); `healthz`
//! runs before that, on the empty database, and uploads after the reads.
//!
//! `webhooks` (`webhooks.rs`) is selected like a scenario but measures
//! something else: how soon and how fast likes become deliveries at a
//! receiver in this process. A full run makes it last.

mod http;
mod json;
mod load;
mod options;
mod png;
mod report;
mod scenario;
mod seed;
mod server;
mod webhooks;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use options::Options;
use report::{RunInfo, ScenarioResult};
use scenario::{Prepare, Scenario};
use seed::Seeded;
use server::{Server, TempDir};

pub use options::USAGE;

pub fn bench(args: &[String]) -> Result<(), String> {
    let Some(options) = Options::parse(args)? else {
        println!("{USAGE}");
        println!("scenarios: {}", all_names());
        return Ok(());
    };
    let (scenarios, measure_webhooks) = select(&options)?;
    let connections = |s: &Scenario| options.connections.unwrap_or(s.connections);
    let webhook_connections = options.connections.unwrap_or(webhooks::CONNECTIONS);
    let agents = scenarios
        .iter()
        .map(|s| match s.prepare {
            Some(Prepare::FeedPosts) => connections(s).max(seed::MIN_AGENTS),
            None => connections(s),
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

    // Declared before the server so it is removed after the server stops.
    let data_dir = TempDir::create()?;
    let started = Instant::now();
    let keys = server::create_agents(&bin, data_dir.path(), agents)?;
    eprintln!(
        "created {agents} agents in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let mut server = Server::start(&bin, data_dir.path())?;

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
        server_addr: server.addr,
        server_pid: server.pid(),
        agents,
    };
    println!("{}", report::header(&info));

    let mut results = Vec::new();
    let seeding = Seeding {
        addr: server.addr,
        keys: &keys,
        quick: options.quick,
        scenarios: &scenarios,
    };
    let mut seeded: Vec<(Prepare, Seeded)> = Vec::new();
    let mut failures = Vec::new();
    for scenario in &scenarios {
        // Before the peak-memory reset: seeding is not the scenario's load.
        let prepare_failure = scenario
            .prepare
            .and_then(|prepare| seeding.once(prepare, scenario.name, &mut seeded));
        server.check_running()?;

        let plan = load::Plan {
            addr: server.addr,
            connections: connections(scenario),
            warmup: info.warmup,
            duration: info.duration,
            keys: &keys,
        };
        eprintln!(
            "==> {}: {} connections, {:.1}s + {:.1}s",
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
            method: scenario.method,
            connections: plan.connections,
            outcome,
            memory,
            peak_per_scenario,
            prepare_failure,
            min_vs_healthz: scenario.min_vs_healthz,
        };
        // Loud and at once: the figures that follow are not the endpoint's.
        if scenario.require_2xx
            && let Some(failure) = result.failure()
        {
            eprintln!("error: {}: {failure}", scenario.name);
            if let Some(first) = &result.outcome.first_failure {
                eprintln!("  first non-2xx answer: {first}");
            }
            if let Some(first) = &result.outcome.first_error {
                eprintln!("  first connection error: {first}");
            }
            failures.push(format!("{}: {failure}", scenario.name));
        }
        results.push(result);
    }

    // After the throughput scenarios: its posts and likes would change
    // what the feed scenarios read.
    let mut webhook_figures = None;
    if measure_webhooks {
        server.check_running()?;
        eprintln!(
            "==> {}: receiver on 127.0.0.1, likes on {webhook_connections} connections",
            webhooks::NAME
        );
        let measured = webhooks::measure(&webhooks::Plan {
            addr: server.addr,
            keys: &keys,
            quick: options.quick,
            connections: webhook_connections,
        });
        server.check_running()?;
        eprintln!("{}", measured.summary());
        if let Some(failure) = measured.failure() {
            eprintln!("error: {}: {failure}", webhooks::NAME);
            failures.push(format!("{}: {failure}", webhooks::NAME));
        }
        webhook_figures = Some(measured);
    }

    // Anything beyond the line announcing the address is a warning or an
    // error worth a look before trusting the figures.
    if server.log_lines() > 1 {
        eprintln!(
            "note: the server logged {} lines; the first ones:\n{}",
            server.log_lines(),
            server.log_excerpt()
        );
    }
    let stopped = server.stop();

    let seeded: Vec<Seeded> = seeded.into_iter().map(|(_, made)| made).collect();
    println!(
        "{}",
        report::table(&results, &seeded, webhook_figures.as_ref())
    );
    let out_dir = target.join("bench");
    let out_file = out_dir.join("results.json");
    std::fs::create_dir_all(&out_dir)
        .and_then(|()| {
            std::fs::write(
                &out_file,
                report::json(&info, &results, &seeded, webhook_figures.as_ref()).pretty(),
            )
        })
        .map_err(|e| format!("writing {}: {e}", out_file.display()))?;
    println!("results: {}", display_path(&out_file));
    stopped?;
    // A throughput below an issue's threshold is a FAIL in the report, not
    // an error; an endpoint that does not answer 2xx is.
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "scenarios that must be answered 2xx were not, or webhooks went missing (details \
             in the report):\n  {}",
            failures.join("\n  ")
        ))
    }
}

/// What seeding needs to know about the run.
struct Seeding<'a> {
    addr: std::net::SocketAddr,
    keys: &'a [String],
    quick: bool,
    scenarios: &'a [Scenario],
}

impl Seeding<'_> {
    /// Makes `prepare`'s state unless an earlier scenario of the run had it
    /// made (then `done` has it), before the warm-up of `before`; the
    /// failure, if it could not be (fully) made.
    fn once(
        &self,
        prepare: Prepare,
        before: &'static str,
        done: &mut Vec<(Prepare, Seeded)>,
    ) -> Option<String> {
        if let Some((_, made)) = done.iter().find(|(p, _)| *p == prepare) {
            return made.failure.clone();
        }
        let readers: Vec<&str> = self
            .scenarios
            .iter()
            .filter(|s| s.prepare == Some(prepare))
            .map(|s| s.name)
            .collect();
        eprintln!("==> seeding for {}", readers.join(", "));
        let made = match prepare {
            Prepare::FeedPosts => {
                let plan = seed::Plan {
                    addr: self.addr,
                    keys: self.keys,
                    posts: if self.quick {
                        seed::QUICK_FEED_POSTS
                    } else {
                        seed::FEED_POSTS
                    },
                    connections: seed::CONNECTIONS,
                };
                seed::feed(&plan, readers.join(", "), before)
            }
        };
        eprintln!("{}", made.summary());
        let failure = made.failure.clone();
        done.push((prepare, made));
        failure
    }
}

/// The selected scenarios, and whether `webhooks` is measured (after
/// them).
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

fn target_dir() -> PathBuf {
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
        if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || "'\"$\\".contains(c)) {
            line.push_str(&format!("'{}'", arg.replace('\'', r"'\''")));
        } else {
            line.push_str(arg);
        }
    }
    line
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
