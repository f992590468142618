use aispace_domain::Entity;
use aispace_domain::model::{
    Agent, AgentName, ClaimState, ClaimTicket, Id, Owner, OwnerProvider, OwnerRecord, Session,
    Timestamp, Username,
};
use aispace_domain::ports::{Conflict, OwnerStore, StoreError};
use diesel::dsl::{count_star, min};
use diesel::prelude::*;

use crate::errors::{TxError, WriteRules, unavailable, write_error};
use crate::rows::{AgentRow, corrupt};
use crate::schema::{agent_claims, agents, owner_providers, owners, sessions, sign_in_failures};
use crate::{DbConnection, DieselStore};

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

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = owner_providers)]
struct ProviderRow {
    owner_id: String,
    base_url: String,
    model: String,
    sealed_key: Vec<u8>,
    key_hint: String,
    updated_at: i64,
}

impl From<&OwnerProvider> for ProviderRow {
    fn from(p: &OwnerProvider) -> Self {
        ProviderRow {
            owner_id: p.owner_id.as_str().to_owned(),
            base_url: p.base_url.clone(),
            model: p.model.clone(),
            sealed_key: p.sealed_key.clone(),
            key_hint: p.key_hint.clone(),
            updated_at: p.updated_at.as_millis(),
        }
    }
}

impl From<ProviderRow> for OwnerProvider {
    fn from(row: ProviderRow) -> Self {
        OwnerProvider {
            owner_id: Id::from_trusted(row.owner_id),
            base_url: row.base_url,
            model: row.model,
            sealed_key: row.sealed_key,
            key_hint: row.key_hint,
            updated_at: Timestamp::from_millis(row.updated_at),
        }
    }
}

fn hash32(bytes: &[u8], table: &'static str, what: &'static str) -> Result<[u8; 32], StoreError> {
    bytes.try_into().map_err(|_| corrupt(table, what))
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = agent_claims)]
struct ClaimRow {
    agent_id: String,
    token_hash: Vec<u8>,
    code_hash: Vec<u8>,
    failures: i32,
    locked_until: Option<i64>,
    created_at: i64,
}

impl TryFrom<ClaimRow> for ClaimTicket {
    type Error = StoreError;

    fn try_from(row: ClaimRow) -> Result<Self, StoreError> {
        Ok(ClaimTicket {
            token_hash: hash32(&row.token_hash, "agent_claims", "token_hash")?,
            code_hash: hash32(&row.code_hash, "agent_claims", "code_hash")?,
            failures: u32::try_from(row.failures)
                .map_err(|_| corrupt("agent_claims", "failures"))?,
            agent_id: Id::from_trusted(row.agent_id),
            locked_until: row.locked_until.map(Timestamp::from_millis),
            created_at: Timestamp::from_millis(row.created_at),
        })
    }
}

