-- Word of session changes between processes sharing the file: whatever ends a session or changes
-- who may be signed in counts up here in its own transaction, and each server reads the count
-- every few milliseconds (PostgreSQL announces the same with NOTIFY).
CREATE TABLE session_changes (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    counter BIGINT NOT NULL
);
INSERT INTO session_changes (id, counter) VALUES (1, 0);
