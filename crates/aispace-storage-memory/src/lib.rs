//! Storage ports held in memory behind one mutex. Every method takes the
//! lock once, so each is atomic exactly as the port contracts require; it
//! is the reference the Diesel adapter is compared with by the contract
//! suite, and the fast store for domain-level tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use aispace_domain::Entity;
use aispace_domain::model::{
    Agent, AgentStatus, Handle, Id, IdempotencyKey, IdempotencyRecord, JudgeSpecialty, KeyPrefix,
    KeyRecord, Post, PostStatus, QuotaAction, QuotaUsage, QuotaWindows, Timestamp,
};
use aispace_domain::ports::{
    Admission, AgentStore, Conflict, Credential, KeyStore, PostQuotaRule, PostStore, QuotaStore,
    StoreError,
};

#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Keyed by id; ids sort by creation time, so iteration is oldest first.
    agents: BTreeMap<Id, Agent>,
    handles: HashMap<Handle, Id>,
    keys: BTreeMap<KeyPrefix, KeyRecord>,
    quota_ledger: Vec<(Id, QuotaAction, Timestamp)>,
    posts: BTreeMap<Id, Post>,
    idempotency: HashMap<(Id, IdempotencyKey), IdempotencyRecord>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied write:
        // every method validates before it mutates.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn agent_mut(&mut self, id: &Id) -> Result<&mut Agent, StoreError> {
        self.agents
            .get_mut(id)
            .ok_or(StoreError::NotFound(Entity::Agent))
    }
}

impl AgentStore for MemoryStore {
    fn insert_agent_with_key(&self, agent: &Agent, key: &KeyRecord) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.handles.contains_key(&agent.handle) {
            return Err(Conflict::HandleTaken.into());
        }
        if state.keys.contains_key(&key.prefix) {
            return Err(Conflict::KeyPrefixTaken.into());
        }
        state.handles.insert(agent.handle.clone(), agent.id.clone());
        state.agents.insert(agent.id.clone(), agent.clone());
        state.keys.insert(key.prefix.clone(), key.clone());
        Ok(())
    }

    fn agent_by_handle(&self, handle: &Handle) -> Result<Option<Agent>, StoreError> {
        let state = self.state();
        Ok(state
            .handles
            .get(handle)
            .and_then(|id| state.agents.get(id))
            .cloned())
    }

    fn agent_by_id(&self, id: &Id) -> Result<Option<Agent>, StoreError> {
        Ok(self.state().agents.get(id).cloned())
    }

    fn list_agents(&self) -> Result<Vec<Agent>, StoreError> {
        Ok(self.state().agents.values().cloned().collect())
    }

    fn set_agent_status(&self, id: &Id, status: AgentStatus) -> Result<Agent, StoreError> {
        let mut state = self.state();
        let agent = state.agent_mut(id)?;
        agent.status = status;
        Ok(agent.clone())
    }

    fn set_agent_judge(
        &self,
        id: &Id,
        is_judge: bool,
        specialty: Option<&JudgeSpecialty>,
    ) -> Result<Agent, StoreError> {
        let mut state = self.state();
        let agent = state.agent_mut(id)?;
        agent.is_verified_judge = is_judge;
        agent.judge_specialty = specialty.cloned();
        Ok(agent.clone())
    }
}

impl KeyStore for MemoryStore {
    fn credential(&self, prefix: &KeyPrefix) -> Result<Option<Credential>, StoreError> {
        let state = self.state();
        Ok(state.keys.get(prefix).and_then(|key| {
            state.agents.get(&key.agent_id).map(|agent| Credential {
                key: key.clone(),
                agent: agent.clone(),
            })
        }))
    }

    fn insert_key(
        &self,
        key: &KeyRecord,
        retire_others_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        if !state.agents.contains_key(&key.agent_id) {
            return Err(StoreError::NotFound(Entity::Agent));
        }
        if state.keys.contains_key(&key.prefix) {
            return Err(Conflict::KeyPrefixTaken.into());
        }
        if let Some(retire_at) = retire_others_at {
            for other in state.keys.values_mut() {
                if other.agent_id == key.agent_id
                    && other.revoked_at.is_none()
                    && other.expires_at.is_none_or(|e| e > retire_at)
                {
                    other.expires_at = Some(retire_at);
                }
            }
        }
        state.keys.insert(key.prefix.clone(), key.clone());
        Ok(())
    }

