DROP TABLE owner_providers;
ALTER TABLE agents DROP COLUMN suspended_by_owner;
