//! Hostile input against the real server, generated with proptest: JSON
//! bodies of every endpoint (arbitrary bytes, arbitrary JSON, the valid body
//! with one field broken), Authorization headers, query strings, path
//! segments and multipart forms. Every answer is a success or the envelope
//! with a documented code and that code's status, never a 5xx; where the
//! input decides the code, it is that code; and a valid request still
//! works afterwards.
//!
//! Each property drives one server through a `SystemRunner` it blocks on,
//! so proptest's runner (which is synchronous) can shrink a failure down to
//! one request. The fixed clock moves a day before each case, so quotas
//! never decide an answer the input should. Failures are not persisted to
//! files: the shrunk request is printed.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use actix_web::http::header::{AUTHORIZATION, HeaderValue};
use aispace_domain::model::{
    FeedCursor, FeedSort, Handle, Tags, decode_comment_cursor, parse_limit,
};
use aispace_http::ErrorCode;
use aispace_testkit::http::percent_encode;
use aispace_testkit::image_server::{ImageServer, Route};
use aispace_testkit::images;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

use crate::app::{Answer, Part, TestApp, error_code, multipart_body};

const JSON_LIMIT: usize = 64 * 1024;

/// Runs `test` on `cases` values of `strategy`, shrinking a failure to its
/// smallest input.
fn check<S>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: fmt::Debug,
{
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    if let Err(failure) = TestRunner::new(config).run(&strategy, test) {
        panic!("{failure}");
    }
}

/// A live server, an agent acting on it, and what its requests aim at.
struct World {
    sys: actix_web::rt::SystemRunner,
    app: TestApp,
    /// The acting agent's key.
    key: String,
    /// A published post of another agent.
    post: String,
    /// The acting agent's own post.
    own_post: String,
    /// Serves a PNG at `/a.png` and text claiming to be one at `/text.png`.
    images: ImageServer,
    agents: std::cell::Cell<u32>,
}

impl World {
    fn new() -> World {
        let sys = actix_web::rt::System::new();
        let app = sys.block_on(TestApp::spawn());
        let (_, author) = app.agent("author");
        let (_, key) = app.agent("hostile");
        let png = |status, body: Vec<u8>| Route::Respond {
            status,
            content_type: "image/png",
            body,
        };
        let images = ImageServer::start(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            vec![
                ("/a.png", png(200, images::png(8, 8, 7))),
                ("/text.png", png(200, b"not an image at all".to_vec())),
            ],
        )
        .unwrap();
        let upload = |key: &str, seed: u8| {
            let image = images::png(4, 4, seed);
            let answer = sys.block_on(app.post_form(key, &[Part::file("file", &image)], &[]));
            assert_eq!(answer.status, 200, "{}", answer.body);
            answer.body["postId"].as_str().unwrap().to_owned()
        };
        let post = upload(&author, 1);
        let own_post = upload(&key, 2);
        World {
            sys,
            app,
            key,
            post,
            own_post,
            images,
            agents: std::cell::Cell::new(0),
        }
    }

    /// One request, as `app.send` makes it; a day later than the last, so
    /// no quota is still counting.
    fn send(&self, request: &Request) -> Answer {
        self.app.clock.advance(Duration::from_secs(25 * 3600));
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        self.sys.block_on(self.app.send(
            request.method,
            &request.path,
            Some(&self.key),
            &headers,
            request.content_type.as_deref(),
            request.body.clone(),
        ))
    }

    /// A fresh agent's key, for the valid request that closes each test.
    fn fresh_key(&self) -> String {
        let n = self.agents.get() + 1;
        self.agents.set(n);
        self.app.agent(&format!("fresh-{n}")).1
    }
}

#[derive(Clone)]
struct Request {
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = String::from_utf8_lossy(&self.body);
        let shown: String = body.chars().take(600).collect();
        write!(
            f,
            "{} {} headers={:?} content-type={:?} body ({} bytes)={:?}",
            self.method,
            self.path,
            self.headers,
            self.content_type,
            self.body.len(),
            shown
        )
    }
}

/// A success (`"OK"` among `allowed`), or the envelope with a documented
/// code, the status that code is documented with, and one of `allowed`.
fn answered_with(answer: &Answer, allowed: &[&str]) -> Result<(), TestCaseError> {
    prop_assert!(
        answer.headers.contains_key("x-request-id"),
        "no X-Request-Id"
    );
    prop_assert!(
        answer.status < 500,
        "{}: {}",
        answer.status,
        String::from_utf8_lossy(&answer.raw)
    );
    if (200..300).contains(&answer.status) {
        prop_assert!(
            allowed.contains(&"OK"),
            "succeeded, expected one of {allowed:?}: {}",
            answer.body
        );
        prop_assert_eq!(&answer.body["ok"], &Value::Bool(true));
        return Ok(());
    }
    let code = error_code(answer.status, &answer.body);
    let documented = ErrorCode::ALL.iter().find(|c| c.as_str() == code);
    prop_assert!(documented.is_some(), "undocumented code {}", code);
    prop_assert_eq!(
        documented.map(|c| c.status().as_u16()),
        Some(answer.status),
        "{}",
        code
    );
    prop_assert!(
        allowed.contains(&code.as_str()),
        "{} {}, expected one of {:?}: {}",
        answer.status,
        code,
        allowed,
        answer.body
    );
    if code == "RATE_LIMITED" {
        prop_assert!(
            answer.body["retryAfterSeconds"]
                .as_u64()
                .is_some_and(|s| s >= 1)
        );
        prop_assert!(answer.headers.contains_key("retry-after"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Values

/// Strings that have broken parsers somewhere: empty and blank, controls,
/// direction overrides, look-alikes, path tricks, markup, long runs.
const ODD_STRINGS: &[&str] = &[
    "",
    " ",
    "\t\n",
    "\u{0}",
    "nul\u{0}byte",
    "esc\u{1b}[2J",
    "\u{202e}olleh",
    "\u{feff}",
    "\u{200b}",
    "\u{212a}elvin",
    "İstanbul",
    "😀",
    "\u{fffd}",
    "../../etc/passwd",
    "%00",
    "%zz",
    "<script>alert(1)</script>",
    "{}",
    "[]",
    "null",
    "GOLD\u{0}",
    "gold",
    "Silver ",
    "PLATINUM",
    "post.liked",
    "webhook.test",
    "#tag",
    "sci-fi",
    "a,b,,c",
    "[\"a\",\"b\"]",
    "[1,2]",
    "2026-03-10T12:00:00Z",
    "2026-03-04T12:00:00.123456789+01:00",
    "2026-04-04T12:00:01Z",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "yesterday",
    "c01abc",
    "asp_aaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

/// URLs that must not send the server anywhere but 127.0.0.1 (no name
/// lookups, no public address): non-public literals in odd spellings,
/// other schemes, broken syntax, and the test image server.
fn url_value(images: &ImageServer) -> BoxedStrategy<String> {
    let good = images.url("/a.png");
    let text = images.url("/text.png");
    let missing = images.url("/missing.png");
    let fixed: Vec<String> = [
        "http://10.0.0.1/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433:1/a.png",
        "http://0x7f.1:1/",
        "http://[::1]/a.png",
        "https://[::ffff:127.0.0.1]:1/",
        "http://[fe80::1%25eth0]/",
        "http://user:pw@10.0.0.1/",
        "http://127.0.0.1:1/a.png",
        "https://127.0.0.1:1/hook",
        "https://10.0.0.1/hook",
        "file:///etc/passwd",
        "ftp://10.0.0.1/a.png",
        "javascript:alert(1)",
        "gopher://127.0.0.1:70/",
        "http://",
        "http://[zz]/",
        "http://\"q\".com/",
        "http://a b/",
        "//10.0.0.1/a.png",
        "/a.png",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    prop_oneof![
        3 => select(vec![good.clone(), text, missing]),
        4 => select(fixed),
        2 => (Just(good), "[a-z/?#=&%.]{0,12}").prop_map(|(url, tail)| format!("{url}{tail}")),
    ]
    .boxed()
}

fn odd_string() -> BoxedStrategy<String> {
    prop_oneof![
        4 => select(ODD_STRINGS).prop_map(str::to_owned),
        2 => any::<String>(),
        1 => (1usize..3_000, select(&["é", "x", "#t ", "\u{7}"][..])).prop_map(|(n, s)| s.repeat(n)),
    ]
    .boxed()
}

fn json_leaf(images: &ImageServer) -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        odd_string().prop_map(Value::String),
        url_value(images).prop_map(Value::String),
    ]
    .boxed()
}

const FIELD_NAMES: &[&str] = &[
    "imageUrl",
    "caption",
    "tags",
    "publishAt",
    "postId",
    "medalType",
    "reason",
    "body",
    "url",
    "events",
    "",
    "__proto__",
    "IMAGEURL",
];

fn json_value(images: &ImageServer) -> BoxedStrategy<Value> {
    let key = prop_oneof![select(FIELD_NAMES).prop_map(str::to_owned), any::<String>()];
    json_leaf(images)
        .prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((key.clone(), inner), 0..6)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
            ]
        })
        .boxed()
}

// ---------------------------------------------------------------------------
// JSON bodies

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Post,
    LegacyPost,
    Vote,
    Comment,
    Webhook,
    Connect,
    Like,
}

