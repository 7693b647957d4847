-- Institutions, their staff and patients, doctors' hours, appointments and insurance (see the
-- PostgreSQL migration of the same name for what each table is and where it lives).
--
-- SQLite cannot change a CHECK constraint in place: users is copied into a table that allows
-- the staff role and put in its place, with foreign keys off while the other tables' references
-- to it dangle (they name users, and find the new table under that name), and checked after.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_with_staff (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL
        CHECK (role IN ('admin', 'doctor', 'trainee', 'intern', 'patient', 'staff')),
    status        TEXT NOT NULL CHECK (status IN ('active', 'pending', 'deactivated')),
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    patient_id    TEXT REFERENCES patients (id)
);
INSERT INTO users_with_staff
    (id, email, email_key, name, role, status, password_hash, created_at, updated_at, patient_id)
SELECT id, email, email_key, name, role, status, password_hash, created_at, updated_at, patient_id
FROM users;
DROP TABLE users;
ALTER TABLE users_with_staff RENAME TO users;
CREATE UNIQUE INDEX users_patient_id ON users (patient_id);

CREATE TABLE institutions (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('hospital', 'clinic', 'lab', 'pharmacy')),
    address     TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    phone       TEXT,
    email       TEXT,
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE TABLE institution_staff (
    institution_id  TEXT NOT NULL REFERENCES institutions (id),
    user_id         TEXT NOT NULL REFERENCES users (id),
    role            TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'reception')),
    added_by        TEXT NOT NULL REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (institution_id, user_id)
) WITHOUT ROWID;
CREATE INDEX institution_staff_by_user ON institution_staff (user_id, institution_id);
CREATE TABLE availability (
    doctor_id       TEXT NOT NULL REFERENCES users (id),
    institution_id  TEXT NOT NULL REFERENCES institutions (id),
    slot_minutes    INTEGER NOT NULL,
    hours           TEXT NOT NULL,
    time_off        TEXT NOT NULL,
    updated_by      TEXT NOT NULL REFERENCES users (id),
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (doctor_id, institution_id)
) WITHOUT ROWID;
CREATE TABLE patient_registrations (
    patient_id      TEXT NOT NULL REFERENCES patients (id),
    institution_id  TEXT NOT NULL REFERENCES institutions (id),
    registered_by   TEXT NOT NULL REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (patient_id, institution_id)
) WITHOUT ROWID;
CREATE INDEX patient_registrations_by_institution
    ON patient_registrations (institution_id, patient_id);
CREATE TABLE coverages (
    patient_id  TEXT NOT NULL PRIMARY KEY REFERENCES patients (id),
    payer       TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    plan        TEXT NOT NULL,
    updated_by  TEXT NOT NULL REFERENCES users (id),
    updated_at  TIMESTAMP NOT NULL
) WITHOUT ROWID;
CREATE TABLE appointments (
    patient_id              TEXT NOT NULL REFERENCES patients (id),
    id                      TEXT NOT NULL,
    doctor_id               TEXT NOT NULL REFERENCES users (id),
    institution_id          TEXT NOT NULL REFERENCES institutions (id),
    starts_at               TIMESTAMP NOT NULL,
    ends_at                 TIMESTAMP NOT NULL,
    status                  TEXT NOT NULL
        CHECK (status IN ('booked', 'cancelled', 'rescheduled')),
    booked_by               TEXT NOT NULL REFERENCES users (id),
    created_at              TIMESTAMP NOT NULL,
    changed_by              TEXT REFERENCES users (id),
    changed_at              TIMESTAMP,
    rescheduled_from        TEXT,
    eligibility             TEXT NOT NULL
        CHECK (eligibility IN ('verified', 'not_covered', 'pending', 'no_coverage')),
    eligibility_reason      TEXT,
    eligibility_checked_at  TIMESTAMP,
    eligibility_attempts    INTEGER NOT NULL,
    eligibility_after       TIMESTAMP,
    PRIMARY KEY (patient_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX appointments_by_id ON appointments (id);
CREATE INDEX appointments_by_doctor ON appointments (doctor_id, starts_at);
CREATE INDEX appointments_by_patient ON appointments (patient_id, starts_at);
CREATE INDEX appointments_unverified ON appointments (eligibility, eligibility_after);
CREATE TABLE appointment_claims (
    doctor_id       TEXT NOT NULL REFERENCES users (id),
    at              TIMESTAMP NOT NULL,
    patient_id      TEXT NOT NULL,
    appointment_id  TEXT NOT NULL,
    PRIMARY KEY (doctor_id, at)
) WITHOUT ROWID;
COMMIT;
PRAGMA foreign_keys = ON;
