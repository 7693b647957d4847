DROP INDEX users_patient_id;
ALTER TABLE users DROP COLUMN patient_id;