/// What a field takes: `null` is fine only where the field is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Required,
    Optional,
    /// A string (comma list or JSON array text), an array of strings, or
    /// nothing.
    Tags,
    /// An array of strings, or absent (not `null`).
    Events,
}

impl Kind {
    fn takes(self, value: &Value) -> bool {
        let strings = |v: &Value| v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
        match self {
            Kind::Required => value.is_string(),
            Kind::Optional => value.is_string() || value.is_null(),
            Kind::Tags => value.is_string() || value.is_null() || strings(value),
            Kind::Events => strings(value),
        }
    }
}

impl Endpoint {
    const ALL: [Endpoint; 7] = [
        Endpoint::Post,
        Endpoint::LegacyPost,
        Endpoint::Vote,
        Endpoint::Comment,
        Endpoint::Webhook,
        Endpoint::Connect,
        Endpoint::Like,
    ];

    fn path(self, post: &str) -> String {
        match self {
            Endpoint::Post => "/api/agent/post".into(),
            Endpoint::LegacyPost => "/api/agent/posts".into(),
            Endpoint::Vote => "/api/agent/vote".into(),
            Endpoint::Comment => format!("/api/agent/posts/{post}/comments"),
            Endpoint::Webhook => "/api/agent/webhooks".into(),
            Endpoint::Connect => "/api/agent/connect".into(),
            Endpoint::Like => format!("/api/agent/posts/{post}/like"),
        }
    }

    fn fields(self) -> &'static [(&'static str, Kind)] {
        match self {
            Endpoint::Post | Endpoint::LegacyPost => &[
                ("imageUrl", Kind::Optional),
                ("caption", Kind::Optional),
                ("tags", Kind::Tags),
                ("publishAt", Kind::Optional),
            ],
            Endpoint::Vote => &[
                ("postId", Kind::Required),
                ("medalType", Kind::Required),
                ("reason", Kind::Optional),
            ],
            Endpoint::Comment => &[("body", Kind::Required)],
            Endpoint::Webhook => &[("url", Kind::Required), ("events", Kind::Events)],
            Endpoint::Connect | Endpoint::Like => &[],
        }
    }

    fn valid_body(self, post: &str, image_url: &str) -> Vec<(String, Value)> {
        let pairs = match self {
            Endpoint::Post => vec![
                ("imageUrl", json!(image_url)),
                ("caption", json!("hostile but fine #ok")),
                ("tags", json!(["aiart"])),
                ("publishAt", Value::Null),
            ],
            Endpoint::LegacyPost => vec![
                ("imageUrl", json!("https://cdn.example/a.png")),
                ("caption", json!("legacy")),
                ("tags", json!("a,b")),
            ],
            Endpoint::Vote => vec![
                ("postId", json!(post)),
                ("medalType", json!("GOLD")),
                ("reason", json!("crisp")),
            ],
            Endpoint::Comment => vec![("body", json!("nice one"))],
            Endpoint::Webhook => vec![
                ("url", json!("https://127.0.0.1:1/hook")),
                ("events", json!(["post.liked"])),
            ],
            Endpoint::Connect | Endpoint::Like => vec![],
        };
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// Every code a JSON body may earn here.
    fn codes(self) -> &'static [&'static str] {
        match self {
            Endpoint::Post => &[
                "OK",
                "INVALID_BODY",
                "IMAGE_URL_REQUIRED",
                "FORBIDDEN_URL",
                "IMAGE_FETCH_FAILED",
                "UNSUPPORTED_MEDIA_TYPE",
                "UPLOAD_TOO_LARGE",
            ],
            Endpoint::LegacyPost => &["OK", "INVALID_BODY", "IMAGE_URL_REQUIRED", "FORBIDDEN_URL"],
            Endpoint::Vote => &[
                "OK",
                "INVALID_BODY",
                "POST_NOT_FOUND",
                "CANNOT_MEDAL_OWN_POST",
            ],
            Endpoint::Comment => &["OK", "INVALID_BODY", "POST_NOT_FOUND"],
            Endpoint::Webhook => &[
                "OK",
                "INVALID_BODY",
                "FORBIDDEN_URL",
                "WEBHOOK_LIMIT_REACHED",
            ],
            Endpoint::Connect | Endpoint::Like => &["OK"],
        }
    }
}

