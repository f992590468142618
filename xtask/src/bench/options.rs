//! `cargo xtask bench` flags.

use std::time::Duration;

use super::database::Database;
use super::seed;

pub const USAGE: &str = "usage: cargo xtask bench [--quick] [--scenario NAME]... \
     [--database sqlite|postgres]... [--duration SECS] [--connections N] \
     [--feed-posts N] [--discuss-posts N] [--server-env NAME=VALUE]...\n       \
     cargo xtask bench --posts N [--passes N] [--scenario NAME]... [--database D]... [--duration SECS]\n       \
     cargo xtask bench --soak [--duration SECS] [--connections N] [--debug-build]";

/// A whole number from 1 to `most`, as `flag`'s value.
fn count_in(flag: &str, raw: &str, most: usize) -> Result<usize, String> {
    raw.parse()
        .ok()
        .filter(|n| (1..=most).contains(n))
        .ok_or_else(|| format!("{flag} {raw}: want 1 to {most}"))
}

/// Set by the bench for every server; `--server-env` may not change them.
const RESERVED_ENV: [&str; 3] = ["AISPACE_BIND", "AISPACE_DATA_DIR", "DATABASE_URL"];

const DEFAULT_DURATION: Duration = Duration::from_secs(10);
const QUICK_DURATION: Duration = Duration::from_secs(2);

/// The most `--feed-posts` (and `--discuss-posts`) takes: a guard against a
/// mistyped count, as a million posts already take hours to seed over HTTP
/// on a small host.
const MAX_FEED_POSTS: usize = 1_000_000;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Options {
    pub quick: bool,
    /// Empty: all scenarios.
    pub scenarios: Vec<String>,
    duration: Option<Duration>,
    pub connections: Option<usize>,
    feed_posts: Option<usize>,
    discuss_posts: Option<usize>,
    /// Empty: SQLite, and PostgreSQL when a URL is set (see `database.rs`).
    pub databases: Vec<Database>,
    /// Extra server settings for every database's server, after (so over)
    /// the bench's own: for comparing a setting's values, reproducibly.
    pub server_env: Vec<(String, String)>,
    /// `--soak`: mixed traffic under the real limits instead of scenarios
    /// (`soak.rs`); `--duration` is then the whole soak.
    pub soak: bool,
    /// Soak the debug binary, as built by the tests (`cargo xtask ci`).
    pub debug_build: bool,
    /// `--posts N`: the scale series (`scale.rs`) up to N posts.
    pub scale_posts: Option<usize>,
    /// `--passes N`: the scenarios run N times over on each server, so
    /// a series seeded once (a million posts take many minutes) is
    /// measured more than once.
    passes: Option<usize>,
}

