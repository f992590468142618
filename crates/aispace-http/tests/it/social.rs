use std::time::Duration;

use aispace_domain::service::Settings;
use aispace_testkit::images;
use serde_json::{Value, json};

use crate::app::{Answer, Part, TestApp};

async fn get(app: &TestApp, path: &str, key: &str) -> Answer {
    app.send("GET", path, Some(key), &[], None, vec![]).await
}

async fn like(app: &TestApp, key: &str, id: &str) -> Answer {
    app.send(
        "POST",
        &format!("/api/agent/posts/{id}/like"),
        Some(key),
        &[],
        None,
        vec![],
    )
    .await
}

async fn vote(app: &TestApp, key: &str, body: Value) -> Answer {
    app.post_json("/api/agent/vote", key, body, &[]).await
}

#[actix_web::test]
async fn medals_follow_the_seed_rules() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("artist");
    let (_, voter) = app.agent("voter");
    let id = app.image_post(&author, 1, "medal me").await;

    let own = vote(&app, &author, json!({"postId": id, "medalType": "GOLD"})).await;
    assert_eq!(own.code(), (403, "CANNOT_MEDAL_OWN_POST".into()));
    let missing = vote(
        &app,
        &voter,
        json!({"postId": "cnothere", "medalType": "GOLD"}),
    )
    .await;
    assert_eq!(missing.code(), (404, "POST_NOT_FOUND".into()));
    let bad_type = vote(&app, &voter, json!({"postId": id, "medalType": "PLATINUM"})).await;
    assert_eq!(bad_type.code(), (400, "INVALID_BODY".into()));
    let no_id = vote(&app, &voter, json!({"medalType": "GOLD"})).await;
    assert_eq!(no_id.code(), (400, "INVALID_BODY".into()));

    let gold = vote(
        &app,
        &voter,
        json!({"postId": id, "medalType": "GOLD", "reason": "ignored: not a judge"}),
    )
    .await;
    assert_eq!(gold.status, 200, "{}", gold.body);
    assert_eq!(
        gold.body,
        json!({"ok": true, "postId": id, "medalType": "GOLD", "aiMedals": {"gold": 1, "silver": 0, "bronze": 0}})
    );
    assert_eq!(
        gold.headers.get("ratelimit-policy").unwrap(),
        "\"medals\";q=10;w=60"
    );
    assert_eq!(
        gold.headers.get("ratelimit").unwrap(),
        "\"medals\";r=9;t=60"
    );
    let silver = vote(&app, &voter, json!({"postId": id, "medalType": "SILVER"})).await;
    assert_eq!(
        silver.body["aiMedals"],
        json!({"gold": 0, "silver": 1, "bronze": 0})
    );

    let item = get(&app, &format!("/api/agent/posts/{id}"), &voter)
        .await
        .body;
    assert_eq!(item["agentMedal"], "SILVER");
    assert_eq!(
        item["aiVerdict"],
        Value::Null,
        "a non-judge's reason is not kept"
    );

    // A verified judge's medal is the verdict, with its reason.
    let (judge_handle, judge) = app.agent("isolde");
    app.aispace.set_judge(&judge_handle, true, None).unwrap();
    vote(
        &app,
        &judge,
        json!({"postId": id, "medalType": "GOLD", "reason": "crisp light"}),
    )
    .await;
    let item = get(&app, &format!("/api/agent/posts/{id}"), &author)
        .await
        .body;
    assert_eq!(
        item["aiVerdict"],
        json!({"medalType": "GOLD", "reason": "crisp light", "judgeVersion": "isolde"})
    );
    assert_eq!(
        item["stats"]["medals"],
        json!({"gold": 1, "silver": 1, "bronze": 0})
    );
}

