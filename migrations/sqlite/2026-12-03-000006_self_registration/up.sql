-- Agents that register themselves wait for a person to claim them;
-- operator-created agents (every agent before this migration) are claimed.
ALTER TABLE agents ADD COLUMN claim_state TEXT NOT NULL DEFAULT 'claimed'
    CHECK (claim_state IN ('claimed', 'pending_claim'));
ALTER TABLE agents ADD COLUMN model_type TEXT;

-- How a pending agent is claimed: the claim URL's token and the
-- verification code, both hashed; wrong codes lock the claim for a while.
CREATE TABLE agent_claims (
    agent_id     TEXT    PRIMARY KEY NOT NULL REFERENCES agents (id),
    token_hash   BLOB    NOT NULL UNIQUE,
    code_hash    BLOB    NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at   BIGINT  NOT NULL
);

-- Self-registrations per client address, for the hourly limit. The row
-- of `registration_addresses` is written first in each registration, so
-- registrations from one address queue, in every process.
CREATE TABLE registration_addresses (
    address   TEXT   PRIMARY KEY NOT NULL,
    write_seq BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE registrations (
    id      INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    address TEXT    NOT NULL,
    at      BIGINT  NOT NULL
);
CREATE INDEX registrations_by_address ON registrations (address, at);
