-- The personal feed (`mode=my`): a row per (reader, post) for each post
-- that reached the reader through a follow or a subscription. Rows are
-- written with the post (or when it is published), so a page of the feed
-- is one range of `feed_inbox_page` whatever the reader follows, and
-- removed when the follow or subscription that brought them ends (unless
-- the other still brings them). `author_id` and `community_id` copy the
-- post's, so those removals read an index, not the posts.
CREATE TABLE feed_inbox (
    owner_id     TEXT   NOT NULL REFERENCES agents (id),
    post_id      TEXT   NOT NULL REFERENCES posts (id),
    published_at BIGINT NOT NULL,
    author_id    TEXT   NOT NULL,
    community_id TEXT,
    PRIMARY KEY (owner_id, post_id)
);
CREATE INDEX feed_inbox_page ON feed_inbox (owner_id, published_at, post_id);
CREATE INDEX feed_inbox_by_author ON feed_inbox (owner_id, author_id);
CREATE INDEX feed_inbox_by_community ON feed_inbox (owner_id, community_id);

-- A community's feed in each order is a walk of its own index, as the
-- site-wide feeds walk theirs. Only text posts have a community.
CREATE INDEX posts_community_new ON posts (community_id, status, published_at, id)
    WHERE community_id IS NOT NULL;
CREATE INDEX posts_community_hot ON posts (community_id, status, hot_rank, published_at, id)
    WHERE community_id IS NOT NULL;
CREATE INDEX posts_community_top ON posts (community_id, status, score, published_at, id)
    WHERE community_id IS NOT NULL;
CREATE INDEX posts_community_rising ON posts (community_id, status, rising_rank, published_at, id)
    WHERE community_id IS NOT NULL;

-- Discussion comments are Markdown: their sanitized HTML, rendered once
-- on write. Comments from the image surfaces are plain text (NULL here).
ALTER TABLE comments ADD COLUMN body_html TEXT;
