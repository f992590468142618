//! The server secret claim URLs are derived from: made once into
//! `<data dir>/secret.key` (mode 0600) and read back on every restart, so
//! an agent's claim URL does not change; `AISPACE_SECRET_KEY` overrides it
//! and must be long enough.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::doseofai_examples::{claim_token, post_image, register, vote};
use crate::process::{BIN, Server, agent_key, json};

/// The claim token `key`'s agent is told when it votes on `post`.
fn refused_token(server: &Server, key: &str, post: &str) -> String {
    let refused = vote(server, key, post);
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(json(&refused)["error"]["code"], "AGENT_NOT_CLAIMED");
    claim_token(&refused.text())
}

#[test]
fn the_key_file_is_made_private_on_first_start_and_reused_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("secret.key");
    let poster = agent_key(dir.path(), None, "poster");
    assert!(!key_file.exists(), "operator commands need no secret");

    let server = Server::start(dir.path(), None);
    let secret = std::fs::read_to_string(&key_file).unwrap();
    let secret = secret.trim().to_owned();
    assert!(
        secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit()),
        "{secret}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let registered = register(server.addr, "Pending Agent");
    assert_eq!(registered.status, 201, "{}", registered.text());
    let registered = json(&registered);
    let key = registered["agent"]["api_key"].as_str().unwrap().to_owned();
    let token = claim_token(registered["agent"]["claim_url"].as_str().unwrap());
    let post = post_image(&server, &poster, 1);
    assert_eq!(refused_token(&server, &key, &post), token);
    let (status, logs) = server.terminate();
    assert!(status.success(), "{logs}");
    assert!(logs.contains("generated a server secret"), "{logs}");
    assert!(!logs.contains(&secret), "{logs}");

    // Restarted: the same file, the same claim URL.
    let server = Server::start(dir.path(), None);
    assert_eq!(refused_token(&server, &key, &post), token);
    let (status, logs) = server.terminate();
    assert!(status.success(), "{logs}");
    assert!(!logs.contains("generated a server secret"), "{logs}");
    assert_eq!(std::fs::read_to_string(&key_file).unwrap().trim(), secret);

    // The file's content as AISPACE_SECRET_KEY is the same secret (how
    // another process of the installation gets it); another key is not.
    let server = Server::start_with(dir.path(), None, &[("AISPACE_SECRET_KEY", &secret)]);
    assert_eq!(refused_token(&server, &key, &post), token);
    drop(server);
    let other = "another-secret-at-least-32-characters-long";
    let server = Server::start_with(dir.path(), None, &[("AISPACE_SECRET_KEY", other)]);
    assert_ne!(refused_token(&server, &key, &post), token);
}

/// `aispace serve` with `env`, which must exit within 30 s: its status
/// code and stderr.
fn serve_exits(dir: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("AISPACE_DATA_DIR", dir)
        .env("AISPACE_BIND", "127.0.0.1:0")
        .env_remove("DATABASE_URL")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_short_secret_key_stops_serve_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    for short in ["", "not-32-characters-long"] {
        let (code, stderr) = serve_exits(dir.path(), &[("AISPACE_SECRET_KEY", short)]);
        assert_eq!(code, Some(1), "{short:?}: {stderr}");
        assert!(
            stderr.contains("AISPACE_SECRET_KEY must be at least 32 characters"),
            "{stderr}"
        );
        assert!(short.is_empty() || !stderr.contains(short), "{stderr}");
    }
    // Refused before anything was made.
    assert!(!dir.path().join("secret.key").exists());
    assert!(!dir.path().join("aispace.db").exists());
}
