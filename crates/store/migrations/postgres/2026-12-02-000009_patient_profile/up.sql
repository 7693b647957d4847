-- The chart's whole profile: contact details, an address, an emergency contact, a preferred
-- language, a medical record number, and a version for optimistic concurrency.
--
-- A medical record number (MRN) is MedVault's own, readable (MV-000123), unique and never reused:
-- numbers come from a sequence, and patient_mrns holds every number given out (rows are never
-- deleted). Where charts are spread by patient over several servers (Citus) a unique rule on
-- patients.mrn cannot be kept, since it would span patients; patient_mrns is spread by the number
-- itself, so its primary key is the rule, and a chart and its number are written in one
-- (two-phase) transaction. The column on patients is the same number, kept with the chart for
-- reading.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

CREATE SEQUENCE patient_mrn_seq;
CREATE TABLE patient_mrns (
    mrn        TEXT PRIMARY KEY,
    number     BIGINT NOT NULL,
    patient_id TEXT NOT NULL
);
CREATE INDEX patient_mrns_by_number ON patient_mrns (number);

ALTER TABLE patients ADD COLUMN mrn TEXT;
ALTER TABLE patients ADD COLUMN email TEXT;
ALTER TABLE patients ADD COLUMN address_line TEXT;
ALTER TABLE patients ADD COLUMN city TEXT;
ALTER TABLE patients ADD COLUMN region TEXT;
ALTER TABLE patients ADD COLUMN postal_code TEXT;
ALTER TABLE patients ADD COLUMN country TEXT;
ALTER TABLE patients ADD COLUMN emergency_contact_name TEXT;
ALTER TABLE patients ADD COLUMN emergency_contact_relationship TEXT;
ALTER TABLE patients ADD COLUMN emergency_contact_phone TEXT;
ALTER TABLE patients ADD COLUMN preferred_language TEXT;
ALTER TABLE patients ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

DO $$
DECLARE
    chart RECORD;
    given BIGINT;
    given_mrn TEXT;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_table('patient_mrns', 'mrn');
    END IF;
    -- Charts opened before numbers existed get them in the order they were opened, one chart at
    -- a time: a statement per chart is what a distributed table takes for sure.
    FOR chart IN SELECT id FROM patients ORDER BY created_at, id LOOP
        given := nextval('patient_mrn_seq');
        -- At least six digits, as the application writes them (lpad would cut longer ones).
        given_mrn := 'MV-' || repeat('0', greatest(0, 6 - length(given::text))) || given::text;
        INSERT INTO patient_mrns (mrn, number, patient_id) VALUES (given_mrn, given, chart.id);
        UPDATE patients SET mrn = given_mrn WHERE id = chart.id;
    END LOOP;
    -- Inside the block: Citus sends these to the workers as the text of the statement that ran
    -- them, and a migration runs as one string of many statements, which a worker refuses.
    ALTER TABLE patients ALTER COLUMN mrn SET NOT NULL;
    CREATE INDEX patients_by_mrn ON patients (mrn);
END
$$;
