DROP INDEX agents_by_owner;
ALTER TABLE agents DROP COLUMN owner_id;
DROP TABLE owners;
