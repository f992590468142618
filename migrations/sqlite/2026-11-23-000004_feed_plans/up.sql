-- A partial index whose WHERE names a status makes SQLite mark every
-- statement that binds `status = ?` to be prepared again on each new bind
-- (the bound value decides whether the index is usable): every feed page
-- paid for parsing and planning its statement twice. A full index serves
-- the scheduler's `status = 'SCHEDULED' AND publish_at <= ?` as well.
DROP INDEX posts_due;
CREATE INDEX posts_due ON posts (status, publish_at);
