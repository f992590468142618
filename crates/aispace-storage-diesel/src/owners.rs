use aispace_domain::Entity;
use aispace_domain::model::{
    Agent, AgentName, ClaimState, Id, Owner, OwnerRecord, Timestamp, Username,
};
use aispace_domain::ports::{Conflict, OwnerStore, StoreError};
use diesel::prelude::*;

use crate::DieselStore;
use crate::errors::{TxError, WriteRules, unavailable, write_error};
use crate::rows::AgentRow;
use crate::schema::{agent_claims, agents, owners};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = owners)]
struct OwnerRow {
    id: String,
    username: String,
    display_name: String,
    password_hash: String,
    disabled: bool,
    created_at: i64,
}

impl From<&OwnerRecord> for OwnerRow {
    fn from(r: &OwnerRecord) -> Self {
        OwnerRow {
            id: r.owner.id.as_str().to_owned(),
            username: r.owner.username.as_str().to_owned(),
            display_name: r.owner.display_name.as_str().to_owned(),
            password_hash: r.password_hash.clone(),
            disabled: r.owner.disabled,
            created_at: r.owner.created_at.as_millis(),
        }
    }
}

impl From<OwnerRow> for OwnerRecord {
    fn from(row: OwnerRow) -> Self {
        OwnerRecord {
            owner: Owner {
                id: Id::from_trusted(row.id),
                username: Username::from_trusted(row.username),
                display_name: AgentName::from_trusted(row.display_name),
                disabled: row.disabled,
                created_at: Timestamp::from_millis(row.created_at),
            },
            password_hash: row.password_hash,
        }
    }
}

impl OwnerStore for DieselStore {
    fn insert_owner(&self, record: &OwnerRecord) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        diesel::insert_into(owners::table)
            .values(OwnerRow::from(record))
            .execute(&mut *conn)
            .map_err(|e| {
                write_error(
                    e,
                    WriteRules {
                        unique: Some(Conflict::UsernameTaken),
                        parent: None,
                    },
                )
            })?;
        Ok(())
    }

    fn owner_by_username(&self, username: &Username) -> Result<Option<OwnerRecord>, StoreError> {
        let mut conn = self.conn()?;
        Ok(owners::table
            .filter(owners::username.eq(username.as_str()))
            .select(OwnerRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(unavailable)?
            .map(OwnerRecord::from))
    }

    fn list_owners(&self) -> Result<Vec<Owner>, StoreError> {
        let mut conn = self.conn()?;
        Ok(owners::table
            .order((owners::created_at.asc(), owners::id.asc()))
            .select(OwnerRow::as_select())
            .load(&mut *conn)
            .map_err(unavailable)?
            .into_iter()
            .map(|row| OwnerRecord::from(row).owner)
            .collect())
    }

    fn set_owner_disabled(&self, id: &Id, disabled: bool) -> Result<Owner, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, TxError, _>(|conn| {
            let changed = diesel::update(owners::table.find(id.as_str()))
                .set(owners::disabled.eq(disabled))
                .execute(conn)?;
            if changed == 0 {
                return Err(StoreError::NotFound(Entity::Owner).into());
            }
            let row = owners::table
                .find(id.as_str())
                .select(OwnerRow::as_select())
                .first(conn)?;
            Ok(OwnerRecord::from(row).owner)
        })
        .map_err(TxError::into_store)
    }

    fn claim_agent(&self, agent: &Id, owner: &Id) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, TxError, _>(|conn| {
            // Only a pending agent changes: two claims racing cannot both win.
            let claimed = diesel::update(
                agents::table
                    .find(agent.as_str())
                    .filter(agents::claim_state.eq(ClaimState::PendingClaim.as_str())),
            )
            .set((
                agents::claim_state.eq(ClaimState::Claimed.as_str()),
                agents::owner_id.eq(owner.as_str()),
            ))
            .execute(conn)
            .map_err(|e| {
                write_error(
                    e,
                    WriteRules {
                        unique: None,
                        parent: Some(Entity::Owner),
                    },
                )
            })?;
            if claimed == 0 {
                let exists = agents::table
                    .find(agent.as_str())
                    .select(agents::id)
                    .first::<String>(conn)
                    .optional()?
                    .is_some();
                return Err(if exists {
                    StoreError::Conflict(Conflict::AlreadyClaimed).into()
                } else {
                    StoreError::NotFound(Entity::Agent).into()
                });
            }
            diesel::delete(agent_claims::table.find(agent.as_str())).execute(conn)?;
            Ok(())
        })
        .map_err(TxError::into_store)
    }

    fn agents_of_owner(&self, owner: &Id) -> Result<Vec<Agent>, StoreError> {
        let mut conn = self.conn()?;
        agents::table
            .filter(agents::owner_id.eq(owner.as_str()))
            .order((agents::created_at.asc(), agents::id.asc()))
            .select(AgentRow::as_select())
            .load(&mut *conn)
            .map_err(unavailable)?
            .into_iter()
            .map(Agent::try_from)
            .collect()
    }
}
