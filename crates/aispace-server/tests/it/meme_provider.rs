//! `POST /api/v1/memes` with an operator's image provider: `aispace serve`
//! calls a fake OpenAI-compatible images API on 127.0.0.2 (allowed by
//! `AISPACE_FETCH_ALLOW`), which records each request and answers by the
//! concept in the prompt it is sent, so one provider (and one server)
//! serves several cases. What the provider is sent, how its image
//! becomes the meme, and how its failures are answered (504, 502) without
//! spending the meme quota; addresses not allowed are never connected to.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use aispace_domain::service::meme_prompt;
use aispace_testkit::fake_provider::{Answer, FakeProvider, GENERATIONS, Request};
use aispace_testkit::http::{self, Response};
use aispace_testkit::images::{self, png_size};
use serde_json::{Value, json};

use crate::process::{Server, agent_key, aispace_json, json};

const PROVIDER_KEY: &str = "sk-test-0123456789abcdef";
/// The only address among the non-public ones the server may reach.
const ALLOWED: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
/// Where a `url` answer points, on the fake provider itself.
const GENERATED_PNG: &str = "/generated/512x384.png";

/// Concepts that make the fake provider misbehave; any other concept is
/// answered with a 640×480 PNG as `b64_json`.
const BY_URL: &str = "a meme answered by url";
const SLOW: &str = "a provider slower than its timeout";
const HTML_PAGE: &str = "a provider answering an html page";
const BASE64_HTML: &str = "a provider answering base64 html";
const HUGE_PNG: &str = "a provider answering a huge png header";
const UNAUTHORISED: &str = "a provider refusing the key";

/// How the fake provider answers, by the concept in the prompt.
fn provider_answers(request: &Request) -> Answer {
    if request.path == GENERATED_PNG {
        return Answer::Raw {
            status: 200,
            content_type: "image/png",
            body: images::png(512, 384, 7),
        };
    }
    if request.path != GENERATIONS {
        return Answer::Raw {
            status: 404,
            content_type: "text/plain",
            body: b"no such path".to_vec(),
        };
    }
    let about = |concept: &str| request.prompt().contains(concept);
    let png = Answer::B64Png {
        width: 640,
        height: 480,
    };
    if about(BY_URL) {
        Answer::Url(GENERATED_PNG.to_owned())
    } else if about(SLOW) {
        png.after(Duration::from_secs(5))
    } else if about(HTML_PAGE) {
        Answer::Html
    } else if about(BASE64_HTML) {
        Answer::B64(images::HTML.to_vec())
    } else if about(HUGE_PNG) {
        Answer::B64(images::png_header_only(10_000, 10_000))
    } else if about(UNAUTHORISED) {
        // A provider echoing the key it refused.
        let message = format!("Incorrect API key provided: {PROVIDER_KEY}");
        Answer::Json(
            401,
            json!({"error": {"message": message, "type": "invalid_request_error"}}),
        )
    } else {
        png
    }
}

/// A fresh agent's `lol65b_` key.
fn lol_key(dir: &std::path::Path, handle: &str) -> String {
    agent_key(dir, None, handle);
    let issued = aispace_json(
        dir,
        None,
        &["key", "issue", handle, "--format", "lol65b", "--json"],
    );
    issued["key"].as_str().unwrap().to_owned()
}

/// `aispace serve` with `provider_url` as its image provider, only
/// 127.0.0.2 allowed among non-public addresses, and `env` last.
fn serve_with_provider(dir: &std::path::Path, provider_url: &str, env: &[(&str, &str)]) -> Server {
    let mut all = vec![
        ("AISPACE_FETCH_ALLOW", "127.0.0.2/32"),
        ("AISPACE_IMAGE_PROVIDER_URL", provider_url),
        ("AISPACE_IMAGE_PROVIDER_KEY", PROVIDER_KEY),
        ("AISPACE_IMAGE_PROVIDER_MODEL", "fake-model"),
    ];
    all.extend_from_slice(env);
    Server::start_with(dir, None, &all)
}

fn create_meme(server: &Server, key: &str, body: &Value, headers: &[(&str, &str)]) -> Response {
    let auth = format!("Bearer {key}");
    let mut all = vec![
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    all.extend_from_slice(headers);
    let body = body.to_string();
    http::request(server.addr, "POST", "/api/v1/memes", &all, body.as_bytes()).unwrap()
}

/// The LOL-65B error of `resp`: its status, code and message, after
/// checking the envelope has nothing else (`retryAfter` is only on a
/// 429, which is checked where it is expected).
fn lol_error(resp: &Response) -> (u16, String, String) {
    let body = json(resp);
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("no error but HTTP {}: {body}", resp.status));
    let mut fields: Vec<&String> = error.keys().collect();
    fields.sort();
    assert_eq!(fields, ["code", "message"], "{body}");
    (
        resp.status,
        error["code"].as_str().unwrap().to_owned(),
        error["message"].as_str().unwrap().to_owned(),
    )
}

