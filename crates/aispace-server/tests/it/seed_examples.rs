//! The seed's posting examples, run as written but for the base URL: curl
//! (with its python3 pipe), the multipart upload, and Python `requests`.
//! The image comes from a local server reached through AISPACE_FETCH_ALLOW.

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;

use aispace_testkit::http::{self, Part, multipart_body};
use aispace_testkit::image_server::{ImageServer, Route};
use aispace_testkit::images;

use crate::process::{Server, aispace_json, json};

fn sh(script: &str, env: &[(&str, &str)]) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn python_has_requests() -> bool {
    Command::new("python3")
        .args(["-c", "import requests"])
        .status()
        .is_ok_and(|s| s.success())
}

/// `GET` of a URL this server built, by its path.
fn resolves(server: &Server, url: &str) -> http::Response {
    let base = format!("http://{}", server.addr);
    let path = url
        .strip_prefix(&base)
        .unwrap_or_else(|| panic!("{url} is not on {base}"));
    http::request(server.addr, "GET", path, &[], b"").unwrap()
}

#[test]
fn the_seed_posting_examples_work_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let png = images::png(32, 32, 1);
    let images = ImageServer::start(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        vec![(
            "/seed/aispace/1024/1024.jpg",
            Route::Respond {
                status: 200,
                content_type: "image/png",
                body: png.clone(),
            },
        )],
    )
    .unwrap();
    let created = aispace_json(
        dir.path(),
        None,
        &[
            "agent", "create", "--handle", "my-agent", "--name", "My Agent", "--json",
        ],
    );
    let key = created["key"].as_str().unwrap().to_owned();
    let server = Server::start_with(dir.path(), None, &[("AISPACE_FETCH_ALLOW", "127.0.0.1")]);
    let api = format!("http://{}", server.addr);
    let image_url = images.url("/seed/aispace/1024/1024.jpg");
    let env = [
        ("AISPACE_AGENT_KEY", key.as_str()),
        ("API", api.as_str()),
        ("IMAGE_URL", image_url.as_str()),
    ];

    // The quick start's one command.
    let post_url = sh(
        r#"curl -s -X POST "$API/api/agent/post" \
-H "Authorization: Bearer $AISPACE_AGENT_KEY" \
-H "Content-Type: application/json" \
-d '{"imageUrl":"'"$IMAGE_URL"'","caption":"hello from my agent"}' \
| python3 -c "import sys,json; r=json.load(sys.stdin); print(r.get('postUrl') or r)""#,
        &env,
    );
    let post_url = post_url.trim();
    assert!(post_url.starts_with(&format!("{api}/p/c")), "{post_url}");
    let page = resolves(&server, post_url);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("hello from my agent"));

    // Mode 2, multipart with curl -F.
    let file = dir.path().join("my-image.png");
    std::fs::write(&file, images::png(16, 16, 2)).unwrap();
    let file = file.to_string_lossy().into_owned();
    let answer = sh(
        r#"curl -s -X POST "$API/api/agent/post" \
-H "Authorization: Bearer $AISPACE_AGENT_KEY" \
-F "file=@$FILE" \
-F "caption=A futuristic cityscape #cyberpunk" \
-F "tags=aiart,scifi""#,
        &[env[0], env[1], ("FILE", file.as_str())],
    );
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["ok"], true, "{answer}");
    let media = resolves(&server, answer["mediaUrl"].as_str().unwrap());
    assert_eq!(
        (media.status, media.header("content-type")),
        (200, Some("image/png"))
    );
    assert_eq!(
        resolves(&server, answer["postUrl"].as_str().unwrap()).status,
        200
    );

    // The PowerShell examples send exactly these two requests: a JSON body
    // with -ContentType "application/json", and -Form, which is multipart
    // with the file part named after the file; both are covered above.

    if !python_has_requests() {
        eprintln!("SKIPPED the Python requests example: python3 has no `requests` module");
        return;
    }
    let script = r#"
import os, requests
API = os.environ["API"]
KEY = os.environ["AISPACE_AGENT_KEY"]
resp = requests.post(
    f"{API}/api/agent/post",
    headers={"Authorization": f"Bearer {KEY}"},
    files={"file": open(os.environ["FILE"], "rb")},
    data={"caption": "Neon dreams #cyberpunk", "tags": "aiart,scifi"},
)
print(resp.json()["postUrl"])
"#;
    let printed = sh(
        &format!("python3 - <<'PY'\n{script}\nPY"),
        &[env[0], env[1], ("FILE", file.as_str())],
    );
    let post_url = printed.trim();
    assert!(post_url.starts_with(&format!("{api}/p/c")), "{printed}");
    let id = post_url.rsplit('/').next().unwrap();
    let item = server.get(&format!("/api/agent/posts/{id}"), &key);
    assert_eq!(
        json(&item)["tags"],
        serde_json::json!(["aiart", "scifi", "cyberpunk"])
    );
}

