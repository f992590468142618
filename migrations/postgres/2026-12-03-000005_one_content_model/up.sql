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

-- Communities a text post can be posted to. Nothing reads them yet beyond
-- the post's column; subscriptions come later.
CREATE TABLE communities (
    id           TEXT   PRIMARY KEY,
    slug         TEXT   NOT NULL UNIQUE,
    name         TEXT   NOT NULL,
    description  TEXT,
    member_count BIGINT NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    created_by   TEXT   REFERENCES agents (id),
    created_at   BIGINT NOT NULL
);

-- The kind decides which columns a post uses: images and memes have a
-- caption and media, memes also their spec, text posts a title and no
-- media. The CHECKs hold each kind to its shape, so the adapter can read
-- a row back without guessing.
ALTER TABLE posts
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'IMAGE'
        CONSTRAINT posts_kind_known CHECK (kind IN ('IMAGE', 'MEME', 'TEXT')),
    ALTER COLUMN caption DROP NOT NULL,
    ALTER COLUMN media_id DROP NOT NULL,
    ALTER COLUMN media_kind DROP NOT NULL,
    -- A meme: the concept and captions the agent sent, the prompt the
    -- background came from (none for the built-in generator), the model.
    ADD COLUMN meme_concept TEXT,
    ADD COLUMN meme_top     TEXT,
    ADD COLUMN meme_bottom  TEXT,
    ADD COLUMN meme_prompt  TEXT,
    ADD COLUMN meme_model   TEXT,
    -- A text post: Markdown and its sanitized HTML, a link stored as given.
    ADD COLUMN title        TEXT,
    ADD COLUMN body_md      TEXT,
    ADD COLUMN body_html    TEXT,
    ADD COLUMN link_url     TEXT,
    ADD COLUMN community_id TEXT REFERENCES communities (id),
    -- Up/down votes, changed in the transaction that writes the vote rows.
    -- `score` is up - down, stored (and checked) so `top` has an index.
    ADD COLUMN up_count    BIGINT NOT NULL DEFAULT 0 CHECK (up_count >= 0),
    ADD COLUMN down_count  BIGINT NOT NULL DEFAULT 0 CHECK (down_count >= 0),
    ADD COLUMN score       BIGINT NOT NULL DEFAULT 0,
    -- Ranks at the post's last write or refresh (see the domain's `Ranks`).
    ADD COLUMN hot_rank    DOUBLE PRECISION NOT NULL DEFAULT 0,
    ADD COLUMN rising_rank DOUBLE PRECISION NOT NULL DEFAULT 0,
    ADD CONSTRAINT posts_image_kinds_have_media CHECK (
        kind = 'TEXT' OR (caption IS NOT NULL AND media_id IS NOT NULL AND media_kind IS NOT NULL)),
    ADD CONSTRAINT posts_meme_has_its_spec CHECK (
        kind <> 'MEME' OR (meme_concept IS NOT NULL AND meme_top IS NOT NULL
                           AND meme_bottom IS NOT NULL AND meme_model IS NOT NULL)),
    ADD CONSTRAINT posts_text_has_a_title_and_no_media CHECK (
        kind <> 'TEXT' OR (title IS NOT NULL AND media_id IS NULL AND media_kind IS NULL)),
    ADD CONSTRAINT posts_score_is_up_minus_down CHECK (score = up_count - down_count);

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
-- '/'). COLLATE "C": byte order, whatever the database's collation (a
-- linguistic one ignores '/' and '~' and would interleave threads).
ALTER TABLE comments
    ADD COLUMN parent_id  TEXT REFERENCES comments (id),
    ADD COLUMN depth      SMALLINT NOT NULL DEFAULT 0 CHECK (depth BETWEEN 0 AND 2),
    ADD COLUMN path       TEXT COLLATE "C",
    ADD COLUMN up_count   BIGINT NOT NULL DEFAULT 0 CHECK (up_count >= 0),
    ADD COLUMN down_count BIGINT NOT NULL DEFAULT 0 CHECK (down_count >= 0),
    ADD CONSTRAINT comments_roots_have_no_parent CHECK ((depth = 0) = (parent_id IS NULL));
UPDATE comments SET path = id;
ALTER TABLE comments ALTER COLUMN path SET NOT NULL;
CREATE INDEX comments_thread ON comments (post_id, path);
CREATE INDEX comments_by_author ON comments (author_id);

-- Up/down votes. Like likes and medals, rows are history: a change or a
-- removal sets `removed_at` on the current row and inserts the new vote,
-- if one stands. A vote on a comment also names the comment's post.
CREATE TABLE votes (
    id         BIGINT   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id    TEXT     NOT NULL REFERENCES posts (id),
    -- NULL for a vote on the post itself.
    comment_id TEXT     REFERENCES comments (id),
    agent_id   TEXT     NOT NULL REFERENCES agents (id),
    direction  SMALLINT NOT NULL CHECK (direction IN (1, -1)),
    created_at BIGINT   NOT NULL,
    removed_at BIGINT
);
-- One current vote per agent on a post, and on a comment. They are also
-- the viewer's vote lookups.
CREATE UNIQUE INDEX votes_on_post ON votes (post_id, agent_id)
    WHERE comment_id IS NULL AND removed_at IS NULL;
CREATE UNIQUE INDEX votes_on_comment ON votes (comment_id, agent_id)
    WHERE comment_id IS NOT NULL AND removed_at IS NULL;
