//! Hostile Markdown against the renderer. Each output is *parsed* with
//! html5ever's tokenizer (the browser's algorithm), and every start tag and
//! attribute it yields is checked against what may reach a page: no
//! element outside the allow-list, no event handler or style attribute, no
//! link to anything but http, https or mailto, every link marked
//! `nofollow ugc noopener`. Text that merely *reads* like a script is fine;
//! only what a browser would treat as markup counts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;

use aispace_domain::ports::MarkdownRenderer;
use aispace_markdown::GfmRenderer;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// A start tag's name and its attributes, names and values.
type StartTag = (String, Vec<(String, String)>);

/// The start tags a browser would see.
#[derive(Default)]
struct Tags(RefCell<Vec<StartTag>>);

impl TokenSink for Tags {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        if let Token::TagToken(tag) = token
            && tag.kind == TagKind::StartTag
        {
            let attrs = tag
                .attrs
                .iter()
                .map(|a| (a.name.local.to_string(), a.value.to_string()))
                .collect();
            self.0.borrow_mut().push((tag.name.to_string(), attrs));
        }
        TokenSinkResult::Continue
    }
}

fn start_tags(html: &str) -> Vec<StartTag> {
    let tokenizer = Tokenizer::new(Tags::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.take()
}

const ALLOWED_TAGS: [&str; 28] = [
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "code",
    "em",
    "strong",
    "del",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "input",
    "sup",
    "sub",
];

/// What a browser would make of an `href`: control characters and spaces
/// it ignores are removed, then the scheme is read case-insensitively.
fn scheme_of(href: &str) -> Option<String> {
    let cleaned: String = href
        .chars()
        .filter(|c| !c.is_ascii_control() && !c.is_whitespace())
        .collect();
    let colon = cleaned.find(':')?;
    let before = &cleaned[..colon];
    if before.contains(['/', '?', '#']) {
        return None;
    }
    Some(before.to_ascii_lowercase())
}

fn assert_safe(markdown: &str) {
    let html = GfmRenderer::new().render(markdown);
    for (tag, attrs) in start_tags(&html) {
        assert!(
            ALLOWED_TAGS.contains(&tag.as_str()),
            "<{tag}> from {markdown:?}: {html}"
        );
        for (name, value) in &attrs {
            assert!(
                !name.starts_with("on") && name != "style" && name != "src" && name != "srcdoc",
                "{name}={value:?} on <{tag}> from {markdown:?}: {html}"
            );
            if name == "href"
                && let Some(scheme) = scheme_of(value)
            {
                assert!(
                    ["http", "https", "mailto"].contains(&scheme.as_str()),
                    "href {value:?} from {markdown:?}: {html}"
                );
            }
        }
        if tag == "a" {
            let rel = attrs
                .iter()
                .find(|(n, _)| n == "rel")
                .map(|(_, v)| v.as_str());
            assert_eq!(rel, Some("nofollow ugc noopener"), "{html}");
        }
        if tag == "input" {
            let of = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
            assert_eq!(of("type"), Some("checkbox"), "{html}");
            assert!(of("disabled").is_some(), "{html}");
        }
    }
}

/// Known ways to get markup past a Markdown sanitizer.
const CORPUS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<object data=\"data:text/html,<script>alert(1)</script>\"></object>",
    "<embed src=x>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<style>body{background:red}</style>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<form action=//evil.example><input name=q></form>",
    "<details open ontoggle=alert(1)>",
    "<p onclick=\"alert(1)\">click</p>",
    "<!--<script>alert(1)</script>-->",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<template><script>alert(1)</script></template>",
    "<base href=\"javascript:/\">",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](\"onmouseover=alert(1))",
    "[x](https://example.com \"title\\\" onmouseover=\\\"alert(1)\")",
    "![x](javascript:alert(1))",
    "![x\" onerror=\"alert(1)](https://example.com/a.png)",
    "![x](https://example.com/a.png\"onerror=\"alert(1))",
    "<javascript:alert(1)>",
    "<https://example.com/\"onmouseover=\"alert(1)>",
    "www.example.com/\"><script>alert(1)</script>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |",
    "- [x] <img src=x onerror=alert(1)>\n- [ ] done",
    "```html\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "> <script>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<a href=\"https://example.com\" target=_blank>x</a>",
    "<a/href=\"javascript:alert(1)\">x",
    "<img src=\"x\"/onerror=\"alert(1)\">",
    "<b <script>alert(1)//<</script>",
    "<x onmouseover=alert(1)>hover",
    "\u{0}<script>alert(1)</script>",
    "<a href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)\">x</a>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
    "<input type=image src=x onerror=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<marquee onstart=alert(1)>",
    "<isindex action=javascript:alert(1) type=image>",
];

#[test]
fn no_hostile_markdown_yields_markup_that_runs_or_leaves_the_allow_list() {
    for markdown in CORPUS {
        assert_safe(markdown);
    }
}

#[test]
fn the_corpus_combined_and_nested_stays_safe() {
    let all = CORPUS.join("\n\n");
    assert_safe(&all);
    let nested: String = CORPUS.iter().map(|m| format!("> - {m}\n")).collect();
    assert_safe(&nested);
}

#[test]
fn github_flavoured_markdown_still_renders() {
    let html = GfmRenderer::new().render(
        "# Title\n\n~~gone~~ **bold**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\nhttps://example.com\n\n![cat](https://example.com/cat.png)",
    );
    let tags: Vec<String> = start_tags(&html).into_iter().map(|(t, _)| t).collect();
    for expected in ["h1", "del", "strong", "table", "td", "input", "a"] {
        assert!(
            tags.iter().any(|t| t == expected),
            "no <{expected}>: {html}"
        );
    }
    let links: Vec<Vec<(String, String)>> = start_tags(&html)
        .into_iter()
        .filter(|(t, _)| t == "a")
        .map(|(_, a)| a)
        .collect();
    let hrefs: Vec<&str> = links
        .iter()
        .flat_map(|a| {
            a.iter()
                .filter(|(n, _)| n == "href")
                .map(|(_, v)| v.as_str())
        })
        .collect();
    assert!(hrefs.contains(&"https://example.com"), "autolink: {html}");
    assert!(
        hrefs.contains(&"https://example.com/cat.png"),
        "an image becomes a link: {html}"
    );
    assert!(html.contains(">cat</a>"), "{html}");
}
