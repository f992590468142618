//! The pages in a real browser: headless Chromium driven over WebDriver
//! (chromedriver's HTTP API, spoken with the testkit's small client). Opens
//! `/`, clicks a post, sees its image loaded, its caption (an XSS attempt,
//! which must render as text), medals and comments, follows the author
//! link. Screenshots go to `target/browser-artifacts/`.
//!
//! Needs `chromium` and `chromedriver` (Debian's `chromium` and
//! `chromium-driver`; `.ci/run` installs them). Without them the test says
//! SKIPPED, unless `AISPACE_REQUIRE_BROWSER` is set (CI), where it fails.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aispace_testkit::image_server::{ImageServer, Route};
use aispace_testkit::images;
use base64::Engine;
use serde_json::{Value, json};

use crate::doseofai_examples::register;
use crate::process::{Server, agent_key, aispace_json, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const XSS: &str = "<img src=x onerror=alert(1)>";

struct Driver {
    child: Child,
    addr: SocketAddr,
    session: String,
}

impl Driver {
    fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while exchange(addr, "GET", "/status", b"").is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut driver = Driver {
            child,
            addr,
            session: String::new(),
        };
        let created = driver.call(
            "POST",
            "/session",
            &json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                             "--disable-dev-shm-usage", "--window-size=1280,900"],
                },
            }}}),
        );
        driver.session = created["sessionId"].as_str().unwrap().to_owned();
        driver
    }

    /// One WebDriver command; returns `value`, panicking on a WebDriver
    /// error.
    fn call(&self, method: &str, path: &str, body: &Value) -> Value {
        let (status, value) = self.try_call(method, path, body);
        assert!(status < 300, "{method} {path}: {status} {value}");
        value
    }

    fn try_call(&self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        // Only a POST carries a body: chromedriver refuses a DELETE with
        // one, and the browser of a session not deleted outlives the test.
        let body = if method == "POST" {
            body.to_string().into_bytes()
        } else {
            Vec::new()
        };
        let (status, body) = exchange(self.addr, method, path, &body).unwrap();
        let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (status, parsed["value"].clone())
    }

    fn session(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    fn go(&self, url: &str) {
        self.call("POST", &self.session("/url"), &json!({"url": url}));
    }

    fn url(&self) -> String {
        self.call("GET", &self.session("/url"), &Value::Null)
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn find(&self, css: &str) -> String {
        let found = self.call(
            "POST",
            &self.session("/element"),
            &json!({"using": "css selector", "value": css}),
        );
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap()
            .to_owned()
    }

    fn count(&self, css: &str) -> usize {
        self.call(
            "POST",
            &self.session("/elements"),
            &json!({"using": "css selector", "value": css}),
        )
        .as_array()
        .unwrap()
        .len()
    }

    fn text(&self, css: &str) -> String {
        let element = self.find(css);
        self.call(
            "GET",
            &self.session(&format!("/element/{element}/text")),
            &Value::Null,
        )
        .as_str()
        .unwrap()
        .to_owned()
    }

    fn click(&self, css: &str) {
        let element = self.find(css);
        self.call(
            "POST",
            &self.session(&format!("/element/{element}/click")),
            &json!({}),
        );
    }

    /// Types `text` into the field `css`.
    fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.call(
            "POST",
            &self.session(&format!("/element/{element}/value")),
            &json!({ "text": text }),
        );
    }

    /// Resizes the window (CSS pixels).
    fn window(&self, width: u32, height: u32) {
        self.call(
            "POST",
            &self.session("/window/rect"),
            &json!({ "width": width, "height": height }),
        );
    }

    fn script(&self, js: &str) -> Value {
        self.call(
            "POST",
            &self.session("/execute/sync"),
            &json!({"script": js, "args": []}),
        )
    }

    /// No `alert()` ran: WebDriver answers "no such alert".
    fn assert_no_alert(&self) {
        let (status, value) = self.try_call("GET", &self.session("/alert/text"), &Value::Null);
        assert!(status >= 400, "an alert is open: {value}");
    }

    fn wait_until(&self, what: &str, done: impl Fn(&Driver) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn screenshot(&self, dir: &Path, name: &str) {
        let png = self.call("GET", &self.session("/screenshot"), &Value::Null);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let (status, value) = self.try_call("DELETE", &self.session(""), &Value::Null);
            if status >= 300 {
                eprintln!("chromedriver kept the browser: DELETE session {status} {value}");
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange with chromedriver, which keeps connections open
/// whatever the client asks: the body is read by its Content-Length.
fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok((status, body))
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn browser_available() -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present {
        assert!(
            std::env::var_os("AISPACE_REQUIRE_BROWSER").is_none(),
            "AISPACE_REQUIRE_BROWSER is set but {CHROMIUM} or {CHROMEDRIVER} is missing"
        );
        println!("SKIPPED: browser test: {CHROMIUM} and {CHROMEDRIVER} are not installed");
    }
    present
}

#[test]
fn a_person_browses_from_the_grid_to_a_post_and_its_author() {
    if !browser_available() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let png = images::png(640, 360, 9);
    let images = ImageServer::start(
        "127.0.0.1".parse().unwrap(),
        vec![(
            "/photo.png",
            Route::Respond {
                status: 200,
                content_type: "image/png",
                body: png,
            },
        )],
    )
    .unwrap();
    let key = |handle: &str| agent_key(data.path(), None, handle);
    let (artist, critic) = (key("artist"), key("critic"));
    let server = Server::start_with(
        data.path(),
        None,
        &[("AISPACE_FETCH_ALLOW", "127.0.0.1/32")],
    );
    let posted = server.post_json(
        "/api/agent/post",
        &artist,
        &json!({"imageUrl": images.url("/photo.png"), "caption": XSS, "tags": ["test"]}),
    );
    assert_eq!(posted.status, 200, "{}", posted.text());
    let post_id = json(&posted)["postId"].as_str().unwrap().to_owned();
    let voted = server.post_json(
        "/api/agent/vote",
        &critic,
        &json!({"postId": post_id, "medalType": "GOLD"}),
    );
    assert_eq!(voted.status, 200, "{}", voted.text());
    let commented = server.post_json(
        &format!("/api/agent/posts/{post_id}/comments"),
        &critic,
        &json!({"body": "<script>alert(2)</script> lovely"}),
    );
    assert_eq!(commented.status, 200, "{}", commented.text());

    let shots = artifacts();
    let browser = Driver::start();
    let base = format!("http://{}", server.addr);
    browser.go(&format!("{base}/"));
    browser.screenshot(&shots, "1-home");
    assert!(browser.count("a.post-card") >= 1, "no post on the grid");
    browser.click("a.post-card");
    browser.wait_until("the post page", |b| {
        b.url().contains(&format!("/p/{post_id}"))
    });
    browser.wait_until("the image to load", |b| {
        b.script("const i = document.getElementById('post-image'); return i && i.complete ? i.naturalWidth : 0;")
            .as_u64()
            .unwrap_or(0)
            > 0
    });
    assert_eq!(
        browser.script("return document.getElementById('post-image').naturalWidth;"),
        640
    );
    assert_eq!(
        browser.text("#caption"),
        XSS,
        "the caption is shown as text"
    );
    browser.assert_no_alert();
    assert!(
        browser.text("#medals").contains('1'),
        "{}",
        browser.text("#medals")
    );
    assert_eq!(browser.count("#comments li"), 1);
    assert!(
        browser
            .text("#comments li")
            .contains("<script>alert(2)</script> lovely")
    );
    browser.screenshot(&shots, "2-post");

    browser.click("a#author-link");
    browser.wait_until("the author's page", |b| b.url().ends_with("/a/artist"));
    assert!(browser.count("a.post-card") >= 1);
    browser.assert_no_alert();
    browser.screenshot(&shots, "3-author");
}

#[test]
fn a_person_signs_up_claims_an_agent_with_its_code_and_makes_a_key_that_works_on_every_surface() {
    if !browser_available() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let registered = register(server.addr, "Claimable Bot");
    assert_eq!(registered.status, 201, "{}", registered.text());
    let registered = json(&registered);
    let agent = &registered["agent"];
    let (pending_key, claim_url, code) = (
        agent["api_key"].as_str().unwrap().to_owned(),
        agent["claim_url"].as_str().unwrap().to_owned(),
        agent["verification_code"].as_str().unwrap().to_owned(),
    );
    let status = |key: &str| json(&server.get("/api/agents/status", key))["status"].clone();
    assert_eq!(status(&pending_key), "pending_claim");

    let shots = artifacts();
    let browser = Driver::start();
    browser.go(&claim_url);
    browser.screenshot(&shots, "claim-1-signed-out");
    browser.click("#claim-signup");
    browser.wait_until("the sign-up form", |b| b.url().contains("/signup"));
    browser.type_into("#username", "ada");
    browser.type_into("#display_name", "Ada");
    browser.type_into("#password", "a long passphrase 7c1e");
    browser.click("#signup button[type=submit]");
    browser.wait_until("the claim page, signed in", |b| {
        b.url().contains("/claim/") && b.count("#code") == 1
    });

    browser.type_into("#code", "wrong-0000");
    browser.click("#claim button[type=submit]");
    browser.wait_until("the wrong code refused", |b| b.count("#form-error") == 1);
    assert!(
        browser.text("#form-error").contains("code"),
        "{}",
        browser.text("#form-error")
    );
    assert_eq!(status(&pending_key), "pending_claim");
    browser.screenshot(&shots, "claim-2-wrong-code");

    browser.type_into("#code", &code);
    browser.click("#claim button[type=submit]");
    browser.wait_until("the owner page", |b| b.url().ends_with("/owner"));
    assert_eq!(status(&pending_key), "claimed", "the agent sees it at once");
    assert!(
        browser.text("#agents").contains("claimable_bot"),
        "{}",
        browser.text("#agents")
    );

    browser.click("#create-agent summary");
    browser.type_into("#slug", "painter");
    browser.type_into("#name", "Painter");
    browser.click("#create-agent button[type=submit]");
    browser.wait_until("the new key", |b| b.count("#new-key-value") == 1);
    let key = browser.text("#new-key-value");
    assert!(key.starts_with("lol65b_"), "{key}");
    browser.screenshot(&shots, "owner-1-new-key");
    browser.window(390, 844);
    browser.screenshot(&shots, "owner-2-phone");
    browser.assert_no_alert();

    for path in ["/api/agent/me", "/api/v1/agents/me", "/api/agents/me"] {
        let answer = server.get(path, &key);
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
        assert!(
            answer.text().contains("painter"),
            "{path}: {}",
            answer.text()
        );
    }
}

/// Markdown an agent might send to run script in a reader's browser.
const HOSTILE_MARKDOWN: &str = r#"# Totally normal post

<script>alert(1)</script>
<img src=x onerror=alert(2)>
[click me](javascript:alert(3))
<svg onload=alert(4)><circle r=5 /></svg>
<a href="jav&#x61;script:alert(5)">entity link</a>
<iframe src="javascript:alert(6)"></iframe>
<details open ontoggle=alert(7)><summary>s</summary></details>
<style>body { background: url(javascript:alert(8)) }</style>
![img](data:text/html;base64,PHNjcmlwdD5hbGVydCg5KTwvc2NyaXB0Pg==)
<form action="javascript:alert(10)"><button>go</button></form>
<math><mtext><table><mglyph><style><img src=x onerror=alert(11)>

| a | b |
|---|---|
| ~~gone~~ | **kept** |
"#;

#[test]
fn a_post_page_with_hostile_markdown_runs_no_script() {
    if !browser_available() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let key = |handle: &str| agent_key(data.path(), None, handle);
    let (author, commenter) = (key("author"), key("commenter"));
    let server = Server::start(data.path(), None);
    let posted = server.post_json(
        "/api/discuss/posts",
        &author,
        &json!({"communitySlug": "general", "title": "<script>alert(0)</script>", "bodyMd": HOSTILE_MARKDOWN}),
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    let post_id = json(&posted)["id"].as_str().unwrap().to_owned();
    let commented = server.post_json(
        &format!("/api/discuss/posts/{post_id}/comments"),
        &commenter,
        &json!({"bodyMd": HOSTILE_MARKDOWN}),
    );
    assert_eq!(commented.status, 201, "{}", commented.text());

    let browser = Driver::start();
    browser.go(&format!("http://{}/p/{post_id}", server.addr));
    browser.wait_until("the post page", |b| b.count("h1") >= 1);
    // Give anything that would run a moment to do so.
    std::thread::sleep(Duration::from_millis(500));
    browser.assert_no_alert();
    let count = |js: &str| browser.script(js).as_u64().unwrap();
    assert_eq!(
        count("return [...document.scripts].filter(s => !s.src).length;"),
        0,
        "an inline script element"
    );
    assert_eq!(
        count(
            "return [...document.querySelectorAll('*')]\
             .filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length;"
        ),
        0,
        "an event handler attribute"
    );
    let not_http = browser.script(
        "return [...document.body.querySelectorAll('[href],[src],[action]')]\
         .filter(e => { const u = e.href || e.src || e.action; \
           return u && !/^https?:/.test(String(u.baseVal ?? u)); })\
         .map(e => e.outerHTML).join('\\n');",
    );
    assert_eq!(not_http, "", "a link or source that is not http(s)");
    assert_eq!(
        count(
            "return document.querySelectorAll('iframe, svg, style, form, math, object, embed').length;"
        ),
        0
    );
    // The harmless Markdown still renders, in the post and the comment.
    assert!(count("return document.querySelectorAll('table').length;") >= 1);
    assert!(count("return document.querySelectorAll('del').length;") >= 1);
    assert!(
        browser.text("body").contains("<script>alert(0)</script>"),
        "the title is text"
    );
    for width in [390, 1280] {
        browser.window(width, 900);
        browser.screenshot(&artifacts(), &format!("hostile-markdown-{width}"));
    }
}

/// Every page fits a phone (390 px) and a desktop (1280 px): the page is
/// no wider than the window, so nothing scrolls sideways. Screenshots of
/// each page at both widths go to `target/browser-artifacts/widths/`.
#[test]
fn every_page_fits_the_width_of_a_phone_and_of_a_desktop() {
    if !browser_available() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let poster = aispace_json(
        data.path(),
        None,
        &[
            "agent",
            "create",
            "--handle",
            "a-rather-long-agent-handle-here",
            "--name",
            "Poster",
            "--json",
        ],
    );
    let key = poster["key"].as_str().unwrap();
    let server = Server::start(data.path(), None);
    // A small image without a caption, and a wide one with a long caption.
    let small = server.upload(key, &images::png(48, 48, 3), &[], &[]);
    assert_eq!(small.status, 200, "{}", small.text());
    let small_id = json(&small)["postId"].as_str().unwrap().to_owned();
    let caption = "an-unbroken-caption-".repeat(8);
    let wide = server.upload(
        key,
        &images::png(1600, 400, 5),
        &[("caption", &caption), ("tags", "aiart")],
        &[],
    );
    assert_eq!(wide.status, 200, "{}", wide.text());
    let discussion = server.post_json(
        "/api/discuss/posts",
        key,
        &json!({"communitySlug": "general", "type": "text", "title": "A table",
                "bodyMd": "| a | b | c |\n|---|---|---|\n| 1 | 2 | 3 |\n\n```\nfn a_very_long_line_of_code_that_does_not_wrap_anywhere_at_all_really() {}\n```"}),
    );
    assert_eq!(discussion.status, 201, "{}", discussion.text());
    let discussion_id = json(&discussion)["id"].as_str().unwrap().to_owned();

    let pages = [
        ("home", "/".to_owned()),
        ("post-small", format!("/p/{small_id}")),
        ("post-discussion", format!("/p/{discussion_id}")),
        ("agent", "/a/a-rather-long-agent-handle-here".to_owned()),
        ("tag", "/t/aiart".to_owned()),
        ("community", "/c/general".to_owned()),
        ("search", "/search?q=table".to_owned()),
        ("developers", "/developers".to_owned()),
        ("signup", "/signup".to_owned()),
        ("signin", "/signin".to_owned()),
    ];
    let dir = artifacts().join("widths");
    std::fs::create_dir_all(&dir).unwrap();
    let driver = Driver::start();
    let mut too_wide = Vec::new();
    for width in [390, 1280] {
        driver.window(width, 900);
        for (name, path) in &pages {
            driver.go(&format!("http://{}{path}", server.addr));
            let sizes =
                driver.script("return [document.documentElement.scrollWidth, window.innerWidth]");
            let (page, window) = (sizes[0].as_u64().unwrap(), sizes[1].as_u64().unwrap());
            driver.screenshot(&dir, &format!("{name}-{width}"));
            if *name == "post-small" {
                // A 48 px image is drawn large enough to see, in a frame
                // of its own size: no letterbox.
                let drawn = driver.script(
                    "const i = document.querySelector('#post-image').getBoundingClientRect();\
                     const f = document.querySelector('.post-media').getBoundingClientRect();\
                     return [i.width, f.width];",
                );
                let (image, frame) = (drawn[0].as_f64().unwrap(), drawn[1].as_f64().unwrap());
                assert!(image >= 200.0 && frame - image < 4.0, "{width}: {drawn}");
            }
            if page > window {
                too_wide.push(format!(
                    "{path} at {width}: {page} px in a {window} px window"
                ));
            }
        }
    }
    assert!(
        too_wide.is_empty(),
        "pages wider than the window: {too_wide:#?}"
    );
}
