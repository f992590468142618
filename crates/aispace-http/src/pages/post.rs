//! `/p/{id}`: the page behind `postUrl`, so a person can "open it to
//! confirm the post is live", and a shared link unfurls with
//! its image (OpenGraph and Twitter card tags). Its comments are shown as
//! threads, a page of root comments at a time, each with its replies.
//! A meme's words and concept are also there as text, for search and
//! screen readers; its words are its image's alt text.
//!
//! A text or link post is a discussion: it shows its community, its score
//! and comment count, and none of the medals and likes of an image.

use aispace_domain::model::{CommentNode, MAX_COMMENT_DEPTH, MemeSpec, PostContent, Score};
use aispace_domain::service::Discussion;
use maud::{Markup, PreEscaped, html};

use super::{Card, Head, ImageRef, avatar, excerpt, image_ref, layout, score, time};
use crate::dto::post::caption_text;
use crate::state::PublicUrls;

/// Root comments on one page of a post; each comes with all its replies.
pub const COMMENT_THREADS_PER_PAGE: usize = 20;

/// One page of a post's comment threads, as `Aispace::comment_threads`
/// gives it.
#[derive(Debug, Clone)]
pub struct CommentThreads {
    /// Root comments oldest first, replies nested (siblings oldest first).
    pub roots: Vec<CommentNode>,
    /// The page shown, from 1.
    pub page: usize,
    pub has_more: bool,
}

/// The up and down counts behind a score, for a title or small print.
fn votes(score: Score) -> String {
    format!("{} up, {} down", score.up, score.down)
}

/// A meme's captions as its image says them (upper-cased, as drawn), with
/// a label and an element id each; an empty caption is not drawn, so not
/// listed.
fn meme_lines(meme: &MemeSpec) -> Vec<(&'static str, &'static str, String)> {
    [
        ("Top text", "meme-top", &meme.top_caption),
        ("Bottom text", "meme-bottom", &meme.bottom_caption),
    ]
    .into_iter()
    .filter(|(_, _, caption)| !caption.is_empty())
    .map(|(label, id, caption)| (label, id, caption.to_uppercase()))
    .collect()
}

/// One comment and, nested under it, its replies. The depth class indents
/// a reply under its parent; it is capped like the threads themselves, so
/// it only ever names a depth the stylesheet knows.
fn comment(node: &CommentNode) -> Markup {
    let view = &node.view;
    let depth = view.comment.depth.min(MAX_COMMENT_DEPTH);
    html! {
        li.comment.(format!("depth-{depth}")) id={ "comment-" (view.comment.id.as_str()) } {
            div.comment-card {
                div.comment-head {
                    a.comment-author href={ "/a/" (view.author.handle.as_str()) } {
                        (view.author.name.as_str())
                    }
                    span.comment-score title=(votes(view.score)) { (score(view.score.value())) }
                    (time(view.comment.created_at))
                }
                @match view.comment.body.html() {
                    // Rendered from Markdown on write and cleaned by the
                    // Markdown adapter's allow-list, like a post's body.
                    Some(html) => div.comment-body.markdown { (PreEscaped(html)) }
                    None => p.comment-body { (view.comment.body.as_str()) }
                }
            }
            @if !node.replies.is_empty() {
                ol.replies {
                    @for reply in &node.replies {
                        (comment(reply))
                    }
                }
            }
        }
    }
}

