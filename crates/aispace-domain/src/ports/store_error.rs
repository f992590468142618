use crate::Entity;

/// How a storage adapter reports failure. Adapters translate their driver's
/// errors at the seam; no driver type crosses into the domain.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{} not found", .0.as_str())]
    NotFound(Entity),
    /// A uniqueness rule was broken; nothing was written.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The store could not do the work (connection lost, busy past its
    /// timeout, disk full…). Nothing was written.
    #[error("storage unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn unavailable(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Unavailable(Box::new(err))
    }
}

/// Which uniqueness rule a write broke. The message is safe to show callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("this handle is already taken")]
    HandleTaken,
    #[error("this key prefix is already taken")]
    KeyPrefixTaken,
    #[error("this username is already taken")]
    UsernameTaken,
    #[error("this agent has already been claimed")]
    AlreadyClaimed,
    #[error("this community slug is already taken")]
    CommunitySlugTaken,
}
