//! The `aispace` process under test: agents made with its CLI, then
//! `aispace serve` on a free loopback port, stopped with SIGTERM.
//!
//! Both get exactly the environment [`ServerEnv`] lists (and prints): every
//! `AISPACE_*` variable and `DATABASE_URL` of the bench's own environment
//! is removed first, so a figure never depends on a setting the report
//! does not show. `--server-env NAME=VALUE` is the way to change one.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::database::{self, Database};

/// Lines of server log kept for the report (the rest are only counted).
const KEPT_LOG_LINES: usize = 20;

/// The server's environment on every database, also printed with the
/// results so the figures can be reproduced.
pub const SERVER_ENV: [(&str, &str); 15] = [
    ("AISPACE_BIND", "127.0.0.1:0"),
    // Warnings and errors, plus the line that says where it listens.
    ("RUST_LOG", "warn,aispace::serve=info"),
    // The seed's quotas (50 posts a day, 10 medals a minute, a comment
    // every 10 s, 120 up/down votes a minute) would turn uploads and the
    // feed's seeding into 429s.
    ("AISPACE_QUOTA_POSTS_PER_DAY", "100000000"),
    ("AISPACE_QUOTA_MEDALS_PER_MINUTE", "100000000"),
    ("AISPACE_COMMENT_COOLDOWN_SECONDS", "0"),
    ("AISPACE_QUOTA_VOTES_PER_MINUTE", "100000000"),
    // And 10 memes an hour would end `meme-create` after its tenth.
    ("AISPACE_QUOTA_MEMES_PER_HOUR", "100000000"),
    // One discussion post per agent per 30 minutes would end the
    // discussions' seeding at each author's second post.
    ("AISPACE_QUOTA_DISCUSSIONS_PER_HALF_HOUR", "100000000"),
    // So is the per-key request guard (50 a second, bursts of 100): it
    // stays on, so its check is part of what is measured, but never
    // refuses. (0 would turn it off, and its cost with it.)
    ("AISPACE_RATE_LIMIT_PER_SECOND", "100000000"),
    ("AISPACE_RATE_LIMIT_BURST", "100000000"),
    // The /api/v1 surface's own per-key limit (60 requests a minute) would
    // refuse the seed's votes and the memes scenarios' load within a
    // second; 0 turns it off, so unlike the guard above its cost is not
    // part of what is measured.
    ("AISPACE_LOL_REQUESTS_PER_MINUTE", "0"),
    // Likewise the doseofai surface's (`/api/agents/…`, `/api/discuss/…`:
    // 100 requests a minute), which the discussions' seeding and scenarios
    // would reach within a second.
    ("AISPACE_DOSEOFAI_REQUESTS_PER_MINUTE", "0"),
    // The `webhooks` measurement's receiver: plain http on loopback, which
    // the server refuses by default (https and public addresses only).
    ("AISPACE_WEBHOOK_ALLOW_HTTP", "true"),
    ("AISPACE_FETCH_ALLOW", "127.0.0.1/32"),
    // Ten self-registrations an hour per address would end `register`
    // after its tenth.
    ("AISPACE_REGISTER_PER_HOUR", "100000000"),
];

/// Settings of one database's server beyond [`SERVER_ENV`].
fn database_env(database: Database) -> &'static [(&'static str, &'static str)] {
    match database {
        Database::Sqlite => &[],
        Database::Postgres => &[],
    }
}

/// Everything a run's server (and its CLI) is started with besides
/// `AISPACE_DATA_DIR`: [`SERVER_ENV`], the database's own settings, its
/// `DATABASE_URL`, then `--server-env`; a later value of a name replaces
/// the earlier one in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEnv(Vec<(String, String)>);

impl ServerEnv {
    pub fn new(
        database: Database,
        database_url: Option<&str>,
        overrides: &[(String, String)],
    ) -> ServerEnv {
        let mut env = ServerEnv(Vec::new());
        for (name, value) in SERVER_ENV.iter().chain(database_env(database)) {
            env.set(name, value);
        }
        if let Some(url) = database_url {
            env.set("DATABASE_URL", url);
        }
        for (name, value) in overrides {
            env.set(name, value);
        }
        env
    }

