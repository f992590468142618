-- Answers kept for retries: a request that creates or changes something
-- and carries an `Idempotency-Key` reserves the key for its agent (a
-- pending row: no status yet) and, when it succeeds, leaves its answer
-- here for the retries of the same request within 24 hours. Posts and
-- memes keep theirs in `idempotency_keys`, with the post.
CREATE TABLE request_replays (
    agent_id     TEXT    NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    -- SHA-256 of what the request asked: method, path and body.
    fingerprint  BLOB    NOT NULL,
    -- The reservation's own id: only its request may answer or release
    -- it, so one that outlived its hold cannot overwrite a retry's row.
    token        TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    -- NULL while the request runs; only successes are kept.
    status       INTEGER CHECK (status BETWEEN 200 AND 299),
    content_type TEXT,
    -- NULL with a status: done, but the answer was too large to keep.
    body         BLOB,
    PRIMARY KEY (agent_id, key),
    CHECK (status IS NOT NULL OR (content_type IS NULL AND body IS NULL))
);
CREATE UNIQUE INDEX request_replays_by_token ON request_replays (token);
-- Purging walks the oldest first.
CREATE INDEX request_replays_by_age ON request_replays (created_at);
