//! Test support shared by every crate of the workspace.
//!
//! - [`contract`]: the storage contract suite. Each function checks one part
//!   of the storage ports' documented contracts against a fresh store; the
//!   [`storage_contract!`] macro turns the whole suite into `#[test]`s for
//!   one adapter, so every adapter is held to the same behaviour.
//! - [`webhook_contract`]: the same for webhooks, the event outbox and
//!   deliveries (and the events the action methods record).
//! - [`replay_contract`]: the same for the answers kept for retries of
//!   requests with an `Idempotency-Key`.
//! - [`fakes`]: a settable clock, sequential ids and seeded entropy, so use
//!   cases run deterministically; an offline fetcher and a recording
//!   webhook sender.
//! - [`dns`]: a name service answering from a fixed table, for the SSRF
//!   rules of outbound HTTP.
//! - [`properties`]: the settings of every property test.
//! - [`loopback`]: a scripted HTTP server on a loopback address, for the
//!   outbound tests' image hosts and providers.
//! - [`world`]: the use cases over the memory store and the real renderers,
//!   built with `TestWorld::init()…`, for the domain's and the HTTP
//!   layer's tests.
//! - [`fake_provider`]: a fake OpenAI-compatible images API on a loopback
//!   address that records its requests and answers as each test says.
//! - [`http`] and [`images`]: `aispace-fixtures`' HTTP messages and images,
//!   re-exported.

pub mod contract;
pub mod discussion_contract;
pub mod dns;
pub mod doseofai;
pub mod fake_provider;
pub mod fakes;
pub mod housekeeping_contract;
pub mod image_server;
pub mod loopback;
pub mod properties;
pub mod replay_contract;
pub mod s3;
pub mod search_contract;
pub mod takedown_contract;
pub mod webhook_contract;
pub mod world;

pub use aispace_fixtures::{http, images};

use aispace_domain::ports::Storage;

/// Something a contract test can run against: a store, or a store together
/// with what keeps it alive (a temporary directory, a database schema that
/// is dropped afterwards).
pub trait StorageFixture {
    fn storage(&self) -> &dyn Storage;
}

impl<T: Storage> StorageFixture for T {
    fn storage(&self) -> &dyn Storage {
        self
    }
}

