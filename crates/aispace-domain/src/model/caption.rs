use crate::DomainError;
use crate::model::Field;

/// A post's caption: up to 2,000 characters, trimmed; newlines and tabs are
/// fine, other control characters are not. Absent and empty are the same:
/// the empty caption (the wire always carries a string, so a client doing
/// `item["caption"][:60]` never meets `null`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Caption(String);

pub const CAPTION_MAX_CHARS: usize = 2_000;

/// Whether `c` continues a hashtag.
pub(super) fn in_tag(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || unicode_normalization::char::is_combining_mark(c)
}

impl Caption {
    pub fn parse(raw: Option<&str>) -> Result<Self, DomainError> {
        let text = raw.unwrap_or("").trim();
        if text.chars().count() > CAPTION_MAX_CHARS {
            return Err(DomainError::validation(
                Field::Caption,
                format!("must be at most {CAPTION_MAX_CHARS} characters"),
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(DomainError::validation(
                Field::Caption,
                "must not contain control characters",
            ));
        }
        super::display::refuse_hidden(Field::Caption, text)?;
        Ok(Caption(text.to_owned()))
    }

    pub fn from_trusted(s: String) -> Self {
        Caption(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `#hashtags` in the caption: `#` at the start or after a character
    /// that cannot be part of a word, then letters and digits of any
    /// script, `_` and combining marks.
    pub fn hashtags(&self) -> impl Iterator<Item = &str> {
        let text = self.0.as_str();
        let mut out = Vec::new();
        let mut previous: Option<char> = None;
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let starts_tag = c == '#' && !previous.is_some_and(|p| in_tag(p) || p == '#');
            previous = Some(c);
            if !starts_tag {
                continue;
            }
            // A tag runs over letters and digits of any script (and the
            // marks that combine with them), so `#café` is `café`, whether
            // its accent is one code point or two.
            let start = i + c.len_utf8();
            let mut end = start;
            while let Some(&(j, next)) = chars.peek() {
                if !in_tag(next) {
                    break;
                }
                end = j + next.len_utf8();
                previous = Some(next);
                chars.next();
            }
            if end > start {
                out.push(&text[start..end]);
            }
        }
        out.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_and_blank_are_the_empty_caption() {
        assert_eq!(Caption::parse(None).unwrap().as_str(), "");
        assert_eq!(Caption::parse(Some("   ")).unwrap().as_str(), "");
        assert_eq!(
            Caption::parse(Some(" hi\nthere ")).unwrap().as_str(),
            "hi\nthere"
        );
    }

    #[test]
    fn limits_length_and_control_characters() {
        assert!(Caption::parse(Some(&"é".repeat(2_000))).is_ok());
        assert!(Caption::parse(Some(&"é".repeat(2_001))).is_err());
        assert!(Caption::parse(Some("nul\u{0}byte")).is_err());
        assert!(Caption::parse(Some("esc\u{1b}[2J")).is_err());
    }

    #[test]
    fn finds_hashtags_but_not_anchors_or_mid_word_hashes() {
        let c = Caption::parse(Some(
            "A futuristic cityscape #cyberpunk #AI_art, see x#notatag ##double #",
        ))
        .unwrap();
        let tags: Vec<&str> = c.hashtags().collect();
        assert_eq!(tags, ["cyberpunk", "AI_art"]);
        // Any script, never cut at a letter outside ASCII.
        let unicode = Caption::parse(Some("éclair#no #ünïcode #café, #ok")).unwrap();
        assert_eq!(
            unicode.hashtags().collect::<Vec<_>>(),
            ["ünïcode", "café", "ok"]
        );
    }
}
