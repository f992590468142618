DROP INDEX posts_due;
CREATE INDEX posts_due ON posts (publish_at) WHERE status = 'SCHEDULED';
