//! What the sealer promises: what it seals opens again only under the same
//! secret and context, and nothing of the plaintext shows in what is
//! stored.

use aispace_domain::model::ServerSecret;
use aispace_domain::ports::{SealError, SecretSealer};
use aispace_sealer::XChaChaSealer;

fn sealer(secret: &str) -> XChaChaSealer {
    XChaChaSealer::from_secret(&ServerSecret::new(secret.as_bytes().to_vec()))
}

const KEY: &[u8] = b"sk-live-0123456789abcdefghij";

#[test]
fn a_sealed_value_opens_under_the_same_secret_and_context() {
    let sealed = sealer("the installation's secret, long enough").seal(KEY, b"owner-1");
    let other_process = sealer("the installation's secret, long enough");
    assert_eq!(other_process.open(&sealed, b"owner-1").as_deref(), Ok(KEY));
}

#[test]
fn the_plaintext_does_not_show_in_the_sealed_value() {
    let sealed = sealer("s".repeat(32).as_str()).seal(KEY, b"owner-1");
    assert!(!sealed.windows(8).any(|w| KEY.windows(8).any(|k| k == w)));
    assert_eq!(sealed.len(), 1 + 24 + KEY.len() + 16);
}

#[test]
fn every_seal_draws_a_new_nonce() {
    let s = sealer("s".repeat(32).as_str());
    assert_ne!(s.seal(KEY, b"c"), s.seal(KEY, b"c"));
}

#[test]
fn another_secret_another_context_or_a_changed_byte_does_not_open() {
    let s = sealer("the installation's secret, long enough");
    let sealed = s.seal(KEY, b"owner-1");
    assert_eq!(
        sealer("another secret, also long enough!!").open(&sealed, b"owner-1"),
        Err(SealError)
    );
    assert_eq!(s.open(&sealed, b"owner-2"), Err(SealError));
    for i in 0..sealed.len() {
        let mut damaged = sealed.clone();
        damaged[i] ^= 0x01;
        assert_eq!(s.open(&damaged, b"owner-1"), Err(SealError), "byte {i}");
    }
    assert_eq!(s.open(&sealed[..20], b"owner-1"), Err(SealError));
    assert_eq!(s.open(&[], b"owner-1"), Err(SealError));
}
