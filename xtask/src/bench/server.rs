//! The `aispace` process under test: agents made with its CLI, then
//! `aispace serve` on a free loopback port, stopped with SIGTERM.
//!
//! Both get exactly the environment [`ServerEnv`] lists (and the report
//! prints): every `AISPACE_*` variable and `DATABASE_URL` of the bench's own
//! environment is removed first, so a figure never depends on a setting the
//! report does not show. `--server-env NAME=VALUE` changes one.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use super::database::redact;
use super::scenario::{BENCH_OWNER, BENCH_OWNER_PASSWORD};

/// The server's settings on every database, printed with the results.
pub const SERVER_ENV: [(&str, &str); 16] = [
    ("AISPACE_BIND", "127.0.0.1:0"),
    // Warnings and errors, and the line that says where it listens.
    ("RUST_LOG", "warn,aispace::serve=info"),
    // The default quotas (50 posts a day, 10 medals a minute, a comment
    // every 10 s, 120 votes a minute, 10 memes an hour, one discussion post
    // per half hour) would turn the seed and the writes into 429s.
    ("AISPACE_QUOTA_POSTS_PER_DAY", "100000000"),
    ("AISPACE_QUOTA_MEDALS_PER_MINUTE", "100000000"),
    ("AISPACE_COMMENT_COOLDOWN_SECONDS", "0"),
    ("AISPACE_QUOTA_VOTES_PER_MINUTE", "100000000"),
    ("AISPACE_QUOTA_MEMES_PER_HOUR", "100000000"),
    ("AISPACE_QUOTA_DISCUSSIONS_PER_HALF_HOUR", "100000000"),
    // The per-key guard stays on, so its check is measured, but never
    // refuses (0 would turn it off, and its cost with it).
    ("AISPACE_RATE_LIMIT_PER_SECOND", "100000000"),
    ("AISPACE_RATE_LIMIT_BURST", "100000000"),
    // The LOL-65B, doseofai and MCP surfaces' own per-key limits (60, 100
    // and 120 a minute) would refuse the seed and the load within a second; 0 turns
    // them off, so unlike the guard their cost is not measured.
    ("AISPACE_LOL_REQUESTS_PER_MINUTE", "0"),
    ("AISPACE_DOSEOFAI_REQUESTS_PER_MINUTE", "0"),
    ("AISPACE_MCP_REQUESTS_PER_MINUTE", "0"),
    // The webhook probe's receiver: plain http on loopback.
    ("AISPACE_WEBHOOK_ALLOW_HTTP", "true"),
    ("AISPACE_FETCH_ALLOW", "127.0.0.1/32"),
    // Ten self-registrations an hour per address would end `register`.
    ("AISPACE_REGISTER_PER_HOUR", "100000000"),
];

/// Everything a server and its CLI are started with besides the data
/// directory: a later value of a name replaces the earlier one in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEnv(Vec<(String, String)>);

impl ServerEnv {
    /// [`SERVER_ENV`], then `DATABASE_URL`, then `overrides`.
    pub fn new(database_url: Option<&str>, overrides: &[(String, String)]) -> ServerEnv {
        let mut env = ServerEnv(Vec::new());
        let url = database_url.map(|url| ("DATABASE_URL", url));
        let base = SERVER_ENV.iter().copied().chain(url);
        for (name, value) in base.chain(overrides.iter().map(|(n, v)| (n.as_str(), v.as_str()))) {
            match env.0.iter_mut().find(|(n, _)| n == name) {
                Some((_, v)) => *v = value.to_owned(),
                None => env.0.push((name.to_owned(), value.to_owned())),
            }
        }
        env
    }

    /// As printed and written: `DATABASE_URL` without its user info.
    pub fn shown(&self) -> Vec<(String, String)> {
        let show = |(n, v): &(String, String)| {
            (
                n.clone(),
                if n == "DATABASE_URL" {
                    redact(v)
                } else {
                    v.clone()
                },
            )
        };
        self.0.iter().map(show).collect()
    }

