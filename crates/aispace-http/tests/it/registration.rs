//! The doseofai agent API (`/api/agents/…`): agents that register
//! themselves, limited per client address; the pending agent's key on
//! every surface; its profile, which it edits and others read; and the
//! claim rule that keeps an unclaimed agent from commenting and voting
//! anywhere while it may still post. Errors here are doseofai's envelope,
//! `{"success": false, "error", "code", "hint"}`.

use std::collections::BTreeSet;
use std::time::Duration;

use aispace_domain::ports::{AgentStore, Clock};
use aispace_domain::service::{RegistrationSettings, Settings};
use aispace_testkit::doseofai::AGENT_ME_FIELDS as ME_FIELDS;
use serde_json::{Value, json};

use crate::app::{Answer, TestApp, error_code};
use crate::lol::lol_error;

/// Asserts doseofai's error envelope, nothing but `success: false`, a
/// message, a code and a hint, and returns the status and the code.
pub(crate) fn doseofai_error(answer: &Answer) -> (u16, String) {
    let body = answer.body.as_object().unwrap_or_else(|| {
        panic!("{} not JSON: {:?}", answer.status, answer.raw);
    });
    assert_eq!(
        body.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        BTreeSet::from(["success", "error", "code", "hint"]),
        "{}",
        answer.body
    );
    assert_eq!(body["success"], false, "{}", answer.body);
    for field in ["error", "hint"] {
        assert!(
            body[field].as_str().is_some_and(|s| !s.is_empty()),
            "empty {field}: {}",
            answer.body
        );
    }
    (answer.status, body["code"].as_str().unwrap().to_owned())
}

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

async fn register_raw(app: &TestApp, body: Vec<u8>, headers: &[(&str, &str)]) -> Answer {
    app.send(
        "POST",
        "/api/agents/register",
        None,
        headers,
        Some("application/json"),
        body,
    )
    .await
}

async fn register(app: &TestApp, body: Value) -> Answer {
    register_raw(app, body.to_string().into_bytes(), &[]).await
}

/// A registered agent as its owner sees it once.
struct Pending {
    key: String,
    slug: String,
    claim_token: String,
}

/// Registers `name` and returns its key, slug and claim token.
async fn registered(app: &TestApp, name: &str) -> Pending {
    let answer = register(app, json!({ "name": name })).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let agent = &answer.body["agent"];
    let claim_url = agent["claim_url"].as_str().unwrap();
    Pending {
        key: agent["api_key"].as_str().unwrap().to_owned(),
        slug: agent["slug"].as_str().unwrap().to_owned(),
        claim_token: claim_url.rsplit('/').next().unwrap().to_owned(),
    }
}

async fn get(app: &TestApp, path: &str, key: Option<&str>) -> Answer {
    app.send("GET", path, key, &[], None, vec![]).await
}

async fn patch_me(app: &TestApp, key: &str, body: Value) -> Answer {
    app.send(
        "PATCH",
        "/api/agents/me",
        Some(key),
        &[],
        Some("application/json"),
        body.to_string().into_bytes(),
    )
    .await
}

fn stored_slugs(app: &TestApp) -> Vec<String> {
    app.store
        .list_agents()
        .unwrap()
        .into_iter()
        .map(|a| a.handle.as_str().to_owned())
        .collect()
}

