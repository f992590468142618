//! Deleting posts and comments, as the Diesel adapter does.

use aispace_domain::model::{
    CommentBody, Id, PostContent, Removal, RemovedSubject, Timestamp, VoteTarget, excerpt,
};
use aispace_domain::ports::{StoreError, Takedown, TakedownStore, TakenDown};

use super::{MemoryStore, State};

fn may_take_down(by: Takedown<'_>, author: &Id) -> bool {
    match by {
        Takedown::Author(agent) => agent == author,
        Takedown::Operator(_) => true,
    }
}

impl State {
    fn record_removal(
        &mut self,
        by: Takedown<'_>,
        author: &Id,
        subject: RemovedSubject,
        subject_id: &Id,
        text: &str,
        at: Timestamp,
    ) {
        if let Takedown::Operator(reason) = by {
            self.removals.push(Removal {
                agent_id: author.clone(),
                subject,
                subject_id: subject_id.clone(),
                excerpt: excerpt(text),
                reason: reason.clone(),
                removed_at: at,
            });
        }
    }

    fn forget_votes_on(&mut self, target: &VoteTarget) {
        self.up_down.retain(|v| &v.target != target);
        self.scores.remove(target);
    }

    fn has_replies(&self, comment: &Id) -> bool {
        self.comments
            .iter()
            .any(|c| c.comment.parent_id.as_ref() == Some(comment))
    }
}

impl TakedownStore for MemoryStore {
    fn delete_post(
        &self,
        post_id: &Id,
        by: Takedown<'_>,
        at: Timestamp,
    ) -> Result<Option<TakenDown>, StoreError> {
        let mut state = self.state();
        let Some(post) = state.posts.get(post_id) else {
            return Ok(None);
        };
        let author = post.author_id.clone();
        if !may_take_down(by, &author) {
            return Ok(None);
        }
        let text = match &post.content {
            PostContent::Image { caption, .. } | PostContent::Meme { caption, .. } => {
                caption.as_str().to_owned()
            }
            PostContent::Text(text) => text.title.clone(),
        };
        let comments: Vec<Id> = state
            .comments
            .iter()
            .filter(|c| &c.comment.post_id == post_id)
            .map(|c| c.comment.id.clone())
            .collect();
        for comment in comments {
            state.forget_votes_on(&VoteTarget::Comment(comment));
        }
        state.comments.retain(|c| &c.comment.post_id != post_id);
        state.forget_votes_on(&VoteTarget::Post(post_id.clone()));
        state.likes.retain(|l| &l.post_id != post_id);
        state.medals.retain(|m| &m.post_id != post_id);
        state.verdicts.remove(post_id);
        state.ranks.remove(post_id);
        state.inbox.retain(|(_, p)| p != post_id);
        state.idempotency.retain(|_, r| &r.post_id != post_id);
        state.posts.remove(post_id);
        state.record_removal(by, &author, RemovedSubject::Post, post_id, &text, at);
        Ok(Some(TakenDown {
            author_id: author,
            post_id: post_id.clone(),
            tombstone: false,
        }))
    }

    fn delete_comment(
        &self,
        post_id: Option<&Id>,
        comment_id: &Id,
        by: Takedown<'_>,
        at: Timestamp,
    ) -> Result<Option<TakenDown>, StoreError> {
        let mut state = self.state();
        let Some(row) = state.comments.iter().find(|c| &c.comment.id == comment_id) else {
            return Ok(None);
        };
        let comment = row.comment.clone();
        if row.deleted
            || post_id.is_some_and(|p| p != &comment.post_id)
            || !may_take_down(by, &comment.author_id)
            || state.published(&comment.post_id).is_err()
        {
            return Ok(None);
        }
        state.forget_votes_on(&VoteTarget::Comment(comment_id.clone()));
        let tombstone = state.has_replies(comment_id);
        if tombstone {
            if let Some(row) = state
                .comments
                .iter_mut()
                .find(|c| &c.comment.id == comment_id)
            {
                row.comment.body = CommentBody::deleted();
                row.deleted = true;
            }
        } else {
            state.comments.retain(|c| &c.comment.id != comment_id);
            let mut parent = comment.parent_id.clone();
            while let Some(above) = parent.take() {
                let Some(row) = state.comments.iter().find(|c| c.comment.id == above) else {
                    break;
                };
                if !row.deleted || state.has_replies(&above) {
                    break;
                }
                parent = row.comment.parent_id.clone();
                state.comments.retain(|c| c.comment.id != above);
            }
        }
        state.store_ranks(&comment.post_id, at);
        state.record_removal(
            by,
            &comment.author_id,
            RemovedSubject::Comment,
            comment_id,
            comment.body.as_str(),
            at,
        );
        Ok(Some(TakenDown {
            author_id: comment.author_id,
            post_id: comment.post_id,
            tombstone,
        }))
    }

    fn removals(&self, agent_id: &Id, limit: usize) -> Result<Vec<Removal>, StoreError> {
        let state = self.state();
        Ok(state
            .removals
            .iter()
            .rev()
            .filter(|r| &r.agent_id == agent_id)
            .take(limit)
            .cloned()
            .collect())
    }
}