fn claim_row(conn: &mut DbConnection, agent: &str) -> QueryResult<Option<ClaimRow>> {
    agent_claims::table
        .find(agent)
        .select(ClaimRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
struct SessionRow {
    id_hash: Vec<u8>,
    owner_id: String,
    csrf_token: String,
    created_at: i64,
    expires_at: i64,
}

impl From<&Session> for SessionRow {
    fn from(s: &Session) -> Self {
        SessionRow {
            id_hash: s.id_hash.to_vec(),
            owner_id: s.owner_id.as_str().to_owned(),
            csrf_token: s.csrf_token.clone(),
            created_at: s.created_at.as_millis(),
            expires_at: s.expires_at.as_millis(),
        }
    }
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;

    fn try_from(row: SessionRow) -> Result<Self, StoreError> {
        Ok(Session {
            id_hash: hash32(&row.id_hash, "sessions", "id_hash")?,
            owner_id: Id::from_trusted(row.owner_id),
            csrf_token: row.csrf_token,
            created_at: Timestamp::from_millis(row.created_at),
            expires_at: Timestamp::from_millis(row.expires_at),
        })
    }
}

impl OwnerStore for DieselStore {
    fn insert_owner(&self, record: &OwnerRecord) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
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

    fn owner_by_id(&self, id: &Id) -> Result<Option<Owner>, StoreError> {
        let mut conn = self.conn()?;
        Ok(owners::table
            .find(id.as_str())
            .select(OwnerRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(unavailable)?
            .map(|row| OwnerRecord::from(row).owner))
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
        let mut conn = self.writer()?;
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
        let mut conn = self.writer()?;
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

    fn claim_ticket(&self, token_hash: &[u8; 32]) -> Result<Option<ClaimTicket>, StoreError> {
        let mut conn = self.writer()?;
        agent_claims::table
            .filter(agent_claims::token_hash.eq(&token_hash[..]))
            .select(ClaimRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(unavailable)?
            .map(ClaimTicket::try_from)
            .transpose()
    }

    fn record_claim_failure(
        &self,
        agent: &Id,
        lock_after: u32,
        until: Timestamp,
    ) -> Result<ClaimTicket, StoreError> {
        let mut conn = self.writer()?;
        conn.transaction::<_, TxError, _>(|conn| {
            // The write first: concurrent guesses at one ticket queue on its
            // row, and each sees the count the one before it left.
            let counted = diesel::update(agent_claims::table.find(agent.as_str()))
                .set(agent_claims::failures.eq(agent_claims::failures + 1))
                .execute(conn)?;
            if counted == 0 {
                return Err(StoreError::NotFound(Entity::Agent).into());
            }
            let mut row =
                claim_row(conn, agent.as_str())?.ok_or(StoreError::NotFound(Entity::Agent))?;
            if i64::from(row.failures) >= i64::from(lock_after) {
                diesel::update(agent_claims::table.find(agent.as_str()))
                    .set((
                        agent_claims::failures.eq(0),
                        agent_claims::locked_until.eq(Some(until.as_millis())),
                    ))
                    .execute(conn)?;
                row.failures = 0;
                row.locked_until = Some(until.as_millis());
            }
            Ok(ClaimTicket::try_from(row)?)
        })
        .map_err(TxError::into_store)
    }

    fn set_owner_provider(&self, provider: &OwnerProvider) -> Result<(), StoreError> {
        let row = ProviderRow::from(provider);
        let mut conn = self.writer()?;
        conn.transaction::<_, TxError, _>(|conn| {
            let updated = diesel::update(owner_providers::table.find(&row.owner_id))
                .set(&row)
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(owner_providers::table)
                    .values(&row)
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
            }
            Ok(())
        })
        .map_err(TxError::into_store)
    }

    fn owner_provider(&self, owner: &Id) -> Result<Option<OwnerProvider>, StoreError> {
        let mut conn = self.conn()?;
        Ok(owner_providers::table
            .find(owner.as_str())
            .select(ProviderRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(unavailable)?
            .map(OwnerProvider::from))
    }

    fn delete_owner_provider(&self, owner: &Id) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        diesel::delete(owner_providers::table.find(owner.as_str()))
            .execute(&mut *conn)
            .map_err(unavailable)?;
        Ok(())
    }

    fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        diesel::insert_into(sessions::table)
            .values(SessionRow::from(session))
            .execute(&mut *conn)
            .map_err(|e| {
                write_error(
                    e,
                    WriteRules {
                        unique: None,
                        parent: Some(Entity::Owner),
                    },
                )
            })?;
        Ok(())
    }

    fn session(
        &self,
        id_hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Option<(Session, Owner)>, StoreError> {
        let mut conn = self.conn()?;
        let found = sessions::table
            .inner_join(owners::table)
            .filter(sessions::id_hash.eq(&id_hash[..]))
            .filter(sessions::expires_at.gt(now.as_millis()))
            .select((SessionRow::as_select(), OwnerRow::as_select()))
            .first::<(SessionRow, OwnerRow)>(&mut *conn)
            .optional()
            .map_err(unavailable)?;
        found
            .map(|(session, owner)| {
                Ok((Session::try_from(session)?, OwnerRecord::from(owner).owner))
            })
            .transpose()
    }

    fn delete_session(&self, id_hash: &[u8; 32]) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        diesel::delete(sessions::table.find(&id_hash[..]))
            .execute(&mut *conn)
            .map_err(unavailable)?;
        Ok(())
    }

    fn record_sign_in_failure(&self, subject: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        diesel::insert_into(sign_in_failures::table)
            .values((
                sign_in_failures::subject.eq(subject),
                sign_in_failures::at.eq(at.as_millis()),
            ))
            .execute(&mut *conn)
            .map_err(unavailable)?;
        Ok(())
    }

    fn sign_in_failures(
        &self,
        subject: &str,
        since: Timestamp,
    ) -> Result<(u32, Option<Timestamp>), StoreError> {
        let mut conn = self.conn()?;
        let (count, oldest): (i64, Option<i64>) = sign_in_failures::table
            .filter(sign_in_failures::subject.eq(subject))
            .filter(sign_in_failures::at.ge(since.as_millis()))
            .select((count_star(), min(sign_in_failures::at)))
            .first(&mut *conn)
            .map_err(unavailable)?;
        Ok((
            u32::try_from(count).unwrap_or(u32::MAX),
            oldest.map(Timestamp::from_millis),
        ))
    }
}
