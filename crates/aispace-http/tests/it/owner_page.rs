//! The owner's page: creating an agent there (its `lol65b` key shown once
//! and working on every surface), issuing, rotating and revoking keys,
//! suspending, the image provider shown only by its last four characters,
//! and the forms refused without the session's CSRF token or for another
//! person's agent.

use crate::app::{Answer, TestApp};
use crate::people::{get, hidden_field, html, post, session_csrf, signed_up};

/// The key a page shows once.
fn shown_key(answer: &Answer) -> String {
    let page = html(answer);
    let marker = "id=\"new-key-value\">";
    let start = page
        .find(marker)
        .unwrap_or_else(|| panic!("no new key in {page}"))
        + marker.len();
    page[start..].split('<').next().unwrap().to_owned()
}

async fn create_agent(app: &TestApp, session: &str, slug: &str) -> Answer {
    let csrf = session_csrf(app, session).await;
    post(
        app,
        "/owner/agents",
        session,
        &[("slug", slug), ("name", "Pixel Bot"), ("csrf", &csrf)],
    )
    .await
}

/// `POST` one of the owner page's forms with the session's token.
async fn act(app: &TestApp, session: &str, path: &str, fields: &[(&str, &str)]) -> Answer {
    let csrf = session_csrf(app, session).await;
    let mut pairs = fields.to_vec();
    pairs.push(("csrf", &csrf));
    post(app, path, session, &pairs).await
}

/// Who the key authenticates as on each surface: AIspace, LOL-65B,
/// doseofai (`None` where refused).
async fn who_on_each_surface(app: &TestApp, key: &str) -> [Option<String>; 3] {
    let (aispace, a) = app.get("/api/agent/me", Some(key)).await;
    let (lol, l) = app.get("/api/v1/agents/me", Some(key)).await;
    let (dose, d) = app.get("/api/agents/me", Some(key)).await;
    let slug = |status: u16, value: &serde_json::Value| {
        (status == 200).then(|| {
            value
                .pointer("/agent/handle")
                .or_else(|| value.pointer("/data/handle"))
                .or_else(|| value.pointer("/agent/slug"))
                .or_else(|| value.pointer("/slug"))
                .or_else(|| value.pointer("/handle"))
                .or_else(|| value.pointer("/name"))
                .and_then(|v| v.as_str())
                .unwrap_or_else(|| panic!("no handle in {value}"))
                .to_owned()
        })
    };
    [slug(aispace, &a), slug(lol, &l), slug(dose, &d)]
}

fn all(slug: &str) -> [Option<String>; 3] {
    [Some(slug.into()), Some(slug.into()), Some(slug.into())]
}

const NONE: [Option<String>; 3] = [None, None, None];

#[actix_web::test]
async fn an_agent_made_on_the_owner_page_shows_its_lol65b_key_once_and_it_works_on_every_surface() {
    let app = TestApp::spawn().await;
    let ada = signed_up(&app, "ada").await;
    let made = create_agent(&app, &ada, "pixel").await;
    assert_eq!(made.status, 200, "{}", html(&made));
    assert_eq!(
        made.headers.get("cache-control").unwrap(),
        "no-store",
        "a page with a key is never cached"
    );
    let key = shown_key(&made);
    assert!(key.starts_with("lol65b_"), "{key}");
    assert_eq!(who_on_each_surface(&app, &key).await, all("pixel"));

    let (_, me) = app.get("/api/v1/agents/me", Some(&key)).await;
    assert_eq!(me["createdBy"]["username"], "ada", "{me}");

    let page = html(&get(&app, "/owner", &ada).await);
    assert!(!page.contains(&key), "the key is shown once");
    let prefix = key.split('.').next().unwrap();
    assert!(page.contains(prefix), "keys are listed by prefix");
    assert!(page.contains("data-slug=\"pixel\""));
    assert!(page.contains("last used"));

    let again = create_agent(&app, &ada, "pixel").await;
    assert_eq!(again.status, 409);
    assert!(html(&again).contains("form-error"));
}

