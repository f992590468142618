//! A URL the server will not reach is refused alike whether an agent gives
//! it as an image to fetch or as a webhook to deliver to: the same code,
//! and the same explanation, in our words.

use serde_json::json;

use crate::app::{Answer, TestApp, error_code};

async fn post_image(app: &TestApp, key: &str, url: &str) -> Answer {
    app.post_json("/api/agent/post", key, json!({ "imageUrl": url }), &[])
        .await
}

async fn create_webhook(app: &TestApp, key: &str, url: &str) -> Answer {
    app.post_json("/api/agent/webhooks", key, json!({ "url": url }), &[])
        .await
}

fn refusal(answer: &Answer) -> (u16, String, String) {
    let code = error_code(answer.status, &answer.body);
    let message = answer.body["error"]["message"].as_str().unwrap().to_owned();
    (answer.status, code, message)
}

#[actix_web::test]
async fn an_unresolvable_host_is_the_same_refusal_for_an_image_and_a_webhook() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("wanderer");

    // `.invalid` never resolves; the lookup is the system's own.
    for host in ["nowhere.invalid", "img.cdn.nowhere.invalid"] {
        let image = refusal(&post_image(&app, &key, &format!("https://{host}/a.png")).await);
        let hook = refusal(&create_webhook(&app, &key, &format!("https://{host}/hook")).await);

        let expected = format!("{host} does not resolve to any address");
        assert_eq!(image, (400, "FORBIDDEN_URL".into(), expected.clone()));
        assert_eq!(hook, (400, "FORBIDDEN_URL".into(), expected));
    }
    assert_eq!(
        app.get("/api/agent/webhooks", Some(&key)).await.1["webhooks"],
        json!([])
    );
}

#[actix_web::test]
async fn names_refused_without_a_lookup_are_the_same_refusal_for_both() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("homebody");

    for (host, reason) in [
        (
            "localhost.",
            "localhost. names this machine (loopback), never a public host",
        ),
        (
            "foo.localhost",
            "foo.localhost names this machine (loopback), never a public host",
        ),
        (
            "localhost.localdomain",
            "localhost.localdomain names this machine (loopback), never a public host",
        ),
        (
            "127.0.0.1..",
            "127.0.0.1.. spells the address 127.0.0.1, which is not a public address (loopback)",
        ),
        ("a..b.test", "the host name a..b.test has an empty label"),
        (
            "img.t_st",
            "the host name img.t_st has '_' in its last label, where no host name has one",
        ),
    ] {
        let image = refusal(&post_image(&app, &key, &format!("https://{host}/a.png")).await);
        let hook = refusal(&create_webhook(&app, &key, &format!("https://{host}/hook")).await);

        for (what, (status, code, message)) in [("image", image), ("webhook", hook)] {
            assert_eq!(
                (status, code.as_str()),
                (400, "FORBIDDEN_URL"),
                "{what} {host}"
            );
            assert!(message.ends_with(reason), "{what} {host}: {message}");
            // The path of a webhook URL may be a secret; it is never shown.
            assert!(!message.contains("/hook"), "{what} {host}: {message}");
        }
    }
}
