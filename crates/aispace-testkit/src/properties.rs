//! The settings every property test runs under, and the edits that take
//! a valid input to a near-valid one.

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;

/// `cases` generated inputs, and no failure files: a checkout is fresh in
/// CI, so a failure is reported with its shrunk input instead.
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// One edit that takes a valid input to a near-valid one: where the edges
/// of a parser are.
#[derive(Debug, Clone)]
pub enum Edit {
    Insert(Index, char),
    Delete(Index),
    Replace(Index, char),
    Truncate(Index),
    /// Pushes a bounded length past its limit.
    Repeat(usize),
    SwapCase,
    Pad(char),
}

impl Edit {
    pub fn apply(&self, s: &str) -> String {
        let mut chars: Vec<char> = s.chars().collect();
        let at = position;
        match self {
            Edit::Insert(i, c) => chars.insert(at(i, chars.len() + 1), *c),
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(at(i, chars.len()));
            }
            Edit::Replace(i, c) if !chars.is_empty() => {
                let i = at(i, chars.len());
                chars[i] = *c;
            }
            Edit::Truncate(i) => chars.truncate(at(i, chars.len() + 1)),
            Edit::Repeat(n) => return s.repeat(*n),
            Edit::SwapCase => {
                let swap = |c: char| {
                    if c.is_ascii_lowercase() {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                };
                return s.chars().map(swap).collect();
            }
            Edit::Pad(c) => return format!("{c}{s}{c}"),
            Edit::Delete(_) | Edit::Replace(..) => {}
        }
        chars.into_iter().collect()
    }
}

/// Where `i` falls in a sequence of `len` items (0 when it is empty).
pub fn position(i: &Index, len: usize) -> usize {
    if len == 0 { 0 } else { i.index(len) }
}

/// Edits at a position with characters from `odd`; with `reshape`, also
/// repeating the whole text, swapping its ASCII case and padding it.
pub fn edit(odd: BoxedStrategy<char>, reshape: bool) -> BoxedStrategy<Edit> {
    let at_a_position = prop_oneof![
        (any::<Index>(), odd.clone()).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<Index>().prop_map(Edit::Delete),
        (any::<Index>(), odd.clone()).prop_map(|(i, c)| Edit::Replace(i, c)),
        any::<Index>().prop_map(Edit::Truncate),
    ];
    if !reshape {
        return at_a_position.boxed();
    }
    let reshaping = prop_oneof![
        (2usize..4).prop_map(Edit::Repeat),
        Just(Edit::SwapCase),
        odd.prop_map(Edit::Pad),
    ];
    prop_oneof![4 => at_a_position, 3 => reshaping].boxed()
}

/// A valid value with one or two edits.
pub fn near(valid: BoxedStrategy<String>, edit: BoxedStrategy<Edit>) -> BoxedStrategy<String> {
    (valid, prop::collection::vec(edit, 1..3))
        .prop_map(|(s, edits)| edits.iter().fold(s, |s, e| e.apply(&s)))
        .boxed()
}
