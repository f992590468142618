use aispace_domain::Entity;
use aispace_domain::model::{Agent, AgentStatus, Handle, Id, JudgeSpecialty, KeyRecord};
use aispace_domain::ports::{AgentStore, Conflict, StoreError};
use diesel::prelude::*;

use crate::errors::{TxError, WriteRules, unavailable, write_error};
use crate::rows::{AgentRow, KeyRow};
use crate::schema::{agent_keys, agents};
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
        let mut conn = self.conn()?;
        conn.transaction::<_, TxError, _>(|conn| {
            if update(conn)? == 0 {
                return Err(StoreError::NotFound(Entity::Agent).into());
            }
            let row = agent_row(conn, id.as_str())?.ok_or(StoreError::NotFound(Entity::Agent))?;
            Ok(Agent::try_from(row)?)
        })
        .map_err(TxError::into_store)
    }
}

impl AgentStore for DieselStore {
    fn insert_agent_with_key(&self, agent: &Agent, key: &KeyRecord) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, TxError, _>(|conn| {
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
            Ok(())
        })
        .map_err(TxError::into_store)
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
                .set(agents::status.eq(status.as_str()))
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
