//! Who may act, systematically: every authenticated endpoint,
//! listed in a table that is checked against the OpenAPI document (a new
//! endpoint cannot be left out), refuses every kind of bad credential with
//! its documented code and changes nothing in the store; and one agent's
//! valid key never reaches another agent's webhooks, events, scheduled
//! posts or idempotent replays.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::time::Duration;

use aispace_domain::model::{ApiKey, BlobKey, Id, ImageType};
use aispace_domain::ports::WebhookStore;
use aispace_testkit::image_server::{ImageServer, Route};
use aispace_testkit::images;
use serde_json::{Value, json};

use crate::app::{Answer, Part, TestApp, allow_http, multipart_body};

/// A webhook receiver on 127.0.0.1 that answers every delivery with 204.
fn receiver() -> ImageServer {
    let ok = Route::Respond {
        status: 204,
        content_type: "text/plain",
        body: Vec::new(),
    };
    ImageServer::start(Ipv4Addr::LOCALHOST.into(), vec![("/hook", ok)]).unwrap()
}

enum Body {
    Empty,
    Json(Value),
    Upload(Vec<u8>),
}

/// Whose things a call reaches; it decides what another agent's valid key
/// gets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Reach {
    /// A webhook of the victim, named in the path: `NOT_FOUND`, exactly as
    /// for a webhook that does not exist.
    VictimsWebhook,
    /// The caller's own account: profile, webhooks, events, new posts.
    Caller,
    /// Any agent's published post, read or reacted to as the caller.
    Public,
    /// The victim's own post or comment, named in the path (deleting it):
    /// `NOT_FOUND` for anyone else, exactly as for one that does not exist.
    VictimsContent,
}

/// One authenticated endpoint (as the OpenAPI document names it) and a
/// request to it that the victim's valid key gets a 200 for, so a refusal
/// can only come from the credential.
struct Call {
    method: &'static str,
    template: &'static str,
    path: String,
    body: Body,
    reach: Reach,
    /// With a valid key, the store changes.
    writes: bool,
}

impl Call {
    fn new(method: &'static str, template: &'static str, path: String, reach: Reach) -> Self {
        Call {
            method,
            template,
            path,
            body: Body::Empty,
            reach,
            // `connect` only reads (the key's `lastUsedAt` aside).
            writes: !matches!(method, "GET") && template != "/api/agent/connect",
        }
    }

    fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }

    fn label(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    async fn send(&self, app: &TestApp, key: Option<&str>) -> Answer {
        let (content_type, body) = match &self.body {
            Body::Empty => (None, Vec::new()),
            // `{sender}` stands for a slug of the sender's own, for what
            // every sender must name differently (a community it makes).
            Body::Json(value) => (
                Some("application/json".to_owned()),
                value
                    .to_string()
                    .replace("{sender}", &sender_slug(key))
                    .into_bytes(),
            ),
            Body::Upload(png) => {
                let (content_type, body) = multipart_body(&[
                    Part::file("file", png),
                    Part::text("caption", "only the victim may post this"),
                ]);
                (Some(content_type), body)
            }
        };
        app.send(
            self.method,
            &self.path,
            key,
            &[],
            content_type.as_deref(),
            body,
        )
        .await
    }
}

/// A slug from the key's public lookup part (never its secret).
fn sender_slug(key: Option<&str>) -> String {
    let Some(key) = key else {
        return "nobody".to_owned();
    };
    let public = key.split('.').next().unwrap_or(key);
    public
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(20)
        .collect()
}

/// The victim's account: a webhook with one delivery, and a post of
/// another agent (the artist) to react to.
struct Scene {
    app: TestApp,
    victim: aispace_domain::model::Handle,
    victim_key: String,
    victim_id: String,
    artists_post: String,
    artists_discussion: String,
    webhook: String,
    webhook_secret: String,
    delivery: String,
    upload: Vec<u8>,
    _receiver: ImageServer,
}

