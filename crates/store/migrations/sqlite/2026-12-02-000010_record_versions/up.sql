-- Records are amended, never erased. A record keeps its current version in `records`; each
-- version it replaced is kept whole in `record_versions`, with who wrote it and when. A record
-- entered in error stays, marked so with the reason. Statuses are FHIR's (final, amended,
-- entered-in-error); kinds are MedVault's.
ALTER TABLE records ADD COLUMN status TEXT NOT NULL DEFAULT 'final'
    CHECK (status IN ('final', 'amended', 'entered-in-error'));
ALTER TABLE records ADD COLUMN status_reason TEXT;
-- Who wrote the current version, when it is not the first (the first is the author's).
ALTER TABLE records ADD COLUMN updated_by TEXT REFERENCES users (id);
UPDATE records SET kind = 'progress_note' WHERE kind = 'note';

CREATE TABLE record_versions (
    patient_id    TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    version       BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    notes         TEXT NOT NULL,
    status        TEXT NOT NULL,
    status_reason TEXT,
    written_by    TEXT NOT NULL REFERENCES users (id),
    written_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (patient_id, record_id, version),
    FOREIGN KEY (patient_id, record_id) REFERENCES records (patient_id, id)
) WITHOUT ROWID;
