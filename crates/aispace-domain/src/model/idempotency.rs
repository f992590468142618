use crate::model::Field;
use std::fmt;

use sha2::{Digest, Sha256};

use super::{Id, Timestamp};
use crate::DomainError;

/// A client's `Idempotency-Key`: 1–255 visible ASCII characters.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let ok = (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(IdempotencyKey(raw.to_owned()))
        } else {
            Err(DomainError::validation(
                Field::IdempotencyKey,
                "must be 1 to 255 visible ASCII characters",
            ))
        }
    }

    pub fn from_trusted(s: String) -> Self {
        IdempotencyKey(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({})", self.0)
    }
}

/// What a request asked for, reduced to a hash: a retry must ask for the
/// same thing to get the first answer back. Built from the meaning of the
/// request (the image's URL or content hash, caption, tags, publish time),
/// not its bytes: a multipart retry has a new boundary but the same meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestFingerprint([u8; 32]);

impl RequestFingerprint {
    pub fn of(parts: &[&[u8]]) -> Self {
        let mut hasher = Sha256::new();
        for part in parts {
            // Length-prefixed, so ("ab","c") and ("a","bc") differ.
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(&hasher.finalize());
        RequestFingerprint(out)
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(RequestFingerprint)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// A key that created something: the same key and fingerprint within the
/// window replays `post_id`'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub agent_id: Id,
    pub key: IdempotencyKey,
    pub fingerprint: RequestFingerprint,
    pub post_id: Id,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_visible_ascii() {
        assert!(IdempotencyKey::parse("retry-7f3a").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for bad in ["", "has space", "tab\t", "ünï", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fingerprints_separate_their_parts() {
        assert_ne!(
            RequestFingerprint::of(&[b"ab", b"c"]),
            RequestFingerprint::of(&[b"a", b"bc"])
        );
        assert_eq!(
            RequestFingerprint::of(&[b"x"]),
            RequestFingerprint::of(&[b"x"])
        );
    }
}