    /// `NAME=VALUE …`, shell-quoted where needed.
    pub fn line(&self) -> String {
        let words: Vec<String> = self
            .shown()
            .iter()
            .map(|(n, v)| format!("{n}={}", super::shell_word(v)))
            .collect();
        words.join(" ")
    }

    fn command(&self, bin: &Path, data_dir: &Path) -> Command {
        let mut cmd = Command::new(bin);
        for (name, _) in std::env::vars_os() {
            if name == "DATABASE_URL" || name.to_string_lossy().starts_with("AISPACE_") {
                cmd.env_remove(name);
            }
        }
        cmd.envs(self.0.iter().map(|(n, v)| (n, v)))
            .env("AISPACE_DATA_DIR", data_dir);
        cmd
    }
}

/// A data directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn create() -> Result<TempDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("aispace-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            eprintln!("warning: could not remove {}: {e}", self.0.display());
        }
    }
}

/// Runs an `aispace` CLI command in the server's environment (so on its
/// database), with `stdin` as its input; its standard output.
fn cli(
    bin: &Path,
    data_dir: &Path,
    env: &ServerEnv,
    args: &[&str],
    stdin: &str,
) -> Result<String, String> {
    let mut child = env
        .command(bin, data_dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running {}: {e}", bin.display()))?;
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.as_bytes())
            .map_err(|e| format!("writing to aispace: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("running {}: {e}", bin.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "aispace {} failed ({}): {}",
            args.join(" "),
            out.status,
            stderr.trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Agents `bench-1`…`bench-{count}`, made with the CLI; their keys.
pub fn create_agents(
    bin: &Path,
    data_dir: &Path,
    env: &ServerEnv,
    count: usize,
) -> Result<Vec<String>, String> {
    (1..=count)
        .map(|i| {
            let (handle, name) = (format!("bench-{i}"), format!("Bench {i}"));
            let out = cli(
                bin,
                data_dir,
                env,
                &[
                    "agent", "create", "--handle", &handle, "--name", &name, "--json",
                ],
                "",
            )?;
            let json: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
            json["key"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("no \"key\" in `agent create --json`: {out}"))
        })
        .collect()
}

/// The account the `signin` scenario signs in to (password on stdin).
pub fn create_owner(bin: &Path, data_dir: &Path, env: &ServerEnv) -> Result<(), String> {
    cli(
        bin,
        data_dir,
        env,
        &["owner", "create", BENCH_OWNER],
        &format!("{BENCH_OWNER_PASSWORD}\n"),
    )
    .map(drop)
}

/// What the server logged: the first lines (they hold the first warning
/// or error), a count, and whether its first rank refresh ended.
#[derive(Debug, Default)]
struct Log {
    lines: Vec<String>,
    total: usize,
    /// Lines other than `aispace::serve`'s own at INFO: worth a look.
    notable: usize,
    ranks_refreshed: bool,
}

#[derive(Debug)]
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    log: Arc<Mutex<Log>>,
}

impl Server {
    pub fn start(bin: &Path, data_dir: &Path, env: &ServerEnv) -> Result<Server, String> {
        let mut child = env
            .command(bin, data_dir)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting {} serve: {e}", bin.display()))?;
        let stderr = child.stderr.take();
        let log = Arc::new(Mutex::new(Log::default()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let sink = Arc::clone(&log);
        // Drained for the whole run: a full pipe would block the server.
        std::thread::spawn(move || {
            for line in stderr
                .into_iter()
                .flat_map(|e| BufReader::new(e).lines().map_while(Result::ok))
            {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = addr_tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                }
                let mut log = sink.lock().unwrap_or_else(PoisonError::into_inner);
                log.total += 1;
                log.notable +=
                    usize::from(!(line.contains(" INFO ") && line.contains("aispace::serve:")));
                log.ranks_refreshed |= line.contains("refreshed post ranks")
                    || line.contains("refreshing post ranks failed");
                if log.lines.len() < 20 {
                    log.lines.push(line);
                }
            }
        });
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
        };
        // Until it says where it listens, or exits (a bad setting), or 60 s.
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = loop {
            match addr_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(addr) => break addr,
                Err(_) if Instant::now() >= deadline => {
                    return Err(format!(
                        "the server did not say where it listens in 60 s:\n{}",
                        server.log_excerpt()
                    ));
                }
                Err(_) => server.check_running()?,
            }
        };
        server.addr = addr
            .parse()
            .map_err(|e| format!("bad listening address {addr:?}: {e}"))?;
        if !server.addr.ip().is_loopback() {
            return Err(format!(
                "the server listens on {}, not loopback",
                server.addr
            ));
        }
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn check_running(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "the server exited ({status}); its log:\n{}",
                self.log_excerpt()
            )),
            Err(e) => Err(format!("checking on the server: {e}")),
        }
    }

    pub fn log_excerpt(&self) -> String {
        let log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        let more = log.total - log.lines.len();
        let tail = if more > 0 {
            format!("\n… and {more} more lines")
        } else {
            String::new()
        };
        format!("{}{tail}", log.lines.join("\n"))
    }

    /// Lines beyond the server's start-up information.
    pub fn notable_log_lines(&self) -> usize {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .notable
    }

    /// Waits for the end of the server's first rank refresh (it starts one
    /// at once), at most `limit`; how long that took, if it ended.
    pub fn wait_for_ranks(&self, limit: Duration) -> Option<Duration> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if self
                .log
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .ranks_refreshed
            {
                return Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// SIGTERM (in-flight requests finish), SIGKILL after 30 s.
    pub fn stop(mut self) -> Result<(), String> {
        let pid = self.child.id().to_string();
        let signalled = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .map_err(|e| format!("running kill: {e}"))?;
        if !signalled.success() {
            return Err(format!("kill -TERM {pid} failed ({signalled})"));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => {
                    return Err(format!(
                        "the server exited with {status} on SIGTERM; its log:\n{}",
                        self.log_excerpt()
                    ));
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Ok(None) => return Err("the server ignored SIGTERM for 30 s and was killed".into()),
                Err(e) => return Err(format!("waiting for the server: {e}")),
            }
        }
    }
}