/// The victim's own post, meme and discussion, each with a comment of
/// its own.
async fn own_content(app: &TestApp, key: &str) -> [(String, String); 3] {
    let post = app.image_post(key, 77, "the victim's own").await;
    let meme = app
        .post_json(
            "/api/v1/memes",
            key,
            json!({"concept": "the victim's own meme"}),
            &[],
        )
        .await;
    assert_eq!(meme.status, 201, "{}", meme.body);
    let meme = meme.body["id"].as_str().unwrap().to_owned();
    let discussion = app
        .post_json(
            "/api/discuss/posts",
            key,
            json!({"communitySlug": "general", "title": "The victim's own"}),
            &[],
        )
        .await;
    assert_eq!(discussion.status, 201, "{}", discussion.body);
    let discussion = discussion.body["id"].as_str().unwrap().to_owned();
    let mut comments = Vec::new();
    for (path, body, id) in [
        (
            format!("/api/agent/posts/{post}/comments"),
            json!({"body": "mine"}),
            "/comment/id",
        ),
        (
            format!("/api/v1/memes/{meme}/comments"),
            json!({"content": "mine"}),
            "/id",
        ),
        (
            format!("/api/discuss/posts/{discussion}/comments"),
            json!({"bodyMd": "mine"}),
            "/id",
        ),
    ] {
        app.clock.advance(Duration::from_secs(60));
        let said = app.post_json(&path, key, body, &[]).await;
        assert!((200..300).contains(&said.status), "{}", said.body);
        comments.push(said.body.pointer(id).unwrap().as_str().unwrap().to_owned());
    }
    let [a, b, c]: [String; 3] = comments.try_into().unwrap();
    [(post, a), (meme, b), (discussion, c)]
}

/// An id no post or comment has.
const UNKNOWN_ID: &str = "c0000000000000000000000000";

impl Scene {
    async fn build(victim: &str) -> Scene {
        let app = TestApp::spawn_with(allow_http()).await;
        let receiver = receiver();
        let (handle, key) = app.agent(victim);
        let (_, artist) = app.agent("artist");
        let png = images::png(4, 4, 1);
        let posted = app
            .post_form(&artist, &[Part::file("file", &png)], &[])
            .await;
        assert_eq!(posted.status, 200, "{}", posted.body);
        let discussed = app
            .post_json(
                "/api/discuss/posts",
                &artist,
                json!({"communitySlug": "general", "title": "The artist speaks"}),
                &[],
            )
            .await;
        assert_eq!(discussed.status, 201, "{}", discussed.body);
        let created = app
            .post_json(
                "/api/agent/webhooks",
                &key,
                json!({"url": receiver.url("/hook")}),
                &[],
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.body);
        let webhook = created.body["webhook"]["id"].as_str().unwrap().to_owned();
        let pinged = app
            .post(&format!("/api/agent/webhooks/{webhook}/test"), Some(&key))
            .await;
        assert_eq!(pinged.0, 200, "{}", pinged.1);
        assert!(app.aispace.deliver_one().unwrap());
        let (_, log) = app
            .get(
                &format!("/api/agent/webhooks/{webhook}/deliveries"),
                Some(&key),
            )
            .await;
        assert_eq!(log["deliveries"][0]["status"], "DELIVERED", "{log}");
        let (_, me) = app.get("/api/agent/me", Some(&key)).await;
        Scene {
            victim: handle,
            victim_id: me["agentId"].as_str().unwrap().to_owned(),
            victim_key: key,
            artists_post: posted.body["postId"].as_str().unwrap().to_owned(),
            artists_discussion: discussed.body["id"].as_str().unwrap().to_owned(),
            webhook_secret: created.body["webhook"]["secret"]
                .as_str()
                .unwrap()
                .to_owned(),
            webhook,
            delivery: log["deliveries"][0]["id"].as_str().unwrap().to_owned(),
            upload: images::png(5, 5, 2),
            app,
            _receiver: receiver,
        }
    }

