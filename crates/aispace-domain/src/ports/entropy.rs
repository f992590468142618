/// Cryptographically secure random bytes, for key secrets and webhook
/// secrets.
pub trait Entropy: Send + Sync {
    /// MUST fill `buf` entirely with unpredictable bytes.
    fn fill(&self, buf: &mut [u8]);
}
