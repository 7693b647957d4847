-- A chart's prescriptions. The status follows FHIR R4's MedicationRequest.status (active,
-- completed, stopped, entered-in-error); a stopped one or one in error says why
-- (status_reason). A prescription the prescriber made over an allergy warning keeps the
-- warnings they acknowledged. Drug and dose are not edited: a change is a new prescription.
CREATE TABLE prescriptions (
    patient_id            TEXT NOT NULL REFERENCES patients (id),
    id                    TEXT NOT NULL,
    drug                  TEXT NOT NULL,
    strength              TEXT,
    dose                  TEXT NOT NULL,
    route                 TEXT NOT NULL,
    frequency             TEXT NOT NULL,
    duration              TEXT,
    quantity              TEXT,
    instructions          TEXT,
    status                TEXT NOT NULL
        CHECK (status IN ('active', 'completed', 'stopped', 'entered-in-error')),
    status_reason         TEXT,
    acknowledged_warnings TEXT,
    prescribed_by         TEXT NOT NULL REFERENCES users (id),
    prescribed_at         TIMESTAMP NOT NULL,
    updated_by            TEXT NOT NULL REFERENCES users (id),
    updated_at            TIMESTAMP NOT NULL,
    version               BIGINT NOT NULL,
    PRIMARY KEY (patient_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX prescriptions_by_id ON prescriptions (id);