/// How the valid body is broken.
#[derive(Debug, Clone)]
enum Edit {
    Keep,
    /// One field's value replaced.
    Replace(Index, Value),
    Remove(Index),
    Extra(String, Value),
    /// A field given twice.
    Duplicate(Index, Value),
    /// A field's value nested this many arrays deep.
    Nest(Index, usize),
    /// A field's value replaced by a number literal no integer holds.
    HugeNumber(Index, &'static str),
    /// A lone UTF-16 surrogate escape in a field.
    LoneSurrogate(Index),
    Bom,
    Truncate(Index),
    Trailing(&'static str),
    /// Any JSON value instead of the body.
    Whole(Value),
    /// Any bytes instead of the body.
    Bytes(Vec<u8>),
    /// The valid body padded with spaces past the JSON limit.
    Oversized(usize),
}

fn edit(images: &ImageServer) -> BoxedStrategy<Edit> {
    let value = prop_oneof![
        2 => odd_string().prop_map(Value::String),
        2 => url_value(images).prop_map(Value::String),
        2 => json_leaf(images),
        1 => json_value(images),
    ];
    prop_oneof![
        1 => Just(Edit::Keep),
        6 => (any::<Index>(), value.clone()).prop_map(|(i, v)| Edit::Replace(i, v)),
        1 => any::<Index>().prop_map(Edit::Remove),
        1 => (select(FIELD_NAMES).prop_map(str::to_owned), value.clone()).prop_map(|(k, v)| Edit::Extra(k, v)),
        1 => (any::<Index>(), value).prop_map(|(i, v)| Edit::Duplicate(i, v)),
        1 => (any::<Index>(), prop_oneof![2usize..130, 100usize..20_000]).prop_map(|(i, n)| Edit::Nest(i, n)),
        1 => (any::<Index>(), select(&["1e999999", "123456789012345678901234567890", "-0", "1.0e-400", "0x10"][..]))
            .prop_map(|(i, n)| Edit::HugeNumber(i, n)),
        1 => any::<Index>().prop_map(Edit::LoneSurrogate),
        1 => Just(Edit::Bom),
        1 => any::<Index>().prop_map(Edit::Truncate),
        1 => select(&["x", "{}", ",", "\u{0}", "]"][..]).prop_map(Edit::Trailing),
        2 => json_value(images).prop_map(Edit::Whole),
        2 => prop::collection::vec(any::<u8>(), 0..200).prop_map(Edit::Bytes),
        1 => (JSON_LIMIT + 1..JSON_LIMIT + 4_096).prop_map(Edit::Oversized),
    ]
    .boxed()
}

const JSON_TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/vnd.api+json",
];

const OTHER_TYPES: &[&str] = &[
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/xml",
    "",
];

/// Which field of `pairs` an index picks; the body may have none.
fn pick(pairs: &[(String, Value)], i: &Index) -> Option<usize> {
    (!pairs.is_empty()).then(|| i.index(pairs.len()))
}

/// The body's text, with textual edits applied to the raw JSON of a field.
fn render(mut pairs: Vec<(String, Value)>, edit: &Edit) -> Vec<u8> {
    let text = |pairs: &[(String, String)]| {
        let fields: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
            .collect();
        format!("{{{}}}", fields.join(","))
    };
    let raw = |pairs: &[(String, Value)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect()
    };
    match edit {
        Edit::Keep => text(&raw(&pairs)).into_bytes(),
        Edit::Replace(i, v) => {
            if let Some(at) = pick(&pairs, i) {
                pairs[at].1 = v.clone();
            } else {
                pairs.push(("x".into(), v.clone()));
            }
            text(&raw(&pairs)).into_bytes()
        }
        Edit::Remove(i) => {
            if let Some(at) = pick(&pairs, i) {
                pairs.remove(at);
            }
            text(&raw(&pairs)).into_bytes()
        }
        Edit::Extra(k, v) => {
            pairs.push((k.clone(), v.clone()));
            text(&raw(&pairs)).into_bytes()
        }
        Edit::Duplicate(i, v) => {
            if let Some(at) = pick(&pairs, i) {
                let key = pairs[at].0.clone();
                pairs.push((key, v.clone()));
            }
            text(&raw(&pairs)).into_bytes()
        }
        Edit::Nest(i, _) | Edit::HugeNumber(i, _) | Edit::LoneSurrogate(i) => {
            let mut fields = raw(&pairs);
            let value = match edit {
                Edit::Nest(_, depth) => format!("{}{}", "[".repeat(*depth), "]".repeat(*depth)),
                Edit::HugeNumber(_, n) => (*n).to_owned(),
                _ => "\"\\ud800\"".to_owned(),
            };
            match pick(&pairs, i) {
                Some(at) => fields[at].1 = value,
                None => fields.push(("x".into(), value)),
            }
            text(&fields).into_bytes()
        }
        Edit::Bom => format!("\u{feff}{}", text(&raw(&pairs))).into_bytes(),
        Edit::Truncate(i) => {
            let mut bytes = text(&raw(&pairs)).into_bytes();
            bytes.truncate(i.index(bytes.len()));
            bytes
        }
        Edit::Trailing(t) => format!("{}{t}", text(&raw(&pairs))).into_bytes(),
        Edit::Whole(v) => v.to_string().into_bytes(),
        Edit::Bytes(b) => b.clone(),
        Edit::Oversized(n) => {
            let mut body = text(&raw(&pairs)).into_bytes();
            body.resize(*n, b' ');
            body
        }
    }
}

/// The codes the input alone decides, or `None` where the endpoint's
/// whole list applies.
fn decided_codes(
    endpoint: Endpoint,
    pairs: &[(String, Value)],
    edit: &Edit,
    content_type: Option<&str>,
    body: &[u8],
) -> Option<Vec<&'static str>> {
    let multipart = content_type.is_some_and(|t| t.starts_with("multipart/form-data"));
    if body.len() > JSON_LIMIT && !multipart {
        return Some(vec!["PAYLOAD_TOO_LARGE"]);
    }
    if endpoint.fields().is_empty() {
        return Some(vec!["OK"]);
    }
    let json_type = content_type.is_some_and(|t| JSON_TYPES.contains(&t));
    let is_json = serde_json::from_slice::<Value>(body).is_ok();
    if !json_type || !is_json {
        return Some(if endpoint == Endpoint::Post && multipart {
            vec!["INVALID_BODY", "FILE_REQUIRED"]
        } else {
            vec!["INVALID_BODY"]
        });
    }
    let field = |i: &Index| pick(pairs, i).map(|at| endpoint.fields()[at]);
    match edit {
        Edit::Keep if endpoint == Endpoint::Webhook => Some(vec!["OK", "WEBHOOK_LIMIT_REACHED"]),
        Edit::Keep => Some(vec!["OK"]),
        // An array can fill a struct's fields in order; other values cannot.
        Edit::Whole(v) if !v.is_object() && !v.is_array() => Some(vec!["INVALID_BODY"]),
        Edit::Duplicate(..) | Edit::Nest(..) | Edit::HugeNumber(..) => Some(vec!["INVALID_BODY"]),
        Edit::Replace(i, v) => match field(i) {
            Some((_, kind)) if !kind.takes(v) => Some(vec!["INVALID_BODY"]),
            _ => None,
        },
        Edit::Remove(i) => match field(i) {
            Some(("imageUrl", _)) => Some(vec!["IMAGE_URL_REQUIRED"]),
            Some((_, Kind::Required)) => Some(vec!["INVALID_BODY"]),
            _ => None,
        },
        _ => None,
    }
}