    /// Every authenticated endpoint, the deletion last (the calls before it
    /// need the webhook).
    fn calls(&self) -> Vec<Call> {
        use Reach::{Caller, Public, VictimsWebhook};
        let post = &self.artists_post;
        let discussion = &self.artists_discussion;
        let hook = &self.webhook;
        vec![
            Call::new(
                "POST",
                "/api/agent/connect",
                "/api/agent/connect".into(),
                Caller,
            ),
            Call::new("GET", "/api/agent/me", "/api/agent/me".into(), Caller),
            Call {
                body: Body::Upload(self.upload.clone()),
                ..Call::new("POST", "/api/agent/post", "/api/agent/post".into(), Caller)
            },
            Call::new(
                "POST",
                "/api/agent/posts",
                "/api/agent/posts".into(),
                Caller,
            )
            .json(json!({"imageUrl": "https://example.com/legacy.png"})),
            Call::new(
                "GET",
                "/api/agent/posts/{id}",
                format!("/api/agent/posts/{post}"),
                Public,
            ),
            Call::new("GET", "/api/agent/feed", "/api/agent/feed".into(), Public),
            Call::new("POST", "/api/agent/vote", "/api/agent/vote".into(), Public)
                .json(json!({"postId": post, "medalType": "GOLD"})),
            Call::new(
                "POST",
                "/api/agent/posts/{id}/like",
                format!("/api/agent/posts/{post}/like"),
                Public,
            ),
            Call::new(
                "POST",
                "/api/agent/posts/{id}/comments",
                format!("/api/agent/posts/{post}/comments"),
                Public,
            )
            .json(json!({"body": "a comment"})),
            Call::new(
                "GET",
                "/api/agent/posts/{id}/comments",
                format!("/api/agent/posts/{post}/comments"),
                Public,
            ),
            Call::new(
                "GET",
                "/api/agent/webhooks",
                "/api/agent/webhooks".into(),
                Caller,
            ),
            Call::new(
                "POST",
                "/api/agent/webhooks",
                "/api/agent/webhooks".into(),
                Caller,
            )
            .json(json!({"url": "http://127.0.0.1:9/another"})),
            Call::new(
                "POST",
                "/api/agent/webhooks/{id}/rotate-secret",
                format!("/api/agent/webhooks/{hook}/rotate-secret"),
                VictimsWebhook,
            ),
            Call {
                // On an active webhook: a success that changes nothing.
                writes: false,
                ..Call::new(
                    "POST",
                    "/api/agent/webhooks/{id}/enable",
                    format!("/api/agent/webhooks/{hook}/enable"),
                    VictimsWebhook,
                )
            },
            Call::new(
                "POST",
                "/api/agent/webhooks/{id}/test",
                format!("/api/agent/webhooks/{hook}/test"),
                VictimsWebhook,
            ),
            Call::new(
                "GET",
                "/api/agent/webhooks/{id}/deliveries",
                format!("/api/agent/webhooks/{hook}/deliveries"),
                VictimsWebhook,
            ),
            Call::new(
                "POST",
                "/api/agent/webhooks/{id}/deliveries/{deliveryId}/redeliver",
                format!(
                    "/api/agent/webhooks/{hook}/deliveries/{}/redeliver",
                    self.delivery
                ),
                VictimsWebhook,
            ),
            Call::new(
                "GET",
                "/api/agent/events",
                "/api/agent/events".into(),
                Caller,
            ),
            Call::new(
                "DELETE",
                "/api/agent/webhooks/{id}",
                format!("/api/agent/webhooks/{hook}"),
                VictimsWebhook,
            ),
            Call::new("GET", "/api/v1/memes", "/api/v1/memes".into(), Public),
            Call::new("POST", "/api/v1/memes", "/api/v1/memes".into(), Caller)
                .json(json!({"concept": "a meme only its author may post"})),
            Call::new(
                "GET",
                "/api/v1/memes/{id}",
                format!("/api/v1/memes/{post}"),
                Public,
            ),
            Call::new(
                "POST",
                "/api/v1/memes/{id}/vote",
                format!("/api/v1/memes/{post}/vote"),
                Public,
            )
            .json(json!({"direction": 1})),
            Call::new(
                "POST",
                "/api/v1/memes/{id}/comments",
                format!("/api/v1/memes/{post}/comments"),
                Public,
            )
            .json(json!({"content": "a comment on the other surface"})),
            Call::new(
                "GET",
                "/api/v1/memes/{id}/comments",
                format!("/api/v1/memes/{post}/comments"),
                Public,
            ),
            Call::new(
                "GET",
                "/api/v1/agents/me",
                "/api/v1/agents/me".into(),
                Caller,
            ),
            Call::new("GET", "/api/agents/me", "/api/agents/me".into(), Caller),
            Call::new("PATCH", "/api/agents/me", "/api/agents/me".into(), Caller)
                .json(json!({"modelType": "a model only its agent may name"})),
            Call::new(
                "GET",
                "/api/agents/status",
                "/api/agents/status".into(),
                Caller,
            ),
            Call::new(
                "GET",
                "/api/discuss/communities",
                "/api/discuss/communities".into(),
                Public,
            ),
            Call::new(
                "POST",
                "/api/discuss/communities",
                "/api/discuss/communities".into(),
                Caller,
            )
            .json(json!({"slug": "{sender}"})),
            Call::new(
                "POST",
                "/api/discuss/subscribe",
                "/api/discuss/subscribe".into(),
                Caller,
            )
            .json(json!({"communitySlug": "general"})),
            Call::new(
                "POST",
                "/api/discuss/posts",
                "/api/discuss/posts".into(),
                Caller,
            )
            .json(json!({"communitySlug": "general", "title": "only its author may post this"})),
            Call::new(
                "GET",
                "/api/discuss/posts/{id}",
                format!("/api/discuss/posts/{discussion}"),
                Public,
            ),
            Call::new(
                "POST",
                "/api/discuss/vote",
                "/api/discuss/vote".into(),
                Public,
            )
            .json(json!({"entityType": "post", "entityId": discussion, "value": 1})),
            Call::new(
                "GET",
                "/api/discuss/posts/{id}/comments",
                format!("/api/discuss/posts/{discussion}/comments"),
                Public,
            ),
            Call::new(
                "POST",
                "/api/discuss/posts/{id}/comments",
                format!("/api/discuss/posts/{discussion}/comments"),
                Public,
            )
            .json(json!({"bodyMd": "only its author may write this"})),
            Call::new(
                "GET",
                "/api/discuss/feed",
                "/api/discuss/feed?mode=my".into(),
                Caller,
            ),
            Call::new(
                "GET",
                "/api/discuss/search",
                "/api/discuss/search?q=artist".into(),
                Public,
            ),
            Call::new(
                "POST",
                "/api/agents/{slug}/follow",
                "/api/agents/artist/follow".into(),
                Public,
            ),
            Call::new(
                "DELETE",
                "/api/agents/{slug}/follow",
                "/api/agents/artist/follow".into(),
                Public,
            ),
        ]
    }

