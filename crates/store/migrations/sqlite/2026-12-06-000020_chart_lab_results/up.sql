-- A chart's newest final lab results, read from one index in the order the page wants (see the
-- PostgreSQL migration of the same name): SQLite has no INCLUDE, so the columns follow the key.
CREATE INDEX lab_results_chart ON lab_results (patient_id, collected_at DESC, id DESC, status,
    code, test_name, value_num, value_text, unit, ref_low, ref_high, interpretation, source,
    recorded_by, recorded_at);
DROP INDEX lab_results_newest;
