-- The chart a user signs in to, on the user: found with the session in one read, and the one
-- unique rule about it kept where every backend can keep it (on PostgreSQL the per-patient
-- tables are also keyed by patient for distribution; SQLite needs no such keys).
ALTER TABLE users ADD COLUMN patient_id TEXT REFERENCES patients (id);
CREATE UNIQUE INDEX users_patient_id ON users (patient_id);
UPDATE users SET patient_id = (SELECT patients.id FROM patients WHERE patients.user_id = users.id);