    /// Deleting the victim's `own` content, comments before their posts.
    fn deletions(own: &[(String, String); 3]) -> Vec<Call> {
        let [
            (post, post_comment),
            (meme, meme_comment),
            (discussion, discussion_comment),
        ] = own;
        let call = |template, path| Call::new("DELETE", template, path, Reach::VictimsContent);
        vec![
            call(
                "/api/agent/posts/{id}/comments/{commentId}",
                format!("/api/agent/posts/{post}/comments/{post_comment}"),
            ),
            call(
                "/api/v1/memes/{id}/comments/{commentId}",
                format!("/api/v1/memes/{meme}/comments/{meme_comment}"),
            ),
            call(
                "/api/discuss/posts/{id}/comments/{commentId}",
                format!("/api/discuss/posts/{discussion}/comments/{discussion_comment}"),
            ),
            call("/api/agent/posts/{id}", format!("/api/agent/posts/{post}")),
            call("/api/v1/memes/{id}", format!("/api/v1/memes/{meme}")),
            call(
                "/api/discuss/posts/{id}",
                format!("/api/discuss/posts/{discussion}"),
            ),
        ]
    }

    /// What the victim sees of its own account. Nobody else's key may
    /// change any of it.
    async fn victims_view(&self, key: &str) -> Value {
        let app = &self.app;
        let hook = &self.webhook;
        let mut view = json!({});
        for path in [
            "/api/agent/me".to_owned(),
            "/api/agent/webhooks".to_owned(),
            "/api/agent/events".to_owned(),
            format!("/api/agent/webhooks/{hook}/deliveries"),
        ] {
            let (status, body) = app.get(&path, Some(key)).await;
            assert_eq!(status, 200, "{path}: {body}");
            view[path] = body;
            // The clock moves between two views (past comment cooldowns).
            if let Some(me) = view["/api/agent/me"].as_object_mut() {
                me.remove("serverTime");
            }
        }
        let (_, post) = app
            .get(
                &format!("/api/agent/posts/{}", self.artists_post),
                Some(key),
            )
            .await;
        view["agentLiked"] = post["agentLiked"].clone();
        view["agentMedal"] = post["agentMedal"].clone();
        view
    }
}

/// `(METHOD, path template)` of every operation the OpenAPI document says
/// needs a Bearer key (all but those with an empty `security`).
async fn authenticated_operations(app: &TestApp) -> BTreeSet<String> {
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let public = operation["security"]
                .as_array()
                .is_some_and(|s| s.is_empty());
            if ["get", "post", "delete", "put", "patch"].contains(&method.as_str()) && !public {
                operations.insert(format!("{} {path}", method.to_ascii_uppercase()));
            }
        }
    }
    operations
}

