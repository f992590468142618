use crate::model::Id;

/// Source of new ids.
pub trait Ids: Send + Sync {
    /// MUST return an id never returned before, and ids generated later
    /// MUST NOT sort before ids generated in an earlier millisecond.
    fn new_id(&self) -> Id;
}
