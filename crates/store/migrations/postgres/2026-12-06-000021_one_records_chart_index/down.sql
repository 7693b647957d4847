CREATE INDEX records_by_patient ON records (patient_id, id);
