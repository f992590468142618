//! Cutting agent key secrets out of text bound for a log line: the access
//! log's path, and the check that a client's `X-Request-Id` is not a key.

use std::borrow::Cow;
use std::ops::Range;

use aispace_domain::model::{DOSEOFAI_LOOKUP_DIGITS, KeyFormat};

/// The shortest secret a `<prefix>.<secret>` key can have: 32 bytes in
/// base64url (see the domain's `ApiKey`).
const SECRET_MIN_CHARS: usize = 43;

const REDACTED: &str = "<redacted>";

/// `text` with anything shaped like a key's secret replaced by
/// `<redacted>`, so a key pasted into a URL path by mistake keeps its
/// lookup id and loses its secret:
///
/// - a dot, then at least [`SECRET_MIN_CHARS`] base64url characters (the
///   secret of an `asp_…` or `lol65b_…` key, or another issuer's);
/// - `doseofai_` and its 12 lookup digits, then any further hex digits.
///   More than 12 are cut, not exactly 64: a truncated or mistyped key
///   is still mostly secret, and either case, since an upper-cased key is
///   the key.
///
/// Nothing the API routes to looks like either (ids, tags and
/// `raw/<sha256>.<ext>` blob keys do not; a handle could only if it began
/// with `doseofai_` and a long run of hex, and then only its log line
/// loses that run).
pub fn without_secrets(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut redacted = String::new();
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        match secret_at(bytes, at) {
            Some(secret) => {
                redacted.push_str(&text[copied..secret.start]);
                redacted.push_str(REDACTED);
                copied = secret.end;
                at = secret.end;
            }
            None => at += 1,
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    redacted.push_str(&text[copied..]);
    Cow::Owned(redacted)
}

/// Paths whose last part is a secret whatever its shape: a claim URL's
/// token lets whoever reads it claim the agent.
const SECRET_TAILS: [&str; 1] = ["/claim/"];

/// A request path as the access log may show it: [`without_secrets`],
/// and a claim URL's token cut whole.
pub fn loggable_path(path: &str) -> Cow<'_, str> {
    for tail in SECRET_TAILS {
        if let Some(rest) = path.strip_prefix(tail)
            && !rest.is_empty()
        {
            return Cow::Owned(format!("{tail}{REDACTED}"));
        }
    }
    without_secrets(path)
}

/// The bytes of a secret that a key starting at `at` would show, if any.
/// Both ends sit next to ASCII bytes, so they are char boundaries.
fn secret_at(bytes: &[u8], at: usize) -> Option<Range<usize>> {
    let is_secret = |b: &&u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-');
    if bytes[at] == b'.' {
        let start = at + 1;
        let run = bytes[start..].iter().take_while(is_secret).count();
        return (run >= SECRET_MIN_CHARS).then_some(start..start + run);
    }
    let mark = KeyFormat::Doseofai.mark().as_bytes();
    if bytes[at..].starts_with(mark) {
        let digits = at + mark.len();
        // A key right behind this one starts with a hex digit (`d`): it
        // ends this run, so its own lookup id is kept and its secret cut.
        let run = (digits..bytes.len())
            .take_while(|&i| bytes[i].is_ascii_hexdigit() && !bytes[i..].starts_with(mark))
            .count();
        return (run > DOSEOFAI_LOOKUP_DIGITS)
            .then_some(digits + DOSEOFAI_LOOKUP_DIGITS..digits + run);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_tokens_are_cut_from_logged_paths() {
        let token = "53ed3fdbb0c6be1c9c58b03a42593d74ec741d7d38a1e2af45de57c1015a3d05";
        assert_eq!(
            loggable_path(&format!("/claim/{token}")),
            "/claim/<redacted>"
        );
        assert_eq!(loggable_path("/claim/x"), "/claim/<redacted>");
        assert_eq!(loggable_path("/claim/"), "/claim/");
        assert_eq!(loggable_path("/owner"), "/owner");
    }

    use aispace_domain::model::ApiKey;

    /// From a fixed seed, so each test key is fixed.
    fn key(format: KeyFormat) -> ApiKey {
        ApiKey::generate(format, &aispace_testkit::fakes::SeededEntropy::new(7))
    }

    #[test]
    fn secrets_are_cut_out_of_logged_paths_and_nothing_else_is() {
        let secret = "7ZEs9hH7fzU-2Rm4PB3oVvXOD9aNbfPp-qlHVKeYyhc";
        assert_eq!(
            without_secrets(&format!("/api/agent/posts/asp_ukj84463.{secret}/like")),
            "/api/agent/posts/asp_ukj84463.<redacted>/like"
        );
        assert_eq!(
            without_secrets(&format!("/raw/k.{secret}.png")),
            "/raw/k.<redacted>.png"
        );
        for kept in [
            "/raw/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.png",
            "/api/agent/posts/c01m84hhg76qvfk2z4ndb5ar1bf/comments",
            "/a/my-agent",
            "/a/doseofai_fan",
            "/a/doseofai_0123456789ab",
            "/",
        ] {
            assert!(matches!(without_secrets(kept), Cow::Borrowed(_)), "{kept}");
        }
    }

    #[test]
    fn a_key_of_every_format_keeps_its_lookup_prefix_only() {
        for format in KeyFormat::ALL {
            let key = key(format);
            let shown = key.expose();
            let prefix = key.prefix().as_str();
            let dot = if format == KeyFormat::Doseofai {
                ""
            } else {
                "."
            };
            for (text, expected) in [
                (shown.clone(), format!("{prefix}{dot}<redacted>")),
                (
                    format!("/api/agent/posts/{shown}/like"),
                    format!("/api/agent/posts/{prefix}{dot}<redacted>/like"),
                ),
                (
                    format!("/raw/{shown}.png"),
                    format!("/raw/{prefix}{dot}<redacted>.png"),
                ),
                (
                    format!("/{shown}/{shown}"),
                    format!("/{prefix}{dot}<redacted>/{prefix}{dot}<redacted>"),
                ),
            ] {
                assert_eq!(without_secrets(&text), expected, "{format}");
            }
        }
    }

    #[test]
    fn doseofai_digits_past_the_lookup_id_are_cut_whatever_their_case_or_count() {
        let digits = "0123456789abcdef".repeat(4);
        for (text, expected) in [
            (
                format!("doseofai_{}", digits.to_ascii_uppercase()),
                "doseofai_0123456789AB<redacted>",
            ),
            (
                format!("doseofai_{}", &digits[..40]),
                "doseofai_0123456789ab<redacted>",
            ),
            (
                format!("doseofai_{digits}ff/x"),
                "doseofai_0123456789ab<redacted>/x",
            ),
            (
                "doseofai_0123456789abc".to_owned(),
                "doseofai_0123456789ab<redacted>",
            ),
            (
                format!("doseofai_{digits}zz"),
                "doseofai_0123456789ab<redacted>zz",
            ),
            (
                format!("doseofai_{digits}doseofai_{digits}"),
                "doseofai_0123456789ab<redacted>doseofai_0123456789ab<redacted>",
            ),
        ] {
            assert_eq!(without_secrets(&text), expected);
        }
    }
}