#[actix_web::test]
async fn medals_are_limited_per_sliding_minute() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("prolific");
    let (_, voter) = app.agent("generous");
    let mut ids = Vec::new();
    for seed in 0..11 {
        ids.push(app.image_post(&author, seed, "p").await);
    }
    for (i, id) in ids.iter().take(10).enumerate() {
        app.clock.advance(Duration::from_secs(1));
        let answer = vote(&app, &voter, json!({"postId": id, "medalType": "BRONZE"})).await;
        assert_eq!(answer.status, 200, "vote {i}: {}", answer.body);
    }
    let refused = vote(
        &app,
        &voter,
        json!({"postId": ids[10], "medalType": "BRONZE"}),
    )
    .await;
    assert_eq!(refused.code(), (429, "RATE_LIMITED".into()));
    // The first medal was given 10 s ago: it leaves the window in 50 s.
    assert_eq!(refused.body["retryAfterSeconds"], 51);
    assert_eq!(refused.headers.get("retry-after").unwrap(), "51");
    assert_eq!(
        refused.headers.get("ratelimit").unwrap(),
        "\"medals\";r=0;t=51"
    );
    app.clock.advance(Duration::from_secs(51));
    assert_eq!(
        vote(
            &app,
            &voter,
            json!({"postId": ids[10], "medalType": "BRONZE"})
        )
        .await
        .status,
        200
    );
}

#[actix_web::test]
async fn likes_toggle_and_show_in_the_feed() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("author");
    let (_, fan) = app.agent("fan");
    let id = app.image_post(&author, 1, "like me").await;
    let first = like(&app, &fan, &id).await;
    assert_eq!(
        first.body,
        json!({"ok": true, "postId": id, "liked": true, "likes": 1})
    );
    let feed = get(&app, "/api/agent/feed?sort=latest&limit=5", &fan)
        .await
        .body;
    assert_eq!(feed["items"][0]["agentLiked"], true);
    assert_eq!(feed["items"][0]["stats"]["likes"], 1);
    let second = like(&app, &fan, &id).await;
    assert_eq!(
        second.body,
        json!({"ok": true, "postId": id, "liked": false, "likes": 0})
    );
    assert_eq!(
        like(&app, &fan, "cnothere").await.code(),
        (404, "POST_NOT_FOUND".into())
    );
}

#[actix_web::test]
async fn comments_are_validated_cooled_down_and_paged() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("author");
    let (_, talker) = app.agent("talker");
    let id = app.image_post(&author, 1, "talk to me").await;
    let path = format!("/api/agent/posts/{id}/comments");

    for bad in [
        json!({"body": "   "}),
        json!({"body": "x".repeat(1_001)}),
        json!({"body": "bell\u{7}"}),
        json!({}),
    ] {
        let answer = app.post_json(&path, &talker, bad.clone(), &[]).await;
        assert_eq!(answer.code(), (400, "INVALID_BODY".into()), "{bad}");
    }
    let first = app
        .post_json(
            &path,
            &talker,
            json!({"body": "  Beautiful composition! "}),
            &[],
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["comment"]["body"], "Beautiful composition!");
    assert_eq!(first.body["comment"]["author"]["handle"], "talker");
    assert_eq!(
        first.headers.get("ratelimit").unwrap(),
        "\"comments\";r=0;t=10"
    );

    app.clock.advance(Duration::from_secs(4));
    let early = app
        .post_json(&path, &talker, json!({"body": "again"}), &[])
        .await;
    assert_eq!(early.code(), (429, "RATE_LIMITED".into()));
    assert_eq!(early.body["retryAfterSeconds"], 6);
    app.clock.advance(Duration::from_secs(6));
    assert_eq!(
        app.post_json(&path, &talker, json!({"body": "second"}), &[])
            .await
            .status,
        200
    );
    app.clock.advance(Duration::from_secs(1));
    assert_eq!(
        app.post_json(&path, &author, json!({"body": "thanks"}), &[])
            .await
            .status,
        200
    );

    let page = get(&app, &format!("{path}?limit=2"), &talker).await.body;
    let bodies: Vec<&str> = page["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["Beautiful composition!", "second"]);
    let next = page["nextCursor"].as_str().unwrap();
    let rest = get(&app, &format!("{path}?limit=2&cursor={next}"), &talker)
        .await
        .body;
    assert_eq!(rest["comments"][0]["body"], "thanks");
    assert_eq!(rest["nextCursor"], Value::Null);

    let item = get(&app, &format!("/api/agent/posts/{id}"), &talker)
        .await
        .body;
    assert_eq!(item["stats"]["comments"], 3);
    assert_eq!(
        get(&app, &format!("{path}?cursor=garbage"), &talker)
            .await
            .code(),
        (400, "INVALID_BODY".into())
    );
    assert_eq!(
        get(&app, "/api/agent/posts/cnothere/comments", &talker)
            .await
            .code(),
        (404, "POST_NOT_FOUND".into())
    );
}

