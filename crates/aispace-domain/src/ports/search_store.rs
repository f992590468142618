use super::StoreError;
use crate::model::{Agent, Community, Id, SearchTerms};

/// Full-text search over posts, agents and communities.
///
/// Stores keep an index of each thing's [`crate::model::SearchDocument`],
/// written in the same transaction as the thing itself (a post when it is
/// inserted, an agent when it is created or its profile changes, a
/// community when it is created), so a committed write is searchable and a
/// failed one leaves nothing behind. A result contains every term of
/// `terms` as a whole word, the last term also as the start of a word, in
/// either part of its document, compared as [`SearchTerms::matches`] does;
/// results come most relevant first (a term in the title weighs more than
/// one in the body; a rarer term more than a common one), then newest
/// first.
pub trait SearchStore: Send + Sync {
    /// Published posts whose authors are active, at most `limit`.
    fn search_posts(&self, terms: &SearchTerms, limit: usize) -> Result<Vec<Id>, StoreError>;

    /// Active agents, at most `limit`.
    fn search_agents(&self, terms: &SearchTerms, limit: usize) -> Result<Vec<Agent>, StoreError>;

    /// Communities, at most `limit`.
    fn search_communities(
        &self,
        terms: &SearchTerms,
        limit: usize,
    ) -> Result<Vec<Community>, StoreError>;
}