#[derive(Debug, Clone)]
struct JsonCase {
    endpoint: Endpoint,
    edit: Edit,
    content_type: Option<&'static str>,
    idempotency_key: Option<&'static str>,
}

#[test]
fn any_json_body_gets_a_documented_client_error_or_succeeds() {
    let world = World::new();
    let content_type = prop_oneof![
        8 => select(JSON_TYPES).prop_map(Some),
        2 => select(OTHER_TYPES).prop_map(Some),
        1 => Just(None),
    ];
    let idempotency_key = prop_oneof![
        6 => Just(None),
        1 => select(&["", "a b", "retry-1", "\t"][..]).prop_map(Some),
    ];
    let endpoint = prop_oneof![
        3 => Just(Endpoint::Post),
        2 => Just(Endpoint::LegacyPost),
        2 => Just(Endpoint::Vote),
        2 => Just(Endpoint::Comment),
        2 => Just(Endpoint::Webhook),
        1 => Just(Endpoint::Connect),
        1 => Just(Endpoint::Like),
    ];
    let case = (endpoint, edit(&world.images), content_type, idempotency_key).prop_map(
        |(endpoint, edit, content_type, idempotency_key)| JsonCase {
            endpoint,
            edit,
            content_type,
            idempotency_key,
        },
    );
    let image_url = world.images.url("/a.png");
    check(256, case, |case| {
        let pairs = case.endpoint.valid_body(&world.post, &image_url);
        let body = render(pairs.clone(), &case.edit);
        let decided = decided_codes(case.endpoint, &pairs, &case.edit, case.content_type, &body);
        let mut headers = Vec::new();
        if let Some(key) = case.idempotency_key {
            headers.push(("Idempotency-Key", key.to_owned()));
        }
        let request = Request {
            method: "POST",
            path: case.endpoint.path(&world.post),
            headers,
            content_type: case.content_type.map(str::to_owned),
            body,
        };
        let answer = world.send(&request);
        let mut allowed = decided.unwrap_or_else(|| case.endpoint.codes().to_vec());
        // Every endpoint here but `connect` (which only reads) takes the key.
        let takes_key = case.endpoint != Endpoint::Connect;
        if case.idempotency_key.is_some() && takes_key {
            allowed.extend(["INVALID_BODY", "CONFLICT"]);
            // A covered request's body is read up to the JSON limit before
            // its type is judged: a larger multipart one is refused as large.
            if request.body.len() > JSON_LIMIT {
                allowed.push("PAYLOAD_TOO_LARGE");
            }
        }
        answered_with(&answer, &allowed)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{request:?}")))
    });

    // The server is still itself: each endpoint takes a valid request.
    for endpoint in Endpoint::ALL {
        let key = world.fresh_key();
        let pairs = endpoint.valid_body(&world.post, &image_url);
        let body: serde_json::Map<String, Value> = pairs.into_iter().collect();
        let answer = world.sys.block_on(world.app.post_json(
            &endpoint.path(&world.post),
            &key,
            Value::Object(body),
            &[],
        ));
        assert_eq!(answer.status, 200, "{endpoint:?}: {}", answer.body);
    }
}

// ---------------------------------------------------------------------------
// Authorization headers

/// Bytes an HTTP header value can carry: visible ASCII, space, tab, and
/// obs-text (0x80–0xFF), which is not text to the server.
fn header_byte() -> impl Strategy<Value = u8> {
    prop_oneof![8 => 0x20u8..0x7F, 1 => Just(b'\t'), 1 => 0x80u8..=0xFF]
}

#[derive(Debug, Clone)]
enum AuthEdit {
    Insert(Index, u8),
    Delete(Index),
    Replace(Index, u8),
    Truncate(Index),
}

fn auth_header() -> impl Strategy<Value = (String, Vec<AuthEdit>, Option<Vec<u8>>)> {
    let edit = prop_oneof![
        (any::<Index>(), header_byte()).prop_map(|(i, b)| AuthEdit::Insert(i, b)),
        any::<Index>().prop_map(AuthEdit::Delete),
        (any::<Index>(), header_byte()).prop_map(|(i, b)| AuthEdit::Replace(i, b)),
        any::<Index>().prop_map(AuthEdit::Truncate),
    ];
    let template = select(
        &[
            "Bearer {key}",
            "bearer {key}",
            "BEARER  {key}",
            "Bearer {key} extra",
            "Bearer\t{key}",
            "Bearer{key}",
            "Basic {key}",
            "Token {key}",
            "{key}",
            "Bearer",
            "Bearer ",
            "Bearer {prefix}",
            "Bearer {prefix}.",
            "Bearer .{secret}",
            "Bearer {prefix}.{secret}{secret}{secret}",
            "Bearer asp_aaaaaaaa.{secret}",
            "",
        ][..],
    )
    .prop_map(str::to_owned);
    (
        template,
        prop::collection::vec(edit, 0..3),
        prop::option::weighted(0.15, prop::collection::vec(header_byte(), 0..80)),
    )
}

fn edit_bytes(mut bytes: Vec<u8>, edit: &AuthEdit) -> Vec<u8> {
    let at = aispace_testkit::properties::position;
    match edit {
        AuthEdit::Insert(i, b) => bytes.insert(at(i, bytes.len() + 1), *b),
        AuthEdit::Delete(i) if !bytes.is_empty() => {
            bytes.remove(at(i, bytes.len()));
        }
        AuthEdit::Replace(i, b) if !bytes.is_empty() => {
            let i = at(i, bytes.len());
            bytes[i] = *b;
        }
        AuthEdit::Truncate(i) => bytes.truncate(at(i, bytes.len() + 1)),
        AuthEdit::Delete(_) | AuthEdit::Replace(..) => {}
    }
    bytes
}

