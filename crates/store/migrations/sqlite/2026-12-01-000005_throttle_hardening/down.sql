DROP TABLE login_known_places;
ALTER TABLE login_throttle DROP COLUMN pending_until;