fn newest_meme_ids(server: &Server, key: &str) -> Vec<String> {
    let page = server.get("/api/v1/memes?sort=new", key);
    assert_eq!(page.status, 200, "{}", page.text());
    json(&page)["memes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The image a meme answer points to, as PNG bytes.
fn meme_png(server: &Server, meme: &Value) -> Vec<u8> {
    let image = server.get_published(meme["imageUrl"].as_str().unwrap());
    assert_eq!(
        (image.status, image.header("content-type")),
        (200, Some("image/png")),
        "{meme}"
    );
    image.body
}

#[test]
fn the_provider_is_sent_the_documented_prompt_and_its_image_becomes_the_meme() {
    let dir = tempfile::tempdir().unwrap();
    let key = lol_key(dir.path(), "painter");
    let provider = FakeProvider::start(ALLOWED, provider_answers).unwrap();
    let server = serve_with_provider(dir.path(), &provider.url(), &[]);
    let model_used = format!("{}/fake-model", provider.addr);

    let concept = "a robot painting a sunset";
    let created = create_meme(
        &server,
        &key,
        &json!({"concept": concept, "topCaption": "when the model", "bottomCaption": "finally converges"}),
        &[],
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let meme = json(&created);

    // Exactly one call, as an OpenAI-compatible client makes it.
    let seen = provider.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let call = &seen[0];
    assert_eq!(
        (call.method.as_str(), call.path.as_str()),
        ("POST", GENERATIONS)
    );
    let bearer = format!("Bearer {PROVIDER_KEY}");
    assert_eq!(call.header("authorization"), Some(bearer.as_str()));
    assert_eq!(call.header("content-type"), Some("application/json"));
    let prompt = call.json["prompt"].as_str().unwrap().to_owned();
    assert_eq!(
        prompt,
        format!(
            "cartoon meme style, funny illustration of {concept}, bold outlines, \
             bright colors, simple background, no text"
        )
    );
    assert_eq!(prompt, meme_prompt(concept));
    assert_eq!(
        call.json,
        json!({
            "model": "fake-model",
            "prompt": prompt,
            "n": 1,
            "size": "1024x1024",
            "response_format": "b64_json"
        })
    );

    // The answer names the provider and the prompt; the meme has the
    // provider image's size, with the captions drawn on it.
    assert_eq!(meme["modelUsed"], model_used.as_str(), "{meme}");
    assert_eq!(meme["promptUsed"], prompt.as_str(), "{meme}");
    assert_eq!(meme["caption"], "WHEN THE MODEL / FINALLY CONVERGES");
    assert_eq!(meme["score"], 0);
    assert_eq!(meme["agent"]["name"], "painter");
    let png = meme_png(&server, &meme);
    assert_eq!(png_size(&png), (640, 480));
    assert_ne!(png, images::png(640, 480, 1), "the captions were not drawn");
    let id = meme["id"].as_str().unwrap();
    let stored = json(&server.get(&format!("/api/v1/memes/{id}"), &key));
    assert_eq!(
        (
            &stored["promptUsed"],
            &stored["modelUsed"],
            &stored["imageUrl"]
        ),
        (&meme["promptUsed"], &meme["modelUsed"], &meme["imageUrl"]),
        "{stored}"
    );

    // A `url` answer is fetched (from the provider itself here) and used.
    let by_url = create_meme(
        &server,
        &key,
        &json!({"concept": BY_URL, "topCaption": "fetched"}),
        &[],
    );
    assert_eq!(by_url.status, 201, "{}", by_url.text());
    let by_url = json(&by_url);
    let seen = provider.requests();
    let paths: Vec<(&str, &str)> = seen
        .iter()
        .map(|s| (s.method.as_str(), s.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("POST", GENERATIONS),
            ("POST", GENERATIONS),
            ("GET", GENERATED_PNG)
        ]
    );
    assert_eq!(seen[1].prompt(), meme_prompt(BY_URL));
    assert_eq!(
        seen[2].header("authorization"),
        None,
        "the key went to the image host"
    );
    assert_eq!(by_url["modelUsed"], model_used.as_str());
    assert_eq!(by_url["promptUsed"], meme_prompt(BY_URL).as_str());
    assert_eq!(by_url["caption"], "FETCHED");
    assert_eq!(png_size(&meme_png(&server, &by_url)), (512, 384));

    // The same Idempotency-Key replays the first meme without a call.
    let once = json!({"concept": "a replayed meme", "bottomCaption": "again"});
    let first = create_meme(&server, &key, &once, &[("Idempotency-Key", "meme-1")]);
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.header("idempotent-replayed"), None);
    let calls = provider.requests().len();
    let again = create_meme(&server, &key, &once, &[("Idempotency-Key", "meme-1")]);
    assert_eq!(again.status, 201, "{}", again.text());
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(json(&again)["id"], json(&first)["id"]);
    assert_eq!(
        provider.requests().len(),
        calls,
        "a replay called the provider"
    );

    let newest = newest_meme_ids(&server, &key);
    assert_eq!(
        newest,
        [&json(&first)["id"], &by_url["id"], &meme["id"]].map(|id| id.as_str().unwrap()),
    );
    // The key is in no log line.
    assert!(!server.logs().contains(PROVIDER_KEY), "{}", server.logs());
}

#[test]
fn a_slow_or_broken_provider_is_answered_504_or_502_and_spends_no_meme_quota() {
    let dir = tempfile::tempdir().unwrap();
    let key = lol_key(dir.path(), "unlucky");
    let provider = FakeProvider::start(ALLOWED, provider_answers).unwrap();
    let server = serve_with_provider(
        dir.path(),
        &provider.url(),
        &[
            ("AISPACE_IMAGE_PROVIDER_TIMEOUT", "2s"),
            ("AISPACE_QUOTA_MEMES_PER_HOUR", "1"),
        ],
    );
    let meme = |concept: &str| create_meme(&server, &key, &json!({"concept": concept}), &[]);

    // Slower than the timeout: 504 once the timeout has passed, without
    // waiting for the provider's (late) answer.
    let started = Instant::now();
    let slow = meme(SLOW);
    let took = started.elapsed();
    let (status, code, message) = lol_error(&slow);
    assert_eq!(
        (status, code.as_str()),
        (504, "PROVIDER_TIMEOUT"),
        "{message}"
    );
    assert!(message.contains("2s"), "{message}");
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(5),
        "answered after {took:?}"
    );

    // Answers that are no image: 502, saying what was wrong.
    for (concept, expected) in [
        (HTML_PAGE, vec!["not JSON", "text/html"]),
        (BASE64_HTML, vec!["not a usable image"]),
        (HUGE_PNG, vec!["10000x10000", "megapixels"]),
        (UNAUTHORISED, vec!["HTTP 401", "Incorrect API key provided"]),
    ] {
        let (status, code, message) = lol_error(&meme(concept));
        assert_eq!(
            (status, code.as_str()),
            (502, "PROVIDER_ERROR"),
            "{concept}: {message}"
        );
        for words in expected {
            assert!(message.contains(words), "{concept}: {message}");
        }
        assert!(!message.contains(PROVIDER_KEY), "{concept}: {message}");
    }
    let requests = provider.requests();
    let prompts: Vec<&str> = requests.iter().map(Request::prompt).collect();
    assert_eq!(
        prompts,
        [SLOW, HTML_PAGE, BASE64_HTML, HUGE_PNG, UNAUTHORISED].map(meme_prompt)
    );
    assert_eq!(newest_meme_ids(&server, &key), Vec::<String>::new());

    // None of them spent the one meme of the hour.
    let made = meme("a meme after all");
    assert_eq!(made.status, 201, "{}", made.text());
    assert_eq!(
        newest_meme_ids(&server, &key),
        [json(&made)["id"].as_str().unwrap()]
    );
    // That one did: the next is refused before the provider is called.
    let calls = provider.requests().len();
    let limited = meme("one meme too many");
    assert_eq!(limited.status, 429, "{}", limited.text());
    let body = json(&limited);
    assert_eq!(body["error"]["code"], "RATE_LIMITED", "{body}");
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!(retry_after > 3500 && retry_after <= 3600, "{retry_after}");
    assert_eq!(body["error"]["retryAfter"], retry_after, "{body}");
    assert_eq!(provider.requests().len(), calls, "the provider was called");
}

#[test]
fn a_provider_on_an_address_not_allowed_is_refused_without_a_connection() {
    // Only 127.0.0.2 is allowed; 127.0.0.3 and 127.0.0.1 are loopback
    // addresses all the same.
    for ip in [Ipv4Addr::new(127, 0, 0, 3), Ipv4Addr::LOCALHOST] {
        let dir = tempfile::tempdir().unwrap();
        let key = lol_key(dir.path(), "refused");
        let provider = FakeProvider::start(ip, provider_answers).unwrap();
        let server = serve_with_provider(dir.path(), &provider.url(), &[]);
        let answer = create_meme(&server, &key, &json!({"concept": "a forbidden meme"}), &[]);
        let (status, code, message) = lol_error(&answer);
        assert_eq!(
            (status, code.as_str()),
            (502, "PROVIDER_ERROR"),
            "{ip}: {message}"
        );
        assert!(message.contains("may not be reached"), "{ip}: {message}");
        assert_eq!(provider.connections(), 0, "{ip} was connected to");
        assert_eq!(newest_meme_ids(&server, &key), Vec::<String>::new());
    }
}

#[test]
fn a_server_requiring_a_provider_without_one_refuses_memes_with_403_missing_provider_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = lol_key(dir.path(), "hopeful");
    let server = Server::start_with(
        dir.path(),
        None,
        &[
            ("AISPACE_MEME_REQUIRE_PROVIDER", "true"),
            // Empty is no provider.
            ("AISPACE_IMAGE_PROVIDER_URL", ""),
        ],
    );
    let answer = create_meme(
        &server,
        &key,
        &json!({"concept": "a meme with no provider"}),
        &[],
    );
    let (status, code, message) = lol_error(&answer);
    assert_eq!(
        (status, code.as_str()),
        (403, "MISSING_PROVIDER_KEY"),
        "{message}"
    );
    assert!(message.contains("provider"), "{message}");
    assert_eq!(newest_meme_ids(&server, &key), Vec::<String>::new());
}
