CREATE TABLE audit_chain_single (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    last_id   BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_chain_single (id, last_id, last_hash) SELECT id, last_id, last_hash FROM audit_chain WHERE id = 1;
DROP TABLE audit_chain;
ALTER TABLE audit_chain_single RENAME TO audit_chain;
DROP INDEX audit_by_lane;
ALTER TABLE audit_log DROP COLUMN lane;
