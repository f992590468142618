//! Fake image providers on loopback (the testkit's loopback server) and a
//! fake DNS. Nothing here talks to any address outside 127.0.0.0/8.

use std::time::Duration;

use aispace_domain::ports::{GenerationError, ImageGenerator, ImageProvider};
use aispace_imagegen::{GeneratorConfig, OpenAiImageGenerator};
use aispace_outbound::AllowList;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub use aispace_testkit::loopback::{LoopbackServer as Provider, PNG, Reply};

pub const KEY: &str = "sk-test-0123456789abcdef";

/// `{"data":[{"b64_json": base64(bytes)}]}`.
pub fn b64_answer(bytes: &[u8]) -> Reply {
    Reply::Json(
        200,
        format!(
            r#"{{"created":1,"data":[{{"b64_json":"{}"}}]}}"#,
            STANDARD.encode(bytes)
        ),
    )
}

/// `{"data":[{"url": url}]}`.
pub fn url_answer(url: &str) -> Reply {
    Reply::Json(200, format!(r#"{{"data":[{{"url":"{url}"}}]}}"#))
}

pub use aispace_testkit::dns::FakeDns;

pub fn allow(list: &str) -> GeneratorConfig {
    GeneratorConfig {
        allow: AllowList::parse(list).unwrap(),
        ..GeneratorConfig::default()
    }
}

/// A generator that may reach 127.0.0.1 only, with a short timeout so a
/// test that goes wrong fails in seconds.
pub fn generator() -> OpenAiImageGenerator {
    OpenAiImageGenerator::new(GeneratorConfig {
        timeout: Duration::from_secs(5),
        ..allow("127.0.0.1/32")
    })
}

pub fn provider(base_url: &str) -> ImageProvider {
    ImageProvider {
        base_url: base_url.to_owned(),
        api_key: KEY.to_owned(),
        model: "dall-e-3".to_owned(),
    }
}

pub fn generate(
    generator: &OpenAiImageGenerator,
    base_url: &str,
    max_bytes: usize,
) -> Result<Vec<u8>, GenerationError> {
    generator.generate(&provider(base_url), "a lighthouse in a storm", max_bytes)
}

#[track_caller]
pub fn failed(result: Result<Vec<u8>, GenerationError>) -> String {
    match result {
        Err(GenerationError::Failed(message)) => {
            assert!(!message.contains(KEY), "the key leaked: {message}");
            message
        }
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[track_caller]
pub fn forbidden(result: Result<Vec<u8>, GenerationError>) -> String {
    match result {
        Err(GenerationError::Forbidden(reason)) => reason,
        other => panic!("expected Forbidden, got {other:?}"),
    }
}
