//! The [`MarkdownRenderer`] port: GitHub-flavoured Markdown rendered by
//! comrak, then cleaned by ammonia's allow-list.
//!
//! comrak never passes raw HTML through (`unsafe_` stays off: raw HTML in
//! the Markdown is written as a comment placeholder, and `javascript:`
//! style links are dropped), and ammonia then keeps only the elements and
//! attributes below, whatever comrak emitted. Two independent layers: a
//! mistake in one is caught by the other.
//!
//! Images are not loaded from other hosts (it would tell them who reads
//! the page, and the page's Content-Security-Policy forbids it anyway):
//! `![alt](url)` becomes a link to the image with the alt text.

use std::collections::HashSet;

use aispace_domain::ports::MarkdownRenderer;
use ammonia::Builder;
use comrak::{Options, markdown_to_html};

/// What `rel` every link gets: no ranking credit, user content, no
/// `window.opener`.
const LINK_REL: &str = "nofollow ugc noopener";

pub struct GfmRenderer {
    options: Options<'static>,
    cleaner: Builder<'static>,
}

impl std::fmt::Debug for GfmRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GfmRenderer")
    }
}

impl Default for GfmRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl GfmRenderer {
    pub fn new() -> Self {
        let mut options = Options::default();
        options.extension.strikethrough = true;
        options.extension.table = true;
        options.extension.autolink = true;
        options.extension.tasklist = true;
        // Raw HTML in Markdown is never passed through.
        options.render.r#unsafe = false;

        let mut cleaner = Builder::empty();
        cleaner
            .add_tags([
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
            ])
            .add_tag_attributes("a", ["href", "title"])
            .add_tag_attributes("ol", ["start"])
            .add_tag_attributes("th", ["align"])
            .add_tag_attributes("td", ["align"])
            // Task-list boxes, shown and never editable.
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some(LINK_REL))
            .strip_comments(true);
        GfmRenderer { options, cleaner }
    }
}

impl MarkdownRenderer for GfmRenderer {
    fn render(&self, markdown: &str) -> String {
        let html = markdown_to_html(markdown, &self.options);
        let html = images_as_links(&html);
        self.cleaner.clean(&html).to_string()
    }
}

/// comrak writes images as `<img src="…" alt="…" />`; each becomes a link
/// to its address with the alt text, before cleaning (which then checks
/// the address like any link's).
fn images_as_links(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<img ") {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let Some(end) = tag.find('>') else {
            out.push_str(tag);
            return out;
        };
        let tag_text = &tag[..=end];
        let src = attribute(tag_text, "src").unwrap_or_default();
        let alt = attribute(tag_text, "alt").unwrap_or_default();
        let label = if alt.is_empty() { "image" } else { alt };
        out.push_str(&format!("<a href=\"{src}\">{label}</a>"));
        rest = &tag[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The (already escaped) value of `name="…"` in one tag comrak wrote.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}
