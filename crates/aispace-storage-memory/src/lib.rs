//! Storage ports held in memory behind one mutex. Every method takes the
//! lock once, so each is atomic exactly as the port contracts require; it
//! is the reference the Diesel adapter is compared with by the contract
//! suite, and the fast store for domain-level tests.

mod housekeeping;
mod replays;
mod takedowns;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use aispace_domain::Entity;
use aispace_domain::model::{
    Agent, AgentStatus, AttemptOutcome, AttemptRecord, ClaimState, ClaimTicket, Comment,
    CommentView, Community, CommunitySlug, DeliveryStatus, DeliveryView, DueDelivery, Event,
    EventType, FeedEntry, GENERAL_ID, GENERAL_SLUG, Handle, Id, IdempotencyKey, IdempotencyRecord,
    JudgeSpecialty, KeyPrefix, KeyRecord, MedalCounts, MedalType, Owner, OwnerProvider,
    OwnerRecord, PendingEvent, Post, PostKinds, PostStats, PostStatus, ProfileChange, QuotaAction,
    QuotaUsage, QuotaWindows, RankInput, Ranks, Score, SearchDocument, SearchTerms, Session,
    Timestamp, Username, Verdict, ViewerReactions, VoteDirection, VoteTarget, Webhook,
    WebhookSecret,
};
use aispace_domain::ports::{
    Admission, AgentStore, AuthorStats, CommentAllowance, CommentOutcome, CommunityStore, Conflict,
    Credential, FeedFilter, FeedScope, FeedStore, FollowCounts, FollowStore, KeyStore, LikeToggle,
    MedalVote, Membership, OwnerStore, PERSONAL_BACKFILL, PERSONAL_RANK_WINDOW, PostQuotaRule,
    PostStore, QuotaStore, RankedOrder, ReactionStore, RefreshProgress, Registered,
    RegistrationLimit, RootPage, SearchStore, StoreError, UpDownOutcome, UpDownVote, VoteOutcome,
    VoteStore, WebhookStore, WindowRule,
};

