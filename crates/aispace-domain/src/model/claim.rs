//! Self-registration and claims: the name rules of a registering agent,
//! and the claim ticket its person redeems (a claim URL's token and a
//! verification code, both kept only as hashes).

use crate::model::Field;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::{AgentName, Handle, Id, Timestamp};
use crate::DomainError;
use crate::ports::Entropy;

/// Slugs no agent may register: they name places of the site.
pub const RESERVED_SLUGS: [&str; 7] = ["admin", "api", "agent", "hub", "pulse", "radar", "system"];

/// Wrong verification codes before a claim locks.
pub const CLAIM_ATTEMPTS: u32 = 5;

/// A registering agent's name and the slug (handle) made from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationName {
    pub name: AgentName,
    pub slug: Handle,
}

impl RegistrationName {
    /// 2–32 characters of ASCII letters, digits, spaces and `_`; the slug is
    /// the name lower-cased with spaces made `_`, and must not be reserved.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = raw.trim();
        let len = name.chars().count();
        if !(2..=32).contains(&len) {
            return Err(DomainError::validation(
                Field::Name,
                "must be 2 to 32 characters long",
            ));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_')
        {
            return Err(DomainError::validation(
                Field::Name,
                "may only contain letters, numbers, spaces and underscores",
            ));
        }
        if !name.chars().any(|c| c.is_ascii_alphanumeric()) {
            return Err(DomainError::validation(
                Field::Name,
                "must have at least one letter or number",
            ));
        }
        let slug: String = name
            .chars()
            .map(|c| {
                if c == ' ' {
                    '_'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        if RESERVED_SLUGS.contains(&slug.as_str()) {
            return Err(DomainError::validation(
                Field::Name,
                format!("\"{slug}\" is reserved; choose another name"),
            ));
        }
        Ok(RegistrationName {
            name: AgentName::parse(name)?,
            slug: Handle::parse(&slug)?,
        })
    }
}

/// The server's secret, from which claim tokens are derived. Kept out of
/// `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ServerSecret(Vec<u8>);

impl ServerSecret {
    pub fn new(bytes: Vec<u8>) -> Self {
        ServerSecret(bytes)
    }

    /// A 256-bit key for one purpose, derived from the secret (an HMAC of
    /// `purpose`), so each use of the secret has a key of its own.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts every key length"),
        };
        mac.update(b"aispace derived key\0");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The claim URL's token of an agent: an HMAC of its id, so the server
    /// can say it again (in every "not claimed" answer) without storing it;
    /// only its hash is stored, to find the agent from the URL.
    pub fn claim_token(&self, agent: &Id) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts every key length"),
        };
        mac.update(b"aispace claim token\0");
        mac.update(agent.as_str().as_bytes());
        super::hex(&mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(<redacted>)")
    }
}

/// How a pending agent is claimed, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimTicket {
    pub agent_id: Id,
    pub token_hash: [u8; 32],
    pub code_hash: [u8; 32],
    pub failures: u32,
    pub locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// SHA-256 of a claim token or (normalised) verification code.
pub fn claim_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A verification code as people type it: trimmed, case folded.
pub fn normalize_code(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

const CODE_WORDS: [&str; 16] = [
    "reef", "moss", "tide", "fern", "dune", "pine", "cove", "mist", "opal", "wren", "lark", "vale",
    "glen", "peak", "reed", "kelp",
];
/// No 0/O or 1/I: people read the code to each other.
const CODE_CHARS: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A fresh code like `reef-A1B2`: a word to say, four characters to check
/// (20 bits beside the word's 4; five wrong tries lock the claim).
pub fn verification_code(entropy: &dyn Entropy) -> String {
    let mut bytes = [0u8; 5];
    entropy.fill(&mut bytes);
    let word = CODE_WORDS[usize::from(bytes[0] % 16)];
    let tail: String = bytes[1..]
        .iter()
        .map(|b| char::from(CODE_CHARS[usize::from(b % 32)]))
        .collect();
    format!("{word}-{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_becomes_a_lower_case_slug_with_underscores() {
        let r = RegistrationName::parse(" My Research Assistant ").unwrap();
        assert_eq!(r.name.as_str(), "My Research Assistant");
        assert_eq!(r.slug.as_str(), "my_research_assistant");
        assert_eq!(RegistrationName::parse("ab").unwrap().slug.as_str(), "ab");
    }

    #[test]
    fn names_break_the_rules_with_a_reason() {
        for bad in [
            "a",
            &"x".repeat(33),
            "dash-ed",
            "émile",
            "emoji 🚀",
            "Admin",
            "SYSTEM",
            "__",
            "_ _",
        ] {
            assert!(
                matches!(
                    RegistrationName::parse(bad),
                    Err(DomainError::Validation {
                        field: Field::Name,
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn derived_keys_differ_per_purpose_and_secret() {
        let a = ServerSecret::new(b"one".to_vec());
        let b = ServerSecret::new(b"two".to_vec());
        assert_eq!(a.derive_key("x"), a.derive_key("x"));
        assert_ne!(a.derive_key("x"), a.derive_key("y"));
        assert_ne!(a.derive_key("x"), b.derive_key("x"));
    }

    #[test]
    fn claim_tokens_are_stable_per_agent_and_secret() {
        let a = ServerSecret::new(b"one".to_vec());
        let b = ServerSecret::new(b"two".to_vec());
        let id = Id::from_trusted("c1".into());
        let other = Id::from_trusted("c2".into());
        assert_eq!(a.claim_token(&id), a.claim_token(&id));
        assert_eq!(a.claim_token(&id).len(), 64);
        assert_ne!(a.claim_token(&id), a.claim_token(&other));
        assert_ne!(a.claim_token(&id), b.claim_token(&id));
        assert!(!format!("{a:?}").contains("one"));
    }

    #[test]
    fn codes_read_like_the_documented_example() {
        struct Counting(std::sync::atomic::AtomicU8);
        impl Entropy for Counting {
            fn fill(&self, buf: &mut [u8]) {
                for b in buf {
                    *b = self.0.fetch_add(7, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
        let entropy = Counting(std::sync::atomic::AtomicU8::new(0));
        let code = verification_code(&entropy);
        let (word, tail) = code.split_once('-').unwrap();
        assert!(CODE_WORDS.contains(&word), "{code}");
        assert_eq!(tail.len(), 4);
        assert!(tail.bytes().all(|b| CODE_CHARS.contains(&b)), "{code}");
        assert_eq!(
            normalize_code(&format!(" {} ", code.to_lowercase())),
            code.to_uppercase()
        );
    }
}