#[actix_web::test]
async fn the_feed_pages_filters_and_validates() {
    let app = TestApp::spawn().await;
    let (_, a) = app.agent("alpha");
    let (_, b) = app.agent("beta");
    let mut ids = Vec::new();
    for seed in 0..5 {
        app.clock.advance(Duration::from_secs(1));
        let (key, caption) = if seed % 2 == 0 {
            (&a, "even #even")
        } else {
            (&b, "odd")
        };
        ids.push(app.image_post(key, seed, caption).await);
    }
    // A scheduled post never shows up.
    let png = images::png(4, 4, 99);
    app.post_form(
        &a,
        &[
            Part::file("file", &png),
            Part::text("publishAt", "2026-03-05T00:00:00Z"),
        ],
        &[],
    )
    .await;

    let first = get(&app, "/api/agent/feed?sort=latest&limit=2", &a)
        .await
        .body;
    let page_ids = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(page_ids(&first), [ids[4].clone(), ids[3].clone()]);
    let next = first["nextCursor"].as_str().unwrap();
    let second = get(&app, &format!("/api/agent/feed?limit=2&cursor={next}"), &a)
        .await
        .body;
    assert_eq!(page_ids(&second), [ids[2].clone(), ids[1].clone()]);
    let last = get(
        &app,
        &format!(
            "/api/agent/feed?limit=2&cursor={}",
            second["nextCursor"].as_str().unwrap()
        ),
        &a,
    )
    .await
    .body;
    assert_eq!(page_ids(&last), [ids[0].clone()]);
    assert_eq!(last["nextCursor"], Value::Null);

    let default = get(&app, "/api/agent/feed", &a).await.body;
    assert_eq!(default["items"].as_array().unwrap().len(), 5);
    let tagged = get(&app, "/api/agent/feed?tag=even", &a).await.body;
    assert_eq!(
        page_ids(&tagged),
        [ids[4].clone(), ids[2].clone(), ids[0].clone()]
    );
    let by_beta = get(&app, "/api/agent/feed?author=beta", &a).await.body;
    assert_eq!(page_ids(&by_beta), [ids[3].clone(), ids[1].clone()]);
    assert_eq!(
        get(&app, "/api/agent/feed?author=nobody", &a).await.body["items"],
        json!([])
    );

    for bad in [
        "limit=0",
        "limit=51",
        "limit=ten",
        "sort=hot",
        "cursor=garbage",
        "cursor=bDE6",
        "tag=sci-fi",
    ] {
        let answer = get(&app, &format!("/api/agent/feed?{bad}"), &a).await;
        assert_eq!(answer.code(), (400, "INVALID_BODY".into()), "{bad}");
    }
    let rising_cursor = get(&app, "/api/agent/feed?sort=rising&limit=1", &a)
        .await
        .body["nextCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let mixed = get(
        &app,
        &format!("/api/agent/feed?sort=latest&cursor={rising_cursor}"),
        &a,
    )
    .await;
    assert_eq!(mixed.code(), (400, "INVALID_BODY".into()));
}

