//! Every domain parser the outside world reaches, fed arbitrary and
//! near-valid input (a valid value with one or two edits): none panics, and
//! each either yields a value that keeps its documented invariants or
//! refuses with the error the HTTP layer maps to the documented code
//! (`Validation` → INVALID_BODY, `ForbiddenUrl` → FORBIDDEN_URL,
//! `AuthError::MalformedKey` → INVALID_AGENT_KEY, `ImageError` →
//! UNSUPPORTED_MEDIA_TYPE).
//!
//! Failures are not persisted to files: proptest prints the shrunk input,
//! and a fix comes with a named regression test next to the code it fixes.
//! `PROPTEST_RNG_SEED` replays a run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use aispace_domain::model::{
    AgentName, ApiKey, AttemptOutcome, Bio, BlobKey, Caption, CommentBody, EventFilter, EventType,
    FeedCursor, FeedSort, Field, Handle, Id, IdempotencyKey, ImageError, ImageInfo, ImageType,
    ImageUrl, ImageUrlError, JudgeSpecialty, KeyFormat, MAX_RETRY_AFTER, MAX_TAGS, MedalType,
    RETRY_SCHEDULE, Tags, Timestamp, WebhookSecret, WebhookUrl, after_attempt,
    decode_comment_cursor, encode_comment_cursor, parse_limit, parse_reason, signature,
};
use aispace_domain::ports::Entropy;
use aispace_domain::{AuthError, DomainError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use proptest::sample::{Index, select};

use aispace_testkit::properties::{self, config, position};

// ---------------------------------------------------------------------------
// Generators

/// Characters that break naive parsers: controls, whitespace of every
/// kind, the separators the parsers split on, letters whose case mapping
/// lands in ASCII (the Kelvin sign lower-cases to `k`) or changes length
/// (`İ`), the BOM and the zero-width space.
const ODD: &[char] = &[
    '\0',
    '\t',
    '\n',
    '\r',
    '\u{7}',
    '\u{1b}',
    '\u{7f}',
    '\u{85}',
    '\u{a0}',
    '\u{2028}',
    '\u{3000}',
    '\u{200b}',
    '\u{feff}',
    ' ',
    '#',
    '.',
    ':',
    '/',
    '@',
    '%',
    '[',
    ']',
    '_',
    '-',
    ',',
    '"',
    '\\',
    '+',
    '=',
    'é',
    'ß',
    'İ',
    '\u{212a}',
    'ǅ',
    '😀',
    '\u{10ffff}',
    'A',
    'z',
    '0',
    '9',
];

fn odd_char() -> impl Strategy<Value = char> {
    prop_oneof![3 => select(ODD), 1 => any::<char>()]
}

/// Arbitrary text, any code point, up to `max` characters.
fn noise(max: usize) -> BoxedStrategy<String> {
    prop::collection::vec(prop_oneof![any::<char>(), odd_char()], 0..max)
        .prop_map(String::from_iter)
        .boxed()
}

/// A valid value with one or two edits: where the edges are.
fn near(valid: BoxedStrategy<String>) -> BoxedStrategy<String> {
    properties::near(valid, properties::edit(odd_char().boxed(), true))
}

/// Valid, near-valid and arbitrary input in one stream.
fn input(valid: BoxedStrategy<String>, noise_len: usize) -> BoxedStrategy<String> {
    prop_oneof![
        2 => valid.clone(),
        4 => near(valid),
        2 => noise(noise_len),
    ]
    .boxed()
}

fn re(pattern: &'static str) -> BoxedStrategy<String> {
    proptest::string::string_regex(pattern).unwrap().boxed()
}

// ---------------------------------------------------------------------------
// Oracles

fn validation_of<T: std::fmt::Debug>(result: &Result<T, DomainError>) -> Option<Field> {
    match result {
        Err(DomainError::Validation { field, .. }) => Some(*field),
        _ => None,
    }
}

/// A character a tag may hold after its first: a letter or digit of any
/// script, `_`, or a combining mark.
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || unicode_normalization::char::is_combining_mark(c)
}

/// Lower-cased, then composed (NFC).
fn canonical(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    raw.to_lowercase().nfc().collect()
}

fn is_canonical_tag(t: &str) -> bool {
    (1..=32).contains(&t.chars().count())
        && t.chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        && t.chars().all(word_char)
        && canonical(t) == t
}

