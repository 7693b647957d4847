-- The chart's whole profile: contact details, an address, an emergency contact, a preferred
-- language, a medical record number, and a version for optimistic concurrency.
--
-- A medical record number (MRN) is MedVault's own, readable (MV-000123), unique and never reused:
-- patient_mrns holds every number ever given out (rows are never deleted), and is what makes them
-- unique, as it does where charts are spread over several servers (see the PostgreSQL migration).
-- The column on patients is the same number, kept with the chart for reading.
CREATE TABLE patient_mrns (
    mrn        TEXT PRIMARY KEY,
    number     BIGINT NOT NULL,
    patient_id TEXT NOT NULL
);
CREATE INDEX patient_mrns_by_number ON patient_mrns (number);

-- SQLite adds a NOT NULL column only with a default; every chart is given its number below, and
-- every new one with its insert.
ALTER TABLE patients ADD COLUMN mrn TEXT NOT NULL DEFAULT '';
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

-- Charts opened before numbers existed get them in the order they were opened.
INSERT INTO patient_mrns (mrn, number, patient_id)
SELECT printf('MV-%06d', n), n, id
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM patients);
UPDATE patients SET mrn = (SELECT mrn FROM patient_mrns WHERE patient_mrns.patient_id = patients.id);
CREATE INDEX patients_by_mrn ON patients (mrn);
