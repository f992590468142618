//! The [`SecretSealer`] port over XChaCha20-Poly1305.
//!
//! A sealed value is `version (1 byte) ‖ nonce (24 bytes) ‖ ciphertext ‖
//! tag (16 bytes)`. The nonce is drawn at random for every value: 192 bits
//! make a repeat negligible however many values one key seals, which is
//! why the extended-nonce variant is used. The key is derived from the
//! server secret (`AISPACE_SECRET_KEY` or the data directory's key file),
//! which never enters the database; every process of an installation
//! shares it, so any process opens what another sealed.

use aispace_domain::model::ServerSecret;
use aispace_domain::ports::{SealError, SecretSealer};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};

/// The first byte of every sealed value: a later format (another cipher,
/// or key rotation) gets another number.
const VERSION: u8 = 1;
const NONCE_BYTES: usize = 24;
/// What the server secret's derived key is for.
const PURPOSE: &str = "owner provider keys v1";

pub struct XChaChaSealer {
    cipher: XChaCha20Poly1305,
}

impl XChaChaSealer {
    /// A sealer under a key derived from the server secret.
    pub fn from_secret(secret: &ServerSecret) -> Self {
        Self::with_key(&secret.derive_key(PURPOSE))
    }

    pub fn with_key(key: &[u8; 32]) -> Self {
        XChaChaSealer {
            cipher: XChaCha20Poly1305::new(&(*key).into()),
        }
    }
}

impl std::fmt::Debug for XChaChaSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("XChaChaSealer(<key redacted>)")
    }
}

impl SecretSealer for XChaChaSealer {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        // Without the operating system's randomness no nonce is safe and
        // nothing else in the server is either (keys, sessions).
        if let Err(err) = getrandom::fill(&mut nonce) {
            panic!("the operating system's random number generator failed: {err}");
        }
        let payload = Payload {
            msg: plaintext,
            aad: context,
        };
        let ciphertext = match self.cipher.encrypt(&XNonce::from(nonce), payload) {
            Ok(ciphertext) => ciphertext,
            // Only messages of more than 256 GiB fail to encrypt.
            Err(_) => unreachable!("XChaCha20-Poly1305 seals any message under 256 GiB"),
        };
        let mut sealed = Vec::with_capacity(1 + NONCE_BYTES + ciphertext.len());
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, SealError> {
        let (&version, rest) = sealed.split_first().ok_or(SealError)?;
        if version != VERSION || rest.len() < NONCE_BYTES {
            return Err(SealError);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| SealError)?;
        let payload = Payload {
            msg: ciphertext,
            aad: context,
        };
        self.cipher
            .decrypt(&XNonce::from(nonce), payload)
            .map_err(|_| SealError)
    }
}