impl Options {
    /// `Ok(None)` for `--help`.
    pub fn parse(args: &[String]) -> Result<Option<Options>, String> {
        let mut options = Options::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next().cloned())
                    .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
            };
            match flag {
                "--quick" => options.quick = true,
                "--soak" => options.soak = true,
                "--debug-build" => options.debug_build = true,
                "--scenario" => options.scenarios.push(value()?),
                "--duration" => {
                    let raw = value()?;
                    let secs: f64 = raw
                        .parse()
                        .ok()
                        .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s <= 3600.0)
                        .ok_or_else(|| format!("--duration {raw}: want seconds, 0 < s ≤ 3600"))?;
                    options.duration = Some(Duration::from_secs_f64(secs));
                }
                "--connections" => options.connections = Some(count_in(flag, &value()?, 1024)?),
                "--passes" => options.passes = Some(count_in(flag, &value()?, 10)?),
                "--feed-posts" => options.feed_posts = Some(post_count(flag, &value()?)?),
                "--posts" => options.scale_posts = Some(post_count(flag, &value()?)?),
                "--discuss-posts" => options.discuss_posts = Some(post_count(flag, &value()?)?),
                "--database" => options.databases.push(Database::parse(&value()?)?),
                "--server-env" => {
                    let raw = value()?;
                    options.server_env.push(server_env(&raw)?);
                }
                "-h" | "--help" => return Ok(None),
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        Ok(Some(options))
    }

    /// How many times each server runs the scenarios: `--passes`, else 1.
    pub fn passes(&self) -> usize {
        self.passes.unwrap_or(1)
    }

    /// `--duration` as given.
    pub fn explicit_duration(&self) -> Option<Duration> {
        self.duration
    }

    /// Measured time per scenario: `--duration`, else 2 s with `--quick`,
    /// else 10 s.
    pub fn duration(&self) -> Duration {
        self.duration.unwrap_or(if self.quick {
            QUICK_DURATION
        } else {
            DEFAULT_DURATION
        })
    }

    /// This run's options with `--feed-posts N`.
    pub fn with_feed_posts(&self, posts: usize) -> Options {
        Options {
            feed_posts: Some(posts),
            ..self.clone()
        }
    }

    /// Posts seeded for the scenarios that read them: `--feed-posts`, else
    /// the smaller quick count with `--quick`, else the usual one.
    pub fn feed_posts(&self) -> usize {
        self.feed_posts.unwrap_or(if self.quick {
            seed::QUICK_FEED_POSTS
        } else {
            seed::FEED_POSTS
        })
    }

    /// Discussion posts seeded for the scenarios that read them:
    /// `--discuss-posts`, else the smaller quick count with `--quick`, else
    /// the usual one.
    pub fn discuss_posts(&self) -> usize {
        self.discuss_posts.unwrap_or(if self.quick {
            seed::QUICK_DISCUSS_POSTS
        } else {
            seed::DISCUSS_POSTS
        })
    }

    /// Unmeasured time first, so connection set-up, lazily built fixtures
    /// and the server's caches don't skew the figures.
    pub fn warmup(&self) -> Duration {
        let warmup = if self.quick {
            Duration::from_millis(500)
        } else {
            Duration::from_secs(1)
        };
        warmup.min(self.duration())
    }
}

/// The value of `--feed-posts` or `--discuss-posts`.
fn post_count(flag: &str, raw: &str) -> Result<usize, String> {
    raw.parse()
        .ok()
        .filter(|n| (1..=MAX_FEED_POSTS).contains(n))
        .ok_or_else(|| format!("{flag} {raw}: want 1 to {MAX_FEED_POSTS}"))
}

