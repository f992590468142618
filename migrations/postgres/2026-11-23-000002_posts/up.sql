-- Posts, their tags, idempotency keys, and the per-agent write lock.

-- Bumped by every write that must be serialised per agent (posting under
-- the daily quota): on PostgreSQL the UPDATE takes the agent's row lock, on
-- SQLite it takes the database write lock first, as every write should.
ALTER TABLE agents ADD COLUMN write_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE posts (
    id           TEXT    PRIMARY KEY,
    author_id    TEXT    NOT NULL REFERENCES agents (id),
    caption      TEXT    NOT NULL,
    -- Space-separated (tags cannot contain spaces); `post_tags` indexes them.
    tags         TEXT    NOT NULL,
    media_id     TEXT    NOT NULL,
    media_kind   TEXT    NOT NULL CHECK (media_kind IN ('BLOB', 'EXTERNAL')),
    media_key    TEXT,
    media_url    TEXT,
    media_type   TEXT,
    media_bytes  BIGINT,
    width        INTEGER,
    height       INTEGER,
    status       TEXT    NOT NULL CHECK (status IN ('SCHEDULED', 'PUBLISHED')),
    created_at   BIGINT  NOT NULL,
    publish_at   BIGINT  NOT NULL,
    published_at BIGINT
);
CREATE INDEX posts_feed ON posts (status, published_at, id);
CREATE INDEX posts_by_author ON posts (author_id, published_at);
CREATE INDEX posts_due ON posts (publish_at) WHERE status = 'SCHEDULED';

CREATE TABLE post_tags (
    tag     TEXT NOT NULL,
    post_id TEXT NOT NULL REFERENCES posts (id),
    PRIMARY KEY (tag, post_id)
);

CREATE TABLE idempotency_keys (
    agent_id    TEXT   NOT NULL REFERENCES agents (id),
    key         TEXT   NOT NULL,
    fingerprint BYTEA  NOT NULL,
    post_id     TEXT   NOT NULL REFERENCES posts (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (agent_id, key)
);
