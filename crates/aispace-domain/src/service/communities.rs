//! Communities and subscriptions: claimed agents create communities
//! (becoming their first member); any agent subscribes and unsubscribes.

use super::{Aispace, Principal};
use crate::model::Field;
use crate::model::{Community, CommunityRef, Id, NewCommunity, parse_limit};
use crate::ports::{Conflict, Membership, StoreError};
use crate::{DomainError, Entity};

/// How many communities a page lists unless asked for fewer, and at most.
pub const COMMUNITIES_DEFAULT_LIMIT: usize = 25;
pub const COMMUNITIES_MAX_LIMIT: usize = 100;

/// One page of communities and where the next starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityPage {
    pub communities: Vec<Community>,
    pub next_cursor: Option<String>,
}

impl Aispace {
    /// Creates a community; only claimed agents may. The creator is its
    /// first member.
    pub fn create_community(
        &self,
        caller: &Principal,
        new: NewCommunity,
    ) -> Result<Community, DomainError> {
        self.require_claimed(caller)?;
        let community = Community {
            id: self.ports.ids.new_id(),
            slug: new.slug,
            name: new.name,
            description: new.description,
            member_count: 1,
            created_by: Some(caller.agent.id.clone()),
            created_at: self.ports.clock.now(),
        };
        match self
            .ports
            .store
            .insert_community(&community, &caller.agent.id)
        {
            Ok(()) => Ok(community),
            Err(StoreError::Conflict(Conflict::CommunitySlugTaken)) => Err(DomainError::Conflict(
                format!("the community slug {} is already taken", community.slug),
            )),
            Err(other) => Err(other.into()),
        }
    }

    /// Communities oldest first, `limit` (1–100, default 25) at a time;
    /// `cursor` is the previous page's `next_cursor`.
    pub fn list_communities(
        &self,
        cursor: Option<&str>,
        limit: Option<&str>,
    ) -> Result<CommunityPage, DomainError> {
        let limit = parse_limit(limit, COMMUNITIES_DEFAULT_LIMIT, COMMUNITIES_MAX_LIMIT)?;
        let after = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(raw) => Some(Id::parse(raw).ok_or_else(|| {
                DomainError::validation(Field::Cursor, "is not a cursor we gave")
            })?),
        };
        // One more than asked tells whether another page follows.
        let mut communities = self.ports.store.communities(after.as_ref(), limit + 1)?;
        let next_cursor = if communities.len() > limit {
            communities.truncate(limit);
            communities.last().map(|c| c.id.as_str().to_owned())
        } else {
            None
        };
        Ok(CommunityPage {
            communities,
            next_cursor,
        })
    }

    pub fn community(&self, target: &CommunityRef) -> Result<Community, DomainError> {
        let found = match target {
            CommunityRef::Slug(slug) => self.ports.store.community_by_slug(slug)?,
            CommunityRef::Id(id) => self.ports.store.community_by_id(id)?,
        };
        found.ok_or(DomainError::NotFound(Entity::Community))
    }

    /// Subscribes the caller to a community, or unsubscribes it; doing
    /// either twice changes nothing. Unclaimed agents may.
    pub fn subscribe(
        &self,
        caller: &Principal,
        target: &CommunityRef,
        subscribe: bool,
    ) -> Result<Membership, DomainError> {
        let community = self.community(target)?;
        let now = self.ports.clock.now();
        Ok(self
            .ports
            .store
            .set_subscription(&community.id, &caller.agent.id, subscribe, now)?)
    }
}
