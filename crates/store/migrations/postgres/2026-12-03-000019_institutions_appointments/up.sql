-- Institutions (hospitals, clinics, labs, pharmacies), the people who work there, the patients
-- registered there, doctors' hours, appointments and the insurance they are checked against.
--
-- Placement: institutions, their staff and doctors' availability are small and read on every
-- booking, so they are reference tables, copied to every node. Registrations, coverage and
-- appointments belong to a chart: split by patient and colocated with it. What keeps a doctor
-- from being booked twice is appointment_claims, keyed by doctor and 5-minute mark and split by
-- doctor: a booking claims every mark its visit covers, in the transaction that books it, so
-- the primary key refuses any overlapping visit of the same doctor, at any institution. Booking
-- touches both (two-phase commit on Citus).
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

DO $$
BEGIN
    -- Staff who treat no one: the front desk, an institution's administration. (Inside the
    -- block, as all DDL on a distributed or reference table: see the architecture's Citus notes.)
    ALTER TABLE users DROP CONSTRAINT users_role_check;
    ALTER TABLE users ADD CONSTRAINT users_role_check
        CHECK (role IN ('admin', 'doctor', 'trainee', 'intern', 'patient', 'staff'));
    CREATE TABLE institutions (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('hospital', 'clinic', 'lab', 'pharmacy')),
        address     TEXT NOT NULL,
        time_zone   TEXT NOT NULL,
        phone       TEXT,
        email       TEXT,
        created_by  TEXT NOT NULL,
        created_at  TIMESTAMP NOT NULL,
        updated_at  TIMESTAMP NOT NULL
    );
    CREATE TABLE institution_staff (
        institution_id  TEXT NOT NULL,
        user_id         TEXT NOT NULL,
        role            TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'reception')),
        added_by        TEXT NOT NULL,
        created_at      TIMESTAMP NOT NULL,
        PRIMARY KEY (institution_id, user_id)
    );
    CREATE INDEX institution_staff_by_user ON institution_staff (user_id, institution_id);
    -- A doctor's week at one institution, as JSON ([{weekday, starts, ends}] and
    -- [{from, to, reason}]): replaced whole, read whole.
    CREATE TABLE availability (
        doctor_id       TEXT NOT NULL,
        institution_id  TEXT NOT NULL,
        slot_minutes    INTEGER NOT NULL,
        hours           TEXT NOT NULL,
        time_off        TEXT NOT NULL,
        updated_by      TEXT NOT NULL,
        updated_at      TIMESTAMP NOT NULL,
        PRIMARY KEY (doctor_id, institution_id)
    );
    CREATE TABLE patient_registrations (
        patient_id      TEXT NOT NULL,
        institution_id  TEXT NOT NULL,
        registered_by   TEXT NOT NULL,
        created_at      TIMESTAMP NOT NULL,
        PRIMARY KEY (patient_id, institution_id)
    );
    CREATE INDEX patient_registrations_by_institution
        ON patient_registrations (institution_id, patient_id);
    CREATE TABLE coverages (
        patient_id  TEXT NOT NULL,
        payer       TEXT NOT NULL,
        member_id   TEXT NOT NULL,
        plan        TEXT NOT NULL,
        updated_by  TEXT NOT NULL,
        updated_at  TIMESTAMP NOT NULL,
        PRIMARY KEY (patient_id)
    );
    CREATE TABLE appointments (
        patient_id              TEXT NOT NULL,
        id                      TEXT NOT NULL,
        doctor_id               TEXT NOT NULL,
        institution_id          TEXT NOT NULL,
        starts_at               TIMESTAMP NOT NULL,
        ends_at                 TIMESTAMP NOT NULL,
        status                  TEXT NOT NULL
            CHECK (status IN ('booked', 'cancelled', 'rescheduled')),
        booked_by               TEXT NOT NULL,
        created_at              TIMESTAMP NOT NULL,
        changed_by              TEXT,
        changed_at              TIMESTAMP,
        rescheduled_from        TEXT,
        eligibility             TEXT NOT NULL
            CHECK (eligibility IN ('verified', 'not_covered', 'pending', 'no_coverage')),
        eligibility_reason      TEXT,
        eligibility_checked_at  TIMESTAMP,
        eligibility_attempts    INTEGER NOT NULL,
        eligibility_after       TIMESTAMP,
        PRIMARY KEY (patient_id, id)
    );
    CREATE INDEX appointments_by_id ON appointments (id);
    CREATE INDEX appointments_by_doctor ON appointments (doctor_id, starts_at);
    CREATE INDEX appointments_by_patient ON appointments (patient_id, starts_at);
    CREATE INDEX appointments_unverified ON appointments (eligibility, eligibility_after);
    CREATE TABLE appointment_claims (
        doctor_id       TEXT NOT NULL,
        at              TIMESTAMP NOT NULL,
        patient_id      TEXT NOT NULL,
        appointment_id  TEXT NOT NULL,
        PRIMARY KEY (doctor_id, at)
    );
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_reference_table('institutions');
        PERFORM create_reference_table('institution_staff');
        PERFORM create_reference_table('availability');
        PERFORM create_distributed_table('patient_registrations', 'patient_id', colocate_with => 'patients');
        PERFORM create_distributed_table('coverages', 'patient_id', colocate_with => 'patients');
        PERFORM create_distributed_table('appointments', 'patient_id', colocate_with => 'patients');
        PERFORM create_distributed_table('appointment_claims', 'doctor_id', colocate_with => 'none');
    END IF;
    ALTER TABLE institutions ADD FOREIGN KEY (created_by) REFERENCES users (id);
    ALTER TABLE institution_staff ADD FOREIGN KEY (institution_id) REFERENCES institutions (id);
    ALTER TABLE institution_staff ADD FOREIGN KEY (user_id) REFERENCES users (id);
    ALTER TABLE institution_staff ADD FOREIGN KEY (added_by) REFERENCES users (id);
    ALTER TABLE availability ADD FOREIGN KEY (doctor_id) REFERENCES users (id);
    ALTER TABLE availability ADD FOREIGN KEY (institution_id) REFERENCES institutions (id);
    ALTER TABLE availability ADD FOREIGN KEY (updated_by) REFERENCES users (id);
    ALTER TABLE patient_registrations ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
    ALTER TABLE patient_registrations ADD FOREIGN KEY (institution_id) REFERENCES institutions (id);
    ALTER TABLE patient_registrations ADD FOREIGN KEY (registered_by) REFERENCES users (id);
    ALTER TABLE coverages ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
    ALTER TABLE coverages ADD FOREIGN KEY (updated_by) REFERENCES users (id);
    ALTER TABLE appointments ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
    ALTER TABLE appointments ADD FOREIGN KEY (doctor_id) REFERENCES users (id);
    ALTER TABLE appointments ADD FOREIGN KEY (institution_id) REFERENCES institutions (id);
    ALTER TABLE appointments ADD FOREIGN KEY (booked_by) REFERENCES users (id);
    ALTER TABLE appointments ADD FOREIGN KEY (changed_by) REFERENCES users (id);
    ALTER TABLE appointment_claims ADD FOREIGN KEY (doctor_id) REFERENCES users (id);
END
$$;