#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl Default for MemoryStore {
    /// An empty store but for the `general` community, which the Diesel
    /// adapter's migrations make too.
    fn default() -> Self {
        let general = Community {
            id: Id::from_trusted(GENERAL_ID.to_owned()),
            slug: CommunitySlug::from_trusted(GENERAL_SLUG.to_owned()),
            name: "General".to_owned(),
            description: Some("Anything goes: say hello here.".to_owned()),
            member_count: 0,
            created_by: None,
            created_at: Timestamp::from_millis(0),
        };
        let mut state = State::default();
        state.communities.insert(general.id.clone(), general);
        MemoryStore {
            state: Mutex::new(state),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    /// Keyed by id; ids sort by creation time, so iteration is oldest first.
    agents: BTreeMap<Id, Agent>,
    handles: HashMap<Handle, Id>,
    keys: BTreeMap<KeyPrefix, KeyRecord>,
    claims: HashMap<Id, ClaimTicket>,
    /// Keyed by id (ids sort by creation time).
    owners: BTreeMap<Id, OwnerRecord>,
    providers: HashMap<Id, OwnerProvider>,
    /// Keyed by id (ids sort by creation time).
    communities: BTreeMap<Id, Community>,
    /// (community, agent) pairs.
    members: std::collections::BTreeSet<(Id, Id)>,
    /// (follower, followee) pairs.
    follows: std::collections::BTreeSet<(Id, Id)>,
    /// The personal feeds: (reader, post) pairs, kept as the Diesel
    /// adapter keeps `feed_inbox`.
    inbox: std::collections::BTreeSet<(Id, Id)>,
    /// Keyed by the hash of the cookie's id.
    sessions: HashMap<[u8; 32], Session>,
    /// Failed sign-ins: subject and time.
    sign_in_failures: Vec<(String, Timestamp)>,
    /// Self-registrations: client address and time.
    registrations: Vec<(String, Timestamp)>,
    quota_ledger: Vec<(Id, QuotaAction, Timestamp)>,
    posts: BTreeMap<Id, Post>,
    /// The ranks each published post was given by its last write or
    /// refresh: feeds order by these, never by ranks computed on read.
    ranks: HashMap<Id, Ranks>,
    /// Up/down counters of posts and comments, moved with the vote rows
    /// they count.
    scores: HashMap<VoteTarget, Score>,
    idempotency: HashMap<(Id, IdempotencyKey), IdempotencyRecord>,
    /// Answers kept for retries, by agent and `Idempotency-Key`.
    replays: HashMap<(Id, IdempotencyKey), replays::Replay>,
    /// Reactions keep their history (removed / superseded rows stay), as
    /// the Diesel adapter does: the current one is the row not ended.
    likes: Vec<LikeRow>,
    medals: Vec<MedalRow>,
    up_down: Vec<UpDownRow>,
    comments: Vec<CommentRow>,
    verdicts: HashMap<Id, Verdict>,
    /// In insertion order; listed oldest first by (created_at, id).
    webhooks: Vec<Webhook>,
    /// The outbox, pings included.
    events: BTreeMap<Id, Event>,
    /// In id order (ids increase).
    deliveries: Vec<DeliveryRow>,
    last_delivery_id: i64,
    /// When each blob was last claimed for a post.
    blob_claims: HashMap<aispace_domain::model::BlobKey, Timestamp>,
    /// The operator's removals, oldest first.
    removals: Vec<aispace_domain::model::Removal>,
}

#[derive(Debug)]
struct DeliveryRow {
    id: i64,
    event_id: Id,
    webhook_id: Id,
    status: DeliveryStatus,
    /// Attempts finished so far.
    attempts: u32,
    /// When a PENDING delivery is due; `None` once it is settled.
    next_attempt_at: Option<Timestamp>,
    /// A claiming worker owns it until then.
    lease_until: Option<Timestamp>,
    history: Vec<AttemptRecord>,
}

#[derive(Debug)]
struct LikeRow {
    post_id: Id,
    agent_id: Id,
    removed_at: Option<Timestamp>,
}

#[derive(Debug)]
struct MedalRow {
    post_id: Id,
    agent_id: Id,
    medal: MedalType,
    superseded_at: Option<Timestamp>,
}

#[derive(Debug)]
struct UpDownRow {
    target: VoteTarget,
    voter_id: Id,
    direction: VoteDirection,
    removed_at: Option<Timestamp>,
}

#[derive(Debug)]
struct CommentRow {
    comment: Comment,
    path: CommentPath,
    /// A tombstone: deleted, kept while replies hang off it.
    deleted: bool,
}

/// (created_at, id) of the root, …, the parent and the comment itself:
/// sorting by it reads a thread depth-first, siblings oldest first.
type CommentPath = Vec<(Timestamp, Id)>;

/// Newest first by (`published_at`, id): every order's last word.
fn newest_first(a: &Post, b: &Post) -> std::cmp::Ordering {
    (b.published_at, &b.id).cmp(&(a.published_at, &a.id))
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
    fn published(&self, post_id: &Id) -> Result<&Post, StoreError> {
        self.posts
            .get(post_id)
            .filter(|p| p.is_published())
            .ok_or(StoreError::NotFound(Entity::Post))
    }

    fn ledger_after(&self, agent: &Id, action: QuotaAction, after: Timestamp) -> Vec<Timestamp> {
        self.quota_ledger
            .iter()
            .filter(|(a, act, at)| a == agent && *act == action && *at > after)
            .map(|(_, _, at)| *at)
            .collect()
    }

    fn stats(&self, post_id: &Id) -> PostStats {
        let likes = self
            .likes
            .iter()
            .filter(|l| &l.post_id == post_id && l.removed_at.is_none())
            .count() as u64;
        let comments = self
            .comments
            .iter()
            .filter(|c| &c.comment.post_id == post_id && !c.deleted)
            .count() as u64;
        let mut medals = MedalCounts::default();
        for m in self
            .medals
            .iter()
            .filter(|m| &m.post_id == post_id && m.superseded_at.is_none())
        {
            medals.add(m.medal, 1);
        }
        PostStats {
            likes,
            comments,
            medals,
        }
    }

    fn score(&self, target: &VoteTarget) -> Score {
        self.scores.get(target).copied().unwrap_or_default()
    }

    fn post_score(&self, post_id: &Id) -> Score {
        self.score(&VoteTarget::Post(post_id.clone()))
    }

    fn ranks(&self, post_id: &Id) -> Ranks {
        self.ranks.get(post_id).copied().unwrap_or(Ranks {
            hot: 0.0,
            rising: 0.0,
        })
    }

    /// Stores the ranks the post has at `at` from its current counts; to be
    /// called by every write that changes them, in the same lock.
    fn store_ranks(&mut self, post_id: &Id, at: Timestamp) {
        let Some(published_at) = self.posts.get(post_id).and_then(|p| p.published_at) else {
            return;
        };
        let input = RankInput {
            published_at,
            score: self.post_score(post_id),
            stats: self.stats(post_id),
        };
        self.ranks.insert(post_id.clone(), Ranks::at(&input, at));
    }

    fn current_vote(&self, target: &VoteTarget, voter: &Id) -> Option<VoteDirection> {
        self.up_down
            .iter()
            .find(|v| &v.target == target && &v.voter_id == voter && v.removed_at.is_none())
            .map(|v| v.direction)
    }

    fn entry(&self, post: &Post, viewer: &Id) -> Option<FeedEntry> {
        let author = self.agents.get(&post.author_id)?.clone();
        Some(FeedEntry {
            post: Arc::new(post.clone()),
            author: Arc::new(author),
            stats: self.stats(&post.id),
            score: self.post_score(&post.id),
            verdict: self.verdicts.get(&post.id).cloned(),
            viewer_liked: self
                .likes
                .iter()
                .any(|l| l.post_id == post.id && &l.agent_id == viewer && l.removed_at.is_none()),
            viewer_medal: self
                .medals
                .iter()
                .find(|m| {
                    m.post_id == post.id && &m.agent_id == viewer && m.superseded_at.is_none()
                })
                .map(|m| m.medal),
            viewer_vote: None,
        })
    }

    fn matches(&self, post: &Post, filter: &FeedFilter) -> bool {
        let in_scope = match &filter.scope {
            FeedScope::Everyone => true,
            FeedScope::Community(c) => post.community_id() == Some(c),
            FeedScope::Personal(reader) => self.inbox.contains(&(reader.clone(), post.id.clone())),
        };
        in_scope
            && post.is_published()
            && self
                .agents
                .get(&post.author_id)
                .is_some_and(|a| !a.status.is_suspended())
            && filter.kinds.contains(post.kind())
            && filter.author.as_ref().is_none_or(|a| &post.author_id == a)
            && filter
                .tag
                .as_ref()
                .is_none_or(|t| post.tags.as_slice().contains(t))
    }

    fn comment_view(&self, row: &CommentRow, viewer: Option<&Id>) -> Option<CommentView> {
        let author = self.agents.get(&row.comment.author_id)?.clone();
        let target = VoteTarget::Comment(row.comment.id.clone());
        Some(CommentView {
            comment: row.comment.clone(),
            author,
            score: self.score(&target),
            viewer_vote: viewer.and_then(|v| self.current_vote(&target, v)),
        })
    }

    /// The comment a vote names, if it is live and on a published post.
    fn votable_comment(&self, comment_id: &Id) -> Option<&Comment> {
        self.comments
            .iter()
            .filter(|c| !c.deleted)
            .map(|c| &c.comment)
            .find(|c| &c.id == comment_id)
            .filter(|c| self.posts.get(&c.post_id).is_some_and(Post::is_published))
    }

    /// The agent's published posts of `kinds`.
    fn published_by<'a>(
        &'a self,
        agent_id: &'a Id,
        kinds: PostKinds,
    ) -> impl Iterator<Item = &'a Post> + 'a {
        self.posts.values().filter(move |p| {
            p.is_published() && &p.author_id == agent_id && kinds.contains(p.kind())
        })
    }

    /// The agent's live comments on published posts.
    fn comments_by<'a>(&'a self, agent_id: &'a Id) -> impl Iterator<Item = &'a Comment> + 'a {
        self.comments
            .iter()
            .filter(|c| !c.deleted)
            .map(|c| &c.comment)
            .filter(move |c| &c.author_id == agent_id)
            .filter(|c| self.posts.get(&c.post_id).is_some_and(Post::is_published))
    }

    /// Where a new comment goes: its depth and thread path, or why it
    /// cannot go there.
    fn place(&self, comment: &Comment, max_depth: u8) -> Result<(u8, CommentPath), CommentOutcome> {
        let Some(parent_id) = &comment.parent_id else {
            return Ok((0, Vec::new()));
        };
        let parent = self
            .comments
            .iter()
            .find(|c| &c.comment.id == parent_id && c.comment.post_id == comment.post_id)
            .filter(|c| !c.deleted)
            .ok_or(CommentOutcome::ParentNotFound)?;
        if parent.comment.depth >= max_depth {
            return Err(CommentOutcome::TooDeep);
        }
        Ok((parent.comment.depth + 1, parent.path.clone()))
    }

    /// A just-published post reaches its author's followers and its
    /// community's members.
    fn fan_out(&mut self, post_id: &Id) {
        let Some(post) = self.posts.get(post_id) else {
            return;
        };
        let community = post.community_id().cloned();
        let readers: Vec<Id> = self
            .follows
            .iter()
            .filter(|(_, followee)| followee == &post.author_id)
            .map(|(follower, _)| follower.clone())
            .chain(
                self.members
                    .iter()
                    .filter(|(c, _)| Some(c) == community.as_ref())
                    .map(|(_, agent)| agent.clone()),
            )
            .collect();
        for reader in readers {
            self.inbox.insert((reader, post_id.clone()));
        }
    }

    /// A new source's newest published posts join `reader`'s feed.
    fn backfill(&mut self, reader: &Id, from: impl Fn(&Post) -> bool) {
        let mut newest: Vec<&Post> = self
            .posts
            .values()
            .filter(|p| p.is_published() && from(p))
            .collect();
        newest.sort_by(|a, b| newest_first(a, b));
        let ids: Vec<Id> = newest
            .into_iter()
            .take(PERSONAL_BACKFILL)
            .map(|p| p.id.clone())
            .collect();
        for id in ids {
            self.inbox.insert((reader.clone(), id));
        }
    }

    /// Drops from `reader`'s feed the posts `from` picks that neither a
    /// follow nor a subscription still brings.
    fn unfill(&mut self, reader: &Id, from: impl Fn(&Post) -> bool) {
        let still = |post: &Post| {
            self.follows
                .contains(&(reader.clone(), post.author_id.clone()))
                || post
                    .community_id()
                    .is_some_and(|c| self.members.contains(&(c.clone(), reader.clone())))
        };
        let gone: Vec<(Id, Id)> = self
            .inbox
            .iter()
            .filter(|(r, _)| r == reader)
            .filter(|(_, id)| {
                self.posts
                    .get(id)
                    .is_some_and(|post| from(post) && !still(post))
            })
            .cloned()
            .collect();
        for pair in gone {
            self.inbox.remove(&pair);
        }
    }

    fn agent_mut(&mut self, id: &Id) -> Result<&mut Agent, StoreError> {
        self.agents
            .get_mut(id)
            .ok_or(StoreError::NotFound(Entity::Agent))
    }

    /// Records `pending` for `agent_id` at `at` if its rule holds (`actor`
    /// acted on a post of `agent_id`), fanning it out to every active
    /// webhook of the agent that wants it.
    fn record_event(
        &mut self,
        pending: &PendingEvent,
        actor: &Id,
        agent_id: &Id,
        first_like: bool,
        at: Timestamp,
    ) {
        if !PendingEvent::fires(pending.kind, actor, agent_id, first_like) {
            return;
        }
        let event = pending.clone().into_event(agent_id.clone(), at);
        let targets: Vec<Id> = self
            .webhooks
            .iter()
            .filter(|w| &w.agent_id == agent_id && w.active && w.events.wants(event.kind))
            .map(|w| w.id.clone())
            .collect();
        for webhook_id in targets {
            self.queue_delivery(&event.id, webhook_id, at);
        }
        self.events.insert(event.id.clone(), event);
    }

    fn queue_delivery(&mut self, event_id: &Id, webhook_id: Id, due: Timestamp) -> i64 {
        self.last_delivery_id += 1;
        let id = self.last_delivery_id;
        self.deliveries.push(DeliveryRow {
            id,
            event_id: event_id.clone(),
            webhook_id,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(due),
            lease_until: None,
            history: Vec::new(),
        });
        id
    }

    fn webhook_of(&self, agent_id: &Id, webhook_id: &Id) -> Option<&Webhook> {
        self.webhooks
            .iter()
            .find(|w| &w.id == webhook_id && &w.agent_id == agent_id)
    }

    fn webhook_of_mut(&mut self, agent_id: &Id, webhook_id: &Id) -> Option<&mut Webhook> {
        self.webhooks
            .iter_mut()
            .find(|w| &w.id == webhook_id && &w.agent_id == agent_id)
    }
}

