use crate::model::Field;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::KeyRecord;
use crate::ports::Entropy;
use crate::{AuthError, DomainError};

/// How a key looks. Each API surface's clients expect the keys of their
/// own service (and secret scanners know each mark), so a key can be issued
/// in any of these; every format authenticates on every surface, and all
/// are stored alike (lookup prefix, SHA-256 of the secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeyFormat {
    /// `asp_` + 8 base32 characters, `.`, 43 base64url characters.
    #[default]
    Asp,
    /// `lol65b_` + 10 base32 characters, `.`, 43 base64url characters.
    Lol65b,
    /// `doseofai_` + 64 lowercase hex digits, no dot. The first 12 digits
    /// double as the lookup id, so the prefix is `doseofai_` + those 12.
    Doseofai,
}

impl KeyFormat {
    pub const ALL: [KeyFormat; 3] = [KeyFormat::Asp, KeyFormat::Lol65b, KeyFormat::Doseofai];

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw.trim() {
            "asp" => Ok(KeyFormat::Asp),
            "lol65b" => Ok(KeyFormat::Lol65b),
            "doseofai" => Ok(KeyFormat::Doseofai),
            _ => Err(DomainError::validation(
                Field::KeyFormat,
                "must be asp, lol65b or doseofai",
            )),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            KeyFormat::Asp => "asp",
            KeyFormat::Lol65b => "lol65b",
            KeyFormat::Doseofai => "doseofai",
        }
    }

    /// What every key of this format starts with.
    pub const fn mark(self) -> &'static str {
        match self {
            KeyFormat::Asp => "asp_",
            KeyFormat::Lol65b => "lol65b_",
            KeyFormat::Doseofai => DOSEOFAI_MARK,
        }
    }
}

impl fmt::Display for KeyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const DOSEOFAI_MARK: &str = "doseofai_";
/// A doseofai key is its mark and exactly this many lowercase hex digits.
const DOSEOFAI_DIGITS: usize = 64;
/// How many of those digits name the key (48 bits: the rest, 208 bits,
/// stay secret).
pub const DOSEOFAI_LOOKUP_DIGITS: usize = 12;

/// The prefix's bounds: wide enough for every issued format (`lol65b_` +
/// 10 is 17, `doseofai_` + 12 is 21) with room for other issuers.
const PREFIX_MIN_CHARS: usize = 8;
const PREFIX_MAX_CHARS: usize = 24;

fn is_url_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The public half of a key: 8–24 URL-safe characters, the lookup key.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPrefix(String);

