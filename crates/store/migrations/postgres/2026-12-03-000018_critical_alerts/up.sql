-- An alert for the care team when a lab result beyond its critical limits enters a chart,
-- shown until a doctor acknowledges it (who and when are kept). Split by patient and colocated
-- with the chart; open alerts are found by chart.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

DO $$
BEGIN
    CREATE TABLE critical_alerts (
        patient_id       TEXT NOT NULL,
        id               TEXT NOT NULL,
        lab_result_id    TEXT NOT NULL,
        rule             TEXT NOT NULL,
        title            TEXT NOT NULL,
        raised_at        TIMESTAMP NOT NULL,
        acknowledged_by  TEXT,
        acknowledged_at  TIMESTAMP,
        PRIMARY KEY (patient_id, id)
    );
    CREATE INDEX critical_alerts_by_id ON critical_alerts (id);
    CREATE INDEX critical_alerts_open ON critical_alerts (patient_id, acknowledged_at);
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_table('critical_alerts', 'patient_id', colocate_with => 'patients');
    END IF;
    ALTER TABLE critical_alerts ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
    ALTER TABLE critical_alerts ADD FOREIGN KEY (patient_id, lab_result_id) REFERENCES lab_results (patient_id, id);
    ALTER TABLE critical_alerts ADD FOREIGN KEY (acknowledged_by) REFERENCES users (id);
END
$$;
