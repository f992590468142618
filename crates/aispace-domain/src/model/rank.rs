//! Ranks kept on each post so feeds read them off an index: `hot` (the
//! up/down surfaces' default order) and `rising` (the image feed's). Both
//! decay with age, so stored ranks are refreshed in bounded batches as
//! well as on every write that changes their inputs.

use super::{PostStats, Score, Timestamp};

const HOUR_MS: f64 = 3_600_000.0;

/// After this long a post's `hot` rank is 0.
pub const HOT_WINDOW_MS: i64 = 7 * 24 * 3_600_000;

/// Lemmy's hot rank at instant `at`:
///
/// ```text
/// hot = log10(max(2, score + 2)) / (age_hours + 2)^1.8,  0 after 7 days
/// ```
///
/// The logarithm makes the first votes count most; the decay lets new
/// posts pass old ones. Pure: the same inputs give the same rank.
pub fn hot_rank(score: i64, published_at: Timestamp, at: Timestamp) -> f64 {
    let age_ms = (at.as_millis() - published_at.as_millis()).max(0);
    if age_ms >= HOT_WINDOW_MS {
        return 0.0;
    }
    let votes = (score.saturating_add(2)).max(2) as f64;
    votes.log10() / (age_ms as f64 / HOUR_MS + 2.0).powf(1.8)
}

/// The ranks a post has at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranks {
    pub hot: f64,
    pub rising: f64,
}

/// What the ranks of a post are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankInput {
    pub published_at: Timestamp,
    pub score: Score,
    pub stats: PostStats,
}

impl Ranks {
    pub fn at(input: &RankInput, at: Timestamp) -> Ranks {
        Ranks {
            hot: hot_rank(input.score.value(), input.published_at, at),
            rising: super::rising_score(&input.stats, input.published_at, at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_follows_lemmy_and_ends_after_a_week() {
        let hour = 3_600_000;
        let t0 = Timestamp::from_millis(1_000 * hour);
        // A new post with no votes: log10(2) / 2^1.8.
        let fresh = hot_rank(0, t0, t0);
        assert!(
            (fresh - 2f64.log10() / 2f64.powf(1.8)).abs() < 1e-12,
            "{fresh}"
        );
        // Negative scores rank like zero; more votes rank higher.
        assert_eq!(hot_rank(-5, t0, t0), fresh);
        assert!(hot_rank(10, t0, t0) > fresh);
        // Decay: the same score an hour later ranks lower.
        let later = Timestamp::from_millis(1_001 * hour);
        assert!(hot_rank(10, t0, later) < hot_rank(10, t0, t0));
        // 8 after 10 hours: log10(10) / 12^1.8.
        let ten = hot_rank(8, t0, Timestamp::from_millis(1_010 * hour));
        assert!((ten - 1.0 / 12f64.powf(1.8)).abs() < 1e-12, "{ten}");
        let week = Timestamp::from_millis(1_000 * hour + HOT_WINDOW_MS);
        assert_eq!(hot_rank(1_000, t0, week), 0.0);
        // A post from the future ranks as brand new, not above it.
        assert_eq!(hot_rank(3, later, t0), hot_rank(3, t0, t0));
    }
}
