-- A create sent with an Idempotency-Key: the key is claimed in the same transaction as the
-- create, so that a retry (or fifty at once) finds it and is answered with the first answer,
-- which is stored once it is sent. Keys are the caller's own, and kept a day.
CREATE TABLE idempotency_keys (
    user_id         TEXT NOT NULL REFERENCES users (id),
    key             TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    response_status INTEGER,
    response_type   TEXT,
    response_etag   TEXT,
    response_body   TEXT,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
