-- A chart's allergies and problem list. Values follow FHIR R4: an allergy's severity is
-- AllergyIntolerance.reaction.severity (mild, moderate, severe), its status the clinical status
-- (active, inactive, resolved); a problem's status is Condition.clinicalStatus (active,
-- resolved). Each entry says who recorded it and when, and who changed it last; edits name the
-- version they were made on.
CREATE TABLE allergies (
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    id          TEXT NOT NULL,
    substance   TEXT NOT NULL,
    reaction    TEXT,
    severity    TEXT CHECK (severity IN ('mild', 'moderate', 'severe')),
    status      TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'resolved')),
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    updated_by  TEXT NOT NULL REFERENCES users (id),
    updated_at  TIMESTAMP NOT NULL,
    version     BIGINT NOT NULL,
    PRIMARY KEY (patient_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX allergies_by_id ON allergies (id);

CREATE TABLE problems (
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    id          TEXT NOT NULL,
    condition   TEXT NOT NULL,
    onset       DATE,
    status      TEXT NOT NULL CHECK (status IN ('active', 'resolved')),
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    updated_by  TEXT NOT NULL REFERENCES users (id),
    updated_at  TIMESTAMP NOT NULL,
    version     BIGINT NOT NULL,
    PRIMARY KEY (patient_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX problems_by_id ON problems (id);
