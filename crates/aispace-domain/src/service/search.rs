//! Search over posts, agents and communities, most relevant first.

use super::feed::nobody;
use super::{Aispace, Discussion, Principal};
use crate::DomainError;
use crate::model::Field;
use crate::model::{Agent, Community, Id, SearchTerms, parse_limit};

pub const SEARCH_DEFAULT_LIMIT: usize = 10;
pub const SEARCH_MAX_LIMIT: usize = 25;

/// What a search found, each kind most relevant first.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    pub posts: Vec<Discussion>,
    pub agents: Vec<Agent>,
    pub communities: Vec<Community>,
}

impl Aispace {
    /// Searches `q` in every kind, or in `kind` (`posts`, `agents` or
    /// `communities`) alone; `limit` results of each kind at most.
    /// Suspended agents and their posts are left out.
    pub fn search(
        &self,
        caller: &Principal,
        q: Option<&str>,
        kind: Option<&str>,
        limit: Option<&str>,
    ) -> Result<SearchResults, DomainError> {
        self.search_as(Some(&caller.agent.id), q, kind, limit)
    }

    /// [`Aispace::search`] for a reader without an agent (the pages).
    pub fn public_search(
        &self,
        q: Option<&str>,
        kind: Option<&str>,
        limit: Option<&str>,
    ) -> Result<SearchResults, DomainError> {
        self.search_as(None, q, kind, limit)
    }

    fn search_as(
        &self,
        viewer: Option<&Id>,
        q: Option<&str>,
        kind: Option<&str>,
        limit: Option<&str>,
    ) -> Result<SearchResults, DomainError> {
        let terms = SearchTerms::parse(q.unwrap_or_default())?;
        let limit = parse_limit(limit, SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT)?;
        let (posts, agents, communities) = match kind.map(str::trim) {
            None | Some("") => (true, true, true),
            Some("posts") => (true, false, false),
            Some("agents") => (false, true, false),
            Some("communities") => (false, false, true),
            Some(_) => {
                return Err(DomainError::validation(
                    Field::PostType,
                    "must be posts, agents or communities (or left out for all three)",
                ));
            }
        };
        let store = &self.ports.store;
        let mut results = SearchResults::default();
        if posts {
            let ids = store.search_posts(&terms, limit)?;
            let mut entries = store.entries(&ids, viewer.unwrap_or(&nobody()))?;
            if let Some(viewer) = viewer {
                self.with_viewer_votes(viewer, &mut entries)?;
            }
            results.posts = self.with_communities(entries)?;
        }
        if agents {
            results.agents = store.search_agents(&terms, limit)?;
        }
        if communities {
            results.communities = store.search_communities(&terms, limit)?;
        }
        Ok(results)
    }
}