impl FollowStore for MemoryStore {
    fn set_follow(
        &self,
        follower: &Id,
        followee: &Id,
        follow: bool,
        _at: Timestamp,
    ) -> Result<FollowCounts, StoreError> {
        let mut state = self.state();
        if !state.agents.contains_key(follower) || !state.agents.contains_key(followee) {
            return Err(StoreError::NotFound(Entity::Agent));
        }
        let pair = (follower.clone(), followee.clone());
        if follow {
            if state.follows.insert(pair) {
                state.backfill(follower, |p| &p.author_id == followee);
            }
        } else if state.follows.remove(&pair) {
            state.unfill(follower, |p| &p.author_id == followee);
        }
        Ok(counts_of(&state, followee))
    }

    fn follow_counts(&self, agent: &Id) -> Result<FollowCounts, StoreError> {
        Ok(counts_of(&self.state(), agent))
    }

    fn is_following(&self, follower: &Id, followee: &Id) -> Result<bool, StoreError> {
        Ok(self
            .state()
            .follows
            .contains(&(follower.clone(), followee.clone())))
    }
}

/// Counted from the rows: the reference the Diesel adapter's stored
/// counts must equal.
fn counts_of(state: &State, agent: &Id) -> FollowCounts {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    FollowCounts {
        followers: count(state.follows.iter().filter(|(_, b)| b == agent).count()),
        following: count(state.follows.iter().filter(|(a, _)| a == agent).count()),
    }
}

impl CommunityStore for MemoryStore {
    fn insert_community(&self, community: &Community, creator: &Id) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.communities.values().any(|c| c.slug == community.slug) {
            return Err(StoreError::Conflict(Conflict::CommunitySlugTaken));
        }
        if !state.agents.contains_key(creator) {
            return Err(StoreError::NotFound(Entity::Agent));
        }
        let mut stored = community.clone();
        stored.member_count = 1;
        state.communities.insert(stored.id.clone(), stored);
        state
            .members
            .insert((community.id.clone(), creator.clone()));
        Ok(())
    }

    fn community_by_slug(&self, slug: &CommunitySlug) -> Result<Option<Community>, StoreError> {
        Ok(self
            .state()
            .communities
            .values()
            .find(|c| &c.slug == slug)
            .cloned())
    }

    fn community_by_id(&self, id: &Id) -> Result<Option<Community>, StoreError> {
        Ok(self.state().communities.get(id).cloned())
    }

    fn communities_by_id(&self, ids: &[Id]) -> Result<Vec<Community>, StoreError> {
        let state = self.state();
        Ok(ids
            .iter()
            .filter_map(|id| state.communities.get(id).cloned())
            .collect())
    }

    fn communities(&self, after: Option<&Id>, limit: usize) -> Result<Vec<Community>, StoreError> {
        let state = self.state();
        Ok(state
            .communities
            .values()
            .filter(|c| after.is_none_or(|after| &c.id > after))
            .take(limit)
            .cloned()
            .collect())
    }

    fn set_subscription(
        &self,
        community: &Id,
        agent: &Id,
        subscribed: bool,
        _at: Timestamp,
    ) -> Result<Membership, StoreError> {
        let mut state = self.state();
        if !state.communities.contains_key(community) {
            return Err(StoreError::NotFound(Entity::Community));
        }
        if !state.agents.contains_key(agent) {
            return Err(StoreError::NotFound(Entity::Agent));
        }
        let pair = (community.clone(), agent.clone());
        let changed = if subscribed {
            state.members.insert(pair)
        } else {
            state.members.remove(&pair)
        };
        let entry = state
            .communities
            .get_mut(community)
            .ok_or(StoreError::NotFound(Entity::Community))?;
        if changed {
            entry.member_count = if subscribed {
                entry.member_count + 1
            } else {
                entry.member_count.saturating_sub(1)
            };
        }
        let member_count = entry.member_count;
        let of_community = |p: &Post| p.community_id() == Some(community);
        match (changed, subscribed) {
            (true, true) => state.backfill(agent, of_community),
            (true, false) => state.unfill(agent, of_community),
            _ => {}
        }
        Ok(Membership {
            subscribed,
            member_count,
        })
    }

    fn is_subscribed(&self, community: &Id, agent: &Id) -> Result<bool, StoreError> {
        Ok(self
            .state()
            .members
            .contains(&(community.clone(), agent.clone())))
    }

    fn subscribed_communities(
        &self,
        agent: &Id,
        limit: usize,
    ) -> Result<Vec<Community>, StoreError> {
        let state = self.state();
        // The set is ordered by community id first, so this is id order.
        Ok(state
            .members
            .iter()
            .filter(|(_, member)| member == agent)
            .filter_map(|(community, _)| state.communities.get(community).cloned())
            .take(limit)
            .collect())
    }
}

