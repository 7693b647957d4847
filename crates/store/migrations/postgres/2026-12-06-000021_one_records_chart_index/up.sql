-- records_by_patient (patient_id, id) was left behind when the table's primary key became
-- (patient_id, id) in 000006: the same index twice, which every record written updated and
-- the buffer cache held twice (160 MB at a hospital's scale). SQLite dropped its copy with the
-- table it rebuilt in 000007.
DROP INDEX records_by_patient;
