ALTER TABLE login_throttle DROP COLUMN pending;
