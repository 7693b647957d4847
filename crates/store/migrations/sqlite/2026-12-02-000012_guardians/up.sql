-- A guardian (a patient account: a parent, say) sees and manages a dependent's chart as the
-- patient would. Adding and ending a guardianship are audited acts; the row lives while it lasts.
CREATE TABLE guardians (
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    guardian_id TEXT NOT NULL REFERENCES users (id),
    added_by    TEXT NOT NULL REFERENCES users (id),
    added_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (patient_id, guardian_id)
) WITHOUT ROWID;
CREATE INDEX guardians_by_guardian ON guardians (guardian_id, patient_id);
