-- Lab reports sent to be read, their reading as a durable job, and the rows read from them
-- waiting for a doctor's review (see the PostgreSQL migration of the same name).
CREATE TABLE lab_reports (
    patient_id        TEXT NOT NULL,
    id                TEXT NOT NULL,
    file_id           TEXT NOT NULL,
    uploaded_by       TEXT NOT NULL,
    patient_provided  BOOLEAN NOT NULL,
    status            TEXT NOT NULL
        CHECK (status IN ('queued', 'reading', 'review', 'done', 'failed')),
    attempts          INTEGER NOT NULL,
    run_after         TIMESTAMP NOT NULL,
    claimed_by        TEXT,
    lease_until       TIMESTAMP,
    error_code        TEXT,
    error_message     TEXT,
    pages             INTEGER,
    text_source       TEXT,
    document_kind     TEXT,
    kind_confidence   DOUBLE PRECISION,
    created_at        TIMESTAMP NOT NULL,
    read_at           TIMESTAMP,
    reviewed_by       TEXT,
    reviewed_at       TIMESTAMP,
    PRIMARY KEY (patient_id, id),
    FOREIGN KEY (patient_id) REFERENCES patients (id),
    FOREIGN KEY (patient_id, file_id) REFERENCES files (patient_id, id),
    FOREIGN KEY (uploaded_by) REFERENCES users (id),
    FOREIGN KEY (reviewed_by) REFERENCES users (id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX lab_reports_by_id ON lab_reports (id);
CREATE INDEX lab_reports_due ON lab_reports (status, run_after);
CREATE TABLE lab_report_rows (
    patient_id     TEXT NOT NULL,
    report_id      TEXT NOT NULL,
    n              INTEGER NOT NULL,
    draft          TEXT NOT NULL,
    decision       TEXT CHECK (decision IN ('confirm', 'reject')),
    lab_result_id  TEXT,
    decided_by     TEXT,
    decided_at     TIMESTAMP,
    PRIMARY KEY (patient_id, report_id, n),
    FOREIGN KEY (patient_id, report_id) REFERENCES lab_reports (patient_id, id),
    FOREIGN KEY (decided_by) REFERENCES users (id)
) WITHOUT ROWID;
ALTER TABLE lab_results ADD COLUMN report_id TEXT REFERENCES lab_reports (id);
