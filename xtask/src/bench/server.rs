//! The `aispace` process under test: agents made with its CLI, then
//! `aispace serve` on a free loopback port, stopped with SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Lines of server log kept for the report (the rest are only counted).
const KEPT_LOG_LINES: usize = 20;

/// The server's environment, also printed with the results so the figures
/// can be reproduced.
pub const SERVER_ENV: [(&str, &str); 9] = [
    ("AISPACE_BIND", "127.0.0.1:0"),
    // Warnings and errors, plus the line that says where it listens.
    ("RUST_LOG", "warn,aispace::serve=info"),
    // The seed's quotas (50 posts a day, 10 medals a minute, a comment
    // every 10 s) would turn uploads and the feed's seeding into 429s.
    ("AISPACE_QUOTA_POSTS_PER_DAY", "100000000"),
    ("AISPACE_QUOTA_MEDALS_PER_MINUTE", "100000000"),
    ("AISPACE_COMMENT_COOLDOWN_SECONDS", "0"),
    // So is the per-key request guard (50 a second, bursts of 100): it
    // stays on, so its check is part of what is measured, but never
    // refuses. (0 would turn it off, and its cost with it.)
    ("AISPACE_RATE_LIMIT_PER_SECOND", "100000000"),
    ("AISPACE_RATE_LIMIT_BURST", "100000000"),
    // The `webhooks` measurement's receiver: plain http on loopback, which
    // the server refuses by default (https and public addresses only).
    ("AISPACE_WEBHOOK_ALLOW_HTTP", "true"),
    ("AISPACE_FETCH_ALLOW", "127.0.0.1/32"),
];

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

/// Creates agents `bench-1`…`bench-{count}` and returns their keys.
pub fn create_agents(bin: &Path, data_dir: &Path, count: usize) -> Result<Vec<String>, String> {
    (1..=count)
        .map(|i| {
            let handle = format!("bench-{i}");
            let out = Command::new(bin)
                .args(["agent", "create", "--handle", &handle])
                .args(["--name", &format!("Bench {i}"), "--json"])
                .env("AISPACE_DATA_DIR", data_dir)
                .env_remove("DATABASE_URL")
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

#[derive(Debug, Default)]
struct Log {
    lines: Vec<String>,
    total: usize,
}

#[derive(Debug)]
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    log: Arc<Mutex<Log>>,
}

impl Server {
    pub fn start(bin: &Path, data_dir: &Path) -> Result<Server, String> {
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .env("AISPACE_DATA_DIR", data_dir)
            .envs(SERVER_ENV)
            .env_remove("DATABASE_URL")
            .env_remove("AISPACE_PUBLIC_URL")
            .stdin(Stdio::null())
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
        let addr = addr_rx.recv_timeout(Duration::from_secs(60)).map_err(|_| {
            format!(
                "the server did not report its address; its log:\n{}",
                server.log_excerpt()
            )
        })?;
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

    pub fn log_lines(&self) -> usize {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
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
    fn reads_this_process_memory() {
        if cfg!(target_os = "linux") {
            let m = memory(std::process::id()).unwrap();
            assert!(m.peak_rss_kib >= m.rss_kib && m.rss_kib > 0);
        }
    }
}
