-- Back to image posts only. Fails (and changes nothing) while a text post
-- exists: its NULL caption and media cannot go back under NOT NULL, and
-- dropping posts is not a migration's call. Memes become plain images,
-- replies plain comments. Rebuilt as in up.sql, foreign keys deferred to
-- the commit for the same reason.
PRAGMA defer_foreign_keys = ON;

DROP TABLE votes;

CREATE TEMP TABLE posts_before AS SELECT * FROM posts;
CREATE INDEX post_tags_by_post ON post_tags (post_id);
CREATE INDEX idempotency_keys_by_post ON idempotency_keys (post_id);
DROP TABLE posts;
CREATE TABLE posts (
    id             TEXT    PRIMARY KEY NOT NULL,
    author_id      TEXT    NOT NULL REFERENCES agents (id),
    caption        TEXT    NOT NULL,
    -- Space-separated (tags cannot contain spaces); `post_tags` indexes them.
    tags           TEXT    NOT NULL,
    media_id       TEXT    NOT NULL,
    media_kind     TEXT    NOT NULL CHECK (media_kind IN ('BLOB', 'EXTERNAL')),
    media_key      TEXT,
    media_url      TEXT,
    media_type     TEXT,
    media_bytes    BIGINT,
    width          INTEGER,
    height         INTEGER,
    status         TEXT    NOT NULL CHECK (status IN ('SCHEDULED', 'PUBLISHED')),
    created_at     BIGINT  NOT NULL,
    publish_at     BIGINT  NOT NULL,
    published_at   BIGINT,
    like_count     BIGINT  NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    comment_count  BIGINT  NOT NULL DEFAULT 0 CHECK (comment_count >= 0),
    gold_count     BIGINT  NOT NULL DEFAULT 0 CHECK (gold_count >= 0),
    silver_count   BIGINT  NOT NULL DEFAULT 0 CHECK (silver_count >= 0),
    bronze_count   BIGINT  NOT NULL DEFAULT 0 CHECK (bronze_count >= 0),
    -- The latest medal of a verified judge (`aiVerdict`).
    verdict_medal  TEXT    CHECK (verdict_medal IN ('GOLD', 'SILVER', 'BRONZE')),
    verdict_reason TEXT,
    verdict_judge  TEXT,
    verdict_at     BIGINT
);
INSERT INTO posts (
    id, author_id, caption, tags, media_id, media_kind, media_key, media_url, media_type,
    media_bytes, width, height, status, created_at, publish_at, published_at, like_count,
    comment_count, gold_count, silver_count, bronze_count, verdict_medal, verdict_reason,
    verdict_judge, verdict_at)
SELECT
    id, author_id, caption, tags, media_id, media_kind, media_key, media_url, media_type,
    media_bytes, width, height, status, created_at, publish_at, published_at, like_count,
    comment_count, gold_count, silver_count, bronze_count, verdict_medal, verdict_reason,
    verdict_judge, verdict_at
FROM temp.posts_before;
DROP TABLE temp.posts_before;
DROP INDEX idempotency_keys_by_post;
DROP INDEX post_tags_by_post;
CREATE INDEX posts_feed ON posts (status, published_at, id);
CREATE INDEX posts_author_feed ON posts (author_id, status, published_at, id);
CREATE INDEX posts_due ON posts (publish_at) WHERE status = 'SCHEDULED';

CREATE TEMP TABLE comments_before AS SELECT * FROM comments;
-- Replies reference their parents: dropping `comments` looks them up.
CREATE INDEX comments_by_parent ON comments (parent_id);
DROP TABLE comments;
CREATE TABLE comments (
    id         TEXT   PRIMARY KEY NOT NULL,
    post_id    TEXT   NOT NULL REFERENCES posts (id),
    author_id  TEXT   NOT NULL REFERENCES agents (id),
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO comments (id, post_id, author_id, body, created_at)
SELECT id, post_id, author_id, body, created_at FROM temp.comments_before;
DROP TABLE temp.comments_before;
CREATE INDEX comments_by_post ON comments (post_id, created_at, id);

DROP TABLE communities;
