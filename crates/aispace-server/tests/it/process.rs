use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aispace_testkit::http::{self, Part, Response, multipart_body};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_aispace");

/// `aispace <args>` with the data dir (and database) of a test.
pub fn aispace(data_dir: &Path, database_url: Option<&str>, args: &[&str]) -> Output {
    aispace_overriding(data_dir, database_url, &[], args)
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a command that must succeed and returns its stdout parsed as JSON.
pub fn aispace_json(
    data_dir: &Path,
    database_url: Option<&str>,
    args: &[&str],
) -> serde_json::Value {
    let out = aispace(data_dir, database_url, args);
    assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
}

/// A new agent made with the operator CLI (`agent create`), named as its
/// handle; its `asp_` key.
pub fn agent_key(data_dir: &Path, database_url: Option<&str>, handle: &str) -> String {
    let created = aispace_json(
        data_dir,
        database_url,
        &[
            "agent", "create", "--handle", handle, "--name", handle, "--json",
        ],
    );
    created["key"].as_str().unwrap().to_owned()
}

/// A running `aispace serve` on 127.0.0.1:0.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    logs: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(data_dir: &Path, database_url: Option<&str>) -> Server {
        Self::start_with(data_dir, database_url, &[])
    }

    /// With `env` applied after the defaults, so it can also set
    /// `RUST_LOG`, `AISPACE_BIND` (a restart on the same port) or
    /// `AISPACE_WORKERS`.
    pub fn start_with(data_dir: &Path, database_url: Option<&str>, env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .env("AISPACE_DATA_DIR", data_dir)
            .env("AISPACE_BIND", "127.0.0.1:0")
            .env("AISPACE_WORKERS", "2")
            .env_remove("DATABASE_URL")
            .env_remove("AISPACE_PUBLIC_URL")
            .env_remove("AISPACE_SECRET_KEY")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(url) = database_url {
            cmd.env("DATABASE_URL", url);
        }
        cmd.envs(env.iter().copied());
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(String::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
                    let _ = addr_tx.send(addr);
                }
                let mut logs = sink.lock().unwrap();
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("server did not start:\n{}", logs.lock().unwrap()));
        Server {
            child,
            addr: addr.parse().unwrap(),
            logs,
        }
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// The process id, for reading its memory from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn get(&self, path: &str, key: &str) -> Response {
        let auth = format!("Bearer {key}");
        http::request(self.addr, "GET", path, &[("Authorization", &auth)], b"").unwrap()
    }

    pub fn delete(&self, path: &str, key: &str) -> Response {
        let auth = format!("Bearer {key}");
        http::request(self.addr, "DELETE", path, &[("Authorization", &auth)], b"").unwrap()
    }

    pub fn post(&self, path: &str, key: &str) -> Response {
        let auth = format!("Bearer {key}");
        http::request(self.addr, "POST", path, &[("Authorization", &auth)], b"").unwrap()
    }

    pub fn post_json(&self, path: &str, key: &str, body: &serde_json::Value) -> Response {
        let auth = format!("Bearer {key}");
        let body = body.to_string();
        http::request(
            self.addr,
            "POST",
            path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
        .unwrap()
    }

    /// A multipart upload of `png` to `/api/agent/post`, with the other
    /// form fields given (e.g. `publishAt`) and extra headers (e.g.
    /// `Idempotency-Key`).
    pub fn upload(
        &self,
        key: &str,
        png: &[u8],
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Response {
        let (content_type, body) = upload_body(png, fields);
        let auth = format!("Bearer {key}");
        let mut all = vec![
            ("Authorization", auth.as_str()),
            ("Content-Type", content_type.as_str()),
        ];
        all.extend_from_slice(headers);
        http::request(self.addr, "POST", "/api/agent/post", &all, &body).unwrap()
    }

    /// `GET` of a URL this server published (an `imageUrl`), at its
    /// address; panics when the URL is not this server's.
    pub fn get_published(&self, url: &str) -> Response {
        let path = url
            .strip_prefix(&format!("http://{}", self.addr))
            .unwrap_or_else(|| panic!("{url} is not served here"));
        http::request(self.addr, "GET", path, &[], b"").unwrap()
    }

    /// SIGKILL: no shutdown, no flushing; what was committed must survive.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(mut self) -> (ExitStatus, String) {
        self.sigterm();
        self.wait_exit(Duration::from_secs(30))
            .expect("server ignored SIGTERM")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn json(resp: &Response) -> serde_json::Value {
    serde_json::from_slice(&resp.body).unwrap_or_else(|e| panic!("{e}: {}", resp.text()))
}

/// `aispace <args>` like [`aispace`], with `env` applied last so it can
/// override the defaults (e.g. `RUST_LOG=trace`).
pub fn aispace_overriding(
    data_dir: &Path,
    database_url: Option<&str>,
    env: &[(&str, &str)],
    args: &[&str],
) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("AISPACE_DATA_DIR", data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("AISPACE_SECRET_KEY")
        .env("RUST_LOG", "warn");
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    cmd.envs(env.iter().copied());
    cmd.output().unwrap()
}

/// [`aispace`] with `input` on its standard input (a password, say).
pub fn aispace_with_stdin(data_dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .env("AISPACE_DATA_DIR", data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("AISPACE_SECRET_KEY")
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

impl Server {
    /// Sends SIGTERM and returns at once; [`Server::wait_exit`] waits.
    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits at most `limit` for the process to exit: its status and logs,
    /// or `None` (the process is then killed when dropped).
    pub fn wait_exit(&mut self, limit: Duration) -> Option<(ExitStatus, String)> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the log reader drain the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return Some((status, self.logs()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

/// The multipart body of an upload of `png` with `fields`, and its
/// `Content-Type`: for tests that send it themselves (in pieces, or
/// without panicking when the server is gone).
pub fn upload_body(png: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let parts: Vec<Part<'_>> = std::iter::once(Part::file("file", png))
        .chain(fields.iter().map(|&(name, value)| Part::text(name, value)))
        .collect();
    multipart_body(&parts)
}

/// Runs `script` with `sh -c` and `env` (a documented curl call, with
/// only its base URL and key in variables), and returns its stdout as JSON.
pub fn curl(script: &str, env: &[(&str, &str)]) -> Value {
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script}\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {script}\n{stdout}"))
}

/// Runs `script` like [`curl`], with `curl` wrapped to print the status
/// on a last line of its own (so the documented line stays verbatim), and
/// returns the status and the body as JSON.
pub fn curl_status(script: &str, env: &[(&str, &str)]) -> (u16, Value) {
    let wrapped = format!(
        "curl() {{ command curl --silent --write-out '\\n%{{http_code}}' \"$@\"; }}\n{script}"
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&wrapped)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script}\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (body, status) = stdout
        .rsplit_once('\n')
        .unwrap_or_else(|| panic!("no status line: {stdout}"));
    let status = status.parse().unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {script}\n{stdout}"));
    (status, body)
}
