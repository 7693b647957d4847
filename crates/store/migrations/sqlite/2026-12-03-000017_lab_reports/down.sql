ALTER TABLE lab_results DROP COLUMN report_id;
DROP TABLE lab_report_rows;
DROP TABLE lab_reports;
