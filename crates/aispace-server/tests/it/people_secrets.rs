//! A person's whole visit to `aispace serve`, logged at trace level: sign
//! up, a wrong and a right password, claim a self-registered agent, make
//! an agent and keys on the owner's page, store an image provider whose
//! key the agent's meme then uses. Afterwards no password, session id,
//! CSRF token, agent key, claim token or provider key is in the logs, and
//! the provider key is not readable in the database files.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

use aispace_testkit::fake_provider::{Answer, FakeProvider, GENERATIONS};
use aispace_testkit::http::{self, Response};
use serde_json::json;

use crate::doseofai_examples::{claim_token, register};
use crate::process::{Server, json};

const PASSWORD: &str = "a long passphrase 7c1e";
const WRONG_PASSWORD: &str = "not the passphrase 99af";
const PROVIDER_KEY: &str = "sk-owner-provider-5b0d6a4e93f1";

fn form(addr: SocketAddr, path: &str, cookies: &str, fields: &[(&str, &str)]) -> Response {
    let body = http::form_body(fields);
    http::request(
        addr,
        "POST",
        path,
        &[
            ("Cookie", cookies),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &body,
    )
    .unwrap()
}

fn page(addr: SocketAddr, path: &str, cookies: &str) -> Response {
    http::request(addr, "GET", path, &[("Cookie", cookies)], b"").unwrap()
}

fn text(resp: &Response) -> String {
    String::from_utf8_lossy(&resp.body).into_owned()
}

/// The value the answer's `Set-Cookie` gives `name`.
fn cookie(resp: &Response, name: &str) -> String {
    resp.headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .find_map(|(_, v)| v.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie: {:?}", resp.headers))
        .to_owned()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn shown_key(html: &str) -> String {
    let marker = "id=\"new-key-value\">";
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no key: {html}"))
        + marker.len();
    html[start..].split('<').next().unwrap().to_owned()
}

/// `(double-submit cookie, form token)` of a pre-sign-in form.
fn open_form(addr: SocketAddr, path: &str) -> (String, String) {
    let shown = page(addr, path, "");
    assert_eq!(shown.status, 200);
    (
        cookie(&shown, "aispace_csrf"),
        hidden(&text(&shown), "csrf"),
    )
}

/// Every 16-character piece of `secret` that shows in `haystack`.
fn leaked<'a>(haystack: &[u8], secret: &'a str) -> Option<&'a str> {
    let width = 16.min(secret.len());
    (0..=secret.len() - width)
        .map(|at| &secret[at..at + width])
        .find(|piece| haystack.windows(piece.len()).any(|w| w == piece.as_bytes()))
}

fn database_bytes(data: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["aispace.db", "aispace.db-wal", "aispace.db-shm"] {
        if let Ok(bytes) = std::fs::read(data.join(name)) {
            all.extend(bytes);
        }
    }
    assert!(!all.is_empty(), "no database files in {}", data.display());
    all
}

#[test]
fn no_password_session_token_key_or_provider_key_reaches_the_logs_or_the_database_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let provider = FakeProvider::start(Ipv4Addr::LOCALHOST, |request| {
        if request.path == GENERATIONS {
            Answer::B64Png {
                width: 640,
                height: 480,
            }
        } else {
            Answer::Json(404, json!({"error": {"message": "no such path"}}))
        }
    })
    .unwrap();
    let server = Server::start_with(
        data,
        None,
        &[
            ("RUST_LOG", "trace"),
            ("AISPACE_FETCH_ALLOW", "127.0.0.1/32"),
        ],
    );
    let addr = server.addr;

    // Sign up, sign out, a wrong password, then the right one.
    let (csrf_cookie, token) = open_form(addr, "/signup");
    let signed_up = form(
        addr,
        "/signup",
        &format!("aispace_csrf={csrf_cookie}"),
        &[
            ("username", "ada"),
            ("password", PASSWORD),
            ("csrf", &token),
        ],
    );
    assert_eq!(signed_up.status, 303, "{}", text(&signed_up));
    let first_session = cookie(&signed_up, "aispace_session");
    let cookies = format!("aispace_session={first_session}");
    let owner_page = text(&page(addr, "/owner", &cookies));
    let first_csrf = hidden(&owner_page, "csrf");
    assert_eq!(
        form(addr, "/signout", &cookies, &[("csrf", &first_csrf)]).status,
        303
    );
    let (csrf_cookie, token) = open_form(addr, "/signin");
    let wrong = form(
        addr,
        "/signin",
        &format!("aispace_csrf={csrf_cookie}"),
        &[
            ("username", "ada"),
            ("password", WRONG_PASSWORD),
            ("csrf", &token),
        ],
    );
    assert_eq!(wrong.status, 401);
    let signed_in = form(
        addr,
        "/signin",
        &format!("aispace_csrf={csrf_cookie}"),
        &[
            ("username", "ada"),
            ("password", PASSWORD),
            ("csrf", &token),
        ],
    );
    assert_eq!(signed_in.status, 303, "{}", text(&signed_in));
    let session = cookie(&signed_in, "aispace_session");
    let cookies = format!("aispace_session={session}");
    let csrf = hidden(&text(&page(addr, "/owner", &cookies)), "csrf");

    // Claim a self-registered agent.
    let registered = json(&register(addr, "Newcomer Bot"));
    let claim = claim_token(registered["agent"]["claim_url"].as_str().unwrap());
    let code = registered["agent"]["verification_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let newcomer_key = registered["agent"]["api_key"].as_str().unwrap().to_owned();
    let claimed = form(
        addr,
        &format!("/claim/{claim}"),
        &cookies,
        &[("code", &code), ("csrf", &csrf)],
    );
    assert_eq!(claimed.status, 303, "{}", text(&claimed));

    // An agent and a second key on the owner's page, and the provider.
    let made = form(
        addr,
        "/owner/agents",
        &cookies,
        &[("slug", "painter"), ("csrf", &csrf)],
    );
    assert_eq!(made.status, 200, "{}", text(&made));
    let key = shown_key(&text(&made));
    let second = shown_key(&text(&form(
        addr,
        "/owner/agents/painter/keys",
        &cookies,
        &[("csrf", &csrf)],
    )));
    let stored = form(
        addr,
        "/owner/provider",
        &cookies,
        &[
            ("base_url", &provider.url()),
            ("model", "owner-model"),
            ("api_key", PROVIDER_KEY),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(stored.status, 303, "{}", text(&stored));

    // The agent's meme is drawn by the owner's provider, with its key.
    let meme = server.post_json(
        "/api/v1/memes",
        &key,
        &json!({"concept": "a cat reviewing code", "topCaption": "looks good", "bottomCaption": "to me"}),
    );
    assert_eq!(meme.status, 201, "{}", meme.text());
    assert!(
        json(&meme)["modelUsed"]
            .as_str()
            .unwrap()
            .ends_with("/owner-model"),
        "{}",
        meme.text()
    );
    let asked = provider.requests();
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0].header("authorization"),
        Some(format!("Bearer {PROVIDER_KEY}").as_str())
    );

    let (status, logs) = server.terminate();
    assert!(status.success(), "{logs}");
    assert!(logs.contains(" TRACE "), "not logged at trace level");
    assert!(logs.contains("path=\"/owner/provider\""), "{logs}");
    let key_secret = |k: &str| k.split_once('.').unwrap().1.to_owned();
    let newcomer_secret = newcomer_key["doseofai_".len() + 12..].to_owned();
    for (what, secret) in [
        ("the password", PASSWORD.to_owned()),
        ("the wrong password", WRONG_PASSWORD.to_owned()),
        ("a session id", first_session.clone()),
        ("a session id", session.clone()),
        ("a CSRF token", csrf.clone()),
        ("a claim token", claim.clone()),
        ("a key made on the owner page", key_secret(&key)),
        ("a key issued on the owner page", key_secret(&second)),
        ("a self-registered key", newcomer_secret),
        ("the provider key", PROVIDER_KEY.to_owned()),
    ] {
        if let Some(piece) = leaked(logs.as_bytes(), &secret) {
            let line = logs.lines().find(|l| l.contains(piece));
            panic!("{what} reached the logs: {line:?}");
        }
    }
    let line = logs.lines().find(|l| l.contains(&code));
    assert!(
        line.is_none(),
        "the verification code reached the logs: {line:?}"
    );

    // What a copy of the database gives away: not the provider key, not
    // the password, not a session id (only hashes of them).
    let stored = database_bytes(data);
    for (what, secret) in [
        ("the provider key", PROVIDER_KEY),
        ("the password", PASSWORD),
        ("a session id", session.as_str()),
    ] {
        assert_eq!(
            leaked(&stored, secret),
            None,
            "{what} is readable in the database file"
        );
    }
}
