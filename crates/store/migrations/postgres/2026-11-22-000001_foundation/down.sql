DROP TABLE audit_chain;
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE records;
DROP TABLE care_team;
DROP TABLE patients;
DROP TABLE users;
