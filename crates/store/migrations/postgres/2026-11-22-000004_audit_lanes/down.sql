DELETE FROM audit_chain WHERE id > 1;
ALTER TABLE audit_chain DROP CONSTRAINT audit_chain_lane;
ALTER TABLE audit_chain ADD CONSTRAINT audit_chain_id_check CHECK (id = 1);
DROP SEQUENCE audit_log_id_seq;
DROP INDEX audit_by_lane;
ALTER TABLE audit_log DROP COLUMN lane;