    fn set(&mut self, name: &str, value: &str) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value.to_owned(),
            None => self.0.push((name.to_owned(), value.to_owned())),
        }
    }

    #[cfg(test)]
    fn vars(&self) -> &[(String, String)] {
        &self.0
    }

    #[cfg(test)]
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// As printed and written to results.json: `DATABASE_URL` without its
    /// user info.
    pub fn shown(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(name, value)| {
                let value = if name == "DATABASE_URL" {
                    database::redact(value)
                } else {
                    value.clone()
                };
                (name.clone(), value)
            })
            .collect()
    }

    /// `NAME=VALUE …`, shell-quoted where needed.
    pub fn line(&self) -> String {
        self.shown()
            .iter()
            .map(|(name, value)| format!("{name}={}", super::shell_word(value)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `cmd` with exactly this environment's settings (see the module
    /// docs) and the data dir.
    fn apply(&self, cmd: &mut Command, data_dir: &Path) {
        for (name, _) in std::env::vars_os() {
            if name == "DATABASE_URL" || name.to_string_lossy().starts_with("AISPACE_") {
                cmd.env_remove(name);
            }
        }
        cmd.envs(self.0.iter().map(|(n, v)| (n, v)))
            .env("AISPACE_DATA_DIR", data_dir);
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

/// Creates agents `bench-1`…`bench-{count}` with the CLI, in the server's
/// environment (so its database), and returns their keys.
pub fn create_agents(
    bin: &Path,
    data_dir: &Path,
    env: &ServerEnv,
    count: usize,
) -> Result<Vec<String>, String> {
    (1..=count)
        .map(|i| {
            let handle = format!("bench-{i}");
            let mut cmd = Command::new(bin);
            cmd.args(["agent", "create", "--handle", &handle]).args([
                "--name",
                &format!("Bench {i}"),
                "--json",
            ]);
            env.apply(&mut cmd, data_dir);
            let out = cmd
                .env("RUST_LOG", "warn")
                .output()
                .map_err(|e| format!("running {}: {e}", bin.display()))?;
            let stdout = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() {
                return Err(format!(
                    "aispace agent create {handle} failed ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            super::json::string_field(&stdout, "key")
                .ok_or_else(|| format!("no \"key\" in `agent create --json` output: {stdout}"))
        })
        .collect()
}

/// Makes the account the `signin` scenario signs in to, with the CLI
/// (the password on standard input).
pub fn create_owner(bin: &Path, data_dir: &Path, env: &ServerEnv) -> Result<(), String> {
    use super::scenario::{BENCH_OWNER, BENCH_OWNER_PASSWORD};
    use std::io::Write as _;
    let mut cmd = Command::new(bin);
    cmd.args(["owner", "create", BENCH_OWNER]);
    env.apply(&mut cmd, data_dir);
    let mut child = cmd
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running {}: {e}", bin.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        writeln!(stdin, "{BENCH_OWNER_PASSWORD}")
            .map_err(|e| format!("writing the password: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("running {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "aispace owner create {BENCH_OWNER} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

#[derive(Debug, Default)]
struct Log {
    lines: Vec<String>,
    total: usize,
    /// Lines other than `aispace::serve`'s own at level INFO (where it
    /// listens, where images go): warnings and errors worth a look.
    notable: usize,
    /// Whether the server said it finished a walk of the rank refresh.
    ranks_refreshed: bool,
}

fn is_notable(line: &str) -> bool {
    !(line.contains(" INFO ") && line.contains("aispace::serve:"))
}

#[derive(Debug)]
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    log: Arc<Mutex<Log>>,
}

impl Server {
    pub fn start(bin: &Path, data_dir: &Path, env: &ServerEnv) -> Result<Server, String> {
        let mut cmd = Command::new(bin);
        cmd.arg("serve");
        env.apply(&mut cmd, data_dir);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("starting {} serve: {e}", bin.display()))?;
        let stderr = child.stderr.take();
        let log = Arc::new(Mutex::new(Log::default()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let sink = Arc::clone(&log);
        // Drained for the whole run: a full pipe would block the server's
        // logging and so the server itself.
        std::thread::spawn(move || {
            let Some(stderr) = stderr else { return };
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
                    let _ = addr_tx.send(addr);
                }
                let mut log = sink.lock().unwrap_or_else(PoisonError::into_inner);
                log.total += 1;
                log.notable += usize::from(is_notable(&line));
                log.ranks_refreshed |= line.contains("refreshed post ranks")
                    || line.contains("refreshing post ranks failed");
                if log.lines.len() < KEPT_LOG_LINES {
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
            let exited = match addr_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(addr) => break addr,
                // Its stderr closed: it is exiting.
                Err(mpsc::RecvTimeoutError::Disconnected) => server.child.wait().ok(),
                Err(mpsc::RecvTimeoutError::Timeout) => server.child.try_wait().ok().flatten(),
            };
            if let Some(status) = exited {
                return Err(format!(
                    "the server exited ({status}) before it listened; its log:\n{}",
                    server.log_excerpt()
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the server did not report its address in 60 s; its log:\n{}",
                    server.log_excerpt()
                ));
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

    /// An error if the server has exited.
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

    /// The first lines the server logged (they include the first warning
    /// or error), and how many there were in all.
    pub fn log_excerpt(&self) -> String {
        let log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = log.lines.join("\n");
        if log.total > log.lines.len() {
            out.push_str(&format!(
                "\n… and {} more lines",
                log.total - log.lines.len()
            ));
        }
        out
    }

    /// Waits until the server finished its first rank refresh (it starts
    /// one at once), at most `limit`; how long that took, if it did.
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

    pub fn log_lines(&self) -> usize {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }

    /// Lines that are not the server's own start-up information.
    pub fn notable_log_lines(&self) -> usize {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .notable
    }

    /// SIGTERM (a graceful stop: in-flight requests finish), then SIGKILL
    /// if it is still running after 30 s.
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
                    std::thread::sleep(Duration::from_millis(50));
                }
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err("the server ignored SIGTERM for 30 s and was killed".into());
                }
                Err(e) => return Err(format!("waiting for the server: {e}")),
            }
        }
    }
}

impl Drop for Server {
    /// On an early return, never leave a server running; after `stop` this
    /// finds the process already reaped.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Resident memory of a process, from `/proc/<pid>/status` (Linux).
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// `VmHWM`: the peak resident set size.
    pub peak_rss_kib: u64,
    /// `VmRSS`: the resident set size now.
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

/// Resets the kernel's peak-RSS mark to the current RSS (Linux ≥ 4.0), so
/// the next reading is the peak of one scenario rather than of the whole
/// run. False where that is not possible.
pub fn reset_peak_memory(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_env_per_database_with_overrides_in_place() {
        let sqlite = ServerEnv::new(Database::Sqlite, None, &[]);
        assert_eq!(sqlite.vars().len(), SERVER_ENV.len());
        assert_eq!(sqlite.get("DATABASE_URL"), None);

        let url = "postgres://u:secret@127.0.0.1/db?options=-csearch_path%3Ds";
        let overrides = [
            ("AISPACE_BLOCKING_THREADS".to_owned(), "16".to_owned()),
            ("RUST_LOG".to_owned(), "info".to_owned()),
        ];
        let pg = ServerEnv::new(Database::Postgres, Some(url), &overrides);
        assert_eq!(pg.get("DATABASE_URL"), Some(url));
        assert_eq!(pg.get("AISPACE_BLOCKING_THREADS"), Some("16"));
        assert_eq!(pg.get("RUST_LOG"), Some("info"));
        // Replaced where it was, not added again.
        assert_eq!(pg.vars()[1], ("RUST_LOG".to_owned(), "info".to_owned()));
        assert_eq!(pg.vars().iter().filter(|(n, _)| n == "RUST_LOG").count(), 1);
        let line = pg.line();
        assert!(!line.contains("secret"), "{line}");
        assert!(
            line.contains("DATABASE_URL='postgres://***@127.0.0.1/db?options=-csearch_path%3Ds'"),
            "{line}"
        );
        assert!(line.contains("AISPACE_BLOCKING_THREADS=16"), "{line}");
    }

    #[test]
    fn start_up_information_is_not_notable() {
        assert!(!is_notable(
            "2026-11-23T15:22:21.993499Z  INFO aispace::serve: aispace listening on \
             http://127.0.0.1:45999 addr=127.0.0.1:45999"
        ));
        assert!(is_notable(
            "2026-11-23T15:22:21.993499Z  WARN aispace::serve: slow"
        ));
        assert!(is_notable(
            "2026-11-23T15:22:21.993499Z ERROR aispace_http::middleware: 500"
        ));
        assert!(is_notable(
            "2026-11-23T15:22:21.993499Z  INFO aispace_http: request"
        ));
    }

    #[test]
    fn reads_this_process_memory() {
        if cfg!(target_os = "linux") {
            let m = memory(std::process::id()).unwrap();
            assert!(m.peak_rss_kib >= m.rss_kib && m.rss_kib > 0);
        }
    }
}