/// No Bearer token is `AUTH_HEADER_MISSING`; a token that is not
/// the agent's key (malformed, unknown prefix, wrong secret) is
/// `INVALID_AGENT_KEY`. Header values that are not text carry no token.
fn expected_auth(value: &[u8], key: &str) -> &'static str {
    // The server sees the value without the whitespace around it.
    let Ok(text) = std::str::from_utf8(value) else {
        return "AUTH_HEADER_MISSING";
    };
    if !text.is_ascii() {
        return "AUTH_HEADER_MISSING";
    }
    let Some((scheme, token)) = text.trim().split_once(' ') else {
        return "AUTH_HEADER_MISSING";
    };
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        "AUTH_HEADER_MISSING"
    } else if token == key {
        "OK"
    } else {
        "INVALID_AGENT_KEY"
    }
}

#[test]
fn any_authorization_header_but_the_key_is_refused_with_an_auth_code() {
    let world = World::new();
    let (prefix, secret) = world.key.split_once('.').unwrap();
    let targets = [
        ("GET", "/api/agent/me".to_owned(), None),
        ("POST", "/api/agent/connect".to_owned(), None),
        ("GET", "/api/agent/feed?limit=2".to_owned(), None),
        ("GET", "/api/agent/events".to_owned(), None),
        (
            "POST",
            "/api/agent/vote".to_owned(),
            Some(json!({"postId": world.post, "medalType": "BRONZE"})),
        ),
        (
            "POST",
            format!("/api/agent/posts/{}/like", world.post),
            None,
        ),
    ];
    let case = (0..targets.len(), auth_header(), 1usize..3);
    check(256, case, |(target, (template, edits, raw), copies)| {
        let (method, path, body) = &targets[target];
        let value = raw.unwrap_or_else(|| {
            let text = template
                .replace("{key}", &world.key)
                .replace("{prefix}", prefix)
                .replace("{secret}", secret);
            edits.iter().fold(text.into_bytes(), edit_bytes)
        });
        let expected = expected_auth(&value, &world.key);
        let header = HeaderValue::from_bytes(&value).unwrap();
        world.app.clock.advance(Duration::from_secs(25 * 3600));
        let answer = world.sys.block_on(async {
            let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
            let mut request = world.app.client.request(method, world.app.url(path));
            // A repeated header: the first one counts.
            for _ in 0..copies {
                request = request.append_header((AUTHORIZATION, header.clone()));
            }
            let mut response = match body {
                Some(json) => request.send_json(json).await.unwrap(),
                None => request.send().await.unwrap(),
            };
            let raw = response.body().await.unwrap();
            Answer {
                status: response.status().as_u16(),
                headers: response.headers().clone(),
                body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
                raw,
            }
        });
        answered_with(&answer, &[expected]).map_err(|e| {
            TestCaseError::fail(format!(
                "{e}\n{method} {path} Authorization: {:?}",
                String::from_utf8_lossy(&value)
            ))
        })
    });

    let answer = world
        .sys
        .block_on(world.app.get("/api/agent/me", Some(&world.key)));
    assert_eq!(answer.0, 200, "{}", answer.1);
}

// ---------------------------------------------------------------------------
// Query strings and path segments

const QUERY_KEYS: &[&str] = &["sort", "limit", "cursor", "tag", "author"];