#[actix_web::test]
async fn every_authenticated_endpoint_refuses_every_bad_credential_and_changes_nothing() {
    let scene = Scene::build("victim").await;
    let app = &scene.app;
    let mut calls = scene.calls();
    // The victim has no content of its own until the other agent's pass
    // over `calls` is done (its feed reads would show it, and they must
    // show nothing of the victim's); until then its deletions name ids
    // that do not exist, which a bad credential must not get to learn.
    let unknown = || (UNKNOWN_ID.to_owned(), UNKNOWN_ID.to_owned());
    calls.extend(Scene::deletions(&[unknown(), unknown(), unknown()]));
    let listed: BTreeSet<String> = calls.iter().map(Call::label).collect();
    assert_eq!(
        listed,
        authenticated_operations(app).await,
        "the table below must cover every authenticated endpoint"
    );

    // The victim's keys in every state a key can be in, each used
    // successfully right before it goes bad: the change holds from the
    // very next request on.
    let feed = |key: String| async move { app.get("/api/agent/feed", Some(&key)).await.0 };
    let revoked = app.aispace.issue_key(&scene.victim).unwrap().key;
    assert_eq!(feed(revoked.expose()).await, 200);
    app.aispace.revoke_key(revoked.prefix()).unwrap();
    let (current, _) = app
        .aispace
        .rotate_keys(&scene.victim, Duration::from_secs(3600))
        .unwrap();
    let current = current.key.expose();
    let retired = scene.victim_key.clone();
    assert_eq!(feed(retired.clone()).await, 200, "within the grace period");
    app.clock.advance(Duration::from_secs(3600));
    let current_prefix = ApiKey::parse(&current).unwrap().prefix().clone();
    let wrong_secret = format!("{}.{}", current_prefix.as_str(), "A".repeat(43));
    let unknown = format!("asp_zzzzzzzz.{}", "A".repeat(43));

    let states: [(&str, Option<String>, &str, &str); 6] = [
        ("no key", None, "AUTH_HEADER_MISSING", "Bearer"),
        (
            "malformed key",
            Some("not-a-key".into()),
            "INVALID_AGENT_KEY",
            "malformed",
        ),
        ("unknown key", Some(unknown), "INVALID_AGENT_KEY", "unknown"),
        (
            "known prefix, wrong secret",
            Some(wrong_secret),
            "INVALID_AGENT_KEY",
            "unknown",
        ),
        (
            "revoked key",
            Some(revoked.expose()),
            "KEY_REVOKED",
            "revoked",
        ),
        (
            "key retired after the rotation's grace",
            Some(retired),
            "KEY_REVOKED",
            "retired",
        ),
    ];
    // Before each sweep a valid key reads the latest feed page, so the bad
    // key's first request finds that page in the per-process cache.
    let warm = || feed(current.clone());
    assert_eq!(warm().await, 200);
    let before = app.snapshot();
    for (state, key, expected, message) in &states {
        assert_eq!(warm().await, 200);
        refuse_everywhere(
            app,
            &calls,
            state,
            key.as_deref(),
            expected,
            message,
            &before,
        )
        .await;
    }

    // Suspension: the agent's only valid key, used (and the page cached)
    // a moment before.
    assert_eq!(warm().await, 200);
    app.aispace.suspend_agent(&scene.victim).unwrap();
    let suspended = app.snapshot();
    refuse_everywhere(
        app,
        &calls,
        "suspended agent",
        Some(&current),
        "AGENT_SUSPENDED",
        "suspended",
        &suspended,
    )
    .await;
    app.aispace.reactivate_agent(&scene.victim).unwrap();

    // Spelled out what the snapshots already say: nothing counted.
    let (_, artists_post) = app
        .get(
            &format!("/api/agent/posts/{}", scene.artists_post),
            Some(&current),
        )
        .await;
    assert_eq!(
        artists_post["stats"],
        json!({"likes": 0, "comments": 0, "medals": {"gold": 0, "silver": 0, "bronze": 0}})
    );
    let refused_upload = BlobKey::for_content(&scene.upload, ImageType::Png);
    // The blob store blocks on a runtime of its own: not on this one.
    let aispace = app.aispace.clone();
    let stored = std::thread::spawn(move || aispace.blob(&refused_upload).unwrap());
    assert_eq!(stored.join().unwrap(), None, "a refused upload was stored");

    // Another agent's valid key: the victim's webhook is "not found", the
    // rest acts as that agent; the victim's own view does not change.
    let (_, mallory) = app.agent("mallory");
    let view = scene.victims_view(&current).await;
    let gone = gone_webhook(app, &mallory).await;
    let calls: Vec<Call> = calls
        .into_iter()
        .filter(|call| !matches!(call.reach, Reach::VictimsContent))
        .collect();
    for call in &calls {
        step_past_the_comment_cooldown(app, call);
        let before = app.snapshot();
        let answer = call.send(app, Some(&mallory)).await;
        match call.reach {
            Reach::VictimsWebhook => {
                assert_eq!(answer.code(), (404, "NOT_FOUND".into()), "{}", call.label());
                let unknown = Call {
                    path: call.path.replace(&scene.webhook, &gone),
                    ..Call::new(call.method, call.template, String::new(), call.reach)
                };
                let unknown = unknown.send(app, Some(&mallory)).await;
                assert_eq!(
                    (answer.status, &answer.body),
                    (unknown.status, &unknown.body),
                    "{}: distinguishable from a webhook that does not exist",
                    call.label()
                );
                assert!(
                    app.snapshot() == before,
                    "{} changed the store",
                    call.label()
                );
            }
            Reach::VictimsContent => unreachable!("the deletions come below"),
            Reach::Caller | Reach::Public => {
                assert!(
                    (200..300).contains(&answer.status),
                    "{}: {} {}",
                    call.label(),
                    answer.status,
                    answer.body
                );
            }
        }
        let text = String::from_utf8_lossy(&answer.raw);
        for secret in [
            scene.victim_id.as_str(),
            &scene.webhook_secret,
            "\"victim\"",
        ] {
            assert!(
                !text.contains(secret),
                "{} showed mallory the victim's {secret}: {text}",
                call.label()
            );
        }
    }
    assert_eq!(
        scene.victims_view(&current).await,
        view,
        "another agent's key changed the victim's account"
    );

    // The victim's own post, meme and discussion and their comments: the
    // other agent's deletions are `NOT_FOUND`, exactly as for content that
    // does not exist, and change nothing.
    let own = own_content(app, &current).await;
    // Past the discussion allowance its discussion spent.
    app.clock.advance(Duration::from_secs(31 * 60));
    let deletions = Scene::deletions(&own);
    // Making the content moved the clock: the other agent's key records
    // its use now, not during the checks.
    assert_eq!(app.get("/api/agent/me", Some(&mallory)).await.0, 200);
    for call in &deletions {
        let before = app.snapshot();
        let answer = call.send(app, Some(&mallory)).await;
        assert_eq!(answer.status, 404, "{}: {}", call.label(), answer.body);
        let mut path = call.path.clone();
        for (post, comment) in &own {
            path = path.replace(post, UNKNOWN_ID).replace(comment, UNKNOWN_ID);
        }
        let unknown = Call::new(call.method, call.template, path, call.reach)
            .send(app, Some(&mallory))
            .await;
        assert_eq!(
            (answer.status, &answer.body),
            (unknown.status, &unknown.body),
            "{}: distinguishable from content that does not exist",
            call.label()
        );
        assert!(
            app.snapshot() == before,
            "{} changed the store",
            call.label()
        );
    }

    // The victim's own valid key gets a 200 everywhere, and its writes do
    // show in the snapshot: the checks above could have failed.
    for call in calls.iter().chain(&deletions) {
        step_past_the_comment_cooldown(app, call);
        let before = app.snapshot();
        let answer = call.send(app, Some(&current)).await;
        assert!(
            (200..300).contains(&answer.status),
            "{}: {} {}",
            call.label(),
            answer.status,
            answer.body
        );
        if call.writes {
            assert!(app.snapshot() != before, "{} wrote nothing", call.label());
        }
    }
}

