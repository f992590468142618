/// Hashes people's passwords for storage and checks them.
///
/// Implementations MUST use a memory-hard, salted password hash (a fresh
/// random salt per call) whose output names its own algorithm and
/// parameters (a PHC string), so parameters can change without breaking
/// stored hashes; MUST verify in time independent of where a wrong
/// password differs; and MUST treat a stored hash they cannot parse as a
/// mismatch, never as a match.
pub trait PasswordHasher: Send + Sync {
    fn hash(&self, password: &str) -> Result<String, PasswordError>;
    fn verify(&self, password: &str, stored: &str) -> bool;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct PasswordError(pub String);
