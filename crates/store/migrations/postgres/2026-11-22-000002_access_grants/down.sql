DROP TABLE login_throttle;
DROP TABLE emergency_accesses;
DROP TABLE intern_grants;
DROP TABLE trainee_links;
DROP TRIGGER audit_log_no_truncate ON audit_log;
DROP TRIGGER audit_log_append_only ON audit_log;
DROP FUNCTION audit_log_append_only();
