//! Feed ordering and paging: `latest` by publication time, `rising` by a
//! documented engagement score with time decay, both with opaque cursors.

use crate::model::Field;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{Id, PostStats, Timestamp};
use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedSort {
    Latest,
    Rising,
}

impl FeedSort {
    pub fn parse(raw: Option<&str>) -> Result<Self, DomainError> {
        match raw.map(str::trim) {
            None | Some("") | Some("latest") => Ok(FeedSort::Latest),
            Some("rising") => Ok(FeedSort::Rising),
            Some(_) => Err(DomainError::validation(
                Field::Sort,
                "must be latest or rising",
            )),
        }
    }
}

pub const FEED_DEFAULT_LIMIT: usize = 20;
pub const FEED_MAX_LIMIT: usize = 50;

/// `limit` 1–50, default 20; out of range is an error, never clamped.
pub fn parse_limit(raw: Option<&str>, default: usize, max: usize) -> Result<usize, DomainError> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(DomainError::validation(
            Field::Limit,
            format!("must be an integer from 1 to {max}"),
        )),
    }
}

/// How far back `rising` looks.
pub const RISING_WINDOW_MS: i64 = 72 * 3_600_000;
/// `rising` pages go no deeper than this many posts.
pub const RISING_MAX_DEPTH: usize = 1_000;
/// Positional cursors go no deeper than this: deep OFFSET pages cost a
/// scan of everything before them.
pub const MAX_POSITION: usize = 10_000;

/// The `rising` score of a post at instant `at`:
///
/// ```text
/// engagement = 1 + likes + 2·comments + 5·gold + 3·silver + 2·bronze
/// score      = engagement / (age_hours + 2)^1.5
/// ```
///
/// where `age_hours` is the time from publication to `at`. Engagement
/// weighs deliberate acts above a tap; the decay lets a young post with a
/// little attention pass an old one with more, and the `+ 2` keeps brand-new
/// posts from dominating by dividing by almost nothing. Pure and
/// deterministic: the same counts and instants give the same score.
pub fn rising_score(stats: &PostStats, published_at: Timestamp, at: Timestamp) -> f64 {
    let engagement = 1.0
        + stats.likes as f64
        + 2.0 * stats.comments as f64
        + 5.0 * stats.medals.gold as f64
        + 3.0 * stats.medals.silver as f64
        + 2.0 * stats.medals.bronze as f64;
    let age_hours = (at.as_millis() - published_at.as_millis()).max(0) as f64 / 3_600_000.0;
    engagement / (age_hours + 2.0).powf(1.5)
}

/// Where the next page starts. Opaque on the wire (base64url of a small
/// versioned text), validated strictly on the way in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedCursor {
    /// After the post published at `.0` with id `.1` (newest first).
    Latest(Timestamp, Id),
    /// Page `offset` of the ranking taken at instant `snapshot`.
    Rising { snapshot: Timestamp, offset: usize },
    /// The item at this position of a ranked order, and those after it.
    Position(usize),
}

impl FeedCursor {
    pub fn encode(&self) -> String {
        let text = match self {
            FeedCursor::Latest(at, id) => format!("l1:{}:{}", at.as_millis(), id),
            FeedCursor::Rising { snapshot, offset } => {
                format!("r1:{}:{}", snapshot.as_millis(), offset)
            }
            FeedCursor::Position(offset) => format!("p1:{offset}"),
        };
        URL_SAFE_NO_PAD.encode(text)
    }

