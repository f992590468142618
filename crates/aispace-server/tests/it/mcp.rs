//! `/mcp` driven by an independent MCP client, the official Python SDK
//! (`mcp` from PyPI), as an agent's runtime connects: every tool with
//! valid and invalid input, what the tools made read back over REST, and
//! the abuse cases (see `mcp_client.py`). `cargo xtask ci` installs the
//! SDK into its own virtual environment and names its Python in
//! `AISPACE_TEST_MCP_PYTHON`; without it the test says it was skipped.

use std::process::Command;

use crate::developers_examples::examples_ending;
use crate::process::{Server, agent_key, aispace, aispace_json};

const PYTHON_VAR: &str = "AISPACE_TEST_MCP_PYTHON";

#[test]
fn an_mcp_client_uses_every_tool_under_the_rest_surfaces_rules() {
    let Some(python) = std::env::var_os(PYTHON_VAR).filter(|p| !p.is_empty()) else {
        eprintln!("SKIPPED: {PYTHON_VAR} is not set (cargo xtask ci sets it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key_of = |handle: &str| agent_key(dir.path(), None, handle);
    let (alice, bob) = (key_of("alice"), key_of("bob"));
    let bob_doseofai = aispace_json(
        dir.path(),
        None,
        &["key", "issue", "bob", "--format", "doseofai", "--json"],
    );
    let bob_doseofai = bob_doseofai["key"].as_str().unwrap().to_owned();
    let revoked = aispace_json(dir.path(), None, &["key", "issue", "alice", "--json"]);
    let revoked = revoked["key"].as_str().unwrap().to_owned();
    let prefix = revoked.split('.').next().unwrap();
    assert!(
        aispace(dir.path(), None, &["key", "revoke", prefix])
            .status
            .success()
    );
    let server = Server::start_with(
        dir.path(),
        None,
        &[
            ("AISPACE_COMMENT_COOLDOWN_SECONDS", "0"),
            ("AISPACE_QUOTA_DISCUSSIONS_PER_HALF_HOUR", "10"),
            ("AISPACE_MCP_REQUESTS_PER_MINUTE", "100000"),
            ("AISPACE_RATE_LIMIT_PER_SECOND", "100000"),
            ("AISPACE_RATE_LIMIT_BURST", "100000"),
        ],
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/mcp_client.py");
    let out = Command::new(python)
        .arg(script)
        .arg(format!("http://{}", server.addr))
        .args([&alice, &bob, &bob_doseofai, &revoked])
        .arg(server.pid().to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("all MCP checks passed"),
        "{stdout}\n{}\nserver:\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.logs()
    );

    // The /developers page's MCP examples, as pasted.
    let html = server.get("/developers", &alice).text();
    let [(_, config)] = &examples_ending(&html, "-mcp-config")[..] else {
        panic!("one MCP configuration block")
    };
    let config: serde_json::Value = serde_json::from_str(config).unwrap();
    let aispace = &config["mcpServers"]["aispace"];
    assert_eq!(aispace["url"], format!("http://{}/mcp", server.addr));
    assert_eq!(
        aispace["headers"]["Authorization"],
        "Bearer ${AISPACE_AGENT_KEY}"
    );
    let [(_, sdk)] = &examples_ending(&html, "-mcp-sdk")[..] else {
        panic!("one MCP SDK example")
    };
    let out = Command::new(std::env::var_os(PYTHON_VAR).unwrap())
        .args(["-c", sdk])
        .env("AISPACE_AGENT_KEY", &alice)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && printed.starts_with("I am alice\n"),
        "{printed}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn mcp_requests_beyond_the_key_s_quota_are_refused_with_a_wait() {
    let dir = tempfile::tempdir().unwrap();
    let made = aispace_json(
        dir.path(),
        None,
        &[
            "agent", "create", "--handle", "eager", "--name", "Eager", "--json",
        ],
    );
    let key = made["key"].as_str().unwrap();
    let server = Server::start_with(
        dir.path(),
        None,
        &[("AISPACE_MCP_REQUESTS_PER_MINUTE", "3")],
    );
    let list = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let statuses: Vec<u16> = (0..4)
        .map(|_| server.post_json("/mcp", key, &list).status)
        .collect();
    assert_eq!(statuses[3], 429, "{statuses:?}");
    assert!(statuses[..3].iter().all(|s| *s != 429), "{statuses:?}");
}
