-- Lab reports sent to be read: the chart file that holds the report, who sent it (and whether
-- the patient did), and its reading as a durable job. A job is queued, then claimed by one
-- server (claimed_by, lease_until) with a conditional update that only one server's can win,
-- read, and left for review; a server that dies mid-read lets its lease lapse and another takes
-- the job again. Failed attempts wait (run_after) longer each time. The rows read from a
-- report wait in lab_report_rows for a doctor to confirm, correct or reject each; a confirmed
-- row becomes a lab result that names its report, recorded by the doctor who confirmed it. All split by patient
-- and colocated with the chart.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

DO $$
BEGIN
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
        PRIMARY KEY (patient_id, id)
    );
    CREATE INDEX lab_reports_by_id ON lab_reports (id);
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
        PRIMARY KEY (patient_id, report_id, n)
    );
    ALTER TABLE lab_results ADD COLUMN report_id TEXT;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_table('lab_reports', 'patient_id', colocate_with => 'patients');
        PERFORM create_distributed_table('lab_report_rows', 'patient_id', colocate_with => 'patients');
    END IF;
    ALTER TABLE lab_reports ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
    ALTER TABLE lab_reports ADD FOREIGN KEY (patient_id, file_id) REFERENCES files (patient_id, id);
    ALTER TABLE lab_reports ADD FOREIGN KEY (uploaded_by) REFERENCES users (id);
    ALTER TABLE lab_reports ADD FOREIGN KEY (reviewed_by) REFERENCES users (id);
    ALTER TABLE lab_report_rows ADD FOREIGN KEY (patient_id, report_id) REFERENCES lab_reports (patient_id, id);
    ALTER TABLE lab_report_rows ADD FOREIGN KEY (decided_by) REFERENCES users (id);
    ALTER TABLE lab_results ADD FOREIGN KEY (patient_id, report_id) REFERENCES lab_reports (patient_id, id);
END
$$;
