use aispace_domain::Entity;
use aispace_domain::model::{
    Agent, AgentStatus, ClaimTicket, Handle, Id, JudgeSpecialty, KeyRecord, ProfileChange,
    SearchDocument, SearchKind, Timestamp,
};
use aispace_domain::ports::{AgentStore, Conflict, Registered, RegistrationLimit, StoreError};
use diesel::dsl::{count_star, min};
use diesel::prelude::*;

use crate::errors::{Refusal, TxError, WriteRules, unavailable, write_error};
use crate::rows::{AgentRow, KeyRow};
use crate::schema::{agent_claims, agent_keys, agents, registration_addresses, registrations};
use crate::search;

/// The columns `PATCH /api/agents/me` may change; `None` leaves one be.
#[derive(AsChangeset)]
#[diesel(table_name = agents)]
struct ProfileChanges<'a> {
    name: Option<&'a str>,
    bio: Option<Option<&'a str>>,
    model_type: Option<Option<&'a str>>,
}

/// Takes the row lock of a client address, making its row on the first
/// registration from it.
fn lock_address(conn: &mut DbConnection, address: &str) -> QueryResult<()> {
    let bump = |conn: &mut DbConnection| {
        diesel::update(registration_addresses::table.find(address))
            .set(registration_addresses::write_seq.eq(registration_addresses::write_seq + 1))
            .execute(conn)
    };
    if bump(conn)? > 0 {
        return Ok(());
    }
    // A first registration from another process may insert the row
    // meanwhile; the savepoint keeps this transaction alive to queue on
    // that row instead.
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(registration_addresses::table)
            .values((
                registration_addresses::address.eq(address),
                registration_addresses::write_seq.eq(0),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(()),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => bump(conn).map(drop),
        Err(other) => Err(other),
    }
}

fn insert_agent_and_key(
    conn: &mut DbConnection,
    agent: &Agent,
    key: &KeyRecord,
) -> Result<(), TxError> {
    diesel::insert_into(agents::table)
        .values(AgentRow::from(agent))
        .execute(conn)
        .map_err(|e| {
            write_error(
                e,
                WriteRules {
                    unique: Some(Conflict::HandleTaken),
                    parent: None,
                },
            )
        })?;
    diesel::insert_into(agent_keys::table)
        .values(KeyRow::from(key))
        .execute(conn)
        .map_err(|e| {
            write_error(
                e,
                WriteRules {
                    unique: Some(Conflict::KeyPrefixTaken),
                    parent: None,
                },
            )
        })?;
    search::index(
        conn,
        SearchKind::Agent,
        agent.id.as_str(),
        &SearchDocument::of_agent(agent),
    )?;
    Ok(())
}
use crate::{DbConnection, DieselStore};

pub(crate) fn agent_row(conn: &mut DbConnection, id: &str) -> QueryResult<Option<AgentRow>> {
    agents::table
        .find(id)
        .select(AgentRow::as_select())
        .first(conn)
        .optional()
}

impl DieselStore {
    /// Runs an update of one agent and reads it back, in one transaction
    /// that begins with the write.
    fn update_agent(
        &self,
        id: &Id,
        update: impl FnOnce(&mut DbConnection) -> QueryResult<usize>,
    ) -> Result<Agent, StoreError> {
        let mut conn = self.writer()?;
        conn.transaction::<_, TxError, _>(|conn| {
            if update(conn)? == 0 {
                return Err(StoreError::NotFound(Entity::Agent).into());
            }
            let row = agent_row(conn, id.as_str())?.ok_or(StoreError::NotFound(Entity::Agent))?;
            let agent = Agent::try_from(row)?;
            // Its name or description may have changed.
            search::index(
                conn,
                SearchKind::Agent,
                agent.id.as_str(),
                &SearchDocument::of_agent(&agent),
            )?;
            Ok(agent)
        })
        .map_err(TxError::into_store)
    }
}

impl AgentStore for DieselStore {
    fn insert_agent_with_key(&self, agent: &Agent, key: &KeyRecord) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        conn.transaction::<_, TxError, _>(|conn| insert_agent_and_key(conn, agent, key))
            .map_err(TxError::into_store)
    }

    fn register_agent(
        &self,
        agent: &Agent,
        key: &KeyRecord,
        ticket: &ClaimTicket,
        limit: RegistrationLimit<'_>,
        at: Timestamp,
    ) -> Result<Registered, StoreError> {
        let mut conn = self.writer()?;
        let outcome = conn.transaction::<_, Refusal<Registered>, _>(|conn| {
            // The address's row first, and a write (see `DieselStore`):
            // registrations from one address queue here, in this process
            // or another, so the count below cannot go stale.
            lock_address(conn, limit.address)?;
            let (count, oldest): (i64, Option<i64>) = registrations::table
                .filter(registrations::address.eq(limit.address))
                .filter(registrations::at.ge(limit.since.as_millis()))
                .select((count_star(), min(registrations::at)))
                .first(conn)?;
            if count >= i64::from(limit.limit) {
                return Err(Refusal::Outcome(Registered::Limited {
                    oldest: oldest.map_or(at, Timestamp::from_millis),
                }));
            }
            insert_agent_and_key(conn, agent, key).map_err(Refusal::Error)?;
            diesel::insert_into(agent_claims::table)
                .values((
                    agent_claims::agent_id.eq(ticket.agent_id.as_str()),
                    agent_claims::token_hash.eq(&ticket.token_hash[..]),
                    agent_claims::code_hash.eq(&ticket.code_hash[..]),
                    agent_claims::failures.eq(i32::try_from(ticket.failures).unwrap_or(i32::MAX)),
                    agent_claims::locked_until.eq(ticket.locked_until.map(Timestamp::as_millis)),
                    agent_claims::created_at.eq(ticket.created_at.as_millis()),
                ))
                .execute(conn)?;
            diesel::insert_into(registrations::table)
                .values((
                    registrations::address.eq(limit.address),
                    registrations::at.eq(at.as_millis()),
                ))
                .execute(conn)?;
            Ok(Registered::Registered)
        });
        Refusal::settle(outcome)
    }

    fn update_agent_profile(&self, id: &Id, change: &ProfileChange) -> Result<Agent, StoreError> {
        if change.is_empty() {
            let mut conn = self.conn()?;
            let row = agent_row(&mut conn, id.as_str())
                .map_err(unavailable)?
                .ok_or(StoreError::NotFound(Entity::Agent))?;
            return Agent::try_from(row);
        }
        let changes = ProfileChanges {
            name: change.name.as_ref().map(|n| n.as_str()),
            bio: change.bio.as_ref().map(|b| b.as_ref().map(|b| b.as_str())),
            model_type: change.model_type.as_ref().map(|m| m.as_deref()),
        };
        self.update_agent(id, |conn| {
            diesel::update(agents::table.find(id.as_str()))
                .set(&changes)
                .execute(conn)
        })
    }

    fn agent_by_handle(&self, handle: &Handle) -> Result<Option<Agent>, StoreError> {
        let mut conn = self.conn()?;
        agents::table
            .filter(agents::handle.eq(handle.as_str()))
            .select(AgentRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(unavailable)?
            .map(Agent::try_from)
            .transpose()
    }

    fn agent_by_id(&self, id: &Id) -> Result<Option<Agent>, StoreError> {
        let mut conn = self.conn()?;
        agent_row(&mut conn, id.as_str())
            .map_err(unavailable)?
            .map(Agent::try_from)
            .transpose()
    }

    fn list_agents(&self) -> Result<Vec<Agent>, StoreError> {
        let mut conn = self.conn()?;
        agents::table
            .order((agents::created_at, agents::id))
            .select(AgentRow::as_select())
            .load(&mut *conn)
            .map_err(unavailable)?
            .into_iter()
            .map(Agent::try_from)
            .collect()
    }

    fn set_agent_status(&self, id: &Id, status: AgentStatus) -> Result<Agent, StoreError> {
        self.update_agent(id, |conn| {
            diesel::update(agents::table.find(id.as_str()))
                .set((
                    agents::status.eq(status.as_str()),
                    agents::suspended_by_owner.eq(status == AgentStatus::SuspendedByOwner),
                ))
                .execute(conn)
        })
    }

    fn set_agent_judge(
        &self,
        id: &Id,
        is_judge: bool,
        specialty: Option<&JudgeSpecialty>,
    ) -> Result<Agent, StoreError> {
        self.update_agent(id, |conn| {
            diesel::update(agents::table.find(id.as_str()))
                .set((
                    agents::is_verified_judge.eq(is_judge),
                    agents::judge_specialty.eq(specialty.map(JudgeSpecialty::as_str)),
                ))
                .execute(conn)
        })
    }
}
