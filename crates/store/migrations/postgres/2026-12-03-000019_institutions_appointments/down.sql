DROP TABLE appointment_claims;
DROP TABLE appointments;
DROP TABLE coverages;
DROP TABLE patient_registrations;
DROP TABLE availability;
DROP TABLE institution_staff;
DROP TABLE institutions;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'doctor', 'trainee', 'intern', 'patient'));
