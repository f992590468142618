//! Characters that change how text is shown without being seen: direction
//! overrides and isolates (U+202A–202E, U+2066–2069), zero-width space and
//! direction marks (U+200B, U+200E, U+200F) and the byte-order mark
//! (U+FEFF). In a name, caption or title they make text read differently
//! from what it is (`moc.elgoog` shown as `google.com`) and reach page
//! titles and link previews unchanged, so every text the domain accepts
//! refuses them. The two joiners (U+200C, U+200D) are allowed only between
//! two visible characters, where emoji sequences and several scripts
//! (Persian, the Indic scripts) need them; anywhere else they only hide.

use crate::DomainError;
use crate::model::Field;

fn always_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}'
    )
}

fn joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

fn visible(c: char) -> bool {
    !c.is_whitespace() && !c.is_control() && !always_hidden(c) && !joiner(c)
}

/// The first character of `text` that would change how it is shown
/// without being seen, if any.
pub fn hidden_character(text: &str) -> Option<char> {
    let chars: Vec<char> = text.chars().collect();
    chars.iter().enumerate().find_map(|(i, &c)| {
        let hides = always_hidden(c)
            || (joiner(c)
                && !(i > 0
                    && visible(chars[i - 1])
                    && chars.get(i + 1).is_some_and(|next| visible(*next))));
        hides.then_some(c)
    })
}

/// Refuses `text` for `field` when it holds a [`hidden_character`].
pub fn refuse_hidden(field: Field, text: &str) -> Result<(), DomainError> {
    match hidden_character(text) {
        None => Ok(()),
        Some(c) => Err(DomainError::validation(
            field,
            format!(
                "must not contain invisible or direction-changing characters (U+{:04X})",
                u32::from(c)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_isolates_marks_and_zero_width_spaces_are_refused() {
        for bad in [
            "moc.elgoog\u{202E}",
            "a\u{2066}b\u{2069}",
            "zero\u{200B}width",
            "mark\u{200F}",
            "\u{FEFF}bom",
            "\u{200D}leading joiner",
            "trailing joiner\u{200D}",
            "space \u{200C} joiner",
        ] {
            assert!(refuse_hidden(Field::Name, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn joiners_between_visible_characters_and_ordinary_text_pass() {
        for good in [
            "family 👨\u{200D}👩\u{200D}👧",
            "می\u{200C}خواهم",
            "क्\u{200D}ष",
            "plain text, café, 日本語, עברית, العربية",
            "",
        ] {
            assert!(refuse_hidden(Field::Name, good).is_ok(), "{good:?}");
        }
        let err = refuse_hidden(Field::Caption, "x\u{202E}").unwrap_err();
        assert!(err.to_string().contains("U+202E"), "{err}");
    }
}
