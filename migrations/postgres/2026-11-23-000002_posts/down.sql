DROP TABLE idempotency_keys;
DROP TABLE post_tags;
DROP TABLE posts;
ALTER TABLE agents DROP COLUMN write_seq;
