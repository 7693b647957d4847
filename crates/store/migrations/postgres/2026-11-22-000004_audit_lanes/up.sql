-- The audit trail becomes eight hash chains ("lanes") instead of one. Appending locks the end of
-- one lane until commit; with one chain, every audited transaction in the database committed one
-- after another. Each entry still follows the one before it in its lane, so an entry altered,
-- removed or inserted breaks its lane at that point. Entries written so far form lane 1.
ALTER TABLE audit_log ADD COLUMN lane INTEGER NOT NULL DEFAULT 1;
CREATE INDEX audit_by_lane ON audit_log (lane, id);

-- Ids now come from a sequence, taken while the lane is locked: increasing within each lane, and
-- unique across lanes.
CREATE SEQUENCE audit_log_id_seq;
SELECT setval('audit_log_id_seq', COALESCE((SELECT max(id) FROM audit_log), 0) + 1, false);

ALTER TABLE audit_chain DROP CONSTRAINT audit_chain_id_check;
ALTER TABLE audit_chain ADD CONSTRAINT audit_chain_lane CHECK (id BETWEEN 1 AND 8);
INSERT INTO audit_chain (id, last_id, last_hash)
SELECT lane, 0, repeat('0', 64) FROM generate_series(2, 8) AS lane;