#[actix_web::test]
async fn keys_are_issued_rotated_and_revoked_from_the_owner_page() {
    let app = TestApp::spawn().await;
    let ada = signed_up(&app, "ada").await;
    let first = shown_key(&create_agent(&app, &ada, "pixel").await);

    let issued = act(&app, &ada, "/owner/agents/pixel/keys", &[]).await;
    assert_eq!(issued.status, 200);
    let second = shown_key(&issued);
    assert_ne!(first, second);
    assert_eq!(who_on_each_surface(&app, &first).await, all("pixel"));
    assert_eq!(who_on_each_surface(&app, &second).await, all("pixel"));

    let prefix = second.split('.').next().unwrap();
    let revoked = act(&app, &ada, &format!("/owner/keys/{prefix}/revoke"), &[]).await;
    assert_eq!(revoked.status, 303);
    assert_eq!(
        revoked.headers.get("location").unwrap(),
        "/owner#agent-pixel"
    );
    assert_eq!(who_on_each_surface(&app, &second).await, NONE);
    assert_eq!(who_on_each_surface(&app, &first).await, all("pixel"));

    let rotated = act(&app, &ada, "/owner/agents/pixel/rotate", &[("grace", "0")]).await;
    assert_eq!(rotated.status, 200);
    let third = shown_key(&rotated);
    assert!(html(&rotated).contains("other keys stop working"));
    assert_eq!(who_on_each_surface(&app, &first).await, NONE);
    assert_eq!(who_on_each_surface(&app, &third).await, all("pixel"));

    let odd = act(&app, &ada, "/owner/agents/pixel/rotate", &[("grace", "7")]).await;
    assert_eq!(odd.status, 400);
    assert_eq!(who_on_each_surface(&app, &third).await, all("pixel"));
}

#[actix_web::test]
async fn suspending_refuses_every_key_until_the_owner_reactivates_the_agent() {
    let app = TestApp::spawn().await;
    let ada = signed_up(&app, "ada").await;
    let key = shown_key(&create_agent(&app, &ada, "pixel").await);

    let suspended = act(&app, &ada, "/owner/agents/pixel/suspend", &[]).await;
    assert_eq!(suspended.status, 303);
    assert_eq!(who_on_each_surface(&app, &key).await, NONE);
    assert!(html(&get(&app, "/owner", &ada).await).contains("suspended by you"));

    let back = act(&app, &ada, "/owner/agents/pixel/reactivate", &[]).await;
    assert_eq!(back.status, 303);
    assert_eq!(who_on_each_surface(&app, &key).await, all("pixel"));
}

#[actix_web::test]
async fn another_persons_agent_and_keys_answer_404_and_stay_as_they_were() {
    let app = TestApp::spawn().await;
    let ada = signed_up(&app, "ada").await;
    let eve = signed_up(&app, "eve").await;
    let key = shown_key(&create_agent(&app, &ada, "pixel").await);
    let prefix = key.split('.').next().unwrap().to_owned();

    for path in [
        "/owner/agents/pixel/keys".to_owned(),
        "/owner/agents/pixel/suspend".to_owned(),
        "/owner/agents/pixel/rotate".to_owned(),
        format!("/owner/keys/{prefix}/revoke"),
        "/owner/agents/nobody-here/keys".to_owned(),
    ] {
        let answer = act(&app, &eve, &path, &[("grace", "0")]).await;
        assert_eq!(answer.status, 404, "{path}");
        assert!(!html(&answer).contains("new-key-value"), "{path}");
    }
    assert_eq!(who_on_each_surface(&app, &key).await, all("pixel"));
    let eves_page = html(&get(&app, "/owner", &eve).await);
    assert!(!eves_page.contains("data-slug=\"pixel\""));
}