/// Both surfaces' comment endpoints share one cooldown: a second comment
/// by the same agent must come after it. (Only before comments: a clock
/// step can refresh a key's `lastUsedAt`, which would change the store.)
fn step_past_the_comment_cooldown(app: &TestApp, call: &Call) {
    if call.method == "POST" && call.template.ends_with("/comments") {
        app.clock.advance(Duration::from_secs(11));
    }
}

/// Sends every call with `key` and expects `(401, expected)` and a message
/// naming the reason, with the store exactly as in `before`. The first
/// request is for the latest feed page, which the caller has just had
/// cached: refused all the same.
async fn refuse_everywhere(
    app: &TestApp,
    calls: &[Call],
    state: &str,
    key: Option<&str>,
    expected: &str,
    message: &str,
    before: &str,
) {
    let cached = Call::new(
        "GET",
        "/api/agent/feed",
        "/api/agent/feed".into(),
        Reach::Public,
    );
    for call in std::iter::once(&cached).chain(calls) {
        let answer = call.send(app, key).await;
        // LOL-65B folds every authentication failure into one code.
        let expected = if call.path.starts_with("/api/v1/") {
            "UNAUTHORIZED"
        } else {
            expected
        };
        assert_eq!(
            answer.status,
            401,
            "{state}: {} answered {}",
            call.label(),
            answer.body
        );
        assert_eq!(
            answer.code(),
            (401, expected.to_owned()),
            "{state}: {}",
            call.label()
        );
        // doseofai's envelope has the message as `error`.
        let said = answer.body["error"]["message"]
            .as_str()
            .or_else(|| answer.body["error"].as_str())
            .unwrap();
        assert!(said.contains(message), "{state}: {said:?}");
        assert!(
            app.snapshot() == before,
            "{state}: {} changed the store",
            call.label()
        );
    }
}

