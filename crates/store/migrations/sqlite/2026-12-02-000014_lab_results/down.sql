DROP TABLE lab_results;