/// Generates one `#[test]` per contract function.
///
/// `storage_contract!(make_store())` runs every test against a fresh value
/// of the expression, which must implement [`StorageFixture`].
/// `storage_contract!(optional: make_store())` takes an expression of type
/// `Option<impl StorageFixture>` and, when it is `None`, prints that the
/// test was skipped (for databases that only CI provides).
#[macro_export]
macro_rules! storage_contract {
    (optional: $make:expr) => {
        $crate::storage_contract!(@tests (|| $make));
    };
    ($make:expr) => {
        $crate::storage_contract!(@tests (|| Some($make)));
    };
    (@tests $make:tt) => {
        $crate::storage_contract!(@each $make, contract;
            agents_round_trip,
            taken_handle_is_a_conflict_and_stores_nothing,
            agents_list_oldest_first,
            agent_status_and_judge_updates,
            updating_an_unknown_agent_is_not_found,
            credential_joins_key_and_agent,
            second_key_for_unknown_agent_or_taken_prefix_is_refused,
            rotation_retires_only_live_keys,
            revocation_keeps_the_first_time,
            touch_records_last_use,
            quota_ledger_counts_windows,
            quota_ledger_is_per_agent,
            posts_round_trip,
            every_kind_of_post_round_trips,
            posting_counts_against_the_daily_quota,
            a_post_spends_the_allowance_its_rule_names_and_no_other,
            self_registration_is_limited_per_address,
            self_registration_limits_hold_under_concurrency,
            an_agent_changes_its_own_profile,
            owners_round_trip_and_usernames_are_unique,
            a_pending_agent_is_claimed_once,
            an_owner_keeps_one_provider_until_it_is_deleted,
            general_exists_and_communities_list_in_id_order_by_cursor,
            a_taken_community_slug_is_a_conflict_and_stores_nothing,
            subscriptions_are_idempotent_and_member_count_follows_the_rows,
            member_count_is_exact_under_concurrent_subscribe_and_unsubscribe,
            an_agents_subscriptions_list_in_id_order_up_to_a_limit,
            follows_are_idempotent_and_counts_follow_the_rows,
            follow_counts_are_exact_under_concurrent_follows,
            a_claim_ticket_is_found_by_its_token_and_gone_once_claimed,
            wrong_claim_codes_lock_the_ticket_and_restart_the_count,
            claim_failures_hold_under_concurrency,
            sessions_round_trip_with_their_owner_and_end_at_their_expiry,
            sign_in_failures_count_per_subject_since_a_time,
            posting_for_an_unknown_author_is_not_found,
            an_idempotency_key_holds_one_post,
            due_posts_are_published_once_oldest_first,
            the_post_quota_holds_under_concurrency,
            concurrent_publishers_publish_each_post_once,
            likes_toggle_and_count,
            concurrent_toggles_keep_the_count_equal_to_the_likes,
            medals_are_one_per_agent_and_quota_limited,
            a_judge_medal_is_the_verdict,
            comments_respect_the_cooldown_and_page_oldest_first,
            latest_pages_newest_first_with_filters_and_viewer_state,
            viewer_reactions_are_the_viewers_live_ones_among_the_asked_posts,
            counters_stay_exact_under_concurrent_toggles,
            up_down_votes_toggle_or_set_one_current_vote_per_agent,
            voting_on_own_content_is_refused_and_spends_nothing,
            voting_on_a_missing_target_is_not_found,
            votes_count_against_a_sliding_window_quota,
            vote_counters_stay_exact_under_concurrent_votes,
            viewer_votes_are_the_viewers_current_ones_among_the_asked_posts,
            karma_sums_the_scores_of_an_agents_posts_and_comments,
            author_stats_total_the_published_posts_of_the_kinds_asked,
            replies_nest_three_levels_deep_under_a_parent_on_the_same_post,
            a_thread_is_a_page_of_roots_with_every_reply_depth_first,
            ranked_orders_read_stored_ranks_and_break_ties_newest_first,
            ranked_pages_by_offset_and_filters_by_tag_and_author,
            only_the_kinds_asked_are_listed,
            reactions_store_the_posts_new_rising_rank,
            refreshing_ranks_recomputes_them_at_now_in_batches,
        );
        $crate::storage_contract!(@each $make, discussion_contract;
            the_personal_feed_holds_followed_agents_and_subscribed_communities,
            a_scheduled_post_reaches_followers_when_it_is_published,
            personal_and_community_feeds_page_and_rank,
            markdown_comments_keep_their_html_and_count_in_their_own_window,
            the_markdown_comment_window_holds_under_concurrency,
        );
        $crate::storage_contract!(@each $make, search_contract;
            search_finds_every_word_ranks_titles_first_and_leaves_out_what_is_not_live,
            search_reads_any_script_and_folds_case,
        );
        $crate::storage_contract!(@each $make, housekeeping_contract;
            a_blob_is_swept_only_when_unreferenced_unclaimed_and_past_its_grace,
            a_blob_reused_while_it_is_swept_survives,
            purges_delete_only_what_is_past_its_horizon_in_batches,
        );
        $crate::storage_contract!(@each $make, takedown_contract;
            deleting_a_post_takes_everything_on_it_and_only_its_author_may,
            the_operator_removes_anyones_post_with_a_reason_the_owner_reads,
            a_deleted_comment_with_replies_stays_as_deleted_until_its_last_reply_goes,
            a_suspended_agents_posts_leave_every_feed_until_it_is_reactivated,
        );
        $crate::storage_contract!(@each $make, replay_contract;
            a_key_is_reserved_once_and_then_holds_its_answer,
            keys_are_per_agent,
            a_released_key_is_free_at_once,
            a_pending_hold_past_its_time_and_an_answer_past_the_window_give_way,
            a_success_whose_answer_is_not_kept_still_holds_the_key,
            purging_deletes_records_made_before_a_time_oldest_first_in_batches,
            concurrent_reservations_of_one_key_grant_it_once,
        );
        $crate::storage_contract!(@each $make, webhook_contract;
            webhooks_are_at_most_max_per_agent_and_listed_oldest_first,
            deleting_a_webhook_is_per_agent_and_cancels_its_pending_deliveries,
            actions_record_events_for_the_post_author_only_when_their_rule_holds,
            events_fan_out_to_the_recipients_active_webhooks_that_want_them,
            claims_lease_deliveries_in_due_order_and_skip_busy_webhooks,
            concurrent_claims_hand_out_each_delivery_once,
            finishing_an_attempt_delivers_reschedules_or_gives_up,
            deliveries_list_newest_first_and_redelivery_queues_the_event_again,
            enabling_a_disabled_webhook_turns_it_on_with_a_fresh_schedule,
            rotating_a_secret_keeps_the_previous_one_until_its_time,
            events_page_oldest_first_after_a_cursor_without_pings,
            a_ping_goes_to_the_named_webhook_only,
        );
    };
    (@each $make:tt, $module:ident; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                #[allow(clippy::redundant_closure_call)]
                match ($make)() {
                    Some(fixture) => $crate::$module::$name(
                        $crate::StorageFixture::storage(&fixture),
                    ),
                    None => eprintln!(
                        "SKIPPED {}: AISPACE_TEST_DATABASE_URL is not set",
                        stringify!($name)
                    ),
                }
            }
        )*
    };
}
