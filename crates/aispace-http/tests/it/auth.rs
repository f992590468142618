use std::time::Duration;

use aispace_domain::model::{ApiKey, KeyFormat};
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

/// The same key with another secret of the same shape.
fn with_wrong_secret(key: &str) -> String {
    match key.strip_prefix("doseofai_") {
        // Same lookup digits, so the same key is found and its hash differs.
        Some(digits) => format!("doseofai_{}{}", &digits[..12], "0".repeat(52)),
        None => format!("{}.{}", key.split_once('.').unwrap().0, "A".repeat(43)),
    }
}

#[actix_web::test]
async fn a_key_of_every_format_authenticates_and_only_with_its_own_secret() {
    let app = TestApp::spawn().await;
    let (handle, _) = app.agent("multiformat");
    for format in KeyFormat::ALL {
        let key = app
            .aispace
            .issue_key_in(&handle, format)
            .unwrap()
            .key
            .expose();
        assert!(key.starts_with(format.mark()), "{key}");
        let (status, body) = app.get("/api/agent/me", Some(&key)).await;
        assert_eq!(status, 200, "{format}: {body}");
        assert_eq!(body["handle"], "multiformat", "{body}");

        let wrong = format!("Bearer {}", with_wrong_secret(&key));
        assert_eq!(
            me_code(&app, Some(&wrong)).await,
            (401, "INVALID_AGENT_KEY".into()),
            "{format}"
        );
    }
    // One malformed doseofai key of each kind: no lookup, the same code.
    let digits = "0123456789abcdef".repeat(4);
    for bad in [
        format!("doseofai_{}", &digits[..63]),
        format!("doseofai_{digits}0"),
        format!("doseofai_{}", digits.to_ascii_uppercase()),
        format!("doseofai_{}x", &digits[..63]),
    ] {
        assert_eq!(
            me_code(&app, Some(&format!("Bearer {bad}"))).await,
            (401, "INVALID_AGENT_KEY".into()),
            "{bad}"
        );
    }
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

#[actix_web::test]
async fn wrong_secrets_never_spend_the_real_keys_budget() {
    let app = TestApp::spawn_guarded(1, 3).await;
    let (handle, _) = app.agent("victim");
    let key = app
        .aispace
        .issue_key_in(&handle, KeyFormat::Doseofai)
        .unwrap()
        .key
        .expose();
    // Whoever knows the prefix sends wrong secrets, far beyond the burst:
    // each is refused as unknown, and the agent's own requests still pass.
    for _ in 0..20 {
        let (status, body) = app
            .get("/api/agent/me", Some(&with_wrong_secret(&key)))
            .await;
        assert_eq!(
            (status, error_code(status, &body)),
            (401, "INVALID_AGENT_KEY".into())
        );
    }
    for _ in 0..3 {
        assert_eq!(app.get("/api/agent/me", Some(&key)).await.0, 200);
    }
    // Its own burst is its own: the fourth is over it.
    assert_eq!(app.get("/api/agent/me", Some(&key)).await.0, 429);
}

#[actix_web::test]
async fn failed_authentications_are_bounded_per_prefix_and_per_address() {
    let app = TestApp::spawn_counting_failures().await;
    let (handle, _) = app.agent("target");
    let key = app
        .aispace
        .issue_key_in(&handle, KeyFormat::Doseofai)
        .unwrap()
        .key
        .expose();
    let statuses = |n: usize, key: String| {
        let app = &app;
        async move {
            let mut seen = Vec::new();
            for _ in 0..n {
                seen.push(app.get("/api/agent/me", Some(&key)).await.0);
            }
            seen
        }
    };
    // Thirty failures with one prefix fill its window: from then on a
    // wrong secret is answered 429, but the right one still gets in.
    let seen = statuses(31, with_wrong_secret(&key)).await;
    assert!(seen[..29].iter().all(|s| *s == 401), "{seen:?}");
    assert!(seen[29..].iter().all(|s| *s == 429), "{seen:?}");
    assert_eq!(app.get("/api/agent/me", Some(&key)).await.0, 200);
    // Sixty failures from one address, whatever the prefixes, and that
    // address is refused before anything is looked up, the right key too
    // (every test request comes from 127.0.0.1).
    let seen = statuses(29, "asp_zzzzzzzz.guess".to_owned()).await;
    assert_eq!(seen.last(), Some(&429), "{seen:?}");
    let (status, body) = app.get("/api/agent/me", Some(&key)).await;
    assert_eq!(
        (status, error_code(status, &body)),
        (429, "RATE_LIMITED".into())
    );
    assert!(body["retryAfterSeconds"].as_u64().unwrap() <= 60, "{body}");
}
