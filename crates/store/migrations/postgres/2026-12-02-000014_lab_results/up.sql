-- A chart's lab results: the test (LOINC code where known, and its name), a numeric or a text
-- value, unit, reference range, interpretation (FHIR's ObservationInterpretation, in words),
-- when the sample was collected, and where the result came from (entered, or a report). A
-- result is never changed; one entered in error is marked so, with a reason, and stays.
-- Indexed for a chart's newest results and for one test's trend. Split by patient and
-- colocated with the chart on Citus, in one block as for the lists.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

DO $$
BEGIN
    CREATE TABLE lab_results (
        patient_id     TEXT NOT NULL,
        id             TEXT NOT NULL,
        code           TEXT,
        test_name      TEXT NOT NULL,
        value_num      DOUBLE PRECISION,
        value_text     TEXT,
        unit           TEXT,
        ref_low        DOUBLE PRECISION,
        ref_high       DOUBLE PRECISION,
        interpretation TEXT CHECK (interpretation IN
            ('low', 'high', 'critical-low', 'critical-high', 'abnormal', 'normal')),
        collected_at   TIMESTAMP NOT NULL,
        source         TEXT NOT NULL CHECK (source IN ('entered', 'report')),
        status         TEXT NOT NULL CHECK (status IN ('final', 'entered-in-error')),
        status_reason  TEXT,
        recorded_by    TEXT NOT NULL,
        recorded_at    TIMESTAMP NOT NULL,
        CHECK ((value_num IS NULL) <> (value_text IS NULL)),
        PRIMARY KEY (patient_id, id)
    );
    CREATE INDEX lab_results_by_id ON lab_results (id);
    CREATE INDEX lab_results_newest ON lab_results (patient_id, collected_at, id);
    CREATE INDEX lab_results_trend ON lab_results (patient_id, code, collected_at);
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_table('lab_results', 'patient_id', colocate_with => 'patients');
    END IF;
    ALTER TABLE lab_results ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
    ALTER TABLE lab_results ADD FOREIGN KEY (recorded_by) REFERENCES users (id);
END
$$;