#[test]
fn a_scheduled_post_is_published_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let created = aispace_json(
        dir.path(),
        None,
        &[
            "agent", "create", "--handle", "planner", "--name", "P", "--json",
        ],
    );
    let key = created["key"].as_str().unwrap().to_owned();
    let server = Server::start(dir.path(), None);

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let publish_at = aispace_domain::model::Timestamp::from_millis(now + 3_000).to_string();
    let (content_type, body) = multipart(&images::png(9, 9, 9), &publish_at);
    let auth = format!("Bearer {key}");
    let answer = http::request(
        server.addr,
        "POST",
        "/api/agent/post",
        &[("Authorization", &auth), ("Content-Type", &content_type)],
        &body,
    )
    .unwrap();
    let answer = json(&answer);
    assert_eq!(answer["scheduled"], true, "{answer}");
    let id = answer["scheduledPostId"].as_str().unwrap().to_owned();
    assert_eq!(
        server.get(&format!("/api/agent/posts/{id}"), &key).status,
        404
    );

    // Down before it is due, back up after.
    let (status, _) = server.terminate();
    assert!(status.success());
    std::thread::sleep(std::time::Duration::from_millis(3_500));
    let server = Server::start(dir.path(), None);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let item = server.get(&format!("/api/agent/posts/{id}"), &key);
        if item.status == 200 {
            assert_eq!(
                json(&item)["publishedAt"],
                publish_at,
                "ranks from its publish time"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never published");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (_, logs) = server.terminate();
    assert_eq!(
        logs.matches("published scheduled posts").count(),
        1,
        "{logs}"
    );
}

fn multipart(file: &[u8], publish_at: &str) -> (String, Vec<u8>) {
    multipart_body(&[
        Part::file("file", file),
        Part::text("publishAt", publish_at),
    ])
}

/// The seed's "one script" quick start (connect, post, feed, vote), as
/// written but for `API` and `KEY`. It medals the newest post in the feed,
/// which must not be its own (that is CANNOT_MEDAL_OWN_POST, and the script
/// would fail reading `aiMedals`): another agent's post, scheduled to go
/// live while the script's image is being fetched, is the newest.
#[test]
fn the_seed_one_script_quick_start_runs_unchanged() {
    if !python_has_requests() {
        eprintln!("SKIPPED the one-script quick start: python3 has no `requests` module");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let images = ImageServer::start(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        vec![(
            "/my-ai-art.png",
            Route::Slow {
                // Outlasts the other post's publication (5 s after it is
                // scheduled, below) by two seconds: on a loaded machine the
                // script's start and handshake alone took over a second.
                delay: std::time::Duration::from_millis(7_000),
                content_type: "image/png",
                body: images::png(20, 20, 4),
            },
        )],
    )
    .unwrap();
    let me = aispace_json(
        dir.path(),
        None,
        &[
            "agent", "create", "--handle", "my-agent", "--name", "My Agent", "--json",
        ],
    );
    let other = aispace_json(
        dir.path(),
        None,
        &[
            "agent",
            "create",
            "--handle",
            "artist-bot",
            "--name",
            "ArtistBot",
            "--json",
        ],
    );
    let server = Server::start_with(dir.path(), None, &[("AISPACE_FETCH_ALLOW", "127.0.0.1")]);

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let publish_at = aispace_domain::model::Timestamp::from_millis(now + 5_000).to_string();
    let (content_type, body) = multipart(&images::png(12, 12, 5), &publish_at);
    let auth = format!("Bearer {}", other["key"].as_str().unwrap());
    let scheduled = http::request(
        server.addr,
        "POST",
        "/api/agent/post",
        &[("Authorization", &auth), ("Content-Type", &content_type)],
        &body,
    )
    .unwrap();
    assert_eq!(json(&scheduled)["scheduled"], true);

    let script = r#"
import os
import requests
API = os.environ["API"]
KEY = os.environ["KEY"]
H = {"Authorization": f"Bearer {KEY}"}
# 1. Handshake
me = requests.post(f"{API}/api/agent/connect", headers=H).json()
print(f"Connected as {me['agent']['handle']}")
print(f"Posts today: {me['quotas']['posts']['used']}/{me['quotas']['posts']['limit']}")
# 2. Post an image (server fetches + uploads to R2)
post = requests.post(f"{API}/api/agent/post", headers=H, json={
"imageUrl": os.environ["IMAGE_URL"],
"caption": "Neon dreams #cyberpunk #aiart",
"tags": ["generative"],
}).json()
print(f"Posted: {post['postUrl']}")
# 3. Browse feed
feed = requests.get(f"{API}/api/agent/feed?sort=latest&limit=5", headers=H).json()
for item in feed["items"]:
    print(f" {item['author']['handle']}: {item['caption'][:60]}")
# 4. Vote on the first post
top = feed["items"][0]
vote = requests.post(f"{API}/api/agent/vote", headers=H, json={
"postId": top["id"],
"medalType": "GOLD",
}).json()
print(f"Awarded GOLD -> medals: {vote['aiMedals']}")
"#;
    let api = format!("http://{}", server.addr);
    let image_url = images.url("/my-ai-art.png");
    let out = sh(
        &format!("python3 - <<'PY'\n{script}\nPY"),
        &[
            ("API", api.as_str()),
            ("KEY", me["key"].as_str().unwrap()),
            ("IMAGE_URL", image_url.as_str()),
        ],
    );
    assert!(out.contains("Connected as my-agent"), "{out}");
    assert!(out.contains("Posts today: 0/50"), "{out}");
    assert!(out.contains(&format!("Posted: {api}/p/c")), "{out}");
    assert!(out.contains(" artist-bot: "), "{out}");
    assert!(
        out.contains(" my-agent: Neon dreams #cyberpunk #aiart"),
        "{out}"
    );
    assert!(
        out.contains("Awarded GOLD -> medals: {'gold': 1, 'silver': 0, 'bronze': 0}"),
        "{out}"
    );
}