/// `NAME=VALUE` of `--server-env`: an upper-case variable name the bench
/// does not set itself.
fn server_env(raw: &str) -> Result<(String, String), String> {
    let (name, value) = raw
        .split_once('=')
        .ok_or_else(|| format!("--server-env {raw}: want NAME=VALUE"))?;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(format!(
            "--server-env {raw}: {name:?} is not a variable name (A-Z, 0-9, _)"
        ));
    }
    if RESERVED_ENV.contains(&name) {
        return Err(format!(
            "--server-env {raw}: the bench sets {name} itself (see --database)"
        ));
    }
    Ok((name.to_owned(), value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>, String> {
        Options::parse(&args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn defaults_and_quick() {
        let o = parse(&[]).unwrap().unwrap();
        assert_eq!(
            (o.duration(), o.warmup()),
            (DEFAULT_DURATION, Duration::from_secs(1))
        );
        let o = parse(&["--quick"]).unwrap().unwrap();
        assert_eq!(o.duration(), QUICK_DURATION);
        let o = parse(&["--quick", "--duration", "5"]).unwrap().unwrap();
        assert_eq!(o.duration(), Duration::from_secs(5));
    }

    #[test]
    fn flags_with_values() {
        let o = parse(&[
            "--scenario",
            "healthz",
            "--scenario=upload-1mb-png",
            "--duration=0.5",
            "--connections",
            "3",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(o.scenarios, ["healthz", "upload-1mb-png"]);
        assert_eq!(o.duration(), Duration::from_millis(500));
        assert_eq!(o.warmup(), Duration::from_millis(500));
        assert_eq!(o.connections, Some(3));
        assert_eq!(parse(&["--help"]).unwrap(), None);
    }

    #[test]
    fn passes_default_to_one_and_are_bounded() {
        assert_eq!(parse(&[]).unwrap().unwrap().passes(), 1);
        assert_eq!(parse(&["--passes", "2"]).unwrap().unwrap().passes(), 2);
        for bad in ["0", "11", "two"] {
            assert!(parse(&["--passes", bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn feed_posts_default_quick_and_explicit() {
        assert_eq!(parse(&[]).unwrap().unwrap().feed_posts(), seed::FEED_POSTS);
        let quick = parse(&["--quick"]).unwrap().unwrap();
        assert_eq!(quick.feed_posts(), seed::QUICK_FEED_POSTS);
        for (args, posts) in [
            (&["--feed-posts", "100000"][..], 100_000),
            (&["--feed-posts=20"], 20),
            (&["--feed-posts", "1"], 1),
            (&["--feed-posts=1000000"], MAX_FEED_POSTS),
            // Explicit beats --quick, in either order.
            (&["--quick", "--feed-posts", "50000"], 50_000),
            (&["--feed-posts", "50000", "--quick"], 50_000),
        ] {
            let o = parse(args).unwrap().unwrap();
            assert_eq!(o.feed_posts(), posts, "{args:?}");
        }
        let o = parse(&["--quick", "--feed-posts", "50000"])
            .unwrap()
            .unwrap();
        assert_eq!(o.duration(), QUICK_DURATION);
    }

    #[test]
    fn discuss_posts_default_quick_and_explicit() {
        let o = parse(&[]).unwrap().unwrap();
        assert_eq!(o.discuss_posts(), seed::DISCUSS_POSTS);
        // Independent of --feed-posts.
        assert_eq!(o.feed_posts(), seed::FEED_POSTS);
        let quick = parse(&["--quick"]).unwrap().unwrap();
        assert_eq!(quick.discuss_posts(), seed::QUICK_DISCUSS_POSTS);
        let o = parse(&["--quick", "--discuss-posts=20000", "--feed-posts", "300"])
            .unwrap()
            .unwrap();
        assert_eq!((o.discuss_posts(), o.feed_posts()), (20_000, 300));
        for bad in [
            &["--discuss-posts"][..],
            &["--discuss-posts", "0"],
            &["--discuss-posts=1000001"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn databases_and_server_env() {
        let o = parse(&[]).unwrap().unwrap();
        assert!(o.databases.is_empty() && o.server_env.is_empty());
        let o = parse(&[
            "--database",
            "postgres",
            "--database=sqlite",
            "--server-env",
            "AISPACE_BLOCKING_THREADS=16",
            "--server-env=AISPACE_FEED_CACHE=0s",
            "--server-env",
            "RUST_LOG=info,x=debug",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(o.databases, [Database::Postgres, Database::Sqlite]);
        assert_eq!(
            o.server_env,
            [
                ("AISPACE_BLOCKING_THREADS".into(), "16".into()),
                ("AISPACE_FEED_CACHE".into(), "0s".into()),
                ("RUST_LOG".into(), "info,x=debug".into()),
            ]
        );
    }

    #[test]
    fn bad_flags_are_errors() {
        for args in [
            &["--duration"][..],
            &["--duration", "0"],
            &["--duration", "x"],
            &["--connections", "0"],
            &["--feed-posts"],
            &["--feed-posts", "0"],
            &["--feed-posts", "-5"],
            &["--feed-posts", "1e5"],
            &["--feed-posts", "1000001"],
            &["--feed-posts", "100,000"],
            &["--feed-posts=ten"],
            &["--fast"],
            &["healthz"],
            &["--database"],
            &["--database", "mysql"],
            &["--server-env", "AISPACE_BLOCKING_THREADS"],
            &["--server-env", "=4"],
            &["--server-env", "aispace_workers=1"],
            &["--server-env", "DATABASE_URL=postgres://h/db"],
            &["--server-env", "AISPACE_DATA_DIR=/tmp"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }
}
