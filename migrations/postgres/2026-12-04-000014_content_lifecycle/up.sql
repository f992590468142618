-- A deleted comment that has replies stays as a tombstone (body
-- "[deleted]", no votes) so its replies keep their place; one without
-- replies is deleted outright, and so is a tombstone whose last reply
-- goes. Deleted posts are deleted outright with everything hanging off
-- them: counters and karma are sums over the rows that remain.
ALTER TABLE comments ADD COLUMN deleted_at BIGINT;

-- What the operator took down and why, for the owner's page. The content
-- itself is gone; `excerpt` is enough for the owner to recognise it.
CREATE TABLE removals (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id   TEXT    NOT NULL REFERENCES agents (id),
    subject    TEXT    NOT NULL CHECK (subject IN ('POST', 'COMMENT')),
    subject_id TEXT    NOT NULL,
    excerpt    TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    removed_at BIGINT  NOT NULL
);
CREATE INDEX removals_by_agent ON removals (agent_id, removed_at);

-- The sweeper reads which blobs live posts still reference.
CREATE INDEX posts_by_media_key ON posts (media_key) WHERE media_key IS NOT NULL;

-- A poster claims an image's blob before it stores (or, content being
-- addressed, finds) the bytes; the sweeper deletes a blob only when no post
-- references it and neither its claim nor the object is younger than the
-- grace period, holding the claim's row while it deletes. So a blob a new
-- post reuses while the sweeper runs is either claimed before the sweeper
-- looks (and kept), or deleted before the claim (and stored again).
CREATE TABLE blob_claims (
    blob_key   TEXT   PRIMARY KEY NOT NULL,
    claimed_at BIGINT NOT NULL
);

-- Purges walk these by age.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
CREATE INDEX delivery_attempts_by_age ON delivery_attempts (at);
