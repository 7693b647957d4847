-- Ids are UUID strings made by the application (UUIDv7, time ordered); times are UTC.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'doctor', 'trainee', 'intern', 'patient')),
    status        TEXT NOT NULL CHECK (status IN ('active', 'pending', 'deactivated')),
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE patients (
    id         TEXT PRIMARY KEY,
    user_id    TEXT UNIQUE REFERENCES users (id),
    name       TEXT NOT NULL,
    birth_date DATE,
    sex        TEXT NOT NULL CHECK (sex IN ('female', 'male', 'other', 'unknown')),
    phone      TEXT,
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE care_team (
    patient_id TEXT NOT NULL REFERENCES patients (id),
    doctor_id  TEXT NOT NULL REFERENCES users (id),
    added_by   TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (patient_id, doctor_id)
);
CREATE INDEX care_team_by_doctor ON care_team (doctor_id, patient_id);

CREATE TABLE records (
    id         TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    author_id  TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    notes      TEXT NOT NULL,
    version    BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX records_by_patient ON records (patient_id, id);
CREATE INDEX records_by_author ON records (author_id, id);

-- A session is the server-side truth behind a cookie or an API token: revoking the row ends it on
-- every server at once. Only a hash of a cookie's secret is kept.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    kind         TEXT NOT NULL CHECK (kind IN ('web', 'api')),
    secret_hash  TEXT UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Who did what to which patient's data, and how it ended. Ids only: no PHI in an entry.
-- Tamper-evident: each entry carries the hash of the one before it and its own hash over both, and
-- ids run without gaps, so an altered, inserted or deleted entry breaks the chain at that point.
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY,
    at             TIMESTAMP NOT NULL,
    actor_id       TEXT,
    actor_role     TEXT,
    action         TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    TEXT,
    patient_id     TEXT,
    outcome        TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
    client_addr    TEXT,
    correlation_id TEXT,
    reason         TEXT,
    emergency      BOOLEAN NOT NULL DEFAULT 0,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE INDEX audit_by_patient ON audit_log (patient_id, id);
CREATE INDEX audit_by_actor ON audit_log (actor_id, id);

-- The end of the chain. Appending locks this row, which orders appends from every server.
CREATE TABLE audit_chain (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    last_id   BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_chain (id, last_id, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
