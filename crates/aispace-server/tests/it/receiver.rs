//! A webhook receiver on 127.0.0.1 for the end-to-end tests: Python's
//! http.server (`receiver.py`), logging every request it gets.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Receiver {
    child: Child,
    port: u16,
    log: PathBuf,
    down: PathBuf,
}

impl Receiver {
    pub fn start(dir: &Path) -> Receiver {
        let script = dir.join("receiver.py");
        std::fs::write(&script, include_str!("receiver.py")).unwrap();
        let (log, down) = (dir.join("deliveries.jsonl"), dir.join("down"));
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(&log)
            .arg(&down)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the test receiver");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Receiver {
            child,
            port: line.trim().parse().expect("the receiver prints its port"),
            log,
            down,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn set_down(&self, down: bool) {
        if down {
            std::fs::write(&self.down, b"").unwrap();
        } else {
            let _ = std::fs::remove_file(&self.down);
        }
    }

    pub fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Waits (at most 30 s) until `done` holds for the requests so far.
    pub fn wait_for(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let requests = self.requests();
            if done(&requests) {
                return requests;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; received: {requests:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
