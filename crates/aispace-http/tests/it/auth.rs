use std::time::Duration;

use aispace_domain::model::ApiKey;
use aispace_domain::ports::KeyStore;

use crate::app::{TestApp, error_code};

async fn me_code(app: &TestApp, authorization: Option<&str>) -> (u16, String) {
    let mut req = app.client.get(app.url("/api/agent/me"));
    if let Some(value) = authorization {
        req = req.insert_header(("Authorization", value));
    }
    let mut resp = req.send().await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&resp.body().await.unwrap()).unwrap();
    let status = resp.status().as_u16();
    (status, error_code(status, &body))
}

#[actix_web::test]
async fn every_auth_failure_has_its_own_code() {
    let app = TestApp::spawn().await;
    let (handle, key) = app.agent("victim");
    let (prefix, _) = key.split_once('.').unwrap();
    let wrong_secret = format!("{prefix}.{}", "A".repeat(43));
    let unknown_prefix = format!("asp_zzzzzzzz.{}", "A".repeat(43));

    let cases: [(Option<String>, &str); 6] = [
        (None, "AUTH_HEADER_MISSING"),
        (Some("Basic dXNlcjpwYXNz".into()), "AUTH_HEADER_MISSING"),
        (Some("Bearer ".into()), "AUTH_HEADER_MISSING"),
        (Some("Bearer not-a-key".into()), "INVALID_AGENT_KEY"),
        (
            Some(format!("Bearer {unknown_prefix}")),
            "INVALID_AGENT_KEY",
        ),
        (Some(format!("Bearer {wrong_secret}")), "INVALID_AGENT_KEY"),
    ];
    for (header, expected) in cases {
        assert_eq!(
            me_code(&app, header.as_deref()).await,
            (401, expected.to_owned()),
            "{header:?}"
        );
    }

    // Suspension refuses every key of the agent at once, and is undone.
    app.aispace.suspend_agent(&handle).unwrap();
    let bearer = format!("Bearer {key}");
    assert_eq!(
        me_code(&app, Some(&bearer)).await,
        (401, "AGENT_SUSPENDED".into())
    );
    app.aispace.reactivate_agent(&handle).unwrap();
    assert_eq!(app.get("/api/agent/me", Some(&key)).await.0, 200);

    // Revocation takes effect on the very next request.
    let parsed = ApiKey::parse(&key).unwrap();
    app.aispace.revoke_key(parsed.prefix()).unwrap();
    assert_eq!(
        me_code(&app, Some(&bearer)).await,
        (401, "KEY_REVOKED".into())
    );
}

#[actix_web::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("casual");
    let mut resp = app
        .client
        .get(app.url("/api/agent/me"))
        .insert_header(("Authorization", format!("bearer  {key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{:?}", resp.body().await);
}

#[actix_web::test]
async fn rotation_keeps_old_keys_for_the_grace_period_only() {
    let app = TestApp::spawn().await;
    let (handle, old_key) = app.agent("rotating");
    let (issued, retire_at) = app
        .aispace
        .rotate_keys(&handle, Duration::from_secs(3600))
        .unwrap();
    let new_key = issued.key.expose();
    assert_eq!(retire_at.to_string(), "2026-03-04T13:00:00.000Z");

    assert_eq!(app.get("/api/agent/me", Some(&old_key)).await.0, 200);
    assert_eq!(app.get("/api/agent/me", Some(&new_key)).await.0, 200);

    app.clock.advance(Duration::from_secs(3600));
    let (status, body) = app.get("/api/agent/me", Some(&old_key)).await;
    assert_eq!(
        (status, error_code(status, &body)),
        (401, "KEY_REVOKED".into())
    );
    assert_eq!(app.get("/api/agent/me", Some(&new_key)).await.0, 200);
}

#[actix_web::test]
async fn last_used_at_is_recorded_at_a_minutes_resolution() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("tracked");
    let prefix = ApiKey::parse(&key).unwrap().prefix().clone();
    let last_used = || {
        app.store
            .credential(&prefix)
            .unwrap()
            .unwrap()
            .key
            .last_used_at
    };
    assert_eq!(last_used(), None);

    app.get("/api/agent/me", Some(&key)).await;
    let first = last_used().unwrap();
    assert_eq!(first.to_string(), "2026-03-04T12:00:00.000Z");

    app.clock.advance(Duration::from_secs(30));
    app.get("/api/agent/me", Some(&key)).await;
    assert_eq!(last_used(), Some(first), "within the resolution: no write");

    app.clock.advance(Duration::from_secs(31));
    app.get("/api/agent/me", Some(&key)).await;
    assert_eq!(last_used().unwrap().to_string(), "2026-03-04T12:01:01.000Z");
}

#[actix_web::test]
async fn the_request_guard_limits_each_key_separately() {
    let app = TestApp::spawn_guarded(1, 3).await;
    let (_, busy) = app.agent("busy");
    let (_, calm) = app.agent("calm");
    for _ in 0..3 {
        assert_eq!(app.get("/api/agent/me", Some(&busy)).await.0, 200);
    }
    let (status, body) = app.get("/api/agent/me", Some(&busy)).await;
    assert_eq!(
        (status, error_code(status, &body)),
        (429, "RATE_LIMITED".into())
    );
    assert_eq!(body["retryAfterSeconds"], 1);
    assert_eq!(app.get("/api/agent/me", Some(&calm)).await.0, 200);
}