fn is_url_safe(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The key shapes restated: `doseofai_` and exactly 64 lowercase hex
/// digits (the prefix is the mark and the first 12), or a prefix of 8–24
/// URL-safe characters not claiming the doseofai mark, a dot and a secret
/// of 43–128. Returns whether `raw` is a key, and its prefix.
fn expected_key_shape(raw: &str) -> (bool, &str) {
    if let Some(digits) = raw.strip_prefix("doseofai_") {
        let ok = digits.len() == 64
            && digits
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        return (ok, raw.get(..21).unwrap_or(""));
    }
    match raw.split_once('.') {
        Some((prefix, secret)) => (
            (8..=24).contains(&prefix.len())
                && is_url_safe(prefix)
                && (43..=128).contains(&secret.len())
                && is_url_safe(secret),
            prefix,
        ),
        None => (false, ""),
    }
}

/// The hashtag rule restated: a hashtag can only begin a maximal run of
/// word characters and `#` (any other `#` follows a word character or
/// another `#`), and it ends at the run's next `#`.
fn hashtags_by_runs(text: &str) -> Vec<&str> {
    text.split(|c: char| !(word_char(c) || c == '#'))
        .filter_map(|run| run.strip_prefix('#'))
        .filter_map(|rest| rest.split('#').next())
        .filter(|tag| !tag.is_empty())
        .collect()
}

/// Explicit tags first, then the caption's; lower-cased, first occurrence
/// wins; an explicit tag outside the alphabet or more than ten in all is
/// refused; an over-long hashtag is prose, not a tag.
fn expected_tags(explicit: &[String], caption: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for raw in explicit {
        let tag = canonical(raw.trim().trim_start_matches('#'));
        if tag.is_empty() {
            continue;
        }
        if !is_canonical_tag(&tag) {
            return None;
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    for hashtag in hashtags_by_runs(caption) {
        let tag = canonical(hashtag);
        if is_canonical_tag(&tag) && !out.contains(&tag) {
            out.push(tag);
        }
    }
    (out.len() <= MAX_TAGS).then_some(out)
}

/// No control character but those `allowed`, and nothing that changes
/// how text is shown unseen: no direction override, isolate or mark, no
/// zero-width space or byte-order mark, and a joiner only between two
/// visible characters.
fn printable(text: &str, allowed: &[char]) -> bool {
    let hidden = |c: char| {
        ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
            || ['\u{200B}', '\u{200E}', '\u{200F}', '\u{FEFF}'].contains(&c)
    };
    let joiner = |c: char| c == '\u{200C}' || c == '\u{200D}';
    let visible = |c: char| !c.is_whitespace() && !c.is_control() && !hidden(c) && !joiner(c);
    let chars: Vec<char> = text.chars().collect();
    chars.iter().enumerate().all(|(i, &c)| {
        (!c.is_control() || allowed.contains(&c))
            && !hidden(c)
            && (!joiner(c)
                || (i > 0
                    && visible(chars[i - 1])
                    && chars.get(i + 1).is_some_and(|n| visible(*n))))
    })
}

// ---------------------------------------------------------------------------
// Agents, keys and profile text

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn any_handle_input_yields_a_canonical_handle_or_a_handle_validation_error(
        raw in input(re("[ ]?[A-Za-z0-9_-]{1,34}[ ]?"), 40)
    ) {
        let folded = raw.trim().to_ascii_lowercase();
        let valid = (2..=32).contains(&folded.len())
            && folded
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'));
        let parsed = Handle::parse(&raw);
        match &parsed {
            Ok(handle) => {
                prop_assert!(valid, "{raw:?} accepted as {handle:?}");
                prop_assert_eq!(handle.as_str(), folded.as_str());
                prop_assert_eq!(&Handle::parse(handle.as_str()).unwrap(), handle);
            }
            Err(_) => {
                prop_assert!(!valid, "{raw:?} refused: {parsed:?}");
                prop_assert_eq!(validation_of(&parsed), Some(Field::Handle));
            }
        }
    }

    #[test]
    fn any_key_input_parses_only_in_the_documented_shape_else_is_malformed(
        raw in input(
            prop_oneof![
                (
                    re("asp_[a-z2-9]{8}|lol65b_[a-z2-9]{10}|[A-Za-z0-9_-]{6,26}"),
                    re("[A-Za-z0-9_-]{40,130}"),
                )
                    .prop_map(|(prefix, secret)| format!("{prefix}.{secret}")),
                re("doseofai_[0-9a-f]{60,68}"),
            ]
            .boxed(),
            200,
        )
    ) {
        let (shaped, prefix) = expected_key_shape(&raw);
        match ApiKey::parse(&raw) {
            Ok(key) => {
                prop_assert!(shaped, "{raw:?} accepted");
                prop_assert_eq!(key.expose(), raw.clone());
                prop_assert_eq!(key.prefix().as_str(), prefix);
                prop_assert_eq!(ApiKey::lookup_prefix(&raw), prefix);
                prop_assert!(key.secret().hash().matches(key.secret()));
            }
            Err(err) => {
                prop_assert!(!shaped, "{raw:?} refused");
                prop_assert_eq!(err, AuthError::MalformedKey);
            }
        }
    }

    #[test]
    fn any_doseofai_input_is_a_key_only_with_exactly_64_lowercase_hex_digits(
        raw in input(re("doseofai_[0-9a-f]{64}"), 80)
    ) {
        let digits = raw.strip_prefix("doseofai_");
        let shaped = digits.is_some_and(|d| {
            d.len() == 64 && d.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        match ApiKey::parse(&raw) {
            Ok(key) => {
                prop_assert!(shaped || digits.is_none(), "{raw:?} accepted");
                if shaped {
                    prop_assert_eq!(key.format(), Some(KeyFormat::Doseofai));
                    prop_assert_eq!(key.prefix().as_str(), &raw[..21]);
                    prop_assert_eq!(key.expose(), raw.clone());
                }
            }
            Err(err) => {
                prop_assert!(!shaped, "{raw:?} refused");
                prop_assert_eq!(err, AuthError::MalformedKey);
            }
        }
    }

    #[test]
    fn the_lookup_prefix_of_any_input_is_a_short_head_of_it(raw in noise(80)) {
        let prefix = ApiKey::lookup_prefix(&raw);
        prop_assert!(raw.starts_with(prefix));
        prop_assert!(prefix.len() <= 24, "{prefix:?}");
        prop_assert!(is_url_safe(prefix));
    }

    #[test]
    fn every_generated_key_parses_back_and_matches_its_own_hash_only(
        bytes in prop::collection::vec(any::<u8>(), 84),
        format in select(KeyFormat::ALL.to_vec()),
    ) {
        let first = ApiKey::generate(format, &Replay::new(bytes[..42].to_vec()));
        let second = ApiKey::generate(format, &Replay::new(bytes[42..].to_vec()));
        let shown = first.expose();
        let parsed = ApiKey::parse(&shown).unwrap();
        prop_assert_eq!(parsed.format(), Some(format));
        prop_assert!(shown.starts_with(format.mark()));
        let (prefix_len, len) = match format {
            KeyFormat::Asp => (12, 12 + 1 + 43),
            KeyFormat::Lol65b => (17, 17 + 1 + 43),
            KeyFormat::Doseofai => (21, 9 + 64),
        };
        prop_assert_eq!(parsed.prefix().as_str().len(), prefix_len);
        prop_assert_eq!(shown.len(), len);
        prop_assert!(first.secret().hash().matches(parsed.secret()));
        let secret_of = |key: &ApiKey| {
            let shown = key.expose();
            shown.split_once('.').map_or(shown.clone(), |(_, secret)| secret.to_owned())
        };
        if secret_of(&first) != secret_of(&second) {
            prop_assert!(!second.secret().hash().matches(parsed.secret()));
        }
    }

    #[test]
    fn any_profile_text_is_trimmed_bounded_and_printable_or_refused_by_field(
        raw in input(
            prop_oneof![re("[A-Za-z \t\n]{0,70}"), (60usize..70).prop_map(|n| "é".repeat(n)), (495usize..505).prop_map(|n| "b".repeat(n))].boxed(),
            80,
        )
    ) {
        let text = raw.trim();
        let chars = text.chars().count();

        let name = AgentName::parse(&raw);
        if !text.is_empty() && chars <= 64 && printable(text, &[]) {
            let name = name.unwrap();
            prop_assert_eq!(name.as_str(), text);
        } else {
            prop_assert_eq!(validation_of(&name), Some(Field::Name), "{:?}", raw);
        }

        let bio = Bio::parse(&raw);
        if chars <= 500 && printable(text, &['\n', '\t']) {
            let bio = bio.unwrap();
            prop_assert_eq!(bio.as_ref().map(Bio::as_str), (!text.is_empty()).then_some(text));
        } else {
            prop_assert_eq!(validation_of(&bio), Some(Field::Bio), "{:?}", raw);
        }

        let specialty = JudgeSpecialty::parse(&raw);
        if chars <= 64 && printable(text, &[]) {
            let specialty = specialty.unwrap();
            prop_assert_eq!(
                specialty.as_ref().map(JudgeSpecialty::as_str),
                (!text.is_empty()).then_some(text)
            );
        } else {
            prop_assert_eq!(validation_of(&specialty), Some(Field::Specialty), "{:?}", raw);
        }
    }

    #[test]
    fn any_idempotency_key_is_one_to_255_visible_ascii_or_refused(
        raw in input(re("[!-~]{1,10}|[a-z]{250,258}"), 40)
    ) {
        let valid = (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        let parsed = IdempotencyKey::parse(&raw);
        match &parsed {
            Ok(key) => {
                prop_assert!(valid);
                prop_assert_eq!(key.as_str(), raw.as_str());
            }
            Err(_) => {
                prop_assert!(!valid, "{raw:?} refused");
                prop_assert_eq!(validation_of(&parsed), Some(Field::IdempotencyKey));
            }
        }
    }

    #[test]
    fn any_id_is_a_short_url_safe_token_or_names_nothing(
        raw in input(re("c[0-9a-z]{26}|[A-Za-z0-9_-]{60,66}"), 80)
    ) {
        let valid = (1..=64).contains(&raw.len()) && is_url_safe(&raw);
        match Id::parse(&raw) {
            Some(id) => {
                prop_assert!(valid);
                prop_assert_eq!(id.as_str(), raw.as_str());
            }
            None => prop_assert!(!valid, "{raw:?} refused"),
        }
    }

    #[test]
    fn generated_ids_parse_and_sort_by_their_time(
        (a, b) in (0u64..1 << 48, 0u64..1 << 48),
        (ra, rb) in (any::<[u8; 10]>(), any::<[u8; 10]>())
    ) {
        let (ia, ib) = (Id::from_parts(a, ra), Id::from_parts(b, rb));
        prop_assert_eq!(Id::parse(ia.as_str()), Some(ia.clone()));
        prop_assert_eq!(ia.as_str().len(), 27);
        if a < b {
            prop_assert!(ia < ib);
        }
    }
}

/// Entropy that hands out fixed bytes, so generated keys are a function of
/// the test's input.
struct Replay(std::sync::Mutex<std::vec::IntoIter<u8>>);

impl Replay {
    fn new(bytes: Vec<u8>) -> Self {
        Replay(std::sync::Mutex::new(bytes.into_iter()))
    }
}

impl Entropy for Replay {
    fn fill(&self, buf: &mut [u8]) {
        let mut bytes = self.0.lock().unwrap();
        for b in buf {
            *b = bytes.next().unwrap_or(0);
        }
    }
}

// ---------------------------------------------------------------------------
// Posts: caption, tags, image URL, publish time, image bytes, blob keys

fn caption_like() -> BoxedStrategy<String> {
    prop::collection::vec(
        prop_oneof![
            re("#[A-Za-z0-9_]{0,40}"),
            re("[A-Za-z0-9]{1,8}"),
            re("[ #_.,\n]{1,2}"),
            select(&['é', 'ß', '\u{212a}', 'İ', '😀'][..]).prop_map(String::from),
        ],
        0..30,
    )
    .prop_map(|parts| parts.concat())
    .boxed()
}

fn tag_like() -> BoxedStrategy<String> {
    re("[ ]?#?[A-Za-z0-9_]{1,33}[ ]?")
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn any_caption_is_trimmed_bounded_and_printable_or_a_caption_validation_error(
        raw in input(
            prop_oneof![
                4 => caption_like(),
                1 => (1_995usize..2_005).prop_map(|n| "é".repeat(n)),
            ]
            .boxed(),
            200,
        )
    ) {
        let text = raw.trim();
        let valid = text.chars().count() <= 2_000 && printable(text, &['\n', '\r', '\t']);
        let parsed = Caption::parse(Some(&raw));
        match &parsed {
            Ok(caption) => {
                prop_assert!(valid, "{raw:?} accepted");
                prop_assert_eq!(caption.as_str(), text);
                prop_assert_eq!(caption.hashtags().collect::<Vec<_>>(), hashtags_by_runs(text));
            }
            Err(_) => {
                prop_assert!(!valid, "{raw:?} refused");
                prop_assert_eq!(validation_of(&parsed), Some(Field::Caption));
            }
        }
    }

    #[test]
    fn hashtags_of_any_text_are_words_after_a_non_word_hash(text in input(caption_like(), 100)) {
        let caption = Caption::from_trusted(text.clone());
        let found: Vec<&str> = caption.hashtags().collect();
        prop_assert_eq!(&found, &hashtags_by_runs(&text));
        for tag in found {
            prop_assert!(!tag.is_empty());
            prop_assert!(tag.chars().all(word_char));
        }
    }

    #[test]
    fn any_tags_input_yields_canonical_tags_or_a_tags_validation_error(
        explicit in prop::collection::vec(input(tag_like(), 40), 0..13),
        caption in caption_like(),
    ) {
        let caption = Caption::parse(Some(&caption)).unwrap();
        let normalized = Tags::normalize(&explicit, &caption);
        match (&normalized, expected_tags(&explicit, caption.as_str())) {
            (Ok(tags), Some(expected)) => {
                let tags = tags.as_slice();
                prop_assert_eq!(tags, expected.as_slice());
                prop_assert!(tags.len() <= MAX_TAGS);
                prop_assert!(tags.iter().all(|t| is_canonical_tag(t)));
                for (i, t) in tags.iter().enumerate() {
                    prop_assert!(!tags[..i].contains(t), "{t} twice");
                }
            }
            (Err(_), None) => prop_assert_eq!(validation_of(&normalized), Some(Field::Tags)),
            (got, expected) => prop_assert!(false, "{explicit:?} + {caption:?}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn any_tag_filter_is_one_canonical_tag_or_none(raw in input(tag_like(), 40)) {
        let normalized = canonical(raw.trim().trim_start_matches('#'));
        match Tags::parse_one(&raw) {
            Some(tag) => {
                prop_assert!(is_canonical_tag(&tag));
                prop_assert_eq!(tag, normalized);
            }
            None => prop_assert!(!is_canonical_tag(&normalized), "{raw:?} refused"),
        }
    }

    #[test]
    fn any_image_url_is_an_http_url_with_a_host_or_refused_with_its_code(
        raw in input(url_like(), 100)
    ) {
        let parsed = ImageUrl::parse(&raw);
        match (&parsed, expected_url_shape(&raw, 2_048)) {
            (Ok(url), Shape::Ok) => {
                prop_assert_eq!(url.as_str(), raw.trim());
                prop_assert_eq!(ImageUrl::parse(url.as_str()).unwrap(), url.clone());
            }
            (Err(ImageUrlError::Invalid(_)), Shape::Invalid)
            | (Err(ImageUrlError::Forbidden(_)), Shape::Forbidden) => {}
            (got, expected) => prop_assert!(false, "{raw:?}: got {got:?}, expected {expected:?}"),
        }
        let domain = parsed.map_err(DomainError::from);
        prop_assert!(
            matches!(
                domain,
                Ok(_) | Err(DomainError::ForbiddenUrl(_)) | Err(DomainError::Validation { field: Field::ImageUrl, .. })
            ),
            "{:?}",
            domain
        );
    }

    #[test]
    fn any_rfc3339_input_parses_to_a_timestamp_that_prints_and_parses_back(
        raw in input(rfc3339().prop_map(|(s, _)| s).boxed(), 40)
    ) {
        if let Some(at) = Timestamp::parse_rfc3339(&raw) {
            // Years outside 0000–9999 have no RFC 3339 spelling; an offset
            // can push a parsed time just outside.
            if (MIN_RFC3339_MS..=MAX_RFC3339_MS).contains(&at.as_millis()) {
                prop_assert_eq!(Timestamp::parse_rfc3339(&at.to_string()), Some(at), "{:?}", raw);
            }
        }
    }

    #[test]
    fn rfc3339_times_with_any_offset_and_precision_mean_their_utc_millisecond(
        (raw, expected) in rfc3339()
    ) {
        prop_assert_eq!(Timestamp::parse_rfc3339(&raw), Some(Timestamp::from_millis(expected)), "{:?}", raw);
    }

    #[test]
    fn every_timestamp_in_range_prints_as_wire_rfc3339_and_parses_back(
        ms in MIN_RFC3339_MS..=MAX_RFC3339_MS
    ) {
        let at = Timestamp::from_millis(ms);
        let shown = at.to_string();
        prop_assert_eq!(shown.len(), 24, "{}", shown);
        prop_assert!(shown.ends_with('Z'));
        prop_assert_eq!(Timestamp::parse_rfc3339(&shown), Some(at));
    }

    #[test]
    fn any_blob_name_parses_only_as_a_content_address(
        raw in input(
            (re("[0-9a-f]{64}"), select(&["png", "jpg", "webp", "jpeg", "PNG", "gif", "png.png"][..]))
                .prop_map(|(hash, ext)| format!("raw/{hash}.{ext}"))
                .boxed(),
            90,
        )
    ) {
        let shaped = raw.strip_prefix("raw/").and_then(|name| name.split_once('.')).is_some_and(|(hash, ext)| {
            hash.len() == 64
                && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                && ["png", "jpg", "webp"].contains(&ext)
        });
        match BlobKey::parse(&raw) {
            Some(key) => {
                prop_assert!(shaped, "{raw:?} accepted");
                prop_assert_eq!(key.as_str(), raw.as_str());
                prop_assert_eq!(key.content_hash(), &raw[4..68]);
                prop_assert_eq!(key.image_type().map(ImageType::extension), raw.rsplit('.').next());
            }
            None => prop_assert!(!shaped, "{raw:?} refused"),
        }
    }

    #[test]
    fn every_stored_blob_key_parses_back(
        bytes in prop::collection::vec(any::<u8>(), 0..64),
        image_type in select(&[ImageType::Jpeg, ImageType::Png, ImageType::Webp][..])
    ) {
        let key = BlobKey::for_content(&bytes, image_type);
        prop_assert_eq!(BlobKey::parse(key.as_str()), Some(key.clone()));
        prop_assert_eq!(key.image_type(), Some(image_type));
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Shape {
    Ok,
    Invalid,
    Forbidden,
}

fn url_like() -> BoxedStrategy<String> {
    let scheme = select(
        &[
            "http",
            "https",
            "HTTP",
            "hTtPs",
            "ftp",
            "file",
            "javascript",
            "data",
            "",
            "http:",
            "https:/",
        ][..],
    );
    let userinfo = select(&["", "", "user@", "user:pw@", "evil.com@", "@", ":@"][..]);
    let host = select(
        &[
            "example.com",
            "127.0.0.1",
            "2130706433",
            "0x7f.1",
            "[::1]",
            "[::ffff:127.0.0.1]",
            "",
            ":80",
            "ⓛocalhost",
            "xn--nxasmq6b",
            "%31%32%37.0.0.1",
            "localhost.",
            "a",
        ][..],
    );
    let port = select(&["", "", ":", ":80", ":0", ":65536", ":99999999999", ":x"][..]);
    let path = re("(/[A-Za-z0-9._~%?#=&@-]{0,12}){0,3}");
    (scheme, userinfo, host, port, path)
        .prop_map(|(s, u, h, p, path)| format!("{s}://{u}{h}{p}{path}"))
        .boxed()
}

/// What an image URL's shape rule says of `raw`: only the shape; whether
/// the host may be reached is the fetcher's decision.
fn expected_url_shape(raw: &str, max_len: usize) -> Shape {
    let url = raw.trim();
    if url.is_empty() || url.len() > max_len {
        return Shape::Invalid;
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Shape::Invalid;
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Shape::Invalid;
    };
    if !["http", "https"].contains(&scheme.to_ascii_lowercase().as_str()) {
        return Shape::Forbidden;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        Shape::Invalid
    } else {
        Shape::Ok
    }
}

/// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z.
const MIN_RFC3339_MS: i64 = -62_167_219_200_000;
const MAX_RFC3339_MS: i64 = 253_402_300_799_999;

/// A well-formed RFC 3339 time (any offset within ±23:59, 0–9 fraction
/// digits, `T`/`t`, `Z`/`z`), with the UTC millisecond it means
/// (sub-millisecond digits truncated).
fn rfc3339() -> impl Strategy<Value = (String, i64)> {
    // A day inside the range on both sides, so every offset stays in it.
    let day = 86_400_000;
    (
        MIN_RFC3339_MS + day..=MAX_RFC3339_MS - day,
        -1_439i32..=1_439,
        0usize..=9,
        re("[0-9]{6}"),
        select(&['T', 't'][..]),
        any::<bool>(),
    )
        .prop_map(|(ms, offset_min, digits, extra, sep, lower_z)| {
            let offset = time::UtcOffset::from_whole_seconds(offset_min * 60).unwrap();
            let local = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .unwrap()
                .to_offset(offset);
            let fraction = format!("{:03}{extra}", local.millisecond());
            let fraction = &fraction[..digits];
            let zone = if offset_min == 0 {
                if lower_z {
                    "z".to_owned()
                } else {
                    "Z".to_owned()
                }
            } else {
                let sign = if offset_min < 0 { '-' } else { '+' };
                let abs = offset_min.unsigned_abs();
                format!("{sign}{:02}:{:02}", abs / 60, abs % 60)
            };
            let text = format!(
                "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}{}{fraction}{zone}",
                local.year(),
                u8::from(local.month()),
                local.day(),
                local.hour(),
                local.minute(),
                local.second(),
                if digits > 0 { "." } else { "" },
            );
            // Fewer than three digits keep only what they say.
            let unit = 10i64.pow(3u32.saturating_sub(digits as u32));
            let expected = ms.div_euclid(1_000) * 1_000 + ms.rem_euclid(1_000) / unit * unit;
            (text, expected)
        })
}

// ---------------------------------------------------------------------------
// Image bytes

use aispace_testkit::images::png_header as png;

fn jpeg(sof: u8, width: u16, height: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    out.extend(b"JFIF\0");
    out.extend([1, 1, 0, 0, 1, 0, 1, 0, 0]);
    out.extend([0xFF, sof, 0x00, 0x0B, 0x08]);
    out.extend(height.to_be_bytes());
    out.extend(width.to_be_bytes());
    out.extend([0x01, 0x01, 0x11, 0x00]);
    out.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
    out.extend([0x12, 0x34, 0xFF, 0xD9]);
    out
}

fn riff(fourcc: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = b"RIFF".to_vec();
    out.extend(((4 + 8 + data.len()) as u32).to_le_bytes());
    out.extend(b"WEBP");
    out.extend(fourcc);
    out.extend((data.len() as u32).to_le_bytes());
    out.extend(data);
    out
}

fn webp_lossy(width: u16, height: u16) -> Vec<u8> {
    let mut data = vec![0x50, 0x02, 0x00, 0x9D, 0x01, 0x2A];
    data.extend(width.to_le_bytes());
    data.extend(height.to_le_bytes());
    data.extend([0; 8]);
    riff(b"VP8 ", &data)
}

fn webp_lossless(bits: u32) -> Vec<u8> {
    let mut data = vec![0x2F];
    data.extend(bits.to_le_bytes());
    data.extend([0; 4]);
    riff(b"VP8L", &data)
}

fn webp_extended(width_minus_one: u32, height_minus_one: u32) -> Vec<u8> {
    let mut data = vec![0x10, 0, 0, 0];
    data.extend(&width_minus_one.to_le_bytes()[..3]);
    data.extend(&height_minus_one.to_le_bytes()[..3]);
    riff(b"VP8X", &data)
}

#[derive(Debug, Clone)]
enum ByteEdit {
    Set(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    Truncate(Index),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Set(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        any::<Index>().prop_map(ByteEdit::Delete),
        any::<Index>().prop_map(ByteEdit::Truncate),
    ]
}

fn apply_bytes(mut bytes: Vec<u8>, edit: &ByteEdit) -> Vec<u8> {
    match edit {
        ByteEdit::Set(i, b) if !bytes.is_empty() => {
            let at = position(i, bytes.len());
            bytes[at] = *b;
        }
        ByteEdit::Insert(i, b) => bytes.insert(position(i, bytes.len() + 1), *b),
        ByteEdit::Delete(i) if !bytes.is_empty() => {
            bytes.remove(position(i, bytes.len()));
        }
        ByteEdit::Truncate(i) => bytes.truncate(position(i, bytes.len() + 1)),
        ByteEdit::Set(..) | ByteEdit::Delete(_) => {}
    }
    bytes
}

fn dimension() -> impl Strategy<Value = u32> {
    prop_oneof![
        0u32..4,
        1u32..20_000,
        any::<u32>(),
        Just((1 << 31) - 1),
        Just(1 << 31)
    ]
}

fn valid_image() -> BoxedStrategy<Vec<u8>> {
    let sof = select(
        &[
            0xC0u8, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF,
        ][..],
    );
    prop_oneof![
        (dimension(), dimension()).prop_map(|(w, h)| png(w, h)),
        (sof, any::<u16>(), any::<u16>()).prop_map(|(sof, w, h)| jpeg(sof, w, h)),
        (any::<u16>(), any::<u16>()).prop_map(|(w, h)| webp_lossy(w, h)),
        any::<u32>().prop_map(webp_lossless),
        (0u32..1 << 24, 0u32..1 << 24).prop_map(|(w, h)| webp_extended(w, h)),
    ]
    .boxed()
}

fn image_bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        1 => valid_image(),
        4 => (valid_image(), prop::collection::vec(byte_edit(), 1..4))
            .prop_map(|(bytes, edits)| edits.iter().fold(bytes, apply_bytes)),
        2 => prop::collection::vec(any::<u8>(), 0..64),
    ]
    .boxed()
}

fn pixels_within(max_pixels: u64, width: u32, height: u32) -> Result<(), ImageError> {
    if u64::from(width) * u64::from(height) > max_pixels {
        Err(ImageError::TooManyPixels {
            width,
            height,
            max_pixels,
        })
    } else {
        Ok(())
    }
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn any_bytes_are_a_sized_jpeg_png_or_webp_or_an_image_error(
        bytes in image_bytes(),
        max_pixels in prop_oneof![Just(40_000_000u64), any::<u64>(), 0u64..10],
    ) {
        // Every refusal maps to UNSUPPORTED_MEDIA_TYPE (the variant only
        // shapes the message), so the invariants are all on acceptance.
        if let Ok(info) = ImageInfo::inspect(&bytes, max_pixels) {
            prop_assert!(info.width > 0 && info.height > 0);
            prop_assert!(u64::from(info.width) * u64::from(info.height) <= max_pixels);
            let magic_ok = match info.image_type {
                ImageType::Png => bytes.starts_with(&[0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n']),
                ImageType::Jpeg => bytes.starts_with(&[0xFF, 0xD8]),
                ImageType::Webp => bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(&b"WEBP"[..]),
            };
            prop_assert!(magic_ok, "{info:?} from {bytes:?}");
        }
    }

    #[test]
    fn png_headers_are_read_exactly(w in dimension(), h in dimension()) {
        let max = 40_000_000;
        let result = ImageInfo::inspect(&png(w, h), max);
        if w == 0 || h == 0 || w > (1 << 31) - 1 || h > (1 << 31) - 1 {
            prop_assert!(matches!(result, Err(ImageError::Malformed(_))), "{w}x{h}: {result:?}");
        } else {
            prop_assert_eq!(
                result.map(|i| (i.image_type, i.width, i.height)),
                pixels_within(max, w, h).map(|()| (ImageType::Png, w, h))
            );
        }
    }

    #[test]
    fn jpeg_and_webp_headers_are_read_exactly(
        w in any::<u16>(),
        h in any::<u16>(),
        bits in any::<u32>(),
        (xw, xh) in (0u32..1 << 24, 0u32..1 << 24),
    ) {
        let max = 40_000_000;
        let read = |bytes: Vec<u8>| ImageInfo::inspect(&bytes, max).map(|i| (i.image_type, i.width, i.height));
        let expect = |t: ImageType, w: u32, h: u32| {
            if w == 0 || h == 0 {
                None
            } else {
                Some(pixels_within(max, w, h).map(|()| (t, w, h)))
            }
        };
        let cases = [
            (read(jpeg(0xC0, w, h)), expect(ImageType::Jpeg, w.into(), h.into())),
            (read(webp_lossy(w, h)), expect(ImageType::Webp, u32::from(w & 0x3FFF), u32::from(h & 0x3FFF))),
            (
                read(webp_lossless(bits)),
                (bits >> 29 == 0).then(|| expect(ImageType::Webp, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)).flatten(),
            ),
            (read(webp_extended(xw, xh)), expect(ImageType::Webp, xw + 1, xh + 1)),
        ];
        for (got, expected) in cases {
            match expected {
                Some(expected) => prop_assert_eq!(got, expected),
                None => prop_assert!(matches!(got, Err(ImageError::Malformed(_))), "{got:?}"),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Feeds: sort, limit, cursors

fn cursor_text() -> BoxedStrategy<String> {
    let ms = prop_oneof![any::<i64>(), 0i64..2_000_000_000_000].prop_map(|ms| ms.to_string());
    (
        select(&["l1", "r1", "c1", "l2", "L1", ""][..]),
        ms,
        prop_oneof![
            re("[A-Za-z0-9_-]{1,64}"),
            (0usize..1_100).prop_map(|n| n.to_string())
        ],
    )
        .prop_map(|(kind, ms, last)| format!("{kind}:{ms}:{last}"))
        .boxed()
}

fn encoded(text: BoxedStrategy<String>) -> BoxedStrategy<String> {
    text.prop_map(|t| URL_SAFE_NO_PAD.encode(t)).boxed()
}

fn cursor_input() -> BoxedStrategy<String> {
    prop_oneof![
        encoded(cursor_text()),
        encoded(near(cursor_text())),
        near(encoded(cursor_text())),
        noise(250),
        re("[A-Za-z0-9_-]{190,210}"),
    ]
    .boxed()
}

fn feed_cursor() -> impl Strategy<Value = FeedCursor> {
    prop_oneof![
        (any::<i64>(), re("[A-Za-z0-9_-]{1,64}")).prop_map(|(ms, id)| FeedCursor::Latest(
            Timestamp::from_millis(ms),
            Id::parse(&id).unwrap()
        )),
        (any::<i64>(), 0usize..=1_000).prop_map(|(ms, offset)| FeedCursor::Rising {
            snapshot: Timestamp::from_millis(ms),
            offset
        }),
    ]
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn any_feed_cursor_input_decodes_to_a_cursor_that_re_encodes_or_a_cursor_error(
        raw in cursor_input()
    ) {
        let decoded = FeedCursor::decode(&raw);
        match &decoded {
            Ok(cursor) => {
                prop_assert!(raw.len() <= 200);
                prop_assert_eq!(&FeedCursor::decode(&cursor.encode()).unwrap(), cursor);
                if let FeedCursor::Rising { offset, .. } = cursor {
                    prop_assert!(*offset <= 1_000);
                }
            }
            Err(_) => prop_assert_eq!(validation_of(&decoded), Some(Field::Cursor)),
        }
    }

    #[test]
    fn any_comment_cursor_input_decodes_to_a_position_that_re_encodes_or_a_cursor_error(
        raw in cursor_input()
    ) {
        let decoded = decode_comment_cursor(&raw);
        match &decoded {
            Ok((at, id)) => {
                prop_assert!(raw.len() <= 200);
                prop_assert_eq!(decode_comment_cursor(&encode_comment_cursor(*at, id)).unwrap(), (*at, id.clone()));
            }
            Err(_) => prop_assert_eq!(validation_of(&decoded), Some(Field::Cursor)),
        }
    }

    #[test]
    fn issued_cursors_decode_to_themselves_and_only_where_they_belong(
        cursor in feed_cursor(),
        (ms, id) in (any::<i64>(), re("[A-Za-z0-9_-]{1,64}")),
    ) {
        let feed = cursor.encode();
        prop_assert_eq!(FeedCursor::decode(&feed).unwrap(), cursor);
        prop_assert_eq!(validation_of(&decode_comment_cursor(&feed)), Some(Field::Cursor));

        let id = Id::parse(&id).unwrap();
        let comments = encode_comment_cursor(Timestamp::from_millis(ms), &id);
        prop_assert_eq!(decode_comment_cursor(&comments).unwrap(), (Timestamp::from_millis(ms), id));
        prop_assert_eq!(validation_of(&FeedCursor::decode(&comments)), Some(Field::Cursor));
    }

    #[test]
    fn any_limit_is_an_integer_in_range_or_a_limit_validation_error(
        raw in input(
            prop_oneof![re("[+-]?0{0,2}[0-9]{1,3}"), re(" ?[0-9]{1,2} ?"), any::<u64>().prop_map(|n| n.to_string())].boxed(),
            12,
        ),
        (default, max) in select(&[(20usize, 50usize), (50, 100), (20, 100)][..]),
    ) {
        prop_assert_eq!(parse_limit(None, default, max).unwrap(), default);
        let parsed = parse_limit(Some(&raw), default, max);
        match raw.trim().parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => prop_assert_eq!(parsed.unwrap(), n),
            _ => prop_assert_eq!(validation_of(&parsed), Some(Field::Limit), "{:?}", raw),
        }
    }

    #[test]
    fn any_sort_is_latest_or_rising_or_a_sort_validation_error(
        raw in input(select(&["latest", "rising", " rising ", ""][..]).prop_map(str::to_owned).boxed(), 12)
    ) {
        let parsed = FeedSort::parse(Some(&raw));
        match raw.trim() {
            "" | "latest" => prop_assert_eq!(parsed.unwrap(), FeedSort::Latest),
            "rising" => prop_assert_eq!(parsed.unwrap(), FeedSort::Rising),
            _ => prop_assert_eq!(validation_of(&parsed), Some(Field::Sort)),
        }
    }
}

// ---------------------------------------------------------------------------
// Reactions: medals, reasons, comments

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn any_medal_type_is_one_of_three_in_any_case_or_a_medal_validation_error(
        raw in input(select(&["GOLD", "silver", " Bronze ", "PLATINUM"][..]).prop_map(str::to_owned).boxed(), 12)
    ) {
        let parsed = MedalType::parse(&raw);
        let upper = raw.trim().to_ascii_uppercase();
        match &parsed {
            Ok(medal) => {
                prop_assert_eq!(medal.as_str(), upper.as_str());
                prop_assert_eq!(MedalType::parse(medal.as_str()).unwrap(), *medal);
            }
            Err(_) => {
                prop_assert!(!["GOLD", "SILVER", "BRONZE"].contains(&upper.as_str()));
                prop_assert_eq!(validation_of(&parsed), Some(Field::Medal));
            }
        }
    }

    #[test]
    fn any_reason_is_absent_or_trimmed_bounded_and_printable_or_a_reason_validation_error(
        raw in prop::option::of(input(prop_oneof![re("[a-z \n\t]{0,20}"), (495usize..505).prop_map(|n| "r".repeat(n))].boxed(), 40))
    ) {
        let parsed = parse_reason(raw.as_deref());
        let text = raw.as_deref().map(str::trim).unwrap_or_default();
        if text.is_empty() {
            prop_assert_eq!(parsed.unwrap(), None);
        } else if text.chars().count() <= 500 && printable(text, &['\n', '\t']) {
            prop_assert_eq!(parsed.unwrap(), Some(text.to_owned()));
        } else {
            prop_assert_eq!(validation_of(&parsed), Some(Field::Reason));
        }
    }

    #[test]
    fn any_comment_is_one_to_1000_printable_characters_or_a_body_validation_error(
        raw in input(prop_oneof![re("[a-z \n\r\t]{0,20}"), (995usize..1_005).prop_map(|n| "ü".repeat(n))].boxed(), 40)
    ) {
        let parsed = CommentBody::parse(&raw);
        let text = raw.trim();
        let chars = text.chars().count();
        if (1..=1_000).contains(&chars) && printable(text, &['\n', '\r', '\t']) {
            let body = parsed.unwrap();
            prop_assert_eq!(body.as_str(), text);
        } else {
            prop_assert_eq!(validation_of(&parsed), Some(Field::Body), "{:?}", raw);
        }
    }
}

// ---------------------------------------------------------------------------
// Webhooks: URLs, event filters, signatures, retries

const EVENT_NAMES: [&str; 4] = [
    "post.created",
    "post.medaled",
    "post.liked",
    "post.commented",
];

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn any_webhook_url_is_https_or_allowed_http_with_a_host_or_refused_with_its_code(
        raw in input(url_like(), 100),
        allow_http in any::<bool>(),
    ) {
        let parsed = WebhookUrl::parse(&raw, allow_http);
        let url = raw.trim();
        let lower = url.to_ascii_lowercase();
        let shape_ok = !url.is_empty()
            && url.len() <= 2_000
            && !url.chars().any(|c| c.is_control() || c.is_whitespace());
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://").filter(|_| allow_http));
        match (&parsed, shape_ok, rest) {
            (Ok(hook), true, Some(rest)) => {
                prop_assert!(!rest.is_empty() && !rest.starts_with('/'));
                prop_assert_eq!(hook.as_str(), url);
            }
            (Err(DomainError::ForbiddenUrl(_)), true, None) => {}
            (Err(DomainError::Validation { field: Field::WebhookUrl, .. }), false, _) => {}
            (Err(DomainError::Validation { field: Field::WebhookUrl, .. }), true, Some(rest)) => {
                prop_assert!(rest.is_empty() || rest.starts_with('/'));
            }
            (got, ..) => prop_assert!(false, "{raw:?} (http allowed: {allow_http}): {got:?}"),
        }
    }

    #[test]
    fn any_event_list_is_the_four_names_deduplicated_or_an_events_validation_error(
        names in prop::collection::vec(
            prop_oneof![
                4 => select(&EVENT_NAMES[..]).prop_map(str::to_owned),
                1 => select(&["webhook.test", "POST.CREATED", " post.liked", "post.*", ""][..]).prop_map(str::to_owned),
                1 => near(select(&EVENT_NAMES[..]).prop_map(str::to_owned).boxed()),
                1 => noise(20),
            ],
            0..20,
        )
    ) {
        let parsed = EventFilter::parse(&names);
        let known = names.iter().all(|n| EVENT_NAMES.contains(&n.as_str()));
        if names.len() <= 16 && known {
            let filter = parsed.unwrap();
            let mut expected: Vec<&str> = Vec::new();
            for name in &names {
                if !expected.contains(&name.as_str()) {
                    expected.push(name);
                }
            }
            let shown = if expected.is_empty() { EVENT_NAMES.to_vec() } else { expected.clone() };
            prop_assert_eq!(filter.names(), shown.clone());
            prop_assert_eq!(EventFilter::from_stored(&filter.to_stored()), filter.clone());
            for t in EventType::PUBLIC {
                prop_assert_eq!(filter.wants(t), shown.contains(&t.as_str()));
            }
            prop_assert!(!filter.wants(EventType::Ping));
        } else {
            prop_assert_eq!(validation_of(&parsed), Some(Field::Events), "{:?}", names);
        }
    }

    #[test]
    fn verification_accepts_exactly_genuine_signatures_within_five_minutes(
        (now, ts) in prop_oneof![
            (edge_i64(), edge_i64()),
            (edge_i64(), -400i64..400).prop_map(|(now, d)| (now, now.saturating_add(d))),
        ],
        id in re("msg_[A-Za-z0-9]{1,27}"),
        body in prop::collection::vec(any::<u8>(), 0..64),
        key in any::<[u8; 24]>(),
    ) {
        let secret = WebhookSecret::from_random(key);
        let header = signature::sign(&secret, &id, ts, &body);
        let fresh = (i128::from(now) - i128::from(ts)).abs() <= 300;
        let expected = if fresh { Ok(()) } else { Err(signature::VerifyError::Stale) };
        prop_assert_eq!(signature::verify(&secret, &id, &ts.to_string(), &header, &body, now), expected);
    }

    #[test]
    fn verification_refuses_any_forged_timestamp_or_signature(
        timestamp in input(edge_i64().prop_map(|n| n.to_string()).boxed(), 30),
        header in input(re("v1,[A-Za-z0-9+/]{43}=( v1,[A-Za-z0-9+/]{43}=)?").boxed(), 200),
        now in edge_i64(),
    ) {
        let secret = WebhookSecret::from_trusted("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into());
        let verified = signature::verify(&secret, "msg_1", &timestamp, &header, b"{}", now);
        prop_assert!(verified.is_err(), "{:?}", verified);
    }

    #[test]
    fn any_receiver_answer_schedules_a_bounded_retry_or_ends_the_delivery(
        attempts in 0u32..12,
        status in prop::option::of(any::<u16>()),
        retry_after in prop::option::of(prop_oneof![any::<u64>(), 0u64..200_000].prop_map(Duration::from_secs)),
        now in prop_oneof![edge_i64(), 0i64..4_000_000_000_000],
        jitter in 0.0f64..1.0,
    ) {
        let at = Timestamp::from_millis(now);
        let outcome = after_attempt(attempts, status, retry_after, at, jitter);
        match (status, RETRY_SCHEDULE.get(attempts as usize)) {
            (Some(200..=299), _) => prop_assert_eq!(outcome, AttemptOutcome::Delivered),
            (Some(410), _) | (_, None) => prop_assert!(
                matches!(outcome, AttemptOutcome::Failed { disable: Some(_) }),
                "{:?}",
                outcome
            ),
            (_, Some(step)) => {
                let AttemptOutcome::RetryAt(next) = outcome else {
                    return Err(TestCaseError::fail(format!("{outcome:?}")));
                };
                let longest = step.mul_f64(1.2).max(MAX_RETRY_AFTER);
                prop_assert!(next >= at.plus(*step));
                prop_assert!(next <= at.plus(longest));
            }
        }
    }
}

fn edge_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        Just(i64::MIN),
        Just(i64::MAX),
        Just(0),
        1_500_000_000i64..2_000_000_000,
    ]
}