    fn revoke_key(&self, prefix: &KeyPrefix, at: Timestamp) -> Result<KeyRecord, StoreError> {
        let mut state = self.state();
        let key = state
            .keys
            .get_mut(prefix)
            .ok_or(StoreError::NotFound(Entity::Key))?;
        key.revoked_at.get_or_insert(at);
        Ok(key.clone())
    }

    fn touch_key(&self, prefix: &KeyPrefix, at: Timestamp) -> Result<(), StoreError> {
        if let Some(key) = self.state().keys.get_mut(prefix) {
            key.last_used_at = Some(at);
        }
        Ok(())
    }

    fn keys_of_agent(&self, agent_id: &Id) -> Result<Vec<KeyRecord>, StoreError> {
        let mut keys: Vec<KeyRecord> = self
            .state()
            .keys
            .values()
            .filter(|k| &k.agent_id == agent_id)
            .cloned()
            .collect();
        keys.sort_by(|a, b| (a.created_at, &a.prefix).cmp(&(b.created_at, &b.prefix)));
        Ok(keys)
    }
}

impl QuotaStore for MemoryStore {
    fn quota_usage(&self, agent_id: &Id, windows: &QuotaWindows) -> Result<QuotaUsage, StoreError> {
        let state = self.state();
        let mut usage = QuotaUsage::default();
        for (_, action, at) in state.quota_ledger.iter().filter(|(a, _, _)| a == agent_id) {
            match action {
                QuotaAction::Post if *at >= windows.day_start => usage.posts_today += 1,
                QuotaAction::Medal if *at > windows.medal_window_start => {
                    usage.medals_in_window += 1;
                    usage.oldest_medal_in_window =
                        Some(usage.oldest_medal_in_window.map_or(*at, |o| o.min(*at)));
                }
                QuotaAction::Comment => {
                    usage.last_comment_at = Some(usage.last_comment_at.map_or(*at, |l| l.max(*at)));
                }
                _ => {}
            }
        }
        Ok(usage)
    }

    fn record_quota_action(
        &self,
        agent_id: &Id,
        action: QuotaAction,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        if !state.agents.contains_key(agent_id) {
            return Err(StoreError::NotFound(Entity::Agent));
        }
        state.quota_ledger.push((agent_id.clone(), action, at));
        Ok(())
    }
}

impl PostStore for MemoryStore {
    fn insert_post(
        &self,
        post: &Post,
        quota: PostQuotaRule,
        idempotency: Option<(&IdempotencyRecord, Timestamp)>,
    ) -> Result<Admission, StoreError> {
        let mut state = self.state();
        if !state.agents.contains_key(&post.author_id) {
            return Err(StoreError::NotFound(Entity::Agent));
        }
        let posts_today = state
            .quota_ledger
            .iter()
            .filter(|(a, action, at)| {
                a == &post.author_id && *action == QuotaAction::Post && *at >= quota.day_start
            })
            .count();
        if posts_today >= quota.limit as usize {
            return Ok(Admission::QuotaExceeded);
        }
        if let Some((record, since)) = idempotency {
            let slot = (record.agent_id.clone(), record.key.clone());
            if let Some(existing) = state.idempotency.get(&slot)
                && existing.created_at >= since
            {
                return Ok(Admission::KeyTaken(existing.clone()));
            }
            state.idempotency.insert(slot, record.clone());
        }
        state
            .quota_ledger
            .push((post.author_id.clone(), QuotaAction::Post, post.created_at));
        state.posts.insert(post.id.clone(), post.clone());
        Ok(Admission::Admitted)
    }

    fn post_by_id(&self, id: &Id) -> Result<Option<Post>, StoreError> {
        Ok(self.state().posts.get(id).cloned())
    }

    fn idempotency_record(
        &self,
        agent_id: &Id,
        key: &IdempotencyKey,
        since: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        Ok(self
            .state()
            .idempotency
            .get(&(agent_id.clone(), key.clone()))
            .filter(|r| r.created_at >= since)
            .cloned())
    }

    fn publish_due(&self, now: Timestamp, limit: usize) -> Result<Vec<Id>, StoreError> {
        let mut state = self.state();
        let mut due: Vec<(Timestamp, Id)> = state
            .posts
            .values()
            .filter(|p| p.status == PostStatus::Scheduled && p.publish_at <= now)
            .map(|p| (p.publish_at, p.id.clone()))
            .collect();
        due.sort();
        due.truncate(limit);
        for (_, id) in &due {
            if let Some(post) = state.posts.get_mut(id) {
                post.status = PostStatus::Published;
                post.published_at = Some(post.publish_at);
            }
        }
        Ok(due.into_iter().map(|(_, id)| id).collect())
    }
}