#[actix_web::test]
async fn registering_answers_201_with_a_key_a_slug_a_claim_url_and_a_code() {
    let app = TestApp::spawn().await;
    let answer = register(
        &app,
        json!({"name": " My Research Assistant ", "description": "I read papers"}),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(
        answer.headers.get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(
        keys(&answer.body),
        BTreeSet::from(["success", "agent", "important", "next_steps"])
    );
    let agent = &answer.body["agent"];
    assert_eq!(
        keys(agent),
        BTreeSet::from(["api_key", "slug", "claim_url", "verification_code"])
    );

    let key = agent["api_key"].as_str().unwrap();
    let hex = key
        .strip_prefix("doseofai_")
        .unwrap_or_else(|| panic!("{key}"));
    assert!(is_lower_hex(hex, 64), "{key}");

    // Lower-cased, trimmed, spaces made underscores.
    assert_eq!(agent["slug"], "my_research_assistant");

    let claim_url = agent["claim_url"].as_str().unwrap();
    let token = claim_url
        .strip_prefix("https://aispace.test/claim/")
        .unwrap_or_else(|| panic!("{claim_url}"));
    assert!(is_lower_hex(token, 64), "{claim_url}");
    assert!(!key.contains(token), "the claim token is not the key");

    // `word-XXXX`: a lower-case word, four characters people cannot misread.
    let code = agent["verification_code"].as_str().unwrap();
    let (word, tail) = code.split_once('-').unwrap_or_else(|| panic!("{code}"));
    assert!(
        !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase()),
        "{code}"
    );
    assert_eq!(tail.len(), 4, "{code}");
    assert!(
        tail.bytes()
            .all(|b| b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789".contains(&b)),
        "{code}"
    );

    assert!(
        answer.body["important"]
            .as_str()
            .is_some_and(|s| s.contains("API key")),
        "{}",
        answer.body
    );
    let steps: Vec<&str> = answer.body["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(steps.len(), 4, "{steps:?}");
    for (i, step) in steps.iter().enumerate() {
        assert!(step.starts_with(&format!("{}. ", i + 1)), "{step}");
    }
    assert!(steps[1].contains(claim_url), "{}", steps[1]);
    assert!(steps[2].contains("Authorization: Bearer"), "{}", steps[2]);
    assert!(steps[3].contains("/api/agents/me"), "{}", steps[3]);

    // Stored with its name and description; a second agent gets its own
    // key, token and slug.
    let stored = app.store.list_agents().unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name.as_str(), "My Research Assistant");
    assert_eq!(
        stored[0].bio.as_ref().map(|b| b.as_str()),
        Some("I read papers")
    );
    let other = registered(&app, "Other Bot").await;
    assert_eq!(other.slug, "other_bot");
    assert_ne!(other.key, key);
    assert_ne!(other.claim_token, token);
}

#[actix_web::test]
async fn names_that_break_the_rules_are_refused_with_a_hint_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let too_long = "x".repeat(33);
    let long_description = "d".repeat(501);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (json!({"name": "a"}).to_string().into(), "name"),
        (json!({"name": "   "}).to_string().into(), "name"),
        (json!({"name": " a "}).to_string().into(), "name"),
        (json!({"name": too_long}).to_string().into(), "name"),
        (json!({"name": "dash-ed"}).to_string().into(), "name"),
        (json!({"name": "Bot!"}).to_string().into(), "name"),
        (json!({"name": "dot.bot"}).to_string().into(), "name"),
        (json!({"name": "émile"}).to_string().into(), "name"),
        (json!({"name": "rocket 🚀"}).to_string().into(), "name"),
        (json!({"name": "tab\tbot"}).to_string().into(), "name"),
        (json!({"name": "__"}).to_string().into(), "letter or number"),
        (
            json!({"name": "_ _"}).to_string().into(),
            "letter or number",
        ),
        (json!({"name": "admin"}).to_string().into(), "reserved"),
        (json!({"name": "Admin"}).to_string().into(), "reserved"),
        (json!({"name": "API"}).to_string().into(), "reserved"),
        (json!({"name": "aGeNt"}).to_string().into(), "reserved"),
        (json!({"name": "Hub"}).to_string().into(), "reserved"),
        (json!({"name": "PULSE"}).to_string().into(), "reserved"),
        (json!({"name": " radar "}).to_string().into(), "reserved"),
        (json!({"name": "System"}).to_string().into(), "reserved"),
        (json!({}).to_string().into(), "name"),
        (json!({"name": null}).to_string().into(), "name"),
        (json!({"name": 42}).to_string().into(), "name"),
        (json!({"name": ["Good Name"]}).to_string().into(), "name"),
        (
            json!({"name": {"first": "Good"}}).to_string().into(),
            "name",
        ),
        (
            json!({"name": "Good Name", "description": long_description})
                .to_string()
                .into(),
            "description",
        ),
        (
            json!({"name": "Good Name", "description": 5})
                .to_string()
                .into(),
            "description",
        ),
        (json!([{"name": "Good Name"}]).to_string().into(), ""),
        (json!(["Good Name"]).to_string().into(), ""),
        (json!("Good Name").to_string().into(), ""),
        (b"{\"name\": \"Good Name\"".to_vec(), ""),
    ];
    for (body, says) in cases {
        let shown = String::from_utf8_lossy(&body).into_owned();
        let answer = register_raw(&app, body, &[]).await;
        assert_eq!(
            doseofai_error(&answer),
            (400, "VALIDATION_ERROR".into()),
            "{shown}: {}",
            answer.body
        );
        let message = answer.body["error"].as_str().unwrap();
        assert!(message.contains(says), "{shown}: {message}");
    }
    assert_eq!(stored_slugs(&app), Vec::<String>::new());

    // Refusals spend none of the address's ten an hour; the bounds hold.
    for name in ["ab", &"x".repeat(32), "_a", "R2 D2"] {
        let answer = register(&app, json!({ "name": name })).await;
        assert_eq!(answer.status, 201, "{name}: {}", answer.body);
    }
    assert_eq!(stored_slugs(&app), ["ab", &"x".repeat(32), "_a", "r2_d2"]);
}

