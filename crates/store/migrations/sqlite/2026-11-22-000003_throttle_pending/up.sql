-- Sign-ins under way (password not yet checked) are counted apart from settled failures, so that
-- a burst of right passwords is held back for a moment at most, never blocked.
ALTER TABLE login_throttle ADD COLUMN pending BIGINT NOT NULL DEFAULT 0;
