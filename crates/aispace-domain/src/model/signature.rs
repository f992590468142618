//! Standard Webhooks signatures: `v1,<base64 HMAC-SHA256(key,
//! "{id}.{timestamp}.{body}")>`, the key being the base64 part of the
//! `whsec_` secret. [`verify`] is the one call a Rust receiver needs:
//!
//! ```
//! use aispace_domain::model::{WebhookSecret, signature};
//!
//! let secret = WebhookSecret::from_trusted("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into());
//! let body = br#"{"email":"test@example.com","username":"test_user"}"#;
//! let header = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";
//! signature::verify(&secret, "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", "1649367553", header, body, 1_649_367_553)
//!     .expect("genuine");
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::WebhookSecret;

/// How far a delivery's timestamp may be from the receiver's clock
/// (Standard Webhooks' recommendation): older deliveries are replays.
pub const TOLERANCE_SECS: i64 = 5 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("webhook-timestamp is not a unix time in seconds")]
    BadTimestamp,
    #[error("webhook-timestamp is more than five minutes from now")]
    Stale,
    #[error("no v1 signature matches")]
    NoMatch,
}

/// The `v1,<base64>` signature of one message.
pub fn sign(secret: &WebhookSecret, id: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "v1,{}",
        STANDARD.encode(mac(secret, id, &timestamp.to_string(), body))
    )
}

/// The `webhook-signature` header for `secrets` (space-separated, one per
/// secret: during a rotation the receiver may hold either).
pub fn header(secrets: &[&WebhookSecret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| sign(s, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks a delivery as a receiver: the timestamp is within
/// [`TOLERANCE_SECS`] of `now_unix` and one of the `v1` signatures of
/// `signature_header` is the message's, compared in constant time.
pub fn verify(
    secret: &WebhookSecret,
    id: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
    now_unix: i64,
) -> Result<(), VerifyError> {
    let ts: i64 = timestamp.parse().map_err(|_| VerifyError::BadTimestamp)?;
    // `abs_diff`: a timestamp near i64::MIN or MAX must not overflow.
    if now_unix.abs_diff(ts) > TOLERANCE_SECS.unsigned_abs() {
        return Err(VerifyError::Stale);
    }
    let content = signed_content(id, timestamp, body);
    let matches = signature_header
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .any(|sig| {
            let mut m = new_mac(secret);
            m.update(&content);
            // Constant time, and false for a signature of another length.
            m.verify_slice(&sig).is_ok()
        });
    if matches {
        Ok(())
    } else {
        Err(VerifyError::NoMatch)
    }
}

fn signed_content(id: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(id.len() + timestamp.len() + body.len() + 2);
    content.extend_from_slice(id.as_bytes());
    content.push(b'.');
    content.extend_from_slice(timestamp.as_bytes());
    content.push(b'.');
    content.extend_from_slice(body);
    content
}

fn new_mac(secret: &WebhookSecret) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    match Hmac::<Sha256>::new_from_slice(&secret.key()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts every key length"),
    }
}

fn mac(secret: &WebhookSecret, id: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut m = new_mac(secret);
    m.update(&signed_content(id, timestamp, body));
    m.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector() -> (WebhookSecret, &'static str, i64, &'static [u8]) {
        (
            WebhookSecret::from_trusted("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into()),
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1_649_367_553,
            br#"{"email":"test@example.com","username":"test_user"}"#,
        )
    }

    #[test]
    fn signs_the_standard_webhooks_test_vector() {
        let (secret, id, ts, body) = vector();
        assert_eq!(
            sign(&secret, id, ts, body),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn verifies_any_of_several_signatures_and_refuses_tampering() {
        let (secret, id, ts, body) = vector();
        let other = WebhookSecret::from_random([1; 24]);
        let both = header(&[&other, &secret], id, ts, body);
        assert_eq!(both.split(' ').count(), 2);
        assert_eq!(
            verify(&secret, id, "1649367553", &both, body, ts + 60),
            Ok(())
        );
        assert_eq!(
            verify(&secret, id, "1649367553", &both, b"{}", ts),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify(&secret, "msg_other", "1649367553", &both, body, ts),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify(
                &secret,
                id,
                "1649367553",
                &both,
                body,
                ts + TOLERANCE_SECS + 1
            ),
            Err(VerifyError::Stale)
        );
        assert_eq!(
            verify(&secret, id, "soon", &both, body, ts),
            Err(VerifyError::BadTimestamp)
        );
        assert_eq!(
            verify(&secret, id, "1649367553", "v2,abc v1,!!", body, ts),
            Err(VerifyError::NoMatch)
        );
    }

    #[test]
    fn timestamps_at_the_ends_of_i64_are_stale_not_a_panic() {
        let (secret, id, ts, body) = vector();
        let header = sign(&secret, id, ts, body);
        for forged in [i64::MIN, i64::MAX] {
            assert_eq!(
                verify(&secret, id, &forged.to_string(), &header, body, ts),
                Err(VerifyError::Stale)
            );
        }
        let at_min = sign(&secret, id, i64::MIN, body);
        assert_eq!(
            verify(&secret, id, &i64::MIN.to_string(), &at_min, body, i64::MAX),
            Err(VerifyError::Stale)
        );
    }
}