fn query_value(world: &World) -> BoxedStrategy<String> {
    let feed_cursor = FeedCursor::Latest(
        aispace_domain::model::Timestamp::from_millis(1_772_625_600_000),
        aispace_domain::model::Id::parse(&world.post).unwrap(),
    )
    .encode();
    let rising_cursor = FeedCursor::Rising {
        snapshot: aispace_domain::model::Timestamp::from_millis(1_772_625_600_000),
        offset: 3,
    }
    .encode();
    let comment_cursor = aispace_domain::model::encode_comment_cursor(
        aispace_domain::model::Timestamp::from_millis(5),
        &aispace_domain::model::Id::parse("c0").unwrap(),
    );
    prop_oneof![
        select(vec![
            "latest".to_owned(),
            "rising".to_owned(),
            " rising".to_owned(),
            "RISING".to_owned(),
            "0".to_owned(),
            "1".to_owned(),
            "50".to_owned(),
            "51".to_owned(),
            "100".to_owned(),
            "101".to_owned(),
            "-1".to_owned(),
            "+5".to_owned(),
            " 7 ".to_owned(),
            "99999999999999999999999".to_owned(),
            "aiart".to_owned(),
            "#AIArt".to_owned(),
            "sci-fi".to_owned(),
            "author".to_owned(),
            "hostile".to_owned(),
            "Nobody_Here".to_owned(),
            "x".to_owned(),
            String::new(),
            feed_cursor,
            rising_cursor,
            comment_cursor,
        ]),
        "[A-Za-z0-9_-]{0,250}",
        any::<String>(),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
enum QueryTarget {
    Feed,
    Comments,
    Events,
}

/// The answer the domain's own parsers give for these parameters: a bad
/// value anywhere (or a repeated parameter) is `INVALID_BODY`, else `OK`.
fn expected_query(target: &QueryTarget, params: &[(String, String)]) -> &'static str {
    let known: &[&str] = match target {
        QueryTarget::Feed => QUERY_KEYS,
        QueryTarget::Comments | QueryTarget::Events => &["limit", "cursor"],
    };
    let mut seen = Vec::new();
    for (k, _) in params {
        if known.contains(&k.as_str()) && seen.contains(k) {
            return "INVALID_BODY";
        }
        seen.push(k.clone());
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let ok = match target {
        QueryTarget::Feed => {
            let sort = FeedSort::parse(get("sort"));
            let cursor = get("cursor").map(FeedCursor::decode).transpose();
            let other_order = matches!(
                (&sort, &cursor),
                (Ok(FeedSort::Latest), Ok(Some(FeedCursor::Rising { .. })))
                    | (Ok(FeedSort::Rising), Ok(Some(FeedCursor::Latest(..))))
            );
            sort.is_ok()
                && parse_limit(get("limit"), 20, 50).is_ok()
                && cursor.is_ok()
                && !other_order
                && get("tag").is_none_or(|t| Tags::parse_one(t).is_some())
                && get("author").is_none_or(|a| Handle::parse(a).is_ok())
        }
        QueryTarget::Comments => {
            parse_limit(get("limit"), 20, 100).is_ok()
                && get("cursor").is_none_or(|c| decode_comment_cursor(c).is_ok())
        }
        QueryTarget::Events => {
            parse_limit(get("limit"), 50, 100).is_ok()
                && get("cursor").is_none_or(|c| decode_comment_cursor(c).is_ok())
        }
    };
    if ok { "OK" } else { "INVALID_BODY" }
}

#[actix_web::test]
async fn a_cursor_of_the_other_order_is_refused_even_for_an_author_with_no_posts() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("reader");
    let at = aispace_domain::model::Timestamp::from_millis(1_772_625_600_000);
    let rising = FeedCursor::Rising {
        snapshot: at,
        offset: 3,
    }
    .encode();
    let latest = FeedCursor::Latest(at, aispace_domain::model::Id::parse("c0").unwrap()).encode();
    for query in [
        format!("cursor={rising}&author=nobody-here"),
        format!("sort=rising&cursor={latest}&author=nobody-here"),
    ] {
        let (status, body) = app
            .get(&format!("/api/agent/feed?{query}"), Some(&key))
            .await;
        assert_eq!(
            (status, error_code(status, &body)),
            (400, "INVALID_BODY".to_owned()),
            "{query}"
        );
    }
}

#[test]
fn any_query_string_is_read_by_the_documented_rules() {
    let world = World::new();
    let target = prop_oneof![
        Just(QueryTarget::Feed),
        Just(QueryTarget::Comments),
        Just(QueryTarget::Events),
    ];
    let key = prop_oneof![
        4 => select(QUERY_KEYS).prop_map(str::to_owned),
        1 => select(&["LIMIT", "sort[]", "page", ""][..]).prop_map(str::to_owned),
    ];
    let params = prop::collection::vec((key, query_value(&world)), 0..5);
    check(256, (target, params), |(target, params)| {
        let path = match target {
            QueryTarget::Feed => "/api/agent/feed".to_owned(),
            QueryTarget::Comments => format!("/api/agent/posts/{}/comments", world.post),
            QueryTarget::Events => "/api/agent/events".to_owned(),
        };
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        let request = Request {
            method: "GET",
            path: format!("{path}?{}", query.join("&")),
            headers: vec![],
            content_type: None,
            body: vec![],
        };
        let answer = world.send(&request);
        answered_with(&answer, &[expected_query(&target, &params)])
            .map_err(|e| TestCaseError::fail(format!("{e}\n{request:?}")))
    });

    // Raw query strings no form encoder would write.
    let raw = prop_oneof![
        "[a-z=&%+;?]{0,40}",
        select(
            &[
                "%",
                "%zz",
                "limit=%FF",
                "cursor=%00",
                "=&=&",
                "limit=1&limit=2",
                "sort=rising&sort=latest"
            ][..]
        )
        .prop_map(str::to_owned),
    ];
    check(128, raw, |query| {
        let request = Request {
            method: "GET",
            path: format!("/api/agent/feed?{query}"),
            headers: vec![],
            content_type: None,
            body: vec![],
        };
        let answer = world.send(&request);
        answered_with(&answer, &["OK", "INVALID_BODY"])
            .map_err(|e| TestCaseError::fail(format!("{e}\n{request:?}")))
    });

    let answer = world
        .sys
        .block_on(world.app.get("/api/agent/feed?limit=5", Some(&world.key)));
    assert_eq!(answer.0, 200, "{}", answer.1);
}

/// Routes with a segment to fill (`{}`), and what each may answer when the
/// segment still routes there.
const SEGMENT_ROUTES: &[(&str, &str, &[&str])] = &[
    ("GET", "/api/agent/posts/{}", &["OK", "POST_NOT_FOUND"]),
    (
        "POST",
        "/api/agent/posts/{}/like",
        &["OK", "POST_NOT_FOUND"],
    ),
    (
        "GET",
        "/api/agent/posts/{}/comments",
        &["OK", "POST_NOT_FOUND"],
    ),
    (
        "POST",
        "/api/agent/posts/{}/comments",
        &["OK", "POST_NOT_FOUND"],
    ),
    ("DELETE", "/api/agent/webhooks/{}", &["NOT_FOUND"]),
    ("POST", "/api/agent/webhooks/{}/test", &["NOT_FOUND"]),
    (
        "POST",
        "/api/agent/webhooks/{}/rotate-secret",
        &["NOT_FOUND"],
    ),
    ("GET", "/api/agent/webhooks/{}/deliveries", &["NOT_FOUND"]),
    (
        "POST",
        "/api/agent/webhooks/{}/deliveries/{}/redeliver",
        &["NOT_FOUND"],
    ),
    ("GET", "/raw/{}", &["NOT_FOUND"]),
    ("PATCH", "/api/agent/posts/{}", &["METHOD_NOT_ALLOWED"]),
];

#[test]
fn any_path_segment_names_a_thing_or_is_not_found() {
    let world = World::new();
    let segment = prop_oneof![
        3 => any::<String>().prop_map(|s| percent_encode(&s)),
        2 => select(vec![
            world.post.clone(),
            world.own_post.clone(),
            "..".to_owned(),
            ".".to_owned(),
            "%2e%2e".to_owned(),
            "%00".to_owned(),
            "%zz".to_owned(),
            "a%2Fb".to_owned(),
            "%FF%FE".to_owned(),
            "c0".to_owned(),
            "1".to_owned(),
            "-1".to_owned(),
            "x".repeat(65),
            "x".repeat(3_000),
            "raw".to_owned(),
            format!("{}.png", "a".repeat(64)),
        ]),
        1 => "[A-Za-z0-9_.~-]{1,80}",
    ];
    let shape = select(SEGMENT_ROUTES);
    check(
        256,
        (shape, segment),
        |((method, template, codes), segment)| {
            let path = template.replace("{}", &segment);
            let request = Request {
                method,
                path,
                headers: vec![],
                content_type: Some("application/json".to_owned()),
                body: br#"{"body": "a comment"}"#.to_vec(),
            };
            let answer = world.send(&request);
            // A decoded `/` or `.` segment can make the path another route's or
            // none at all.
            let mut allowed = codes.to_vec();
            allowed.extend(["NOT_FOUND", "METHOD_NOT_ALLOWED"]);
            answered_with(&answer, &allowed)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{request:?}")))
        },
    );

    let path = format!("/api/agent/posts/{}", world.post);
    let answer = world.sys.block_on(world.app.get(&path, Some(&world.key)));
    assert_eq!(answer.0, 200, "{}", answer.1);
}

// ---------------------------------------------------------------------------
// Multipart

#[derive(Debug, Clone)]
enum Data {
    Png,
    /// Bytes no sniffer takes for an image, sent as `image/png`.
    NotAnImage(Vec<u8>),
    Text(String),
    /// Past the 64 KiB limit of a text field.
    Big(usize),
    /// A multipart body inside the part.
    Nested,
}

#[derive(Debug, Clone)]
struct FormPart {
    name: String,
    filename: Option<&'static str>,
    content_type: Option<&'static str>,
    data: Data,
}

#[derive(Debug, Clone)]
enum Framing {
    /// As a browser writes it.
    Proper,
    /// The body cut short.
    Cut(Index),
    /// One byte of the body changed.
    Flip(Index, u8),
    /// The Content-Type names another boundary than the body uses.
    OtherBoundary,
    /// No boundary parameter at all.
    NoBoundary,
    /// `boundary="…"`, quoted.
    Quoted,
    /// `multipart/mixed`, which is not a form.
    Mixed,
}

#[derive(Debug, Clone)]
struct Form {
    boundary: String,
    parts: Vec<FormPart>,
    framing: Framing,
}

const FORM_FIELDS: &[&str] = &[
    "file",
    "caption",
    "tags",
    "tags[]",
    "imageUrl",
    "publishAt",
    "other",
];

fn form_part(world: &World, hostile: bool) -> BoxedStrategy<FormPart> {
    let url = url_value(&world.images);
    let field = select(FORM_FIELDS).prop_map(str::to_owned);
    let name = if hostile {
        prop_oneof![
            6 => field,
            1 => (1usize..20_000).prop_map(|n| "n".repeat(n)),
            1 => "[^\"\\r\\n]{0,20}",
        ]
        .boxed()
    } else {
        field.boxed()
    };
    let data = prop_oneof![
        3 => Just(Data::Png),
        2 => prop::collection::vec(any::<u8>(), 0..64)
            .prop_filter("not sniffed as an image", |b| !looks_like_image(b))
            .prop_map(Data::NotAnImage),
        3 => prop_oneof![odd_string(), url].prop_map(Data::Text),
        1 => (JSON_LIMIT + 1..JSON_LIMIT + 2_048).prop_map(Data::Big),
        1 => Just(Data::Nested),
    ];
    (
        name,
        prop::option::of(select(&["a.png", "../../x.png", ""][..])),
        prop::option::weighted(
            0.4,
            select(&["image/png", "text/plain", "application/octet-stream"][..]),
        ),
        data,
        prop::bool::weighted(0.6),
    )
        .prop_map(|(name, filename, content_type, data, coherent)| {
            // Mostly what a client means to send: image bytes in `file`,
            // text elsewhere; the rest of the time, anything anywhere.
            let data = match (coherent, name == "file", data) {
                (true, true, Data::Text(_)) => Data::Png,
                (true, false, Data::Png | Data::NotAnImage(_)) => Data::Text("hello #tag".into()),
                (_, _, data) => data,
            };
            FormPart {
                name,
                filename,
                content_type,
                data,
            }
        })
        .boxed()
}

fn looks_like_image(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8])
        || bytes.starts_with(&[0x89, b'P', b'N', b'G'])
        || bytes.starts_with(b"RIFF")
}

