-- PostgreSQL drops records_by_patient, a duplicate of the records' primary key, in this step.
-- SQLite dropped its copy with the table it rebuilt in 000007; the step is here so that both
-- backends stand at the same schema version, which a backup's transfer between them checks.
DROP INDEX IF EXISTS records_by_patient;