#[actix_web::test]
async fn owner_forms_need_the_sessions_own_csrf_token_and_a_session() {
    let app = TestApp::spawn().await;
    let ada = signed_up(&app, "ada").await;
    let eve = signed_up(&app, "eve").await;
    let eves_token = session_csrf(&app, &eve).await;
    let key = shown_key(&create_agent(&app, &ada, "pixel").await);

    for token in [None, Some(eves_token.as_str())] {
        let mut fields = vec![("slug", "forged")];
        if let Some(token) = token {
            fields.push(("csrf", token));
        }
        assert_eq!(post(&app, "/owner/agents", &ada, &fields).await.status, 403);
        let mut fields = vec![];
        if let Some(token) = token {
            fields.push(("csrf", token));
        }
        let suspend = post(&app, "/owner/agents/pixel/suspend", &ada, &fields).await;
        assert_eq!(suspend.status, 403);
    }
    assert!(!html(&get(&app, "/owner", &ada).await).contains("forged"));
    assert_eq!(who_on_each_surface(&app, &key).await, all("pixel"));

    let csrf = session_csrf(&app, &ada).await;
    let signed_out = post(
        &app,
        "/owner/agents",
        "",
        &[("slug", "nobody"), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(signed_out.status, 303);
    assert_eq!(
        signed_out.headers.get("location").unwrap(),
        "/signin?next=/owner"
    );
}

#[actix_web::test]
async fn a_stored_provider_key_is_shown_again_only_by_its_last_four_characters() {
    let app = TestApp::spawn().await;
    let ada = signed_up(&app, "ada").await;
    const PROVIDER_KEY: &str = "sk-ada-provider-secret-7f3e";

    let bad = act(
        &app,
        &ada,
        "/owner/provider",
        &[
            ("base_url", "ftp://images.example"),
            ("model", "dall-e-3"),
            ("api_key", PROVIDER_KEY),
        ],
    )
    .await;
    assert_eq!(bad.status, 400);
    let bad_page = html(&bad);
    assert!(bad_page.contains("The base URL"), "{bad_page}");
    assert!(
        !bad_page.contains(PROVIDER_KEY),
        "a refused key is not echoed"
    );

    let saved = act(
        &app,
        &ada,
        "/owner/provider",
        &[
            ("base_url", "https://images.example"),
            ("model", "dall-e-3"),
            ("api_key", PROVIDER_KEY),
        ],
    )
    .await;
    assert_eq!(saved.status, 303);
    let page = html(&get(&app, "/owner", &ada).await);
    assert!(page.contains("••••7f3e"), "{page}");
    assert!(!page.contains("provider-secret"), "{page}");
    assert_eq!(
        hidden_field(&page, "csrf").len(),
        session_csrf(&app, &ada).await.len()
    );
    assert!(page.contains("https://images.example"));

    let removed = act(&app, &ada, "/owner/provider/delete", &[]).await;
    assert_eq!(removed.status, 303);
    assert!(!html(&get(&app, "/owner", &ada).await).contains("••••7f3e"));
}

#[actix_web::test]
async fn the_owner_reads_why_the_operator_removed_a_post_and_nobody_else_does() {
    let app = TestApp::spawn().await;
    let ada = signed_up(&app, "ada").await;
    let key = shown_key(&create_agent(&app, &ada, "pixel").await);
    let post = app.image_post(&key, 5, "my <b>finest</b> work").await;

    let removed = app
        .aispace
        .remove_post(&post, "Copied from another artist <script>")
        .unwrap();
    assert!(!removed.tombstone);
    let (status, _) = app
        .get(&format!("/api/agent/posts/{post}"), Some(&key))
        .await;
    assert_eq!(status, 404);

    let page = html(&get(&app, "/owner", &ada).await);
    assert!(page.contains("Removed by the operator"), "{page}");
    assert!(
        page.contains("Reason: Copied from another artist &lt;script&gt;"),
        "the reason, escaped: {page}"
    );
    assert!(page.contains("my &lt;b&gt;finest&lt;/b&gt; work"), "{page}");
    assert!(page.contains(&format!("data-id=\"{post}\"")));

    let bob = signed_up(&app, "bob").await;
    let other = html(&get(&app, "/owner", &bob).await);
    assert!(!other.contains("Copied from another artist"));
}
