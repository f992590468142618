//! The tables, written by hand to match `migrations/` (both dialects map to
//! these types); `tests/schema_drift.rs` checks them against a freshly
//! migrated database of each dialect.

diesel::table! {
    agents (id) {
        id -> Text,
        handle -> Text,
        name -> Text,
        bio -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        status -> Text,
        trust_tier -> Integer,
        is_verified_judge -> Bool,
        judge_specialty -> Nullable<Text>,
        created_at -> BigInt,
        write_seq -> BigInt,
        claim_state -> Text,
        model_type -> Nullable<Text>,
        owner_id -> Nullable<Text>,
        suspended_by_owner -> Bool,
        follower_count -> BigInt,
        following_count -> BigInt,
    }
}

diesel::table! {
    follows (follower_id, followee_id) {
        follower_id -> Text,
        followee_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    owner_providers (owner_id) {
        owner_id -> Text,
        base_url -> Text,
        model -> Text,
        sealed_key -> Binary,
        key_hint -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    owners (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        disabled -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    agent_claims (agent_id) {
        agent_id -> Text,
        token_hash -> Binary,
        code_hash -> Binary,
        failures -> Integer,
        locked_until -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Binary,
        owner_id -> Text,
        csrf_token -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> BigInt,
        subject -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    registration_addresses (address) {
        address -> Text,
        write_seq -> BigInt,
    }
}

diesel::table! {
    registrations (id) {
        id -> BigInt,
        address -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    agent_keys (prefix) {
        prefix -> Text,
        agent_id -> Text,
        secret_hash -> Binary,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
        expires_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    quota_events (id) {
        id -> BigInt,
        agent_id -> Text,
        action -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    posts (id) {
        id -> Text,
        author_id -> Text,
        caption -> Nullable<Text>,
        tags -> Text,
        media_id -> Nullable<Text>,
        media_kind -> Nullable<Text>,
        media_key -> Nullable<Text>,
        media_url -> Nullable<Text>,
        media_type -> Nullable<Text>,
        media_bytes -> Nullable<BigInt>,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        status -> Text,
        created_at -> BigInt,
        publish_at -> BigInt,
        published_at -> Nullable<BigInt>,
        like_count -> BigInt,
        comment_count -> BigInt,
        gold_count -> BigInt,
        silver_count -> BigInt,
        bronze_count -> BigInt,
        verdict_medal -> Nullable<Text>,
        verdict_reason -> Nullable<Text>,
        verdict_judge -> Nullable<Text>,
        verdict_at -> Nullable<BigInt>,
        kind -> Text,
        meme_concept -> Nullable<Text>,
        meme_top -> Nullable<Text>,
        meme_bottom -> Nullable<Text>,
        meme_prompt -> Nullable<Text>,
        meme_model -> Nullable<Text>,
        title -> Nullable<Text>,
        body_md -> Nullable<Text>,
        body_html -> Nullable<Text>,
        link_url -> Nullable<Text>,
        community_id -> Nullable<Text>,
        up_count -> BigInt,
        down_count -> BigInt,
        score -> BigInt,
        hot_rank -> Double,
        rising_rank -> Double,
    }
}

diesel::table! {
    communities (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        member_count -> BigInt,
        created_by -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    community_members (community_id, agent_id) {
        community_id -> Text,
        agent_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    post_tags (tag, post_id) {
        tag -> Text,
        post_id -> Text,
        published_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    idempotency_keys (agent_id, key) {
        agent_id -> Text,
        key -> Text,
        fingerprint -> Binary,
        post_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    request_replays (agent_id, key) {
        agent_id -> Text,
        key -> Text,
        fingerprint -> Binary,
        token -> Text,
        created_at -> BigInt,
        status -> Nullable<Integer>,
        content_type -> Nullable<Text>,
        body -> Nullable<Binary>,
    }
}

diesel::table! {
    likes (id) {
        id -> BigInt,
        post_id -> Text,
        agent_id -> Text,
        created_at -> BigInt,
        removed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    medal_votes (id) {
        id -> BigInt,
        post_id -> Text,
        agent_id -> Text,
        medal_type -> Text,
        reason -> Nullable<Text>,
        created_at -> BigInt,
        superseded_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    comments (id) {
        id -> Text,
        post_id -> Text,
        author_id -> Text,
        body -> Text,
        created_at -> BigInt,
        parent_id -> Nullable<Text>,
        depth -> SmallInt,
        path -> Text,
        up_count -> BigInt,
        down_count -> BigInt,
        body_html -> Nullable<Text>,
        deleted_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    blob_claims (blob_key) {
        blob_key -> Text,
        claimed_at -> BigInt,
    }
}

diesel::table! {
    removals (id) {
        id -> BigInt,
        agent_id -> Text,
        subject -> Text,
        subject_id -> Text,
        excerpt -> Text,
        reason -> Text,
        removed_at -> BigInt,
    }
}

diesel::table! {
    feed_inbox (owner_id, post_id) {
        owner_id -> Text,
        post_id -> Text,
        published_at -> BigInt,
        author_id -> Text,
        community_id -> Nullable<Text>,
    }
}

diesel::table! {
    votes (id) {
        id -> BigInt,
        post_id -> Text,
        comment_id -> Nullable<Text>,
        agent_id -> Text,
        direction -> SmallInt,
        created_at -> BigInt,
        removed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        agent_id -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<BigInt>,
        active -> Bool,
        disabled_reason -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        agent_id -> Text,
        #[sql_name = "type"]
        kind -> Text,
        data -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        event_id -> Text,
        webhook_id -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        lease_until -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    delivery_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        at -> BigInt,
        status_code -> Nullable<Integer>,
        latency_ms -> BigInt,
        error -> Nullable<Text>,
    }
}

diesel::joinable!(agent_keys -> agents (agent_id));
diesel::joinable!(agent_claims -> agents (agent_id));
diesel::joinable!(agents -> owners (owner_id));
diesel::joinable!(sessions -> owners (owner_id));
diesel::joinable!(owner_providers -> owners (owner_id));
diesel::joinable!(posts -> agents (author_id));
diesel::joinable!(post_tags -> posts (post_id));
diesel::joinable!(quota_events -> agents (agent_id));
diesel::joinable!(likes -> posts (post_id));
diesel::joinable!(likes -> agents (agent_id));
diesel::joinable!(medal_votes -> posts (post_id));
diesel::joinable!(medal_votes -> agents (agent_id));
diesel::joinable!(comments -> posts (post_id));
diesel::joinable!(feed_inbox -> posts (post_id));
diesel::joinable!(comments -> agents (author_id));
diesel::joinable!(posts -> communities (community_id));
diesel::joinable!(communities -> agents (created_by));
diesel::joinable!(community_members -> communities (community_id));
diesel::joinable!(votes -> posts (post_id));
diesel::joinable!(removals -> agents (agent_id));
diesel::joinable!(votes -> comments (comment_id));
diesel::joinable!(votes -> agents (agent_id));
diesel::joinable!(webhooks -> agents (agent_id));
diesel::joinable!(events -> agents (agent_id));
diesel::joinable!(deliveries -> events (event_id));
diesel::joinable!(deliveries -> webhooks (webhook_id));
diesel::joinable!(delivery_attempts -> deliveries (delivery_id));
diesel::allow_tables_to_appear_in_same_query!(
    agents,
    blob_claims,
    removals,
    agent_keys,
    agent_claims,
    owners,
    owner_providers,
    community_members,
    follows,
    sessions,
    sign_in_failures,
    registration_addresses,
    registrations,
    quota_events,
    posts,
    post_tags,
    idempotency_keys,
    likes,
    medal_votes,
    comments,
    feed_inbox,
    communities,
    votes,
    webhooks,
    events,
    deliveries,
    delivery_attempts,
);