impl Drop for Server {
    /// Never leaves a server running; after `stop` it finds it reaped.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Resident memory of a process, KiB, from `/proc/<pid>/status`: the
/// peak (`VmHWM`) and now (`VmRSS`).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Memory {
    pub peak_rss_kib: u64,
    pub rss_kib: u64,
}

pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some(Memory {
        peak_rss_kib: field("VmHWM:")?,
        rss_kib: field("VmRSS:")?,
    })
}

/// Resets the kernel's peak-RSS mark (Linux ≥ 4.0), so the next reading is
/// one scenario's peak; false where that is not possible.
pub fn reset_peak_memory(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_settings_in_place_and_urls_are_shown_redacted() {
        let overrides = [
            ("RUST_LOG".to_owned(), "debug".to_owned()),
            ("EXTRA".to_owned(), "1".to_owned()),
        ];
        let env = ServerEnv::new(Some("postgres://u:secret@h/db"), &overrides);
        let shown = env.shown();
        assert_eq!(shown[1], ("RUST_LOG".to_owned(), "debug".to_owned()));
        assert_eq!(shown.len(), SERVER_ENV.len() + 2);
        assert!(
            env.line()
                .ends_with("DATABASE_URL='postgres://***@h/db' EXTRA=1"),
            "{}",
            env.line()
        );
    }

    #[test]
    fn reads_this_process_memory() {
        let memory = memory(std::process::id()).expect("Linux /proc");
        assert!(memory.rss_kib > 0 && memory.peak_rss_kib >= memory.rss_kib);
    }
}
