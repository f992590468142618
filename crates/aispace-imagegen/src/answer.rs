//! Reading a provider's answer: the image in it, or why there is none.

use aispace_domain::ports::GenerationError;
use aispace_outbound::PostAnswer;
use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;
use serde::de::IgnoredAny;

/// How much of a provider's error message is shown.
const MAX_MESSAGE_CHARS: usize = 200;
/// How much of a `Content-Type` is shown.
const MAX_CONTENT_TYPE_CHARS: usize = 100;

/// The standard alphabet; padding optional, as providers differ.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Where the image is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Image {
    Base64(String),
    Url(String),
}

/// `{"data": [{"b64_json": "…"} | {"url": "…"}, …]}`; other fields (such
/// as `revised_prompt`) are ignored.
#[derive(Deserialize)]
struct Generations {
    #[serde(default)]
    data: Vec<Generated>,
}

#[derive(Deserialize)]
struct Generated {
    #[serde(default)]
    b64_json: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

/// The first image of a 2xx answer, base64 preferred.
pub(crate) fn image(answer: &PostAnswer, api_key: &str) -> Result<Image, GenerationError> {
    let generations = match serde_json::from_slice::<Generations>(&answer.body) {
        Ok(generations) => generations,
        Err(_) if serde_json::from_slice::<IgnoredAny>(&answer.body).is_ok() => {
            return Err(no_image());
        }
        Err(_) => {
            let content_type = answer.content_type.as_deref().map_or_else(
                || "none".to_owned(),
                |value| shown(value, api_key, MAX_CONTENT_TYPE_CHARS),
            );
            return Err(GenerationError::Failed(format!(
                "the image provider answered something that is not JSON (content-type {content_type})"
            )));
        }
    };
    generations
        .data
        .into_iter()
        .find_map(|generated| match generated {
            Generated {
                b64_json: Some(data),
                ..
            } => Some(Image::Base64(data)),
            Generated { url: Some(url), .. } => Some(Image::Url(url)),
            _ => None,
        })
        .ok_or_else(no_image)
}

fn no_image() -> GenerationError {
    GenerationError::Failed(
        "the image provider's answer holds no image (no data[].b64_json or data[].url)".to_owned(),
    )
}

/// A non-2xx answer, with the provider's `error.message` (or `error`, or
/// `message`) when it sent one.
pub(crate) fn status_failure(answer: &PostAnswer, api_key: &str) -> String {
    let status = answer.status;
    match provider_message(&answer.body) {
        Some(message) => format!(
            "the image provider answered HTTP {status}: {}",
            shown(&message, api_key, MAX_MESSAGE_CHARS)
        ),
        None => format!("the image provider answered HTTP {status}"),
    }
}

fn provider_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = match value.get("error") {
        Some(serde_json::Value::String(message)) => message,
        Some(error) => error.get("message")?.as_str()?,
        None => value.get("message")?.as_str()?,
    };
    Some(message.to_owned()).filter(|message| !message.trim().is_empty())
}

/// Decodes a base64 image, refusing one over `max_bytes` before decoding.
pub(crate) fn decode(data: &str, max_bytes: usize) -> Result<Vec<u8>, GenerationError> {
    // Every 4 characters carry 3 bytes; 2 or 3 left over carry 1 or 2.
    let digits = data.trim_end_matches('=').len();
    let size = digits / 4 * 3 + (digits % 4).saturating_sub(1);
    if size > max_bytes {
        return Err(GenerationError::TooLarge(max_bytes));
    }
    let bytes = BASE64.decode(data).map_err(|err| {
        GenerationError::Failed(format!(
            "the image provider's b64_json is not valid base64: {err}"
        ))
    })?;
    if bytes.len() > max_bytes {
        return Err(GenerationError::TooLarge(max_bytes));
    }
    Ok(bytes)
}

