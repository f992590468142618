-- Nothing to do: PostgreSQL plans a bound `status = $1` against the partial
-- `posts_due` index without re-preparing (see the SQLite migration).
SELECT 1;
