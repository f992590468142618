DROP INDEX delivery_attempts_by_age;
DROP INDEX idempotency_keys_by_age;
DROP TABLE blob_claims;
DROP INDEX posts_by_media_key;
DROP TABLE removals;
ALTER TABLE comments DROP COLUMN deleted_at;
