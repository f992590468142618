//! `cargo xtask <task>`: the project's automation, in Rust so it runs
//! wherever cargo does.

mod bench;
mod openapi_fuzz;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Debug, clap::Parser)]
#[command(name = "cargo xtask", about = "The repository's automation")]
enum Cli {
    /// Format check, every test, a 20 s soak, the OpenAPI fuzz with clippy (warnings denied)
    /// beside it, cargo deny.
    Ci,
    /// The release server on loopback under load: requests/s, latency and memory per scenario,
    /// then how soon and how fast likes become webhook deliveries; writes target/bench/results.json.
    Bench(bench::Args),
    /// schemathesis with every check against the debug server on a fresh data directory, in a
    /// network namespace with only loopback; fails on any failure it reports.
    OpenapiFuzz(openapi_fuzz::Args),
}

fn main() -> ExitCode {
    let result = match Cli::parse() {
        Cli::Ci => ci(),
        Cli::Bench(args) => bench::run(&args),
        Cli::OpenapiFuzz(args) => openapi_fuzz::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("xtask: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    cmd.current_dir(root());
    cmd
}

fn run(step: &str, mut cmd: Command) -> Result<(), String> {
    eprintln!("==> {step}");
    let started = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("{step}: could not start: {e}"))?;
    eprintln!("<== {step}: {:.1}s", started.elapsed().as_secs_f64());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed ({status})"))
    }
}

/// A step run beside others, its output held back until it ends so that
/// it does not interleave with theirs.
struct Beside {
    step: &'static str,
    started: Instant,
    output: std::thread::JoinHandle<std::io::Result<std::process::Output>>,
}

impl Beside {
    fn start(step: &'static str, mut cmd: Command) -> Result<Beside, String> {
        eprintln!("==> {step} (starts; its output follows when it ends)");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{step}: could not start: {e}"))?;
        Ok(Beside {
            step,
            started: Instant::now(),
            output: std::thread::spawn(move || child.wait_with_output()),
        })
    }

    fn finish(self) -> Result<(), String> {
        let step = self.step;
        let output = self
            .output
            .join()
            .map_err(|_| format!("{step}: the thread waiting for it panicked"))?
            .map_err(|e| format!("{step}: {e}"))?;
        eprint!("{}", String::from_utf8_lossy(&output.stdout));
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
        eprintln!("<== {step}: {:.1}s", self.started.elapsed().as_secs_f64());
        if output.status.success() {
            Ok(())
        } else {
            Err(format!("{step} failed ({})", output.status))
        }
    }
}

