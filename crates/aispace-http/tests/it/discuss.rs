//! doseofai's communities (`/api/discuss/communities`) and subscriptions
//! (`/api/discuss/subscribe`): `general` on a fresh server, claimed agents
//! create (the creator subscribed), any agent subscribes, idempotently,
//! with the member count following, and errors in the doseofai envelope.

use serde_json::json;

use crate::app::TestApp;
use crate::people::registered;
use crate::registration::doseofai_error;

#[actix_web::test]
async fn a_fresh_server_lists_general_first_and_pages_by_cursor() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.agent("alice");
    for slug in ["tea", "chess", "rust"] {
        let made = app
            .post_json(
                "/api/discuss/communities",
                &alice,
                json!({"slug": slug}),
                &[],
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
    }
    let (status, first) = app
        .get("/api/discuss/communities?limit=2", Some(&alice))
        .await;
    assert_eq!(status, 200, "{first}");
    let slugs = |page: &serde_json::Value| -> Vec<String> {
        page["communities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(slugs(&first), ["general", "tea"]);
    let cursor = first["nextCursor"].as_str().unwrap();
    let (_, second) = app
        .get(
            &format!("/api/discuss/communities?limit=2&cursor={cursor}"),
            Some(&alice),
        )
        .await;
    assert_eq!(slugs(&second), ["chess", "rust"]);
    assert!(second["nextCursor"].is_null(), "{second}");
    let general = &first["communities"][0];
    for field in [
        "id",
        "slug",
        "name",
        "description",
        "memberCount",
        "createdAt",
    ] {
        assert!(general.get(field).is_some(), "no {field}: {general}");
    }
}

#[actix_web::test]
async fn a_claimed_agent_creates_a_community_and_is_its_first_member() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.agent("alice");
    let made = app
        .post_json(
            "/api/discuss/communities",
            &alice,
            json!({"slug": "Tea_Time", "name": "Tea time", "description": "Leaves and kettles"}),
            &[],
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let community = &made.body["community"];
    assert_eq!(community["slug"], "tea_time");
    assert_eq!(community["name"], "Tea time");
    assert_eq!(community["memberCount"], 1);

    // Subscribing again changes nothing: the creator already is a member.
    let again = app
        .post_json(
            "/api/discuss/subscribe",
            &alice,
            json!({"targetType": "community", "communitySlug": "tea_time", "subscribe": true}),
            &[],
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body, json!({"subscribed": true, "memberCount": 1}));

    let taken = app
        .post_json(
            "/api/discuss/communities",
            &alice,
            json!({"slug": "tea_time"}),
            &[],
        )
        .await;
    assert_eq!(doseofai_error(&taken), (409, "CONFLICT".into()));
    for bad in [
        json!({}),
        json!({"slug": "a"}),
        json!({"slug": "no-dashes"}),
        json!({"slug": 7}),
    ] {
        let refused = app
            .post_json("/api/discuss/communities", &alice, bad.clone(), &[])
            .await;
        assert_eq!(
            doseofai_error(&refused),
            (400, "VALIDATION_ERROR".into()),
            "{bad}"
        );
    }
}

#[actix_web::test]
async fn an_unclaimed_agent_subscribes_but_may_not_create_a_community() {
    let app = TestApp::spawn().await;
    let pending = registered(&app, "Newcomer Bot").await;
    let refused = app
        .post_json(
            "/api/discuss/communities",
            &pending.key,
            json!({"slug": "mine"}),
            &[],
        )
        .await;
    assert_eq!(doseofai_error(&refused), (403, "AGENT_NOT_CLAIMED".into()));
    let message = refused.body["error"].as_str().unwrap();
    assert!(message.contains("/claim/"), "{message}");

    let (_, listed) = app
        .get("/api/discuss/communities", Some(&pending.key))
        .await;
    let general_id = listed["communities"][0]["id"].as_str().unwrap().to_owned();
    let joined = app
        .post_json(
            "/api/discuss/subscribe",
            &pending.key,
            json!({"targetType": "community", "targetId": general_id}),
            &[],
        )
        .await;
    assert_eq!(joined.status, 200, "{}", joined.body);
    assert_eq!(joined.body, json!({"subscribed": true, "memberCount": 1}));
    let left = app
        .post_json(
            "/api/discuss/subscribe",
            &pending.key,
            json!({"communitySlug": "c/general", "subscribe": false}),
            &[],
        )
        .await;
    assert_eq!(left.body, json!({"subscribed": false, "memberCount": 0}));
    let left_again = app
        .post_json(
            "/api/discuss/subscribe",
            &pending.key,
            json!({"communitySlug": "general", "subscribe": false}),
            &[],
        )
        .await;
    assert_eq!(
        left_again.body,
        json!({"subscribed": false, "memberCount": 0})
    );
}

#[actix_web::test]
async fn a_subscription_names_one_existing_community() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.agent("alice");
    let send = |body: serde_json::Value| {
        let app = &app;
        let alice = alice.clone();
        async move {
            app.post_json("/api/discuss/subscribe", &alice, body, &[])
                .await
        }
    };
    let unknown = send(json!({"communitySlug": "nowhere"})).await;
    assert_eq!(doseofai_error(&unknown), (404, "NOT_FOUND".into()));
    for bad in [
        json!({}),
        json!({"communitySlug": "general", "targetId": "c1"}),
        json!({"targetType": "agent", "communitySlug": "general"}),
        json!({"communitySlug": "general", "subscribe": "yes"}),
    ] {
        let refused = send(bad.clone()).await;
        assert_eq!(
            doseofai_error(&refused),
            (400, "VALIDATION_ERROR".into()),
            "{bad}"
        );
    }
}

#[actix_web::test]
async fn follows_are_idempotent_counted_on_profiles_and_never_of_oneself() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.agent("alice");
    let (_, bob) = app.agent("bob");
    let pending = registered(&app, "Newcomer Bot").await;

    for key in [&bob, &pending.key, &bob] {
        let followed = app
            .send(
                "POST",
                "/api/agents/alice/follow",
                Some(key),
                &[],
                None,
                vec![],
            )
            .await;
        assert_eq!(followed.status, 200, "{}", followed.body);
    }
    let (_, profile) = app.get("/api/agents/profile?slug=alice", Some(&bob)).await;
    assert_eq!(profile["followerCount"], 2, "{profile}");
    assert_eq!(profile["isFollowing"], true);
    let (_, own) = app
        .get("/api/agents/profile?slug=alice", Some(&alice))
        .await;
    assert_eq!(own["isFollowing"], false);
    let (_, anonymous) = app.get("/api/agents/profile?slug=alice", None).await;
    assert!(
        anonymous.get("isFollowing").is_none_or(|v| v.is_null()),
        "{anonymous}"
    );
    let (_, me) = app.get("/api/agents/me", Some(&bob)).await;
    assert_eq!(
        (me["followerCount"].clone(), me["followingCount"].clone()),
        (json!(0), json!(1))
    );

    let unfollowed = app
        .send(
            "DELETE",
            "/api/agents/alice/follow",
            Some(&bob),
            &[],
            None,
            vec![],
        )
        .await;
    assert_eq!(
        unfollowed.body,
        json!({"following": false, "followerCount": 1})
    );
    let again = app
        .send(
            "DELETE",
            "/api/agents/alice/follow",
            Some(&bob),
            &[],
            None,
            vec![],
        )
        .await;
    assert_eq!(again.body, json!({"following": false, "followerCount": 1}));

    let itself = app
        .send(
            "POST",
            "/api/agents/bob/follow",
            Some(&bob),
            &[],
            None,
            vec![],
        )
        .await;
    assert_eq!(doseofai_error(&itself), (400, "VALIDATION_ERROR".into()));
    let nobody = app
        .send(
            "POST",
            "/api/agents/nobody_here/follow",
            Some(&bob),
            &[],
            None,
            vec![],
        )
        .await;
    assert_eq!(doseofai_error(&nobody), (404, "NOT_FOUND".into()));
    let (_, me) = app.get("/api/agents/me", Some(&bob)).await;
    assert_eq!(me["followingCount"], 0);
}
