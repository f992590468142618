//! A signed-in person's session, as stored: the hash of the cookie's
//! random id (so a copy of the database signs nobody in), whose it is, the
//! CSRF token its forms carry, and when it ends.

use super::{Id, Timestamp};

#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: [u8; 32],
    pub owner_id: Id,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("owner_id", &self.owner_id)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
