-- A create sent with an Idempotency-Key: the key is claimed in the same transaction as the
-- create, so that a retry (or fifty at once) finds it and is answered with the first answer,
-- which is stored once it is sent. Keys are the caller's own, and kept a day. Split by user on
-- Citus: a caller's keys live together, whichever chart they write to.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

DO $$
BEGIN
    CREATE TABLE idempotency_keys (
        user_id         TEXT NOT NULL,
        key             TEXT NOT NULL,
        fingerprint     TEXT NOT NULL,
        created_at      TIMESTAMP NOT NULL,
        response_status INTEGER,
        response_type   TEXT,
        response_etag   TEXT,
        response_body   TEXT,
        PRIMARY KEY (user_id, key)
    );
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_table('idempotency_keys', 'user_id');
    END IF;
    ALTER TABLE idempotency_keys ADD FOREIGN KEY (user_id) REFERENCES users (id);
END
$$;