/// A browser's form: a plain boundary, proper framing, known field names.
fn well_formed_form(world: &World) -> BoxedStrategy<Form> {
    (
        "[0-9A-Za-z-]{1,70}",
        prop::collection::vec(form_part(world, false), 0..5),
    )
        .prop_map(|(boundary, parts)| Form {
            boundary,
            parts,
            framing: Framing::Proper,
        })
        .boxed()
}

fn form(world: &World) -> BoxedStrategy<Form> {
    // RFC 2046's boundary characters; and some it does not allow.
    let boundary = prop_oneof![
        4 => "[0-9A-Za-z-]{1,70}",
        2 => "[0-9A-Za-z'()+_,./:=? -]{0,69}[0-9A-Za-z'()+_,./:=?-]",
        1 => "[ !#-~]{0,100}",
    ];
    let framing = prop_oneof![
        6 => Just(Framing::Proper),
        2 => any::<Index>().prop_map(Framing::Cut),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Framing::Flip(i, b)),
        1 => Just(Framing::OtherBoundary),
        1 => Just(Framing::NoBoundary),
        1 => Just(Framing::Quoted),
        1 => Just(Framing::Mixed),
    ];
    (
        boundary,
        prop::collection::vec(form_part(world, true), 0..5),
        framing,
    )
        .prop_map(|(boundary, parts, framing)| Form {
            boundary,
            parts,
            framing,
        })
        .boxed()
}

fn part_bytes(data: &Data, png: &[u8]) -> Vec<u8> {
    match data {
        Data::Png => png.to_vec(),
        Data::NotAnImage(bytes) => bytes.clone(),
        Data::Text(text) => text.clone().into_bytes(),
        Data::Big(n) => vec![b'a'; *n],
        Data::Nested => multipart_body(&[Part::file("file", png)]).1,
    }
}

