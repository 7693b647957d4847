-- The audit trail is append-only: the database itself refuses to change or remove an entry.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- A trainee reads the charts of patients they are linked to.
CREATE TABLE trainee_links (
    patient_id TEXT NOT NULL REFERENCES patients (id),
    trainee_id TEXT NOT NULL REFERENCES users (id),
    linked_by  TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (patient_id, trainee_id)
);
CREATE INDEX trainee_links_by_trainee ON trainee_links (trainee_id, patient_id);

-- An intern sees a patient only through a grant for a shift; it ends by itself at ends_at, or at
-- once when ended (ended_at).
CREATE TABLE intern_grants (
    id         TEXT PRIMARY KEY,
    intern_id  TEXT NOT NULL REFERENCES users (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    issued_by  TEXT NOT NULL REFERENCES users (id),
    starts_at  TIMESTAMP NOT NULL,
    ends_at    TIMESTAMP NOT NULL,
    ended_at   TIMESTAMP,
    ended_by   TEXT REFERENCES users (id)
);
CREATE INDEX intern_grants_by_intern ON intern_grants (intern_id, patient_id);
CREATE INDEX intern_grants_by_patient ON intern_grants (patient_id);

-- Break-the-glass: a doctor off the care team opens a chart for a stated reason, for a while.
CREATE TABLE emergency_accesses (
    id         TEXT PRIMARY KEY,
    doctor_id  TEXT NOT NULL REFERENCES users (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    reason     TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    ends_at    TIMESTAMP NOT NULL,
    ended_at   TIMESTAMP
);
CREATE INDEX emergency_by_doctor ON emergency_accesses (doctor_id, patient_id);
CREATE INDEX emergency_by_patient ON emergency_accesses (patient_id);

-- Failed sign-ins per key (an account at an address, an address, an account), shared by every
-- server so that more servers do not mean more guesses.
CREATE TABLE login_throttle (
    key           TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    window_start  TIMESTAMP NOT NULL,
    blocked_until TIMESTAMP
);
