-- A chart's prescriptions. The status follows FHIR R4's MedicationRequest.status (active,
-- completed, stopped, entered-in-error); a stopped one or one in error says why
-- (status_reason). A prescription the prescriber made over an allergy warning keeps the
-- warnings they acknowledged. Drug and dose are not edited: a change is a new prescription.
-- Split by patient and colocated with the chart on Citus, in one block as for the lists.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

DO $$
BEGIN
    CREATE TABLE prescriptions (
        patient_id            TEXT NOT NULL,
        id                    TEXT NOT NULL,
        drug                  TEXT NOT NULL,
        strength              TEXT,
        dose                  TEXT NOT NULL,
        route                 TEXT NOT NULL,
        frequency             TEXT NOT NULL,
        duration              TEXT,
        quantity              TEXT,
        instructions          TEXT,
        status                TEXT NOT NULL
            CHECK (status IN ('active', 'completed', 'stopped', 'entered-in-error')),
        status_reason         TEXT,
        acknowledged_warnings TEXT,
        prescribed_by         TEXT NOT NULL,
        prescribed_at         TIMESTAMP NOT NULL,
        updated_by            TEXT NOT NULL,
        updated_at            TIMESTAMP NOT NULL,
        version               BIGINT NOT NULL,
        PRIMARY KEY (patient_id, id)
    );
    CREATE INDEX prescriptions_by_id ON prescriptions (id);
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_table('prescriptions', 'patient_id', colocate_with => 'patients');
    END IF;
    ALTER TABLE prescriptions ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
    ALTER TABLE prescriptions ADD FOREIGN KEY (prescribed_by) REFERENCES users (id);
    ALTER TABLE prescriptions ADD FOREIGN KEY (updated_by) REFERENCES users (id);
END
$$;