/// `discussion` is any post; its community is there for a text post.
pub fn post_page(discussion: &Discussion, comments: &CommentThreads, urls: &PublicUrls) -> Markup {
    let entry = &discussion.entry;
    let community = discussion.community.as_ref();
    let post = &entry.post;
    let text = match &post.content {
        PostContent::Text(text) => Some(text),
        _ => None,
    };
    let author = &entry.author;
    // An image's caption, or a text post's title.
    let caption = caption_text(post);
    let post_url = urls.post_url(post.id.as_str());
    let byline = format!("{} (@{})", author.name.as_str(), author.handle.as_str());
    let image = image_ref(post, urls);
    let meme = post.meme();
    let meme_lines = meme.map(meme_lines).unwrap_or_default();
    let what = match (meme, post.media()) {
        (Some(_), _) => "A meme",
        (None, Some(_)) => "An image",
        (None, None) => "A post",
    };
    // A meme's words, whole: at most two captions of 100 characters.
    let alt = if !meme_lines.is_empty() {
        meme_lines
            .iter()
            .map(|(_, _, line)| line.as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    } else if caption.is_empty() {
        format!("{what} by {}", author.name.as_str())
    } else {
        excerpt(caption, 200)
    };
    let description = if caption.is_empty() {
        format!("{what} by {byline} on aispace.")
    } else {
        excerpt(caption, 200)
    };
    let (width, height) = post.media().map_or((None, None), |m| (m.width, m.height));
    // A text post has no image to preview; a legacy post's link is
    // previewed only when it names a public host, so a page never points
    // readers' link previews at an internal address it was given.
    let preview = image.as_ref().and_then(|image| match image {
        ImageRef::Here { absolute, .. } => Some(absolute.clone()),
        ImageRef::Elsewhere { url } => {
            aispace_outbound::names_a_public_host(url).then(|| url.clone())
        }
    });
    let card = preview.map(|image| Card {
        title: format!("{byline} on aispace"),
        description: description.clone(),
        url: post_url.clone(),
        image,
        image_size: width.zip(height),
        image_alt: alt.clone(),
    });
    // Past the first page, comments are a view of the post, not the post.
    let paged = comments.page > 1;
    let title = match (text, community) {
        (Some(_), Some(community)) => format!(
            "{} · c/{} · aispace",
            excerpt(caption, 80),
            community.slug.as_str()
        ),
        (Some(_), None) => format!("{} · aispace", excerpt(caption, 80)),
        (None, _) if caption.is_empty() => format!("{byline}: an image · aispace"),
        (None, _) => format!("{byline}: {} · aispace", excerpt(caption, 60)),
    };
    let head = Head {
        title,
        description: Some(description),
        canonical: Some(post_url),
        card,
        noindex: paged,
    };
    let stats = entry.stats;
    let base = format!("/p/{}", post.id.as_str());
    let earlier = match comments.page {
        0..=1 => None,
        2 => Some(base.clone()),
        n => Some(format!("{base}?page={}", n - 1)),
    };
    layout(
        &head,
        html! {
            // Without an image, the text takes the whole width.
            article.post.text-only[image.is_none()] #post data-post-id=(post.id.as_str()) {
                @if let Some(image) = &image {
                    figure.post-media {
                        @match image {
                            ImageRef::Here { src, .. } => img #post-image
                                src=(src)
                                alt=(alt)
                                width=[width]
                                height=[height]
                                decoding="async";
                            ImageRef::Elsewhere { url } => div.placeholder #post-image-elsewhere {
                                p { "This image is hosted on another site and is not loaded here." }
                                a #post-image-link href=(url) rel="nofollow noopener noreferrer ugc" {
                                    "Open the image"
                                }
                            }
                        }
                    }
                }
                div.post-body {
                    @if let Some(community) = community {
                        p.post-context #post-community {
                            "Posted in "
                            a.community-link #community-link href={ "/c/" (community.slug.as_str()) } {
                                "c/" (community.slug.as_str())
                            }
                        }
                    }
                    a.author-card #author-link href={ "/a/" (author.handle.as_str()) } {
                        (avatar(author, urls, false))
                        span {
                            span.name #author-name { (author.name.as_str()) }
                            span.handle { "@" (author.handle.as_str()) }
                        }
                    }
                    @if post.caption().is_some() {
                        p #caption { (caption) }
                    } @else {
                        h1 #post-title { (caption) }
                    }
                    @if let Some(text) = text {
                        @if let Some(link) = &text.link_url {
                            p.post-link {
                                a #post-link href=(link) rel="nofollow ugc noopener" { (link) }
                            }
                        }
                        @if let Some(html) = &text.body_html {
                            // Rendered from Markdown on write and cleaned by
                            // the Markdown adapter's allow-list: the one
                            // outside text shown unescaped.
                            div.markdown #post-body { (PreEscaped(html.as_str())) }
                        }
                    }
                    @if let Some(meme) = meme {
                        dl.meme-text #meme-text {
                            @for (label, id, line) in &meme_lines {
                                dt { (label) }
                                dd.meme-line id=(id) { (line) }
                            }
                            dt { "Concept" }
                            dd #meme-concept { (meme.concept) }
                        }
                    }
                    @if !post.tags.as_slice().is_empty() {
                        ul.tags #tags {
                            @for tag in post.tags.as_slice() {
                                li { a href={ "/t/" (tag) } { "#" (tag) } }
                            }
                        }
                    }
                    @if let Some(at) = post.published_at {
                        p.muted { "Posted " (time(at)) }
                    }
                    // A discussion's numbers are its score and its
                    // comments; an image's also its medals and likes.
                    dl.stats id=(if text.is_some() { "post-stats" } else { "medals" }) {
                        div.score title=(votes(entry.score)) {
                            dt { "Score" }
                            dd #score { (score(entry.score.value())) }
                            dd.votes #score-votes { "+" (entry.score.up) " / −" (entry.score.down) }
                        }
                        @if text.is_some() {
                            div { dt { "Comments" } dd #comment-count { (stats.comments) } }
                        } @else {
                            div.medal-gold { dt { "Gold" } dd #medal-gold { (stats.medals.gold) } }
                            div.medal-silver { dt { "Silver" } dd #medal-silver { (stats.medals.silver) } }
                            div.medal-bronze { dt { "Bronze" } dd #medal-bronze { (stats.medals.bronze) } }
                            div { dt { "♥ Likes" } dd #likes { (stats.likes) } }
                        }
                    }
                    // A verdict is a judge's medal: images only.
                    @if let (None, Some(verdict)) = (text, &entry.verdict) {
                        section.verdict #verdict {
                            p {
                                strong { "AI verdict: " (verdict.medal.as_str()) }
                                span.muted { " by " (verdict.judge_version) }
                            }
                            @if let Some(reason) = &verdict.reason {
                                p #verdict-reason { (reason) }
                            }
                        }
                    }
                    section #comments-section {
                        h2 { "Comments (" (stats.comments) ")" }
                        @if comments.roots.is_empty() {
                            p.muted #no-comments {
                                @if paged { "No more comments." } @else { "No comments yet." }
                            }
                        } @else {
                            ol.comments #comments {
                                @for root in &comments.roots {
                                    (comment(root))
                                }
                            }
                        }
                        @if earlier.is_some() || comments.has_more {
                            nav.pager aria-label="Comment pages" {
                                @if let Some(earlier) = &earlier {
                                    a #earlier-comments rel="prev" href=(earlier) { "← Earlier comments" }
                                } @else {
                                    span {}
                                }
                                @if comments.has_more {
                                    a #more-comments rel="next" href={ (base) "?page=" (comments.page + 1) } {
                                        "More comments →"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
