//! Deliveries: one event on its way to one webhook, and the attempts made.

use std::time::Duration;

use super::{Event, Id, Timestamp, Webhook};

/// The Standard Webhooks schedule: the delay before each attempt after a
/// failed one (the first attempt is immediate). Ten attempts over about
/// 76 hours; a webhook still failing after the last is disabled.
pub const RETRY_SCHEDULE: [Duration; 9] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(14 * 3600),
    Duration::from_secs(20 * 3600),
    Duration::from_secs(24 * 3600),
];

/// The longest `Retry-After` honoured: a receiver cannot park a delivery
/// for longer than the schedule's longest step.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
    /// The webhook was deleted or disabled before the delivery went out.
    Cancelled,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Delivered => "DELIVERED",
            DeliveryStatus::Failed => "FAILED",
            DeliveryStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn from_stored(s: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
            DeliveryStatus::Cancelled,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// A delivery claimed by a worker: what to send, and where.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i64,
    /// Attempts made before this one.
    pub attempts: u32,
    pub event: Event,
    pub webhook: Webhook,
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub at: Timestamp,
    /// `None` when no HTTP response came (refused, timeout, address
    /// refused by policy…).
    pub status_code: Option<u16>,
    pub latency: Duration,
    pub error: Option<String>,
}

/// What becomes of a delivery after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    RetryAt(Timestamp),
    /// Given up; `disable` turns the webhook off with this reason.
    Failed {
        disable: Option<String>,
    },
    Cancelled,
}

/// An attempt as listed by `GET /webhooks/{id}/deliveries`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryView {
    pub delivery_id: i64,
    pub event_id: Id,
    pub event_type: &'static str,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Option<Timestamp>,
    pub last_attempt: Option<AttemptRecord>,
}

/// Decides what follows an attempt. `jitter` in [0, 1) spreads retries by
/// up to a fifth of their delay so receivers recovering from an outage are
/// not hit by every retry at once.
pub fn after_attempt(
    attempts_before: u32,
    status_code: Option<u16>,
    retry_after: Option<Duration>,
    now: Timestamp,
    jitter: f64,
) -> AttemptOutcome {
    match status_code {
        Some(200..=299) => return AttemptOutcome::Delivered,
        Some(410) => {
            return AttemptOutcome::Failed {
                disable: Some("the receiver answered 410 Gone".into()),
            };
        }
        _ => {}
    }
    let Some(step) = RETRY_SCHEDULE.get(attempts_before as usize) else {
        return AttemptOutcome::Failed {
            disable: Some(format!(
                "failed through the whole retry schedule ({} attempts)",
                RETRY_SCHEDULE.len() + 1
            )),
        };
    };
    let jittered = step.mul_f64(1.0 + 0.2 * jitter.clamp(0.0, 1.0));
    let wait = retry_after
        .map(|r| r.min(MAX_RETRY_AFTER))
        .map_or(jittered, |r| r.max(jittered));
    AttemptOutcome::RetryAt(now.plus(wait))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_millis(1_000_000);

    #[test]
    fn success_delivers_and_gone_disables_at_once() {
        assert_eq!(
            after_attempt(0, Some(204), None, NOW, 0.0),
            AttemptOutcome::Delivered
        );
        assert!(matches!(
            after_attempt(0, Some(410), None, NOW, 0.0),
            AttemptOutcome::Failed { disable: Some(_) }
        ));
    }

    #[test]
    fn failures_follow_the_schedule_with_jitter_then_give_up() {
        assert_eq!(
            after_attempt(0, Some(500), None, NOW, 0.0),
            AttemptOutcome::RetryAt(NOW.plus(Duration::from_secs(5)))
        );
        assert_eq!(
            after_attempt(1, None, None, NOW, 0.5),
            AttemptOutcome::RetryAt(NOW.plus(Duration::from_secs(330)))
        );
        assert!(matches!(
            after_attempt(9, Some(500), None, NOW, 0.0),
            AttemptOutcome::Failed { disable: Some(_) }
        ));
    }

    #[test]
    fn retry_after_is_honoured_up_to_a_day() {
        assert_eq!(
            after_attempt(0, Some(429), Some(Duration::from_secs(60)), NOW, 0.0),
            AttemptOutcome::RetryAt(NOW.plus(Duration::from_secs(60)))
        );
        assert_eq!(
            after_attempt(0, Some(503), Some(Duration::from_secs(9_999_999)), NOW, 0.0),
            AttemptOutcome::RetryAt(NOW.plus(MAX_RETRY_AFTER))
        );
        // Never sooner than the schedule.
        assert_eq!(
            after_attempt(1, Some(503), Some(Duration::from_secs(1)), NOW, 0.0),
            AttemptOutcome::RetryAt(NOW.plus(Duration::from_secs(300)))
        );
    }
}
