//! `cargo xtask bench` flags.

use std::time::Duration;

pub const USAGE: &str =
    "usage: cargo xtask bench [--quick] [--scenario NAME]... [--duration SECS] [--connections N]";

const DEFAULT_DURATION: Duration = Duration::from_secs(10);
const QUICK_DURATION: Duration = Duration::from_secs(2);

#[derive(Debug, Default, PartialEq)]
pub struct Options {
    pub quick: bool,
    /// Empty: all scenarios.
    pub scenarios: Vec<String>,
    duration: Option<Duration>,
    pub connections: Option<usize>,
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
                "--connections" => {
                    let raw = value()?;
                    let n = raw
                        .parse()
                        .ok()
                        .filter(|n| (1..=1024).contains(n))
                        .ok_or_else(|| format!("--connections {raw}: want 1 to 1024"))?;
                    options.connections = Some(n);
                }
                "-h" | "--help" => return Ok(None),
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        Ok(Some(options))
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
    fn bad_flags_are_errors() {
        for args in [
            &["--duration"][..],
            &["--duration", "0"],
            &["--duration", "x"],
            &["--connections", "0"],
            &["--fast"],
            &["healthz"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }
}
