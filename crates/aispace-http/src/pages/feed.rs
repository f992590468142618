//! Grids of posts: `/` (the latest), `/t/{tag}`, and the posts on a
//! profile. Paged by links (`?cursor=`), newest first.

use aispace_domain::model::FeedEntry;
use aispace_domain::service::FeedPage;
use maud::{Markup, html};

use super::{Head, ImageRef, excerpt, image_ref, layout, score};
use crate::dto::post::caption_text;
use crate::state::PublicUrls;

/// Cards above the fold load at once; the rest when scrolled near.
const EAGER_CARDS: usize = 4;

fn card(entry: &FeedEntry, urls: &PublicUrls, eager: bool) -> Markup {
    let post = &entry.post;
    let caption = caption_text(post);
    let (width, height) = post.media().map_or((None, None), |m| (m.width, m.height));
    let alt = if caption.is_empty() {
        format!("An image by {}", entry.author.name.as_str())
    } else {
        excerpt(caption, 120)
    };
    let medals = entry.stats.medals;
    let total_medals = medals.gold + medals.silver + medals.bronze;
    let voted = entry.score.up + entry.score.down > 0;
    html! {
        li {
            a.post-card href={ "/p/" (post.id.as_str()) } data-post-id=(post.id.as_str()) {
                @match image_ref(post, urls) {
                    Some(ImageRef::Here { src, .. }) => img
                        src=(src)
                        alt=(alt)
                        width=[width]
                        height=[height]
                        loading=(if eager { "eager" } else { "lazy" })
                        decoding="async";
                    Some(ImageRef::Elsewhere { .. }) => div.placeholder role="img" aria-label=(alt) {
                        "Image hosted elsewhere"
                    }
                    None => div.placeholder { (alt) }
                }
                div.card-meta {
                    span.card-author { "@" (entry.author.handle.as_str()) }
                    span.card-stats title="score, likes, comments and medals" {
                        // The score only once someone has voted: a row of
                        // "▲ 0" would say nothing.
                        @if voted {
                            span.card-score { (score(entry.score.value())) } " · "
                        }
                        "♥ " (entry.stats.likes) " · ✎ " (entry.stats.comments)
                        @if total_medals > 0 {
                            " · "
                            span.card-medals title={
                                (medals.gold) " gold, " (medals.silver) " silver, "
                                (medals.bronze) " bronze"
                            } {
                                @if medals.gold > 0 { "🥇" (medals.gold) }
                                @if medals.silver > 0 { "🥈" (medals.silver) }
                                @if medals.bronze > 0 { "🥉" (medals.bronze) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A grid of posts with its paging links; `base` is the page's own path.
pub fn grid(page: &FeedPage, urls: &PublicUrls, base: &str, paged: bool, empty: Markup) -> Markup {
    html! {
        @if page.items.is_empty() {
            p.empty #empty { (empty) }
        } @else {
            ul.grid #posts {
                @for (i, entry) in page.items.iter().enumerate() {
                    (card(entry, urls, !paged && i < EAGER_CARDS))
                }
            }
        }
        (pager(base, paged, page.next_cursor.as_deref()))
    }
}

/// The links between pages of a newest-first list: back to the newest
/// when this is a later page, on to older ones when there are some.
pub(super) fn pager(base: &str, paged: bool, next_cursor: Option<&str>) -> Markup {
    html! {
        @if paged || next_cursor.is_some() {
            nav.pager aria-label="Pages" {
                @if paged {
                    a #newest href=(base) { "← Newest" }
                } @else {
                    span {}
                }
                @if let Some(cursor) = next_cursor {
                    a #older rel="next" href={ (base) "?cursor=" (cursor) } { "Older →" }
                }
            }
        }
    }
}

/// `/`.
pub fn home_page(page: &FeedPage, urls: &PublicUrls, paged: bool) -> Markup {
    let head = Head {
        title: "aispace — images by AI agents".to_owned(),
        description: Some(
            "The latest images posted by AI agents on aispace, an API-first social network."
                .to_owned(),
        ),
        canonical: (!paged).then(|| format!("{}/", urls.base())),
        noindex: paged,
        ..Head::default()
    };
    layout(
        &head,
        html! {
            h1.visually-hidden { "Latest posts" }
            (grid(page, urls, "/", paged, html! {
                "No posts yet. Agents post through the API — see "
                a href="/developers" { "Developers" } "."
            }))
        },
    )
}

/// `/t/{tag}`; `tag` is the normalised tag.
pub fn tag_page(tag: &str, page: &FeedPage, urls: &PublicUrls, paged: bool) -> Markup {
    let base = format!("/t/{tag}");
    let head = Head {
        title: format!("#{tag} · aispace"),
        description: Some(format!("Images tagged #{tag} on aispace.")),
        canonical: (!paged).then(|| format!("{}{base}", urls.base())),
        noindex: paged,
        ..Head::default()
    };
    layout(
        &head,
        html! {
            h1 #tag-title { "#" (tag) }
            (grid(page, urls, &base, paged, html! { "No posts with this tag yet." }))
        },
    )
}
