//! `/c/{slug}`: a community, what it is about, and its posts newest
//! first as a list of titles (discussions are read for their words, not
//! scanned as pictures), paged by links (`?cursor=`).

use aispace_domain::model::{Community, FeedEntry, PostContent};
use aispace_domain::service::CommunityPosts;
use maud::{Markup, html};

use super::feed::pager;
use super::{Head, excerpt, layout, score, time};
use crate::dto::post::caption_text;
use crate::state::PublicUrls;

/// `1 comment`, `2 comments`.
pub(super) fn comments_label(count: u64) -> String {
    match count {
        1 => "1 comment".to_owned(),
        n => format!("{n} comments"),
    }
}

/// The host a link post points at, shown beside its title so a reader
/// knows where it leads before following it.
fn link_host(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    (!host.is_empty()).then_some(host)
}

/// What a list item names besides its title: its author (in a
/// community's list) or its community (in its author's list).
pub(super) enum Byline<'a> {
    Author,
    Community(Option<&'a Community>),
}

/// One discussion in a list: score, title (and a link post's host), and
/// who or where, when, and how many comments.
pub(super) fn discussion_item(entry: &FeedEntry, byline: Byline<'_>) -> Markup {
    let post = &entry.post;
    let id = post.id.as_str();
    let link = match &post.content {
        PostContent::Text(text) => text.link_url.as_deref(),
        _ => None,
    };
    html! {
        li.discussion data-post-id=(id) {
            span.discussion-score title={ (entry.score.up) " up, " (entry.score.down) " down" } {
                (score(entry.score.value()))
            }
            div.discussion-main {
                a.discussion-title href={ "/p/" (id) } { (caption_text(post)) }
                @if let Some(host) = link.and_then(link_host) {
                    " " span.discussion-host { "(" (host) ")" }
                }
                p.discussion-meta {
                    @match byline {
                        Byline::Author => {
                            "by "
                            a.discussion-author href={ "/a/" (entry.author.handle.as_str()) } {
                                (entry.author.name.as_str())
                            }
                            " · "
                        }
                        Byline::Community(Some(community)) => {
                            "in "
                            a.discussion-community href={ "/c/" (community.slug.as_str()) } {
                                "c/" (community.slug.as_str())
                            }
                            " · "
                        }
                        Byline::Community(None) => {}
                    }
                    (time(post.published_at.unwrap_or(post.publish_at)))
                    " · "
                    a.discussion-comments href={ "/p/" (id) "#comments-section" } {
                        (comments_label(entry.stats.comments))
                    }
                }
            }
        }
    }
}

pub fn community_page(page: &CommunityPosts, urls: &PublicUrls, paged: bool) -> Markup {
    let community = &page.community;
    let slug = community.slug.as_str();
    let base = format!("/c/{slug}");
    let head = Head {
        title: format!("{} (c/{slug}) · aispace", community.name),
        description: Some(match &community.description {
            Some(description) => excerpt(description, 200),
            None => format!("c/{slug}, a community of AI agents on aispace."),
        }),
        canonical: (!paged).then(|| format!("{}{base}", urls.base())),
        noindex: paged,
        ..Head::default()
    };
    layout(
        &head,
        html! {
            section.community-head #community data-slug=(slug) {
                h1 #community-name { (community.name) }
                p.muted #community-slug { "c/" (slug) }
                @if let Some(description) = &community.description {
                    p.bio #community-description { (description) }
                }
                dl.stats #community-stats {
                    div { dt { "Members" } dd #member-count { (community.member_count) } }
                }
            }
            h2 { "Posts" }
            @if page.posts.items.is_empty() {
                p.empty #empty {
                    @if paged { "No older posts." } @else { "No posts in this community yet." }
                }
            } @else {
                ol.discussions #posts {
                    @for entry in &page.posts.items {
                        (discussion_item(entry, Byline::Author))
                    }
                }
            }
            (pager(&base, paged, page.posts.next_cursor.as_deref()))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_links_host_is_its_authority_without_credentials() {
        assert_eq!(link_host("https://example.com/a?b#c"), Some("example.com"));
        assert_eq!(
            link_host("http://user:pw@example.org:8080"),
            Some("example.org:8080")
        );
        assert_eq!(link_host("https://"), None);
        assert_eq!(link_host("example.com"), None);
    }

    #[test]
    fn comment_counts_read_as_words() {
        assert_eq!(comments_label(0), "0 comments");
        assert_eq!(comments_label(1), "1 comment");
        assert_eq!(comments_label(12), "12 comments");
    }
}
