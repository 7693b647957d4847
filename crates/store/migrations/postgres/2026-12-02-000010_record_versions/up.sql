-- Records are amended, never erased. A record keeps its current version in `records`; each
-- version it replaced is kept whole in `record_versions`, with who wrote it and when, on the
-- same node as the chart (split by patient, colocated). A record entered in error stays, marked
-- so with the reason. Statuses are FHIR's (final, amended, entered-in-error); kinds MedVault's.
--
-- In one block: Citus sends some statements on a distributed table to the workers as the text
-- that ran them, and a migration is one string of many statements, which the workers refuse.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

DO $$
BEGIN
    ALTER TABLE records ADD COLUMN status TEXT NOT NULL DEFAULT 'final';
    ALTER TABLE records ADD CONSTRAINT records_status
        CHECK (status IN ('final', 'amended', 'entered-in-error'));
    ALTER TABLE records ADD COLUMN status_reason TEXT;
    -- Who wrote the current version, when it is not the first (the first is the author's).
    ALTER TABLE records ADD COLUMN updated_by TEXT;
    ALTER TABLE records ADD FOREIGN KEY (updated_by) REFERENCES users (id);
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
        written_by    TEXT NOT NULL,
        written_at    TIMESTAMP NOT NULL,
        PRIMARY KEY (patient_id, record_id, version)
    );
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_table('record_versions', 'patient_id', colocate_with => 'patients');
    END IF;
    ALTER TABLE record_versions ADD FOREIGN KEY (patient_id, record_id)
        REFERENCES records (patient_id, id);
    ALTER TABLE record_versions ADD FOREIGN KEY (written_by) REFERENCES users (id);
END
$$;
