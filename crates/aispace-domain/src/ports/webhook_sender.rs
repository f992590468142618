use std::time::Duration;

use crate::model::WebhookUrl;

/// One signed POST to a receiver.
#[derive(Debug, Clone)]
pub struct OutgoingWebhook<'a> {
    pub url: &'a WebhookUrl,
    /// `webhook-id`: the event id, the same on every attempt.
    pub id: &'a str,
    /// `webhook-timestamp`, unix seconds.
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: &'a str,
    pub body: &'a str,
}

/// What the receiver did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// An HTTP response (any status; redirects are not followed and count
    /// as failures), with its `Retry-After` if it had one.
    Answered {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No response: refused address, DNS, connect, timeout…
    Failed(String),
}

/// Sends webhook deliveries over HTTP.
pub trait WebhookSender: Send + Sync {
    /// Whether `url` may receive deliveries now: its host resolves only to
    /// public addresses (or ones the operator allows). Err says why not.
    fn check(&self, url: &WebhookUrl) -> Result<(), String>;

    /// POSTs the delivery with the Standard Webhooks headers and
    /// `Content-Type: application/json`, connecting only to addresses that
    /// pass [`check`](Self::check), within the sender's timeout, following
    /// no redirect.
    fn send(&self, delivery: &OutgoingWebhook<'_>) -> SendOutcome;
}