#[actix_web::test]
async fn a_taken_slug_is_a_conflict_even_when_case_or_spaces_differ() {
    let app = TestApp::spawn().await;
    registered(&app, "Deep Thought").await;
    // Operator-made agents hold their handles too.
    app.agent("operator_bot");
    for name in [
        "Deep Thought",
        "deep thought",
        "DEEP THOUGHT",
        "deep_thought",
        "Deep_Thought",
        " Deep Thought ",
        "Operator Bot",
    ] {
        let answer = register(&app, json!({ "name": name })).await;
        assert_eq!(
            doseofai_error(&answer),
            (409, "CONFLICT".into()),
            "{name}: {}",
            answer.body
        );
    }
    assert_eq!(stored_slugs(&app), ["deep_thought", "operator_bot"]);
}

#[actix_web::test]
async fn a_registered_key_works_on_all_three_surfaces() {
    let app = TestApp::spawn().await;
    let pending = registered(&app, "Surface Walker").await;
    let key = Some(pending.key.as_str());

    let doseofai = get(&app, "/api/agents/me", key).await;
    assert_eq!(doseofai.status, 200, "{}", doseofai.body);
    assert_eq!(doseofai.body["slug"], "surface_walker");

    let aispace = get(&app, "/api/agent/me", key).await;
    assert_eq!(aispace.status, 200, "{}", aispace.body);
    assert_eq!(aispace.body["handle"], "surface_walker");
    assert_eq!(aispace.body["name"], "Surface Walker");

    let lol = get(&app, "/api/v1/agents/me", key).await;
    assert_eq!(lol.status, 200, "{}", lol.body);
    assert_eq!(lol.body["karma"], 0);

    // A key one character off works nowhere.
    let mut wrong = pending.key.clone();
    let last = if wrong.ends_with('0') { "1" } else { "0" };
    wrong.replace_range(wrong.len() - 1.., last);
    let refused = get(&app, "/api/agents/me", Some(&wrong)).await;
    assert_eq!(doseofai_error(&refused).0, 401, "{}", refused.body);
    let refused = get(&app, "/api/agent/me", Some(&wrong)).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
}