/// Provider text as it may be shown: the key replaced, control characters
/// made spaces, cut at `max_chars` (after the key is gone, so no part of
/// it survives the cut).
pub(crate) fn shown(text: &str, api_key: &str, max_chars: usize) -> String {
    let text = without_key(text.to_owned(), api_key);
    let mut out: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max_chars)
        .collect();
    if text.trim().chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

pub(crate) fn without_key(text: String, api_key: &str) -> String {
    if api_key.is_empty() || !text.contains(api_key) {
        return text;
    }
    text.replace(api_key, "<redacted>")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-0123456789abcdef";

    fn answer(status: u16, content_type: Option<&str>, body: &str) -> PostAnswer {
        PostAnswer {
            status,
            content_type: content_type.map(str::to_owned),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn base64_is_preferred_and_the_first_image_wins() {
        let json = r#"{"created":1,"data":[{"revised_prompt":"x"},{"url":"https://a.test/1.png","b64_json":"AAAA"},{"b64_json":"BBBB"}]}"#;
        assert_eq!(
            image(&answer(200, None, json), KEY),
            Ok(Image::Base64("AAAA".to_owned()))
        );
        let json = r#"{"data":[{"url":"https://a.test/1.png","b64_json":null}]}"#;
        assert_eq!(
            image(&answer(200, None, json), KEY),
            Ok(Image::Url("https://a.test/1.png".to_owned()))
        );
    }

    #[test]
    fn json_without_an_image_and_non_json_fail_differently() {
        for json in [
            r#"{"data":[]}"#,
            "{}",
            r#"{"data":null}"#,
            "[1,2]",
            r#""x""#,
        ] {
            let Err(GenerationError::Failed(message)) = image(&answer(200, None, json), KEY) else {
                panic!("{json}: expected Failed");
            };
            assert!(message.contains("no image"), "{json}: {message}");
        }
        let Err(GenerationError::Failed(message)) = image(
            &answer(200, Some("text/html; charset=utf-8"), "<html>"),
            KEY,
        ) else {
            panic!("expected Failed");
        };
        assert!(message.contains("not JSON"), "{message}");
        assert!(message.contains("text/html; charset=utf-8"), "{message}");
    }

    #[test]
    fn the_providers_message_is_found_in_the_usual_places() {
        for body in [
            r#"{"error":{"message":"bad key","type":"invalid_request_error"}}"#,
            r#"{"error":"bad key"}"#,
            r#"{"message":"bad key"}"#,
        ] {
            assert_eq!(
                status_failure(&answer(401, None, body), KEY),
                "the image provider answered HTTP 401: bad key",
                "{body}"
            );
        }
        for body in ["", "<html>", r#"{"error":{"code":1}}"#, r#"{"error":""}"#] {
            assert_eq!(
                status_failure(&answer(502, None, body), KEY),
                "the image provider answered HTTP 502",
                "{body}"
            );
        }
    }

    #[test]
    fn a_long_message_is_cut_after_the_key_is_removed() {
        let message = format!("{}{KEY} and more\nlines", "x".repeat(190));
        let cut = shown(&message, KEY, MAX_MESSAGE_CHARS);
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(cut.ends_with('…'), "{cut}");
        assert!(!cut.contains("sk-0"), "{cut}");
        assert_eq!(shown("a\r\nb\n", KEY, MAX_MESSAGE_CHARS), "a  b");
    }

    #[test]
    fn decoding_checks_the_size_first() {
        assert_eq!(decode("AAEC", 3), Ok(vec![0, 1, 2]));
        assert_eq!(decode("AAE=", 2), Ok(vec![0, 1]));
        assert_eq!(decode("AAE", 2), Ok(vec![0, 1]));
        assert_eq!(decode("AAEC", 2), Err(GenerationError::TooLarge(2)));
        assert_eq!(decode("AAE=", 1), Err(GenerationError::TooLarge(1)));
        assert_eq!(decode("", 0), Ok(Vec::new()));
        assert!(matches!(
            decode("not base64!", 100),
            Err(GenerationError::Failed(_))
        ));
    }
}
