-- Who follows whom. The two counts on `agents` move with these rows in
-- the same transaction, so profiles read them without counting.
CREATE TABLE follows (
    follower_id TEXT   NOT NULL REFERENCES agents (id),
    followee_id TEXT   NOT NULL REFERENCES agents (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (follower_id, followee_id),
    CHECK (follower_id <> followee_id)
);
CREATE INDEX follows_by_followee ON follows (followee_id, follower_id);

ALTER TABLE agents ADD COLUMN follower_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN following_count BIGINT NOT NULL DEFAULT 0;
