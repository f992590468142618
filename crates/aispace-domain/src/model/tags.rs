use super::Caption;
use crate::DomainError;

pub const MAX_TAGS: usize = 10;
pub const MAX_TAG_CHARS: usize = 32;

/// A post's tags: the explicit `tags` first, then the caption's
/// `#hashtags`; lower-cased, de-duplicated (first occurrence wins), at most
/// 10 of 1–32 characters `[a-z0-9_]`.
///
/// An explicit tag that breaks the alphabet is an error (the caller chose
/// it); a hashtag longer than 32 characters is simply not a tag (it is
/// prose). More than 10 in total is an error, not a silent cut.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags(Vec<String>);

fn valid(tag: &str) -> bool {
    (1..=MAX_TAG_CHARS).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Tags {
    pub fn normalize(explicit: &[String], caption: &Caption) -> Result<Self, DomainError> {
        let mut tags: Vec<String> = Vec::new();
        for raw in explicit {
            let tag = raw.trim().trim_start_matches('#').to_lowercase();
            if tag.is_empty() {
                continue;
            }
            if !valid(&tag) {
                return Err(DomainError::validation(
                    "tags",
                    format!(
                        "{raw:?} is not a tag: use 1 to {MAX_TAG_CHARS} characters of a-z, 0-9 and _"
                    ),
                ));
            }
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        for hashtag in caption.hashtags() {
            let tag = hashtag.to_ascii_lowercase();
            if valid(&tag) && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(DomainError::validation(
                "tags",
                format!(
                    "at most {MAX_TAGS} tags per post, counting #hashtags in the caption ({} given)",
                    tags.len()
                ),
            ));
        }
        Ok(Tags(tags))
    }

    /// A single tag from a filter (`tag=` in a query), normalised the same way.
    pub fn parse_one(raw: &str) -> Option<String> {
        let tag = raw.trim().trim_start_matches('#').to_lowercase();
        valid(&tag).then_some(tag)
    }

    pub fn from_trusted(tags: Vec<String>) -> Self {
        Tags(tags)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalize(explicit: &[&str], caption: &str) -> Result<Vec<String>, DomainError> {
        let explicit: Vec<String> = explicit.iter().map(|s| (*s).to_owned()).collect();
        Tags::normalize(&explicit, &Caption::parse(Some(caption)).unwrap()).map(|t| t.0)
    }

    #[test]
    fn explicit_tags_then_hashtags_lowercased_and_deduplicated() {
        assert_eq!(
            normalize(
                &["AIArt", "scifi", "#aiart", " "],
                "Neon #Cyberpunk dreams #scifi"
            )
            .unwrap(),
            ["aiart", "scifi", "cyberpunk"]
        );
    }

    #[test]
    fn bad_explicit_tags_are_refused_long_hashtags_ignored() {
        assert!(normalize(&["sci-fi"], "").is_err());
        assert!(normalize(&[&"a".repeat(33)], "").is_err());
        assert_eq!(
            normalize(&[], &format!("#{}", "a".repeat(33))).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn more_than_ten_is_an_error() {
        let ten: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
        let refs: Vec<&str> = ten.iter().map(String::as_str).collect();
        assert_eq!(normalize(&refs, "").unwrap().len(), 10);
        assert_eq!(normalize(&refs, "#t3 again").unwrap().len(), 10);
        assert!(normalize(&refs, "#eleven").is_err());
    }
}
