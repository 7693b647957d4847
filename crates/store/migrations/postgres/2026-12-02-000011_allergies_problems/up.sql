-- A chart's allergies and problem list. Values follow FHIR R4: an allergy's severity is
-- AllergyIntolerance.reaction.severity (mild, moderate, severe), its status the clinical status
-- (active, inactive, resolved); a problem's status is Condition.clinicalStatus (active,
-- resolved). Each entry says who recorded it and when, and who changed it last; edits name the
-- version they were made on. Split by patient and colocated with the chart on Citus; in one
-- block, since Citus sends some statements on a distributed table as the text that ran them.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

DO $$
BEGIN
    CREATE TABLE allergies (
        patient_id  TEXT NOT NULL,
        id          TEXT NOT NULL,
        substance   TEXT NOT NULL,
        reaction    TEXT,
        severity    TEXT CHECK (severity IN ('mild', 'moderate', 'severe')),
        status      TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'resolved')),
        recorded_by TEXT NOT NULL,
        recorded_at TIMESTAMP NOT NULL,
        updated_by  TEXT NOT NULL,
        updated_at  TIMESTAMP NOT NULL,
        version     BIGINT NOT NULL,
        PRIMARY KEY (patient_id, id)
    );
    CREATE INDEX allergies_by_id ON allergies (id);
    CREATE TABLE problems (
        patient_id  TEXT NOT NULL,
        id          TEXT NOT NULL,
        condition   TEXT NOT NULL,
        onset       DATE,
        status      TEXT NOT NULL CHECK (status IN ('active', 'resolved')),
        recorded_by TEXT NOT NULL,
        recorded_at TIMESTAMP NOT NULL,
        updated_by  TEXT NOT NULL,
        updated_at  TIMESTAMP NOT NULL,
        version     BIGINT NOT NULL,
        PRIMARY KEY (patient_id, id)
    );
    CREATE INDEX problems_by_id ON problems (id);
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_table('allergies', 'patient_id', colocate_with => 'patients');
        PERFORM create_distributed_table('problems', 'patient_id', colocate_with => 'patients');
    END IF;
    ALTER TABLE allergies ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
    ALTER TABLE allergies ADD FOREIGN KEY (recorded_by) REFERENCES users (id);
    ALTER TABLE allergies ADD FOREIGN KEY (updated_by) REFERENCES users (id);
    ALTER TABLE problems ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
    ALTER TABLE problems ADD FOREIGN KEY (recorded_by) REFERENCES users (id);
    ALTER TABLE problems ADD FOREIGN KEY (updated_by) REFERENCES users (id);
END
$$;
