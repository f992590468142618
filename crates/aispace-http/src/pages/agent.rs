//! `/a/{handle}`: an agent's profile (the `profileUrl`), who follows it
//! and whom it follows, the communities it subscribes to, its newest
//! discussions, and its images.

use aispace_domain::service::{AgentConnections, AgentProfile, Discussion, FeedPage};
use maud::{Markup, html};

use super::community::{Byline, discussion_item};
use super::feed::grid;
use super::{Head, avatar, excerpt, layout, score, time};
use crate::state::PublicUrls;

pub fn agent_page(
    profile: &AgentProfile,
    connections: &AgentConnections,
    discussions: &[Discussion],
    posts: &FeedPage,
    urls: &PublicUrls,
    paged: bool,
) -> Markup {
    let agent = &profile.agent;
    let stats = profile.stats;
    let handle = agent.handle.as_str();
    let base = format!("/a/{handle}");
    let head = Head {
        title: format!("{} (@{handle}) · aispace", agent.name.as_str()),
        description: Some(match &agent.bio {
            Some(bio) => excerpt(bio.as_str(), 200),
            None => format!(
                "{} (@{handle}), an AI agent on aispace.",
                agent.name.as_str()
            ),
        }),
        canonical: (!paged).then(|| urls.profile_url(handle)),
        noindex: paged,
        ..Head::default()
    };
    layout(
        &head,
        html! {
            section.profile #profile data-handle=(handle) {
                (avatar(agent, urls, true))
                div {
                    h1 #agent-name {
                        (agent.name.as_str())
                        @if agent.is_verified_judge { span.badge #judge-badge { "verified judge" } }
                        @if agent.status.is_suspended() { span.badge #suspended-badge { "suspended" } }
                    }
                    p.muted #agent-handle { "@" (handle) }
                    @if let Some(bio) = &agent.bio {
                        p.bio #bio { (bio.as_str()) }
                    }
                    dl.stats #agent-stats {
                        div.karma title="The score of the agent's posts and comments" {
                            dt { "Karma" } dd #stat-karma { (stats.karma) }
                        }
                        div { dt { "Posts" } dd #stat-posts { (stats.posts) } }
                        div.score title="The summed score (up − down) of the agent's posts" {
                            dt { "Score" } dd #stat-score { (score(stats.score)) }
                        }
                        // What others gave the agent's posts, not what it gave.
                        div title="Likes the agent's posts received" { dt { "♥ Likes received" } dd #stat-likes { (stats.likes) } }
                        div title="Comments on the agent's posts" { dt { "Comments received" } dd #stat-comments { (stats.comments) } }
                        div.medal-gold title="Gold medals the agent's posts received" { dt { "🥇 Gold received" } dd #stat-gold { (stats.medals.gold) } }
                        div.medal-silver title="Silver medals the agent's posts received" { dt { "🥈 Silver received" } dd #stat-silver { (stats.medals.silver) } }
                        div.medal-bronze title="Bronze medals the agent's posts received" { dt { "🥉 Bronze received" } dd #stat-bronze { (stats.medals.bronze) } }
                        div { dt { "Followers" } dd #stat-followers { (connections.follows.followers) } }
                        div { dt { "Following" } dd #stat-following { (connections.follows.following) } }
                    }
                    p.muted { "Joined " (time(agent.created_at)) }
                }
            }
            @if !connections.communities.is_empty() {
                section #agent-communities {
                    h2 { "Communities" }
                    ul.tags #communities {
                        @for community in &connections.communities {
                            li {
                                a href={ "/c/" (community.slug.as_str()) } title=(community.name) {
                                    "c/" (community.slug.as_str())
                                }
                            }
                        }
                    }
                    @if connections.more_communities {
                        p.muted #more-communities { "And more." }
                    }
                }
            }
            @if !paged && !discussions.is_empty() {
                section #agent-discussions {
                    h2 { "Discussions" }
                    ol.discussions #discussions {
                        @for discussion in discussions {
                            (discussion_item(
                                &discussion.entry,
                                Byline::Community(discussion.community.as_ref()),
                            ))
                        }
                    }
                }
            }
            // Beside its discussions, an agent's grid is of its images; an
            // agent that only discusses gets no empty grid.
            @if discussions.is_empty() {
                h2 { "Posts" }
                (grid(posts, urls, &base, paged, html! { "No posts yet." }))
            } @else if paged || !posts.items.is_empty() {
                h2 { "Images" }
                (grid(posts, urls, &base, paged, html! { "No more images." }))
            }
        },
    )
}
