//! Deterministic stand-ins for the clock, id and entropy ports, an
//! offline image fetcher and a recording webhook sender.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use aispace_domain::model::{Id, Timestamp, WebhookUrl};
use aispace_domain::ports::{Clock, Entropy, Ids, OutgoingWebhook, SendOutcome, WebhookSender};

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    pub fn at(t: Timestamp) -> Self {
        FixedClock(AtomicI64::new(t.as_millis()))
    }

    /// `2026-03-04T12:00:00.000Z`, the seed's example time.
    pub fn seed_time() -> Self {
        Self::at(Timestamp::from_millis(1_772_625_600_000))
    }

    pub fn set(&self, t: Timestamp) {
        self.0.store(t.as_millis(), Ordering::SeqCst);
    }

    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

/// Ids in generation order: `c000…1`, `c000…2`, …
#[derive(Debug, Default)]
pub struct SeqIds(AtomicU64);

impl Ids for SeqIds {
    fn new_id(&self) -> Id {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Id::from_parts(n, [0; 10])
    }
}

/// A seeded xorshift generator: reproducible "random" bytes.
#[derive(Debug)]
pub struct SeededEntropy(Mutex<u64>);

impl SeededEntropy {
    pub fn new(seed: u64) -> Self {
        SeededEntropy(Mutex::new(seed.max(1)))
    }
}

impl Entropy for SeededEntropy {
    fn fill(&self, buf: &mut [u8]) {
        let mut state = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for byte in buf {
            let mut x = *state;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *state = x;
            *byte = (x >> 24) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let clock = FixedClock::seed_time();
        assert_eq!(clock.now().to_string(), "2026-03-04T12:00:00.000Z");
        clock.advance(Duration::from_millis(1_500));
        assert_eq!(clock.now().to_string(), "2026-03-04T12:00:01.500Z");
    }

    #[test]
    fn seq_ids_sort_in_generation_order() {
        let ids = SeqIds::default();
        let (a, b) = (ids.new_id(), ids.new_id());
        assert!(a < b);
    }

    #[test]
    fn seeded_entropy_is_reproducible_and_not_constant() {
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        SeededEntropy::new(7).fill(&mut a);
        SeededEntropy::new(7).fill(&mut b);
        assert_eq!(a, b);
        assert!(a.iter().any(|x| *x != a[0]));
    }
}

/// A fetcher for tests that post by upload only: every fetch fails, as if
/// the network were unreachable (URL fetching has its own tests against
/// real servers in `aispace-outbound`).
#[derive(Debug, Default)]
pub struct OfflineFetcher;

impl aispace_domain::ports::ImageFetcher for OfflineFetcher {
    fn fetch(
        &self,
        _url: &aispace_domain::model::ImageUrl,
        _max_bytes: usize,
    ) -> Result<Vec<u8>, aispace_domain::ports::FetchError> {
        Err(aispace_domain::ports::FetchError::Failed("offline".into()))
    }
}

/// An image generator that fails every call as if the provider were
/// unreachable (calls to real providers are tested in `aispace-imagegen`
/// and end to end against a local fake provider).
#[derive(Debug, Default)]
pub struct OfflineGenerator;

impl aispace_domain::ports::ImageGenerator for OfflineGenerator {
    fn generate(
        &self,
        _provider: &aispace_domain::ports::ImageProvider,
        _prompt: &str,
        _max_bytes: usize,
    ) -> Result<Vec<u8>, aispace_domain::ports::GenerationError> {
        Err(aispace_domain::ports::GenerationError::Failed(
            "offline".into(),
        ))
    }
}

/// One delivery as [`RecordingSender`] saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentWebhook {
    pub url: String,
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
    pub body: String,
}

/// A webhook sender that sends nothing: it records every delivery and
/// answers with the outcomes queued by [`answer`](Self::answer) (then
/// `200`), refusing URLs whose host was [`deny`](Self::deny)-ed.
#[derive(Debug, Default)]
pub struct RecordingSender {
    sent: Mutex<Vec<SentWebhook>>,
    answers: Mutex<std::collections::VecDeque<SendOutcome>>,
    denied_hosts: Mutex<Vec<String>>,
}

impl RecordingSender {
    /// The next sends answer these, in order.
    pub fn answer(&self, outcome: SendOutcome) {
        lock(&self.answers).push_back(outcome);
    }

    /// `check` refuses URLs with this host from now on.
    pub fn deny(&self, host: &str) {
        lock(&self.denied_hosts).push(host.to_ascii_lowercase());
    }

    /// Everything sent so far, oldest first.
    pub fn sent(&self) -> Vec<SentWebhook> {
        lock(&self.sent).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The host of an http(s) URL: after the scheme and any userinfo, before
/// the port, path, query or fragment.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    host.to_ascii_lowercase()
}

impl WebhookSender for RecordingSender {
    fn check(&self, url: &WebhookUrl) -> Result<(), String> {
        let host = host_of(url.as_str());
        if lock(&self.denied_hosts).contains(&host) {
            Err(format!("{host} is not a public address"))
        } else {
            Ok(())
        }
    }

    fn send(&self, delivery: &OutgoingWebhook<'_>) -> SendOutcome {
        lock(&self.sent).push(SentWebhook {
            url: delivery.url.as_str().to_owned(),
            id: delivery.id.to_owned(),
            timestamp: delivery.timestamp,
            signature: delivery.signature.to_owned(),
            body: delivery.body.to_owned(),
        });
        lock(&self.answers)
            .pop_front()
            .unwrap_or(SendOutcome::Answered {
                status: 200,
                retry_after: None,
            })
    }
}

#[cfg(test)]
mod sender_tests {
    use super::*;

    #[test]
    fn hosts_are_found_behind_userinfo_and_before_ports() {
        for (url, host) in [
            ("https://Example.com/hook", "example.com"),
            ("http://u:p@10.0.0.1:8080/x?y", "10.0.0.1"),
            ("https://[::1]:443/", "::1"),
            ("https://a.b#frag", "a.b"),
        ] {
            assert_eq!(host_of(url), host, "{url}");
        }
    }

    #[test]
    fn answers_queued_outcomes_then_200_and_refuses_denied_hosts() {
        let sender = RecordingSender::default();
        let url = WebhookUrl::parse("https://hooks.example/in", false).unwrap();
        assert!(sender.check(&url).is_ok());
        sender.deny("hooks.example");
        assert!(sender.check(&url).is_err());
        sender.answer(SendOutcome::Failed("refused".into()));
        let out = OutgoingWebhook {
            url: &url,
            id: "e1",
            timestamp: 1,
            signature: "v1,x",
            body: "{}",
        };
        assert_eq!(sender.send(&out), SendOutcome::Failed("refused".into()));
        assert!(matches!(
            sender.send(&out),
            SendOutcome::Answered { status: 200, .. }
        ));
        assert_eq!(sender.sent().len(), 2);
        assert_eq!(sender.sent()[0].id, "e1");
    }
}
