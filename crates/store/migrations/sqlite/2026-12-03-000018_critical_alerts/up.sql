-- An alert for the care team when a lab result beyond its critical limits enters a chart,
-- shown until a doctor acknowledges it (see the PostgreSQL migration of the same name).
CREATE TABLE critical_alerts (
    patient_id       TEXT NOT NULL,
    id               TEXT NOT NULL,
    lab_result_id    TEXT NOT NULL,
    rule             TEXT NOT NULL,
    title            TEXT NOT NULL,
    raised_at        TIMESTAMP NOT NULL,
    acknowledged_by  TEXT,
    acknowledged_at  TIMESTAMP,
    PRIMARY KEY (patient_id, id),
    FOREIGN KEY (patient_id) REFERENCES patients (id),
    FOREIGN KEY (patient_id, lab_result_id) REFERENCES lab_results (patient_id, id),
    FOREIGN KEY (acknowledged_by) REFERENCES users (id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX critical_alerts_by_id ON critical_alerts (id);
CREATE INDEX critical_alerts_open ON critical_alerts (patient_id, acknowledged_at);
