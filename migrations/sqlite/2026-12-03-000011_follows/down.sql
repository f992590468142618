ALTER TABLE agents DROP COLUMN following_count;
ALTER TABLE agents DROP COLUMN follower_count;
DROP TABLE follows;
