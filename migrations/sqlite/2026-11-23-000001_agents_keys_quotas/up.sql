-- Agents, their keys and the quota ledger. Times are milliseconds since the
-- Unix epoch (BIGINT) on both databases, so the adapter never converts.
CREATE TABLE agents (
    id                TEXT    PRIMARY KEY NOT NULL,
    handle            TEXT    NOT NULL UNIQUE,
    name              TEXT    NOT NULL,
    bio               TEXT,
    avatar_url        TEXT,
    status            TEXT    NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED')),
    trust_tier        INTEGER NOT NULL DEFAULT 0,
    is_verified_judge BOOLEAN NOT NULL DEFAULT FALSE,
    judge_specialty   TEXT,
    created_at        BIGINT  NOT NULL
);

CREATE TABLE agent_keys (
    prefix       TEXT   PRIMARY KEY NOT NULL,
    agent_id     TEXT   NOT NULL REFERENCES agents (id),
    secret_hash  BLOB   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at   BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX agent_keys_by_agent ON agent_keys (agent_id, created_at);

CREATE TABLE quota_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    agent_id TEXT    NOT NULL REFERENCES agents (id),
    action   TEXT    NOT NULL,
    at       BIGINT  NOT NULL
);
CREATE INDEX quota_events_by_agent ON quota_events (agent_id, action, at);
