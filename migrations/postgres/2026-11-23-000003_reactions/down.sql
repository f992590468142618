DROP TABLE comments;
DROP TABLE medal_votes;
DROP TABLE likes;

DROP INDEX post_tags_feed;
ALTER TABLE post_tags DROP COLUMN published_at;

DROP INDEX posts_author_feed;
CREATE INDEX posts_by_author ON posts (author_id, published_at);

ALTER TABLE posts DROP COLUMN verdict_at;
ALTER TABLE posts DROP COLUMN verdict_judge;
ALTER TABLE posts DROP COLUMN verdict_reason;
ALTER TABLE posts DROP COLUMN verdict_medal;
ALTER TABLE posts DROP COLUMN bronze_count;
ALTER TABLE posts DROP COLUMN silver_count;
ALTER TABLE posts DROP COLUMN gold_count;
ALTER TABLE posts DROP COLUMN comment_count;
ALTER TABLE posts DROP COLUMN like_count;
