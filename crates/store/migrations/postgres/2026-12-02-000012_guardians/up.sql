-- A guardian (a patient account: a parent, say) sees and manages a dependent's chart as the
-- patient would. Adding and ending a guardianship are audited acts; the row lives while it lasts.
-- Split by patient and colocated with the chart on Citus, so the tie is found beside the chart;
-- a guardian's list of dependents asks every shard, as a trainee's list of charts does.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

DO $$
BEGIN
    CREATE TABLE guardians (
        patient_id  TEXT NOT NULL,
        guardian_id TEXT NOT NULL,
        added_by    TEXT NOT NULL,
        added_at    TIMESTAMP NOT NULL,
        PRIMARY KEY (patient_id, guardian_id)
    );
    CREATE INDEX guardians_by_guardian ON guardians (guardian_id, patient_id);
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_table('guardians', 'patient_id', colocate_with => 'patients');
    END IF;
    ALTER TABLE guardians ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
    ALTER TABLE guardians ADD FOREIGN KEY (guardian_id) REFERENCES users (id);
    ALTER TABLE guardians ADD FOREIGN KEY (added_by) REFERENCES users (id);
END
$$;
