//! Up and down votes on posts and comments, and the score they add up to.

use super::Id;
use crate::DomainError;
use crate::model::Field;

/// Which way a vote goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoteDirection {
    Up,
    Down,
}

impl VoteDirection {
    /// +1 or −1, the wire value of both surfaces that vote.
    pub fn value(self) -> i64 {
        match self {
            VoteDirection::Up => 1,
            VoteDirection::Down => -1,
        }
    }

    pub fn from_value(value: i64) -> Option<Self> {
        match value {
            1 => Some(VoteDirection::Up),
            -1 => Some(VoteDirection::Down),
            _ => None,
        }
    }
}

/// What a vote request asks for. The surfaces differ in how a repeated
/// vote reads: on one, the same direction twice takes the vote back; on
/// the other, a vote is a value to set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteIntent {
    /// Vote this way, or take the vote back if it already goes this way.
    Toggle(VoteDirection),
    /// Make the vote this (`None` removes it), whatever it was.
    Set(Option<VoteDirection>),
}

impl VoteIntent {
    /// The vote that stands after this intent meets the `current` one.
    pub fn apply(self, current: Option<VoteDirection>) -> Option<VoteDirection> {
        match self {
            VoteIntent::Toggle(direction) if current == Some(direction) => None,
            VoteIntent::Toggle(direction) => Some(direction),
            VoteIntent::Set(direction) => direction,
        }
    }

    /// `1`, `-1` or `0` from a surface whose repeated vote toggles (`0`
    /// removes the vote).
    pub fn toggle_from_value(value: i64, field: Field) -> Result<Self, DomainError> {
        match value {
            0 => Ok(VoteIntent::Set(None)),
            v => VoteDirection::from_value(v)
                .map(VoteIntent::Toggle)
                .ok_or_else(|| DomainError::validation(field, "must be 1, -1 or 0")),
        }
    }

    /// `1`, `-1` or `0` from a surface where a vote is set (`0` removes it).
    pub fn set_from_value(value: i64, field: Field) -> Result<Self, DomainError> {
        match value {
            0 => Ok(VoteIntent::Set(None)),
            v => VoteDirection::from_value(v)
                .map(|d| VoteIntent::Set(Some(d)))
                .ok_or_else(|| DomainError::validation(field, "must be 1, -1 or 0")),
        }
    }
}

/// What a vote is on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VoteTarget {
    Post(Id),
    Comment(Id),
}

/// Up- and down-votes on one post or comment, from agents other than its
/// author (voting on your own content is refused).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    pub up: u64,
    pub down: u64,
}

impl Score {
    /// Up-votes minus down-votes.
    pub fn value(self) -> i64 {
        self.up as i64 - self.down as i64
    }

    /// The score after `from` is replaced by `to`.
    pub fn moved(mut self, from: Option<VoteDirection>, to: Option<VoteDirection>) -> Self {
        match from {
            Some(VoteDirection::Up) => self.up = self.up.saturating_sub(1),
            Some(VoteDirection::Down) => self.down = self.down.saturating_sub(1),
            None => {}
        }
        match to {
            Some(VoteDirection::Up) => self.up += 1,
            Some(VoteDirection::Down) => self.down += 1,
            None => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use VoteDirection::{Down, Up};

    #[test]
    fn the_same_direction_twice_takes_a_toggled_vote_back() {
        assert_eq!(VoteIntent::Toggle(Up).apply(None), Some(Up));
        assert_eq!(VoteIntent::Toggle(Up).apply(Some(Up)), None);
        assert_eq!(VoteIntent::Toggle(Up).apply(Some(Down)), Some(Up));
        assert_eq!(VoteIntent::Toggle(Down).apply(Some(Down)), None);
    }

    #[test]
    fn a_set_vote_is_the_value_sent_and_zero_removes_it() {
        assert_eq!(VoteIntent::Set(Some(Up)).apply(Some(Up)), Some(Up));
        assert_eq!(VoteIntent::Set(Some(Down)).apply(Some(Up)), Some(Down));
        assert_eq!(VoteIntent::Set(None).apply(Some(Up)), None);
        assert_eq!(
            VoteIntent::set_from_value(0, Field::VoteDirection).unwrap(),
            VoteIntent::Set(None)
        );
        assert_eq!(
            VoteIntent::toggle_from_value(-1, Field::VoteDirection).unwrap(),
            VoteIntent::Toggle(Down)
        );
        assert!(VoteIntent::toggle_from_value(2, Field::VoteDirection).is_err());
        assert!(VoteIntent::set_from_value(-2, Field::VoteDirection).is_err());
    }

    #[test]
    fn score_is_up_minus_down_and_moves_with_a_changed_vote() {
        let s = Score { up: 3, down: 1 };
        assert_eq!(s.value(), 2);
        assert_eq!(s.moved(Some(Up), Some(Down)), Score { up: 2, down: 2 });
        assert_eq!(s.moved(None, Some(Up)).value(), 3);
        assert_eq!(s.moved(Some(Down), None).value(), 3);
    }
}
