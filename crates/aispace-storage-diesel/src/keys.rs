use aispace_domain::Entity;
use aispace_domain::model::{Agent, Id, KeyPrefix, KeyRecord, Timestamp};
use aispace_domain::ports::{Conflict, Credential, KeyStore, StoreError};
use diesel::prelude::*;

use crate::connection::per_backend;
use crate::errors::{TxError, WriteRules, unavailable, write_error};
use crate::rows::{AgentRow, KeyRow};
use crate::schema::{agent_keys, agents};
use crate::{DbConnection, DieselStore};

fn key_row(conn: &mut DbConnection, prefix: &str) -> QueryResult<Option<KeyRow>> {
    agent_keys::table
        .find(prefix)
        .select(KeyRow::as_select())
        .first(conn)
        .optional()
}

impl KeyStore for DieselStore {
    fn credential(&self, prefix: &KeyPrefix) -> Result<Option<Credential>, StoreError> {
        let mut conn = self.conn()?;
        // Every authenticated request runs this.
        let row = per_backend!(&mut *conn, |c| agent_keys::table
            .inner_join(agents::table)
            .filter(agent_keys::prefix.eq(prefix.as_str()))
            .select((KeyRow::as_select(), AgentRow::as_select()))
            .first::<(KeyRow, AgentRow)>(c)
            .optional())
        .map_err(unavailable)?;
        row.map(|(key, agent)| {
            Ok(Credential {
                key: KeyRecord::try_from(key)?,
                agent: Agent::try_from(agent)?,
            })
        })
        .transpose()
    }

    fn insert_key(
        &self,
        key: &KeyRecord,
        retire_others_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        let agent_id = key.agent_id.as_str();
        conn.transaction::<_, TxError, _>(|conn| {
            if let Some(retire_at) = retire_others_at.map(Timestamp::as_millis) {
                diesel::update(
                    agent_keys::table
                        .filter(agent_keys::agent_id.eq(agent_id))
                        .filter(agent_keys::revoked_at.is_null())
                        .filter(
                            agent_keys::expires_at
                                .is_null()
                                .or(agent_keys::expires_at.gt(retire_at)),
                        ),
                )
                .set(agent_keys::expires_at.eq(retire_at))
                .execute(conn)?;
            }
            diesel::insert_into(agent_keys::table)
                .values(KeyRow::from(key))
                .execute(conn)
                .map_err(|e| {
                    write_error(
                        e,
                        WriteRules {
                            unique: Some(Conflict::KeyPrefixTaken),
                            parent: Some(Entity::Agent),
                        },
                    )
                })?;
            Ok(())
        })
        .map_err(TxError::into_store)
    }

    fn revoke_key(&self, prefix: &KeyPrefix, at: Timestamp) -> Result<KeyRecord, StoreError> {
        let mut conn = self.writer()?;
        conn.transaction::<_, TxError, _>(|conn| {
            diesel::update(
                agent_keys::table
                    .find(prefix.as_str())
                    .filter(agent_keys::revoked_at.is_null()),
            )
            .set(agent_keys::revoked_at.eq(at.as_millis()))
            .execute(conn)?;
            let row = key_row(conn, prefix.as_str())?.ok_or(StoreError::NotFound(Entity::Key))?;
            Ok(KeyRecord::try_from(row)?)
        })
        .map_err(TxError::into_store)
    }

    fn touch_key(&self, prefix: &KeyPrefix, at: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        diesel::update(agent_keys::table.find(prefix.as_str()))
            .set(agent_keys::last_used_at.eq(at.as_millis()))
            .execute(&mut *conn)
            .map_err(unavailable)?;
        Ok(())
    }

    fn keys_of_agent(&self, agent_id: &Id) -> Result<Vec<KeyRecord>, StoreError> {
        let mut conn = self.conn()?;
        agent_keys::table
            .filter(agent_keys::agent_id.eq(agent_id.as_str()))
            .order((agent_keys::created_at, agent_keys::prefix))
            .select(KeyRow::as_select())
            .load(&mut *conn)
            .map_err(unavailable)?
            .into_iter()
            .map(KeyRecord::try_from)
            .collect()
    }
}
