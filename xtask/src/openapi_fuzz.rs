//! `cargo xtask openapi-fuzz`: schemathesis against the server's own OpenAPI
//! document, with every check it has, on a fresh SQLite data directory.
//!
//! It finds where the document and the server disagree: a request the
//! document allows that the server refuses (or the reverse), an answer that
//! breaks its schema, an undocumented status, a server error. The run is
//! bounded (a fixed number of cases per operation and phase, a time budget)
//! and reproducible (a fixed seed unless `--seed` says otherwise).
//!
//! The server and schemathesis run in a network namespace of their own
//! (`unshare --net`, unprivileged through a user namespace) that has only
//! loopback: the fuzzer's image and webhook URLs can reach nothing outside,
//! and no DNS answers, so the server's fetcher refuses them as it would an
//! unresolvable host.
//!
//! A few rules of the server no schema can state (a cursor must be one the
//! server issued, `page` × `limit` at most 10,000, a community must exist);
//! `xtask/openapi_fuzz_hooks.py` names each and drops exactly the reports
//! they cause.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::bench::{Server, ServerEnv, TempDir, create_agents};

/// Pinned: a newer schemathesis brings new checks, which should arrive as a
/// change of their own.
const SCHEMATHESIS_REQUIREMENT: &str = "schemathesis==4.32.5";

/// Set on the inner run, inside the namespace.
const INSIDE_VAR: &str = "AISPACE_OPENAPI_FUZZ_INSIDE";

/// A fixed seed, a fixed number of cases and a time budget: with the debug
/// build on two cores, 30 examples take about four minutes, so the stateful
/// phase ends early rather than CI growing past its budget.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Cases per operation and phase.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    max_examples: u32,
    #[arg(long, default_value_t = 20_261_205)]
    seed: u64,
    /// A bound on the whole run, in seconds.
    #[arg(long, default_value_t = 180, value_parser = clap::value_parser!(u32).range(1..))]
    max_time: u32,
}

impl Default for Args {
    fn default() -> Args {
        Args {
            max_examples: 30,
            seed: 20_261_205,
            max_time: 180,
        }
    }
}

pub fn run(options: &Args) -> Result<(), String> {
    if std::env::var_os(INSIDE_VAR).is_some() {
        return inside(options);
    }
    let bin = crate::bench::target_dir()
        .join("debug")
        .join(format!("aispace{}", std::env::consts::EXE_SUFFIX));
    // `cargo xtask ci` fuzzes the binary its tests just built.
    if !bin.exists() {
        let mut build = crate::cargo();
        build.args(["build", "-p", "aispace-server"]);
        crate::run("debug build", build)?;
    }
    crate::python_tool("schemathesis", SCHEMATHESIS_REQUIREMENT, "st")?;

    let namespace_works = Command::new("unshare")
        .args(["--net", "--map-root-user", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !namespace_works {
        return Err(
            "openapi-fuzz runs the server in a network namespace of its own, and \
             `unshare --net --map-root-user` is not permitted here (util-linux's unshare, \
             with unprivileged user namespaces enabled)"
                .into(),
        );
    }
    let xtask = std::env::current_exe().map_err(|e| format!("finding xtask itself: {e}"))?;
    let mut inner = Command::new("unshare");
    inner
        .args(["--net", "--map-root-user", "--"])
        .arg(xtask)
        .arg("openapi-fuzz")
        .args(["--max-examples", &options.max_examples.to_string()])
        .args([
            "--seed",
            &options.seed.to_string(),
            "--max-time",
            &options.max_time.to_string(),
        ])
        .env(INSIDE_VAR, "1")
        .current_dir(crate::root());
    crate::run("OpenAPI fuzz (schemathesis, loopback only)", inner)
}

/// Inside the namespace: loopback up, a server, one agent, schemathesis.
fn inside(options: &Args) -> Result<(), String> {
    let mut up = Command::new("ip");
    up.args(["link", "set", "lo", "up"]);
    let status = up
        .status()
        .map_err(|e| format!("bringing loopback up with `ip` (iproute2): {e}"))?;
    if !status.success() {
        return Err(format!("`ip link set lo up` failed ({status})"));
    }

    let bin = crate::bench::target_dir()
        .join("debug")
        .join(format!("aispace{}", std::env::consts::EXE_SUFFIX));
    let data = TempDir::create()?;
    let env = ServerEnv::new(None, &[]);
    let key = create_agents(&bin, data.path(), &env, 1)?
        .pop()
        .ok_or("no agent was created")?;
    let mut server = Server::start(&bin, data.path(), &env)?;

    let work = crate::bench::target_dir().join("openapi-fuzz");
    std::fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    let started = Instant::now();
    let status = schemathesis(options, &server, &key, &work)?
        .status()
        .map_err(|e| format!("starting schemathesis: {e}"))?;
    eprintln!(
        "openapi-fuzz: schemathesis ran {:.1}s (seed {}, {} examples per operation and phase)",
        started.elapsed().as_secs_f64(),
        options.seed,
        options.max_examples
    );
    // A server that died under the fuzz is a failure of its own.
    server.check_running()?;
    server.stop()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "schemathesis found failures ({status}); each comes with a curl line to \
             reproduce it against `aispace serve`"
        ))
    }
}

fn schemathesis(
    options: &Args,
    server: &Server,
    key: &str,
    work: &Path,
) -> Result<Command, String> {
    let st = crate::python_tool("schemathesis", SCHEMATHESIS_REQUIREMENT, "st")?;
    let mut cmd = Command::new(st);
    cmd.arg("run")
        .arg(format!("http://{}/api/openapi.json", server.addr))
        .args(["--header", &format!("Authorization: Bearer {key}")])
        .args(["--checks", "all"])
        .args(["--max-examples", &options.max_examples.to_string()])
        .args(["--seed", &options.seed.to_string()])
        .args(["--max-time", &options.max_time.to_string()])
        .args(["--workers", "2", "--request-timeout", "10", "--no-color"])
        .env("SCHEMATHESIS_HOOKS", "openapi_fuzz_hooks")
        .env("PYTHONPATH", crate::root().join("xtask"))
        // Its reports and Hypothesis's example database stay under target/.
        .current_dir(work);
    Ok(cmd)
}
