/// Encrypts secrets the server has to use again later (people's
/// image-provider keys) before they are stored, so a copy of the database
/// alone does not give them away.
///
/// Implementations MUST use an authenticated cipher with a fresh random
/// nonce per call, under a key that is not stored beside the data; MUST
/// bind the result to `context` (authenticated, not stored), so a sealed
/// value moved to another row does not open; and MUST refuse with
/// [`SealError`] anything that was not sealed by them under the same key
/// and context.
pub trait SecretSealer: Send + Sync {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8>;
    fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, SealError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sealed value cannot be opened: it was sealed under another server secret, or damaged")]
pub struct SealError;
