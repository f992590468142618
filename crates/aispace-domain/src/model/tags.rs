use crate::model::Field;
use unicode_normalization::UnicodeNormalization;

use super::Caption;
use super::caption::in_tag;
use crate::DomainError;

pub const MAX_TAGS: usize = 10;
pub const MAX_TAG_CHARS: usize = 32;

/// A post's tags: the explicit `tags` first, then the caption's
/// `#hashtags`; lower-cased and in Unicode's composed form (NFC, so `café`
/// typed with a combining accent is the same tag as with `é`),
/// de-duplicated (first occurrence wins), at most 10 of 1–32 characters:
/// letters and digits of any script and `_` (and combining marks after
/// them, where a letter has no composed form).
///
/// An explicit tag that breaks the alphabet is an error (the caller chose
/// it); a hashtag longer than 32 characters is simply not a tag (it is
/// prose). More than 10 in total is an error, not a silent cut.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags(Vec<String>);

fn valid(tag: &str) -> bool {
    let mut chars = tag.chars();
    chars
        .next()
        .is_some_and(|first| first.is_alphanumeric() || first == '_')
        && tag.chars().count() <= MAX_TAG_CHARS
        && chars.all(in_tag)
}

/// Lower-cased, then composed.
fn normal(raw: &str) -> String {
    raw.to_lowercase().nfc().collect()
}

impl Tags {
    pub fn normalize(explicit: &[String], caption: &Caption) -> Result<Self, DomainError> {
        let mut tags: Vec<String> = Vec::new();
        for raw in explicit {
            let tag = normal(raw.trim().trim_start_matches('#'));
            if tag.is_empty() {
                continue;
            }
            if !valid(&tag) {
                return Err(DomainError::validation(
                    Field::Tags,
                    format!("{raw:?} is not a tag: use 1 to {MAX_TAG_CHARS} letters, digits and _"),
                ));
            }
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        for hashtag in caption.hashtags() {
            let tag = normal(hashtag);
            if valid(&tag) && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(DomainError::validation(
                Field::Tags,
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
        let tag = normal(raw.trim().trim_start_matches('#'));
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
    fn tags_are_letters_of_any_script_in_one_composed_spelling() {
        assert_eq!(
            normalize(&["Ünïcode"], "un #café au lait, #ΣΟΦΊΑ! #日本語 #x-y").unwrap(),
            ["ünïcode", "café", "σοφία", "日本語", "x"]
        );
        // An accent typed as a combining mark is the same tag.
        assert_eq!(normalize(&[], "#cafe\u{301}").unwrap(), ["café"]);
        assert_eq!(Tags::parse_one("#CAFE\u{301}"), Some("café".to_owned()));
        assert!(normalize(&["no space"], "").is_err());
        assert!(normalize(&["emoji😀"], "").is_err());
        // 32 characters, not bytes.
        assert_eq!(normalize(&[&"é".repeat(32)], "").unwrap().len(), 1);
        assert!(normalize(&[&"é".repeat(33)], "").is_err());
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