fn has_cargo_subcommand(name: &str) -> bool {
    cargo()
        .args([name, "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn ci() -> Result<(), String> {
    let started = Instant::now();

    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    run("format check", fmt)?;

    // The OpenAPI tests (crates/aispace-http/tests/it/openapi.rs) validate
    // the document and live answers with Python's openapi-spec-validator;
    // under CI they fail without it.
    if !python_has("openapi_spec_validator") {
        let mut pip = Command::new("python3");
        pip.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--root-user-action=ignore",
            "openapi-spec-validator==0.9.0",
        ]);
        run("install openapi-spec-validator", pip)?;
    }

    if std::env::var_os("AISPACE_TEST_DATABASE_URL").is_none() {
        eprintln!(
            "note: AISPACE_TEST_DATABASE_URL is not set; PostgreSQL tests will print SKIPPED \
             and pass without running (.ci/run sets it)"
        );
    }
    // The S3 tests need an S3-compatible server; one given from outside is
    // used as it is, otherwise a local moto runs for the tests' duration
    // (the guard stops it on every way out, failures included).
    let s3 = if std::env::var_os(S3_ENDPOINT_VAR).is_some_and(|v| !v.is_empty()) {
        None
    } else {
        Some(MotoServer::start()?)
    };
    let mut tests = cargo();
    tests.args([
        "nextest",
        "run",
        "--workspace",
        "--locked",
        "--no-fail-fast",
    ]);
    // Most tests wait on a server process, a socket or a database more
    // than they compute, so one test per CPU leaves the CPUs idle: on 2
    // CPUs the run took 136 s with 2 threads and 97 s with 4.
    let threads = 2 * std::thread::available_parallelism().map_or(1, usize::from);
    tests.args(["--test-threads", &threads.to_string()]);
    // The MCP test drives /mcp with the official Python SDK, from a venv
    // of its own.
    let mcp_python = python_tool("mcp", MCP_REQUIREMENT, "python")?;
    tests.env(MCP_PYTHON_VAR, &mcp_python);
    let mut doc_tests = cargo();
    doc_tests.args(["test", "--workspace", "--locked", "--doc"]);
    if let Some(server) = &s3 {
        tests.env(S3_ENDPOINT_VAR, &server.endpoint);
        doc_tests.env(S3_ENDPOINT_VAR, &server.endpoint);
    }
    run("tests (nextest)", tests)?;
    run("doc tests", doc_tests)?;
    drop(s3);

    // The soak's short form: mixed traffic under the real limits
    // on the debug build the tests just built; `cargo xtask bench --soak`
    // is the long one.
    eprintln!("==> soak (short)");
    let started_soak = Instant::now();
    bench::run(&bench::Args {
        soak: true,
        duration: Some(Duration::from_secs(20)),
        debug_build: true,
        ..bench::Args::default()
    })?;
    eprintln!(
        "<== soak (short): {:.1}s",
        started_soak.elapsed().as_secs_f64()
    );

    // Clippy's checks share nothing with the test build but its build
    // scripts and proc macros, and the fuzz keeps only about one CPU busy
    // for its three minutes (one Python process generates the requests):
    // clippy runs beside it, at a lower priority, so the fuzz keeps most of
    // its CPU (on 2 CPUs it generated 12,500 to 13,900 cases so, 15,000
    // alone). Lints therefore report after the tests, not before.
    let mut clippy = Command::new("nice");
    clippy
        .args(["-n", "10"])
        .arg(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args([
            "clippy",
            "--quiet",
            "--workspace",
            "--all-targets",
            "--locked",
        ])
        .args(["--", "-D", "warnings"])
        .current_dir(root());
    let clippy = Beside::start("clippy (beside the fuzz)", clippy)?;
    let fuzzed = openapi_fuzz::run(&openapi_fuzz::Args::default());
    let linted = clippy.finish();
    fuzzed.and(linted)?;

    if !has_cargo_subcommand("deny") {
        let mut install = cargo();
        install.args(["install", "cargo-deny", "--locked"]);
        run("install cargo-deny", install)?;
    }
    // `advisories` needs the advisory database from the network, which CI
    // machines cannot reach; licences, bans (with the layering wrappers)
    // and sources are all checked offline.
    let mut deny = cargo();
    deny.args(["deny", "--locked", "check", "licenses", "bans", "sources"]);
    run("cargo deny", deny)?;

    eprintln!("ci: all green in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Where the MCP test finds a Python with the MCP SDK.
const MCP_PYTHON_VAR: &str = "AISPACE_TEST_MCP_PYTHON";

/// Pinned: the client the MCP test speaks for every agent runtime.
const MCP_REQUIREMENT: &str = "mcp==2.3.0";

/// Where tests find the S3-compatible server (aispace_testkit::s3).
const S3_ENDPOINT_VAR: &str = "AISPACE_TEST_S3_ENDPOINT";

/// Pinned so that every machine tests against the same S3 behaviour.
const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";

/// How long moto may take to answer after it starts (it imports a lot).
const MOTO_START_TIMEOUT: Duration = Duration::from_secs(30);

/// moto's S3 server on a free loopback port, stopped when dropped.
struct MotoServer {
    child: Child,
    endpoint: String,
}

impl MotoServer {
    /// Installs moto into `target/tools/moto` (once), starts it and waits
    /// until it answers HTTP.
    fn start() -> Result<MotoServer, String> {
        let server = python_tool("moto", MOTO_REQUIREMENT, "moto_server")?;
        let venv = root().join("target").join("tools").join("moto");

        let step = "start S3 test server (moto)";
        eprintln!("==> {step}");
        let started = Instant::now();
        // Ask the OS for a free port; moto binds it a moment later (another
        // process taking it in between would show as a start failure).
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map_err(|e| format!("{step}: finding a free port: {e}"))?
            .port();
        let log_path = venv.with_file_name("moto-server.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("{step}: creating {}: {e}", log_path.display()))?;
        let log_too = log
            .try_clone()
            .map_err(|e| format!("{step}: {}: {e}", log_path.display()))?;
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_too)
            .spawn()
            .map_err(|e| format!("{step}: could not start {}: {e}", server.display()))?;
        // The guard exists from here on, so every failure below stops moto.
        let mut moto = MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + MOTO_START_TIMEOUT;
        // Until it answers HTTP at all.
        while bench::Client::new(addr).send("GET", "/", &[], &[]).is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                return Err(format!(
                    "{step}: moto_server exited ({status}); see {}",
                    log_path.display()
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{step}: moto_server did not answer on {} within {} s; see {}",
                    moto.endpoint,
                    MOTO_START_TIMEOUT.as_secs(),
                    log_path.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "<== {step}: {} in {:.1}s",
            moto.endpoint,
            started.elapsed().as_secs_f64()
        );
        Ok(moto)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `executable` of a Python tool installed (once) into a venv of its own,
/// `target/tools/<name>`: the machine's Python stays untouched.
fn python_tool(name: &str, requirement: &str, executable: &str) -> Result<PathBuf, String> {
    let venv = root().join("target").join("tools").join(name);
    let path = venv.join("bin").join(executable);
    if !path.exists() {
        let uv = uv()?;
        let mut create = Command::new(&uv);
        create
            .args(["venv", "--quiet", "--clear", "--no-python-downloads"])
            .args(["--python", "python3"])
            .arg(&venv);
        run(&format!("create a venv for {name}"), create)?;
        let mut install = Command::new(&uv);
        install
            .args(["pip", "install", "--quiet", "--python"])
            .arg(venv.join("bin").join("python"))
            .arg(requirement);
        run(&format!("install {requirement}"), install)?;
    }
    Ok(path)
}

/// Pinned: what installs the Python tools. uv fetches and links a tool
/// in seconds where pip took tens (moto alone 36 s), which a clean CI
/// run pays for every tool.
const UV_REQUIREMENT: &str = "uv==0.13.9";

/// uv, installed (once) with pip into `target/tools/uv`.
fn uv() -> Result<PathBuf, String> {
    let venv = root().join("target").join("tools").join("uv");
    let uv = venv.join("bin").join("uv");
    if !uv.exists() {
        let mut create = Command::new("python3");
        create.args(["-m", "venv", "--clear"]).arg(&venv);
        run("create a venv for uv", create)?;
        let mut pip = Command::new(venv.join("bin").join("pip"));
        pip.args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            UV_REQUIREMENT,
        ]);
        run(&format!("install {UV_REQUIREMENT}"), pip)?;
    }
    Ok(uv)
}
