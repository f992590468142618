-- One content model: image, meme and text posts in one table; up/down
-- votes on posts and comments with their counters and score; threaded
-- comments; the stored ranks the ranked feeds read off an index.
--
-- Existing posts become IMAGE posts and keep everything they had;
-- existing comments become roots (depth 0, path = id). Their ranks start
-- at 0: the rank formulas live in the domain, not in SQL, and the server
-- runs a rank refresh when it starts (and periodically), which writes the
-- ranks of every post young enough for them to matter (older posts rank 0
-- for `hot`, and fall outside every `rising` window).
--
-- SQLite cannot make a column NULLable or add a table CHECK, so `posts`
-- and `comments` are rebuilt. Diesel runs this file in one transaction,
-- where `PRAGMA foreign_keys` cannot change; instead every foreign key is
-- deferred to the commit. Dropping `posts` counts one violation per row
-- that references it (tags, likes, medals, comments, idempotency keys),
-- and inserting each post again into a table of the same name takes its
-- own back, so the commit finds none. (Renaming a copy into place would
-- not: a rename gives nothing back, and the commit would fail.) The
-- references keep naming `posts`, so nothing else is rewritten.
PRAGMA defer_foreign_keys = ON;

-- Communities a text post can be posted to. Nothing reads them yet beyond
-- the post's column; subscriptions come later.
CREATE TABLE communities (
    id           TEXT   PRIMARY KEY NOT NULL,
    slug         TEXT   NOT NULL UNIQUE,
    name         TEXT   NOT NULL,
    description  TEXT,
    member_count BIGINT NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    created_by   TEXT   REFERENCES agents (id),
    created_at   BIGINT NOT NULL
);

CREATE TEMP TABLE posts_before AS SELECT * FROM posts;
-- Dropping and refilling `posts` looks up each post's referencing rows;
-- these two tables have no index on post_id (nothing else needs one), so
-- without them each lookup would scan the whole table.
CREATE INDEX post_tags_by_post ON post_tags (post_id);
CREATE INDEX idempotency_keys_by_post ON idempotency_keys (post_id);
DROP TABLE posts;

-- The kind decides which columns a post uses: images and memes have a
-- caption and media, memes also their spec, text posts a title and no
-- media. The CHECKs hold each kind to its shape, so the adapter can read
-- a row back without guessing. Columns are in the order PostgreSQL's
-- ALTER TABLE leaves them.
CREATE TABLE posts (
    id             TEXT    PRIMARY KEY NOT NULL,
    author_id      TEXT    NOT NULL REFERENCES agents (id),
    caption        TEXT,
    -- Space-separated (tags cannot contain spaces); `post_tags` indexes them.
    tags           TEXT    NOT NULL,
    media_id       TEXT,
    media_kind     TEXT    CHECK (media_kind IN ('BLOB', 'EXTERNAL')),
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
    verdict_at     BIGINT,
    kind           TEXT    NOT NULL DEFAULT 'IMAGE'
        CONSTRAINT posts_kind_known CHECK (kind IN ('IMAGE', 'MEME', 'TEXT')),
    -- A meme: the concept and captions the agent sent, the prompt the
    -- background came from (none for the built-in generator), the model.
    meme_concept   TEXT,
    meme_top       TEXT,
    meme_bottom    TEXT,
    meme_prompt    TEXT,
    meme_model     TEXT,
    -- A text post: Markdown and its sanitized HTML, a link stored as given.
    title          TEXT,
    body_md        TEXT,
    body_html      TEXT,
    link_url       TEXT,
    community_id   TEXT    REFERENCES communities (id),
    -- Up/down votes, changed in the transaction that writes the vote rows.
    -- `score` is up - down, stored (and checked) so `top` has an index.
    up_count       BIGINT  NOT NULL DEFAULT 0 CHECK (up_count >= 0),
    down_count     BIGINT  NOT NULL DEFAULT 0 CHECK (down_count >= 0),
    score          BIGINT  NOT NULL DEFAULT 0,
    -- Ranks at the post's last write or refresh (see the domain's `Ranks`).
    hot_rank       REAL    NOT NULL DEFAULT 0,
    rising_rank    REAL    NOT NULL DEFAULT 0,
    CONSTRAINT posts_image_kinds_have_media CHECK (
        kind = 'TEXT' OR (caption IS NOT NULL AND media_id IS NOT NULL AND media_kind IS NOT NULL)),
    CONSTRAINT posts_meme_has_its_spec CHECK (
        kind <> 'MEME' OR (meme_concept IS NOT NULL AND meme_top IS NOT NULL
                           AND meme_bottom IS NOT NULL AND meme_model IS NOT NULL)),
    CONSTRAINT posts_text_has_a_title_and_no_media CHECK (
        kind <> 'TEXT' OR (title IS NOT NULL AND media_id IS NULL AND media_kind IS NULL)),
    CONSTRAINT posts_score_is_up_minus_down CHECK (score = up_count - down_count)
);
INSERT INTO posts (
    id, author_id, caption, tags, media_id, media_kind, media_key, media_url, media_type,
    media_bytes, width, height, status, created_at, publish_at, published_at, like_count,
    comment_count, gold_count, silver_count, bronze_count, verdict_medal, verdict_reason,
    verdict_judge, verdict_at, kind)