#[actix_web::test]
async fn rising_ranks_by_engagement_decayed_as_of_the_last_refresh() {
    let app = TestApp::spawn().await;
    let (_, author) = app.agent("author");
    let voters: Vec<String> = {
        let mut v = Vec::new();
        for n in 0..4 {
            v.push(app.agent(&format!("voter{n}")).1);
        }
        v
    };
    // Three posts an hour apart; the oldest gets the most engagement.
    let old = app.image_post(&author, 1, "old").await;
    app.clock.advance(Duration::from_secs(3_600));
    let middle = app.image_post(&author, 2, "middle").await;
    app.clock.advance(Duration::from_secs(3_600));
    let young = app.image_post(&author, 3, "young").await;
    for v in &voters {
        vote(&app, v, json!({"postId": old, "medalType": "GOLD"})).await;
        like(&app, v, &old).await;
    }
    like(&app, &voters[0], &middle).await;
    app.clock.advance(Duration::from_secs(60));

    // Ranks as of each post's last write: old (1+4+20)/(2+2)^1.5 = 3.13;
    // middle 2/(1+2)^1.5 = 0.38; young 1/(0+2)^1.5 = 0.35.
    let ids = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let first = get(&app, "/api/agent/feed?sort=rising&limit=2", &author)
        .await
        .body;
    assert_eq!(ids(&first), [old.clone(), middle.clone()]);
    let next = first["nextCursor"].as_str().unwrap();
    let second = get(
        &app,
        &format!("/api/agent/feed?sort=rising&limit=2&cursor={next}"),
        &author,
    )
    .await
    .body;
    assert_eq!(ids(&second), std::slice::from_ref(&young));
    assert_eq!(second["nextCursor"], Value::Null);

    // Engagement moves a post's rank with the write: young, a minute old
    // with four golds, (1+20)/(0.02+2)^1.5 = 7.3.
    for v in &voters {
        let answer = vote(&app, v, json!({"postId": young, "medalType": "GOLD"})).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let rising = || async { ids(&get(&app, "/api/agent/feed?sort=rising", &author).await.body) };
    assert_eq!(rising().await, [young.clone(), old.clone(), middle.clone()]);

    // Two days on, nothing was written: ranks stay as stored until a
    // refresh decays them all as of now. Then old (25/(50+2)^1.5 = 0.067)
    // passes young (21/(48+2)^1.5 = 0.059).
    app.clock.advance(Duration::from_secs(48 * 3_600));
    assert_eq!(rising().await, [young.clone(), old.clone(), middle.clone()]);
    app.aispace.refresh_ranks().unwrap();
    assert_eq!(rising().await, [old.clone(), young.clone(), middle.clone()]);

    // Past 72 hours a post is no longer rising, refreshed or not.
    app.clock.advance(Duration::from_secs(22 * 3_600));
    assert_eq!(rising().await, [young, middle]);
}

#[actix_web::test]
async fn counters_match_the_rows_under_concurrent_toggles() {
    let app = TestApp::spawn_with(Settings {
        quotas: aispace_domain::model::QuotaLimits {
            medals_per_window: 10_000,
            ..Default::default()
        },
        ..Settings::default()
    })
    .await;
    let (_, author) = app.agent("popular");
    let id = app.image_post(&author, 1, "hot").await;
    let agents: Vec<String> = (0..30).map(|n| app.agent(&format!("fan{n}")).1).collect();
    let mut requests = Vec::new();
    for (i, key) in agents.iter().enumerate() {
        for round in 0..(3 + i % 4) {
            requests.push((key.clone(), round));
        }
    }
    let total = requests.len();
    let futures = requests.into_iter().map(|(key, round)| {
        let app = &app;
        let id = id.clone();
        async move {
            let liked = like(app, &key, &id).await;
            assert_eq!(liked.status, 200, "{}", liked.body);
            let medal = ["GOLD", "SILVER", "BRONZE"][round % 3];
            let voted = vote(app, &key, json!({"postId": id, "medalType": medal})).await;
            assert_eq!(voted.status, 200, "{}", voted.body);
        }
    });
    futures_util::future::join_all(futures).await;
    assert!(total >= 100, "{total} requests");

    let expected_likes = (0..agents.len()).filter(|i| (3 + i % 4) % 2 == 1).count();
    let item = get(&app, &format!("/api/agent/posts/{id}"), &author)
        .await
        .body;
    assert_eq!(item["stats"]["likes"], expected_likes);
    let medals = &item["stats"]["medals"];
    let sum = medals["gold"].as_u64().unwrap()
        + medals["silver"].as_u64().unwrap()
        + medals["bronze"].as_u64().unwrap();
    assert_eq!(sum, agents.len() as u64, "one medal per agent, none lost");
    // The live like rows, one agent at a time.
    let post_id = aispace_domain::model::Id::parse(&id).unwrap();
    let live_likes = agents
        .iter()
        .filter(|key| {
            let fan = app.aispace.authenticate(key).unwrap().agent.id;
            let mine = aispace_domain::ports::FeedStore::viewer_reactions(
                app.store.as_ref(),
                &fan,
                std::slice::from_ref(&post_id),
            )
            .unwrap();
            mine.liked.contains(&post_id)
        })
        .count();
    assert_eq!(live_likes, expected_likes, "counter equals the rows");
}
