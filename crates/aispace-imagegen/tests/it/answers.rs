//! The two kinds of answer, and every way an answer can be unusable.

use crate::support::{
    KEY, PNG, Provider, Reply, b64_answer, failed, generate, generator, url_answer,
};

#[test]
fn a_b64_json_answer_returns_the_decoded_bytes() {
    let image: Vec<u8> = (0..=255).cycle().take(10_000).collect();
    let answer = image.clone();
    let server = Provider::always("127.0.0.1", move || b64_answer(&answer));

    assert_eq!(
        generate(&generator(), &server.base_url(), 10_000),
        Ok(image)
    );
}

#[test]
fn a_url_answer_is_fetched_without_the_key() {
    let server = Provider::start("127.0.0.1", |request| match request.path.as_str() {
        "/v1/images/generations" => url_answer(&format!(
            "http://{}/files/img-1.png",
            request.header("host")[0]
        )),
        "/files/img-1.png" => Reply::Body(PNG.to_vec()),
        _ => Reply::Json(404, "{}".to_owned()),
    });

    assert_eq!(
        generate(&generator(), &server.base_url(), 1024),
        Ok(PNG.to_vec())
    );

    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].method, "GET");
    assert_eq!(received[1].path, "/files/img-1.png");
    assert!(
        received[1].header("authorization").is_empty(),
        "the key goes to the provider's API only"
    );
}

#[test]
fn a_url_answer_that_cannot_be_fetched_fails() {
    let server = Provider::start("127.0.0.1", |request| match request.path.as_str() {
        "/v1/images/generations" => {
            url_answer(&format!("http://{}/gone.png", request.header("host")[0]))
        }
        _ => Reply::Json(404, "{}".to_owned()),
    });

    let message = failed(generate(&generator(), &server.base_url(), 1024));
    assert!(message.contains("404"), "{message}");
}

#[test]
fn an_html_answer_with_200_fails_as_not_json() {
    let server = Provider::always("127.0.0.1", || Reply::Raw {
        status: 200,
        content_type: "text/html; charset=utf-8",
        body: b"<!doctype html><title>Login</title>".to_vec(),
    });

    let message = failed(generate(&generator(), &server.base_url(), 1024));
    assert!(message.contains("not JSON"), "{message}");
    assert!(message.contains("text/html"), "{message}");
}

#[test]
fn a_500_with_an_error_message_fails_naming_status_and_message() {
    let server = Provider::always("127.0.0.1", || {
        Reply::Json(
            500,
            r#"{"error":{"message":"bad key","type":"server_error"}}"#.to_owned(),
        )
    });

    let message = failed(generate(&generator(), &server.base_url(), 1024));
    assert!(message.contains("500"), "{message}");
    assert!(message.contains("bad key"), "{message}");
}

#[test]
fn a_key_echoed_by_the_provider_is_not_passed_on() {
    let server = Provider::always("127.0.0.1", || {
        Reply::Json(
            401,
            format!(r#"{{"error":{{"message":"Incorrect API key provided: {KEY}."}}}}"#),
        )
    });

    // `failed` checks the key is absent.
    let message = failed(generate(&generator(), &server.base_url(), 1024));
    assert!(message.contains("401"), "{message}");
    assert!(message.contains("Incorrect API key provided"), "{message}");
}

#[test]
fn a_long_provider_message_is_cut() {
    let server = Provider::always("127.0.0.1", || {
        Reply::Json(
            400,
            format!(r#"{{"error":{{"message":"{}"}}}}"#, "x".repeat(5_000)),
        )
    });

    let message = failed(generate(&generator(), &server.base_url(), 1024));
    assert!(message.contains("400"), "{message}");
    assert!(message.len() < 400, "{} characters", message.len());
}

#[test]
fn an_error_status_without_json_still_names_the_status() {
    let server = Provider::always("127.0.0.1", || Reply::Raw {
        status: 502,
        content_type: "text/plain",
        body: b"upstream down".to_vec(),
    });

    let message = failed(generate(&generator(), &server.base_url(), 1024));
    assert!(message.contains("502"), "{message}");
}

#[test]
fn json_without_an_image_fails() {
    for body in [
        r#"{"data":[]}"#,
        r#"{"created":1}"#,
        r#"{"data":[{"revised_prompt":"x"}]}"#,
    ] {
        let server = Provider::always("127.0.0.1", move || Reply::Json(200, body.to_owned()));

        let message = failed(generate(&generator(), &server.base_url(), 1024));
        assert!(message.contains("no image"), "{body}: {message}");
    }
}

#[test]
fn base64_that_does_not_decode_fails() {
    let server = Provider::always("127.0.0.1", || {
        Reply::Json(200, r#"{"data":[{"b64_json":"not*base64!"}]}"#.to_owned())
    });

    let message = failed(generate(&generator(), &server.base_url(), 1024));
    assert!(message.contains("base64"), "{message}");
}

#[test]
fn a_redirect_from_the_provider_is_not_followed() {
    let target = Provider::always("127.0.0.1", || b64_answer(PNG));
    let location = target.url("/v1/images/generations");
    let server = Provider::always("127.0.0.1", move || Reply::Redirect(location.clone()));

    let message = failed(generate(&generator(), &server.base_url(), 1024));
    assert!(message.contains("302"), "{message}");
    assert_eq!(target.connections(), 0);
}

#[test]
fn a_provider_that_is_not_listening_fails() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let message = failed(generate(
        &generator(),
        &format!("http://127.0.0.1:{port}"),
        1024,
    ));
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
}
