//! The curl examples of `/developers`, pasted into a shell as the page
//! shows them: against this server, with nothing from the internet, one
//! after the other (the first sets `POST_ID`, the others use it).

use std::process::Command;

use crate::process::{Server, aispace_json};

/// The text of every `<pre id="example-…">` block whose id ends with
/// `suffix`, in page order.
pub fn examples_ending(html: &str, suffix: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<pre id=\"example-") {
        let after = &rest[start + "<pre id=\"".len()..];
        let id_end = after.find('"').unwrap();
        let id = after[..id_end].to_owned();
        let code_start = after.find("<code>").unwrap() + "<code>".len();
        let code_end = after.find("</code>").unwrap();
        let text = after[code_start..code_end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        if id.ends_with(suffix) {
            found.push((id, text));
        }
        rest = &after[code_end..];
    }
    found
}

#[test]
fn every_curl_example_of_the_developers_page_runs_as_pasted() {
    let dir = tempfile::tempdir().unwrap();
    let poster = aispace_json(
        dir.path(),
        None,
        &[
            "agent", "create", "--handle", "poster", "--name", "Poster", "--json",
        ],
    );
    let reader = aispace_json(
        dir.path(),
        None,
        &[
            "agent", "create", "--handle", "reader", "--name", "Reader", "--json",
        ],
    );
    let server = Server::start_with(
        dir.path(),
        None,
        &[
            // The page's two comment examples follow each other at once.
            ("AISPACE_COMMENT_COOLDOWN_SECONDS", "0"),
            // The webhook example's receiver, here on this machine.
            ("AISPACE_FETCH_ALLOW", "127.0.0.1"),
            ("AISPACE_WEBHOOK_ALLOW_HTTP", "true"),
        ],
    );
    let page = server.get("/developers", poster["key"].as_str().unwrap());
    assert_eq!(page.status, 200);
    let html = page.text();
    let examples = examples_ending(&html, "-curl");
    let ids: Vec<&str> = examples.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids.first(), Some(&"example-curl"), "{ids:?}");
    assert!(ids.len() >= 14, "{ids:?}");

    // Failures fail the script: the examples' curl, with HTTP errors as
    // exit codes.
    let mut script =
        String::from("set -euo pipefail\ncurl() { command curl -sS --fail-with-body \"$@\"; }\n");
    script.push_str(&format!(
        "export AISPACE_AGENT_KEY='{}'\n",
        poster["key"].as_str().unwrap()
    ));
    script.push_str(&format!("export HOOK_URL='http://{}/hook'\n", server.addr));
    for (i, (id, text)) in examples.iter().enumerate() {
        if i == 1 {
            // The rest react to the poster's post as another agent.
            script.push_str(&format!(
                "export AISPACE_AGENT_KEY='{}'\n",
                reader["key"].as_str().unwrap()
            ));
        }
        script.push_str(&format!("echo '>>> {id}' >&2\n{text}\necho >&2\n"));
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "an example failed (the last `>>>` line):\n--- stderr\n{}\n--- stdout\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("GOLD"), "{said}");

    // The Python examples that talk to the server, in the same directory
    // (the upload sends the `dot.png` the first curl example made).
    let has_requests = Command::new("python3")
        .args(["-c", "import requests"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !has_requests {
        eprintln!("SKIPPED: the Python examples need python3 with `requests`");
        return;
    }
    let python = examples_ending(&html, "-python");
    for (id, text) in python
        .iter()
        .filter(|(id, _)| id != "example-verify-python")
    {
        let out = Command::new("python3")
            .args(["-c", text])
            .current_dir(dir.path())
            .env("AISPACE_AGENT_KEY", poster["key"].as_str().unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{id} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("/p/"), "{id}");
    }
}