impl KeyPrefix {
    pub fn parse(s: &str) -> Option<Self> {
        let ok =
            (PREFIX_MIN_CHARS..=PREFIX_MAX_CHARS).contains(&s.len()) && s.bytes().all(is_url_safe);
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
/// (43 characters for 32 bytes), or a doseofai key's 64 hex digits. Never
/// logged, never stored.
#[derive(Clone)]
pub struct KeySecret(String);

/// Longer secrets are allowed (room for other issuers), but not unbounded:
/// hashing an attacker's megabyte on every request is a cheap DoS.
const SECRET_MIN_CHARS: usize = 43;
const SECRET_MAX_CHARS: usize = 128;

impl KeySecret {
    fn parse(s: &str) -> Option<Self> {
        let ok =
            (SECRET_MIN_CHARS..=SECRET_MAX_CHARS).contains(&s.len()) && s.bytes().all(is_url_safe);
        ok.then(|| KeySecret(s.to_owned()))
    }

    /// SHA-256 of the secret. A fast hash is right here: the secret carries
    /// at least 208 unknown bits, so there is nothing for a slow KDF to
    /// protect.
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

/// A full agent key as presented in `Authorization: Bearer <key>`: either
/// `<prefix>.<secret>` (asp and lol65b keys, and other issuers' keys of
/// that shape) or `doseofai_<64 hex>`, whose prefix is the mark and the
/// first 12 digits and whose secret is all 64 digits.
#[derive(Clone)]
pub struct ApiKey {
    prefix: KeyPrefix,
    secret: KeySecret,
}

impl ApiKey {
    pub fn parse(raw: &str) -> Result<Self, AuthError> {
        // The mark decides before the dot does: a dotted key with a
        // `doseofai_` prefix could otherwise take a doseofai key's lookup id.
        if let Some(digits) = raw.strip_prefix(DOSEOFAI_MARK) {
            let ok = digits.len() == DOSEOFAI_DIGITS
                && digits
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            return ok
                .then(|| Self::doseofai(digits.to_owned()))
                .ok_or(AuthError::MalformedKey);
        }
        let (prefix, secret) = raw.split_once('.').ok_or(AuthError::MalformedKey)?;
        Ok(ApiKey {
            prefix: KeyPrefix::parse(prefix).ok_or(AuthError::MalformedKey)?,
            secret: KeySecret::parse(secret).ok_or(AuthError::MalformedKey)?,
        })
    }

    /// `digits`: 64 lowercase hex digits, already checked.
    fn doseofai(digits: String) -> Self {
        ApiKey {
            prefix: KeyPrefix(format!(
                "{DOSEOFAI_MARK}{}",
                &digits[..DOSEOFAI_LOOKUP_DIGITS]
            )),
            secret: KeySecret(digits),
        }
    }

    /// A fresh key of `format`. Every format's secret is 32 random bytes.
    pub fn generate(format: KeyFormat, entropy: &dyn Entropy) -> Self {
        match format {
            KeyFormat::Asp => Self::dotted(format, 8, entropy),
            KeyFormat::Lol65b => Self::dotted(format, 10, entropy),
            KeyFormat::Doseofai => {
                let mut bytes = [0u8; DOSEOFAI_DIGITS / 2];
                entropy.fill(&mut bytes);
                Self::doseofai(super::hex(&bytes))
            }
        }
    }

    /// The mark, `id_chars` base32 characters (5 random bits each), a dot
    /// and 32 random bytes in base64url.
    fn dotted(format: KeyFormat, id_chars: usize, entropy: &dyn Entropy) -> Self {
        const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
        let mut id_bytes = vec![0u8; id_chars];
        entropy.fill(&mut id_bytes);
        let mut prefix = String::with_capacity(format.mark().len() + id_chars);
        prefix.push_str(format.mark());
        prefix.extend(
            id_bytes
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

    /// The part of a presented key that names it, found without checking
    /// the rest, for counting requests per key before any other work: the
    /// prefix before the dot, or a doseofai key's mark and lookup digits.
    /// It never holds a character of the secret beyond what the prefix
    /// shows, so text that is not shaped like a key (a secret pasted alone,
    /// say) gets the empty string.
    pub fn lookup_prefix(presented: &str) -> &str {
        if let Some(digits) = presented.strip_prefix(DOSEOFAI_MARK) {
            let id = digits
                .bytes()
                .take(DOSEOFAI_LOOKUP_DIGITS)
                .take_while(u8::is_ascii_alphanumeric)
                .count();
            return &presented[..DOSEOFAI_MARK.len() + id];
        }
        let id = presented.bytes().take_while(|b| is_url_safe(*b)).count();
        if id <= PREFIX_MAX_CHARS && presented.as_bytes().get(id) == Some(&b'.') {
            &presented[..id]
        } else {
            ""
        }
    }

    pub fn prefix(&self) -> &KeyPrefix {
        &self.prefix
    }

    pub fn secret(&self) -> &KeySecret {
        &self.secret
    }

    /// The format whose mark the key carries; `None` for another issuer's
    /// `<prefix>.<secret>` key.
    pub fn format(&self) -> Option<KeyFormat> {
        KeyFormat::ALL
            .into_iter()
            .find(|f| self.prefix.0.starts_with(f.mark()))
    }

    fn is_doseofai(&self) -> bool {
        self.prefix.0.starts_with(DOSEOFAI_MARK)
    }

    /// The full key, for the one time it is shown to its owner.
    pub fn expose(&self) -> String {
        if self.is_doseofai() {
            format!("{DOSEOFAI_MARK}{}", self.secret.0)
        } else {
            format!("{}.{}", self.prefix.0, self.secret.0)
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dot = if self.is_doseofai() { "" } else { "." };
        write!(f, "ApiKey({}{dot}<redacted>)", self.prefix.0)
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

    fn counting() -> Counting {
        Counting(AtomicU8::new(1))
    }

    fn hex(n: usize) -> String {
        "0123456789abcdef".chars().cycle().take(n).collect()
    }

    #[test]
    fn generated_keys_of_every_format_parse_back_and_match_their_hash() {
        for format in KeyFormat::ALL {
            let key = ApiKey::generate(format, &counting());
            let shown = key.expose();
            assert!(shown.starts_with(format.mark()), "{shown}");
            let parsed = ApiKey::parse(&shown).unwrap();
            assert_eq!(parsed.prefix(), key.prefix());
            assert_eq!(parsed.format(), Some(format));
            assert_eq!(parsed.expose(), shown);
            assert!(key.secret().hash().matches(parsed.secret()));
            assert_eq!(ApiKey::lookup_prefix(&shown), key.prefix().as_str());
        }
    }

    #[test]
    fn each_format_has_its_documented_shape() {
        let base32 = |s: &str| {
            s.bytes()
                .all(|b| b"abcdefghijkmnpqrstuvwxyz23456789".contains(&b))
        };
        let asp = ApiKey::generate(KeyFormat::Asp, &counting()).expose();
        let (prefix, secret) = asp.split_once('.').unwrap();
        assert!(prefix.len() == 12 && base32(&prefix[4..]), "{asp}");
        assert_eq!(secret.len(), 43);

        let lol = ApiKey::generate(KeyFormat::Lol65b, &counting()).expose();
        let (prefix, secret) = lol.split_once('.').unwrap();
        assert!(
            prefix.starts_with("lol65b_") && prefix.len() == 17 && base32(&prefix[7..]),
            "{lol}"
        );
        assert_eq!(secret.len(), 43);

        let dose = ApiKey::generate(KeyFormat::Doseofai, &counting());
        let shown = dose.expose();
        let digits = shown.strip_prefix("doseofai_").unwrap();
        assert_eq!(digits.len(), 64);
        assert!(
            digits
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(dose.prefix().as_str(), &shown[..21]);
        assert!(!shown.contains('.'));
    }

    #[test]
    fn a_doseofai_key_hashes_its_whole_64_digit_secret() {
        let digits = hex(64);
        let key = ApiKey::parse(&format!("doseofai_{digits}")).unwrap();
        assert_eq!(key.prefix().as_str(), "doseofai_0123456789ab");
        let expected: [u8; 32] = Sha256::digest(digits.as_bytes()).into();
        assert_eq!(key.secret().hash().as_bytes(), &expected);
    }

    #[test]
    fn the_same_entropy_gives_the_same_key() {
        for format in KeyFormat::ALL {
            assert_eq!(
                ApiKey::generate(format, &counting()).expose(),
                ApiKey::generate(format, &counting()).expose()
            );
        }
    }

    #[test]
    fn wrong_secret_does_not_match() {
        let a = ApiKey::parse(&format!("asp_aaaaaaaa.{}", "A".repeat(43))).unwrap();
        let b = ApiKey::parse(&format!("asp_aaaaaaaa.{}", "B".repeat(43))).unwrap();
        assert!(!a.secret().hash().matches(b.secret()));

        // Same lookup digits, different rest: same prefix, other secret.
        let c = ApiKey::parse(&format!("doseofai_{}", hex(64))).unwrap();
        let d = ApiKey::parse(&format!("doseofai_{}{}", &hex(64)[..12], "f".repeat(52))).unwrap();
        assert_eq!(c.prefix(), d.prefix());
        assert!(!c.secret().hash().matches(d.secret()));
    }

    #[test]
    fn malformed_keys_are_refused() {
        let good_secret = "s".repeat(43);
        for bad in [
            String::new(),
            "no-dot-at-all".to_owned(),
            format!("short.{good_secret}"),
            format!("{}.{good_secret}", "p".repeat(25)),
            format!("bad!chars.{good_secret}"),
            format!(".{good_secret}"),
            "asp_aaaaaaaa.".to_owned(),
            "asp_aaaaaaaa.tooshort".to_owned(),
            format!("asp_aaaaaaaa.{}", "s".repeat(129)),
            format!("asp_aaaaaaaa.{}=", "s".repeat(43)),
            format!("asp_aaaaaaaa.{good_secret}.extra"),
            format!("lol65b_{}.{good_secret}", "a".repeat(18)),
            "lol65b_abcdefghjk.".to_owned(),
            format!("lol65b_abcdefghjk.{}", "s".repeat(129)),
            // doseofai: exactly 64 lowercase hex digits, nothing else.
            "doseofai_".to_owned(),
            format!("doseofai_{}", hex(63)),
            format!("doseofai_{}", hex(65)),
            format!("doseofai_{}", hex(64).to_ascii_uppercase()),
            format!("doseofai_{}g", hex(63)),
            format!("doseofai_{} ", hex(64)),
            format!("doseofai_{}.{good_secret}", hex(12)),
            format!("doseofai_{}", hex(128)),
            format!("doseofai{}", hex(64)),
        ] {
            assert_eq!(
                ApiKey::parse(&bad).err(),
                Some(AuthError::MalformedKey),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn prefixes_of_every_issued_format_fit_the_prefix_bounds() {
        for format in KeyFormat::ALL {
            let key = ApiKey::generate(format, &counting());
            assert_eq!(
                KeyPrefix::parse(key.prefix().as_str()).as_ref(),
                Some(key.prefix())
            );
        }
        assert!(KeyPrefix::parse(&"p".repeat(24)).is_some());
        assert!(KeyPrefix::parse(&"p".repeat(25)).is_none());
        assert!(KeyPrefix::parse("sevench").is_none());
    }

    #[test]
    fn key_formats_parse_by_name_only() {
        for format in KeyFormat::ALL {
            assert_eq!(KeyFormat::parse(format.as_str()).unwrap(), format);
            assert_eq!(format.to_string(), format.as_str());
        }
        assert_eq!(KeyFormat::default(), KeyFormat::Asp);
        for bad in ["", "asp_", "ASP", "lol", "doseofai_", "bearer"] {
            assert!(KeyFormat::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_lookup_prefix_never_holds_more_than_the_prefix() {
        let secret = "S".repeat(43);
        let digits = hex(64);
        for (presented, expected) in [
            (format!("asp_aaaaaaaa.{secret}"), "asp_aaaaaaaa"),
            (format!("lol65b_abcdefghjk.{secret}"), "lol65b_abcdefghjk"),
            (format!("doseofai_{digits}"), "doseofai_0123456789ab"),
            // Malformed, but still named by what a prefix would be.
            (
                format!("doseofai_{}", digits.to_ascii_uppercase()),
                "doseofai_0123456789AB",
            ),
            ("doseofai_01.secret".to_owned(), "doseofai_01"),
            ("asp_x.y".to_owned(), "asp_x"),
            // Not shaped like a key: nothing of it is kept.
            (secret.clone(), ""),
            (format!("{}.{secret}", "p".repeat(25)), ""),
            ("bad key.x".to_owned(), ""),
            (String::new(), ""),
        ] {
            assert_eq!(ApiKey::lookup_prefix(&presented), expected, "{presented}");
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = ApiKey::parse(&format!("asp_aaaaaaaa.{}", "q".repeat(43))).unwrap();
        let dose = ApiKey::parse(&format!("doseofai_{}{}", hex(12), "e".repeat(52))).unwrap();
        let shown = format!(
            "{key:?} {:?} {:?} {dose:?} {:?}",
            key.secret(),
            key.secret().hash(),
            dose.secret()
        );
        assert!(
            !shown.contains("qqqq") && !shown.contains("eeee"),
            "{shown}"
        );
        assert!(shown.contains("doseofai_0123456789ab<redacted>"), "{shown}");
    }
}
