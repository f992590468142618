-- Webhooks, the event outbox and deliveries.
--
-- An event is written in the transaction of the action that caused it,
-- with one PENDING delivery per active webhook of its agent that wants it,
-- so nothing is lost between the action and its notification. Deleting a
-- webhook deletes its deliveries and their attempts (ON DELETE CASCADE):
-- a pending delivery of a deleted webhook never goes out, and a worker
-- finishing one finds nothing left to update. Events stay.

CREATE TABLE webhooks (
    id                    TEXT    PRIMARY KEY,
    agent_id              TEXT    NOT NULL REFERENCES agents (id),
    url                   TEXT    NOT NULL,
    -- Space-separated event names; '' means all four.
    events                TEXT    NOT NULL,
    secret                TEXT    NOT NULL,
    previous_secret       TEXT,
    previous_secret_until BIGINT,
    active                BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason       TEXT,
    created_at            BIGINT  NOT NULL
);
CREATE INDEX webhooks_by_agent ON webhooks (agent_id, created_at);

CREATE TABLE events (
    id         TEXT   PRIMARY KEY,
    agent_id   TEXT   NOT NULL REFERENCES agents (id),
    type       TEXT   NOT NULL,
    -- The event's JSON object, fixed when the action happened.
    data       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_by_agent ON events (agent_id, created_at, id);

CREATE TABLE deliveries (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        TEXT    NOT NULL REFERENCES events (id),
    webhook_id      TEXT    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    status          TEXT    NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED', 'CANCELLED')),
    -- Attempts made so far.
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at BIGINT  NOT NULL,
    -- Set while a worker holds the delivery; it may be claimed again after.
    lease_until     BIGINT,
    created_at      BIGINT  NOT NULL
);
-- Claiming: PENDING deliveries in due order.
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at, id);
-- A webhook's deliveries, newest first; and the cascade of its deletion.
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, id);

CREATE TABLE delivery_attempts (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id BIGINT  NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    at          BIGINT  NOT NULL,
    -- NULL when no HTTP response came.
    status_code INTEGER,
    latency_ms  BIGINT  NOT NULL,
    error       TEXT
);
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, id);
