//! What the provider receives.

use aispace_domain::ports::{ImageGenerator, ImageProvider};

use crate::support::{KEY, PNG, Provider, b64_answer, generate, generator};

#[test]
fn the_request_is_a_json_post_to_the_generations_path_with_the_bearer_key() {
    let server = Provider::always("127.0.0.1", || b64_answer(PNG));

    assert_eq!(
        generate(&generator(), &server.base_url(), 1024),
        Ok(PNG.to_vec())
    );

    let received = server.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/images/generations");
    assert_eq!(
        request.header("authorization"),
        [format!("Bearer {KEY}").as_str()]
    );
    assert_eq!(request.header("content-type"), ["application/json"]);
    assert_eq!(request.header("user-agent"), ["aispace-imagegen/0.1"]);
    assert_eq!(
        request.json(),
        serde_json::json!({
            "model": "dall-e-3",
            "prompt": "a lighthouse in a storm",
            "n": 1,
            "size": "1024x1024",
            "response_format": "b64_json",
        })
    );
}

#[test]
fn the_prompt_travels_as_json_whatever_it_contains() {
    let server = Provider::always("127.0.0.1", || b64_answer(PNG));
    let prompt = "say \"hi\"\n\\ caf\u{e9} \u{1f3a8} </script>";

    generator()
        .generate(&super::support::provider(&server.base_url()), prompt, 1024)
        .unwrap();

    assert_eq!(server.received()[0].json()["prompt"], prompt);
}

#[test]
fn a_base_url_with_a_slash_or_ending_in_v1_gets_the_path_once() {
    let server = Provider::always("127.0.0.1", || b64_answer(PNG));
    for base in [
        server.base_url() + "/",
        server.base_url() + "/v1",
        server.base_url() + "/v1/",
    ] {
        generate(&generator(), &base, 1024).unwrap();
    }
    generate(&generator(), &(server.base_url() + "/openai/"), 1024).unwrap();

    let paths: Vec<String> = server.received().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/v1/images/generations",
            "/v1/images/generations",
            "/v1/images/generations",
            "/openai/v1/images/generations",
        ]
    );
}

#[test]
fn an_empty_key_sends_no_authorization_header() {
    let server = Provider::always("127.0.0.1", || b64_answer(PNG));
    let keyless = ImageProvider {
        api_key: String::new(),
        ..super::support::provider(&server.base_url())
    };

    assert_eq!(generator().generate(&keyless, "x", 1024), Ok(PNG.to_vec()));
    assert!(server.received()[0].header("authorization").is_empty());
}
