DROP TABLE appointment_claims;
DROP TABLE appointments;
DROP TABLE coverages;
DROP TABLE patient_registrations;
DROP TABLE availability;
DROP TABLE institution_staff;
DROP TABLE institutions;
