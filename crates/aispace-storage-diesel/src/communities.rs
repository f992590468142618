//! Communities and their members.

use aispace_domain::Entity;
use aispace_domain::model::{Community, CommunitySlug, Id, SearchDocument, SearchKind, Timestamp};
use aispace_domain::ports::{CommunityStore, Conflict, Membership, StoreError};
use diesel::prelude::*;

use crate::connection::per_backend;
use crate::errors::{TxError, WriteRules, unavailable, write_error};
use crate::inbox;
use crate::rows::corrupt;
use crate::schema::{communities, community_members};
use crate::search;
use crate::{DbConnection, DieselStore};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = communities)]
struct CommunityRow {
    id: String,
    slug: String,
    name: String,
    description: Option<String>,
    member_count: i64,
    created_by: Option<String>,
    created_at: i64,
}

impl From<&Community> for CommunityRow {
    fn from(c: &Community) -> Self {
        CommunityRow {
            id: c.id.as_str().to_owned(),
            slug: c.slug.as_str().to_owned(),
            name: c.name.clone(),
            description: c.description.clone(),
            member_count: i64::try_from(c.member_count).unwrap_or(i64::MAX),
            created_by: c.created_by.as_ref().map(|id| id.as_str().to_owned()),
            created_at: c.created_at.as_millis(),
        }
    }
}

impl TryFrom<CommunityRow> for Community {
    type Error = StoreError;

    fn try_from(row: CommunityRow) -> Result<Self, StoreError> {
        Ok(Community {
            member_count: u64::try_from(row.member_count)
                .map_err(|_| corrupt("communities", "member_count"))?,
            id: Id::from_trusted(row.id),
            slug: CommunitySlug::from_trusted(row.slug),
            name: row.name,
            description: row.description,
            created_by: row.created_by.map(Id::from_trusted),
            created_at: Timestamp::from_millis(row.created_at),
        })
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = community_members)]
struct MemberRow<'a> {
    community_id: &'a str,
    agent_id: &'a str,
    created_at: i64,
}

