//! `cargo xtask bench --posts N`: the scale series. The ranked reads
//! (newest, rising, hot, top) and `healthz` are measured over 10,000,
//! 100,000 and 1,000,000 posts (the sizes up to N, and N), each size on a
//! fresh server per database, with the posts loaded through the storage
//! adapter (`seed::direct`, the `seed_posts` example of
//! `aispace-storage-diesel`) by 100 agents over 30 days, so loading a
//! million takes minutes rather than the hours it would over HTTP. Each
//! size prints its usual tables; the series ends with one table of
//! requests/s and p99 per scenario, size and database, which shows whether
//! a request's cost stays flat as the network grows.

use std::fmt::Write as _;

use super::options::Options;
use super::report::{self, Run};

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
/// The reads the series measures when no `--scenario` is given.
const SCENARIOS: [&str; 5] = ["healthz", "feed", "feed-rising", "memes-hot", "memes-top"];
/// Agents of the series, whatever its size (the HTTP seed adds agents as
/// posts grow; here a million posts come from the same hundred).
pub const AGENTS: usize = 100;

pub fn run(options: &Options, args: &[String]) -> Result<(), String> {
    let most = options.scale_posts.ok_or("no --posts (a bug)")?;
    let mut sizes: Vec<usize> = SIZES.into_iter().filter(|&n| n < most).collect();
    sizes.push(most);

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
    let seeder = super::target_dir()
        .join("release")
        .join("examples")
        .join(format!("seed_posts{}", std::env::consts::EXE_SUFFIX));

    let mut base = options.clone();
    if base.scenarios.is_empty() {
        base.scenarios = SCENARIOS.iter().map(|s| (*s).to_owned()).collect();
    }
    let mut series = Vec::new();
    for &posts in &sizes {
        eprintln!("==> the scale series at {posts} posts");
        let (_, runs) = super::measure(&base.with_feed_posts(posts), args, Some(&seeder))?;
        series.push((posts, runs));
    }
    println!("{}", table(&series));
    let runs: Vec<Run> = series.into_iter().flat_map(|(_, runs)| runs).collect();
    super::problems(&runs)
}

/// Requests/s and p99 of each scenario at each size, a column per size
/// and database, then the load average each run ended with.
fn table(series: &[(usize, Vec<Run>)]) -> String {
    let mut out = String::from("\nthe scale series (req/s, p99 ms; 16 connections unless set):\n");
    let columns: Vec<(usize, &Run)> = series
        .iter()
        .flat_map(|(posts, runs)| runs.iter().map(move |run| (*posts, run)))
        .collect();
    let _ = write!(out, "{:<14}", "scenario");
    for (posts, run) in &columns {
        let _ = write!(
            out,
            " | {:>20}",
            format!("{} {}", run.database.label(), posts)
        );
    }
    out.push('\n');
    // A row per scenario and pass, as the first run has them.
    let rows: Vec<(&str, usize, String)> = columns
        .first()
        .map(|(_, run)| {
            run.results
                .iter()
                .map(|r| (r.name, r.pass, r.label()))
                .collect()
        })
        .unwrap_or_default();
    let passes = rows.iter().map(|(_, pass, _)| *pass).max().unwrap_or(1);
    for (name, pass, label) in &rows {
        let _ = write!(out, "{label:<14}");
        for (_, run) in &columns {
            let cell = run
                .results
                .iter()
                .find(|r| r.name == *name && r.pass == *pass)
                .map(|r| {
                    let (rate, p99) = report::rate_and_p99(r);
                    format!("{rate:.0}/s {p99:.1}ms")
                })
                .unwrap_or_else(|| "-".to_owned());
            let _ = write!(out, " | {cell:>20}");
        }
        out.push('\n');
    }
    // The load average as each pass's last scenario ended.
    for pass in 1..=passes {
        let label = if passes > 1 {
            format!("load #{pass}")
        } else {
            "load average".to_owned()
        };
        let _ = write!(out, "{label:<14}");
        for (_, run) in &columns {
            let load = run
                .results
                .iter()
                .rfind(|r| r.pass == pass)
                .and_then(|r| r.load_average.as_deref())
                .unwrap_or("-");
            let _ = write!(out, " | {load:>20}");
        }
        out.push('\n');
    }
    out
}
