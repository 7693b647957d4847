CREATE TABLE records_by_row (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    author_id  TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    notes      TEXT NOT NULL,
    version    BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO records_by_row (id, patient_id, author_id, kind, title, notes, version, created_at, updated_at)
SELECT id, patient_id, author_id, kind, title, notes, version, created_at, updated_at FROM records;
DROP TABLE records;
ALTER TABLE records_by_row RENAME TO records;
CREATE INDEX records_by_patient ON records (patient_id, id);
CREATE INDEX records_by_author ON records (author_id, id);
