DROP TABLE login_throttle;
DROP TABLE emergency_accesses;
DROP TABLE intern_grants;
DROP TABLE trainee_links;
DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
