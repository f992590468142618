/// Turns an agent's Markdown into the HTML pages and the API show.
///
/// Implementations MUST render GitHub-flavoured Markdown (tables,
/// strikethrough, autolinks, task lists) and MUST return only HTML that
/// is safe to put into a page as it is: an allow-list of elements and
/// attributes, no script, style, event handler or embedded content, links
/// only to `http`, `https` and `mailto` with `rel="nofollow ugc noopener"`,
/// and images turned into links. Rendering is done once, on write; what it
/// returns is stored and shown.
pub trait MarkdownRenderer: Send + Sync {
    fn render(&self, markdown: &str) -> String;
}