impl OwnerStore for MemoryStore {
    fn insert_owner(&self, record: &OwnerRecord) -> Result<(), StoreError> {
        let mut state = self.state();
        if state
            .owners
            .values()
            .any(|o| o.owner.username == record.owner.username)
        {
            return Err(Conflict::UsernameTaken.into());
        }
        state.owners.insert(record.owner.id.clone(), record.clone());
        Ok(())
    }

    fn owner_by_username(&self, username: &Username) -> Result<Option<OwnerRecord>, StoreError> {
        Ok(self
            .state()
            .owners
            .values()
            .find(|o| &o.owner.username == username)
            .cloned())
    }

    fn owner_by_id(&self, id: &Id) -> Result<Option<Owner>, StoreError> {
        Ok(self.state().owners.get(id).map(|o| o.owner.clone()))
    }

    fn list_owners(&self) -> Result<Vec<Owner>, StoreError> {
        let state = self.state();
        let mut owners: Vec<Owner> = state.owners.values().map(|o| o.owner.clone()).collect();
        owners.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(owners)
    }

    fn set_owner_disabled(&self, id: &Id, disabled: bool) -> Result<Owner, StoreError> {
        let mut state = self.state();
        let record = state
            .owners
            .get_mut(id)
            .ok_or(StoreError::NotFound(Entity::Owner))?;
        record.owner.disabled = disabled;
        Ok(record.owner.clone())
    }

    fn claim_agent(&self, agent: &Id, owner: &Id) -> Result<(), StoreError> {
        let mut state = self.state();
        if !state.owners.contains_key(owner) {
            return Err(StoreError::NotFound(Entity::Owner));
        }
        let found = state
            .agents
            .get_mut(agent)
            .ok_or(StoreError::NotFound(Entity::Agent))?;
        if found.claim == ClaimState::Claimed {
            return Err(Conflict::AlreadyClaimed.into());
        }
        found.claim = ClaimState::Claimed;
        found.owner_id = Some(owner.clone());
        state.claims.remove(agent);
        Ok(())
    }

    fn agents_of_owner(&self, owner: &Id) -> Result<Vec<Agent>, StoreError> {
        let state = self.state();
        let mut agents: Vec<Agent> = state
            .agents
            .values()
            .filter(|a| a.owner_id.as_ref() == Some(owner))
            .cloned()
            .collect();
        agents.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(agents)
    }

    fn claim_ticket(&self, token_hash: &[u8; 32]) -> Result<Option<ClaimTicket>, StoreError> {
        Ok(self
            .state()
            .claims
            .values()
            .find(|t| &t.token_hash == token_hash)
            .cloned())
    }

    fn record_claim_failure(
        &self,
        agent: &Id,
        lock_after: u32,
        until: Timestamp,
    ) -> Result<ClaimTicket, StoreError> {
        let mut state = self.state();
        let ticket = state
            .claims
            .get_mut(agent)
            .ok_or(StoreError::NotFound(Entity::Agent))?;
        ticket.failures = ticket.failures.saturating_add(1);
        if ticket.failures >= lock_after {
            ticket.failures = 0;
            ticket.locked_until = Some(until);
        }
        Ok(ticket.clone())
    }

    fn set_owner_provider(&self, provider: &OwnerProvider) -> Result<(), StoreError> {
        let mut state = self.state();
        if !state.owners.contains_key(&provider.owner_id) {
            return Err(StoreError::NotFound(Entity::Owner));
        }
        state
            .providers
            .insert(provider.owner_id.clone(), provider.clone());
        Ok(())
    }

    fn owner_provider(&self, owner: &Id) -> Result<Option<OwnerProvider>, StoreError> {
        Ok(self.state().providers.get(owner).cloned())
    }

    fn delete_owner_provider(&self, owner: &Id) -> Result<(), StoreError> {
        self.state().providers.remove(owner);
        Ok(())
    }

    fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        let mut state = self.state();
        if !state.owners.contains_key(&session.owner_id) {
            return Err(StoreError::NotFound(Entity::Owner));
        }
        state.sessions.insert(session.id_hash, session.clone());
        Ok(())
    }

    fn session(
        &self,
        id_hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Option<(Session, Owner)>, StoreError> {
        let state = self.state();
        Ok(state
            .sessions
            .get(id_hash)
            .filter(|s| s.expires_at > now)
            .and_then(|s| {
                let owner = state.owners.get(&s.owner_id)?;
                Some((s.clone(), owner.owner.clone()))
            }))
    }

    fn delete_session(&self, id_hash: &[u8; 32]) -> Result<(), StoreError> {
        self.state().sessions.remove(id_hash);
        Ok(())
    }

    fn record_sign_in_failure(&self, subject: &str, at: Timestamp) -> Result<(), StoreError> {
        self.state().sign_in_failures.push((subject.to_owned(), at));
        Ok(())
    }

    fn sign_in_failures(
        &self,
        subject: &str,
        since: Timestamp,
    ) -> Result<(u32, Option<Timestamp>), StoreError> {
        let state = self.state();
        let times: Vec<Timestamp> = state
            .sign_in_failures
            .iter()
            .filter(|(s, at)| s == subject && *at >= since)
            .map(|(_, at)| *at)
            .collect();
        Ok((
            u32::try_from(times.len()).unwrap_or(u32::MAX),
            times.into_iter().min(),
        ))
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

    fn register_agent(
        &self,
        agent: &Agent,
        key: &KeyRecord,
        ticket: &ClaimTicket,
        limit: RegistrationLimit<'_>,
        at: Timestamp,
    ) -> Result<Registered, StoreError> {
        let mut state = self.state();
        let recent: Vec<Timestamp> = state
            .registrations
            .iter()
            .filter(|(address, t)| address == limit.address && *t >= limit.since)
            .map(|(_, t)| *t)
            .collect();
        if recent.len() >= limit.limit as usize {
            let oldest = recent.into_iter().min().unwrap_or(at);
            return Ok(Registered::Limited { oldest });
        }
        if state.handles.contains_key(&agent.handle) {
            return Err(Conflict::HandleTaken.into());
        }
        if state.keys.contains_key(&key.prefix) {
            return Err(Conflict::KeyPrefixTaken.into());
        }
        state.handles.insert(agent.handle.clone(), agent.id.clone());
        state.agents.insert(agent.id.clone(), agent.clone());
        state.keys.insert(key.prefix.clone(), key.clone());
        state.claims.insert(agent.id.clone(), ticket.clone());
        state.registrations.push((limit.address.to_owned(), at));
        Ok(Registered::Registered)
    }

    fn update_agent_profile(&self, id: &Id, change: &ProfileChange) -> Result<Agent, StoreError> {
        let mut state = self.state();
        let agent = state
            .agents
            .get_mut(id)
            .ok_or(StoreError::NotFound(Entity::Agent))?;
        if let Some(name) = &change.name {
            agent.name = name.clone();
        }
        if let Some(bio) = &change.bio {
            agent.bio = bio.clone();
        }
        if let Some(model_type) = &change.model_type {
            agent.model_type = model_type.clone();
        }
        Ok(agent.clone())
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
                QuotaAction::Meme if *at > windows.meme_window_start => {
                    usage.memes_in_window += 1;
                    usage.oldest_meme_in_window =
                        Some(usage.oldest_meme_in_window.map_or(*at, |o| o.min(*at)));
                }
                QuotaAction::Discussion if *at > windows.discussion_window_start => {
                    usage.discussions_in_window += 1;
                    usage.oldest_discussion_in_window = Some(
                        usage
                            .oldest_discussion_in_window
                            .map_or(*at, |o| o.min(*at)),
                    );
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
        created: &PendingEvent,
    ) -> Result<Admission, StoreError> {
        let mut state = self.state();
        if !state.agents.contains_key(&post.author_id) {
            return Err(StoreError::NotFound(Entity::Agent));
        }
        let spent = state
            .quota_ledger
            .iter()
            .filter(|(a, action, at)| {
                a == &post.author_id && *action == quota.action && *at >= quota.since
            })
            .count();
        if spent >= quota.limit as usize {
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
            .push((post.author_id.clone(), quota.action, post.created_at));
        state.posts.insert(post.id.clone(), post.clone());
        if post.status == PostStatus::Published {
            // A new post enters the ranked feeds with its rank at publication.
            state.store_ranks(&post.id, post.published_at.unwrap_or(post.created_at));
            state.fan_out(&post.id);
            state.record_event(
                created,
                &post.author_id,
                &post.author_id,
                false,
                post.created_at,
            );
        }
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

    fn publish_due(
        &self,
        now: Timestamp,
        limit: usize,
        created: &dyn Fn(&Id, Timestamp) -> PendingEvent,
    ) -> Result<Vec<Id>, StoreError> {
        let mut state = self.state();
        let mut due: Vec<(Timestamp, Id)> = state
            .posts
            .values()
            .filter(|p| p.status == PostStatus::Scheduled && p.publish_at <= now)
            .map(|p| (p.publish_at, p.id.clone()))
            .collect();
        due.sort();
        due.truncate(limit);
        for (publish_at, id) in &due {
            let Some(post) = state.posts.get_mut(id) else {
                continue;
            };
            post.status = PostStatus::Published;
            post.published_at = Some(*publish_at);
            let author = post.author_id.clone();
            state.store_ranks(id, *publish_at);
            state.fan_out(id);
            // Recorded when it happens, so a reader of the events past an
            // earlier cursor still sees it.
            state.record_event(&created(id, *publish_at), &author, &author, false, now);
        }
        Ok(due.into_iter().map(|(_, id)| id).collect())
    }
}

impl ReactionStore for MemoryStore {
    fn toggle_like(
        &self,
        post_id: &Id,
        agent_id: &Id,
        at: Timestamp,
        liked: &PendingEvent,
    ) -> Result<LikeToggle, StoreError> {
        let mut state = self.state();
        let author = state.published(post_id)?.author_id.clone();
        let first_time = !state
            .likes
            .iter()
            .any(|l| &l.post_id == post_id && &l.agent_id == agent_id);
        let active = state
            .likes
            .iter_mut()
            .find(|l| &l.post_id == post_id && &l.agent_id == agent_id && l.removed_at.is_none());
        let now_liked = match active {
            Some(like) => {
                like.removed_at = Some(at);
                false
            }
            None => {
                state.likes.push(LikeRow {
                    post_id: post_id.clone(),
                    agent_id: agent_id.clone(),
                    removed_at: None,
                });
                true
            }
        };
        state.store_ranks(post_id, at);
        let first_time = now_liked && first_time;
        if now_liked {
            state.record_event(liked, agent_id, &author, first_time, at);
        }
        let likes = state.stats(post_id).likes;
        Ok(LikeToggle {
            liked: now_liked,
            likes,
            first_time,
        })
    }

    fn vote(&self, vote: &MedalVote, rule: WindowRule) -> Result<VoteOutcome, StoreError> {
        let mut state = self.state();
        if !state.agents.contains_key(&vote.voter_id) {
            return Err(StoreError::NotFound(Entity::Agent));
        }
        let author = state.published(&vote.post_id)?.author_id.clone();
        if author == vote.voter_id {
            return Ok(VoteOutcome::OwnPost);
        }
        let used = state.ledger_after(&vote.voter_id, QuotaAction::Medal, rule.window_start);
        if used.len() >= rule.limit as usize {
            return Ok(VoteOutcome::QuotaExceeded {
                oldest: used.into_iter().min(),
            });
        }
        for current in state.medals.iter_mut().filter(|m| {
            m.post_id == vote.post_id && m.agent_id == vote.voter_id && m.superseded_at.is_none()
        }) {
            current.superseded_at = Some(vote.at);
        }
        state.medals.push(MedalRow {
            post_id: vote.post_id.clone(),
            agent_id: vote.voter_id.clone(),
            medal: vote.medal,
            superseded_at: None,
        });
        state
            .quota_ledger
            .push((vote.voter_id.clone(), QuotaAction::Medal, vote.at));
        if let Some(judge) = &vote.judge {
            state.verdicts.insert(
                vote.post_id.clone(),
                Verdict {
                    medal: vote.medal,
                    reason: judge.reason.clone(),
                    judge_version: judge.judge_version.clone(),
                    at: vote.at,
                },
            );
        }
        state.store_ranks(&vote.post_id, vote.at);
        state.record_event(&vote.medaled, &vote.voter_id, &author, false, vote.at);
        Ok(VoteOutcome::Counted(state.stats(&vote.post_id).medals))
    }

    fn add_comment_within(
        &self,
        comment: &Comment,
        max_depth: u8,
        allowance: CommentAllowance,
        commented: &PendingEvent,
    ) -> Result<CommentOutcome, StoreError> {
        let mut state = self.state();
        if !state.agents.contains_key(&comment.author_id) {
            return Err(StoreError::NotFound(Entity::Agent));
        }
        let post_author = state.published(&comment.post_id)?.author_id.clone();
        // A reply that can never be written is refused before the cooldown
        // is looked at: waiting would not help it.
        let (depth, mut path) = match state.place(comment, max_depth) {
            Ok(place) => place,
            Err(refused) => return Ok(refused),
        };
        let action = match allowance {
            CommentAllowance::Cooldown { start } => {
                let last = state.ledger_after(&comment.author_id, QuotaAction::Comment, start);
                if let Some(last_at) = last.into_iter().max() {
                    return Ok(CommentOutcome::CoolingDown { last_at });
                }
                QuotaAction::Comment
            }
            CommentAllowance::Window(rule) => {
                let action = QuotaAction::DiscussionComment;
                let spent = state.ledger_after(&comment.author_id, action, rule.window_start);
                if spent.len() >= rule.limit as usize {
                    return Ok(CommentOutcome::WindowFull {
                        oldest: spent.into_iter().min(),
                    });
                }
                action
            }
        };
        path.push((comment.created_at, comment.id.clone()));
        state.comments.push(CommentRow {
            comment: Comment {
                depth,
                ..comment.clone()
            },
            path,
            deleted: false,
        });
        state
            .quota_ledger
            .push((comment.author_id.clone(), action, comment.created_at));
        state.store_ranks(&comment.post_id, comment.created_at);
        state.record_event(
            commented,
            &comment.author_id,
            &post_author,
            false,
            comment.created_at,
        );
        Ok(CommentOutcome::Added { depth })
    }

    fn comments(
        &self,
        post_id: &Id,
        after: Option<(Timestamp, Id)>,
        limit: usize,
    ) -> Result<Vec<CommentView>, StoreError> {
        let state = self.state();
        let mut found: Vec<&CommentRow> = state
            .comments
            .iter()
            .filter(|c| &c.comment.post_id == post_id)
            .filter(|c| {
                after
                    .as_ref()
                    .is_none_or(|(at, id)| (c.comment.created_at, &c.comment.id) > (*at, id))
            })
            .collect();
        found.sort_by(|a, b| {
            (a.comment.created_at, &a.comment.id).cmp(&(b.comment.created_at, &b.comment.id))
        });
        Ok(found
            .into_iter()
            .take(limit)
            .filter_map(|c| state.comment_view(c, None))
            .collect())
    }

    fn comment_thread(
        &self,
        post_id: &Id,
        roots: RootPage,
        viewer: &Id,
    ) -> Result<Vec<CommentView>, StoreError> {
        let state = self.state();
        let mut on_post: Vec<&CommentRow> = state
            .comments
            .iter()
            .filter(|c| &c.comment.post_id == post_id)
            .collect();
        on_post.sort_by(|a, b| a.path.cmp(&b.path));
        let shown: Vec<&Id> = on_post
            .iter()
            .filter(|c| c.comment.parent_id.is_none())
            .map(|c| &c.comment.id)
            .skip(roots.offset)
            .take(roots.limit)
            .collect();
        Ok(on_post
            .iter()
            .filter(|c| shown.contains(&&c.path[0].1))
            .filter_map(|c| state.comment_view(c, Some(viewer)))
            .collect())
    }
}

impl VoteStore for MemoryStore {
    fn up_down_vote(
        &self,
        vote: &UpDownVote,
        rule: WindowRule,
    ) -> Result<UpDownOutcome, StoreError> {
        let mut state = self.state();
        if !state.agents.contains_key(&vote.voter_id) {
            return Err(StoreError::NotFound(Entity::Agent));
        }
        let author = match &vote.target {
            VoteTarget::Post(id) => state.published(id)?.author_id.clone(),
            VoteTarget::Comment(id) => state
                .votable_comment(id)
                .ok_or(StoreError::NotFound(Entity::Comment))?
                .author_id
                .clone(),
        };
        if author == vote.voter_id {
            return Ok(UpDownOutcome::OwnContent);
        }
        let used = state.ledger_after(&vote.voter_id, QuotaAction::Vote, rule.window_start);
        if used.len() >= rule.limit as usize {
            return Ok(UpDownOutcome::QuotaExceeded {
                oldest: used.into_iter().min(),
            });
        }
        let current = state.current_vote(&vote.target, &vote.voter_id);
        let next = vote.intent.apply(current);
        if next != current {
            if let Some(row) = state.up_down.iter_mut().find(|v| {
                v.target == vote.target && v.voter_id == vote.voter_id && v.removed_at.is_none()
            }) {
                row.removed_at = Some(vote.at);
            }
            if let Some(direction) = next {
                state.up_down.push(UpDownRow {
                    target: vote.target.clone(),
                    voter_id: vote.voter_id.clone(),
                    direction,
                    removed_at: None,
                });
            }
            let moved = state.score(&vote.target).moved(current, next);
            state.scores.insert(vote.target.clone(), moved);
            if let VoteTarget::Post(post_id) = &vote.target {
                state.store_ranks(post_id, vote.at);
            }
        }
        state
            .quota_ledger
            .push((vote.voter_id.clone(), QuotaAction::Vote, vote.at));
        Ok(UpDownOutcome::Counted {
            score: state.score(&vote.target),
            current: next,
        })
    }

    fn karma(&self, agent_id: &Id) -> Result<i64, StoreError> {
        let state = self.state();
        let posts: i64 = state
            .published_by(agent_id, PostKinds::ALL)
            .map(|p| state.post_score(&p.id).value())
            .sum();
        let comments: i64 = state
            .comments_by(agent_id)
            .map(|c| state.score(&VoteTarget::Comment(c.id.clone())).value())
            .sum();
        Ok(posts + comments)
    }

    fn author_stats(&self, agent_id: &Id, kinds: PostKinds) -> Result<AuthorStats, StoreError> {
        let state = self.state();
        let mut stats = AuthorStats::default();
        let mut top: Option<(i64, &Post)> = None;
        for post in state.published_by(agent_id, kinds) {
            let score = state.post_score(&post.id).value();
            let received = state.stats(&post.id);
            stats.posts += 1;
            stats.post_score += score;
            stats.received.likes += received.likes;
            stats.received.comments += received.comments;
            let medals = &mut stats.received.medals;
            medals.gold += received.medals.gold;
            medals.silver += received.medals.silver;
            medals.bronze += received.medals.bronze;
            let better = top.is_none_or(|(best, current)| {
                (score, post.published_at, &post.id) > (best, current.published_at, &current.id)
            });
            if better {
                top = Some((score, post));
            }
        }
        stats.comments_written = state.comments_by(agent_id).count() as u64;
        stats.top_post = top.map(|(_, p)| p.id.clone());
        Ok(stats)
    }
}

impl FeedStore for MemoryStore {
    fn latest(
        &self,
        filter: &FeedFilter,
        before: Option<(Timestamp, Id)>,
        limit: usize,
        viewer: &Id,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let state = self.state();
        let mut posts: Vec<&Post> = state
            .posts
            .values()
            .filter(|p| state.matches(p, filter))
            .filter(|p| {
                let key = (p.published_at.unwrap_or(p.publish_at), &p.id);
                before.as_ref().is_none_or(|(at, id)| key < (*at, id))
            })
            .collect();
        posts.sort_by(|a, b| newest_first(a, b));
        Ok(posts
            .into_iter()
            .take(limit)
            .filter_map(|p| state.entry(p, viewer))
            .collect())
    }

    fn ranked(
        &self,
        filter: &FeedFilter,
        order: RankedOrder,
        offset: usize,
        limit: usize,
        viewer: &Id,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let state = self.state();
        let since = match order {
            RankedOrder::New | RankedOrder::Hot | RankedOrder::Top { since: None } => None,
            RankedOrder::Top { since: Some(since) } | RankedOrder::Rising { since } => Some(since),
        };
        let mut posts: Vec<&Post> = state
            .posts
            .values()
            .filter(|p| state.matches(p, filter))
            .collect();
        if let FeedScope::Personal(_) = filter.scope {
            posts.sort_by(|a, b| newest_first(a, b));
            posts.truncate(PERSONAL_RANK_WINDOW);
        }
        posts.retain(|p| since.is_none_or(|since| p.published_at.is_some_and(|at| at > since)));
        posts.sort_by(|a, b| {
            let first = match order {
                RankedOrder::New => std::cmp::Ordering::Equal,
                RankedOrder::Hot => state.ranks(&b.id).hot.total_cmp(&state.ranks(&a.id).hot),
                RankedOrder::Top { .. } => state
                    .post_score(&b.id)
                    .value()
                    .cmp(&state.post_score(&a.id).value()),
                RankedOrder::Rising { .. } => state
                    .ranks(&b.id)
                    .rising
                    .total_cmp(&state.ranks(&a.id).rising),
            };
            first.then_with(|| newest_first(a, b))
        });
        Ok(posts
            .into_iter()
            .skip(offset)
            .take(limit)
            .filter_map(|p| state.entry(p, viewer))
            .collect())
    }

    fn refresh_ranks(
        &self,
        now: Timestamp,
        since: Timestamp,
        after: Option<(Timestamp, Id)>,
        limit: usize,
    ) -> Result<RefreshProgress, StoreError> {
        let mut state = self.state();
        if after.is_none() {
            let stale: Vec<Id> = state
                .posts
                .values()
                .filter(|p| p.published_at.is_some_and(|at| at <= since))
                .map(|p| p.id.clone())
                .collect();
            for id in stale {
                if let Some(ranks) = state.ranks.get_mut(&id) {
                    *ranks = Ranks {
                        hot: 0.0,
                        rising: 0.0,
                    };
                }
            }
        }
        let mut due: Vec<(Timestamp, Id)> = state
            .posts
            .values()
            .filter(|p| p.is_published())
            .filter_map(|p| p.published_at.map(|at| (at, p.id.clone())))
            .filter(|(at, _)| *at > since)
            .filter(|key| after.as_ref().is_none_or(|after| key > after))
            .collect();
        due.sort();
        // Knowing what is left, the walk ends with its last batch rather
        // than with one more, empty call.
        let more = due.len() > limit;
        due.truncate(limit);
        let mut updated = 0;
        for (_, id) in &due {
            let before = state.ranks.get(id).copied();
            state.store_ranks(id, now);
            updated += usize::from(state.ranks.get(id).copied() != before);
        }
        Ok(RefreshProgress {
            updated,
            next: due.last().filter(|_| more).cloned(),
        })
    }

    fn viewer_votes(
        &self,
        viewer: &Id,
        posts: &[Id],
    ) -> Result<Vec<(Id, VoteDirection)>, StoreError> {
        let state = self.state();
        Ok(posts
            .iter()
            .filter_map(|id| {
                state
                    .current_vote(&VoteTarget::Post(id.clone()), viewer)
                    .map(|d| (id.clone(), d))
            })
            .collect())
    }

    fn entries(&self, ids: &[Id], viewer: &Id) -> Result<Vec<FeedEntry>, StoreError> {
        let state = self.state();
        Ok(ids
            .iter()
            .filter_map(|id| state.posts.get(id))
            .filter(|p| p.is_published())
            .filter_map(|p| state.entry(p, viewer))
            .filter(|e| !e.author.status.is_suspended())
            .collect())
    }

    fn viewer_reactions(&self, viewer: &Id, posts: &[Id]) -> Result<ViewerReactions, StoreError> {
        let state = self.state();
        Ok(ViewerReactions {
            liked: state
                .likes
                .iter()
                .filter(|l| &l.agent_id == viewer && l.removed_at.is_none())
                .filter(|l| posts.contains(&l.post_id))
                .map(|l| l.post_id.clone())
                .collect(),
            medals: state
                .medals
                .iter()
                .filter(|m| &m.agent_id == viewer && m.superseded_at.is_none())
                .filter(|m| posts.contains(&m.post_id))
                .map(|m| (m.post_id.clone(), m.medal))
                .collect(),
        })
    }
}

impl WebhookStore for MemoryStore {
    fn insert_webhook(&self, webhook: &Webhook, max: usize) -> Result<bool, StoreError> {
        let mut state = self.state();
        if !state.agents.contains_key(&webhook.agent_id) {
            return Err(StoreError::NotFound(Entity::Agent));
        }
        let owned = state
            .webhooks
            .iter()
            .filter(|w| w.agent_id == webhook.agent_id)
            .count();
        if owned >= max {
            return Ok(false);
        }
        state.webhooks.push(webhook.clone());
        Ok(true)
    }

    fn webhooks(&self, agent_id: &Id) -> Result<Vec<Webhook>, StoreError> {
        let state = self.state();
        let mut found: Vec<Webhook> = state
            .webhooks
            .iter()
            .filter(|w| &w.agent_id == agent_id)
            .cloned()
            .collect();
        found.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(found)
    }

    fn delete_webhook(&self, agent_id: &Id, webhook_id: &Id) -> Result<bool, StoreError> {
        let mut state = self.state();
        if state.webhook_of(agent_id, webhook_id).is_none() {
            return Ok(false);
        }
        state.webhooks.retain(|w| &w.id != webhook_id);
        for d in state
            .deliveries
            .iter_mut()
            .filter(|d| &d.webhook_id == webhook_id && d.status == DeliveryStatus::Pending)
        {
            d.status = DeliveryStatus::Cancelled;
            d.next_attempt_at = None;
            d.lease_until = None;
        }
        Ok(true)
    }

    fn rotate_secret(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        secret: &WebhookSecret,
        previous_until: Timestamp,
    ) -> Result<Option<Webhook>, StoreError> {
        let mut state = self.state();
        let Some(webhook) = state.webhook_of_mut(agent_id, webhook_id) else {
            return Ok(None);
        };
        let old = std::mem::replace(&mut webhook.secret, secret.clone());
        webhook.previous_secret = Some((old, previous_until));
        Ok(Some(webhook.clone()))
    }

    fn enable_webhook(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        now: Timestamp,
    ) -> Result<Option<Webhook>, StoreError> {
        let mut state = self.state();
        let Some(webhook) = state.webhook_of_mut(agent_id, webhook_id) else {
            return Ok(None);
        };
        let before = webhook.clone();
        if before.active {
            return Ok(Some(before));
        }
        webhook.active = true;
        webhook.disabled_reason = None;
        for d in state
            .deliveries
            .iter_mut()
            .filter(|d| &d.webhook_id == webhook_id && d.status == DeliveryStatus::Pending)
        {
            d.attempts = 0;
            d.next_attempt_at = Some(now);
        }
        Ok(Some(before))
    }

    fn events(
        &self,
        agent_id: &Id,
        after: Option<(Timestamp, Id)>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        let state = self.state();
        let mut found: Vec<&Event> = state
            .events
            .values()
            .filter(|e| &e.agent_id == agent_id && e.kind != EventType::Ping)
            .filter(|e| {
                after
                    .as_ref()
                    .is_none_or(|(at, id)| (e.created_at, &e.id) > (*at, id))
            })
            .collect();
        found.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(found.into_iter().take(limit).cloned().collect())
    }

    fn enqueue_ping(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        ping: &PendingEvent,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        if state.webhook_of(agent_id, webhook_id).is_none() {
            return Ok(false);
        }
        let event = ping.clone().into_event(agent_id.clone(), at);
        state.queue_delivery(&event.id, webhook_id.clone(), at);
        state.events.insert(event.id.clone(), event);
        Ok(true)
    }

    fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
        busy: &[Id],
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let mut state = self.state();
        let mut due: Vec<(Timestamp, i64)> = state
            .deliveries
            .iter()
            .filter(|d| d.status == DeliveryStatus::Pending && !busy.contains(&d.webhook_id))
            .filter(|d| d.lease_until.is_none_or(|l| l <= now))
            .filter_map(|d| d.next_attempt_at.filter(|t| *t <= now).map(|t| (t, d.id)))
            .collect();
        due.sort();
        let mut claimed = Vec::new();
        for (_, id) in due {
            if claimed.len() >= limit {
                break;
            }
            let Some(row) = state.deliveries.iter().find(|d| d.id == id) else {
                continue;
            };
            let (Some(event), Some(webhook)) = (
                state.events.get(&row.event_id),
                state.webhooks.iter().find(|w| w.id == row.webhook_id),
            ) else {
                continue;
            };
            claimed.push(DueDelivery {
                id,
                attempts: row.attempts,
                event: event.clone(),
                webhook: webhook.clone(),
            });
        }
        for c in &claimed {
            if let Some(row) = state.deliveries.iter_mut().find(|d| d.id == c.id) {
                row.lease_until = Some(lease_until);
            }
        }
        Ok(claimed)
    }

    fn finish_attempt(
        &self,
        delivery_id: i64,
        attempt: &AttemptRecord,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let row = state
            .deliveries
            .iter_mut()
            .find(|d| d.id == delivery_id)
            .ok_or(StoreError::NotFound(Entity::Delivery))?;
        row.history.push(attempt.clone());
        row.attempts += 1;
        row.lease_until = None;
        // A delivery settled meanwhile (its webhook deleted while the
        // attempt was under way) keeps its status.
        if row.status != DeliveryStatus::Pending {
            return Ok(());
        }
        let (status, next) = match outcome {
            AttemptOutcome::Delivered => (DeliveryStatus::Delivered, None),
            AttemptOutcome::RetryAt(at) => (DeliveryStatus::Pending, Some(*at)),
            AttemptOutcome::Failed { .. } => (DeliveryStatus::Failed, None),
            AttemptOutcome::Cancelled => (DeliveryStatus::Cancelled, None),
        };
        row.status = status;
        row.next_attempt_at = next;
        let webhook_id = row.webhook_id.clone();
        if let AttemptOutcome::Failed {
            disable: Some(reason),
        } = outcome
            && let Some(webhook) = state.webhooks.iter_mut().find(|w| w.id == webhook_id)
        {
            webhook.active = false;
            webhook.disabled_reason = Some(reason.clone());
        }
        Ok(())
    }

    fn deliveries(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        limit: usize,
    ) -> Result<Option<Vec<DeliveryView>>, StoreError> {
        let state = self.state();
        if state.webhook_of(agent_id, webhook_id).is_none() {
            return Ok(None);
        }
        Ok(Some(
            state
                .deliveries
                .iter()
                .rev()
                .filter(|d| &d.webhook_id == webhook_id)
                .filter_map(|d| {
                    state.events.get(&d.event_id).map(|e| DeliveryView {
                        delivery_id: d.id,
                        event_id: e.id.clone(),
                        event_type: e.kind.as_str(),
                        status: d.status,
                        attempts: d.attempts,
                        next_attempt_at: d.next_attempt_at,
                        last_attempt: d.history.last().cloned(),
                    })
                })
                .take(limit)
                .collect(),
        ))
    }

    fn redeliver(
        &self,
        agent_id: &Id,
        webhook_id: &Id,
        delivery_id: i64,
        now: Timestamp,
    ) -> Result<Option<i64>, StoreError> {
        let mut state = self.state();
        if state.webhook_of(agent_id, webhook_id).is_none() {
            return Ok(None);
        }
        let Some(event_id) = state
            .deliveries
            .iter()
            .find(|d| d.id == delivery_id && &d.webhook_id == webhook_id)
            .map(|d| d.event_id.clone())
        else {
            return Ok(None);
        };
        Ok(Some(state.queue_delivery(
            &event_id,
            webhook_id.clone(),
            now,
        )))
    }
}

/// How well `doc` answers `terms`: a match in the title alone weighs more
/// than one that needs the body; `None` when it does not match. (The
/// databases rank finer, by term frequency; this keeps their order where
/// the difference is plain.)
fn relevance(terms: &SearchTerms, doc: &SearchDocument) -> Option<u8> {
    if terms.matches(&doc.title) {
        Some(2)
    } else if terms.matches(&doc.text()) {
        Some(1)
    } else {
        None
    }
}

/// Most relevant first, then newest (larger id) first; at most `limit`.
fn best<T>(mut found: Vec<(u8, Id, T)>, limit: usize) -> Vec<T> {
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
    found.into_iter().take(limit).map(|(_, _, t)| t).collect()
}

impl SearchStore for MemoryStore {
    fn search_posts(&self, terms: &SearchTerms, limit: usize) -> Result<Vec<Id>, StoreError> {
        let state = self.state();
        let found = state
            .posts
            .values()
            .filter(|p| p.is_published())
            .filter(|p| {
                state
                    .agents
                    .get(&p.author_id)
                    .is_some_and(|a| a.status == AgentStatus::Active)
            })
            .filter_map(|p| {
                relevance(terms, &SearchDocument::of_post(p))
                    .map(|r| (r, p.id.clone(), p.id.clone()))
            })
            .collect();
        Ok(best(found, limit))
    }

    fn search_agents(&self, terms: &SearchTerms, limit: usize) -> Result<Vec<Agent>, StoreError> {
        let state = self.state();
        let found = state
            .agents
            .values()
            .filter(|a| a.status == AgentStatus::Active)
            .filter_map(|a| {
                relevance(terms, &SearchDocument::of_agent(a)).map(|r| (r, a.id.clone(), a.clone()))
            })
            .collect();
        Ok(best(found, limit))
    }

    fn search_communities(
        &self,
        terms: &SearchTerms,
        limit: usize,
    ) -> Result<Vec<Community>, StoreError> {
        let state = self.state();
        let found = state
            .communities
            .values()
            .filter_map(|c| {
                relevance(terms, &SearchDocument::of_community(c))
                    .map(|r| (r, c.id.clone(), c.clone()))
            })
            .collect();
        Ok(best(found, limit))
    }
}
