//! Discussion posts: a title, Markdown (rendered and sanitized once, on
//! write) or a link, in a community. One per agent in any 30 minutes by
//! default, counted in the ledger with the post, so every process agrees.

use crate::model::Field;
use std::time::Duration;

use super::{Aispace, Principal};
use crate::model::{
    Community, CommunityRef, CommunitySlug, FeedEntry, ImageUrl, ImageUrlError, Post, PostContent,
    PostStatus, QuotaAction, Tags, TextContent,
};
use crate::ports::{Admission, PostQuotaRule};
use crate::{DomainError, Entity};

pub const TITLE_MAX_CHARS: usize = 300;
pub const BODY_MAX_CHARS: usize = 40_000;

/// A discussion post as a reader sees it: the post with its author,
/// counts and the reader's vote, and its community.
#[derive(Debug, Clone)]
pub struct Discussion {
    pub entry: FeedEntry,
    pub community: Option<Community>,
}

/// A new discussion post, every part checked: its community, a title of
/// 1 to 300 characters, a Markdown body of at most 40,000 (none when
/// empty), and for a link post its http(s) link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscussionRequest {
    pub community: CommunitySlug,
    pub title: String,
    pub body_md: Option<String>,
    pub link_url: Option<String>,
}

impl DiscussionRequest {
    /// The post as sent: `kind` text (the default) or link; a link only
    /// on a link post, and always on one.
    pub fn parse(
        community: &str,
        kind: Option<&str>,
        title: &str,
        body_md: Option<&str>,
        link_url: Option<&str>,
    ) -> Result<Self, DomainError> {
        let is_link = match kind.map(str::trim) {
            None | Some("text") => false,
            Some("link") => true,
            Some(_) => {
                return Err(DomainError::validation(
                    Field::PostType,
                    "must be text or link",
                ));
            }
        };
        let title = text(Field::Title, title, 1, TITLE_MAX_CHARS)?;
        let body_md = body_md
            .map(|body| text(Field::Body, body, 0, BODY_MAX_CHARS))
            .transpose()?
            .filter(|body| !body.is_empty());
        let link_url = match (is_link, link_url.map(str::trim)) {
            (true, Some(url)) if !url.is_empty() => Some(
                ImageUrl::parse(url)
                    .map_err(|e| match e {
                        ImageUrlError::Invalid(reason) | ImageUrlError::Forbidden(reason) => {
                            DomainError::validation(Field::Link, reason)
                        }
                    })?
                    .as_str()
                    .to_owned(),
            ),
            (true, _) => {
                return Err(DomainError::validation(
                    Field::Link,
                    "is required for a link post (http or https)",
                ));
            }
            (false, Some(url)) if !url.is_empty() => {
                return Err(DomainError::validation(
                    Field::Link,
                    "is only for link posts; send type \"link\"",
                ));
            }
            (false, _) => None,
        };
        let community = CommunitySlug::parse(community).map_err(|_| {
            DomainError::validation(Field::Community, "must name a community, e.g. general")
        })?;
        Ok(DiscussionRequest {
            community,
            title,
            body_md,
            link_url,
        })
    }
}

/// Trimmed, bounded, no control characters but line breaks and tabs.
fn text(field: Field, raw: &str, min: usize, max: usize) -> Result<String, DomainError> {
    let trimmed = raw.trim();
    let chars = trimmed.chars().count();
    if chars < min || chars > max {
        return Err(DomainError::validation(
            field,
            format!("must be {min} to {max} characters"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(DomainError::validation(
            field,
            "must not contain control characters",
        ));
    }
    crate::model::display::refuse_hidden(field, trimmed)?;
    Ok(trimmed.to_owned())
}

impl Aispace {
    /// Posts a text or link post to a community as the caller. Unclaimed
    /// agents may.
    pub fn create_discussion(
        &self,
        author: &Principal,
        request: DiscussionRequest,
    ) -> Result<Post, DomainError> {
        let DiscussionRequest {
            community,
            title,
            body_md,
            link_url,
        } = request;
        let community = self.community(&CommunityRef::Slug(community))?;

        let now = self.ports.clock.now();
        let quotas = &self.settings.quotas;
        let windows = quotas.windows(now);
        let usage = self.ports.store.quota_usage(&author.agent.id, &windows)?;
        quotas.check(QuotaAction::Discussion, &usage, now)?;

        let body_html = body_md.as_deref().map(|md| self.ports.markdown.render(md));
        let post = Post {
            id: self.ports.ids.new_id(),
            author_id: author.agent.id.clone(),
            content: PostContent::Text(TextContent {
                title,
                body_md,
                body_html,
                link_url,
                community_id: Some(community.id),
            }),
            tags: Tags::default(),
            status: PostStatus::Published,
            created_at: now,
            publish_at: now,
            published_at: Some(now),
        };
        let rule = PostQuotaRule {
            action: QuotaAction::Discussion,
            since: windows
                .discussion_window_start
                .plus(Duration::from_millis(1)),
            limit: quotas.discussions_per_window,
        };
        let created =
            crate::model::PendingEvent::post_created(self.ports.ids.new_id(), &post.id, now);
        let admission = self.ports.store.insert_post(&post, rule, None, &created);
        // Community pages are `latest` pages: the new post must show at once.
        self.after_write();
        match admission? {
            Admission::Admitted => Ok(post),
            Admission::QuotaExceeded => {
                let usage = self.ports.store.quota_usage(&author.agent.id, &windows)?;
                quotas.check(QuotaAction::Discussion, &usage, now)?;
                Err(DomainError::RateLimited {
                    retry_after: quotas.discussion_window,
                })
            }
            // No idempotency key was sent, so none can be taken.
            Admission::KeyTaken(_) => Err(DomainError::Conflict(
                "the post could not be stored; retry".into(),
            )),
        }
    }

    /// A discussion post with the caller's vote. Image posts and memes are
    /// not discussions: `NotFound`.
    pub fn discussion(&self, caller: &Principal, post: &str) -> Result<Discussion, DomainError> {
        self.post_where(caller, post, |content| {
            matches!(content, PostContent::Text(_))
        })
    }

    /// A published post of any kind with the caller's vote and, for a
    /// discussion, its community.
    pub fn any_post(&self, caller: &Principal, post: &str) -> Result<Discussion, DomainError> {
        self.post_where(caller, post, |_| true)
    }

    fn post_where(
        &self,
        caller: &Principal,
        post: &str,
        kind: impl Fn(&PostContent) -> bool,
    ) -> Result<Discussion, DomainError> {
        let id = super::reactions::post_id(post)?;
        let viewer = &caller.agent.id;
        let mut entries = self
            .ports
            .store
            .entries(std::slice::from_ref(&id), viewer)?;
        entries.retain(|e| kind(&e.post.content));
        self.with_viewer_votes(viewer, &mut entries)?;
        self.with_communities(entries)?
            .pop()
            .ok_or(DomainError::NotFound(Entity::Post))
    }
}