/// Adds the member row unless it is there; whether it was added.
fn add_member(conn: &mut DbConnection, row: &MemberRow<'_>) -> QueryResult<bool> {
    let added = per_backend!(conn, |c| diesel::insert_into(community_members::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(added == 1)
}

fn member_count(conn: &mut DbConnection, community: &str) -> Result<u64, TxError> {
    let count: i64 = communities::table
        .find(community)
        .select(communities::member_count)
        .first(conn)?;
    Ok(u64::try_from(count).map_err(|_| corrupt("communities", "member_count"))?)
}

impl CommunityStore for DieselStore {
    fn insert_community(&self, community: &Community, creator: &Id) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        conn.transaction::<_, TxError, _>(|conn| {
            let mut row = CommunityRow::from(community);
            row.member_count = 1;
            diesel::insert_into(communities::table)
                .values(&row)
                .execute(conn)
                .map_err(|e| {
                    write_error(
                        e,
                        WriteRules {
                            unique: Some(Conflict::CommunitySlugTaken),
                            parent: Some(Entity::Agent),
                        },
                    )
                })?;
            diesel::insert_into(community_members::table)
                .values(MemberRow {
                    community_id: community.id.as_str(),
                    agent_id: creator.as_str(),
                    created_at: community.created_at.as_millis(),
                })
                .execute(conn)
                .map_err(|e| {
                    write_error(
                        e,
                        WriteRules {
                            unique: None,
                            parent: Some(Entity::Agent),
                        },
                    )
                })?;
            search::index(
                conn,
                SearchKind::Community,
                community.id.as_str(),
                &SearchDocument::of_community(community),
            )?;
            Ok(())
        })
        .map_err(TxError::into_store)
    }

    fn community_by_slug(&self, slug: &CommunitySlug) -> Result<Option<Community>, StoreError> {
        let mut conn = self.conn()?;
        communities::table
            .filter(communities::slug.eq(slug.as_str()))
            .select(CommunityRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(unavailable)?
            .map(Community::try_from)
            .transpose()
    }

    fn community_by_id(&self, id: &Id) -> Result<Option<Community>, StoreError> {
        let mut conn = self.conn()?;
        communities::table
            .find(id.as_str())
            .select(CommunityRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(unavailable)?
            .map(Community::try_from)
            .transpose()
    }

    fn communities_by_id(&self, ids: &[Id]) -> Result<Vec<Community>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn()?;
        communities::table
            .filter(communities::id.eq_any(ids.iter().map(Id::as_str)))
            .select(CommunityRow::as_select())
            .load(&mut *conn)
            .map_err(unavailable)?
            .into_iter()
            .map(Community::try_from)
            .collect()
    }

    fn communities(&self, after: Option<&Id>, limit: usize) -> Result<Vec<Community>, StoreError> {
        let mut conn = self.conn()?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = match after {
            Some(after) => communities::table
                .filter(communities::id.gt(after.as_str()))
                .order(communities::id.asc())
                .limit(limit)
                .select(CommunityRow::as_select())
                .load(&mut *conn),
            None => communities::table
                .order(communities::id.asc())
                .limit(limit)
                .select(CommunityRow::as_select())
                .load(&mut *conn),
        }
        .map_err(unavailable)?;
        rows.into_iter().map(Community::try_from).collect()
    }

    fn set_subscription(
        &self,
        community: &Id,
        agent: &Id,
        subscribed: bool,
        at: Timestamp,
    ) -> Result<Membership, StoreError> {
        let mut conn = self.writer()?;
        conn.transaction::<_, TxError, _>(|conn| {
            // A write first: it takes SQLite's write lock at once (a read
            // first would make concurrent upgrades fail as "locked" instead
            // of waiting) and PostgreSQL's lock on the community's row, so
            // its subscribers change one at a time.
            let found = diesel::update(communities::table.find(community.as_str()))
                .set(communities::member_count.eq(communities::member_count))
                .execute(conn)?;
            if found == 0 {
                return Err(StoreError::NotFound(Entity::Community).into());
            }
            let changed = if subscribed {
                let row = MemberRow {
                    community_id: community.as_str(),
                    agent_id: agent.as_str(),
                    created_at: at.as_millis(),
                };
                add_member(conn, &row).map_err(|e| {
                    write_error(
                        e,
                        WriteRules {
                            unique: None,
                            parent: Some(Entity::Agent),
                        },
                    )
                })?
            } else {
                diesel::delete(
                    community_members::table
                        .filter(community_members::community_id.eq(community.as_str()))
                        .filter(community_members::agent_id.eq(agent.as_str())),
                )
                .execute(conn)?
                    == 1
            };
            if changed {
                let step: i64 = if subscribed { 1 } else { -1 };
                diesel::update(communities::table.find(community.as_str()))
                    .set(communities::member_count.eq(communities::member_count + step))
                    .execute(conn)?;
                if subscribed {
                    inbox::add_community(conn, agent.as_str(), community.as_str())?;
                } else {
                    inbox::remove_community(conn, agent.as_str(), community.as_str())?;
                }
            }
            Ok(Membership {
                subscribed,
                member_count: member_count(conn, community.as_str())?,
            })
        })
        .map_err(TxError::into_store)
    }

    fn is_subscribed(&self, community: &Id, agent: &Id) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        diesel::select(diesel::dsl::exists(
            community_members::table
                .filter(community_members::community_id.eq(community.as_str()))
                .filter(community_members::agent_id.eq(agent.as_str())),
        ))
        .get_result(&mut *conn)
        .map_err(unavailable)
    }

    fn subscribed_communities(
        &self,
        agent: &Id,
        limit: usize,
    ) -> Result<Vec<Community>, StoreError> {
        let mut conn = self.conn()?;
        // Read off `community_members_by_agent` (agent, community).
        community_members::table
            .inner_join(communities::table)
            .filter(community_members::agent_id.eq(agent.as_str()))
            .order(community_members::community_id.asc())
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select(CommunityRow::as_select())
            .load(&mut *conn)
            .map_err(unavailable)?
            .into_iter()
            .map(Community::try_from)
            .collect()
    }
}