/// The id of a webhook that existed and was deleted: well-formed, unknown.
async fn gone_webhook(app: &TestApp, key: &str) -> String {
    let created = app
        .post_json(
            "/api/agent/webhooks",
            key,
            json!({"url": "http://127.0.0.1:9/gone"}),
            &[],
        )
        .await;
    let id = created.body["webhook"]["id"].as_str().unwrap().to_owned();
    let deleted = app
        .send(
            "DELETE",
            &format!("/api/agent/webhooks/{id}"),
            Some(key),
            &[],
            None,
            vec![],
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    id
}

#[actix_web::test]
async fn one_agents_key_reaches_none_of_anothers_webhooks_events_scheduled_posts_or_replays() {
    let owner = Scene::build("owner").await;
    let app = &owner.app;
    let key = owner.victim_key.as_str();
    let (_, intruder) = app.agent("intruder");
    let gone = gone_webhook(app, &intruder).await;

    let scheduled = app
        .post_form(
            key,
            &[
                Part::file("file", &images::png(6, 6, 3)),
                Part::text("publishAt", "2026-03-04T13:00:00Z"),
            ],
            &[],
        )
        .await;
    assert_eq!(scheduled.body["scheduled"], true, "{}", scheduled.body);
    let scheduled = scheduled.body["scheduledPostId"]
        .as_str()
        .unwrap()
        .to_owned();
    let replayable = [
        Part::file("file", &owner.upload),
        Part::text("caption", "once"),
    ];
    let idempotent = [("Idempotency-Key", "retry-1")];
    let first = app.post_form(key, &replayable, &idempotent).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let owners_post = first.body["postId"].as_str().unwrap().to_owned();

    // The owner's webhook, touched by the intruder every way there is:
    // always the answer for a webhook that does not exist, and no write.
    let hook = &owner.webhook;
    let delivery = &owner.delivery;
    let tries = [
        ("DELETE", format!("/api/agent/webhooks/{hook}")),
        ("POST", format!("/api/agent/webhooks/{hook}/rotate-secret")),
        ("POST", format!("/api/agent/webhooks/{hook}/test")),
        ("GET", format!("/api/agent/webhooks/{hook}/deliveries")),
        (
            "POST",
            format!("/api/agent/webhooks/{hook}/deliveries/{delivery}/redeliver"),
        ),
    ];
    for (method, path) in &tries {
        let before = app.snapshot();
        let answer = app
            .send(method, path, Some(&intruder), &[], None, vec![])
            .await;
        assert_eq!(answer.code(), (404, "NOT_FOUND".into()), "{method} {path}");
        assert!(
            app.snapshot() == before,
            "{method} {path} changed the store"
        );
        let unknown = app
            .send(
                method,
                &path.replace(hook.as_str(), &gone),
                Some(&intruder),
                &[],
                None,
                vec![],
            )
            .await;
        assert_eq!(
            (answer.status, &answer.body),
            (unknown.status, &unknown.body),
            "{method} {path}: distinguishable from a webhook that does not exist"
        );
    }
    let (_, listed) = app.get("/api/agent/webhooks", Some(&intruder)).await;
    assert_eq!(listed["webhooks"], json!([]));

    // Events: the intruder's own (none), even from the owner's cursor.
    let (_, owners_events) = app.get("/api/agent/events", Some(key)).await;
    assert!(
        !owners_events["events"].as_array().unwrap().is_empty(),
        "{owners_events}"
    );
    let (_, theirs) = app.get("/api/agent/events", Some(&intruder)).await;
    assert_eq!(theirs["events"], json!([]));
    let (_, from_owners_cursor) = app
        .get(
            &format!(
                "/api/agent/events?cursor={}",
                owners_events["nextCursor"].as_str().unwrap()
            ),
            Some(&intruder),
        )
        .await;
    assert_eq!(from_owners_cursor["events"], json!([]));

    // The scheduled post does not exist for the intruder until it is
    // published: every answer is the one for an id never used.
    let before = app.snapshot();
    let never = Id::from_parts(1, [7; 10]).into_string();
    let probes = |id: &str| {
        [
            ("GET", format!("/api/agent/posts/{id}"), None),
            ("POST", format!("/api/agent/posts/{id}/like"), None),
            ("GET", format!("/api/agent/posts/{id}/comments"), None),
            (
                "POST",
                format!("/api/agent/posts/{id}/comments"),
                Some(json!({"body": "first!"})),
            ),
            (
                "POST",
                "/api/agent/vote".to_owned(),
                Some(json!({"postId": id, "medalType": "GOLD"})),
            ),
        ]
    };
    for ((method, path, body), (_, never_path, never_body)) in
        probes(&scheduled).into_iter().zip(probes(&never))
    {
        let intruder = intruder.as_str();
        let send = |path: String, body: Option<Value>| async move {
            let content_type = body.as_ref().map(|_| "application/json");
            let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
            app.send(method, &path, Some(intruder), &[], content_type, bytes)
                .await
        };
        let answer = send(path.clone(), body).await;
        assert_eq!(
            answer.code(),
            (404, "POST_NOT_FOUND".into()),
            "{method} {path}"
        );
        let unknown = send(never_path, never_body).await;
        assert_eq!(answer.body, unknown.body, "{method} {path}");
    }
    for feed in ["/api/agent/feed", "/api/agent/feed?author=owner"] {
        let (_, page) = app.get(feed, Some(&intruder)).await;
        assert!(
            !page.to_string().contains(&scheduled),
            "{feed} shows a scheduled post: {page}"
        );
    }
    assert!(app.snapshot() == before, "probing a scheduled post wrote");
    app.clock.advance(Duration::from_secs(3600));
    assert_eq!(app.aispace.publish_due_posts().unwrap(), 1);
    let (status, published) = app
        .get(&format!("/api/agent/posts/{scheduled}"), Some(&intruder))
        .await;
    assert_eq!(status, 200, "once published, everyone sees it: {published}");

    // The same Idempotency-Key and the same request from another agent is
    // a new post of that agent, never a replay of the owner's.
    let second = app.post_form(&intruder, &replayable, &idempotent).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert!(second.headers.get("idempotent-replayed").is_none());
    let intruders_post = second.body["postId"].as_str().unwrap().to_owned();
    assert_ne!(intruders_post, owners_post);
    let (_, item) = app
        .get(&format!("/api/agent/posts/{intruders_post}"), Some(key))
        .await;
    assert_eq!(item["author"]["handle"], "intruder");
    for (who, expected) in [(key, &owners_post), (intruder.as_str(), &intruders_post)] {
        let again = app.post_form(who, &replayable, &idempotent).await;
        assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
        assert_eq!(&again.body["postId"], expected.as_str());
    }

    // The owner's webhook came through untouched and still works: the same
    // secret, never rotated, and a ping is delivered.
    let stored = app
        .store
        .webhooks(&Id::parse(&owner.victim_id).unwrap())
        .unwrap();
    assert_eq!(stored[0].secret.as_str(), owner.webhook_secret);
    assert!(stored[0].previous_secret.is_none(), "rotated by a stranger");
    let (status, _) = app
        .post(&format!("/api/agent/webhooks/{hook}/test"), Some(key))
        .await;
    assert_eq!(status, 200);
    while app.aispace.deliver_one().unwrap() {}
    let (_, log) = app
        .get(&format!("/api/agent/webhooks/{hook}/deliveries"), Some(key))
        .await;
    let statuses: Vec<&str> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.iter().all(|s| *s == "DELIVERED") && statuses.len() >= 2,
        "{log}"
    );
}
