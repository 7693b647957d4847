-- Back to one server's shape (plain PostgreSQL only: a distributed database is not undistributed).
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey;
DROP INDEX audit_by_id;
ALTER TABLE audit_log ADD PRIMARY KEY (id);
CREATE INDEX audit_by_lane ON audit_log (lane, id);
ALTER TABLE emergency_accesses DROP CONSTRAINT emergency_accesses_pkey;
ALTER TABLE emergency_accesses ADD PRIMARY KEY (id);
ALTER TABLE intern_grants DROP CONSTRAINT intern_grants_pkey;
DROP INDEX intern_grants_by_id;
ALTER TABLE intern_grants ADD PRIMARY KEY (id);
ALTER TABLE records DROP CONSTRAINT records_pkey;
DROP INDEX records_by_id;
ALTER TABLE records ADD PRIMARY KEY (id);
DROP INDEX patients_by_user;
ALTER TABLE patients ADD CONSTRAINT patients_user_id_key UNIQUE (user_id);
ALTER TABLE users DROP COLUMN patient_id;
