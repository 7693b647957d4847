CREATE INDEX lab_results_newest ON lab_results (patient_id, collected_at, id);
DROP INDEX lab_results_chart;
