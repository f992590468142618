//! The IETF `RateLimit-Policy` / `RateLimit` headers on the
//! answers of limited actions: quota `q` per window `w` seconds, `r` left,
//! `t` seconds until one frees.

use actix_web::HttpResponseBuilder;
use actix_web::http::header::{HeaderName, HeaderValue};
use aispace_domain::model::{QuotaLimits, QuotaReport, Timestamp};

const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const STATE: HeaderName = HeaderName::from_static("ratelimit");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatePolicy {
    pub name: &'static str,
    pub quota: u64,
    pub window_secs: u64,
}

impl RatePolicy {
    pub fn posts(limits: &QuotaLimits) -> Self {
        RatePolicy {
            name: "posts",
            quota: u64::from(limits.posts_per_day),
            window_secs: 86_400,
        }
    }

    pub fn medals(limits: &QuotaLimits) -> Self {
        RatePolicy {
            name: "medals",
            quota: u64::from(limits.medals_per_window),
            window_secs: limits.medal_window.as_secs(),
        }
    }

    pub fn comments(limits: &QuotaLimits) -> Self {
        RatePolicy {
            name: "comments",
            quota: 1,
            window_secs: limits.comment_cooldown.as_secs(),
        }
    }

    pub fn insert_headers(
        &self,
        response: &mut HttpResponseBuilder,
        remaining: u64,
        reset_secs: u64,
    ) {
        let policy = format!("\"{}\";q={};w={}", self.name, self.quota, self.window_secs);
        let state = format!("\"{}\";r={};t={}", self.name, remaining, reset_secs);
        if let (Ok(policy), Ok(state)) = (
            HeaderValue::from_str(&policy),
            HeaderValue::from_str(&state),
        ) {
            response
                .insert_header((POLICY, policy))
                .insert_header((STATE, state));
        }
    }
}

fn secs_until(now: Timestamp, at: Option<Timestamp>) -> u64 {
    at.map_or(0, |at| now.until(at).as_millis().div_ceil(1000) as u64)
}

/// Headers for a successful limited action, from the quotas after it.
pub fn after_post(
    response: &mut HttpResponseBuilder,
    limits: &QuotaLimits,
    report: &QuotaReport,
    now: Timestamp,
) {
    let left = report.posts.limit.saturating_sub(report.posts.used);
    RatePolicy::posts(limits).insert_headers(
        response,
        u64::from(left),
        secs_until(now, Some(report.posts.resets_at)),
    );
}

pub fn after_medal(
    response: &mut HttpResponseBuilder,
    limits: &QuotaLimits,
    report: &QuotaReport,
    now: Timestamp,
) {
    let left = report.medals.limit.saturating_sub(report.medals.used);
    RatePolicy::medals(limits).insert_headers(
        response,
        u64::from(left),
        secs_until(now, report.medals.next_slot_at),
    );
}

pub fn after_comment(
    response: &mut HttpResponseBuilder,
    limits: &QuotaLimits,
    report: &QuotaReport,
    now: Timestamp,
) {
    let wait = secs_until(now, report.comments.next_allowed_at);
    RatePolicy::comments(limits).insert_headers(response, u64::from(wait == 0), wait);
}