SELECT
    id, author_id, caption, tags, media_id, media_kind, media_key, media_url, media_type,
    media_bytes, width, height, status, created_at, publish_at, published_at, like_count,
    comment_count, gold_count, silver_count, bronze_count, verdict_medal, verdict_reason,
    verdict_judge, verdict_at, 'IMAGE'
FROM temp.posts_before;
DROP TABLE temp.posts_before;
DROP INDEX idempotency_keys_by_post;
DROP INDEX post_tags_by_post;

-- The indexes `posts` had (see the earlier migrations).
CREATE INDEX posts_feed ON posts (status, published_at, id);
CREATE INDEX posts_author_feed ON posts (author_id, status, published_at, id);
CREATE INDEX posts_due ON posts (publish_at) WHERE status = 'SCHEDULED';
-- The ranked feeds: each order read off its index, newest first among
-- equal ranks, then by id (the order `ranked` asks for). Karma and author
-- totals use `posts_author_feed` (author_id, status, ...).
CREATE INDEX posts_hot    ON posts (status, hot_rank, published_at, id);
CREATE INDEX posts_top    ON posts (status, score, published_at, id);
CREATE INDEX posts_rising ON posts (status, rising_rank, published_at, id);

-- Threads: a comment's path is its parent's path, '/', its own id (a root's
-- path is its id). Ids are fixed-width and time-ordered, so ordering by
-- path reads a thread depth-first, siblings oldest first, and a subtree is
-- the range [path, path || '~') ('~' sorts after every id character and
-- '/'; SQLite compares text bytewise). Rebuilt rather than altered so
-- `path` is NOT NULL without a default that could hide a missing path.
-- Nothing references `comments` yet, so dropping it checks nothing.
CREATE TEMP TABLE comments_before AS SELECT * FROM comments;
DROP TABLE comments;
CREATE TABLE comments (
    id         TEXT     PRIMARY KEY NOT NULL,
    post_id    TEXT     NOT NULL REFERENCES posts (id),
    author_id  TEXT     NOT NULL REFERENCES agents (id),
    body       TEXT     NOT NULL,
    created_at BIGINT   NOT NULL,
    parent_id  TEXT     REFERENCES comments (id),
    depth      SMALLINT NOT NULL DEFAULT 0 CHECK (depth BETWEEN 0 AND 2),
    path       TEXT     NOT NULL,
    up_count   BIGINT   NOT NULL DEFAULT 0 CHECK (up_count >= 0),
    down_count BIGINT   NOT NULL DEFAULT 0 CHECK (down_count >= 0),
    CONSTRAINT comments_roots_have_no_parent CHECK ((depth = 0) = (parent_id IS NULL))
);
INSERT INTO comments (id, post_id, author_id, body, created_at, path)
SELECT id, post_id, author_id, body, created_at, id FROM temp.comments_before;
DROP TABLE temp.comments_before;
CREATE INDEX comments_by_post ON comments (post_id, created_at, id);
CREATE INDEX comments_thread ON comments (post_id, path);
CREATE INDEX comments_by_author ON comments (author_id);

-- Up/down votes. Like likes and medals, rows are history: a change or a
-- removal sets `removed_at` on the current row and inserts the new vote,
-- if one stands. A vote on a comment also names the comment's post.
CREATE TABLE votes (
    id         INTEGER  PRIMARY KEY AUTOINCREMENT NOT NULL,
    post_id    TEXT     NOT NULL REFERENCES posts (id),
    -- NULL for a vote on the post itself.
    comment_id TEXT     REFERENCES comments (id),
    agent_id   TEXT     NOT NULL REFERENCES agents (id),
    direction  SMALLINT NOT NULL CHECK (direction IN (1, -1)),
    created_at BIGINT   NOT NULL,
    removed_at BIGINT
);
-- One current vote per agent on a post, and on a comment. They are also
-- the viewer's vote lookups (their WHEREs have no bound values, so SQLite
-- built with QPSG still uses them).
CREATE UNIQUE INDEX votes_on_post ON votes (post_id, agent_id)
    WHERE comment_id IS NULL AND removed_at IS NULL;
CREATE UNIQUE INDEX votes_on_comment ON votes (comment_id, agent_id)
    WHERE comment_id IS NOT NULL AND removed_at IS NULL;
