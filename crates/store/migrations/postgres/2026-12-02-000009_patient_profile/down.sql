DROP INDEX patients_by_mrn;
ALTER TABLE patients DROP COLUMN version, DROP COLUMN preferred_language,
    DROP COLUMN emergency_contact_phone, DROP COLUMN emergency_contact_relationship,
    DROP COLUMN emergency_contact_name, DROP COLUMN country, DROP COLUMN postal_code,
    DROP COLUMN region, DROP COLUMN city, DROP COLUMN address_line, DROP COLUMN email,
    DROP COLUMN mrn;
DROP TABLE patient_mrns;
DROP SEQUENCE patient_mrn_seq;