    pub fn decode(raw: &str) -> Result<Self, DomainError> {
        let invalid =
            || DomainError::validation(Field::Cursor, "is not a cursor this server issued");
        if raw.len() > 200 {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.splitn(3, ':');
        let (kind, first, second) = (parts.next(), parts.next(), parts.next());
        let ms: i64 = first.and_then(|s| s.parse().ok()).ok_or_else(invalid)?;
        match (kind, second) {
            (Some("l1"), Some(id)) => Ok(FeedCursor::Latest(
                Timestamp::from_millis(ms),
                Id::parse(id).ok_or_else(invalid)?,
            )),
            (Some("p1"), None) => {
                let offset = usize::try_from(ms).map_err(|_| invalid())?;
                if offset > super::MAX_POSITION {
                    return Err(invalid());
                }
                Ok(FeedCursor::Position(offset))
            }
            (Some("r1"), Some(offset)) => {
                let offset: usize = offset.parse().map_err(|_| invalid())?;
                if offset > RISING_MAX_DEPTH {
                    return Err(invalid());
                }
                Ok(FeedCursor::Rising {
                    snapshot: Timestamp::from_millis(ms),
                    offset,
                })
            }
            _ => Err(invalid()),
        }
    }
}

/// Comments page after (created_at, id), oldest first.
pub fn encode_comment_cursor(at: Timestamp, id: &Id) -> String {
    URL_SAFE_NO_PAD.encode(format!("c1:{}:{}", at.as_millis(), id))
}

pub fn decode_comment_cursor(raw: &str) -> Result<(Timestamp, Id), DomainError> {
    let invalid = || DomainError::validation(Field::Cursor, "is not a cursor this server issued");
    if raw.len() > 200 {
        return Err(invalid());
    }
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| invalid())?)
        .map_err(|_| invalid())?;
    let mut parts = text.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("c1"), Some(ms), Some(id)) => Ok((
            Timestamp::from_millis(ms.parse().map_err(|_| invalid())?),
            Id::parse(id).ok_or_else(invalid)?,
        )),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MedalCounts;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let latest = FeedCursor::Latest(
            Timestamp::from_millis(1_772_625_600_000),
            Id::parse("c01abc").unwrap(),
        );
        assert_eq!(FeedCursor::decode(&latest.encode()).unwrap(), latest);
        let rising = FeedCursor::Rising {
            snapshot: Timestamp::from_millis(5),
            offset: 40,
        };
        assert_eq!(FeedCursor::decode(&rising.encode()).unwrap(), rising);
        let position = FeedCursor::Position(40);
        assert_eq!(FeedCursor::decode(&position.encode()).unwrap(), position);
        assert!(FeedCursor::decode(&URL_SAFE_NO_PAD.encode("p1:10001")).is_err());
        assert!(FeedCursor::decode(&URL_SAFE_NO_PAD.encode("p1:-1")).is_err());
        for bad in [
            "",
            "garbage!",
            "bDE6eDpj",
            &URL_SAFE_NO_PAD.encode("r1:5:100000"),
            &URL_SAFE_NO_PAD.encode("l1:5:../x"),
            &"a".repeat(300),
        ] {
            assert!(FeedCursor::decode(bad).is_err(), "{bad:?}");
        }
        let c = encode_comment_cursor(Timestamp::from_millis(9), &Id::parse("c9").unwrap());
        assert_eq!(
            decode_comment_cursor(&c).unwrap().0,
            Timestamp::from_millis(9)
        );
        assert!(decode_comment_cursor(&latest.encode()).is_err());
    }

    #[test]
    fn limits_are_checked_not_clamped() {
        assert_eq!(parse_limit(None, 20, 50).unwrap(), 20);
        assert_eq!(parse_limit(Some("50"), 20, 50).unwrap(), 50);
        for bad in ["0", "51", "-1", "ten", ""] {
            assert!(parse_limit(Some(bad), 20, 50).is_err(), "{bad}");
        }
    }

    #[test]
    fn rising_prefers_young_engagement_and_is_deterministic() {
        let hour = 3_600_000;
        let now = Timestamp::from_millis(100 * hour);
        let quiet_new = PostStats::default();
        let busy_old = PostStats {
            likes: 10,
            comments: 2,
            medals: MedalCounts {
                gold: 1,
                silver: 0,
                bronze: 0,
            },
        };
        let young = rising_score(&quiet_new, Timestamp::from_millis(99 * hour), now);
        let old = rising_score(&busy_old, Timestamp::from_millis(52 * hour), now);
        // 1 / 3^1.5 = 0.192 versus 20 / 50^1.5 = 0.0566.
        assert!((young - 0.19245).abs() < 1e-4, "{young}");
        assert!((old - 0.05657).abs() < 1e-4, "{old}");
        assert_eq!(
            young,
            rising_score(&quiet_new, Timestamp::from_millis(99 * hour), now)
        );
        // Engagement counts: a gold medal outweighs four likes.
        let gold = PostStats {
            medals: MedalCounts {
                gold: 1,
                ..MedalCounts::default()
            },
            ..PostStats::default()
        };
        let likes = PostStats {
            likes: 4,
            ..PostStats::default()
        };
        let t = Timestamp::from_millis(99 * hour);
        assert!(rising_score(&gold, t, now) > rising_score(&likes, t, now));
    }
}
