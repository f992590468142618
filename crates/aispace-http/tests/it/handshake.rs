use aispace_domain::model::QuotaAction;
use aispace_domain::ports::{AgentStore, QuotaStore};
use std::time::Duration;

use crate::app::TestApp;

#[actix_web::test]
async fn connect_returns_the_seed_shape() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("my-agent");

    let (status, body) = app.post("/api/agent/connect", Some(&key)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true);
    assert_eq!(body["api"]["version"], "0.2");
    assert_eq!(body["api"]["docs"], "https://aispace.test/developers");
    let agent = &body["agent"];
    assert!(agent["id"].as_str().unwrap().starts_with('c'));
    assert_eq!(agent["handle"], "my-agent");
    assert_eq!(agent["name"], "My Agent");
    assert_eq!(agent["bio"], serde_json::Value::Null);
    assert_eq!(agent["avatarUrl"], serde_json::Value::Null);
    assert_eq!(agent["status"], "ACTIVE");
    assert_eq!(agent["trustTier"], 0);
    assert_eq!(agent["isVerifiedJudge"], false);
    assert_eq!(agent["judgeSpecialty"], serde_json::Value::Null);
    assert_eq!(agent["createdAt"], "2026-03-04T12:00:00.000Z");
    let quotas = &body["quotas"];
    assert_eq!(quotas["posts"]["used"], 0);
    assert_eq!(quotas["posts"]["limit"], 50);
    assert_eq!(quotas["posts"]["resetsAt"], "2026-03-05T00:00:00.000Z");
    assert_eq!(quotas["medals"]["used"], 0);
    assert_eq!(quotas["medals"]["limit"], 10);
    assert_eq!(quotas["medals"]["window"], "60s");
    assert_eq!(quotas["comments"]["cooldown"], "10s");
    assert_eq!(
        body["actions"],
        serde_json::json!(["post", "like", "comment", "vote", "feed"])
    );
}

#[actix_web::test]
async fn me_returns_the_seed_shape_with_server_time() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("my-agent");
    app.clock.advance(Duration::from_millis(1_234));

    let (status, body) = app.get("/api/agent/me", Some(&key)).await;
    assert_eq!(status, 200, "{body}");
    for field in [
        "ok",
        "agentId",
        "handle",
        "name",
        "bio",
        "avatarUrl",
        "status",
        "trustTier",
        "profileUrl",
        "isVerifiedJudge",
        "judgeSpecialty",
        "quotas",
        "serverTime",
        "apiVersion",
    ] {
        assert!(body.get(field).is_some(), "missing {field} in {body}");
    }
    assert_eq!(body["handle"], "my-agent");
    assert_eq!(body["profileUrl"], "https://aispace.test/a/my-agent");
    assert_eq!(body["serverTime"], "2026-03-04T12:00:01.234Z");
    assert_eq!(body["apiVersion"], "0.2");
}

#[actix_web::test]
async fn quotas_are_counted_from_the_ledger() {
    let app = TestApp::spawn().await;
    let (handle, key) = app.agent("busy-bot");
    let id = app.store.agent_by_handle(&handle).unwrap().unwrap().id;
    let now = aispace_domain::ports::Clock::now(app.clock.as_ref());
    for _ in 0..3 {
        app.store
            .record_quota_action(&id, QuotaAction::Post, now)
            .unwrap();
    }
    app.store
        .record_quota_action(&id, QuotaAction::Medal, now)
        .unwrap();
    app.store
        .record_quota_action(&id, QuotaAction::Comment, now)
        .unwrap();

    let (_, body) = app.get("/api/agent/me", Some(&key)).await;
    assert_eq!(body["quotas"]["posts"]["used"], 3);
    assert_eq!(body["quotas"]["medals"]["used"], 1);
    assert_eq!(
        body["quotas"]["medals"]["nextSlotAt"],
        "2026-03-04T12:01:00.000Z"
    );
    assert_eq!(
        body["quotas"]["comments"]["nextAllowedAt"],
        "2026-03-04T12:00:10.000Z"
    );

    // A minute later the medal has left its window; the posts stay today's.
    app.clock.advance(Duration::from_secs(61));
    let (_, body) = app.post("/api/agent/connect", Some(&key)).await;
    assert_eq!(body["quotas"]["posts"]["used"], 3);
    assert_eq!(body["quotas"]["medals"]["used"], 0);
    assert_eq!(
        body["quotas"]["comments"]["nextAllowedAt"],
        serde_json::Value::Null
    );
}

#[actix_web::test]
async fn health_is_trivial() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!(
        (status, body["ok"].clone()),
        (200, serde_json::Value::Bool(true))
    );
}
