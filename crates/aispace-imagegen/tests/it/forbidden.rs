//! The provider and any URL it answers go through the fetcher's address
//! checks; a refusal happens before any connection.

use std::time::Duration;

use aispace_imagegen::{GeneratorConfig, OpenAiImageGenerator};

use crate::support::{
    FakeDns, PNG, Provider, Reply, allow, b64_answer, forbidden, generate, generator, url_answer,
};

#[test]
fn a_provider_on_loopback_is_forbidden_with_an_empty_allow_list() {
    let server = Provider::always("127.0.0.1", || b64_answer(PNG));
    let generator = OpenAiImageGenerator::new(GeneratorConfig::default());

    let reason = forbidden(generate(&generator, &server.base_url(), 1024));
    assert!(reason.contains("loopback"), "{reason}");
    assert_eq!(server.connections(), 0);
}

#[test]
fn a_provider_name_resolving_to_a_private_address_is_forbidden() {
    let dns = FakeDns::new(&[
        ("internal.test", &["10.0.0.5"]),
        ("metadata.test", &["93.184.215.14", "169.254.169.254"]),
    ]);
    let generator = OpenAiImageGenerator::with_lookup(
        GeneratorConfig {
            timeout: Duration::from_secs(2),
            ..allow("127.0.0.1/32")
        },
        dns,
    );

    for (base, named) in [
        ("http://internal.test", "10.0.0.5"),
        ("https://metadata.test:8443/v1", "169.254.169.254"),
        ("http://169.254.169.254", "169.254.169.254"),
        ("http://[::1]:8080", "::1"),
    ] {
        let reason = forbidden(generate(&generator, base, 1024));
        assert!(reason.contains(named), "{base}: {reason}");
    }
}

#[test]
fn a_base_url_with_another_scheme_is_forbidden() {
    for base in [
        "file:///etc/passwd",
        "ftp://127.0.0.1/",
        "gopher://127.0.0.1:70",
    ] {
        forbidden(generate(&generator(), base, 1024));
    }
}

#[test]
fn a_url_answer_pointing_to_a_non_allowed_address_is_forbidden() {
    let server = Provider::always("127.0.0.1", || url_answer("http://10.0.0.1/x.png"));

    let reason = forbidden(generate(&generator(), &server.base_url(), 1024));
    assert!(reason.contains("10.0.0.1"), "{reason}");
    assert_eq!(server.received().len(), 1, "only the provider was asked");
}

#[test]
fn a_url_answer_on_loopback_outside_the_allow_list_makes_no_connection() {
    // 127.0.0.2 is loopback too, but only 127.0.0.1/32 is allowed.
    let image_host = Provider::always("127.0.0.2", || Reply::Body(PNG.to_vec()));
    let location = image_host.url("/x.png");
    let server = Provider::always("127.0.0.1", move || url_answer(&location));

    forbidden(generate(&generator(), &server.base_url(), 1024));
    assert_eq!(image_host.connections(), 0);
}

#[test]
fn a_url_answer_redirecting_to_a_non_allowed_address_is_forbidden() {
    let image_host = Provider::always("127.0.0.2", || Reply::Body(PNG.to_vec()));
    let hidden = image_host.url("/x.png");
    let server = Provider::start("127.0.0.1", move |request| match request.path.as_str() {
        "/v1/images/generations" => {
            url_answer(&format!("http://{}/hop.png", request.header("host")[0]))
        }
        _ => Reply::Redirect(hidden.clone()),
    });

    forbidden(generate(&generator(), &server.base_url(), 1024));
    assert_eq!(image_host.connections(), 0);
}

#[test]
fn a_url_answer_with_another_scheme_is_forbidden() {
    let server = Provider::always("127.0.0.1", || url_answer("file:///etc/passwd"));

    forbidden(generate(&generator(), &server.base_url(), 1024));
}
