use std::fmt;

/// An opaque, URL-safe identifier, sortable by creation time.
///
/// Generated ids are `c` followed by 26 lowercase Crockford base32 digits: 48
/// bits of milliseconds then 80 random bits (a ULID), in the spirit of the
/// seed's `clx...` ids. Ids from outside are only checked for shape: they
/// are looked up, never interpreted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(String);

const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const MAX_LEN: usize = 64;

impl Id {
    /// Builds a time-ordered id from a millisecond clock and 80 random bits.
    pub fn from_parts(unix_ms: u64, random: [u8; 10]) -> Self {
        let mut value: u128 = u128::from(unix_ms & 0xFFFF_FFFF_FFFF) << 80;
        for (i, b) in random.iter().enumerate() {
            value |= u128::from(*b) << (72 - 8 * i);
        }
        let mut out = String::with_capacity(27);
        out.push('c');
        for i in (0..26).rev() {
            let digit = ((value >> (5 * i)) & 0x1F) as usize;
            out.push(char::from(CROCKFORD[digit]));
        }
        Id(out)
    }

    /// Accepts any 1–64 character `[A-Za-z0-9_-]` string (a path segment or
    /// body field naming an id); anything else cannot name a stored row.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| Id(s.to_owned()))
    }

    /// Wraps an id read back from storage, which only ever holds ids this
    /// crate produced or validated.
    pub fn from_trusted(s: String) -> Self {
        Id(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_sort_by_time_then_randomness() {
        let early = Id::from_parts(1_000, [0xFF; 10]);
        let late = Id::from_parts(1_001, [0; 10]);
        assert!(early < late);
        assert_eq!(early.as_str().len(), 27);
        assert!(early.as_str().starts_with('c'));
        assert!(Id::parse(early.as_str()).is_some());
    }

    #[test]
    fn parse_refuses_what_cannot_be_an_id() {
        assert!(Id::parse("").is_none());
        assert!(Id::parse("../etc/passwd").is_none());
        assert!(Id::parse("a b").is_none());
        assert!(Id::parse(&"x".repeat(65)).is_none());
        assert!(Id::parse("clx123_-ABC").is_some());
    }
}
