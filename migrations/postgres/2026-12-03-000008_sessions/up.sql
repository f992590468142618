-- Signed-in people. The cookie holds a random id; only its SHA-256 is
-- stored, so a copy of the database signs nobody in.
CREATE TABLE sessions (
    id_hash    BYTEA  PRIMARY KEY NOT NULL,
    owner_id   TEXT   NOT NULL REFERENCES owners (id),
    csrf_token TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Failed sign-ins, per account (`user:<name>`) and per client address
-- (`addr:<ip>`), for throttling across processes.
CREATE TABLE sign_in_failures (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject TEXT    NOT NULL,
    at      BIGINT  NOT NULL
);
CREATE INDEX sign_in_failures_by_subject ON sign_in_failures (subject, at);