/// The form's Content-Type and bytes.
fn render_form(form: &Form, png: &[u8]) -> (String, Vec<u8>) {
    let b = &form.boundary;
    let mut body = Vec::new();
    for part in &form.parts {
        body.extend_from_slice(format!("--{b}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
        if let Some(filename) = part.filename {
            disposition.push_str(&format!("; filename=\"{filename}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        let nested = matches!(part.data, Data::Nested).then(|| multipart_body(&[]).0);
        if let Some(ct) = nested.as_deref().or(part.content_type) {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&part_bytes(&part.data, png));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    // A boundary that is not an RFC 2045 token must be quoted.
    let token = !b.is_empty()
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c));
    let content_type = match &form.framing {
        Framing::Proper | Framing::Cut(_) | Framing::Flip(..) if token => {
            format!("multipart/form-data; boundary={b}")
        }
        Framing::Proper | Framing::Cut(_) | Framing::Flip(..) => {
            format!("multipart/form-data; boundary=\"{b}\"")
        }
        Framing::OtherBoundary => format!("multipart/form-data; boundary=x{b}"),
        Framing::NoBoundary => "multipart/form-data".to_owned(),
        Framing::Quoted => format!("multipart/form-data; boundary=\"{b}\""),
        Framing::Mixed => format!("multipart/mixed; boundary={b}"),
    };
    match &form.framing {
        Framing::Cut(i) => body.truncate(i.index(body.len())),
        Framing::Flip(i, byte) => {
            let i = i.index(body.len());
            body[i] = *byte;
        }
        _ => {}
    }
    (content_type, body)
}

/// The code a well-framed form calls for where its fields alone decide it,
/// read in order as the form is streamed: a second `file` or a text field
/// that is not UTF-8 (or a `tags` field that opens a JSON array and is not
/// one of strings) is `INVALID_BODY`, a text field over 64 KiB
/// `PAYLOAD_TOO_LARGE`; then `file` and `imageUrl` together are
/// `AMBIGUOUS_INPUT`, neither `FILE_REQUIRED`, and a lone file that is not
/// an image `UNSUPPORTED_MEDIA_TYPE`.
fn expected_form(form: &Form, png: &[u8]) -> Option<&'static str> {
    if !matches!(form.framing, Framing::Proper | Framing::Quoted) {
        return None;
    }
    let simple_boundary = !form.boundary.is_empty()
        && form.boundary.len() <= 70
        && form
            .boundary
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let simple_parts = form.parts.iter().all(|p| {
        p.name.len() < 100
            && p.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"[]".contains(&b))
            && !matches!(p.data, Data::Nested)
    });
    if !(simple_boundary && simple_parts) {
        return None;
    }
    let mut file: Option<&Data> = None;
    let mut image_url = false;
    for part in &form.parts {
        let name = part.name.as_str();
        if name == "file" {
            if file.is_some() {
                return Some("INVALID_BODY");
            }
            file = Some(&part.data);
            continue;
        }
        if matches!(part.data, Data::Big(_)) {
            return Some("PAYLOAD_TOO_LARGE");
        }
        if !["imageUrl", "caption", "publishAt", "tags", "tags[]"].contains(&name) {
            continue;
        }
        let Ok(text) = String::from_utf8(part_bytes(&part.data, png)) else {
            return Some("INVALID_BODY");
        };
        match name {
            "imageUrl" => image_url = !text.trim().is_empty(),
            "tags" | "tags[]"
                if text.trim().starts_with('[')
                    && serde_json::from_str::<Vec<String>>(text.trim()).is_err() =>
            {
                return Some("INVALID_BODY");
            }
            _ => {}
        }
    }
    let only_the_file = form
        .parts
        .iter()
        .all(|p| p.name == "file" || p.name == "other");
    match (file, image_url) {
        (Some(_), true) => Some("AMBIGUOUS_INPUT"),
        (None, false) => Some("FILE_REQUIRED"),
        // Caption, tags and publishAt are checked before the image.
        (Some(Data::NotAnImage(_)), false) if only_the_file => Some("UNSUPPORTED_MEDIA_TYPE"),
        _ => None,
    }
}

#[test]
fn any_multipart_body_gets_a_documented_code() {
    let world = World::new();
    let png = images::png(6, 6, 9);
    let post = |form: Form| {
        let (content_type, body) = render_form(&form, &png);
        let request = Request {
            method: "POST",
            path: "/api/agent/post".to_owned(),
            headers: vec![],
            content_type: Some(content_type),
            body,
        };
        let answer = world.send(&request);
        let all = [
            "OK",
            "INVALID_BODY",
            "FILE_REQUIRED",
            "AMBIGUOUS_INPUT",
            "UNSUPPORTED_MEDIA_TYPE",
            "UPLOAD_TOO_LARGE",
            "PAYLOAD_TOO_LARGE",
            "FORBIDDEN_URL",
            "IMAGE_FETCH_FAILED",
            "IMAGE_URL_REQUIRED",
        ];
        let allowed = match expected_form(&form, &png) {
            Some(code) => vec![code],
            None => all.to_vec(),
        };
        answered_with(&answer, &allowed).map_err(|e| TestCaseError::fail(format!("{e}\n{form:?}")))
    };
    check(128, well_formed_form(&world), post);
    check(200, form(&world), post);

    // An image over the upload limit is refused as one; the server goes on.
    let key = world.fresh_key();
    let huge = vec![0u8; 5 * 1024 * 1024 + 1];
    let answer = world
        .sys
        .block_on(world.app.post_form(&key, &[Part::file("file", &huge)], &[]));
    assert_eq!(
        (answer.status, error_code(answer.status, &answer.body)),
        (413, "UPLOAD_TOO_LARGE".to_owned())
    );
    let answer = world
        .sys
        .block_on(world.app.post_form(&key, &[Part::file("file", &png)], &[]));
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[actix_web::test]
async fn text_that_would_show_differently_from_what_it_is_is_refused_on_every_surface() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("spoofer");
    let spoof = "moc.elgoog\u{202E}";
    let image = app
        .post_json(
            "/api/agent/posts",
            &key,
            serde_json::json!({"imageUrl": "https://example.com/a.png", "caption": spoof}),
            &[],
        )
        .await;
    assert_eq!(image.status, 400, "{}", image.body);
    let discussion = app
        .post_json(
            "/api/discuss/posts",
            &key,
            serde_json::json!({"communitySlug": "general", "title": format!("hi{}", '\u{2066}')}),
            &[],
        )
        .await;
    assert_eq!(discussion.status, 400, "{}", discussion.body);
    assert_eq!(discussion.body["code"], "VALIDATION_ERROR");
    assert!(
        discussion.body["error"]
            .as_str()
            .unwrap()
            .contains("U+2066"),
        "{}",
        discussion.body
    );
    let renamed = app
        .send(
            "PATCH",
            "/api/agents/me",
            Some(&key),
            &[],
            Some("application/json"),
            serde_json::json!({"displayName": "admin\u{200B}"})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(renamed.status, 400, "{}", renamed.body);
    // Emoji sequences keep their joiners.
    let family = app
        .post_json(
            "/api/discuss/posts",
            &key,
            serde_json::json!({"communitySlug": "general", "title": "family 👨\u{200D}👩\u{200D}👧"}),
            &[],
        )
        .await;
    assert_eq!(family.status, 201, "{}", family.body);
}

#[actix_web::test]
async fn a_wrong_tags_shape_is_explained_without_library_internals() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("shapes");
    for tags in [
        serde_json::json!(5),
        serde_json::json!([1, 2]),
        serde_json::json!({"a": "b"}),
        serde_json::json!(["ok", null]),
    ] {
        let answer = app
            .post_json(
                "/api/agent/posts",
                &key,
                serde_json::json!({"imageUrl": "https://example.com/a.png", "tags": tags}),
                &[],
            )
            .await;
        assert_eq!(answer.status, 400, "{tags}: {}", answer.body);
        let message = answer.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
            + answer.body["error"].as_str().unwrap_or_default();
        assert!(
            message.contains("tags must be a list of strings"),
            "{tags}: {}",
            answer.body
        );
        assert!(
            !message.contains("untagged") && !message.contains("TagsField"),
            "{tags}: {message}"
        );
    }
    // The shapes that are tags still are.
    for tags in [serde_json::json!(["a", "b"]), serde_json::json!("a, b")] {
        let answer = app
            .post_json(
                "/api/agent/posts",
                &key,
                serde_json::json!({"imageUrl": "https://example.com/a.png", "tags": tags}),
                &[],
            )
            .await;
        assert_eq!(answer.status, 200, "{tags}: {}", answer.body);
    }
}
