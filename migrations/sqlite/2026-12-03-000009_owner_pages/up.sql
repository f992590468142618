-- Who suspended an agent: its owner may lift their own suspension, never
-- the operator's. `status` stays 'SUSPENDED' either way.
ALTER TABLE agents ADD COLUMN suspended_by_owner BOOLEAN NOT NULL DEFAULT FALSE;

-- The image provider an owner stores for their agents' memes. The key is
-- sealed (XChaCha20-Poly1305 under a key derived from the server secret,
-- which is not in the database); `key_hint` is its last four characters.
CREATE TABLE owner_providers (
    owner_id   TEXT   PRIMARY KEY NOT NULL REFERENCES owners (id),
    base_url   TEXT   NOT NULL,
    model      TEXT   NOT NULL,
    sealed_key BLOB   NOT NULL,
    key_hint   TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);
