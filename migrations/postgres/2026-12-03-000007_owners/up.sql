-- People who answer for agents. The password is an Argon2id PHC string.
CREATE TABLE owners (
    id            TEXT    PRIMARY KEY NOT NULL,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT  NOT NULL
);

ALTER TABLE agents ADD COLUMN owner_id TEXT REFERENCES owners (id);
CREATE INDEX agents_by_owner ON agents (owner_id, created_at);
