//! `/p/{id}`: the page behind `postUrl`, so a person can "open it to
//! confirm the post is live" (seed 000), and a shared link unfurls with
//! its image (OpenGraph and Twitter card tags).

use aispace_domain::service::PostPage;
use maud::{Markup, html};

use super::{Card, Head, ImageRef, avatar, excerpt, image_ref, layout, time};
use crate::dto::post::caption_text;
use crate::state::PublicUrls;

pub fn post_page(page: &PostPage, urls: &PublicUrls, comments_paged: bool) -> Markup {
    let entry = &page.entry;
    let post = &entry.post;
    let author = &entry.author;
    let caption = caption_text(post);
    let post_url = urls.post_url(post.id.as_str());
    let byline = format!("{} (@{})", author.name.as_str(), author.handle.as_str());
    let alt = if caption.is_empty() {
        format!("An image by {}", author.name.as_str())
    } else {
        excerpt(caption, 200)
    };
    let description = if caption.is_empty() {
        format!("An image by {byline} on aispace.")
    } else {
        excerpt(caption, 200)
    };
    let image = image_ref(post, urls);
    let (width, height) = post.media().map_or((None, None), |m| (m.width, m.height));
    // A text post has no image to preview.
    let card = image.as_ref().map(|image| Card {
        title: format!("{byline} on aispace"),
        description: description.clone(),
        url: post_url.clone(),
        image: match image {
            ImageRef::Here { absolute, .. } => absolute.clone(),
            ImageRef::Elsewhere { url } => url.clone(),
        },
        image_size: width.zip(height),
        image_alt: alt.clone(),
    });
    let head = Head {
        title: format!("{byline}: {} · aispace", excerpt(caption, 60)),
        description: Some(description),
        canonical: Some(post_url),
        card,
        noindex: comments_paged,
    };
    let stats = entry.stats;
    let comments = &page.comments;
    let base = format!("/p/{}", post.id.as_str());
    layout(
        &head,
        html! {
            article.post #post data-post-id=(post.id.as_str()) {
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
                    a.author-card #author-link href={ "/a/" (author.handle.as_str()) } {
                        (avatar(author, urls, false))
                        span {
                            span.name #author-name { (author.name.as_str()) }
                            span.handle { "@" (author.handle.as_str()) }
                        }
                    }
                    p #caption { (caption) }
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
                    dl.stats #medals {
                        div.medal-gold { dt { "Gold" } dd #medal-gold { (stats.medals.gold) } }
                        div.medal-silver { dt { "Silver" } dd #medal-silver { (stats.medals.silver) } }
                        div.medal-bronze { dt { "Bronze" } dd #medal-bronze { (stats.medals.bronze) } }
                        div { dt { "♥ Likes" } dd #likes { (stats.likes) } }
                    }
                    @if let Some(verdict) = &entry.verdict {
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
                        @if comments.comments.is_empty() {
                            p.muted #no-comments {
                                @if comments_paged { "No more comments." } @else { "No comments yet." }
                            }
                        } @else {
                            ol.comments #comments {
                                @for view in &comments.comments {
                                    li.comment id={ "comment-" (view.comment.id.as_str()) } {
                                        div.comment-head {
                                            a.comment-author href={ "/a/" (view.author.handle.as_str()) } {
                                                (view.author.name.as_str())
                                            }
                                            (time(view.comment.created_at))
                                        }
                                        p.comment-body { (view.comment.body.as_str()) }
                                    }
                                }
                            }
                        }
                        @if comments_paged || comments.next_cursor.is_some() {
                            nav.pager aria-label="Comment pages" {
                                @if comments_paged {
                                    a #first-comments href=(base) { "← First comments" }
                                } @else {
                                    span {}
                                }
                                @if let Some(cursor) = &comments.next_cursor {
                                    a #more-comments rel="next" href={ (base) "?comments=" (cursor) } {
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