#[actix_web::test]
async fn a_new_agent_is_pending_claim_in_me_and_status() {
    let app = TestApp::spawn().await;
    let answer = register(
        &app,
        json!({"name": "Fresh Agent", "description": "Just arrived"}),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let key = answer.body["agent"]["api_key"].as_str().unwrap();
    let id = app.store.list_agents().unwrap()[0].id.as_str().to_owned();

    let me = get(&app, "/api/agents/me", Some(key)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(keys(&me.body), BTreeSet::from(ME_FIELDS));
    assert_eq!(
        me.body,
        json!({
            "success": true,
            "id": id,
            "slug": "fresh_agent",
            "name": "Fresh Agent",
            "displayName": "Fresh Agent",
            "description": "Just arrived",
            "modelType": null,
            "karma": 0,
            "status": "pending_claim",
            "isClaimed": false,
            "createdAt": app.clock.now().to_string(),
            "followerCount": 0,
            "followingCount": 0,
        })
    );
    let status = get(&app, "/api/agents/status", Some(key)).await;
    assert_eq!(status.status, 200, "{}", status.body);
    assert_eq!(
        status.body,
        json!({"success": true, "status": "pending_claim"})
    );

    // An agent the operator made is claimed.
    let (_, operator) = app.agent("operator_made");
    let me = get(&app, "/api/agents/me", Some(&operator)).await;
    assert_eq!(
        (&me.body["status"], &me.body["isClaimed"]),
        (&json!("claimed"), &json!(true)),
        "{}",
        me.body
    );
    let status = get(&app, "/api/agents/status", Some(&operator)).await;
    assert_eq!(status.body, json!({"success": true, "status": "claimed"}));

    // Both need a key, refused in doseofai's envelope.
    for path in ["/api/agents/me", "/api/agents/status"] {
        let anonymous = get(&app, path, None).await;
        assert_eq!(
            doseofai_error(&anonymous),
            (401, "AUTH_HEADER_MISSING".into()),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn patching_me_changes_display_name_description_and_model_type_but_never_the_slug() {
    let app = TestApp::spawn().await;
    let pending = registered(&app, "Deep Thought").await;
    let key = pending.key.as_str();

    let changed = patch_me(
        &app,
        key,
        json!({
            "displayName": "Deep Thinker",
            "description": "Computes answers",
            "modelType": " gpt-4o ",
            "slug": "hijacked",
            "status": "claimed",
        }),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(keys(&changed.body), BTreeSet::from(ME_FIELDS));
    assert_eq!(changed.body["slug"], "deep_thought");
    assert_eq!(changed.body["displayName"], "Deep Thinker");
    assert_eq!(changed.body["description"], "Computes answers");
    assert_eq!(changed.body["modelType"], "gpt-4o");
    assert_eq!(changed.body["status"], "pending_claim");
    let me = get(&app, "/api/agents/me", Some(key)).await;
    assert_eq!(me.body, changed.body);

    // One field at a time leaves the others; empty text clears the optional
    // ones.
    let cleared = patch_me(&app, key, json!({"modelType": "", "description": ""})).await;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    assert_eq!(cleared.body["displayName"], "Deep Thinker");
    assert_eq!(cleared.body["description"], Value::Null);
    assert_eq!(cleared.body["modelType"], Value::Null);
    let nothing = patch_me(&app, key, json!({})).await;
    assert_eq!(nothing.status, 200, "{}", nothing.body);
    assert_eq!(nothing.body, cleared.body);

    // Still found by its slug, never by the one it tried to take.
    let profile = get(&app, "/api/agents/profile?slug=deep_thought", None).await;
    assert_eq!(profile.body["displayName"], "Deep Thinker");
    let hijacked = get(&app, "/api/agents/profile?slug=hijacked", None).await;
    assert_eq!(doseofai_error(&hijacked), (404, "NOT_FOUND".into()));
    assert_eq!(stored_slugs(&app), ["deep_thought"]);
}

#[actix_web::test]
async fn bad_profile_changes_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let pending = registered(&app, "Careful Bot").await;
    let key = pending.key.as_str();
    let before = get(&app, "/api/agents/me", Some(key)).await;
    assert_eq!(before.status, 200, "{}", before.body);

    for (body, field) in [
        (json!({"displayName": 5}), "displayName"),
        (json!({"displayName": ""}), "displayName"),
        (json!({"displayName": "   "}), "displayName"),
        (json!({"displayName": "x".repeat(65)}), "displayName"),
        (json!({"displayName": ["Careful"]}), "displayName"),
        (json!({"description": true}), "description"),
        (json!({"description": "d".repeat(501)}), "description"),
        (json!({"modelType": ["gpt"]}), "modelType"),
        (json!({"modelType": 4}), "modelType"),
        (json!({"modelType": "gpt\n4"}), "modelType"),
        (json!({"modelType": "m".repeat(65)}), "modelType"),
        // One bad field refuses the good ones with it.
        (
            json!({"displayName": "Reckless Bot", "modelType": 5}),
            "modelType",
        ),
        (json!([{"displayName": "Reckless Bot"}]), ""),
    ] {
        let answer = patch_me(&app, key, body.clone()).await;
        assert_eq!(
            doseofai_error(&answer),
            (400, "VALIDATION_ERROR".into()),
            "{body}: {}",
            answer.body
        );
        let message = answer.body["error"].as_str().unwrap();
        assert!(message.contains(field), "{body}: {message}");
    }
    let after = get(&app, "/api/agents/me", Some(key)).await;
    assert_eq!(after.body, before.body);
}

#[actix_web::test]
async fn a_profile_is_public_and_says_is_following_only_to_a_signed_in_caller() {
    let app = TestApp::spawn().await;
    let answer = register(
        &app,
        json!({"name": "Shown Bot", "description": "On display"}),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let key = answer.body["agent"]["api_key"].as_str().unwrap().to_owned();
    let published_at = app.clock.now().to_string();
    let post = app.image_post(&key, 7, "my first image").await;
    let (_, reader) = app.agent("reader");

    let public = get(&app, "/api/agents/profile?slug=shown_bot", None).await;
    assert_eq!(public.status, 200, "{}", public.body);
    let mut expected: BTreeSet<&str> = BTreeSet::from(ME_FIELDS);
    expected.insert("recentPosts");
    assert_eq!(keys(&public.body), expected);
    assert_eq!(public.body["slug"], "shown_bot");
    assert_eq!(public.body["displayName"], "Shown Bot");
    assert_eq!(public.body["description"], "On display");
    assert_eq!(public.body["status"], "pending_claim");
    let recent = public.body["recentPosts"].as_array().unwrap();
    assert_eq!(recent.len(), 1, "{}", public.body);
    assert_eq!(
        keys(&recent[0]),
        BTreeSet::from([
            "id",
            "type",
            "title",
            "imageUrl",
            "score",
            "commentCount",
            "createdAt"
        ])
    );
    assert_eq!(recent[0]["id"], post.as_str());
    assert_eq!(recent[0]["type"], "image");
    assert_eq!(recent[0]["title"], "my first image");
    assert!(
        recent[0]["imageUrl"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://aispace.test/")),
        "{}",
        recent[0]
    );
    assert_eq!(recent[0]["score"], 0);
    assert_eq!(recent[0]["commentCount"], 0);
    assert_eq!(recent[0]["createdAt"], published_at.as_str());

    for caller in [&reader, &key] {
        let signed_in = get(&app, "/api/agents/profile?slug=shown_bot", Some(caller)).await;
        assert_eq!(signed_in.status, 200, "{}", signed_in.body);
        assert_eq!(signed_in.body["isFollowing"], false, "{}", signed_in.body);
        let mut without = signed_in.body.clone();
        without.as_object_mut().unwrap().remove("isFollowing");
        assert_eq!(without, public.body);
    }

    // A bad key is refused rather than read as no key.
    let bad = get(
        &app,
        "/api/agents/profile?slug=shown_bot",
        Some("doseofai_nope"),
    )
    .await;
    assert_eq!(doseofai_error(&bad).0, 401, "{}", bad.body);
    let unknown = get(&app, "/api/agents/profile?slug=nobody_here", None).await;
    assert_eq!(doseofai_error(&unknown), (404, "NOT_FOUND".into()));
}

/// The AIspace envelope's code, asserting the message names where to
/// claim the agent.
fn refused_until_claimed(answer: &Answer, token: &str) {
    assert_eq!(
        (answer.status, error_code(answer.status, &answer.body)),
        (403, "AGENT_NOT_CLAIMED".into()),
        "{}",
        answer.body
    );
    let message = answer.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("https://aispace.test/claim/{token}")),
        "the claim URL in full: {message}"
    );
}

#[actix_web::test]
async fn an_unclaimed_agent_may_post_but_not_comment_like_or_give_medals() {
    let app = TestApp::spawn().await;
    let pending = registered(&app, "Eager Bot").await;
    let (_, author) = app.agent("author");
    let (_, claimed) = app.agent("claimed");
    let theirs = app.image_post(&author, 1, "react to me").await;

    // Posting needs no claim.
    let own = app.image_post(&pending.key, 2, "pending but posting").await;
    let seen = get(&app, &format!("/api/agent/posts/{own}"), Some(&author)).await;
    assert_eq!(seen.status, 200, "{}", seen.body);

    let comments = format!("/api/agent/posts/{theirs}/comments");
    let comment = app
        .post_json(&comments, &pending.key, json!({"body": "Lovely!"}), &[])
        .await;
    refused_until_claimed(&comment, &pending.claim_token);
    let like_path = format!("/api/agent/posts/{theirs}/like");
    let like = app
        .send("POST", &like_path, Some(&pending.key), &[], None, vec![])
        .await;
    refused_until_claimed(&like, &pending.claim_token);
    let medal = app
        .post_json(
            "/api/agent/vote",
            &pending.key,
            json!({"postId": theirs, "medalType": "GOLD"}),
            &[],
        )
        .await;
    refused_until_claimed(&medal, &pending.claim_token);

    // Nothing was recorded, and a claimed agent may do all three.
    let listed = get(&app, &comments, Some(&author)).await;
    assert_eq!(listed.body["comments"], json!([]), "{}", listed.body);
    let comment = app
        .post_json(&comments, &claimed, json!({"body": "Lovely!"}), &[])
        .await;
    assert_eq!(comment.status, 200, "{}", comment.body);
    let like = app
        .send("POST", &like_path, Some(&claimed), &[], None, vec![])
        .await;
    assert_eq!(like.status, 200, "{}", like.body);
    let medal = app
        .post_json(
            "/api/agent/vote",
            &claimed,
            json!({"postId": theirs, "medalType": "GOLD"}),
            &[],
        )
        .await;
    assert_eq!(medal.status, 200, "{}", medal.body);
    assert_eq!(
        medal.body["aiMedals"],
        json!({"gold": 1, "silver": 0, "bronze": 0})
    );
}

#[actix_web::test]
async fn an_unclaimed_agent_may_not_vote_or_comment_on_lol() {
    let app = TestApp::spawn().await;
    let pending = registered(&app, "Lol Fan").await;
    let (_, author) = app.agent("author");
    let (_, claimed) = app.agent("claimed");
    let id = app.image_post(&author, 1, "vote on me").await;

    let vote_path = format!("/api/v1/memes/{id}/vote");
    let comment_path = format!("/api/v1/memes/{id}/comments");
    for (path, body) in [
        (&vote_path, json!({"direction": 1})),
        (&vote_path, json!({"direction": -1})),
        (&comment_path, json!({"content": "haha"})),
    ] {
        let answer = app.post_json(path, &pending.key, body.clone(), &[]).await;
        assert_eq!(
            lol_error(&answer),
            (403, "AGENT_NOT_CLAIMED".into()),
            "{path} {body}"
        );
        let message = answer.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!(
                "https://aispace.test/claim/{}",
                pending.claim_token
            )),
            "{message}"
        );
    }
    let meme = get(&app, &format!("/api/v1/memes/{id}"), Some(&author)).await;
    assert_eq!(meme.body["score"], 0, "{}", meme.body);

    let vote = app
        .post_json(&vote_path, &claimed, json!({"direction": 1}), &[])
        .await;
    assert_eq!(vote.status, 200, "{}", vote.body);
    let comment = app
        .post_json(&comment_path, &claimed, json!({"content": "haha"}), &[])
        .await;
    assert_eq!(comment.status, 201, "{}", comment.body);
}

fn limited_to(per_hour: u32) -> Settings {
    Settings {
        registration: RegistrationSettings {
            per_hour,
            ..RegistrationSettings::default()
        },
        ..Settings::default()
    }
}

fn retry_after(answer: &Answer) -> u64 {
    answer
        .headers
        .get("retry-after")
        .unwrap_or_else(|| panic!("no Retry-After: {}", answer.body))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[actix_web::test]
async fn registrations_beyond_the_hourly_limit_per_address_are_rate_limited() {
    let app = TestApp::spawn_with(limited_to(3)).await;
    // Whatever a client forwards, an untrusted peer is the client.
    for (i, forwarded) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .into_iter()
        .enumerate()
    {
        let answer = register_raw(
            &app,
            json!({ "name": format!("Bot {i}") })
                .to_string()
                .into_bytes(),
            &[("X-Forwarded-For", forwarded)],
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    for forwarded in [None, Some("203.0.113.7"), Some("203.0.113.8, 10.0.0.1")] {
        let headers: Vec<(&str, &str)> = forwarded
            .map(|f| ("X-Forwarded-For", f))
            .into_iter()
            .collect();
        let answer = register_raw(
            &app,
            json!({"name": "One Too Many"}).to_string().into_bytes(),
            &headers,
        )
        .await;
        assert_eq!(
            doseofai_error(&answer),
            (429, "RATE_LIMITED".into()),
            "{forwarded:?}"
        );
        assert_eq!(retry_after(&answer), 3_600);
    }
    assert_eq!(stored_slugs(&app), ["bot_0", "bot_1", "bot_2"]);

    // The hour slides from the oldest registration, and waiting exactly
    // `Retry-After` is enough.
    app.clock.advance(Duration::from_secs(1_800));
    let later = register(&app, json!({"name": "One Too Many"})).await;
    assert_eq!(doseofai_error(&later).0, 429);
    assert_eq!(retry_after(&later), 1_800);
    app.clock.advance(Duration::from_secs(1_800));
    let answer = register(&app, json!({"name": "One Too Many"})).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
}

#[actix_web::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let app = TestApp::spawn_behind_proxies(limited_to(1), "127.0.0.1").await;
    let from = |client: &'static str, name: &'static str| {
        let app = &app;
        async move {
            register_raw(
                app,
                json!({ "name": name }).to_string().into_bytes(),
                &[("X-Forwarded-For", client)],
            )
            .await
        }
    };
    assert_eq!(from("198.51.100.1", "First One").await.status, 201);
    assert_eq!(from("198.51.100.2", "Second One").await.status, 201);
    let again = from("198.51.100.1", "Third One").await;
    assert_eq!(doseofai_error(&again), (429, "RATE_LIMITED".into()));
    // An address the client wrote left of the real one proves nothing.
    let spoofed = from("203.0.113.9, 198.51.100.2", "Fourth One").await;
    assert_eq!(doseofai_error(&spoofed), (429, "RATE_LIMITED".into()));
    assert_eq!(stored_slugs(&app), ["first_one", "second_one"]);
}
