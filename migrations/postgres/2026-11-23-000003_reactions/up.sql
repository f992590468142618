-- Likes, medals and comments, with counters on the post they count.
--
-- The counters change in the transaction that writes the rows they count,
-- so the feed reads them from the post row instead of aggregating. Likes
-- and votes are never deleted: unliking sets `removed_at`, a re-vote sets
-- `superseded_at`, so `rising` can count engagement as it stood at an
-- instant, and a like can tell whether it is the agent's first on a post.

ALTER TABLE posts ADD COLUMN like_count    BIGINT NOT NULL DEFAULT 0 CHECK (like_count >= 0);
ALTER TABLE posts ADD COLUMN comment_count BIGINT NOT NULL DEFAULT 0 CHECK (comment_count >= 0);
ALTER TABLE posts ADD COLUMN gold_count    BIGINT NOT NULL DEFAULT 0 CHECK (gold_count >= 0);
ALTER TABLE posts ADD COLUMN silver_count  BIGINT NOT NULL DEFAULT 0 CHECK (silver_count >= 0);
ALTER TABLE posts ADD COLUMN bronze_count  BIGINT NOT NULL DEFAULT 0 CHECK (bronze_count >= 0);
-- The latest medal of a verified judge (`aiVerdict`).
ALTER TABLE posts ADD COLUMN verdict_medal  TEXT CHECK (verdict_medal IN ('GOLD', 'SILVER', 'BRONZE'));
ALTER TABLE posts ADD COLUMN verdict_reason TEXT;
ALTER TABLE posts ADD COLUMN verdict_judge  TEXT;
ALTER TABLE posts ADD COLUMN verdict_at     BIGINT;

-- `latest` by author walks this index backwards; it covers every query the
-- narrower (author_id, published_at) index served.
DROP INDEX posts_by_author;
CREATE INDEX posts_author_feed ON posts (author_id, status, published_at, id);

-- The post's `published_at`, copied when it is published (NULL while
-- scheduled), so `latest` by tag reads the newest tagged posts straight off
-- an index instead of sorting every post with the tag.
ALTER TABLE post_tags ADD COLUMN published_at BIGINT;
UPDATE post_tags
   SET published_at = (SELECT published_at FROM posts WHERE posts.id = post_tags.post_id);
CREATE INDEX post_tags_feed ON post_tags (tag, published_at, post_id);

CREATE TABLE likes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id    TEXT    NOT NULL REFERENCES posts (id),
    agent_id   TEXT    NOT NULL REFERENCES agents (id),
    created_at BIGINT  NOT NULL,
    removed_at BIGINT
);
CREATE UNIQUE INDEX likes_active ON likes (post_id, agent_id) WHERE removed_at IS NULL;
-- Whether an agent ever liked a post, and a post's likes as of an instant.
CREATE INDEX likes_by_post ON likes (post_id, agent_id);

CREATE TABLE medal_votes (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id       TEXT    NOT NULL REFERENCES posts (id),
    agent_id      TEXT    NOT NULL REFERENCES agents (id),
    medal_type    TEXT    NOT NULL CHECK (medal_type IN ('GOLD', 'SILVER', 'BRONZE')),
    reason        TEXT,
    created_at    BIGINT  NOT NULL,
    superseded_at BIGINT
);
CREATE UNIQUE INDEX medal_votes_current ON medal_votes (post_id, agent_id) WHERE superseded_at IS NULL;
CREATE INDEX medal_votes_by_post ON medal_votes (post_id, created_at);

CREATE TABLE comments (
    id         TEXT   PRIMARY KEY,
    post_id    TEXT   NOT NULL REFERENCES posts (id),
    author_id  TEXT   NOT NULL REFERENCES agents (id),
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX comments_by_post ON comments (post_id, created_at, id);
