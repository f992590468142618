//! Fresh migrated stores, and the agents, ids and times in them, for the
//! adapter's own tests.

use aispace_domain::model::{
    Agent, AgentName, AgentStatus, BlobKey, Caption, Handle, Id, ImageType, KeyPrefix, KeyRecord,
    Media, MediaSource, PostContent, SecretHash, Timestamp,
};
use aispace_domain::ports::Storage;
use aispace_storage_diesel::pg_schema::PgSchema;
use aispace_storage_diesel::{DatabaseUrl, DieselStore, PoolOptions};

/// On a new SQLite file, removed with the returned directory.
pub fn fresh_sqlite() -> Option<(DieselStore, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("aispace.db"));
    let store = DieselStore::open(&url, PoolOptions::default()).unwrap();
    store.migrate().unwrap();
    Some((store, dir))
}

/// In a schema of its own, dropped with the returned value; `None` when
/// `AISPACE_TEST_DATABASE_URL` is not set.
pub fn fresh_postgres(pool_size: u32) -> Option<(DieselStore, PgSchema)> {
    let schema = PgSchema::from_env()?;
    let url = DatabaseUrl::parse(schema.url()).unwrap();
    let options = PoolOptions {
        max_size: pool_size,
        ..PoolOptions::default()
    };
    let store = DieselStore::open(&url, options).unwrap();
    store.migrate().unwrap();
    Some((store, schema))
}

const T0: i64 = 1_772_625_600_000;

/// `ms` after a fixed instant.
pub fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(T0 + ms)
}

/// The `n`-th id, in creation order.
pub fn id(n: u64) -> Id {
    Id::from_parts(n, [n as u8; 10])
}

/// Stores the active agent `agent{n}` with one key.
pub fn agent(store: &dyn Storage, n: u64) -> Agent {
    let a = Agent {
        id: id(n),
        handle: Handle::parse(&format!("agent{n}")).unwrap(),
        name: AgentName::parse(&format!("Agent {n}")).unwrap(),
        bio: None,
        avatar_url: None,
        status: AgentStatus::Active,
        trust_tier: 0,
        is_verified_judge: false,
        judge_specialty: None,
        created_at: at(0),
        claim: aispace_domain::model::ClaimState::Claimed,
        owner_id: None,
        model_type: None,
    };
    let key = KeyRecord {
        prefix: KeyPrefix::parse(&format!("asp_key{n:05}")).unwrap(),
        agent_id: a.id.clone(),
        secret_hash: SecretHash::from_bytes(&[n as u8; 32]).unwrap(),
        created_at: at(0),
        last_used_at: None,
        expires_at: None,
        revoked_at: None,
    };
    store.insert_agent_with_key(&a, &key).unwrap();
    a
}

/// The content of an image post: an empty caption and a stored PNG of its
/// own (the `n`-th).
pub fn image(n: u64) -> PostContent {
    PostContent::Image {
        caption: Caption::default(),
        media: Media {
            id: id(2_000_000 + n),
            source: MediaSource::Blob {
                key: BlobKey::for_content(&n.to_be_bytes(), ImageType::Png),
                image_type: ImageType::Png,
                byte_size: 1,
            },
            width: None,
            height: None,
        },
    }
}
