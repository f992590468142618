use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::KeyRecord;
use crate::AuthError;
use crate::ports::Entropy;

/// Every key this server issues starts with this, so secret scanners (and
/// people) can recognise an aispace key in a leaked file or log.
pub const ISSUED_PREFIX_MARK: &str = "asp_";

/// The public half of a key: 8–12 URL-safe characters, the lookup key.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPrefix(String);

impl KeyPrefix {
    pub fn parse(s: &str) -> Option<Self> {
        let ok = (8..=12).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| KeyPrefix(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyPrefix({})", self.0)
    }
}

impl fmt::Display for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The secret half: at least 32 random bytes, base64url without padding
/// (43 characters for 32 bytes). Never logged, never stored.
#[derive(Clone)]
pub struct KeySecret(String);

/// Longer secrets are allowed (room for other issuers), but not unbounded:
/// hashing an attacker's megabyte on every request is a cheap DoS.
const SECRET_MIN_CHARS: usize = 43;
const SECRET_MAX_CHARS: usize = 128;

impl KeySecret {
    fn parse(s: &str) -> Option<Self> {
        let ok = (SECRET_MIN_CHARS..=SECRET_MAX_CHARS).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| KeySecret(s.to_owned()))
    }

    /// SHA-256 of the secret. A fast hash is right here: the secret carries
    /// 256 bits of entropy, so there is nothing for a slow KDF to protect.
    pub fn hash(&self) -> SecretHash {
        let digest = Sha256::digest(self.0.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(&digest);
        SecretHash(out)
    }
}

impl fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeySecret(<redacted>)")
    }
}

/// The stored form of a secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(SecretHash)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Constant-time: the time taken says nothing about how many bytes of a
    /// guess were right.
    pub fn matches(&self, secret: &KeySecret) -> bool {
        self.0.ct_eq(secret.hash().as_bytes()).into()
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(<redacted>)")
    }
}

/// A full agent key as presented in `Authorization: Bearer <prefix>.<secret>`.
#[derive(Clone)]
pub struct ApiKey {
    prefix: KeyPrefix,
    secret: KeySecret,
}

impl ApiKey {
    pub fn parse(raw: &str) -> Result<Self, AuthError> {
        let (prefix, secret) = raw.split_once('.').ok_or(AuthError::MalformedKey)?;
        Ok(ApiKey {
            prefix: KeyPrefix::parse(prefix).ok_or(AuthError::MalformedKey)?,
            secret: KeySecret::parse(secret).ok_or(AuthError::MalformedKey)?,
        })
    }

    /// A fresh key: `asp_` + 8 base32 characters, then 32 random bytes.
    pub fn generate(entropy: &dyn Entropy) -> Self {
        const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
        let mut prefix_bytes = [0u8; 8];
        entropy.fill(&mut prefix_bytes);
        let mut prefix = String::with_capacity(12);
        prefix.push_str(ISSUED_PREFIX_MARK);
        prefix.extend(
            prefix_bytes
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b & 0x1F)])),
        );
        let mut secret = [0u8; 32];
        entropy.fill(&mut secret);
        ApiKey {
            prefix: KeyPrefix(prefix),
            secret: KeySecret(URL_SAFE_NO_PAD.encode(secret)),
        }
    }

    pub fn prefix(&self) -> &KeyPrefix {
        &self.prefix
    }

    pub fn secret(&self) -> &KeySecret {
        &self.secret
    }

    /// The full key, for the one time it is shown to its owner.
    pub fn expose(&self) -> String {
        format!("{}.{}", self.prefix.0, self.secret.0)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({}.<redacted>)", self.prefix.0)
    }
}

/// A key just created: the plaintext (shown once) and what gets stored.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub record: KeyRecord,
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::{AtomicU8, Ordering};

    struct Counting(AtomicU8);
    impl Entropy for Counting {
        fn fill(&self, buf: &mut [u8]) {
            for b in buf {
                *b = self.0.fetch_add(37, Ordering::Relaxed);
            }
        }
    }

    #[test]
    fn generated_keys_parse_back_and_match_their_hash() {
        let key = ApiKey::generate(&Counting(AtomicU8::new(1)));
        let shown = key.expose();
        assert!(shown.starts_with("asp_"));
        assert_eq!(key.prefix().as_str().len(), 12);
        let parsed = ApiKey::parse(&shown).unwrap();
        assert_eq!(parsed.prefix(), key.prefix());
        assert!(key.secret().hash().matches(parsed.secret()));
    }

    #[test]
    fn wrong_secret_does_not_match() {
        let a = ApiKey::parse(&format!("asp_aaaaaaaa.{}", "A".repeat(43))).unwrap();
        let b = ApiKey::parse(&format!("asp_aaaaaaaa.{}", "B".repeat(43))).unwrap();
        assert!(!a.secret().hash().matches(b.secret()));
    }

    #[test]
    fn malformed_keys_are_refused() {
        let good_secret = "s".repeat(43);
        for bad in [
            String::new(),
            "no-dot-at-all".to_owned(),
            format!("short.{good_secret}"),
            format!("waytoolongprefix.{good_secret}"),
            format!("bad!chars.{good_secret}"),
            "asp_aaaaaaaa.tooshort".to_owned(),
            format!("asp_aaaaaaaa.{}", "s".repeat(129)),
            format!("asp_aaaaaaaa.{}=", "s".repeat(43)),
            format!("asp_aaaaaaaa.{good_secret}.extra"),
        ] {
            assert_eq!(
                ApiKey::parse(&bad).err(),
                Some(AuthError::MalformedKey),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = ApiKey::parse(&format!("asp_aaaaaaaa.{}", "q".repeat(43))).unwrap();
        let shown = format!("{key:?} {:?} {:?}", key.secret(), key.secret().hash());
        assert!(!shown.contains("qqqq"), "{shown}");
    }
}
